"""Read cigen.yml: load it with positions, validate it against ``cigen.schema.json``.

Every problem is a :class:`~cigen.errors.CigenError` whose message starts with
``cigen.yml:LINE:COL:`` and says what is allowed there. The schema helpers here
(:func:`make_validator`, :func:`first_error`) are shared with preset files and parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from cigen.diagnostics import Mark
from cigen.errors import CigenError
from cigen.records import dataclass, field
from cigen.yaml.load import Reference, YMap, YSeq, load_text, to_plain

__all__ = [
    "Gate",
    "JobSpec",
    "Spec",
    "SpecErrors",
    "all_errors",
    "did_you_mean",
    "first_error",
    "load_spec",
    "load_yaml",
    "locate",
    "make_validator",
    "parse_yaml",
    "problem",
    "specific",
    "where",
]

SCHEMA_RESOURCE = "cigen.schema.json"
#: ``workflow:`` when cigen.yml does not say: branch and tag pipelines, no merge-request ones.
DEFAULT_WORKFLOW = "branches"


class SpecErrors(CigenError):
    """Every problem found in a cigen.yml (and the presets it uses), each one a
    ``path:line:col: message`` line, in file order."""

    def __init__(self, messages: tuple[str, ...]) -> None:
        ordered = tuple(sorted(dict.fromkeys(messages), key=_position))
        super().__init__("\n".join(ordered))
        self.messages = ordered


_POSITION = re.compile(r":(\d+):(\d+): ")


def _position(message: str) -> tuple[int, int]:
    found = _POSITION.search(message)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


@dataclass(frozen=True)
class Gate:
    """``gate:``: the job runs on ``branches`` (any when empty) and, with a ``flag``, only while
    that variable is ``"true"``; ``style`` says whether it is written as ``rules`` or ``only``."""

    branches: tuple[str, ...]
    flag: str | None
    default: bool | None
    style: str
    node: YMap = field(compare=False, repr=False)


@dataclass(frozen=True)
class JobSpec:
    """One entry of ``jobs:``; ``extra`` holds the GitLab job keys to merge over the preset."""

    name: str
    preset: str
    params: Mapping[str, Any]
    gate: Gate | None
    extra: Mapping[str, Any]
    node: YMap = field(compare=False, repr=False)

    @property
    def mark(self) -> Mark:
        return self.node.mark


@dataclass(frozen=True)
class Spec:
    """A validated cigen.yml."""

    path: Path
    label: str
    registry: str | None
    workflow: str
    runners: Path | None
    stages: tuple[str, ...] | None
    variables: Mapping[str, Any]
    jobs: tuple[JobSpec, ...]
    node: YMap = field(compare=False, repr=False)
    #: Schema problems of jobs left out of ``jobs``, reported with the others found later.
    problems: tuple[str, ...] = ()

    @property
    def folder(self) -> Path:
        return self.path.parent


def where(mark: Mark) -> str:
    return f"{mark.path}:{mark.line}:{mark.col}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` (empty when none is close)."""
    import difflib

    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close and len(word) >= 3:
        close = [c for c in options if c.startswith(word) or word.startswith(c)][:1]
    return f"; did you mean {close[0]!r}?" if close else ""


# --- loading ---------------------------------------------------------------------------------


def load_yaml(path: Path, label: str, what: str, *, root: Path | None = None) -> Any:
    """The positioned data of a YAML file named on the command line, read inside ``root``
    (default: its folder); any problem is a located :class:`CigenError`."""
    from cigen.project import read_file

    base = root if root is not None else path.parent
    data = read_file(path, root=base, what=what, explicit=True, label=label)
    assert data is not None
    return parse_yaml(data, label)


def parse_yaml(data: bytes, label: str) -> Any:
    """Positioned data from YAML bytes; any load problem is a located :class:`CigenError`."""
    loaded = load_text(label, data)
    if loaded.problems:
        lines = data.decode("utf-8", "replace").splitlines()
        raise SpecErrors(
            tuple(
                f"{where(problem.mark)}: {problem.message}{_tab_hint(lines, problem)}"
                for problem in loaded.problems
            )
        )
    _reject_references(loaded.body, label)
    return loaded.body


def _tab_hint(lines: Sequence[str], problem: Any) -> str:
    """Words for libyaml's complaint about a tab: YAML indents with spaces only."""
    index = problem.mark.line - 1
    line = lines[index] if 0 <= index < len(lines) else ""
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    if "\t" in indent or "'\\t'" in problem.message:
        return " (a tab: YAML indents with spaces only; use spaces)"
    return ""


def _reject_references(value: Any, label: str) -> None:
    if isinstance(value, Reference):
        raise CigenError(f"{where(value.mark)}: !reference is not supported in {label}")
    if isinstance(value, dict):
        for item in value.values():
            _reject_references(item, label)
    elif isinstance(value, list):
        for item in value:
            _reject_references(item, label)


