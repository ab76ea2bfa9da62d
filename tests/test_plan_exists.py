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

from cigen.cli.main import main

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


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_ignored_files_do_not_exist(tmp_path, capsys) -> None:
    root = _project(tmp_path, "Dockerfile", "pyproject.toml")
    (root / ".gitignore").write_text("Dockerfile\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert _names(root, capsys) == ["python"]
