"""Conformance against the shared corpus (``<repo>/../shared/corpus``, see its MANIFEST.md).

(a) GitLab's own CI schema tests (MANIFEST section 1): every case under
``schema-tests/positive`` must pass cigen's schema check (the CIG002 logic:
``cigen.schema.validate_entries`` with the schema cigen uses) and every case under
``schema-tests/negative`` must fail it. As in GitLab's ``ci_schema_spec.js``, each top-level
key K of a file is one case, validated as the document ``{K: value}``; the files under
``workflow/auto_cancel/`` are whole-document tests (each key names a complete pipeline).
The legacy ``json-tests`` are per-key cases too.

(b) Every real project under ``real/`` (MANIFEST section 2) lints from its ``.gitlab-ci.yml``
without an internal error and without an error-level finding, except findings GitLab itself
would also reject, listed in ``KNOWN_REJECTED``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cigen.diagnostics import Severity
from cigen.lint.engine import lint
from cigen.resources import gitlab_ci_schema
from cigen.schema import make_validator, validate_entries
from cigen.yaml.load import YMap, load_text, to_plain

#: The same place as conftest's ``corpus_dir`` fixture (which skips these tests when it is
#: absent); needed at collection time to list the cases.
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SCHEMA_TESTS = CORPUS / "schema-tests"
REAL = CORPUS / "real"

#: Files in the tree that ci_schema_spec.js does not import at the corpus commit.
UNREFERENCED = {"positive/identity_provider.yml", "negative/identity_provider.yml"}

#: Files whose top-level keys are test names and whose values are whole documents.
WHOLE_DOCUMENT = ("positive/workflow/auto_cancel/", "negative/workflow/auto_cancel/")

#: Cases that disagree between the schema cigen uses (check-jsonschema's copy of GitLab's
#: ci.json) and the corpus ci.json; they are run with the corpus ci.json, the schema these
#: tests were written for.
CORPUS_SCHEMA = {
    # The shipped schema's run step has no `action` key; the corpus ci.json has it.
    "positive/run.yml::step_using_action",
}

#: Files the spec does not import either (the MANIFEST only names identity_provider.yml), and
#: whose positive case the corpus ci.json rejects (`inputs` of a job; the corpus schema's
#: input `default` oneOf is narrower). They are run with the shipped schema, which accepts
#: the positive and rejects the negative cases.
SHIPPED_SCHEMA_ONLY = {"positive/job_inputs.yml", "negative/job_inputs.yml"}

#: Negative cases whose only fault is a null value. GitLab's Ajv test rejects null, but GitLab
#: itself treats a null entry as unspecified (Gitlab::Config::Entry::Factory; semantics 2.6,
#: "Excluding a key"), and so does cigen (``cigen.schema.normalize``), so cigen accepts them.
#: The test checks both facts: the raw schema rejects the document and cigen accepts it.
NULL_IS_UNSET = {
    "negative/artifacts.yml::browser_performance no paths",
    "negative/artifacts.yml::cyclonedx no paths",
    "negative/artifacts.yml::accessibility-report-left-blank",
    "negative/image.yml::empty_image",
    "negative/image.yml::image_with_empty_executor_opts",
    "negative/image.yml::image_with_empty_executor_opts_kubernetes",
    "negative/rules.yml::rules-if-empty",
    "negative/rules_needs.yml::lint_job",
    "negative/services.yml::empty_services",
}


# --- (a) schema tests ---------------------------------------------------------------------


def _documents() -> Iterator[tuple[str, str, Any, bool]]:
    """``(relative file, kind, loaded body, whole-document?)`` for every referenced file."""
    for kind in ("positive", "negative"):
        for path in sorted((SCHEMA_TESTS / kind).rglob("*.yml")):
            rel = path.relative_to(SCHEMA_TESTS).as_posix()
            if rel in UNREFERENCED:
                continue
            yield rel, kind, _load(rel, path), rel.startswith(WHOLE_DOCUMENT)
        for path in sorted((SCHEMA_TESTS / "json-tests" / kind).glob("*.json")):
            rel = path.relative_to(SCHEMA_TESTS).as_posix()
            yield rel, kind, _load(rel, path), False


def _load(rel: str, path: Path) -> YMap:
    loaded = load_text(rel, path.read_bytes())
    problems = [p.message for p in loaded.problems]
    assert loaded.ok and not problems and isinstance(loaded.body, YMap), (rel, problems)
    return loaded.body


def _schema_cases() -> list[Any]:
    if not SCHEMA_TESTS.is_dir():
        return [pytest.param(None, None, None, False, id="corpus-absent")]
    cases = []
    for rel, kind, body, whole in _documents():
        for key in body:
            case_id = f"{rel}::{key}"
            cases.append(pytest.param(kind, case_id, body, whole, id=case_id))
    return cases


SCHEMA_CASES = _schema_cases()


@cache
def _validator(which: str) -> Any:
    if which == "corpus":
        return make_validator(json.loads((SCHEMA_TESTS / "ci.json").read_text(encoding="utf-8")))
    return make_validator(gitlab_ci_schema())


_MEMO: dict[str, dict[str, list[Any]]] = {"corpus": {}, "shipped": {}}


def _document(body: YMap, key: str, whole: bool) -> YMap:
    if whole:
        value = body[key]
        assert isinstance(value, YMap), f"{key}: a whole-document case must be a mapping"
        return value
    doc = YMap(body.mark)
    doc.put(key, body[key], body.key_mark(key), body.value_mark(key))
    return doc


def _schema_for(case_id: str) -> str:
    return "corpus" if case_id in CORPUS_SCHEMA else "shipped"


def cigen_schema_errors(doc: YMap, which: str) -> list[str]:
    """What cigen's CIG002 check reports for one document."""
    issues = validate_entries(doc, _validator(which), _MEMO[which])
    return [f"{i.mark.line}:{i.mark.col} {i.message}" for i in issues]


