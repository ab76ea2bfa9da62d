"""GitLab Code Quality report (the merge-request widget's format).

Severities: info -> info, warning -> minor, error -> major. Fingerprints leave out the line, so
a finding that moves keeps its identity between the base and the merge-request pipelines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cigen.diagnostics import Diagnostic, fingerprints, portable

_SEVERITY = {"info": "info", "warning": "minor", "error": "major"}


def render(diags: Sequence[Diagnostic], *, rules: Mapping[str, Any], tool_version: str) -> str:
    diags = [portable(d) for d in diags]
    issues = [
        {
            "type": "issue",
            "description": f"{d.code} {d.name}: {d.message}",
            "check_name": d.name,
            "categories": ["Bug Risk"] if d.severity.label == "error" else ["Style"],
            "fingerprint": fp,
            "severity": _SEVERITY[d.severity.label],
            "location": {"path": d.path, "lines": {"begin": d.line}},
        }
        for d, fp in zip(diags, fingerprints(diags), strict=True)
    ]
    return json.dumps(issues, indent=2) + "\n"
