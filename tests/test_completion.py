"""Shell completion (click's ``_CIGEN_COMPLETE`` protocol) and ``cigen --version``.

The real entry point runs in a subprocess for the scripts the README tells users to ``eval``;
the completions themselves are asked in-process through :func:`cigen.cli.main`, the way the
shell's completion function asks (``COMP_WORDS``/``COMP_CWORD`` for bash). When bash and the
``cigen`` console script are there, one test sources the bash script in a real bash.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from cigen import __version__
from cigen.cli.main import main

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "cigen"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m cigen ARGS`` with extra environment variables."""
    return subprocess.run(
        [sys.executable, "-m", "cigen", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _complete(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], words: str
) -> list[str]:
    """bash's completions for the command line ``words`` (the last word is being typed)."""
    monkeypatch.setenv("_CIGEN_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(words.split(" ")) - 1))
    assert main([]) == 0  # main() returns the exit code, completion included
    return capsys.readouterr().out.splitlines()


# --- the scripts users eval -------------------------------------------------------------------


def test_bash_source_prints_a_completion_function() -> None:
    done = _run(_CIGEN_COMPLETE="bash_source")
    assert done.returncode == 0, done.stderr
    assert "_cigen_completion() {" in done.stdout
    assert "_CIGEN_COMPLETE=bash_complete" in done.stdout
    assert "complete -o nosort -F _cigen_completion cigen" in done.stdout


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("zsh", "#compdef cigen"), ("fish", "complete --no-files --command cigen")],
)
def test_zsh_and_fish_sources(shell: str, marker: str) -> None:
    done = _run(_CIGEN_COMPLETE=f"{shell}_source")
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout


# --- what completes ---------------------------------------------------------------------------


def test_li_completes_to_lint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _complete(monkeypatch, capsys, "cigen li") == ["plain,lint"]


def test_the_protocol_through_the_entry_point() -> None:
    done = _run(_CIGEN_COMPLETE="bash_complete", COMP_WORDS="cigen li", COMP_CWORD="1")
    assert (done.returncode, done.stdout) == (0, "plain,lint\n")


def test_every_command_completes_lazy_ones_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _complete(monkeypatch, capsys, "cigen ")
    names = [line.removeprefix("plain,") for line in found]
    assert {"lint", "rules", "plan", "explain", "runners"} <= set(names)
    assert {"generate", "presets", "scaffold"} <= set(names)  # imported only when asked
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("cigen ge", ["plain,generate"]),
        ("cigen presets ", ["plain,list", "plain,show"]),
        ("cigen generate --ch", ["plain,--check"]),
        ("cigen lint --for", ["plain,--format"]),
        ("cigen lint --format ", [f"plain,{f}" for f in ("text", "json", "codequality", "sarif")]),
        ("cigen lint --format co", ["plain,codequality"]),
        ("cigen lint ", ["file,"]),
    ],
)
def test_completions(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    words: str,
    expected: list[str],
) -> None:
    assert _complete(monkeypatch, capsys, words) == expected


@pytest.mark.skipif(
    shutil.which("bash") is None or not SCRIPT.is_file(),
    reason="needs bash and the cigen console script beside the interpreter",
)
def test_bash_runs_the_completion_function() -> None:
    script = (
        'eval "$(_CIGEN_COMPLETE=bash_source cigen)"\n'
        "COMP_WORDS=(cigen li); COMP_CWORD=1\n"
        "_cigen_completion cigen\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    path = f"{SCRIPT.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "lint\n"), done.stderr


# --- --version ----------------------------------------------------------------------------------


def test_version_is_the_package_version() -> None:
    done = _run("--version")
    assert (done.returncode, done.stdout) == (0, f"cigen, version {__version__}\n")
    assert version("cigen") == __version__
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(rf'^version = "{re.escape(__version__)}"$', pyproject, re.M)
