"""``cigen runners export --runners gitlab`` and ``cigen lint --runners gitlab`` through the CLI,
with python-gitlab talking HTTP to the test GitLab server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitlab_server import FakeGitLab, runner_detail, serve

from cigen.cli.main import main
from cigen.runners.inventory import load_inventory

TOKEN = "glpat-CliS3cretT0kenValue99"


@pytest.fixture
def fake() -> FakeGitLab:
    return FakeGitLab(
        token=TOKEN,
        projects={7: "team/app"},
        runners=[
            runner_detail(3, name="harbor-builder", tags=["harbor"]),
            runner_detail(1, name="shared", run_untagged=True),
            runner_detail(2, name="deployer", tags=["deploy"], access_level="ref_protected"),
        ],
    )


def env(monkeypatch: pytest.MonkeyPatch, url: str, token: str = TOKEN) -> None:
    monkeypatch.setenv("GITLAB_URL", url)
    monkeypatch.setenv("GITLAB_TOKEN", token)
    monkeypatch.setenv("CI_PROJECT_ID", "7")


def test_export_snapshots_the_live_inventory_as_a_loadable_file(
    fake: FakeGitLab,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serve(fake) as url:
        env(monkeypatch, url)
        assert main(["runners", "export", "--runners", "gitlab"]) == 0
    out = capsys.readouterr().out
    assert TOKEN not in out
    snapshot = tmp_path / "runners.yml"
    snapshot.write_text(out)
    runners = {r.name: r for r in load_inventory(snapshot)}
    assert set(runners) == {"harbor-builder", "shared", "deployer"}
    assert runners["deployer"].protected and runners["shared"].run_untagged
    # the snapshot then serves an offline lint, as a pre-commit hook would use it
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text("build:\n  tags: [harbor]\n  script: [x]\ngpu:\n  tags: [gpu]\n  script: [x]\n")
    code = main(["lint", str(ci), "--root", str(tmp_path), "--runners", str(snapshot)])
    assert code == 1
    assert "CIG301 no-runner job 'gpu'" in capsys.readouterr().out


def test_lint_against_the_live_api(
    fake: FakeGitLab,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text("build:\n  tags: [harbor]\n  script: [x]\n")
    with serve(fake) as url:
        env(monkeypatch, url)
        assert main(["lint", str(ci), "--root", str(tmp_path), "--runners", "gitlab"]) == 0


@pytest.mark.parametrize("token", ["glpat-WrongT0kenWrongT0ken", TOKEN])
def test_api_errors_exit_2_without_the_token(
    fake: FakeGitLab,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: str,
) -> None:
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text("build:\n  script: [x]\n")
    with serve(fake) as url:
        env(monkeypatch, url, token)
        if token == TOKEN:
            monkeypatch.setenv("CI_PROJECT_ID", "999")  # unknown project: 404
        code = main(["lint", str(ci), "--root", str(tmp_path), "--runners", "gitlab"])
    captured = capsys.readouterr()
    assert code == 2
    assert token not in captured.out + captured.err
    assert "Traceback" not in captured.err
