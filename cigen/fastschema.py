"""A quick "is this valid?" for the subset of JSON Schema (draft 7) that GitLab's CI schema uses.

Most of a real configuration is valid, and proving that with jsonschema costs an import of
about 50 ms and a slow, fully general walk. :func:`is_valid` answers ``True`` only when it has
checked every keyword of every schema it met; anything it does not know makes it give up
(``None``), and ``False``/``None`` send the value to jsonschema, which then finds and describes
the errors. So this can save time but never hide an error: keywords are implemented to match
jsonschema's draft-7 semantics exactly (``integer`` accepts ``1.0``, booleans are not numbers,
``enum``/``const`` compare like jsonschema's ``equal``, ``pattern`` is ``re.search``), and
formats are not asserted, as in a jsonschema validator built without a format checker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Keywords that only annotate.
_ANNOTATIONS = frozenset(
    {
        "description",
        "markdownDescription",
        "title",
        "default",
        "examples",
        "$schema",
        "$id",
        "$comment",
        "definitions",
        "format",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)


class _Unsupported(Exception):
    """A keyword or a value this checker does not handle; jsonschema must decide."""


def _search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` is found in ``text``, on RE2 (linear time); a pattern RE2 refuses
    is jsonschema's to decide."""
    from cigen.regex import re2_search

    found = re2_search(pattern, text)
    if found is None:
        raise _Unsupported(pattern)
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if kind == "number":
        return _is_number(value)
    if kind == "integer":
        return _is_number(value) and (isinstance(value, int) or float(value).is_integer())
    raise _Unsupported(kind)


