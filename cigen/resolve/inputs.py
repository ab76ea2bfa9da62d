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
from cigen.regex import lazy_pattern
from cigen.yaml.load import InvalidReference, Reference, YMap, YSeq, scalar_text

_TYPES = ("string", "number", "boolean", "array")
MAX_BLOCKS = 10_000
#: GitLab's ``Interpolation::Config::MAX_NODES`` ("config too large").
MAX_NODES = 500_000
#: ``Interpolation::Config::MAX_NODE_SIZE`` (bytes of one string).
MAX_NODE_SIZE = 1024 * 1024
#: Characters interpolation may add to one file (each block may insert a whole input value).
MAX_INTERPOLATED = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One input or interpolation error: cigen's message (what to do) and GitLab's text
    (``Interpolation::Inputs``/``Template`` errors, as ``Ci::Inputs`` words them)."""

    mark: Mark
    message: str
    gitlab: str = ""


#: GitLab's message for inputs given to a file without a ``spec`` header
#: (``lib/gitlab/ci/config/interpolation/interpolator.rb``).
NO_SPEC = "Given inputs not defined in the `spec` section of the included configuration file"
NOT_A_HASH = "Given inputs must be a hash"
_ARTICLE = {"string": "a string", "number": "a number", "boolean": "a boolean", "array": "an array"}


def _spec_inputs(header: YMap | None) -> YMap | None:
    if header is None:
        return None
    spec = header.get("spec")
    if not isinstance(spec, YMap):
        return None
    inputs = spec.get("inputs")
    return inputs if isinstance(inputs, YMap) else None


def _type_ok(kind: str, value: Any) -> bool:
    """GitLab's input types; a string input takes a number too (``interpolation/inputs_spec.rb``:
    ``default: 1`` with ``options: [1, 2]`` and no type is valid, and becomes ``"1"``)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str) or number
    if kind == "number":
        return number
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
    required input there cannot be known offline and is left out silently. The problems come
    in GitLab's order: unknown arguments first, then each declared input's.
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
                    NO_SPEC,
                )
            )
        return None, problems
    given = given or {}
    unknown = [name for name in given if name not in spec]
    if unknown:
        text = "unknown input arguments: " + ", ".join(unknown)
        declared = ", ".join(spec) or "none"
        problems.append(InputProblem(given_mark, f"{text} (declared: {declared})", text))
    values: dict[str, Any] = {}
    for name, decl in spec.items():
        decl = decl if isinstance(decl, YMap) else {}
        where = given.value_mark(name) if isinstance(given, YMap) and name in given else given_mark
        found = _bind_one(name, decl, given, root_file)
        if isinstance(found, str):
            problems.append(InputProblem(where, found, found))
        elif found:
            values[name] = found[0]
    return values, problems


def _bind_one(
    name: str, decl: Mapping[str, Any], given: Mapping[str, Any], root_file: bool
) -> str | tuple[Any] | None:
    """``(value,)`` for one declared input, GitLab's error text, or None (left out)."""
    prefix = f"`{name}` input: "
    kind = decl.get("type", "string")
    if kind not in _TYPES:
        return (
            f"unknown input specification for `{name}` (valid types: {', '.join(sorted(_TYPES))})"
        )
    if name in given:
        value, source = given[name], "provided value"
    elif "default" in decl:
        value, source = decl["default"], "default value"
    elif root_file:
        return None
    else:
        return prefix + "required value has not been provided"
    options = decl.get("options")
    if isinstance(options, list) and kind in ("boolean", "array"):
        return prefix + "Options can only be used with string and number inputs"
    errors = []
    if isinstance(options, list) and value not in options:
        the = "the " if kind == "number" else ""  # as ``interpolation/inputs_spec.rb`` words it
        errors.append(
            prefix + f"`{scalar_text(value)}` cannot be used because it is not in the list of "
            f"{the}allowed options"
        )
    if not _type_ok(kind, value):
        errors.append(prefix + f"{source} is not {_ARTICLE[kind]}")
    if errors:
        return ", ".join(errors)
    regex = decl.get("regex")
    if isinstance(regex, str):
        if kind != "string":
            return prefix + "RegEx validation can only be used with string inputs"
        matched = _regex_matches(regex, value if isinstance(value, str) else scalar_text(value))
        if matched is None:
            return prefix + "invalid regular expression"
        if not matched:
            return prefix + f"{source} does not match required RegEx pattern"
    if kind == "string" and not isinstance(value, str):
        value = scalar_text(value)  # a string input's number becomes its text
    return (value,)


