"""``spec:inputs`` headers and ``$[[ inputs.x ]]`` interpolation (semantics doc 2.4).

:func:`bind` checks the inputs given to an include against the file's ``spec:inputs`` header and
returns the values to use; :func:`interpolate` rewrites the file body (keys and values) with them.
Both are pure; problems come back as :class:`InputProblem` values, never as exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.yaml.load import Reference, YMap, YSeq, scalar_text

_TYPES = ("string", "number", "boolean", "array")
MAX_BLOCKS = 10_000
#: GitLab's ``Interpolation::Config::MAX_NODES`` ("config too large").
MAX_NODES = 500_000
#: Characters interpolation may add to one file (each block may insert a whole input value).
MAX_INTERPOLATED = 16 * 1024 * 1024
#: GitLab's ``Interpolation::Config::MAX_NODES`` ("config too large").
MAX_NODES = 500_000
#: Characters interpolation may add to one file (each block may insert a whole input value).
MAX_INTERPOLATED = 16 * 1024 * 1024


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
    """Whether RE2 (GitLab's ``Gitlab::UntrustedRegexp``) finds ``pattern`` in ``value``;
    ``None`` when RE2 refuses the pattern. Linear time, whatever the pattern."""
    from cigen.regex import re2_search

    return re2_search(pattern, value)


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
        import shlex

        return shlex.quote(text)
    match = re.fullmatch(r"truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)", func)
    if match:
        start, length = int(match.group(1)), int(match.group(2))
        return text[start : start + length]
    raise ValueError(f"unknown interpolation function: `{func}`")


def blocks(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, inner)`` of each ``$[[ ... ]]`` block, left to right, exactly as GitLab's
    ``\\$\\[\\[\\s*(\\S.*?\\S)\\s*\\]\\]`` finds them, but in linear time (the expression itself
    backtracks quadratically on a line of unclosed ``$[[``)."""
    size = len(text)
    position = 0
    closing = last = -1  # the first "]]" past the scan point, and the last non-space before it
    newline_from, newline = size + 1, -1  # the first "\n" at or after newline_from
    while True:
        start = text.find("$[[", position)
        if start < 0:
            return
        first = start + 3
        while first < size and text[first].isspace():
            first += 1
        if first >= size:
            return
        if closing <= first:
            closing = text.find("]]", first + 1)
            if closing < 0:
                return  # nothing closes after this point: no block can
            last = closing - 1
            while text[last].isspace():
                last -= 1
        if not newline_from <= first <= (newline if newline >= 0 else size):
            newline_from, newline = first, text.find("\n", first)
        position = start + 1
        end, inner_last = closing, last
        if inner_last == first:  # one character before the first "]]": a later one may do
            end = text.find("]]", closing + 1)
            if end < 0:
                continue
            inner_last = end - 1
            while text[inner_last].isspace():
                inner_last -= 1
        if 0 <= newline <= inner_last:
            continue  # "." does not cross a newline, and any later "]]" is further still
        yield start, end + 2, text[first : inner_last + 1]
        position = end + 2


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
        self.nodes = 0
        self.added = 0
        self.nodes = 0
        self.added = 0

    def text(self, text: str, mark: Mark) -> Any:
        if "$[[" not in text:
            return text
        found = list(blocks(text))
        try:
            # one block alone keeps its value's type; a lazy match must not span two blocks
            if len(found) == 1 and found[0][:2] == (0, len(text)) and text.count("$[[") == 1:
                self.blocks += 1
                return _evaluate(found[0][2], self.values, self.component)
            parts: list[str] = []
            done = 0
            for start, end, inner in found:
                self.blocks += 1
                inserted = _stringify(_evaluate(inner, self.values, self.component))
                self.added += len(inserted)
                if self.added > MAX_INTERPOLATED:
                    raise ValueError(
                        f"interpolation adds more than {MAX_INTERPOLATED:,} characters to the "
                        "file; insert large values fewer times"
                    )
                parts += [text[done:start], inserted]
                done = end
            return "".join([*parts, text[done:]])
        except ValueError as exc:
            self.problems.append(InputProblem(mark, str(exc)))
            return text

    def value(self, value: Any, mark: Mark) -> Any:
        self.nodes += 1
        if self.blocks > MAX_BLOCKS or self.nodes > MAX_NODES or self.added > MAX_INTERPOLATED:
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
    if worker.nodes > MAX_NODES:
        worker.problems.append(
            InputProblem(mark, f"config too large: more than {MAX_NODES:,} values to interpolate")
        )
    return result, worker.problems
