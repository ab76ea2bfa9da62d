"""The shell that generated jobs run passes ShellCheck (POSIX ``sh``: the builder images have
BusyBox or dash, not bash).

Each job's ``before_script`` and ``script`` of every golden pipeline are joined as GitLab Runner
joins them (one shell session) and checked at warning level. SC3028 is left out: ``HOSTNAME``
is not a shell variable in POSIX ``sh``, but the container runtime sets it in every container of
a Kubernetes pod (the pod's name), which is what the jupyter job prints.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

GOLDEN = Path(__file__).parent / "golden" / "generate"
SHELLCHECK = shutil.which("shellcheck")

pytestmark = pytest.mark.skipif(
    SHELLCHECK is None, reason="ShellCheck is not installed (apt-get install shellcheck)"
)


def scripts() -> list[tuple[str, str]]:
    out = []
    for path in sorted(GOLDEN.glob("*.yml")):
        for name, job in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            if isinstance(job, dict) and "script" in job:
                lines = [*job.get("before_script", []), *job["script"]]
                out.append((f"{path.stem}:{name}", "\n".join(lines) + "\n"))
    return out


@pytest.mark.parametrize(("where", "script"), scripts(), ids=[w for w, _ in scripts()])
def test_generated_scripts_pass_shellcheck(where: str, script: str) -> None:
    assert SHELLCHECK is not None
    done = subprocess.run(
        [SHELLCHECK, "--shell=sh", "--severity=warning", "--exclude=SC3028", "--format=gcc", "-"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{where}:\n{done.stdout}{done.stderr}"


def test_shellcheck_finds_what_it_should() -> None:
    """The check can fail: an unquoted expansion in a test is reported."""
    assert SHELLCHECK is not None
    done = subprocess.run(
        [SHELLCHECK, "--shell=sh", "--severity=warning", "-"],
        input='x=$1\nif [ $x = a ]; then echo "$y"; fi\n',
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