def _equal(left: Any, right: Any) -> bool:
    """jsonschema's ``equal``: booleans equal only booleans, 1 == 1.0, deep for containers."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if _is_number(left) or _is_number(right):
        return _is_number(left) and _is_number(right) and left == right
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _equal(a, b) for a, b in zip(left, right, strict=True)
        )
    raise _Unsupported("equal")


class _Checker:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.depth = 0

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#/definitions/") or "~" in ref or "%" in ref:
            raise _Unsupported(ref)
        found = self.root.get("definitions", {}).get(ref[len("#/definitions/") :])
        if found is None:
            raise _Unsupported(ref)
        return found

    def valid(self, value: Any, schema: Any) -> bool:
        if schema is True or schema == {}:
            return True
        if schema is False:
            return False
        if not isinstance(schema, dict):
            raise _Unsupported("schema")
        self.depth += 1
        try:
            if self.depth > 200:
                raise _Unsupported("depth")
            if "$ref" in schema:
                # draft 7: $ref ignores its sibling keywords
                return self.valid(value, self.resolve(schema["$ref"]))
            for key, arg in schema.items():
                if key in _ANNOTATIONS:
                    continue
                if not self.keyword(key, arg, value, schema):
                    return False
            return True
        finally:
            self.depth -= 1

    def keyword(self, key: str, arg: Any, value: Any, schema: Mapping[str, Any]) -> bool:
        if key == "type":
            kinds = arg if isinstance(arg, list) else [arg]
            return any(_type_ok(kind, value) for kind in kinds)
        if key == "enum":
            return any(_equal(value, option) for option in arg)
        if key == "const":
            return _equal(value, arg)
        if key in ("anyOf", "oneOf", "allOf"):
            results = [self.valid(value, sub) for sub in arg]
            if key == "anyOf":
                return any(results)
            if key == "allOf":
                return all(results)
            return results.count(True) == 1
        if key == "not":
            return not self.valid(value, arg)
        if key == "if":
            branch = "then" if self.valid(value, arg) else "else"
            return self.valid(value, schema.get(branch, True))
        if key in ("then", "else"):
            return True  # decided with "if"
        if isinstance(value, str):
            return self.string_keyword(key, arg, value)
        if isinstance(value, list):
            return self.array_keyword(key, arg, value)
        if isinstance(value, dict):
            return self.object_keyword(key, arg, value, schema)
        if _is_number(value) and key in _NUMBER_KEYS:
            if key == "multipleOf":
                raise _Unsupported(key)
            if key == "minimum":
                return bool(value >= arg)
            if key == "maximum":
                return bool(value <= arg)
            if key == "exclusiveMinimum":
                return bool(value > arg)
            return bool(value < arg)
        if key in _STRING_KEYS | _ARRAY_KEYS | _OBJECT_KEYS | _NUMBER_KEYS:
            return True  # applies to another type only
        raise _Unsupported(key)

    def string_keyword(self, key: str, arg: Any, value: str) -> bool:
        if key == "minLength":
            return bool(len(value) >= arg)
        if key == "maxLength":
            return bool(len(value) <= arg)
        if key == "pattern":
            return _search(arg, value)
        if key in _ARRAY_KEYS | _OBJECT_KEYS | _NUMBER_KEYS:
            return True
        raise _Unsupported(key)

    def array_keyword(self, key: str, arg: Any, value: list[Any]) -> bool:
        if key == "items":
            if isinstance(arg, list):
                raise _Unsupported("tuple items")
            return all(self.valid(item, arg) for item in value)
        if key == "minItems":
            return bool(len(value) >= arg)
        if key == "maxItems":
            return bool(len(value) <= arg)
        if key == "uniqueItems":
            if not arg:
                return True
            if all(isinstance(item, str) for item in value):
                return len(set(value)) == len(value)
            return not any(
                _equal(value[i], value[j])
                for i in range(len(value))
                for j in range(i + 1, len(value))
            )
        if key in _STRING_KEYS | _OBJECT_KEYS | _NUMBER_KEYS:
            return True
        raise _Unsupported(key)

    def object_keyword(
        self, key: str, arg: Any, value: dict[str, Any], schema: Mapping[str, Any]
    ) -> bool:
        if key == "properties":
            return all(self.valid(value[name], sub) for name, sub in arg.items() if name in value)
        if key == "required":
            return all(name in value for name in arg)
        if key == "patternProperties":
            return all(
                self.valid(item, sub)
                for pattern, sub in arg.items()
                for name, item in value.items()
                if _search(pattern, name)
            )
        if key == "additionalProperties":
            known = schema.get("properties", {})
            patterns = list(schema.get("patternProperties", {}))
            extra = [
                name
                for name in value
                if name not in known and not any(_search(p, name) for p in patterns)
            ]
            return all(self.valid(value[name], arg) for name in extra)
        if key == "maxProperties":
            return bool(len(value) <= arg)
        if key == "minProperties":
            return bool(len(value) >= arg)
        if key == "dependencies":
            for name, need in arg.items():
                if name not in value:
                    continue
                if isinstance(need, list):
                    if not all(other in value for other in need):
                        return False
                elif not self.valid(value, need):
                    return False
            return True
        if key == "propertyNames":
            return all(self.valid(name, arg) for name in value)
        if key in _STRING_KEYS | _ARRAY_KEYS | _NUMBER_KEYS:
            return True
        raise _Unsupported(key)


_STRING_KEYS = frozenset({"minLength", "maxLength", "pattern"})
_ARRAY_KEYS = frozenset(
    {"items", "minItems", "maxItems", "uniqueItems", "contains", "additionalItems"}
)
_OBJECT_KEYS = frozenset(
    {
        "properties",
        "required",
        "patternProperties",
        "additionalProperties",
        "maxProperties",
        "minProperties",
        "dependencies",
        "propertyNames",
    }
)
_NUMBER_KEYS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)


def is_valid(value: Any, schema: Any, root: Mapping[str, Any]) -> bool | None:
    """``True`` if ``value`` is certainly valid; ``False`` if not; ``None`` if not decided here."""
    try:
        return _Checker(root).valid(value, schema)
    except (_Unsupported, re.error, RecursionError, TypeError):
        return None
