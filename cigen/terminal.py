"""Text from the input, made safe to show: the one place that escapes it.

Names, paths and messages come from repository files, file names and GitLab's API, all of
which an attacker may write. On a terminal, a control character, an escape sequence or a
bidirectional override in them could rewrite what was printed before, hide text, or (a
newline in a job name) forge a finding line of its own. :func:`visible` escapes every such
character (``\\n``, ``\\x1b``, ``\\u202e``...), so one finding is always one line; the text
outputs of cigen (the text report, ``plan``, ``explain``, ``runners``, error messages) pass
every piece of input through it.

:func:`unicode_text` is the same idea for JSON: file names that are not UTF-8 reach Python as
lone surrogates (``surrogateescape``), which no JSON parser should accept; they become the
text ``\\xff`` naming the byte, so every report is valid UTF-8 JSON.
"""

from __future__ import annotations

__all__ = ["unicode_text", "visible"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with every character Python does not call printable escaped: controls,
    format characters (bidi overrides, zero-width), separators other than the space,
    surrogates and unassigned code points.

    ``keep_lines``: newlines (and tabs) stay, for text that is several lines on purpose (a
    diff); everything else is still escaped.
    """
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char.isprintable() or (keep_lines and char in "\n\t"):
            out.append(char)
        else:
            out.append(_escape(char))
    return "".join(out)


def unicode_text(text: str) -> str:
    """``text`` with lone surrogates (bytes of a non-UTF-8 file name) written as ``\\xNN``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(_escape(char) if 0xD800 <= ord(char) <= 0xDFFF else char for char in text)
    return text