_TRUNCATE = lazy_pattern(r"truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)?")


def _function_name(func: str) -> str | None:
    """The function an expression calls (``truncate(a,b)``, ``expand_vars``,
    ``posix_escape``), or None."""
    if func.startswith("truncate") and _TRUNCATE().fullmatch(func):
        return "truncate"
    return func if func in ("expand_vars", "posix_escape") else None


def _apply_function(value: Any, func: str) -> Any:
    """One function of ``Interpolation::FunctionsStack`` (``functions/*.rb``)."""
    match = _TRUNCATE().fullmatch(func)
    name = _function_name(func)
    if not isinstance(value, str):
        raise BlockError(
            f"error in `{name}` function: invalid input type: {name} can only be used with "
            "string inputs"
        )
    if match:
        start, length = int(match.group(1)), int(match.group(2))
        return value[start : start + length]
    if name == "expand_vars":
        return value  # variables are expanded by GitLab at pipeline creation; keep them
    return _shell_escape(value)


def _shell_escape(text: str) -> str:
    """Ruby's ``Shellwords.shellescape`` (the ``posix_escape`` function)."""
    if not text:
        return "''"
    escaped = re.sub(r"([^A-Za-z0-9_\-.,:+/@\n])", r"\\\1", text)
    return escaped.replace("\n", "'\n'")


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
    access = parts[0]
    objects = access.split(".", MAX_ACCESS_OBJECTS - 1)
    errors = []
    if len(objects) <= 1:
        errors.append(INVALID_ACCESS)
    if len(access.encode()) > MAX_ACCESS_BYTES:
        errors.append("maximum interpolation expression size exceeded")
    if errors:
        raise BlockError(", ".join(errors))
    node: Any = {"inputs": values, "component": component or {}}
    for key in objects:
        if not isinstance(node, Mapping) or key not in node:
            raise BlockError(f"unknown interpolation provided: `{key}` in `{access}`")
        node = node[key]
    if len(parts) > MAX_FUNCTIONS + 1:
        raise BlockError("too many functions in interpolation block")
    unknown = [f for f in parts[1:] if _function_name(f) is None]
    if unknown:  # ``FunctionsStack`` reports every expression that matches no function
        raise BlockError(
            ", ".join(
                f"no function matching `{f}`: check that the function name, arguments, and "
                "types are correct"
                for f in unknown
            )
        )
    for func in parts[1:]:
        node = _apply_function(node, func)
    return node


INVALID_ACCESS = "invalid pattern used for interpolation. valid pattern is $[[ inputs.input ]]"
#: ``Interpolation::Access``: at most 5 dotted parts, 1 KiB; ``Block``: at most 3 functions.
MAX_ACCESS_OBJECTS = 5
MAX_ACCESS_BYTES = 1024
MAX_FUNCTIONS = 3


class BlockError(ValueError):
    """An interpolation block GitLab refuses; ``str()`` is GitLab's message."""


def _skipped(inner: str) -> bool:
    """``$[[ matrix.X ]]`` blocks are left for the matrix expansion (``Block``'s
    ``SKIP_INTERPOLATION_CONTEXTS``)."""
    return inner.split("|", 1)[0].strip().split(".", 1)[0] == "matrix"


