"""The JSON schema check some of GitLab's entries run, with json_schemer's own messages.

GitLab validates a few entry values against JSON schemas of its own
(``lib/gitlab/ci/config/entry/schemas/**``, through ``JsonSchemaValidator`` with
``detail_errors: true`` and ``hash_conversion: true``): each error is json_schemer's "classic"
output text, e.g. ``object at root is missing required properties: namespace``. This module
implements the keywords those schemas use (``type``, ``properties``, ``required``,
``additionalProperties``, ``minLength``, ``maxLength``) and reports in json_schemer's order: the
keywords in the order the schema writes them, depth first. The texts are those of the
json_schemer GitLab runs (its specs show ``object property at `/x` is a disallowed additional
property``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

#: ``JsonSchemaValidator``'s ``size_limit: 64.kilobytes``, and how Rails prints it.
SIZE_LIMIT = 64 * 1024
SIZE_MESSAGE = "is too large. Maximum size allowed is 64 KB"

_ARTICLE_TYPES = {
    "boolean": "a boolean",
    "number": "a number",
    "integer": "an integer",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}


def too_large(value: Any) -> bool:
    """True when the JSON text of ``value`` is over :data:`SIZE_LIMIT` bytes."""
    import json

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode("utf-8")) > SIZE_LIMIT


def errors(schema: Mapping[str, Any], instance: Any) -> list[str]:
    """json_schemer's classic error messages for ``instance``, in its order."""
    return [text for text, _ in located_errors(schema, instance)]


def located_errors(
    schema: Mapping[str, Any], instance: Any
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Each message of :func:`errors` with the path of the value it is about (for a position)."""
    return _schema(schema, instance, ())


def _where(path: Sequence[str]) -> str:
    if not path:
        return "root"
    pointer = "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)
    return f"`{pointer}`"


def _schema(
    schema: Any, instance: Any, path: tuple[str, ...]
) -> Iterator[tuple[str, tuple[str, ...]]]:
    if schema is False:
        return  # only reachable through additionalProperties, which words its own message
    if not isinstance(schema, Mapping):
        return
    for keyword, value in schema.items():
        yield from _keyword(keyword, value, schema, instance, path)


def _keyword(
    keyword: str, value: Any, schema: Mapping[str, Any], instance: Any, path: tuple[str, ...]
) -> Iterator[tuple[str, tuple[str, ...]]]:
    where = _where(path)
    if keyword == "type":
        if not _has_type(value, instance):
            yield _type_message(value, where), path
    elif keyword == "properties" and isinstance(instance, dict):
        for name, sub in value.items():
            if name in instance:
                yield from _schema(sub, instance[name], (*path, str(name)))
    elif keyword == "required" and isinstance(instance, dict):
        missing = [name for name in value if name not in instance]
        if missing:
            yield f"object at {where} is missing required properties: {', '.join(missing)}", path
    elif keyword == "additionalProperties" and isinstance(instance, dict):
        known = schema.get("properties") or {}
        for name, item in instance.items():
            if name in known:
                continue
            inner = (*path, str(name))
            if value is False:
                text = f"object property at {_where(inner)} is a disallowed additional property"
                yield text, inner
            else:
                yield from _schema(value, item, inner)
    elif keyword == "minLength" and isinstance(instance, str) and len(instance) < value:
        yield f"string length at {where} is less than: {value}", path
    elif keyword == "maxLength" and isinstance(instance, str) and len(instance) > value:
        yield f"string length at {where} is greater than: {value}", path


def _type_message(kind: Any, where: str) -> str:
    if isinstance(kind, list):
        listed = ", ".join(f'"{k}"' for k in kind)
        return f"value at {where} is not one of the types: [{listed}]"
    if kind == "null":
        return f"value at {where} is not null"
    return f"value at {where} is not {_ARTICLE_TYPES.get(kind, kind)}"


def _has_type(kind: Any, instance: Any) -> bool:
    if isinstance(kind, list):
        return any(_has_type(k, instance) for k in kind)
    number = isinstance(instance, (int, float)) and not isinstance(instance, bool)
    checks = {
        "null": instance is None,
        "boolean": isinstance(instance, bool),
        "number": number,
        "integer": number and (isinstance(instance, int) or float(instance).is_integer()),
        "string": isinstance(instance, str),
        "array": isinstance(instance, list),
        "object": isinstance(instance, dict),
    }
    return checks.get(kind, True)