@pytest.mark.parametrize(("kind", "case_id", "body", "whole"), SCHEMA_CASES)
def test_gitlab_schema_case(
    corpus_dir: Path, kind: str, case_id: str, body: YMap, whole: bool
) -> None:
    key = case_id.split("::", 1)[1]
    doc = _document(body, key, whole)
    errors = cigen_schema_errors(doc, _schema_for(case_id))
    if kind == "positive":
        assert errors == [], f"GitLab's schema test says this is valid: {errors}"
    elif case_id in NULL_IS_UNSET:
        assert errors == [], "cigen treats a null entry as unset, so this should pass"
        raw = _validator(_schema_for(case_id))
        assert not raw.is_valid(to_plain(doc)), "without null handling the schema rejects it"
    else:
        assert errors, "GitLab's schema test says this is invalid, cigen accepted it"


def test_schema_case_tables_name_real_cases(corpus_dir: Path) -> None:
    ids = {param.id for param in SCHEMA_CASES}
    files = {case_id.split("::", 1)[0] for case_id in ids}
    assert ids >= CORPUS_SCHEMA
    assert ids >= NULL_IS_UNSET
    assert files >= SHIPPED_SCHEMA_ONLY
    for rel in UNREFERENCED:
        assert (SCHEMA_TESTS / rel).is_file()
    # 30 + 36 YAML files minus the two unreferenced ones, plus 14 JSON files (MANIFEST)
    assert len(files) == 30 + 36 - 2 + 14


def test_shipped_schema_differences_are_real(corpus_dir: Path) -> None:
    """Each CORPUS_SCHEMA case does fail with the shipped schema (else drop it from the set)."""
    for param in SCHEMA_CASES:
        kind, case_id, body, whole = param.values
        if case_id in CORPUS_SCHEMA:
            doc = _document(body, case_id.split("::", 1)[1], whole)
            shipped = cigen_schema_errors(doc, "shipped")
            assert bool(shipped) == (kind == "positive"), case_id
        if case_id.split("::", 1)[0] in SHIPPED_SCHEMA_ONLY and kind == "positive":
            doc = _document(body, case_id.split("::", 1)[1], whole)
            assert cigen_schema_errors(doc, "corpus"), case_id


# --- (b) real projects --------------------------------------------------------------------

#: Error-level findings GitLab itself would also reject: {project: {(path, line, code), ...}}.
#: Each entry needs a comment with the reason. None so far: all 14 projects lint without
#: errors (external includes that cannot be followed offline are info-level CIG104).
KNOWN_REJECTED: dict[str, set[tuple[str, int, str]]] = {}

PROJECTS = sorted(p.name for p in REAL.iterdir() if p.is_dir()) if REAL.is_dir() else []


