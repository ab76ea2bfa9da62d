"""Gates and workflow of generated pipelines, proven with ``cigen plan`` (the pipeline simulation).

Each test generates ``.gitlab-ci.yml`` from a cigen.yml with ``cigen generate``, then asks
``cigen plan --format json`` which jobs GitLab would create for a push to ``main``, a push to a
feature branch (with and without an open merge request), a merge-request event, and with a flag
on and off. The workflow rules follow GitLab's ``workflow:rules`` evaluation
(``lib/gitlab/ci/pipeline/chain/evaluate_workflow_rules.rb``); jobs without rules run in every
pipeline the workflow lets through because GitLab drops the default ``only`` when
``workflow:rules`` exist (``lib/gitlab/ci/config/entry/processable.rb``, ``compose!``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cigen.cli.main import main

GATED = """
registry: harbor.example.local
workflow: {workflow}
jobs:
  build:
    preset: kaniko
    with: {{image: team/trainer}}
  train:
    preset: run-image
    with: {{image: team/trainer, script: [python train.py]}}
    gate: {{branches: [main, somebranch]{style}}}
  nightly:
    preset: run-image
    with: {{image: team/trainer, script: [python nightly.py]}}
    gate: {{flag: RUN_NIGHTLY{style}}}
  release:
    preset: run-image
    with: {{image: team/trainer, script: [python release.py]}}
    gate: {{branches: [main], flag: RUN_RELEASE{style}}}
  report:
    preset: run-image
    with: {{image: team/trainer, script: [python report.py]}}
    gate: {{flag: RUN_NIGHTLY{style}}}
    when: manual
"""

#: A push to a branch that has an open merge request (GitLab sets CI_OPEN_MERGE_REQUESTS).
OPEN_MR = ("--var", "CI_OPEN_MERGE_REQUESTS=group/project!1")
MR_EVENT = ("--source", "merge_request_event")


def generated(tmp_path: Path, workflow: str = "branches", style: str = "rules") -> Path:
    suffix = "" if style == "rules" else f", style: {style}"
    (tmp_path / "cigen.yml").write_text(
        GATED.format(workflow=workflow, style=suffix), encoding="utf-8"
    )
    out = tmp_path / ".gitlab-ci.yml"
    assert main(["generate", "-c", str(tmp_path / "cigen.yml"), "-o", str(out)]) == 0
    return out


def plan(path: Path, capsys: pytest.CaptureFixture[str], ref: str, *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["plan", str(path), "--format", "json", "--ref", ref, *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def jobs(data: dict[str, Any]) -> dict[str, str]:
    """``{job: when}`` of the planned pipeline ({} when no pipeline is created)."""
    return {job["name"]: job["when"] for job in data["jobs"]} if data["created"] else {}


@pytest.mark.parametrize("style", ["rules", "only"])
def test_push_to_main_runs_the_branch_gated_jobs(
    style: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = generated(tmp_path, style=style)
    assert jobs(plan(path, capsys, "main")) == {"build": "on_success", "train": "on_success"}


@pytest.mark.parametrize("style", ["rules", "only"])
def test_flag_on_adds_the_flagged_jobs_on_success(
    style: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = generated(tmp_path, style=style)
    on = ("--var", "RUN_NIGHTLY=true", "--var", "RUN_RELEASE=true")
    assert jobs(plan(path, capsys, "main", *on)) == {
        "build": "on_success",
        "train": "on_success",
        "nightly": "on_success",  # not "always": a failed build stops it
        "release": "on_success",
        "report": "manual",  # the job's own when: applies when the gate is open
    }


@pytest.mark.parametrize("style", ["rules", "only"])
def test_a_feature_branch_runs_only_ungated_and_flagged_jobs(
    style: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = generated(tmp_path, style=style)
    assert jobs(plan(path, capsys, "feature")) == {"build": "on_success"}
    both = ("--var", "RUN_NIGHTLY=true", "--var", "RUN_RELEASE=true")
    # branches AND flag: release needs main as well as its flag
    assert jobs(plan(path, capsys, "feature", *both)) == {
        "build": "on_success",
        "nightly": "on_success",
        "report": "manual",
    }
    assert jobs(plan(path, capsys, "somebranch")) == {
        "build": "on_success",
        "train": "on_success",
    }


def test_the_flag_must_be_exactly_true(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = generated(tmp_path)
    for value in ("yes", "True", "1"):
        assert "nightly" not in jobs(plan(path, capsys, "main", "--var", f"RUN_NIGHTLY={value}"))


def test_default_workflow_never_starts_a_merge_request_pipeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = generated(tmp_path)
    flag = ("--var", "RUN_NIGHTLY=true")
    assert jobs(plan(path, capsys, "feature", *MR_EVENT, *flag)) == {}
    # the push still gets its branch pipeline, with every job it should hold
    assert jobs(plan(path, capsys, "feature", *OPEN_MR, *flag)) == {
        "build": "on_success",
        "nightly": "on_success",
        "report": "manual",
    }


def test_merge_requests_workflow_runs_one_pipeline_per_push(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = generated(tmp_path, workflow="merge_requests")
    flag = ("--var", "RUN_NIGHTLY=true")
    assert jobs(plan(path, capsys, "feature", *OPEN_MR, *flag)) == {}
    # the merge-request pipeline holds the build too, not only the jobs with rules
    assert jobs(plan(path, capsys, "feature", *MR_EVENT, *flag)) == {
        "build": "on_success",
        "nightly": "on_success",
        "report": "manual",
    }
    assert jobs(plan(path, capsys, "somebranch", *MR_EVENT)) == {
        "build": "on_success",
        "train": "on_success",
    }
    # without a merge request, the branch pipeline runs as usual
    assert jobs(plan(path, capsys, "main")) == {"build": "on_success", "train": "on_success"}


def test_without_workflow_a_merge_request_duplicates_the_flagged_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GitLab's duplicate-pipeline case, which ``workflow: none`` keeps: the push and the
    merge-request event both create a pipeline, the second holding only the jobs with rules."""
    path = generated(tmp_path, workflow="none")
    flag = ("--var", "RUN_NIGHTLY=true")
    assert "build" in jobs(plan(path, capsys, "feature", *OPEN_MR, *flag))
    assert jobs(plan(path, capsys, "feature", *MR_EVENT, *flag)) == {
        "nightly": "on_success",
        "report": "manual",
    }


