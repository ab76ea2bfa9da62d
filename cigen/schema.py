"""Validate configuration documents against GitLab's CI JSON schema, with positions.

The schema is GitLab's own ``ci.json`` as shipped in check-jsonschema's package data (or a file
given with ``--schema``). Each error's JSON path is walked down the positioned document, so an
unknown key is reported at that key and a wrong value at that value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cigen.diagnostics import Mark
from cigen.yamlload import YMap, YSeq

_MAX_SHOWN = 60


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    mark: Mark
    message: str
    job: str | None
    anchor: str


def make_validator(schema: Mapping[str, Any]) -> Any:
    """A jsonschema validator for ``schema`` (draft from its ``$schema``, else draft 7)."""
    import jsonschema  # noqa: PLC0415 - imported only when a schema check runs

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)


def validate(body: Any, validator: Any, path: str) -> Iterator[SchemaIssue]:
    """Every schema error in one document, located in the file."""
    doc_mark = body.mark if isinstance(body, (YMap, YSeq)) else Mark(path, 1, 1)
    for error in validator.iter_errors(body):
        issue = _issue(error, body, doc_mark)
        if issue is not None:
            yield issue


#: Lists GitLab flattens before validating (nested lists come from anchors and !reference);
#: GitLab's own pipeline relies on this for services, cache and needs.
_FLATTENED = frozenset(
    {"script", "before_script", "after_script", "rules", "stages", "services", "cache",
     "needs", "pre_get_sources_script"}
)


def normalize(value: Any, key: str = "") -> Any:
    """The value as GitLab's entry validation sees it.

    * a ``null`` mapping value counts as unspecified (``Gitlab::Config::Entry::Factory``), so
      the key is dropped;
    * nested lists in ``script``, ``rules``, ``stages``, ``services``, ``cache``, ``needs`` and
      the ``*_script`` keys are flattened (anchors and ``!reference`` produce them);
    * integer variable values (plain or as ``value:``) are accepted and stringified.
    """
    if isinstance(value, YMap):
        out = YMap(value.mark)
        for name, item in value.items():
            if item is None:
                continue
            if key == "variables":
                item = _variable(item)
            out.put(name, normalize(item, name), value.key_mark(name), value.value_mark(name))
        return out
    if isinstance(value, YSeq):
        seq = YSeq(value.mark)
        _extend(seq, value, key in _FLATTENED)
        return seq
    return value


def _variable(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, YMap) and isinstance(value.get("value"), int):
        if not isinstance(value["value"], bool):
            out = YMap(value.mark)
            for name, item in value.items():
                out.put(name, _variable(item) if name == "value" else item,
                        value.key_mark(name), value.value_mark(name))
            return out
    return value


def _extend(seq: YSeq, value: YSeq, flat: bool) -> None:
    for index, item in enumerate(value):
        if flat and isinstance(item, YSeq):
            _extend(seq, item, flat)
        else:
            seq.push(normalize(item), value.item_mark(index))


def validate_entries(
    config: YMap, validator: Any, memo: dict[str, list[Any]]
) -> Iterator[SchemaIssue]:
    """Validate each top-level key of a resolved configuration on its own.

    GitLab validates every top-level key as its own entry, so this is exact, and identical
    entries (common in generated pipelines) are validated once per run through ``memo``.
    """
    import json  # noqa: PLC0415

    for name, raw in config.items():
        value = normalize(raw, name) if name != "variables" else normalize(raw, "variables")
        doc = YMap(config.mark)
        doc.put(name, value, config.key_mark(name), config.value_mark(name))
        if name.startswith("."):
            slot = "."
        elif name in validator.schema.get("properties", {}):
            slot = name
        else:
            slot = "*"
        key = slot + "\x00" + json.dumps(value, sort_keys=True, default=str)
        if key not in memo:
            probe = {("x" if slot == "*" else name): value}
            memo[key] = list(validator.iter_errors(probe))
        for error in memo[key]:
            issue = _issue(error, doc, config.mark, rename=name)
            if issue is not None:
                yield issue


def _short(value: Any) -> str:
    if isinstance(value, (dict, list)):
        text = "a mapping" if isinstance(value, dict) else "a list"
        return text
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _where(path: Sequence[Any]) -> str:
    if not path:
        return "the configuration"
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(body: Any, path: Sequence[Any], doc_mark: Mark) -> tuple[Mark, Any, Any, Any]:
    """Mark of the value at ``path``, the value, and its parent container and key."""
    node, parent, key = body, None, None
    mark = doc_mark
    for part in path:
        parent, key = node, part
        if isinstance(node, YMap) and part in node:
            mark = node.value_mark(part)
            node = node[part]
        elif isinstance(node, YSeq) and isinstance(part, int) and part < len(node):
            mark = node.item_mark(part)
            node = node[part]
        else:
            break
    return mark, node, parent, key


def _best(error: Any) -> Any:
    """Descend into anyOf/oneOf to the most specific error, as jsonschema's best_match does."""
    import jsonschema  # noqa: PLC0415

    while error.context and error.validator in ("anyOf", "oneOf"):
        deeper = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)]
        pool = deeper or list(error.context)
        candidate = jsonschema.exceptions.best_match(pool)
        if candidate is None or candidate is error:
            break
        if not deeper and candidate.validator in ("type", "anyOf", "oneOf"):
            break
        error = candidate
    return error


def _issue(error: Any, body: Any, doc_mark: Mark, rename: str | None = None) -> SchemaIssue | None:
    error = _best(error)
    path = list(error.absolute_path)
    if rename is not None and path:
        path[0] = rename
    if error.validator == "pattern" and isinstance(error.instance, str) and "$" in error.instance:
        return None  # a value with a variable is expanded by GitLab; it cannot be checked here
    mark, value, _parent, _key = _locate(body, path, doc_mark)
    where = _where(path)
    job = path[0] if path and isinstance(path[0], str) else None
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, YMap):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        patterns = error.schema.get("patternProperties", {})
        if patterns:
            import re  # noqa: PLC0415

            extra = [k for k in extra if not any(re.search(p, k) for p in patterns)]
        if extra:
            name = extra[0]
            return SchemaIssue(
                value.key_mark(name),
                f"{where} has unknown key '{name}'; check the spelling or move it to the "
                "right place",
                job,
                f"{where}.{name}",
            )
    if kind == "required":
        missing = [k for k in error.validator_value if not (isinstance(value, dict) and k in value)]
        name = missing[0] if missing else "?"
        message = f"{where} is missing the required key '{name}'"
    elif kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        message = f"{where} must be {_article(expected)}, not {_short(value)}"
    elif kind == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        message = f"{where}: {_short(value)} is not one of: {options}"
    elif kind == "const":
        message = f"{where} must be {error.validator_value!r}"
    elif kind in ("anyOf", "oneOf"):
        message = f"{where}: {_short(value)} is not a valid value here"
    elif kind == "not":
        message = f"{where}: {_short(value)} is not allowed here"
    elif kind == "pattern":
        message = f"{where}: {_short(value)} does not match {error.validator_value}"
    else:
        text = error.message
        if len(text) > 200:
            text = text[:197] + "..."
        message = f"{where}: {text}"
    return SchemaIssue(mark, message + " (GitLab CI schema)", job, where)


def _article(expected: str) -> str:
    if expected in ("object",):
        return "a mapping"
    if expected == "array":
        return "a list"
    return ("an " if expected[:1] in "aeiou" else "a ") + expected
