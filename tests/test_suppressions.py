"""``# cigen: ignore[...]`` comments: how they are read and how they meet .cigen.yaml settings.

The positional cases of each directive form are in test_rules.py (unused-suppression CIG005).
"""

from __future__ import annotations

from pathlib import Path

from helpers import lint_tree

from cigen.lint.settings import Config
from cigen.yaml.directives import scan
from cigen.yaml.load import load_text

UNKNOWN_STAGE = "build:\n  stage: compile  # cigen: ignore[CIG201]\n  script: [make]\n"


def test_directives_are_read_with_the_file() -> None:
    loaded = load_text("ci.yml", UNKNOWN_STAGE.encode())
    (directive,) = loaded.directives
    assert (directive.mark.line, directive.mark.col, directive.target) == (2, 19, 2)
    assert directive.names == ("CIG201",)


def test_crlf_and_cr_line_breaks_count_like_yaml() -> None:
    text = "a: 1\r\n# cigen: ignore[x, y]\r\n\r\nb: 2\rc: 3  # cigen: ignore-file[z]\n"
    first, second = scan("f", text)
    assert (first.mark.line, first.target, first.names) == (2, 4, ("x", "y"))
    assert (second.mark.line, second.mark.col, second.misplaced) == (5, 7, True)
    assert text[second.offset] == "#"


def test_a_comment_above_the_last_line_targets_itself() -> None:
    (directive,) = scan("f", "a: 1\n# cigen: ignore[x]\n")
    assert directive.target == 2


def test_no_marker_no_scan() -> None:
    assert scan("f", "a: 1 # cigen ignore[x]\n") == ()
    assert load_text("f", "a: 'x # cigen: ignore[x]'\n").directives == ()


def test_a_rule_that_did_not_run_has_no_unused_suppression(tmp_path: Path) -> None:
    text = "build:\n  script: [make]  # cigen: ignore[CIG201]\n"
    assert lint_tree(tmp_path, {".gitlab-ci.yml": text}, config=Config()).diagnostics
    for config in (
        Config(ignore=frozenset({"CIG201"})),
        Config(select=frozenset({"CIG202", "CIG005"})),
        Config(ignore=frozenset({"CIG005"})),
        Config(select=frozenset({"CIG201"})),  # CIG005 itself not selected
    ):
        result = lint_tree(tmp_path, {".gitlab-ci.yml": text}, config=config)
        assert result.diagnostics == (), config


def test_a_suppressed_error_no_longer_fails_the_run(tmp_path: Path) -> None:
    result = lint_tree(tmp_path, {".gitlab-ci.yml": UNKNOWN_STAGE})
    assert result.diagnostics == ()
    assert result.exit_code == 0
    plain = UNKNOWN_STAGE.replace("  # cigen: ignore[CIG201]", "")
    assert lint_tree(tmp_path, {".gitlab-ci.yml": plain}).exit_code == 1


def test_ignore_file_of_unused_suppression_silences_those_findings(tmp_path: Path) -> None:
    text = "# cigen: ignore-file[unused-suppression]\nbuild:\n  script: [m]  # cigen: ignore[x]\n"
    assert lint_tree(tmp_path, {".gitlab-ci.yml": text}).diagnostics == ()
