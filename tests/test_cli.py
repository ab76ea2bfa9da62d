"""The command line through ``cigen.cli.main``: exit codes, config overrides, outputs.

Exit codes: 0 clean, 1 error-level findings, 2 a user mistake (bad flag, missing path, invalid
``.cigen.yaml``), 3 only for a crash in cigen itself, never for a user mistake. No user
mistake may print a traceback.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import NetworkBlockedError
from helpers import write_files

from cigen import __version__
from cigen.cli.main import main
from cigen.rules import RULES

CLEAN = "build:\n  script: [make]\n"
#: one warning (duplicate-key CIG003 at 6:1) and one error (needs-unknown-job CIG202 at 7:11,
#: in the second `test`, the one GitLab keeps)
FINDINGS = (
    "build:\n  script: [make]\n"
    "test:\n  needs: [biuld]\n  script: [make test]\n"
    "test:\n  needs: [biuld]\n  script: [make test]\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder (a git-like root) that is also the working directory."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def codes(out: str) -> list[str]:
    return [d["code"] for d in json.loads(out)["diagnostics"]]


# --- exit codes ----------------------------------------------------------------------------


def test_clean_is_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(project, {".gitlab-ci.yml": CLEAN})
    code, out, err = run(capsys, "lint", ".gitlab-ci.yml")
    assert code == 0
    assert out == ""
    assert "0 errors, 0 warnings, 0 info" in err


def test_default_path_is_gitlab_ci_yml(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(project, {".gitlab-ci.yml": FINDINGS})
    code, out, _ = run(capsys, "lint")
    assert code == 1
    assert ".gitlab-ci.yml:7:11: CIG202 needs-unknown-job" in out


def test_errors_are_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(project, {".gitlab-ci.yml": FINDINGS})
    code, out, err = run(capsys, "lint", ".gitlab-ci.yml")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(".gitlab-ci.yml:6:1: CIG003 duplicate-key ")
    assert lines[1].startswith(".gitlab-ci.yml:7:11: CIG202 needs-unknown-job ")
    assert len(lines) == 2
    assert "1 error, 1 warning, 0 info" in err


def test_warnings_only_are_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(project, {".gitlab-ci.yml": CLEAN + CLEAN})
    code, out, _ = run(capsys, "lint", ".gitlab-ci.yml")
    assert code == 0
    assert "CIG003" in out


def test_directory_argument(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(project, {"sub/.gitlab-ci.yml": FINDINGS})
    code, out, _ = run(capsys, "lint", "sub")
    assert code == 1
    assert "CIG202" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lint", "--bogus"], "No such option"),
        (["lint", "--format", "xml"], "Invalid value for '--format'"),
        (["lint", "missing.yml"], "missing.yml: no such file"),
        (["lint", "empty-dir"], "no such file"),
        (["lint", "--root", "nowhere", ".gitlab-ci.yml"], "--root nowhere: not a directory"),
        (["lint", "--var", "NOEQUALS", ".gitlab-ci.yml"], "expected NAME=VALUE"),
        (["lint", "--config", "nope.yaml", ".gitlab-ci.yml"], "nope.yaml"),
        (["lint", "--runners", "nope.yml", ".gitlab-ci.yml"], "nope.yml"),
        (["lint", "-o", "no/such/dir/out.txt", ".gitlab-ci.yml"], "cannot write"),
        (["rules", "CIG999"], "unknown rule 'CIG999'"),
        (["bogus"], "No such command"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_user_mistakes_are_2(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    write_files(project, {".gitlab-ci.yml": CLEAN, "broken.json": "{"})
    (project / "empty-dir").mkdir()
    code, _out, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert "internal error" not in err


def test_schema_option_is_ignored_with_a_warning(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The editor schema decides nothing (GitLab validates with its entry classes): an old
    ``--schema`` or ``schema:`` still runs, says it is ignored, and never reads the file."""
    write_files(project, {".gitlab-ci.yml": CLEAN, ".cigen.yaml": "schema: missing.json\n"})
    code, _out, err = run(capsys, "lint", "--schema", "nope.json", ".gitlab-ci.yml")
    assert code == 0
    assert "--schema / schema: is ignored" in err


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("select: [nope]\n", "select: unknown rule 'nope'"),
        ("ignore: [not-a-rule]\n", "ignore: unknown rule 'not-a-rule'"),
        ("severity:\n  nope: info\n", "severity: unknown rule 'nope'"),
        ("severity:\n  CIG202: fatal\n", "'fatal' is not one of"),
        ("severity:\n  needs-unknown-job: [error]\n", "severity.needs-unknown-job"),
        ("select: CIG202\n", "select: 'CIG202' is not of type 'array'"),
        ("colour: red\n", "'colour' was unexpected"),
        ("- a\n", "is not of type 'object'"),
        ("select: [\n", "YAML syntax error"),
        (b"\xff\xfe\x00\n", ".cigen.yaml"),
        ("runners: missing.yml\n", "missing.yml"),
    ],
    ids=lambda v: v.decode("latin-1") if isinstance(v, bytes) else None,
)
def test_invalid_config_is_2(
    project: Path, capsys: pytest.CaptureFixture[str], config: str | bytes, message: str
) -> None:
    write_files(project, {".gitlab-ci.yml": FINDINGS, ".cigen.yaml": config})
    code, out, err = run(capsys, "lint", ".gitlab-ci.yml")
    assert code == 2
    assert out == ""
    assert message in err
    assert "internal error" not in err


