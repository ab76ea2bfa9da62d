"""Counts over findings: per severity and per rule (``--statistics``, the JSON summary)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from cigen.diagnostics import Diagnostic, Severity


def by_severity(diags: Sequence[Diagnostic]) -> dict[str, int]:
    """``{"error": n, "warning": n, "info": n}``, every level present."""
    counts = Counter(d.severity.label for d in diags)
    return {level.label: counts.get(level.label, 0) for level in reversed(Severity)}


def by_rule(diags: Sequence[Diagnostic]) -> list[tuple[str, str, int]]:
    """``(code, name, count)`` per rule, most frequent first, then by code."""
    counts = Counter((d.code, d.name) for d in diags)
    return sorted(((c, n, k) for (c, n), k in counts.items()), key=lambda t: (-t[2], t[0]))


def statistics(diags: Sequence[Diagnostic]) -> str:
    """One line a rule: count, code, name; aligned, most frequent first."""
    rows = by_rule(diags)
    if not rows:
        return ""
    width = len(str(rows[0][2]))
    return "".join(f"{count:>{width}}  {code} {name}\n" for code, name, count in rows)


def summary_data(diags: Sequence[Diagnostic]) -> dict[str, Any]:
    """The ``summary`` object of the JSON report."""
    return {
        "total": len(diags),
        **by_severity(diags),
        "rules": {code: count for code, _name, count in by_rule(diags)},
    }
