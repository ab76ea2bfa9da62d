"""The machine contract: ``{"diagnostics": [...]}`` with stable field names."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cigen.diagnostics import Diagnostic


def as_dict(diag: Diagnostic) -> dict[str, Any]:
    return {
        "code": diag.code,
        "name": diag.name,
        "severity": diag.severity.label,
        "path": diag.path,
        "line": diag.line,
        "column": diag.col,
        "message": diag.message,
        "job": diag.job,
    }


def render(diags: Sequence[Diagnostic], *, rules: Mapping[str, Any], tool_version: str) -> str:
    return json.dumps({"diagnostics": [as_dict(d) for d in diags]}, indent=2) + "\n"
