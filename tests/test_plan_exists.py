"""``rules:exists`` and ``include:rules:exists`` read the project's files: git's list in a work
tree, else the files on disk under the root (``lib/gitlab/ci/build/rules/rule/clause/exists.rb``,
``lib/gitlab/ci/config/external/rules.rb``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cigen import project as project_module
from cigen.cli.main import main
from cigen.project import Project

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

CI = """\
include:
  - local: extra.yml
    rules:
      - exists: [Dockerfile]
docker:
  script: [docker build .]
  rules:
    - exists: ["**/*.dockerfile", Dockerfile]
python:
  script: [pytest]
  rules:
    - exists: [pyproject.toml]
"""


def _project(tmp_path: Path, *files: str) -> Path:
    (tmp_path / ".gitlab-ci.yml").write_text(CI)
    (tmp_path / "extra.yml").write_text("from-include:\n  script: [x]\n")
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    return tmp_path


def _names(root: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code = main(["plan", str(root / ".gitlab-ci.yml"), "--root", str(root), "--format", "json"])
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == 0
    return [j["name"] for j in data["jobs"]]


def test_files_on_disk_decide_exists(tmp_path, capsys) -> None:
    root = _project(tmp_path, "Dockerfile")
    assert _names(root, capsys) == ["from-include", "docker"]


def test_glob_and_missing_files(tmp_path, capsys) -> None:
    root = _project(tmp_path, "images/app.dockerfile", "pyproject.toml")
    assert _names(root, capsys) == ["docker", "python"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@needs_git
def test_git_ignored_files_do_not_exist(tmp_path, capsys) -> None:
    root = _project(tmp_path, "Dockerfile", "pyproject.toml")
    (root / ".gitignore").write_text("Dockerfile\n")
    _git(root, "init", "-q")
    _git(root, "add", "pyproject.toml")
    assert _names(root, capsys) == ["python"]


@needs_git
def test_in_a_work_tree_only_tracked_files_exist(tmp_path, capsys) -> None:
    # exists.rb asks the repository at the pipeline's commit: a file git does not track (even
    # one no .gitignore names) is not there; a tracked file is, even once deleted from disk
    root = _project(tmp_path, "Dockerfile", "pyproject.toml")
    _git(root, "init", "-q")
    _git(root, "add", "Dockerfile")
    (root / "Dockerfile").unlink()
    assert _names(root, capsys) == ["from-include", "docker"]


@needs_git
def test_a_root_inside_a_work_tree_lists_its_own_tracked_files(tmp_path) -> None:
    (tmp_path / "app" / "src").mkdir(parents=True)
    for name in ("top.txt", "app/Dockerfile", "app/src/main.py", "app/untracked.txt"):
        (tmp_path / name).write_text("x\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "top.txt", "app/Dockerfile", "app/src/main.py")
    project = Project(tmp_path / "app")
    assert project.files() == ["Dockerfile", "src/main.py"]
    assert project.glob("**/*.py") == ["src/main.py"]


def test_outside_a_work_tree_files_on_disk_count_without_dot_git(tmp_path) -> None:
    (tmp_path / ".git").mkdir()  # not a repository: git fails, the disk is walked
    (tmp_path / ".git" / "config").write_text("x\n")
    (tmp_path / "a.txt").write_text("x\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.txt").write_text("x\n")
    project = Project(tmp_path)
    assert project.files() == ["a.txt", "d/b.txt"]
    assert project.truncated is False


def test_without_git_the_disk_is_walked(tmp_path, monkeypatch) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert Project(tmp_path).files() == ["a.txt"]


@pytest.mark.parametrize("in_git", [False, True])
def test_the_listing_is_bounded(tmp_path, monkeypatch, in_git: bool) -> None:
    if in_git and shutil.which("git") is None:
        pytest.skip("git is not installed")
    for index in range(5):
        (tmp_path / f"f{index}.txt").write_text("x\n")
    if in_git:
        _git(tmp_path, "init", "-q")
        _git(tmp_path, "add", ".")
    monkeypatch.setattr(project_module, "MAX_WALK_FILES", 3)
    project = Project(tmp_path)
    assert len(project.files()) == 3
    assert project.truncated is True


def test_past_the_bound_exists_is_assumed_to_match(tmp_path, capsys, monkeypatch) -> None:
    # the files are unknown past the bound: exists.rb's own limit also assumes a match
    root = _project(tmp_path, "a.txt", "b.txt", "c.txt")
    monkeypatch.setattr(project_module, "MAX_WALK_FILES", 2)
    assert _names(root, capsys) == ["from-include", "docker", "python"]


def test_without_a_dot_git_git_is_not_started(tmp_path, monkeypatch) -> None:
    # git finds a work tree through a .git entry in the root or above it (or GIT_DIR): with
    # none, `git ls-files` could only fail, so the disk is walked without starting git; a git
    # on PATH that records its start shows whether it ran
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "a.txt").write_text("x\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "git-ran"
    fake = bin_dir / "git"
    fake.write_text(f"#!/bin/sh\n: > '{marker}'\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("GIT_DIR", raising=False)
    assert Project(tmp_path / "proj").files() == ["a.txt"]
    assert not marker.exists()
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere.git"))
    assert Project(tmp_path / "proj").files() == ["a.txt"]
    assert marker.exists()
