"""The runner check through ``cigen lint``: effective tags after includes, extends,
!reference, default: and variable expansion (docs/gitlab-ci-semantics.md 1.1 and 1.6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cigen.cli.main import main

RUNNERS = """\
runners:
  - name: harbor-builder
    tags: [harbor]
  - name: gpu-1
    tags: [gpu, docker]
  - name: gpu-paused
    tags: [gpu, cuda]
    paused: true
  - name: deployer
    tags: [deploy]
    protected: true
  - name: shared
    tags: []
    run_untagged: true
"""


def lint(
    tmp_path: Path, ci: str, *args: str, files: dict[str, str] | None = None
) -> tuple[int, list[dict[str, object]]]:
    (tmp_path / ".gitlab-ci.yml").write_text(ci)
    (tmp_path / "runners.yml").write_text(RUNNERS)
    for name, text in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    out = tmp_path / "report.json"
    code = main(
        [
            "lint",
            str(tmp_path / ".gitlab-ci.yml"),
            "--root",
            str(tmp_path),
            "--runners",
            str(tmp_path / "runners.yml"),
            "--format",
            "json",
            "-o",
            str(out),
            *args,
        ]
    )
    found = json.loads(out.read_text())["diagnostics"]
    return code, [d for d in found if str(d["code"]).startswith("CIG3")]


def positions(found: list[dict[str, object]]) -> set[tuple[object, object, object, object]]:
    return {(d["name"], d["path"], d["line"], d["column"]) for d in found}


def test_job_whose_tags_no_runner_carries_is_reported_at_its_tags(tmp_path: Path) -> None:
    code, found = lint(tmp_path, "train:\n  tags: [gpu, harbor]\n  script: [x]\n")
    assert code == 1
    assert positions(found) == {("no-runner", ".gitlab-ci.yml", 2, 9)}
    message = str(found[0]["message"])
    assert "harbor-builder lacks [gpu]" in message and "gpu-1 lacks [harbor]" in message


def test_superset_runner_takes_the_job(tmp_path: Path) -> None:
    code, found = lint(tmp_path, "train:\n  tags: [gpu]\n  script: [x]\n")
    assert (code, found) == (0, [])


def test_tags_are_case_sensitive(tmp_path: Path) -> None:
    code, found = lint(tmp_path, "train:\n  tags: [GPU]\n  script: [x]\n")
    assert code == 1 and found[0]["name"] == "no-runner"


def test_only_paused_runner_matches(tmp_path: Path) -> None:
    code, found = lint(tmp_path, "train:\n  tags: [cuda]\n  script: [x]\n")
    assert code == 1
    assert "paused" in str(found[0]["message"])


def test_untagged_job_needs_a_runner_that_runs_untagged(tmp_path: Path) -> None:
    ok = "job:\n  script: [x]\n"
    assert lint(tmp_path, ok) == (0, [])
    no_untagged = RUNNERS.replace("run_untagged: true", "run_untagged: false").replace(
        "    tags: []\n", "    tags: [misc]\n"
    )
    (tmp_path / "runners2.yml").write_text(no_untagged)
    (tmp_path / ".gitlab-ci.yml").write_text(ok)
    out = tmp_path / "r.json"
    code = main(
        [
            "lint",
            str(tmp_path / ".gitlab-ci.yml"),
            "--root",
            str(tmp_path),
            "--runners",
            str(tmp_path / "runners2.yml"),
            "--format",
            "json",
            "-o",
            str(out),
        ]
    )
    found = json.loads(out.read_text())["diagnostics"]
    assert code == 1 and [(d["name"], d["line"], d["column"]) for d in found] == [
        ("no-runner", 1, 1)
    ]


def test_default_tags_apply_only_when_the_job_sets_none_and_report_at_the_job(
    tmp_path: Path,
) -> None:
    ci = "default:\n  tags: [nope]\nown:\n  tags: [gpu]\n  script: [x]\ninherits:\n  script: [x]\n"
    code, found = lint(tmp_path, ci)
    assert code == 1
    assert positions(found) == {("no-runner", ".gitlab-ci.yml", 6, 1)}


def test_inherit_default_false_blocks_default_tags(tmp_path: Path) -> None:
    ci = "default:\n  tags: [nope]\njob:\n  inherit: {default: false}\n  script: [x]\n"
    assert lint(tmp_path, ci) == (0, [])


def test_extends_replaces_tags_and_reports_where_they_are_written(tmp_path: Path) -> None:
    files = {"ci/base.yml": ".base:\n  tags: [harbor, gpu]\n"}
    ci = (
        "include: ci/base.yml\njob:\n  extends: .base\n  script: [x]\n"
        "fixed:\n  extends: .base\n  tags: [gpu]\n  script: [x]\n"
    )
    code, found = lint(tmp_path, ci, files=files)
    assert code == 1
    assert positions(found) == {("no-runner", "ci/base.yml", 2, 9)}
    assert found[0]["job"] == "job"


def test_reference_and_variable_tags_are_expanded(tmp_path: Path) -> None:
    ci = (
        "variables:\n  GPU_TAG: gpu\n"
        ".tags: [harbor]\n"
        "ref:\n  tags: !reference [.tags]\n  script: [x]\n"
        "var:\n  tags: [$GPU_TAG, '${DOCKER}']\n  variables: {DOCKER: docker}\n  script: [x]\n"
    )
    assert lint(tmp_path, ci) == (0, [])


def test_matrix_values_expand_tags_per_instance(tmp_path: Path) -> None:
    ci = "job:\n  script: [x]\n  tags: [$T]\n  parallel:\n    matrix:\n      - T: [gpu, tpu]\n"
    code, found = lint(tmp_path, ci)
    assert code == 1
    assert [d["message"] for d in found if "tpu" in str(d["message"])]
    assert all("gpu]" not in str(d["message"]) for d in found)


def test_unresolved_variable_is_a_warning_and_var_flag_resolves_it(tmp_path: Path) -> None:
    ci = "job:\n  tags: [$RUNNER_TAG]\n  script: [x]\n"
    code, found = lint(tmp_path, ci)
    assert code == 0
    assert positions(found) == {("tags-unresolved-variable", ".gitlab-ci.yml", 2, 10)}
    code, found = lint(tmp_path, ci, "--var", "RUNNER_TAG=harbor")
    assert (code, found) == (0, [])
    code, found = lint(tmp_path, ci, "--var", "RUNNER_TAG=none")
    assert code == 1 and found[0]["name"] == "no-runner"


def test_protected_only_runner_is_a_warning_then_stuck_on_unprotected_refs(tmp_path: Path) -> None:
    ci = "deploy:\n  tags: [deploy]\n  script: [x]\n"
    code, found = lint(tmp_path, ci)
    assert code == 0 and positions(found) == {("runner-protected-only", ".gitlab-ci.yml", 2, 9)}
    code, found = lint(tmp_path, ci, "--ref", "feature", "--unprotected")
    assert code == 1 and found[0]["name"] == "no-runner"
    code, found = lint(tmp_path, ci, "--ref", "main", "--protected")
    assert (code, found) == (0, [])


def test_trigger_jobs_need_no_runner(tmp_path: Path) -> None:
    files = {"child.yml": "c:\n  script: [x]\n"}
    ci = "child:\n  trigger:\n    include: child.yml\n"
    assert lint(tmp_path, ci, files=files) == (0, [])


def test_with_a_context_only_running_jobs_are_checked(tmp_path: Path) -> None:
    ci = 'train:\n  tags: [nope]\n  script: [x]\n  rules:\n    - if: $CI_COMMIT_BRANCH == "main"\n'
    assert lint(tmp_path, ci)[0] == 1
    assert lint(tmp_path, ci, "--ref", "feature") == (0, [])
    assert lint(tmp_path, ci, "--ref", "main")[0] == 1


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_runners_command_lists_jobs_per_runner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(
        "a:\n  tags: [gpu]\n  script: [x]\nb:\n  tags: [tpu]\n  script: [x]\n"
    )
    (tmp_path / "runners.yml").write_text(RUNNERS)
    code = main(
        [
            "runners",
            str(tmp_path / ".gitlab-ci.yml"),
            "--runners",
            str(tmp_path / "runners.yml"),
            "--format",
            fmt,
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    if fmt == "json":
        data = json.loads(out)
        assert {r["name"]: r["jobs"] for r in data["runners"]}["gpu-1"] == ["a"]
        assert data["unmatched"] == [{"job": "b", "tags": ["tpu"]}]
    else:
        assert "gpu-1 [gpu, docker]\n  a\n" in out and "  b [tpu]" in out


def test_job_whose_rules_never_match_needs_no_runner(tmp_path: Path) -> None:
    ci = "disabled:\n  tags: [nope]\n  script: [x]\n  rules:\n    - when: never\n"
    assert lint(tmp_path, ci) == (0, [])


def test_inventory_named_in_cigen_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text("train:\n  tags: [tpu]\n  script: [x]\n")
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "runners.yml").write_text(RUNNERS)
    (tmp_path / ".cigen.yaml").write_text("runners: ci/runners.yml\n")
    code = main(["lint", str(tmp_path / ".gitlab-ci.yml"), "--root", str(tmp_path)])
    assert code == 1
    assert "CIG301 no-runner" in capsys.readouterr().out
