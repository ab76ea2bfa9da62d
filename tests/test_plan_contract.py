"""When GitLab creates no pipeline, ``cigen plan`` says why in GitLab's words and lists no job.

Filtered out (nothing to run, exit 0): ``lib/gitlab/ci/pipeline/chain/evaluate_workflow_rules.rb``
(``Ci::Pipeline.workflow_rules_failure_message``) and ``chain/populate.rb`` (no stage left
besides ``.pre`` / ``.post``: ``Ci::Pipeline.rules_failure_message``). Refused with an error
(exit 1): ``chain/config/process.rb`` (an invalid configuration) and ``chain/seed.rb`` with
``pipeline/seed/build.rb#needs_errors`` (a need on a job rules left out).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigen.cli.main import main
from cigen.pipeline.simulate import NO_JOBS_MESSAGE, WORKFLOW_FILTERED_MESSAGE

NEEDS_MESSAGE = (
    "'unit' job needs 'build' job, but 'build' does not exist in the pipeline. This might be "
    "because of the only, except, or rules keywords. To need a job that sometimes does not "
    "exist in the pipeline, use needs:optional."
)

CASES = {
    "workflow-never": (
        "workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\n    - when: never\njob:\n  script: [x]\n",
        0,
        "filtered",
        WORKFLOW_FILTERED_MESSAGE,
    ),
    "no-job-left": (
        "job:\n  script: [x]\n  rules:\n    - if: $CI_COMMIT_TAG\n",
        0,
        "filtered",
        NO_JOBS_MESSAGE,
    ),
    "only-pre-and-post": (
        "first:\n  stage: .pre\n  script: [x]\nlast:\n  stage: .post\n  script: [x]\n"
        "job:\n  script: [x]\n  only: [tags]\n",
        0,
        "filtered",
        NO_JOBS_MESSAGE,
    ),
    "need-on-excluded-job": (
        "stages: [build, test]\nbuild:\n  stage: build\n  script: [x]\n  rules:\n"
        "    - if: $CI_COMMIT_TAG\nunit:\n  needs: [build]\n  script: [x]\n",
        1,
        "refused",
        NEEDS_MESSAGE,
    ),
}


def _run(tmp_path: Path, ci: str, *args: str) -> int:
    (tmp_path / ".gitlab-ci.yml").write_text(ci)
    return main(["plan", str(tmp_path / ".gitlab-ci.yml"), "--ref", "main", *args])


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_reports_no_pipeline_and_why(tmp_path, capsys, case: str) -> None:
    ci, exit_code, status, message = CASES[case]
    code = _run(tmp_path, ci, "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert code == exit_code
    assert data["created"] is False and data["jobs"] == []
    assert (data["status"], data["message"]) == (status, message)


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_says_why_and_lists_no_job(tmp_path, capsys, case: str) -> None:
    ci, exit_code, _status, message = CASES[case]
    code = _run(tmp_path, ci)
    out = capsys.readouterr().out
    assert code == exit_code
    assert out.startswith("no pipeline: ")
    assert message in out
    assert "on_success" not in out


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_pictures_keep_the_exit_code(tmp_path, capsys, fmt: str) -> None:
    ci = CASES["need-on-excluded-job"][0]
    code = _run(tmp_path, ci, "--format", fmt)
    assert code == 1
    assert "no pipeline: 'unit' job needs 'build' job" in capsys.readouterr().out


def test_pre_job_with_a_real_stage_job_is_a_pipeline(tmp_path, capsys) -> None:
    ci = "first:\n  stage: .pre\n  script: [x]\njob:\n  script: [x]\n"
    code = _run(tmp_path, ci, "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["created"] is True and data["status"] == "created"
    assert [j["name"] for j in data["jobs"]] == ["first", "job"]
    assert data["message"] is None


INVALID = "build:\n  script: [x]\n  foo: 1\ntest:\n  script: [y]\n  when: sometimes\n"
FIRST = "jobs:build config contains unknown keys: foo"
DETAIL = [
    f".gitlab-ci.yml:3:3: {FIRST}",
    ".gitlab-ci.yml:6:9: jobs:test when should be one of: "
    "on_success, on_failure, always, manual, delayed",
]


def test_invalid_configuration_is_refused_with_gitlabs_first_error(tmp_path, capsys) -> None:
    # chain/config/process.rb: `error(result.errors.first, failure_reason: :config_error)`:
    # GitLab's message is the first error alone, without a position; cigen's positioned list
    # of every error is extra detail in its own field
    code = _run(tmp_path, INVALID, "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["status"] == "refused" and data["jobs"] == [] and data["created"] is False
    assert data["message"] == FIRST
    assert data["errors"] == [FIRST]
    assert data["detail"] == DETAIL


def test_invalid_configuration_text_marks_cigens_detail(tmp_path, capsys) -> None:
    code = _run(tmp_path, INVALID)
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines == [
        f"no pipeline: {FIRST}",
        "cigen's detail, not GitLab's output (2 error(s) in all):",
        f"  {DETAIL[0]}  <- the error GitLab shows",
        f"  {DETAIL[1]}",
    ]


def test_explain_on_an_invalid_configuration_shows_gitlabs_first_error(tmp_path, capsys) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(INVALID)
    code = main(["explain", "test", str(tmp_path / ".gitlab-ci.yml"), "--ref", "main"])
    assert code == 1
    assert f"no pipeline: {FIRST}\n" in capsys.readouterr().out


def test_a_created_or_needs_refused_pipeline_has_no_detail(tmp_path, capsys) -> None:
    # chain/seed.rb joins every seed error with "\n": those are all GitLab's, nothing extra
    _run(tmp_path, CASES["need-on-excluded-job"][0], "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == [NEEDS_MESSAGE] and data["detail"] == []
    _run(tmp_path, "job:\n  script: [x]\n", "--format", "json")
    assert json.loads(capsys.readouterr().out)["detail"] == []


def test_explain_on_a_refused_pipeline_says_why(tmp_path, capsys) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(CASES["need-on-excluded-job"][0])
    code = main(["explain", "unit", str(tmp_path / ".gitlab-ci.yml"), "--ref", "main"])
    assert code == 1
    assert NEEDS_MESSAGE in capsys.readouterr().out
