"""``cigen plan`` and ``cigen explain``: the pipeline GitLab would create for a ref
(docs/gitlab-ci-semantics.md sections 4, 6 and 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigen.cli.main import main

CI = """\
stages: [build, test, deploy]
variables:
  RUN_NIGHTLY: "false"
build:
  stage: build
  script: [make]
test:
  stage: test
  script: [make test]
  only: [main, /^release-.*$/]
nightly:
  stage: test
  script: [make nightly]
  rules:
    - if: $RUN_NIGHTLY == "true"
      when: always
    - when: never
deploy:
  stage: deploy
  script: [./deploy]
  rules:
    - if: $CI_COMMIT_TAG
      when: manual
mr-only:
  stage: test
  script: [make mr]
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
"""


def plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    (tmp_path / ".gitlab-ci.yml").write_text(CI)
    code = main(["plan", str(tmp_path / ".gitlab-ci.yml"), "--format", "json", *args])
    assert code == 0
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


def names(data: dict[str, object]) -> list[tuple[str, str, str]]:
    jobs = data["jobs"]
    assert isinstance(jobs, list)
    return [(j["name"], j["stage"], j["when"]) for j in jobs]


def test_push_to_main_runs_default_only_jobs_in_stage_order(tmp_path, capsys) -> None:
    assert names(plan(tmp_path, capsys, "--ref", "main")) == [
        ("build", "build", "on_success"),
        ("test", "test", "on_success"),
    ]


def test_feature_branch_skips_only_main_job(tmp_path, capsys) -> None:
    assert names(plan(tmp_path, capsys, "--ref", "feature")) == [("build", "build", "on_success")]


def test_release_branch_matches_only_regex(tmp_path, capsys) -> None:
    assert ("test", "test", "on_success") in names(plan(tmp_path, capsys, "--ref", "release-1"))


def test_tag_pipeline_gets_manual_deploy(tmp_path, capsys) -> None:
    # only: [main] matches a tag named main too (6.3); here the tag is v1.0
    assert names(plan(tmp_path, capsys, "--ref", "v1.0", "--tag")) == [
        ("build", "build", "on_success"),
        ("deploy", "deploy", "manual"),
    ]


def test_flag_variable_enables_rules_job(tmp_path, capsys) -> None:
    data = plan(tmp_path, capsys, "--ref", "feature", "--var", "RUN_NIGHTLY=true")
    assert ("nightly", "test", "always") in names(data)


def test_merge_request_pipeline_drops_default_only_jobs(tmp_path, capsys) -> None:
    # jobs without rules get only: [branches, tags], which an MR pipeline is not (6.1)
    data = plan(tmp_path, capsys, "--ref", "feature", "--source", "merge_request_event")
    assert names(data) == [("mr-only", "test", "on_success")]


def test_workflow_rules_can_reject_the_pipeline(tmp_path, capsys) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(
        'workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH == "main"\njob:\n  script: [x]\n'
    )
    assert main(["plan", str(tmp_path / ".gitlab-ci.yml"), "--ref", "feature"]) == 0
    assert capsys.readouterr().out.startswith("no pipeline:")


def test_explain_names_the_deciding_clause_and_variables(tmp_path, capsys) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(CI)
    code = main(["explain", "nightly", str(tmp_path / ".gitlab-ci.yml"), "--ref", "main"])
    out = capsys.readouterr().out
    assert code == 0
    assert "nightly: runs" not in out and "does not run" in out
    assert "$RUN_NIGHTLY = 'false'" in out


def test_explain_unknown_job_is_a_usage_error(tmp_path, capsys) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(CI)
    assert main(["explain", "nope", str(tmp_path / ".gitlab-ci.yml")]) == 2
    assert "no job named 'nope'" in capsys.readouterr().err


def test_plan_with_runners_names_the_runner_per_job(tmp_path, capsys) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text("a:\n  tags: [gpu]\n  script: [x]\n")
    (tmp_path / "r.yml").write_text("runners:\n  - name: g\n    tags: [gpu]\n")
    code = main(["plan", str(tmp_path / ".gitlab-ci.yml"), "--runners", str(tmp_path / "r.yml")])
    assert code == 0
    assert "-> g" in capsys.readouterr().out
