"""``# cigen: ignore[...]`` comments, read from a file's text (YAML parsing drops comments).

A directive is a comment, so its ``#`` starts a line or follows a blank. ``ignore[...]`` at
the end of a line applies to that line; alone on its line it applies to the next line that is
not blank or a comment. ``ignore-file[...]`` applies to the whole file and belongs in the
comment block at the top of the file. A ``#`` inside a quoted or block scalar is text, not a
comment: the loader drops directives found there. The names inside the brackets are rule codes
or names, separated by commas or blanks; the lint engine checks them against the registry.
"""

from __future__ import annotations

import re

from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.regex import lazy_pattern

#: The marker a file must contain for the line scan to run at all.
MARKER = "cigen:"

_directive = lazy_pattern(
    r"(?:^|(?<=\s))#[ \t]*cigen:[ \t]*(?P<kind>ignore-file|ignore)\b"
    r"(?:[ \t]*\[(?P<names>[^\]]*)\])?"
)
_lines = lazy_pattern(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Directive:
    """One suppression comment.

    ``target`` is the line it silences (0 for ``ignore-file``); ``misplaced`` marks an
    ``ignore-file`` below the top comment block, which silences nothing.
    """

    mark: Mark
    kind: str  # "ignore" or "ignore-file"
    target: int
    names: tuple[str, ...]
    misplaced: bool = False
    offset: int = 0  # character offset of the ``#`` in the text


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def scan(path: str, text: str) -> tuple[Directive, ...]:
    """Every directive in ``text``, in file order."""
    if MARKER not in text:
        return ()
    lines = _lines().split(text)
    starts = [0]
    for brk in _lines().finditer(text):
        starts.append(brk.end())
    found: list[Directive] = []
    at_top = True  # still in the leading block of blank and comment lines
    for index, line in enumerate(lines):
        own_line = _is_comment_or_blank(line)
        if MARKER in line:
            for match in _directive().finditer(line):
                names = tuple(n for n in re.split(r"[\s,]+", match.group("names") or "") if n)
                mark = Mark(path, index + 1, match.start() + 1)
                offset = starts[index] + match.start()
                kind = match.group("kind")
                if kind == "ignore-file":
                    found.append(Directive(mark, kind, 0, names, not at_top, offset))
                    continue
                target = index + 1
                if own_line and not line[: match.start()].strip():
                    target = _next_content(lines, index) or target
                found.append(Directive(mark, kind, target, names, False, offset))
        if not own_line and line.strip() != "---":
            at_top = False
    return tuple(found)


def _next_content(lines: list[str], index: int) -> int | None:
    for later in range(index + 1, len(lines)):
        if not _is_comment_or_blank(lines[later]):
            return later + 1
    return None
