"""Exit codes, terminal safety and secrets in output (issue 11, classes 3, 7 and 8).

* Exit codes: 3 only for a bug (with ``CIGEN_DEBUG=1`` too, whose traceback has secrets
  masked); a closed pipe ends quietly (141); a full disk is exit 2 with a message.
* Terminal: control characters, escape sequences and bidirectional overrides from the input
  are escaped in text output; a name holding a newline cannot forge a finding line.
* JSON, Code Quality and SARIF stay valid UTF-8 JSON for any input, non-UTF-8 file names too.
* :mod:`cigen.redact` masks a URL's password in every spelling.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import write_files
from hypothesis import given, settings
from hypothesis import strategies as st

from cigen.cli.main import main
from cigen.redact import MASK, environment_secrets, scrub, url_secrets
from cigen.terminal import unicode_text, visible

CI = ".gitlab-ci.yml"
TOKEN = "glpat-Sup3rS3cretT0kenValue"
#: One finding line of the text report.
FINDING = re.compile(r"[^\n]*:\d+:\d+: CIG\d{3} [a-z0-9-]+ [^\n]*")


def cigen(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    environ = {k: v for k, v in os.environ.items() if k not in ("CIGEN_DEBUG", "GITLAB_TOKEN")}
    environ.update(env or {})
    command = [sys.executable, "-m", "cigen", *args]
    return subprocess.run(command, cwd=cwd, env=environ, capture_output=True, check=False)


# --- exit codes ---------------------------------------------------------------------------------


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    jobs = "".join(f"job{i}:\n  script: [x]\n" for i in range(3000))
    write_files(tmp_path, {CI: jobs})
    with subprocess.Popen(
        [sys.executable, "-m", "cigen", "plan", "--root", ".", CI],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()  # like `head -1`: one line, then the pipe closes
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    assert code == 141
    assert err == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_full_disk_on_stdout_is_exit_2(tmp_path: Path, fmt: str) -> None:
    write_files(tmp_path, {CI: "job:\n  script: [x]\n  needs: [nope]\n"})
    with Path("/dev/full").open("wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "cigen", "lint", "--root", ".", "--format", fmt, CI],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "cigen: error: cannot write the output: No space left on device" in err
    assert "Traceback" not in err and "Exception ignored" not in err


def _crash(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    """A bug: the config loader raises something no user input can cause."""

    def broken(*_args: Any) -> Any:
        raise RuntimeError(message)

    monkeypatch.setattr("cigen.cli.main._load_config", broken)


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_is_exit_3_and_never_shows_a_secret(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    debug: bool,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, {CI: "job:\n  script: [x]\n"})
    monkeypatch.setenv("GITLAB_TOKEN", f" {TOKEN}\n")
    monkeypatch.setenv("GITLAB_URL", "https://bot:url/pass@gitlab.example.com")
    if debug:
        monkeypatch.setenv("CIGEN_DEBUG", "1")
    else:
        monkeypatch.delenv("CIGEN_DEBUG", raising=False)
    _crash(monkeypatch, f"boom {TOKEN} https://bot:url/pass@gitlab.example.com\x1b[2J")
    assert main(["lint", "--root", ".", CI]) == 3
    err = capsys.readouterr().err
    assert "cigen: internal error: RuntimeError: boom" in err
    assert ("Traceback (most recent call last)" in err) is debug
    assert TOKEN not in err and "url/pass" not in err and "\x1b" not in err
    assert MASK in err


def test_gitlab_url_with_a_bad_port_is_exit_2(tmp_path: Path) -> None:
    write_files(tmp_path, {CI: "job:\n  script: [x]\n"})
    env = {"GITLAB_URL": "https://gitlab.example.com:99999", "GITLAB_TOKEN": TOKEN}
    done = cigen("lint", "--root", ".", "--runners", "gitlab", "--project", "7", CI,
                 cwd=tmp_path, env=env)  # fmt: skip
    assert done.returncode == 2
    assert b"GITLAB_URL" in done.stderr and b"port is not a number" in done.stderr
    assert TOKEN.encode() not in done.stderr


def test_python_gitlab_config_with_a_bad_timeout_is_exit_2(tmp_path: Path) -> None:
    write_files(tmp_path, {CI: "job:\n  script: [x]\n"})
    config = tmp_path / "gl.cfg"
    config.write_text(
        f"[work]\nurl = https://gitlab.example.com\nprivate_token = {TOKEN}\ntimeout = x\n",
        encoding="utf-8",
    )
    env = {"PYTHON_GITLAB_CFG": str(config)}
    args = ["--runners", "gitlab", "--project", "7", "--gitlab-config-section", "work"]
    done = cigen("lint", "--root", ".", *args, CI, cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stderr
    assert b"is unusable" in done.stderr and TOKEN.encode() not in done.stderr


# --- terminal safety ----------------------------------------------------------------------------

HOSTILE_NAMES = [
    "evil\n.gitlab-ci.yml:1:1: CIG999 forged-finding this is not real",
    "clear\x1b[2J\x1b[H screen",
    "title\x1b]0;pwned\x07",
    "bidi \u202egnp.exe",
    "carriage\rreturn",
    "nul\x00byte",
    "sep\u2028line",
    "c1\x9bcontrol",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_cannot_forge_a_line_or_reach_the_terminal(
    tmp_path: Path, name: str
) -> None:
    text = f"job:\n  script: [x]\n  needs: [{json.dumps(name)}]\n"
    write_files(tmp_path, {CI: text})
    done = cigen("lint", "--root", ".", CI, cwd=tmp_path)
    assert done.returncode == 1
    out = done.stdout.decode("utf-8")
    lines = out.splitlines()
    assert len(lines) == 1, out
    assert FINDING.fullmatch(lines[0])
    assert "CIG999" not in out.replace(visible(name), "")
    for char in ("\x1b", "\u202e", "\r", "\x00", "\u2028", "\x9b", "\x07"):
        assert char not in out


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_visible_is_one_line_of_printable_text(text: str) -> None:
    shown = visible(text)
    assert "\n" not in shown
    assert all(c.isprintable() for c in shown)
    assert visible(shown) == shown  # escaping is done once
    if text.isprintable():
        assert shown == text


@given(st.text())
def test_visible_keeps_lines_when_asked(text: str) -> None:
    shown = visible(text, keep_lines=True)
    assert shown.count("\n") == text.count("\n")
    assert all(c.isprintable() or c in "\n\t" for c in shown)


@given(st.binary(max_size=40))
def test_unicode_text_is_always_utf8(raw: bytes) -> None:
    name = os.fsdecode(raw) if os.name == "posix" else raw.decode("utf-8", "replace")
    text = unicode_text(name)
    text.encode("utf-8")  # no lone surrogate left
    if raw.decode("utf-8", "ignore").encode() == raw:
        assert text == name


def test_error_messages_are_escaped(tmp_path: Path) -> None:
    done = cigen("lint", "--config", "cfg\x1b[31m\n.yaml", CI, cwd=tmp_path)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "\x1b" not in err and err.count("\n") == 1
    assert "cfg\\x1b[31m\\n.yaml" in err


# --- reports for files whose names are not UTF-8 ---------------------------------------------


@pytest.fixture
def non_utf8_project(tmp_path: Path) -> Path:
    if sys.platform != "linux":
        pytest.skip("needs a file system that takes any bytes in a name")
    name = os.fsdecode(b"inc\xff\xfe.yml")
    write_files(tmp_path, {CI: "include: 'inc*.yml'\njob:\n  script: [x]\n"})
    (tmp_path / name).write_text("other:\n  script: [x]\n  needs: [missing]\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("fmt", ["json", "codequality", "sarif"])
def test_reports_stay_valid_json_for_non_utf8_file_names(non_utf8_project: Path, fmt: str) -> None:
    done = cigen("lint", "--root", ".", "--format", fmt, CI, cwd=non_utf8_project)
    assert done.returncode == 1, done.stderr
    text = done.stdout.decode("utf-8")  # strict: valid UTF-8
    data = json.loads(text)

    def strings(value: Any) -> Any:
        if isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, str):
            yield value

    found = list(strings(data))
    for item in found:
        item.encode("utf-8")  # no lone surrogate escaped as \udcxx
    assert {"inc\\xff\\xfe.yml", "inc%FF%FE.yml"} & set(found)


def test_text_report_names_the_bytes_of_a_non_utf8_file(non_utf8_project: Path) -> None:
    done = cigen("lint", "--root", ".", CI, cwd=non_utf8_project)
    assert done.returncode == 1
    assert "inc\\xff\\xfe.yml:3:" in done.stdout.decode("utf-8")


# --- URL credentials in every spelling ----------------------------------------------------------

_PASSWORDS = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="@"),
    min_size=3,
    max_size=20,
)


@given(_PASSWORDS, st.sampled_from(["https://", "http://", "//", ""]))
def test_url_password_is_masked_in_any_message(password: str, scheme: str) -> None:
    url = f"{scheme}deploy:{password}@gitlab.example.com/api"
    secrets = url_secrets(url)
    for message in (f"cannot reach {url}", f"url={url!r}", f"GET {url} failed"):
        assert password not in scrub(message, secrets)


def test_environment_secrets() -> None:
    env = {
        "GITLAB_TOKEN": f"  {TOKEN}\n",
        "CI_JOB_TOKEN": "job-token-value",
        "GITLAB_URL": "https://u:p%2Fw@host",
        "CI_SERVER_URL": "https://host",
    }
    found = environment_secrets(env)
    assert TOKEN in found and "job-token-value" in found
    assert "p%2Fw" in found and "p/w" in found
    assert scrub(f"token {TOKEN!r} and p/w", found) == f"token '{MASK}' and {MASK}"


def test_scrub_masks_token_shapes_and_fields() -> None:
    text = "PRIVATE-TOKEN: abc123 Authorization: Bearer xyz789 glrt-abcdefghijkl password=hunter2"
    masked = scrub(text)
    for secret in ("abc123", "xyz789", "glrt-abcdefghijkl", "hunter2"):
        assert secret not in masked