def load_spec(path: Path, label: str | None = None, *, root: Path | None = None) -> Spec:
    """Read and validate cigen.yml at ``path`` (inside ``root``); ``label`` names it."""
    label = label if label is not None else path.as_posix()
    body = load_yaml(path, label, "cigen.yml", root=root)
    if not isinstance(body, YMap):
        got = "an empty file" if body is None else _kind(body)
        raise CigenError(f"{label}:1:1: cigen.yml is a mapping with a 'jobs' key, got {got}")
    errors = all_errors(make_validator(_runtime_schema()), body)
    messages = tuple(f"{where(error_mark(body, error))}: {describe(error)}" for error in errors)
    bad_jobs = {
        str(error.absolute_path[1])
        for error in errors
        if len(error.absolute_path) > 1 and error.absolute_path[0] == "jobs"
    }
    if len(bad_jobs) < len(errors) or bad_jobs == set(body["jobs"]):
        # a problem outside the jobs: what it holds would mislead the checks of the jobs
        raise SpecErrors(messages)
    runners = body.get("runners")
    stages = body.get("stages")
    return Spec(
        path=path,
        label=label,
        registry=body.get("registry"),
        workflow=body.get("workflow", DEFAULT_WORKFLOW),
        runners=(path.parent / runners) if runners is not None else None,
        stages=tuple(stages) if stages is not None else None,
        variables=to_plain(body.get("variables") or {}),
        jobs=tuple(_job(name, node) for name, node in body["jobs"].items() if name not in bad_jobs),
        node=body,
        problems=messages,
    )


@cache
def _runtime_schema() -> dict[str, Any]:
    """``cigen.schema.json`` without the ``with:`` types it has for editors.

    Those (``$defs.job.allOf`` and the top-level ``allOf``, written from the built-in presets by
    :func:`cigen.generate.presets.editor_schema`) would judge a project preset that replaces a
    built-in one by the built-in's parameters; cigen checks ``with:`` against the presets it
    loads instead (:func:`cigen.generate.presets.resolve_params`), at the parameter's line.
    """
    from cigen.resources import own_schema

    schema = {k: v for k, v in own_schema(SCHEMA_RESOURCE).items() if k != "allOf"}
    defs = dict(schema["$defs"])
    defs["job"] = {k: v for k, v in defs["job"].items() if k != "allOf"}
    schema["$defs"] = defs
    return schema


def _job(name: str, node: YMap) -> JobSpec:
    gate_node = node.get("gate")
    gate = None
    if isinstance(gate_node, YMap):
        gate = Gate(
            branches=tuple(gate_node.get("branches") or ()),
            flag=gate_node.get("flag"),
            default=gate_node.get("default"),
            style=gate_node.get("style", "rules"),
            node=gate_node,
        )
    extra = {k: to_plain(v) for k, v in node.items() if k not in ("preset", "with", "gate")}
    return JobSpec(
        name=name,
        preset=node["preset"],
        params=to_plain(node.get("with") or {}),
        gate=gate,
        extra=extra,
        node=node,
    )


# --- JSON Schema helpers -----------------------------------------------------------------------


def make_validator(schema: Mapping[str, Any]) -> Any:
    """A Draft 2020-12 validator whose ``pattern`` follows ECMA-262: ``$`` is the very end.

    Python's ``re`` lets ``$`` match before a final newline, so ``^[a-z]+$`` would accept
    ``"abc\\n"``; parameter patterns are there to keep newlines out.
    """
    return _validator_class()(schema)


@cache
def _validator_class() -> Any:
    """Draft 2020-12 whose patterns run on RE2, where ``$`` is the very end (as in ECMA-262,
    not before a final newline as in Python's ``re``): linear time, whoever wrote them."""
    import jsonschema

    from cigen.regex import linear_validator

    return linear_validator(jsonschema.Draft202012Validator)


def all_errors(validator: Any, instance: YMap) -> list[Any]:
    """Every error, the most specific form of each, in file order, one per place and message."""
    found: dict[tuple[int, int, str], Any] = {}
    for error in validator.iter_errors(instance):
        error = specific(error)
        mark = error_mark(instance, error)
        found.setdefault((mark.line, mark.col, describe(error)), error)
    return [found[key] for key in sorted(found)]


def first_error(validator: Any, instance: Any) -> Any:
    """The error to report first: the earliest in the file, then the most specific."""
    from jsonschema.exceptions import best_match

    errors = [specific(error) for error in validator.iter_errors(instance)]
    if not errors:
        return None
    if not isinstance(instance, (YMap, YSeq)):
        return best_match(errors)

    def key(error: Any) -> tuple[int, int, int]:
        mark = error_mark(instance, error)
        return (mark.line, mark.col, -len(error.absolute_path))

    return min(errors, key=key)