def test_crash_is_3_without_traceback(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a bug in cigen exits 3, with a short note and no traceback."""
    import cigen.lint.engine

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ZeroDivisionError("boom")

    monkeypatch.delenv("CIGEN_DEBUG", raising=False)
    monkeypatch.setattr(cigen.lint.engine, "lint", broken)
    write_files(project, {".gitlab-ci.yml": CLEAN})
    code, _out, err = run(capsys, "lint", ".gitlab-ci.yml")
    assert code == 3
    assert "internal error: ZeroDivisionError: boom" in err


def test_crashing_rule_is_a_finding_not_a_crash(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = RULES["CIG202"]

    def broken(_ctx: Any) -> Any:
        raise KeyError("oops")

    monkeypatch.setattr(rule, "check", broken)
    write_files(project, {".gitlab-ci.yml": CLEAN})
    code, out, _ = run(capsys, "lint", "--format", "json", ".gitlab-ci.yml")
    assert code == 1
    assert codes(out) == ["CIG000"]
    assert "CIG202 needs-unknown-job crashed" in json.loads(out)["diagnostics"][0]["message"]


# --- .cigen.yaml ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "exit_code", "expected"),
    [
        pytest.param("", 1, ["CIG003", "CIG202"], id="no-config"),
        pytest.param("select: [CIG003]\n", 0, ["CIG003"], id="select-code"),
        pytest.param("select: [duplicate-key]\n", 0, ["CIG003"], id="select-name"),
        pytest.param("ignore: [CIG202]\n", 0, ["CIG003"], id="ignore-code"),
        pytest.param("ignore: [needs-unknown-job]\n", 0, ["CIG003"], id="ignore-name"),
        pytest.param("ignore: [cig202, CIG003]\n", 0, [], id="ignore-lowercase-code"),
        pytest.param(
            "select: [CIG202, CIG003]\nignore: [CIG202]\n", 0, ["CIG003"], id="ignore-beats-select"
        ),
    ],
)
def test_select_and_ignore(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    config: str,
    exit_code: int,
    expected: list[str],
) -> None:
    files = {".gitlab-ci.yml": FINDINGS}
    if config:
        files[".cigen.yaml"] = config
    write_files(project, files)
    code, out, _ = run(capsys, "lint", "--format", "json", ".gitlab-ci.yml")
    assert code == exit_code
    assert codes(out) == expected


@pytest.mark.parametrize(
    ("config", "exit_code", "levels"),
    [
        pytest.param(
            "severity:\n  CIG202: warning\n",
            0,
            {"CIG202": "warning", "CIG003": "warning"},
            id="code",
        ),
        pytest.param(
            "severity:\n  needs-unknown-job: info\n  duplicate-key: error\n",
            1,
            {"CIG202": "info", "CIG003": "error"},
            id="name",
        ),
    ],
)
def test_severity_overrides(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    config: str,
    exit_code: int,
    levels: dict[str, str],
) -> None:
    write_files(project, {".gitlab-ci.yml": FINDINGS, ".cigen.yaml": config})
    code, out, _ = run(capsys, "lint", "--format", "json", ".gitlab-ci.yml")
    assert code == exit_code
    found = {d["code"]: d["severity"] for d in json.loads(out)["diagnostics"]}
    assert found == levels


def test_explicit_config_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(
        project,
        {
            ".gitlab-ci.yml": FINDINGS,
            ".cigen.yaml": "ignore: [CIG003]\n",
            "other.yaml": "ignore: [CIG202]\n",
        },
    )
    code, out, _ = run(
        capsys, "lint", "--config", "other.yaml", "--format", "json", ".gitlab-ci.yml"
    )
    assert code == 0
    assert codes(out) == ["CIG003"]


def test_config_is_found_from_a_subfolder(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(
        project, {"ci/.gitlab-ci.yml": FINDINGS, ".cigen.yaml": "ignore: [needs-unknown-job]\n"}
    )
    code, out, _ = run(capsys, "lint", "--format", "json", "ci/.gitlab-ci.yml")
    assert code == 0
    assert codes(out) == ["CIG003"]


def test_var_flag_reaches_include_rules(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(
        project,
        {
            ".gitlab-ci.yml": "include:\n  - local: extra.yml\n    rules:\n"
            '      - if: $EXTRA == "1"\n' + CLEAN,
            "extra.yml": "extra:\n  needs: [nothing]\n  script: [x]\n",
        },
    )
    assert run(capsys, "lint", ".gitlab-ci.yml")[0] == 0
    code, out, _ = run(capsys, "lint", "--var", "EXTRA=1", ".gitlab-ci.yml")
    assert code == 1
    assert "extra.yml:2:11: CIG202" in out


# --- formats and -o ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "codequality", "sarif"])
def test_output_file(project: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    write_files(project, {".gitlab-ci.yml": FINDINGS})
    code, out, _ = run(capsys, "lint", "--format", fmt, "-o", "report.out", ".gitlab-ci.yml")
    assert code == 1
    assert out == ""
    written = (project / "report.out").read_text(encoding="utf-8")
    code2, out2, _ = run(capsys, "lint", "--format", fmt, ".gitlab-ci.yml")
    assert code2 == 1
    assert written == out2
    if fmt != "text":
        json.loads(written)


def test_output_file_replaces_old_content(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_files(project, {".gitlab-ci.yml": CLEAN, "report.json": "stale " * 1000})
    assert run(capsys, "lint", "--format", "json", "-o", "report.json", ".gitlab-ci.yml")[0] == 0
    report = json.loads((project / "report.json").read_text(encoding="utf-8"))
    assert (report["diagnostics"], report["summary"]["total"]) == ([], 0)


# --- rules, --version ------------------------------------------------------------------------


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(RULES)
    for line, rule in zip(lines, RULES.values(), strict=True):
        assert line.split()[:3] == [rule.CODE, rule.NAME, rule.SEVERITY.label]
        assert rule.SUMMARY in line


@pytest.mark.parametrize("name", ["CIG202", "cig202", "needs-unknown-job"])
def test_rules_shows_one_rule(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, _ = run(capsys, "rules", name)
    assert code == 0
    assert out.startswith("CIG202 needs-unknown-job (error)\n")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"cigen, version {__version__}"


def test_help_is_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lint", "--help")
    assert code == 0
    assert "--format" in out


# --- the network guard of conftest.py ------------------------------------------------------


def test_network_guard_blocks_remote_and_allows_loopback() -> None:
    with socket.socket() as remote, pytest.raises(NetworkBlockedError):
        remote.connect(("192.0.2.1", 80))
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("gitlab.example.com", 443)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


# --- output habits: --exit-zero, --statistics, --quiet, colour, JSON summary ---------------


def test_exit_zero_keeps_the_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(project, {".gitlab-ci.yml": FINDINGS})
    code, out, err = run(capsys, "lint", "--exit-zero")
    assert code == 0
    assert out.splitlines()[1].startswith(".gitlab-ci.yml:7:11: CIG202 needs-unknown-job ")
    assert "1 error, 1 warning, 0 info" in err
    code, _out, _err = run(capsys, "lint", "--exit-zero", "missing.yml")
    assert code == 2  # a usage error is still one


def test_statistics_count_per_rule(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = FINDINGS + "deploy:\n  needs: [x, y]\n  script: [d]\n"
    write_files(project, {".gitlab-ci.yml": text})
    code, out, err = run(capsys, "lint", "--statistics", "--quiet", "--format", "json")
    assert code == 1
    assert json.loads(out)["summary"]["rules"] == {"CIG202": 3, "CIG003": 1}
    assert err == "3  CIG202 needs-unknown-job\n1  CIG003 duplicate-key\n"


def test_quiet_prints_findings_only(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_files(project, {".gitlab-ci.yml": FINDINGS})
    code, out, err = run(capsys, "lint", "-q")
    assert code == 1
    assert len(out.splitlines()) == 2
    assert err == ""


@pytest.mark.parametrize(
    ("environ", "coloured"),
    [
        ({"FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ({}, False),  # captured stdout is not a terminal
        ({"FORCE_COLOR": ""}, False),
    ],
)
def test_colour_honours_no_color_and_force_color(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    coloured: bool,
) -> None:
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    write_files(project, {".gitlab-ci.yml": FINDINGS})
    _code, out, _err = run(capsys, "lint")
    first = out.splitlines()[0]
    assert first.startswith(".gitlab-ci.yml:6:1: ")  # the location stays first, uncoloured
    assert ("\x1b[" in out) is coloured
    if coloured:
        assert first == (
            ".gitlab-ci.yml:6:1: \x1b[1m\x1b[33mCIG003 duplicate-key\x1b[0m duplicate key 'test' "
            "(first at line 3); GitLab keeps only this last value: remove or rename one of them"
        )
        assert "\x1b[1m\x1b[31mCIG202 needs-unknown-job\x1b[0m" in out.splitlines()[1]


def test_no_colour_in_a_report_file(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    write_files(project, {".gitlab-ci.yml": FINDINGS})
    run(capsys, "lint", "-o", "report.txt")
    assert "\x1b" not in (project / "report.txt").read_text(encoding="utf-8")
