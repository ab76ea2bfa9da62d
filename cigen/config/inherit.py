"""``inherit:``: ``lib/gitlab/ci/config/entry/inherit.rb``, ``inherit/default.rb`` and
``inherit/variables.rb``.

``inherit: {default: ..., variables: ...}`` says which ``default:`` keywords and which global
variables a job takes: ``true`` (all, the default), ``false`` (none) or a list. A ``default``
list may only name ``default:`` keywords; a ``variables`` list any names.
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import (
    Check,
    ConfigError,
    allowed_keys,
    flatten,
    is_array_of_strings,
    is_hash,
    location,
    ruby_text,
    type_name,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass

#: ``Inherit::ALLOWED_KEYS``.
INHERIT_KEYS = ("default", "variables")

Choice = bool | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Inherit:
    """What a job inherits: ``True``/``False`` or the listed names, for each part."""

    mark: Mark
    default: Choice = True
    variables: Choice = True

    def inherits_default(self, key: str) -> bool:
        """``Inherit::Default#inherit?``: does the job take ``default:<key>``?"""
        return self.default if isinstance(self.default, bool) else key in self.default

    def inherits_variable(self, name: str) -> bool:
        """Does the job take the global variable ``name``?"""
        return self.variables if isinstance(self.variables, bool) else name in self.variables

    def variables_taken(self, names: set[str]) -> set[str]:
        """The global variables of ``names`` the job takes (:meth:`inherits_variable` of each):
        ``names`` itself when it takes them all."""
        if isinstance(self.variables, bool):
            return names if self.variables else set()
        return names.intersection(self.variables)


#: A job without ``inherit:`` (``entry :inherit, default: {}``).
NOTHING_SET = Inherit(Mark("<default>", 1, 1))


def default_keys() -> tuple[str, ...]:
    """What ``inherit:default`` may list: ``default:``'s keywords (``Default::ALLOWED_KEYS``)."""
    from cigen.config.root import DEFAULT_KEYS  # root builds jobs with this module

    return DEFAULT_KEYS


def inherit(c: Check, value: Any, mark: Mark, loc: str) -> Inherit | None:
    """``Entry::Inherit``: a hash of ``default`` and ``variables``."""
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)
        return None
    if not allowed_keys(c, loc, value, INHERIT_KEYS, mark):
        return None
    count = len(c.errors)
    parts: dict[str, Choice] = {}
    for key in INHERIT_KEYS:
        found = value.get(key)
        if found is None:
            continue  # unspecified: the default, true
        where = value_mark(value, key, mark)
        allowed = default_keys() if key == "default" else None
        choice = _choice(c, found, where, location(loc, key), allowed)
        if choice is not None:
            parts[key] = choice
    if len(c.errors) > count:
        return None
    return Inherit(mark, **parts)


def inherit_default(c: Check, value: Any, mark: Mark, loc: str) -> Choice | None:
    """``Inherit::Default`` alone (as GitLab's spec tests it)."""
    return _choice(c, value, mark, loc, default_keys())


def inherit_variables(c: Check, value: Any, mark: Mark, loc: str) -> Choice | None:
    """``Inherit::Variables`` alone."""
    return _choice(c, value, mark, loc, None)


def _choice(
    c: Check, value: Any, mark: Mark, loc: str, allowed: tuple[str, ...] | None
) -> Choice | None:
    """``BooleanStrategy``, ``ArrayStrategy`` (strings, among ``allowed``) or unknown."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, list):
        c.errors.append(ConfigError(f"{loc} should be a bool or array of strings", mark, where=loc))
        return None
    count = len(c.errors)
    if not is_array_of_strings(value):
        c.add(loc, "config", "should be an array of strings", mark)
    if allowed is not None:
        unknown = [v for v in value if v not in allowed]
        if unknown:
            text = ", ".join(ruby_text(v) for v in flatten(unknown))  # Ruby's Array#join
            c.add(loc, "config", "contains unknown values: " + text, mark)
    if len(c.errors) > count:
        return None
    return tuple(value)