def specific(error: Any) -> Any:
    """For a ``oneOf``/``anyOf`` failure, the error inside the one alternative that was meant.

    The alternative meant is the only one whose ``required`` keys are all present; when that
    is not clear, the error itself is kept.
    """
    while error.validator in ("oneOf", "anyOf") and error.context:
        branches = error.validator_value
        meant = [
            index
            for index, branch in enumerate(branches)
            if isinstance(branch, dict)
            and isinstance(error.instance, dict)
            and branch.get("required")
            and all(key in error.instance for key in branch["required"])
        ]
        if len(meant) != 1:
            return error
        inner = [e for e in error.context if e.relative_schema_path[0] == meant[0]]
        if not inner:  # pragma: no cover - a failing alternative always has an error
            return error
        error = min(inner, key=lambda e: (-len(e.absolute_path), str(e.message)))
    return error


def locate(root: Any, path: Sequence[str | int], *, key: bool = False) -> Mark:
    """Position of the value at ``path`` below ``root`` (of its key, with ``key=True``)."""
    node = root
    mark: Mark = root.mark
    for index, step in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, YMap) and isinstance(step, str) and step in node:
            mark = node.key_mark(step) if (last and key) else node.value_mark(step)
            node = node[step]
        elif isinstance(node, YSeq) and isinstance(step, int) and 0 <= step < len(node):
            mark = node.item_mark(step)
            node = node[step]
        else:
            break
    return mark


def error_mark(root: Any, error: Any) -> Mark:
    """Where a validation error points: the offending key for unknown or invalid keys."""
    path = list(error.absolute_path)
    name = _bad_key(error)
    if name is not None:
        return locate(root, [*path, name], key=True)
    return locate(root, path)


def _bad_key(error: Any) -> str | None:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = [key for key in error.instance if key not in allowed]
        return str(extra[0]) if extra else None
    if "propertyNames" in error.relative_schema_path and isinstance(error.instance, str):
        return error.instance
    return None


def describe(error: Any) -> str:
    """The problem in words, with what is allowed; prefixed by the dotted data path."""
    path = ".".join(str(p) for p in error.absolute_path)
    prefix = f"{path}: " if path else ""
    return prefix + problem(error)


def problem(error: Any) -> str:
    validator, instance, schema = error.validator, error.instance, error.schema
    if "propertyNames" in error.relative_schema_path and isinstance(instance, str):
        if validator == "not" and "enum" in error.validator_value:
            return f"the name {instance!r} is reserved by GitLab"
        if validator == "pattern":
            return f"the name {instance!r} is not {_form(error)}"
        return f"the name {instance!r} is not allowed: {error.message}"
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {}))
        extra = [str(key) for key in instance if key not in allowed]
        hint = did_you_mean(extra[0], allowed)
        return f"unknown key {extra[0]!r}{hint} (allowed: {', '.join(allowed)})"
    if validator == "required":
        missing = [k for k in error.validator_value if k not in instance]
        return f"missing key {missing[0]!r}" if missing else error.message
    if validator == "type":
        quote = ""
        if isinstance(instance, (bool, int, float)) and "string" in str(error.validator_value):
            quote = f' (in quotes it is the string: "{scalar_words(instance)}")'
        return f"expected {_type_words(error.validator_value)}, got {_kind(instance)}{quote}"
    if validator == "enum":
        choices = ", ".join(repr(v) for v in error.validator_value)
        hint = ""
        if isinstance(instance, str):
            hint = did_you_mean(instance, [v for v in error.validator_value if isinstance(v, str)])
        return f"{instance!r} is not allowed{hint} (allowed: {choices})"
    if validator == "const":
        return f"{instance!r} is not allowed (expected {error.validator_value!r})"
    if validator == "not":
        return f"{instance!r} is not allowed here"
    if validator == "pattern":
        return f"{instance!r} is not {_form(error)}"
    if validator in ("oneOf", "anyOf"):
        first: dict[Any, str] = {}
        for inner in error.context:
            first.setdefault(inner.relative_schema_path[0], problem(inner))
        forms = "; or ".join(dict.fromkeys(first[k] for k in sorted(first)))
        hint = schema.get("description")
        return f"fits none of the allowed forms: {forms or error.message}" + (
            f" ({hint})" if hint else ""
        )
    return str(error.message)


#: Schema key: in words, what a value with a ``pattern`` looks like (shown instead of the
#: regular expression).
FORM = "x-cigen-form"


def _form(error: Any) -> str:
    """What a ``pattern`` asks for, in words."""
    form = error.schema.get(FORM) if isinstance(error.schema, Mapping) else None
    if isinstance(form, str):
        return form
    if isinstance(error.instance, str) and "\n" in error.instance:
        return "allowed here: it must be one line"
    return "in the form this value takes (it has characters or a shape not allowed here)"


def scalar_words(value: object) -> str:
    """A YAML scalar as GitLab would read it once quoted (``true``, ``1``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _type_words(expected: object) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)  # type: ignore[call-overload]
    return " or ".join(_TYPE_WORDS.get(str(name), str(name)) for name in names)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
