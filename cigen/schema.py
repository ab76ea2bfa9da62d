"""Validate configuration documents against GitLab's CI JSON schema, with positions.

The schema is GitLab's own ``ci.json`` as shipped in check-jsonschema's package data (or a file
given with ``--schema``). Each error's JSON path is walked down the positioned document, so an
unknown key is reported at that key and a wrong value at that value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cigen.diagnostics import Mark
from cigen.model import FLATTENED_KEYS, looks_like_job
from cigen.records import dataclass
from cigen.yaml.load import YMap, YSeq

_MAX_SHOWN = 60


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    mark: Mark
    message: str
    job: str | None
    anchor: str


class SchemaChecker:
    """A jsonschema validator built only when a quick check fails.

    Looks like a jsonschema validator to :func:`validate` (``schema``, ``evolve``,
    ``iter_errors``). Without ``schema``, GitLab's schema from check-jsonschema's package data
    is read when first needed (a configuration without ``include:`` never needs it).
    """

    def __init__(self, schema: Mapping[str, Any] | None = None) -> None:
        self._schema = schema
        self._validator: Any = None

    @property
    def schema(self) -> Mapping[str, Any]:
        if self._schema is None:
            from cigen.resources import gitlab_ci_schema

            self._schema = gitlab_ci_schema()
        return self._schema

    @property
    def validator(self) -> Any:
        if self._validator is None:
            self._validator = make_validator(self.schema)
        return self._validator

    def evolve(self, **changes: Any) -> Any:
        return self.validator.evolve(**changes)

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        return iter(self.validator.iter_errors(instance))


def _errors(
    validator: Any,
    memo: dict[str, list[Any]],
    key: str,
    instance: Any,
    subschema: Any = None,
) -> list[Any]:
    """Errors of ``instance`` (against ``subschema`` if given), checked once per run."""
    if key in memo:
        return memo[key]
    from cigen.fastschema import is_valid

    root = validator.schema
    if is_valid(instance, subschema if subschema is not None else root, root) is True:
        errors: list[Any] = []
    else:
        checker = validator.evolve(schema=subschema) if subschema is not None else validator
        errors = list(checker.iter_errors(instance))
    memo[key] = errors
    return errors


def make_validator(schema: Mapping[str, Any]) -> Any:
    """A jsonschema validator for ``schema`` (draft from its ``$schema``, else draft 7)."""
    import jsonschema

    from cigen.regex import linear_validator

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return linear_validator(cls)(schema)


def validate(
    body: Any, validator: Any, path: str, memo: dict[str, list[Any]] | None = None
) -> Iterator[SchemaIssue]:
    """Every schema error in one document, located in the file."""
    doc_mark = body.mark if isinstance(body, (YMap, YSeq)) else Mark(path, 1, 1)
    key = "doc\x00" + _canonical(body)
    for error in _errors(validator, {} if memo is None else memo, key, body):
        issue = _issue(error, body, doc_mark)
        if issue is not None:
            yield issue


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
        _extend(seq, value, key in FLATTENED_KEYS)
        return seq
    return value


def _variable(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, YMap) and isinstance(value.get("value"), int):
        if not isinstance(value["value"], bool):
            out = YMap(value.mark)
            for name, item in value.items():
                out.put(
                    name,
                    _variable(item) if name == "value" else item,
                    value.key_mark(name),
                    value.value_mark(name),
                )
            return out
    return value


def _extend(seq: YSeq, value: YSeq, flat: bool) -> None:
    for index, item in enumerate(value):
        if flat and isinstance(item, YSeq):
            _extend(seq, item, flat)
        else:
            seq.push(normalize(item), value.item_mark(index))


def _job_schema(validator: Any) -> Mapping[str, Any] | None:
    """GitLab's ``job_template`` definition, when the schema has the usual shape."""
    schema = validator.schema
    try:
        ref = schema["additionalProperties"]["$ref"]
        job = schema["definitions"][ref.rsplit("/", 1)[-1]]
        inner = job["allOf"][0]["$ref"] if "allOf" in job else None
        template = schema["definitions"][inner.rsplit("/", 1)[-1]] if inner else job
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    if not isinstance(template.get("properties"), dict):
        return None
    result: Mapping[str, Any] = template
    return result