@pytest.mark.parametrize("project", PROJECTS or [pytest.param(None, id="corpus-absent")])
def test_real_project_lints_without_errors(corpus_dir: Path, project: str) -> None:
    root = corpus_dir / "real" / project
    result = lint(root / ".gitlab-ci.yml", root=root)
    crashes = [d for d in result.diagnostics if d.code == "CIG000"]
    assert not crashes, [d.message for d in crashes]
    errors = {(d.path, d.line, d.code) for d in result.diagnostics if d.severity is Severity.ERROR}
    known = KNOWN_REJECTED.get(project, set())
    unexpected = sorted(errors - known)
    assert not unexpected, "\n".join(
        f"{d.path}:{d.line}:{d.col} {d.code} {d.message}"
        for d in result.diagnostics
        if (d.path, d.line, d.code) in set(unexpected)
    )
    assert known <= errors, f"KNOWN_REJECTED entries no longer reported: {sorted(known - errors)}"
    assert result.pipeline.jobs, "no visible job was found"
    assert ".gitlab-ci.yml" in result.pipeline.files


def test_all_manifest_projects_present(corpus_dir: Path) -> None:
    assert corpus_dir / "real" == REAL
    assert len(PROJECTS) == 14
    assert set(KNOWN_REJECTED) <= set(PROJECTS)


# --- (a') the same cases through GitLab's own validation (cigen.config) --------------------


#: Positive cases of the editor schema that GitLab's validation refuses, and why.
SCHEMA_LOOSER_THAN_GITLAB = {
    f"positive/include.yml::trigger:include accepts {what}": (
        "the job has script and trigger: a Job (job.rb: trigger is not an allowed key) and "
        "processable.rb: script and trigger cannot be used together"
    )
    for what in ("project and file properties", "optional ref property")
} | {
    "json-tests/positive/gitlab-ci.json::build": (
        "the job has rules and only/except (processable.rb: key may not be used with `rules`)"
    ),
    "json-tests/positive/gitlab-ci.json::default": (
        "artifacts:expose_as with a path holding '*' (artifacts.rb: paths can't contain '*' "
        "when used with 'expose_as')"
    ),
    "json-tests/positive/gitlab-ci.json::test": (
        "artifacts:reports:license_management is no report GitLab 18.9 knows (reports.rb "
        "ALLOWED_KEYS)"
    ),
    "positive/spec_inputs.yml::spec": (
        "spec: belongs in the header document; in the configuration it is a job, whose inputs "
        "each need a default (job_input.rb: must have a default value)"
    ),
}


def gitlab_errors(doc: YMap) -> list[str]:
    """What GitLab's entry tree (as ported in cigen.config) says about one document. Only the
    entry tree: the schema tests are fragments, whose needs, stages and on_stop jobs may name
    jobs they leave out, which yaml_processor.rb's checks across jobs would then refuse."""
    from cigen.config.root import root

    return [f"{e.mark.line}:{e.mark.col} {e.message}" for e in root(doc).errors]


@pytest.mark.parametrize(
    ("kind", "case_id", "body", "whole"),
    [case for case in SCHEMA_CASES if case.values[0] != "negative"],
)
def test_gitlab_validation_accepts_schema_positives(
    corpus_dir: Path, kind: str, case_id: str, body: YMap, whole: bool
) -> None:
    """Every configuration GitLab's schema tests call valid, GitLab's validation accepts. The
    schema tests hold job fragments (the editor schema does not require ``script``), so a
    fragment gets ``script:`` and a document without a job gets one, as GitLab needs both."""
    if case_id in SCHEMA_LOOSER_THAN_GITLAB:
        pytest.skip(SCHEMA_LOOSER_THAN_GITLAB[case_id])
    key = case_id.split("::", 1)[1]
    errors = [e for e in gitlab_errors(_completed(_document(body, key, whole))) if e]
    assert errors == [], f"GitLab's schema test says this is valid: {errors}"


def _completed(doc: YMap) -> YMap:
    from cigen.config.root import ROOT_KEYS, job_kind

    out = YMap(doc.mark)
    for key, value in doc.items():
        if key not in ROOT_KEYS and isinstance(value, YMap) and job_kind(key, value) is None:
            value = _with_script(value)
        out.put(key, value, doc.key_mark(key), doc.value_mark(key))
    if all(key in ROOT_KEYS or key.startswith(".") for key in out):
        out.put("lint", _with_script(YMap(doc.mark)), doc.mark, doc.mark)
    return out


def _with_script(job: YMap) -> YMap:
    out = YMap(job.mark)
    for key, value in job.items():
        out.put(key, value, job.key_mark(key), job.value_mark(key))
    out.put("script", "true", job.mark, job.mark)
    return out