class _Interpolator:
    def __init__(self, values: Mapping[str, Any], component: Mapping[str, Any] | None) -> None:
        self.values = values
        self.component = component
        self.problems: list[InputProblem] = []
        #: distinct blocks, as ``Template`` counts them (``@blocks``, keyed by the block's text)
        self.seen: set[str] = set()
        self.nodes = 0
        self.added = 0

    @property
    def blocks(self) -> int:
        return len(self.seen)

    def text(self, text: str, mark: Mark) -> Any:
        if "$[[" not in text:
            return text
        found = list(blocks(text))
        try:
            # one block alone keeps its value's type; a lazy match must not span two blocks
            if len(found) == 1 and found[0][:2] == (0, len(text)) and text.count("$[[") == 1:
                self.seen.add(text)
                if _skipped(found[0][2]):
                    return text
                return _evaluate(found[0][2], self.values, self.component)
            parts: list[str] = []
            done = 0
            for start, end, inner in found:
                self.seen.add(text[start:end])
                if _skipped(inner):
                    inserted = text[start:end]
                else:
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
        except BlockError as exc:
            self.problems.append(InputProblem(mark, f"{exc}; fix the $[[ ]] block", str(exc)))
            return text
        except ValueError as exc:
            self.problems.append(InputProblem(mark, str(exc), str(exc)))
            return text

    def value(self, value: Any, mark: Mark) -> Any:
        self.nodes += 1
        if len(self.seen) > MAX_BLOCKS or self.nodes > MAX_NODES or self.added > MAX_INTERPOLATED:
            return value
        if isinstance(value, str):
            if len(value) > _LONG and len(value.encode()) > MAX_NODE_SIZE:
                self.problems.append(
                    InputProblem(
                        mark,
                        "a value of more than 1 MiB cannot be interpolated; split it",
                        "config node too large",
                    )
                )
                return value
            return self.text(value, mark)
        if isinstance(value, YMap):
            out = YMap(value.mark)
            kmarks, vmarks, outk, outv = value.kmarks, value.vmarks, out.kmarks, out.vmarks
            for key, item in value.items():
                kmark = kmarks.get(key, value.mark)  # ``key_mark`` and ``value_mark``
                vmark = vmarks.get(key) or kmark
                new_key = self.text(key, kmark) if "$[[" in key else key
                if not isinstance(new_key, str):
                    new_key = _stringify(new_key)
                out[new_key] = self.item(item, vmark)
                outk[new_key] = kmark
                outv[new_key] = vmark
            return out
        if isinstance(value, InvalidReference):
            return value
        if isinstance(value, YSeq):
            seq = Reference(value.mark) if isinstance(value, Reference) else YSeq(value.mark)
            imarks, outi = value.imarks, seq.imarks
            for index, item in enumerate(value):
                imark = imarks[index] if index < len(imarks) else value.mark  # ``item_mark``
                found = self.item(item, imark)
                if isinstance(item, str) and isinstance(found, list):
                    # ``Config#recursive_replace_array``: an array input fills the list in place
                    for inner in found:
                        seq.append(inner)
                        outi.append(imark)
                else:
                    seq.append(found)
                    outi.append(imark)
            return seq
        return value

    def item(self, value: Any, mark: Mark) -> Any:
        """:meth:`value` of an entry: a short text with no block, or a scalar that is no text,
        only counts as a node (what :meth:`value` would do with it: keep it as it is)."""
        if value.__class__ is str:
            if "$[[" not in value and len(value) <= _LONG:
                self.nodes += 1
                return value
        elif not isinstance(value, (str, dict, list)):
            self.nodes += 1
            return value
        return self.value(value, mark)


#: A text this long or shorter cannot be over :data:`MAX_NODE_SIZE` bytes (4 bytes a character
#: at most in UTF-8).
_LONG = MAX_NODE_SIZE // 4


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
            InputProblem(
                mark,
                f"more than {MAX_BLOCKS} interpolation blocks in one file",
                "too many interpolation blocks",
            )
        )
    if worker.nodes > MAX_NODES:
        worker.problems.append(
            InputProblem(
                mark,
                f"config too large: more than {MAX_NODES:,} values to interpolate",
                "config too large",
            )
        )
    return result, worker.problems
