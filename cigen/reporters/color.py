"""ANSI colour for the text report on a terminal.

Only the code and name are coloured, in the severity's colour; the location is left plain, so
``path:line:col`` stays the very first thing on each line (editors and terminals link it).
``NO_COLOR`` (any non-empty value) turns colour off, ``FORCE_COLOR`` (non-empty) turns it on
even when stdout is not a terminal (https://no-color.org, https://force-color.org); ``NO_COLOR``
wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cigen.diagnostics import Diagnostic, Severity

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
_LEVEL = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}


def wanted(environ: Mapping[str, str], is_tty: bool) -> bool:
    """Whether to colour: NO_COLOR off, FORCE_COLOR on, else only on a terminal."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return is_tty and environ.get("TERM") != "dumb"


def colorize(report: str, diags: Sequence[Diagnostic]) -> str:
    """Colour a text report whose lines are the findings in order, one a line.

    A report that does not have one line per finding is returned as it is.
    """
    lines = report.splitlines(keepends=True)
    if len(lines) != len(diags):
        return report
    out: list[str] = []
    for line, diag in zip(lines, diags, strict=True):
        where = f"{diag.path}:{diag.line}:{diag.col}:"
        label = f" {diag.code} {diag.name} "
        cut = line.find(label, len(where)) if line.startswith(where) else -1
        if cut < 0:
            out.append(line)
            continue
        colour = _LEVEL[diag.severity]
        rest = line[cut + len(label) :]
        out.append(f"{line[:cut]} {BOLD}{colour}{label[1:-1]}{RESET} {rest}")
    return "".join(out)
