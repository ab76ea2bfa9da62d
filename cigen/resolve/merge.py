"""GitLab's ``deep_merge`` (ActiveSupport ``Hash#deep_merge``) over positioned data.

Mappings merge key by key at any depth; everything else (lists, scalars, ``null``) in the
right-hand side replaces the left-hand value. Positions follow the value that wins.
"""

from __future__ import annotations

from typing import Any

from cigen.yaml.load import YMap


def deep_merge(left: Any, right: Any) -> Any:
    """``left.deep_merge(right)``: a new mapping when both are mappings, else ``right``."""
    if not (isinstance(left, YMap) and isinstance(right, YMap)):
        return right
    if left is right and _plain(right):
        return right  # a mapping merged with itself: what a copy would hold
    out = YMap(right.mark)
    out.update(left)
    out.kmarks.update(left.kmarks)
    out.vmarks.update(left.vmarks)
    for key, value in right.items():
        previous = out.get(key)
        out[key] = deep_merge(previous, value) if isinstance(previous, YMap) else value
    out.kmarks.update(right.kmarks)
    out.vmarks.update(right.vmarks)
    return out


def merge_into(left: YMap, right: YMap, plain: dict[int, tuple[YMap, bool]] | None = None) -> None:
    """Make ``left`` what ``deep_merge(left, right)`` returns (its mark aside), changing only
    ``left`` itself: for a mapping being built, not one of the configuration's. ``plain``
    remembers which mappings :func:`_plain` found plain (by id, with the mapping), for
    callers that merge the same mappings again and again (a file included many times)."""
    # the keys both hold (found at C speed: ``left`` is large) whose mappings merge, then
    # every entry of ``right``; a plain mapping merged with itself stays as it is
    both = []
    for key in left.keys() & right.keys():
        previous = left[key]
        if isinstance(previous, YMap):
            value = right[key]
            if isinstance(value, YMap) and (
                value is not previous or not _plain_known(value, plain)
            ):
                both.append((key, previous, value))
    left.update(right)
    for key, previous, value in both:
        left[key] = deep_merge(previous, value)
    left.kmarks.update(right.kmarks)
    left.vmarks.update(right.vmarks)


def _plain_known(value: YMap, plain: dict[int, tuple[YMap, bool]] | None) -> bool:
    """:func:`_plain`, remembered in ``plain`` when given."""
    if plain is None:
        return _plain(value)
    known = plain.get(id(value))
    if known is None:
        known = plain[id(value)] = (value, _plain(value))
    return known[1]


def _plain(value: YMap) -> bool:
    """Whether ``value`` and the mappings it holds through mappings (those ``deep_merge``
    copies) have text keys only: then ``deep_merge(value, value)`` equals ``value``."""
    return value.rawkeys is None and all(
        _plain(item) for item in value.values() if isinstance(item, YMap)
    )
