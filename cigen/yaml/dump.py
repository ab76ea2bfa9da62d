"""The one place that serializes YAML.

:func:`dump` turns plain data (``dict``, ``list``/``tuple``, ``str``, ``int``, ``float``,
``bool``, ``None``) into YAML text with a fixed layout: block style, mappings indented by 2,
sequence dashes indented by 2 inside their parent, no line wrapping, no anchors or aliases, keys
in insertion order. The same data always gives the same bytes.

Strings always come back as the same strings when GitLab (Ruby Psych, YAML 1.1) or
:func:`cigen.yaml.load.load_text` reads the output:

* ruamel.yaml quotes what YAML 1.2 would read as something else (``*x``, ``!foo``, ``a: b``,
  ``true``, ``{{ x }}``, ...);
* on top of that, a string that YAML 1.1 resolves to a non-string when plain (``on``, ``yes``,
  ``0755``, ``1:30``, dates, ``<<``) is single-quoted;
* a multi-line string is written as a literal block (``|``) when its characters allow one, and
  double-quoted with escapes otherwise.

Mapping keys must be strings; anything else is a :class:`TypeError`, because silently
stringifying keys would hide a bug in the caller. A ``<<`` key whose value is a mapping or a
list is a :class:`ValueError`: GitLab reads it as a merge key however it is quoted.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["dump"]

#: Characters a literal block may hold: printable text, spaces and newlines (no tabs, no other
#: line breaks such as ``\r``, ``\x85`` or ``\u2028``, which YAML would normalize).
_LITERAL_OK = re.compile(r"[^\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]*\Z")
#: Line breaks other than ``\n``: only an escape in double quotes keeps them.
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")
#: Plain scalars that Psych gives a special meaning beyond :func:`resolve_plain`.
_SPECIAL_PLAIN = frozenset({"<<", "="})


def dump(
    data: Any,
    header_comment: str | None = None,
    notes: Mapping[tuple[str, ...], str] | None = None,
) -> str:
    """``data`` as YAML text, preceded by ``header_comment`` as ``#`` comment lines.

    ``notes`` puts an end-of-line comment on mapping keys, addressed by their key path
    (``("build", "script")``); a note is one line of text.
    """
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 1 << 16
    yaml.allow_unicode = True
    yaml.default_flow_style = False
    yaml.representer.ignore_aliases = lambda _data: True
    stream = io.StringIO()
    yaml.dump(_prepare(data) if not notes else _annotated(_prepare(data), notes, ()), stream)
    body = stream.getvalue()
    if header_comment is None:
        return body
    lines = header_comment.splitlines() or [""]
    header = "".join(f"# {line}".rstrip() + "\n" for line in lines)
    return header + body


def _prepare(value: Any) -> Any:
    """Plain data with strings wrapped in the ruamel scalar type that fixes their style."""
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"mapping keys must be strings, got {type(key).__name__}: {key!r}")
            if key == "<<" and isinstance(item, (Mapping, list, tuple)):
                raise ValueError(
                    "a '<<' key with a mapping or list value is a merge key to GitLab, "
                    "even when quoted; it cannot be written as data"
                )
            out[_string(str(key))] = _prepare(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_prepare(item) for item in value]
    if isinstance(value, str):
        return _string(str(value))
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise TypeError(f"cannot write a {type(value).__name__} as YAML: {value!r}")


def _annotated(value: Any, notes: Mapping[tuple[str, ...], str], path: tuple[str, ...]) -> Any:
    """Prepared data with ``notes`` attached as end-of-line comments on their keys."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _annotated(item, notes, (*path, str(key)))
            note = notes.get((*path, str(key)))
            if note is not None:
                if "\n" in note or "\r" in note:
                    raise ValueError(f"a note is one line: {note!r}")
                out.yaml_add_eol_comment(note, key)
        return out
    if isinstance(value, list):
        return CommentedSeq(
            _annotated(item, notes, (*path, str(i))) for i, item in enumerate(value)
        )
    return value


def _string(text: str) -> Any:
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        LiteralScalarString,
        SingleQuotedScalarString,
    )

    if _OTHER_BREAKS.search(text):
        return DoubleQuotedScalarString(text)
    if "\n" in text:
        if _LITERAL_OK.match(text) and not text.startswith(" ") and _lines_ok(text):
            return LiteralScalarString(text)
        return DoubleQuotedScalarString(text)
    if _changes_when_plain(text):
        return SingleQuotedScalarString(text)
    return text


def _lines_ok(text: str) -> bool:
    """Literal blocks lose nothing for these lines (no whitespace-only or trailing-space lines)."""
    return all(line == line.rstrip(" ") for line in text.split("\n"))


def _changes_when_plain(text: str) -> bool:
    """Whether GitLab's YAML 1.1 loader would read ``text`` written plain as another value."""
    from cigen.yaml.load import resolve_plain

    if text in _SPECIAL_PLAIN:
        return True
    try:
        resolved = resolve_plain(text)
    except Exception:  # a date or timestamp: Psych refuses it unquoted
        return True
    return not isinstance(resolved, str) or resolved != text
