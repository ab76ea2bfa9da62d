"""Output formats: each reporter is a pure function from findings to text.

``render(diags, *, rules, tool_version) -> str``; the registry feeds ``--format``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from cigen.diagnostics import Diagnostic
from cigen.reporters import codequality, json_report, sarif, text


class Reporter(Protocol):
    def __call__(
        self,
        diags: Sequence[Diagnostic],
        *,
        rules: Mapping[str, Any],
        tool_version: str,
    ) -> str: ...


REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_report.render,
    "codequality": codequality.render,
    "sarif": sarif.render,
}
