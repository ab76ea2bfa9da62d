"""GitLab's ``deep_merge`` (ActiveSupport ``Hash#deep_merge``) over positioned data.

Mappings merge key by key at any depth; everything else (lists, scalars, ``null``) in the
right-hand side replaces the left-hand value. Positions follow the value that wins.
"""

from __future__ import annotations

from typing import Any

from cigen.yamlload import YMap


def deep_merge(left: Any, right: Any) -> Any:
    """``left.deep_merge(right)``: a new mapping when both are mappings, else ``right``."""
    if not (isinstance(left, YMap) and isinstance(right, YMap)):
        return right
    out = YMap(right.mark)
    for key, value in left.items():
        out.put(key, value, left.key_mark(key), left.value_mark(key))
    for key, value in right.items():
        merged = deep_merge(out[key], value) if key in out else value
        out.put(key, merged, right.key_mark(key), right.value_mark(key))
    return out
