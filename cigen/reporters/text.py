"""``path:line:col: CODE name message``, one finding a line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cigen.diagnostics import Diagnostic
from cigen.terminal import visible


def render(diags: Sequence[Diagnostic], *, rules: Mapping[str, Any], tool_version: str) -> str:
    """One line a finding; paths and messages from the input are :func:`visible` (a newline in
    a job name cannot start a line of its own, an escape sequence cannot reach the terminal)."""
    lines = [
        f"{visible(d.path)}:{d.line}:{d.col}: {d.code} {d.name} {visible(d.message)}" for d in diags
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def summary(diags: Sequence[Diagnostic]) -> str:
    """``2 errors, 1 warning, 0 info`` for the end of a text report."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for diag in diags:
        counts[diag.severity.label] += 1
    parts = [
        f"{counts['error']} error" + ("s" if counts["error"] != 1 else ""),
        f"{counts['warning']} warning" + ("s" if counts["warning"] != 1 else ""),
        f"{counts['info']} info",
    ]
    return ", ".join(parts)