@pytest.mark.parametrize("workflow", ["branches", "merge_requests"])
def test_never_two_pipelines_for_one_push(
    workflow: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = generated(tmp_path, workflow=workflow)
    flag = ("--var", "RUN_NIGHTLY=true")
    created = [
        plan(path, capsys, "feature", *OPEN_MR, *flag)["created"],
        plan(path, capsys, "feature", *MR_EVENT, *flag)["created"],
    ]
    assert created.count(True) == 1


def test_tags_and_schedules_still_get_pipelines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = generated(tmp_path)
    assert jobs(plan(path, capsys, "v1.0", "--tag")) == {"build": "on_success"}
    assert jobs(plan(path, capsys, "main", "--source", "schedule")) == {
        "build": "on_success",
        "train": "on_success",
    }


# --- values that keep a gated job from running: warnings, and the file is still written ---------


def run_generate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> tuple[int, str, str]:
    (tmp_path / "cigen.yml").write_text(text, encoding="utf-8")
    capsys.readouterr()
    code = main(["generate", "-c", str(tmp_path / "cigen.yml")])
    out, err = capsys.readouterr()
    return code, out, err


FLAGGED = """registry: r
variables:
  RUN_BUILD: "{value}"
jobs:
  t:
    preset: run-image
    with: {{image: a, script: [x]}}
    gate: {{flag: RUN_BUILD}}
"""


@pytest.mark.parametrize("value", ["yes", "True", "1", "on"])
def test_a_flag_value_that_is_not_true_or_false_is_a_warning(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_generate(tmp_path, capsys, FLAGGED.format(value=value))
    assert code == 0
    assert out.startswith("# Generated by cigen")
    path = (tmp_path / "cigen.yml").as_posix()
    assert (
        f"cigen: warning: {path}:3:14: variables.RUN_BUILD is {value!r}, but the gate of job 't' "
        'opens only when RUN_BUILD is exactly "true"'
    ) in err
    assert 'write "true" or "false"' in err


@pytest.mark.parametrize("value", ["true", "false"])
def test_true_and_false_are_quiet(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_generate(tmp_path, capsys, FLAGGED.format(value=value))[2] == ""


WARNINGS = {
    "a job variable shadowing the flag": (
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    gate: {flag: RUN}\n    variables: {RUN: {value: 'Yes'}}\n",
        ":7:22: jobs.t.variables.RUN is 'Yes', but the gate of job 't'",
    ),
    "only gates with merge-request pipelines": (
        "registry: r\nworkflow: merge_requests\njobs:\n  t:\n    preset: run-image\n"
        "    with: {image: a, script: [x]}\n    gate: {branches: [dev], style: only}\n",
        ":7:36: jobs.t.gate.style: a job with only: never runs in a merge-request",
    ),
}


@pytest.mark.parametrize("case", sorted(WARNINGS))
def test_warnings_name_the_value(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expected = WARNINGS[case]
    code, out, err = run_generate(tmp_path, capsys, text)
    assert code == 0 and out
    assert expected in err


@pytest.mark.parametrize(
    ("branch", "test"),
    [
        ("main", '$CI_COMMIT_REF_NAME == "main"'),
        ("/^release-.*$/", "$CI_COMMIT_REF_NAME =~ /^release-.*$/"),
        ('say"hi', "$CI_COMMIT_REF_NAME == 'say\"hi'"),
    ],
)
def test_branch_names_become_expressions(branch: str, test: str) -> None:
    from cigen.diagnostics import Mark
    from cigen.generate.gates import branch_test
    from cigen.generate.spec import Gate, JobSpec
    from cigen.yaml.load import YMap

    gate = Gate((branch,), None, None, "rules", YMap(Mark("c", 1, 1)))
    job = JobSpec("t", "run-image", {}, gate, {}, YMap(Mark("c", 1, 1)))
    assert branch_test(gate, job) == test


def test_a_branch_with_both_quotes_cannot_be_a_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    gate: {branches: ['a\"b''c']}\n"
    )
    code, _, err = run_generate(tmp_path, capsys, text)
    assert code == 2
    assert ":6:23: jobs.t.gate.branches: 'a\"b\\'c' holds both kinds of quotes" in err
    assert "use style: only" in err
