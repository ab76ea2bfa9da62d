"""Paths named on the command line (issue 11, class 1): once resolved they must lie inside the
project root, however they are written; outside, exit 2 naming the argument, and nothing of the
file outside is shown or replaced. (tests/test_hostile.py runs the same through ``cigen`` in
a limited process, ``read-*-outside``.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_files

from cigen.cli.main import main
from cigen.errors import CigenError
from cigen.project import confine

SECRET = "glpat-OutsideSecretValue0123"
CI = ".gitlab-ci.yml"


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """``tmp_path/app`` (the project, with a symlink ``app/out`` to ``tmp_path/elsewhere``)
    and ``tmp_path/secret.yml``."""
    write_files(tmp_path, {"app/" + CI: "job:\n  script: [x]\n", "secret.yml": f"x: {SECRET}\n"})
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "app" / "out").symlink_to(tmp_path / "elsewhere")
    return tmp_path / "app"


@pytest.mark.parametrize(
    "written",
    ["../secret.yml", "{tmp}/secret.yml", "out/report.json", "sub/../../secret.yml", "/etc/x"],
)
def test_confine_refuses_every_way_out(layout: Path, written: str) -> None:
    path = Path(written.format(tmp=layout.parent))
    if not path.is_absolute():
        path = layout / path
    with pytest.raises(CigenError, match=r"^-o .*: it leads outside the project root"):
        confine(path, layout, "-o")


def test_confine_takes_a_new_file_inside(layout: Path) -> None:
    assert confine(layout / "reports" / "new.json", layout, "-o") == layout / "reports" / "new.json"
    assert confine(layout / "sub" / ".." / CI, layout, "-o") == layout / "sub" / ".." / CI


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["lint", "--config", "../secret.yml"], "../secret.yml"),
        (["lint", "--runners", "../secret.yml"], "../secret.yml"),
        (["lint", "-o", "out/report.json"], "out/report.json"),
        (["expand", "-o", "../e.yml"], "../e.yml"),
    ],
)
def test_cli_refuses_and_shows_nothing_of_the_file(
    layout: Path,
    arguments: list[str],
    named: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(layout)
    assert main([*arguments, "--root", ".", CI]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("cigen: error: ")
    assert named in captured.err and "outside the project root" in captured.err
    assert SECRET not in captured.out + captured.err
    assert list((layout.parent / "elsewhere").iterdir()) == []


def test_inside_the_project_the_same_arguments_work(
    layout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(layout)
    write_files(layout, {"cfg/cigen.yaml": "severity: {}\n"})
    assert main(["lint", "--root", ".", "--config", "cfg/cigen.yaml", "-o", "cfg/out.txt", CI]) == 0
    assert (layout / "cfg" / "out.txt").is_file()


@pytest.mark.parametrize(
    "option", ["--output", "--report-md", "--report-html", "--per-project-dir"]
)
def test_scan_writes_only_inside_the_current_folder(
    layout: Path, option: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(layout)
    write_files(layout, {"shard-1.jsonl": ""})
    assert main(["scan", "merge", "shard-1.jsonl", option, "out/x"]) == 2
    assert f"{option} out/x: it leads outside the project root" in capsys.readouterr().err
    assert list((layout.parent / "elsewhere").iterdir()) == []
