"""The machine contract, with stable field names.

``{"version": 1, "tool": {...}, "summary": {...}, "diagnostics": [...]}``: ``version`` is the
format's version (raised only when a field changes meaning or goes away; new fields may appear
without it), ``summary`` counts the findings (``total``, per severity, ``rules``: per code).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cigen.diagnostics import Diagnostic, portable


def as_dict(diag: Diagnostic) -> dict[str, Any]:
    diag = portable(diag)
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


#: The JSON report's format version.
FORMAT_VERSION = 1


def render(diags: Sequence[Diagnostic], *, rules: Mapping[str, Any], tool_version: str) -> str:
    from cigen.reporters.summary import summary_data

    data = {
        "version": FORMAT_VERSION,
        "tool": {"name": "cigen", "version": tool_version},
        "summary": summary_data(diags),
        "diagnostics": [as_dict(d) for d in diags],
    }
    return json.dumps(data, indent=2) + "\n"
