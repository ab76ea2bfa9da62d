"""Where a piece of a scalar is written: the file line and column of a character of a value.

The loader keeps one mark per scalar (where it starts). Findings inside a script line need the
place of a character within it; this maps ``(mark, value, offset)`` back to the file text for
the forms a script is written in: plain, single- or double-quoted on one line, and literal
blocks (``|``, ``|-``, ``|+``). The computed place is checked against the text; when it does
not hold what the value holds there (escapes, folding), the scalar's own mark is returned.
"""

from __future__ import annotations

from bisect import bisect_right

from cigen.diagnostics import Mark


class SourceText:
    """One file's text with its line starts, for offset arithmetic."""

    __slots__ = ("starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        end = text.find("\n")
        while end >= 0:
            starts.append(end + 1)
            end = text.find("\n", end + 1)
        self.starts = starts

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col - 1 if line - 1 < len(self.starts) else len(self.text)

    def mark(self, path: str, offset: int) -> Mark:
        line = bisect_right(self.starts, offset)
        return Mark(path, line, offset - self.starts[line - 1] + 1)


def locate(source: SourceText, mark: Mark, value: str, offset: int, length: int = 1) -> Mark:
    """The place of ``value[offset:offset + length]`` in the file ``mark`` points into."""
    text = source.text
    start = source.offset(mark.line, mark.col)
    if start >= len(text):
        return mark
    piece = value[offset : offset + length]
    first = text[start]
    if first == "|":
        found = _in_literal(source, mark, value, offset, piece)
        return found if found is not None else mark
    if "\n" in value[: offset + length]:
        return mark
    at = start + offset + (1 if first in "'\"" else 0)
    if text[at : at + len(piece)] == piece:
        return source.mark(mark.path, at)
    return mark


def _in_literal(source: SourceText, mark: Mark, value: str, offset: int, piece: str) -> Mark | None:
    """Line ``k`` of a literal block's value is the ``k``-th line after the header line."""
    before = value[:offset]
    row = before.count("\n")
    col = offset - (before.rfind("\n") + 1)
    first_line = mark.line + 1
    lines = value.split("\n")
    # the indentation is that of the first non-empty content line
    for index, content in enumerate(lines):
        if content:
            line_start = source.offset(first_line + index, 1)
            end = source.text.find("\n", line_start)
            written = source.text[line_start : end if end >= 0 else len(source.text)]
            indent = len(written) - len(written.lstrip(" "))
            break
    else:
        return None
    at = source.offset(first_line + row, 1) + indent + col
    if source.text[at : at + len(piece)] == piece:
        return source.mark(mark.path, at)
    return None
