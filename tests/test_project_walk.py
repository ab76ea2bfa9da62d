"""The project's files on disk when the root is in no git work tree (``Project.files``): what
``os.walk`` lists, as GitLab's ``exists:`` and wildcard includes see a checkout (no ``.git``),
in a bounded walk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import cigen.project as project_module
from cigen.project import Project


@pytest.fixture(autouse=True)
def _no_git_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIT_DIR", raising=False)


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")


def test_files_are_repository_paths_in_name_order(tmp_path: Path) -> None:
    _touch(tmp_path, "z.yml", "a/b/c.yml", "a/a.yml", "b c/d.yml", ".gitlab-ci.yml")
    assert Project(tmp_path).files() == [
        ".gitlab-ci.yml",
        "a/a.yml",
        "a/b/c.yml",
        "b c/d.yml",
        "z.yml",
    ]


def test_git_folders_and_symlinked_folders_are_not_entered(tmp_path: Path) -> None:
    _touch(tmp_path, "a/f.yml", ".git/config", "sub/.git/HEAD", "sub/g.yml")
    (tmp_path / "linked").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "broken").symlink_to(tmp_path / "nowhere")
    (tmp_path / "file-link").symlink_to(tmp_path / "a" / "f.yml")
    os.mkfifo(tmp_path / "fifo")
    # a link to a folder is no file and is not followed; a broken link, a link to a file and a
    # FIFO are files (os.walk's lists)
    assert Project(tmp_path).files() == ["a/f.yml", "broken", "fifo", "file-link", "sub/g.yml"]


def test_the_bound_keeps_the_first_folders_walked_depth_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # depth first in name order: a, a/b, then c; past the bound the walk stops at once
    _touch(tmp_path, "a/b/1.yml", "c/2.yml", "c/d/3.yml")
    monkeypatch.setattr(project_module, "MAX_WALK_FILES", 1)
    project = Project(tmp_path)
    assert project.files() == ["a/b/1.yml"]
    assert project.truncated is True


def test_an_unreadable_folder_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _touch(tmp_path, "a/1.yml", "locked/2.yml", "locked/inner/3.yml", "z/4.yml")
    real_scandir = os.scandir
    locked = str(tmp_path / "locked")

    def scandir(path: str) -> object:
        if path == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(project_module.os, "scandir", scandir)
    assert Project(tmp_path).files() == ["a/1.yml", "z/4.yml"]


def test_an_entry_that_cannot_be_examined_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.walk counts an entry whose kind cannot be read as a file, and does not enter it
    _touch(tmp_path, "a/1.yml", "b.yml")
    real_scandir = os.scandir

    class Entry:
        def __init__(self, entry: os.DirEntry[str]) -> None:
            self.name = entry.name
            self._entry = entry

        def is_dir(self) -> bool:
            if self.name == "a":
                raise PermissionError(13, "Permission denied", self.name)
            return self._entry.is_dir()

        def is_symlink(self) -> bool:
            return self._entry.is_symlink()

    class Listing:
        def __init__(self, path: str) -> None:
            self._it = real_scandir(path)

        def __enter__(self) -> list[Entry]:
            return [Entry(e) for e in self._it]

        def __exit__(self, *exc: object) -> None:
            self._it.close()

    monkeypatch.setattr(project_module.os, "scandir", Listing)
    assert Project(tmp_path).files() == ["a", "b.yml"]


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("a/b.yml", "a/b.yml"),
        ("/a/./b.yml", "a/b.yml"),
        ("//a//b/", "a/b"),
        ("./a/../b.yml", "b.yml"),
        ("a/..", ""),
        ("a/.../b", "a/.../b"),
    ],
)
def test_normalize(written: str, normal: str) -> None:
    assert Project(Path()).normalize(written) == normal


@pytest.mark.parametrize("written", ["..", "../a.yml", "a/../../b.yml", "/../a"])
def test_normalize_refuses_a_path_leaving_the_root(written: str) -> None:
    with pytest.raises(project_module.Outside):
        Project(Path()).normalize(written)
