"""The one bounded reader (``cigen.project.read_file`` / ``read_regular``), issue 11 class 1.

Every file cigen reads goes through it: regular files only, inside the project root once
symlinks are resolved (a file named on the command line may lie outside the root as written),
at most ``limit`` bytes, and an error names the file, never its content.
"""

from __future__ import annotations

import ast
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cigen.errors import CigenError
from cigen.project import (
    EXCERPT,
    Missing,
    NotRegular,
    Outside,
    Project,
    excerpt,
    read_file,
    read_regular,
)

REPO = Path(__file__).resolve().parents[1]
SECRET = "s3cret-content-never-shown"
FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``tmp_path/project`` (the root) and ``tmp_path/secret.txt`` beside it."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "ok.yml").write_text("a: 1\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    return root


def refusal(path: Path, root: Path, **options: object) -> str:
    with pytest.raises(CigenError) as info:
        read_file(path, root=root, what="a test file", **options)  # type: ignore[arg-type]
    message = str(info.value)
    assert SECRET not in message
    assert "a test file" in message
    return message


def test_reads_a_regular_file_inside_the_root(tree: Path) -> None:
    assert read_file(tree / "ok.yml", root=tree, what="x") == b"a: 1\n"


def test_symlink_inside_the_root_is_followed(tree: Path) -> None:
    (tree / "sub").mkdir()
    (tree / "sub" / "link.yml").symlink_to("../ok.yml")
    assert read_file(tree / "sub" / "link.yml", root=tree, what="x") == b"a: 1\n"


@pytest.mark.parametrize("explicit", [False, True])
def test_symlink_leading_out_is_refused_even_when_named(tree: Path, explicit: bool) -> None:
    (tree / "link.yml").symlink_to(tree.parent / "secret.txt")
    message = refusal(tree / "link.yml", tree, explicit=explicit)
    assert message.startswith(f"{(tree / 'link.yml').as_posix()}: cannot read a test file")
    assert "outside the project root" in message


def test_symlinked_folder_leading_out_is_refused(tree: Path) -> None:
    (tree / "folder").symlink_to(tree.parent, target_is_directory=True)
    assert "outside the project root" in refusal(tree / "folder" / "secret.txt", tree)


def test_dotdot_out_is_refused_unless_named_on_the_command_line(tree: Path) -> None:
    climbing = tree / ".." / "secret.txt"
    assert "outside the project root" in refusal(climbing, tree)
    assert read_file(climbing, root=tree, what="x", explicit=True) == SECRET.encode()


def test_a_file_named_outside_the_root_is_still_bounded(tree: Path) -> None:
    big = tree.parent / "big.yml"
    big.write_bytes(b"x" * 101)
    message = refusal(big, tree, explicit=True, limit=100)
    assert "101 bytes, over the limit of 100" in message


def test_size_limit_is_exact(tree: Path) -> None:
    (tree / "f").write_bytes(b"y" * 100)
    assert read_file(tree / "f", root=tree, what="x", limit=100) == b"y" * 100
    (tree / "f").write_bytes(b"y" * 101)
    assert "over the limit of 100" in refusal(tree / "f", tree, limit=100)


def test_label_names_the_file_in_errors(tree: Path) -> None:
    message = refusal(tree / "absent.yml", tree, label="shown/name.yml")
    assert message == "shown/name.yml: cannot read a test file: No such file or directory"


def test_missing_ok_only_for_a_missing_file(tree: Path) -> None:
    assert read_file(tree / "absent.yml", root=tree, what="x", missing_ok=True) is None
    assert "Is a directory" in refusal(tree, tree, missing_ok=True)


def test_directory_is_refused(tree: Path) -> None:
    assert refusal(tree, tree).endswith("cannot read a test file: Is a directory")


@FIFO
def test_fifo_is_refused_without_blocking(tree: Path) -> None:
    """Opening a FIFO for reading blocks until a writer comes; the reader must not wait."""
    os.mkfifo(tree / "pipe.yml")
    outcome: list[str] = []

    def attempt() -> None:
        outcome.append(refusal(tree / "pipe.yml", tree))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert outcome, "reading a FIFO blocked"
    assert outcome[0].endswith("a named pipe (FIFO), not a regular file")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_is_refused(tree: Path) -> None:
    assert "a character device" in refusal(Path("/dev/zero"), tree, explicit=True)
    (tree / "zero.yml").symlink_to("/dev/zero")
    assert "outside the project root" in refusal(tree / "zero.yml", tree)


def test_read_regular_reports_kind_and_size(tree: Path) -> None:
    (tree / "f").write_bytes(b"z" * 50)
    data, size = read_regular(tree / "f", 10)
    assert (len(data), size) == (11, 50)  # one byte past the limit says "too large"
    with pytest.raises(NotRegular):
        read_regular(tree, 10)
    with pytest.raises(Missing) as info:
        read_regular(tree / "absent", 10)
    assert info.value.absent


def test_read_regular_does_not_follow_a_final_symlink(tree: Path) -> None:
    (tree / "link").symlink_to("ok.yml")
    with pytest.raises(Missing) as info:
        read_regular(tree / "link", 10)
    assert not info.value.absent


def test_project_read_is_confined(tree: Path) -> None:
    (tree / "out.yml").symlink_to(tree.parent / "secret.txt")
    project = Project(tree)
    assert project.read("ok.yml") == (b"a: 1\n", 5)
    with pytest.raises(Outside):
        project.read("out.yml")
    with pytest.raises(Outside):
        project.read("../secret.txt")


@given(st.one_of(st.text(), st.binary(), st.integers(), st.lists(st.text())))
def test_excerpt_is_short(value: object) -> None:
    shown = excerpt(value)
    assert len(shown) <= EXCERPT
    if len(repr(value)) <= EXCERPT:
        assert shown == repr(value)


# --- the rule itself: no other way to read a file ----------------------------------------------

#: Modules allowed to open files themselves: the reader and the writer.
OWN_IO = {"cigen/project.py", "cigen/atomic.py"}
READERS = {"open", "read_text", "read_bytes", "fdopen"}


def test_every_read_goes_through_the_bounded_reader() -> None:
    offenders = []
    for path in sorted((REPO / "cigen").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel in OWN_IO:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                first = ast.unparse(node.args[0]) if node.args else ""
                if name in READERS and first != "os.devnull":
                    offenders.append(f"{rel}:{node.lineno}: {name}(...)")
    assert offenders == []
