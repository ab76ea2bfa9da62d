"""``spec:inputs`` headers and ``$[[ inputs.x ]]`` interpolation (semantics doc 2.4).

:func:`bind` checks the inputs given to an include against the file's ``spec:inputs`` header and
returns the values to use; :func:`interpolate` rewrites the file body (keys and values) with them.
Both are pure; problems come back as :class:`InputProblem` values, never as exceptions.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cigen.diagnostics import Mark
from cigen.yaml.load import Reference, YMap, YSeq, scalar_text

BLOCK = re.compile(r"\$\[\[\s*(\S.*?\S)\s*\]\]")
_TYPES = ("string", "number", "boolean", "array")
MAX_BLOCKS = 10_000


@dataclass(frozen=True, slots=True)
class InputProblem:
    mark: Mark
    message: str


def _spec_inputs(header: YMap | None) -> YMap | None:
    if header is None:
        return None
    spec = header.get("spec")
    if not isinstance(spec, YMap):
        return None
    inputs = spec.get("inputs")
    return inputs if isinstance(inputs, YMap) else None


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, list)


def _regex_matches(pattern: str, value: str) -> bool | None:
    try:
        import re2

        return re2.search(pattern, value) is not None
    except ImportError:  # pragma: no cover - google-re2 is a dependency
        return re.search(pattern, value) is not None
    except Exception:
        return None


def bind(
    header: YMap | None,
    given: Mapping[str, Any] | None,
    given_mark: Mark,
    *,
    root_file: bool = False,
) -> tuple[dict[str, Any] | None, list[InputProblem]]:
    """Values for every declared input, or ``None`` when the file declares no inputs.

    ``root_file``: the pipeline's own entry file, whose inputs come from the pipeline run; a
    required input there cannot be known offline and is left out silently.
    """
    problems: list[InputProblem] = []
    spec = _spec_inputs(header)
    if spec is None:
        if given:
            problems.append(
                InputProblem(
                    given_mark,
                    "inputs are given but the included file has no spec:inputs header; "
                    "declare them in a spec: header document or drop inputs:",
                )
            )
        return None, problems
    given = given or {}
    unknown = [name for name in given if name not in spec]
    if unknown:
        problems.append(
            InputProblem(
                given_mark,
                "unknown input arguments: "
                + ", ".join(unknown)
                + " (declared: "
                + (", ".join(spec) or "none")
                + ")",
            )
        )
    values: dict[str, Any] = {}
    for name, decl in spec.items():
        decl = decl if isinstance(decl, YMap) else {}
        kind = decl.get("type", "string")
        where = given.value_mark(name) if isinstance(given, YMap) and name in given else given_mark
        if kind not in _TYPES:
            problems.append(
                InputProblem(spec.value_mark(name), f"`{name}` input: unknown input type {kind!r}")
            )
            continue
        if name in given:
            value = given[name]
        elif "default" in decl:
            value = decl["default"]
        else:
            if not root_file:
                problems.append(
                    InputProblem(where, f"`{name}` input: required value has not been provided")
                )
            continue
        if not _type_ok(kind, value):
            problems.append(InputProblem(where, f"`{name}` input: provided value is not a {kind}"))
            continue
        options = decl.get("options")
        if isinstance(options, list) and value not in options:
            problems.append(
                InputProblem(
                    where,
                    f"`{name}` input: `{value}` cannot be used because it is not in the list of "
                    "allowed options",
                )
            )
        regex = decl.get("regex")
        if isinstance(regex, str) and isinstance(value, str):
            matched = _regex_matches(regex, value)
            if matched is False:
                problems.append(
                    InputProblem(
                        where,
                        f"`{name}` input: provided value does not match required RE2 regular "
                        f"expression {regex}",
                    )
                )
        values[name] = value
    return values, problems


def _apply_function(value: Any, func: str) -> Any:
    func = func.strip()
    text = value if isinstance(value, str) else _stringify(value)
    if func == "expand_vars":
        return value  # variables are expanded by GitLab at pipeline creation; keep them
    if func == "posix_escape":
        return re.sub(r"([^A-Za-z0-9_\-.,:/@\n])", r"\\\1", text)
    if func == "posix_quote":
        return shlex.quote(text)
    match = re.fullmatch(r"truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)", func)
    if match:
        start, length = int(match.group(1)), int(match.group(2))
        return text[start : start + length]
    raise ValueError(f"unknown interpolation function: `{func}`")


def _stringify(value: Any) -> str:
    if isinstance(value, list):
        import json

        return json.dumps(value)
    return scalar_text(value)


def _evaluate(
    access: str, values: Mapping[str, Any], component: Mapping[str, Any] | None = None
) -> Any:
    parts = [p.strip() for p in access.split("|")]
    if len(parts) > 4:
        raise ValueError("too many functions in interpolation block")
    path = parts[0].split(".")
    known = component if len(path) == 2 and path[0] == "component" else values
    if len(path) != 2 or (path[0] != "inputs" and known is not component) or known is None:
        raise ValueError(f"invalid interpolation access pattern `{parts[0]}`")
    if path[1] not in known:
        raise ValueError(f"unknown interpolation key: `{path[1]}`")
    value = known[path[1]]
    for func in parts[1:]:
        value = _apply_function(value, func)
    return value


class _Interpolator:
    def __init__(self, values: Mapping[str, Any], component: Mapping[str, Any] | None) -> None:
        self.values = values
        self.component = component
        self.problems: list[InputProblem] = []
        self.blocks = 0

    def text(self, text: str, mark: Mark) -> Any:
        if "$[[" not in text:
            return text
        # one block alone keeps its value's type; a lazy match must not span two blocks
        whole = BLOCK.fullmatch(text) if text.count("$[[") == 1 else None
        try:
            if whole:
                self.blocks += 1
                return _evaluate(whole.group(1), self.values, self.component)

            def sub(match: re.Match[str]) -> str:
                self.blocks += 1
                return _stringify(_evaluate(match.group(1), self.values, self.component))

            return BLOCK.sub(sub, text)
        except ValueError as exc:
            self.problems.append(InputProblem(mark, str(exc)))
            return text

    def value(self, value: Any, mark: Mark) -> Any:
        if self.blocks > MAX_BLOCKS:
            return value
        if isinstance(value, str):
            return self.text(value, mark)
        if isinstance(value, YMap):
            out = YMap(value.mark)
            for key, item in value.items():
                kmark, vmark = value.key_mark(key), value.value_mark(key)
                new_key = self.text(key, kmark)
                out.put(
                    new_key if isinstance(new_key, str) else _stringify(new_key),
                    self.value(item, vmark),
                    kmark,
                    vmark,
                )
            return out
        if isinstance(value, YSeq):
            seq = Reference(value.mark) if isinstance(value, Reference) else YSeq(value.mark)
            for index, item in enumerate(value):
                imark = value.item_mark(index)
                seq.push(self.value(item, imark), imark)
            return seq
        return value


def interpolate(
    body: Any,
    values: Mapping[str, Any],
    mark: Mark,
    component: Mapping[str, Any] | None = None,
) -> tuple[Any, list[InputProblem]]:
    """The body with every ``$[[ inputs.x ]]`` block replaced, and the problems found;
    ``component``: the ``$[[ component.x ]]`` values of a component (``spec:component``)."""
    worker = _Interpolator(values, component)
    result = worker.value(body, mark)
    if worker.blocks > MAX_BLOCKS:
        worker.problems.append(
            InputProblem(mark, f"more than {MAX_BLOCKS} interpolation blocks in one file")
        )
    return result, worker.problems
