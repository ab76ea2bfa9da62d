"""SARIF 2.1.0, with the rules table built from the registry."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from cigen.diagnostics import Diagnostic, fingerprints, portable

_LEVEL = {"info": "note", "warning": "warning", "error": "error"}
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule(rule: Any) -> dict[str, Any]:
    doc = (rule.__doc__ or "").strip()
    return {
        "id": rule.CODE,
        "name": rule.NAME,
        "shortDescription": {"text": rule.SUMMARY},
        "fullDescription": {"text": doc.splitlines()[0] if doc else rule.SUMMARY},
        "help": {"text": doc or rule.SUMMARY, "markdown": doc or rule.SUMMARY},
        "defaultConfiguration": {"level": _LEVEL[rule.SEVERITY.label]},
    }


def render(diags: Sequence[Diagnostic], *, rules: Mapping[str, Any], tool_version: str) -> str:
    codes = list(rules)
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code) if d.code in rules else -1,
            "level": _LEVEL[d.severity.label],
            "message": {"text": portable(d).message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": quote(d.path.encode("utf-8", "surrogateescape")),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": d.line, "startColumn": d.col},
                    }
                }
            ],
            "partialFingerprints": {"cigen/v1": fp},
        }
        for d, fp in zip(diags, fingerprints(diags), strict=True)
    ]
    for result in results:
        if result["ruleIndex"] == -1:
            del result["ruleIndex"]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cigen",
                        "version": tool_version,
                        "informationUri": "https://pypi.org/project/cigen/",
                        "rules": [_rule(rules[code]) for code in codes],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "project root"}}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