def _canonical(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


_ARRAY_KEYS = frozenset({"type", "items", "markdownDescription", "description"})


def _plain_array(root: Mapping[str, Any], schema: Any) -> Mapping[str, Any] | None:
    """``schema`` (after ``$ref``) when it only says "an array of items like X"."""
    for _ in range(8):
        if not isinstance(schema, dict) or "$ref" not in schema:
            break
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/definitions/"):
            return None
        schema = root.get("definitions", {}).get(ref.rsplit("/", 1)[-1])
    if not isinstance(schema, dict) or not set(schema) <= _ARRAY_KEYS:
        return None
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if (
        not isinstance(kinds, list)
        or "array" not in kinds
        or not isinstance(schema.get("items"), dict)
    ):
        return None
    result: Mapping[str, Any] = schema
    return result


def _validate_items(
    name: str,
    key: str,
    value: list[Any],
    doc: YMap,
    validator: Any,
    array: Mapping[str, Any],
    memo: dict[str, list[Any]],
) -> Iterator[SchemaIssue]:
    """Each item of a list on its own: shared rules and scripts are validated once."""
    item_schema = array["items"]
    for index, item in enumerate(value):
        memo_key = "item." + key + "\x00" + _canonical(item)
        found = _errors(
            validator,
            memo,
            memo_key,
            item,
            item_schema,
        )
        for error in found:
            issue = _issue(error, doc, doc.mark, prefix=[name, key, index])
            if issue is not None:
                yield issue


def validate_entries(
    config: YMap, validator: Any, memo: dict[str, list[Any]]
) -> Iterator[SchemaIssue]:
    """Validate each top-level key of a resolved configuration on its own.

    GitLab validates every top-level key as its own entry, so this is exact. Jobs are checked
    key by key against GitLab's ``job_template`` definition, so a value shared by many jobs
    through ``extends`` or ``!reference`` (common: rules, images, caches) is validated once per
    run through ``memo``. Hidden keys are never rejected by the schema and are skipped.
    """
    job_schema = _job_schema(validator)
    properties = validator.schema.get("properties", {})
    known = getattr(validator, "known_valid", None)
    for name, raw in config.items():
        if name.startswith("."):
            continue
        as_job = name not in properties or (name in ("default", "workflow") and looks_like_job(raw))
        # A whole entry seen valid before (this run or, through the cache, an earlier one) is
        # skipped without normalizing it: the common case for a pre-commit hook.
        whole = ("entry.job" if as_job else "entry." + name) + "\x00" + _canonical(raw)
        stamp = validator.digest_of(whole) if known is not None else ""
        if memo.get(whole) == [] or (known is not None and stamp in known):
            continue
        value = normalize(raw, name)
        doc = YMap(config.mark)
        doc.put(name, value, config.key_mark(name), config.value_mark(name))
        if as_job and job_schema is not None and isinstance(value, YMap):
            issues = list(_validate_job(name, value, doc, validator, job_schema, memo))
            if not issues:
                memo[whole] = []
                if known is not None:
                    validator.learned.add(stamp)
            yield from issues
            continue
        slot = name if name in properties else "*"
        key = slot + "\x00" + _canonical(value)
        probe = {("x" if slot == "*" else name): value}
        for error in _errors(validator, memo, key, probe):
            issue = _issue(error, doc, config.mark, prefix=[name], drop=1)
            if issue is not None:
                yield issue


def _validate_job(
    name: str,
    job: YMap,
    doc: YMap,
    validator: Any,
    job_schema: Mapping[str, Any],
    memo: dict[str, list[Any]],
) -> Iterator[SchemaIssue]:
    allowed = job_schema["properties"]
    for key in job:
        if key not in allowed:
            yield SchemaIssue(
                job.key_mark(key),
                f"{name} has unknown key '{key}'; check the spelling or move it to the right place",
                name,
                f"{name}.{key}",
            )
    for key, value in job.items():
        if key not in allowed:
            continue
        array = _plain_array(validator.schema, allowed[key])
        if array is not None and isinstance(value, list):
            yield from _validate_items(name, key, value, doc, validator, array, memo)
            continue
        memo_key = "job." + key + "\x00" + _canonical(value)
        sub = allowed[key]
        found = _errors(validator, memo, memo_key, value, sub)
        for error in found:
            issue = _issue(error, doc, doc.mark, prefix=[name, key])
            if issue is not None:
                yield issue
    combined = {k: v for k, v in job_schema.items() if k in ("oneOf", "anyOf", "allOf", "not")}
    if combined:
        probe = {k: job[k] for k in ("when", "start_in") if k in job}
        memo_key = "job.combined\x00" + _canonical(probe)
        found = _errors(validator, memo, memo_key, probe, combined)
        for error in found:
            issue = _issue(error, doc, doc.mark, prefix=[name])
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
    import jsonschema

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


def _issue(
    error: Any,
    body: Any,
    doc_mark: Mark,
    prefix: Sequence[Any] = (),
    drop: int = 0,
) -> SchemaIssue | None:
    """A located issue; ``prefix`` replaces the first ``drop`` parts of the error's path."""
    error = _best(error)
    path = [*prefix, *list(error.absolute_path)[drop:]]
    if error.validator == "pattern" and isinstance(error.instance, str) and "$" in error.instance:
        return None  # a value with a variable is expanded by GitLab; it cannot be checked here
    if path[:1] == ["include"] and isinstance(error.instance, str) and "*" in error.instance:
        return None  # GitLab documents wildcard string includes; the editor schema rejects them
    mark, value, _parent, _key = _locate(body, path, doc_mark)
    where = _where(path)
    job = path[0] if path and isinstance(path[0], str) else None
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, YMap):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        patterns = error.schema.get("patternProperties", {})
        if patterns:
            from cigen.regex import re2_search

            extra = [k for k in extra if not any(re2_search(p, k) for p in patterns)]
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
