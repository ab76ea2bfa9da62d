"""The pre-commit hooks of ``.pre-commit-hooks.yaml``, run by the real ``pre-commit`` tool.

* The manifest passes ``pre-commit validate-manifest``, and each hook's ``files:`` pattern picks
  the files it is about (checked the way pre-commit applies it, with ``re.search``).
* ``pre-commit try-repo`` installs cigen from a throwaway git copy of this project (the working
  tree's files, committed there, so uncommitted changes are what is tested) and runs the hooks
  in two throwaway projects: in one, ``.gitlab-ci.yml`` lints clean and is current with
  ``cigen.yml``, so ``cigen-lint`` and ``cigen-generate-check`` pass; in the other it has a lint
  error and is stale, so both fail.
* This project's own ``.gitlab-ci.yml`` is current with its ``cigen.yml`` and lints clean: what
  the hooks and the ``cigen`` CI job check here.

``try-repo`` builds a new hook environment on every call (it uses a temporary store, whatever
``PRE_COMMIT_HOME`` says) by pip-installing cigen and its dependencies. To keep that fast and
offline, a session fixture first builds a wheelhouse with ``pip wheel``, the one step that uses
the network (PyPI or the configured index); the hook environments then install from it with
``PIP_NO_INDEX``. The wheelhouse is kept in pytest's cache folder (when there is one), keyed by
``pyproject.toml`` and the Python version. If it cannot be built, the try-repo tests skip with
pip's reason. The two try-repo runs go in parallel.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from cigen.cli.generate import generate_text
from cigen.cli.main import main

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / ".pre-commit-hooks.yaml"
#: What pip needs to install cigen from a copy of the project.
PROJECT_FILES = (
    "pyproject.toml",
    "README.md",
    ".pre-commit-hooks.yaml",
    "cigen",
    "schemas",
    "presets",
)
TIMEOUT = 600

CIGEN_YML = "jobs:\n  tests:\n    preset: python\n    with: {script: [python -m pytest]}\n"

requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _manifest() -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return hooks


def _hook(hook_id: str) -> dict[str, Any]:
    return next(hook for hook in _manifest() if hook["id"] == hook_id)


def _pre_commit(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no user git config, a private pre-commit home, no SKIP."""
    env = {k: v for k, v in os.environ.items() if k not in ("SKIP", "PRE_COMMIT_HOME")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="cigen tests",
        GIT_AUTHOR_EMAIL="tests@cigen.invalid",
        GIT_COMMITTER_NAME="cigen tests",
        GIT_COMMITTER_EMAIL="tests@cigen.invalid",
        PRE_COMMIT_HOME=str(home / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
        **extra,
    )
    return env


def _git_repo(folder: Path, env: dict[str, str]) -> None:
    """Make ``folder`` a git repository with everything in it committed."""
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-q", "-m", "test state"],
    ):
        subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True)


# --- the manifest ---------------------------------------------------------------------------


def test_manifest_passes_pre_commits_own_validation(tmp_path: Path) -> None:
    done = _pre_commit("validate-manifest", str(MANIFEST), cwd=REPO, env=_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_manifest_hooks() -> None:
    assert [hook["id"] for hook in _manifest()] == ["cigen-lint", "cigen-generate-check"]
    lint, check = _hook("cigen-lint"), _hook("cigen-generate-check")
    assert lint["entry"] == "cigen lint"
    assert check["entry"] == "cigen generate --check"
    for hook in (lint, check):
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False  # includes make a lone file meaningless


LINT_FILES = {
    ".gitlab-ci.yml": True,
    ".gitlab/ci/build.yml": True,
    ".gitlab/ci/nested/deploy.yaml": True,
    "deploy.gitlab-ci.yml": True,
    "ci/templates/release.gitlab-ci.yml": True,
    "runners.yml": True,
    "ci/runners.yml": True,
    ".cigen.yaml": True,
    "cigen.yml": False,
    "README.md": False,
    "src/app.py": False,
    "docs/gitlab-ci.md": False,
    "my-runners.yml": False,
}
CHECK_FILES = {
    "cigen.yml": True,
    "ci/child/cigen.yml": True,
    "presets/build.yaml": True,
    "ci/presets/tool.yaml": True,
    ".gitlab-ci.yml": True,
    "README.md": False,
    ".gitlab/ci/build.yml": False,
    "src/cigen.py": False,
    "mycigen.yml": False,
}


@pytest.mark.parametrize(
    ("hook_id", "path", "picked"),
    [("cigen-lint", path, picked) for path, picked in LINT_FILES.items()]
    + [("cigen-generate-check", path, picked) for path, picked in CHECK_FILES.items()],
)
def test_files_pattern(hook_id: str, path: str, picked: bool) -> None:
    assert bool(re.search(_hook(hook_id)["files"], path)) is picked


# --- the hooks, through pre-commit try-repo ---------------------------------------------------


def _copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    target.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)


def _wheelhouse(project: Path, target: Path, env: dict[str, str]) -> None:
    """Wheels of cigen's build and runtime dependencies in ``target``, or skip the hook tests.

    ``target`` may be a cache kept between test sessions: it is filled once.
    """
    done_marker = target / ".complete"
    if done_marker.is_file():
        return
    done = subprocess.run(
        [
            sys.executable,
            *("-m", "pip", "wheel", "--quiet", "--timeout", "15", "--retries", "1"),
            *("--wheel-dir", str(target), "setuptools>=68", str(project)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        reason = [line.strip() for line in done.stderr.splitlines() if "ERROR" in line][-1:]
        pytest.skip(
            "cannot build cigen's dependencies as wheels for the hook environment "
            f"(is PyPI or the package index reachable?): {' '.join(reason) or done.stderr[-300:]}"
        )
    for wheel in target.glob("cigen-*.whl"):
        wheel.unlink()  # the hook installs the project itself, from its clone
    done_marker.touch()


def _wheel_folder(request: pytest.FixtureRequest, base: Path) -> Path:
    """pytest's cache folder for the wheels of these dependencies, else a temporary one."""
    cache = getattr(request.config, "cache", None)
    if cache is None:
        return base / "wheels"
    key = hashlib.sha256(
        (REPO / "pyproject.toml").read_bytes() + sys.version.encode() + sys.platform.encode()
    ).hexdigest()[:16]
    return Path(cache.mkdir(f"cigen-hook-wheels-{key}"))


@pytest.fixture(scope="session")
def try_repo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Any]:
    """``try_repo(scenario)``: the finished ``pre-commit try-repo`` run of one scenario.

    Each scenario is a throwaway project in which every hook of the manifest runs (``try-repo``
    without a hook id); the scenarios run in parallel the first time one is asked for.
    """
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("pre-commit")
    env = _env(base)
    project = base / "cigen"
    _copy_project(project)
    _git_repo(project, env)
    wheels = _wheel_folder(request, base)
    _wheelhouse(project, wheels, env)
    run_env = _env(base, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels))

    def one(scenario: str) -> subprocess.CompletedProcess[str]:
        work = base / scenario
        work.mkdir()
        for name, text in SCENARIOS[scenario]().items():
            (work / name).write_text(text, encoding="utf-8")
        _git_repo(work, run_env)
        return _pre_commit(
            "try-repo", str(project), "--all-files", "--color", "never", cwd=work, env=run_env
        )

    with ThreadPoolExecutor(max_workers=len(SCENARIOS)) as pool:
        futures = {name: pool.submit(one, name) for name in SCENARIOS}
        results = {name: future.result() for name, future in futures.items()}
    return results.__getitem__


def _generated(text: str) -> str:
    """``.gitlab-ci.yml`` as ``cigen generate`` writes it for a cigen.yml holding ``text``."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "cigen.yml"
        config.write_text(text, encoding="utf-8")
        return generate_text(config, source="cigen.yml").text


#: ``clean``: .gitlab-ci.yml generated from cigen.yml, so it lints clean and is current.
#: ``broken``: cigen.yml changed since, and .gitlab-ci.yml edited by hand into a lint error.
SCENARIOS: dict[str, Callable[[], dict[str, str]]] = {
    "clean": lambda: {"cigen.yml": CIGEN_YML, ".gitlab-ci.yml": _generated(CIGEN_YML)},
    "broken": lambda: {
        "cigen.yml": CIGEN_YML.replace("pytest", "pytest -x"),
        ".gitlab-ci.yml": _generated(CIGEN_YML) + "deploy:\n  needs: [test]\n  script: [x]\n",
    },
}


def _outcome(done: subprocess.CompletedProcess[str], hook_name: str) -> str:
    found = re.search(rf"^{re.escape(hook_name)}\.+(\w+)$", done.stdout, re.M)
    assert found, f"no result line for {hook_name}:\n{done.stdout}\n{done.stderr}"
    return found.group(1)


@requires_git
def test_try_repo_runs_both_hooks(try_repo: Callable[[str], Any]) -> None:
    for scenario in SCENARIOS:
        out = try_repo(scenario).stdout
        assert "-   id: cigen-generate-check\n    -   id: cigen-lint" in out, out


@requires_git
def test_lint_hook_passes_on_a_good_pipeline(try_repo: Callable[[str], Any]) -> None:
    done = try_repo("clean")
    assert _outcome(done, "cigen lint") == "Passed", done.stdout
    assert done.returncode == 0, done.stdout + done.stderr


@requires_git
def test_lint_hook_fails_on_a_bad_pipeline(try_repo: Callable[[str], Any]) -> None:
    done = try_repo("broken")
    assert _outcome(done, "cigen lint") == "Failed", done.stdout
    assert done.returncode == 1
    assert re.search(r"\.gitlab-ci\.yml:\d+:11: CIG202 needs-unknown-job", done.stdout)


@requires_git
def test_generate_check_hook_passes_when_current(try_repo: Callable[[str], Any]) -> None:
    done = try_repo("clean")
    assert _outcome(done, "cigen generate --check") == "Passed", done.stdout


@requires_git
def test_generate_check_hook_fails_when_stale(try_repo: Callable[[str], Any]) -> None:
    done = try_repo("broken")
    assert _outcome(done, "cigen generate --check") == "Failed", done.stdout
    assert "\n-    - python -m pytest\n" in done.stdout
    assert "\n+    - python -m pytest -x\n" in done.stdout
    assert ".gitlab-ci.yml is out of date; run: cigen generate -o .gitlab-ci.yml" in done.stdout


# --- dogfood: this project's own pipeline ---------------------------------------------------


def test_own_pipeline_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert main(["generate", "--check"]) == 0


def test_own_pipeline_lints_clean(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["lint", "--format", "json"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["diagnostics"] == []


def test_own_pipeline_runs_tests_lint_and_builds_a_wheel() -> None:
    data = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    scripts = {name: job["script"] for name, job in data.items() if "script" in (job or {})}
    assert any("pytest" in line for line in scripts["tests"])
    assert {"ruff check cigen tests bench", "mypy"} <= set(scripts["lint"])
    assert "cigen generate --check" in scripts["cigen"]
    assert data["cigen"]["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json"}
    assert data["cigen"]["artifacts"]["when"] == "always"
    assert data["wheel"]["artifacts"]["paths"] == ["dist/*.whl"]


def test_readme_config_snippet_is_a_valid_pre_commit_config(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## pre-commit\n", 1)[1].split("\n## ", 1)[0]
    (snippet,) = re.findall(r"^```yaml\n(.*?)^```", section, re.S | re.M)
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(snippet, encoding="utf-8")
    done = _pre_commit("validate-config", str(config), cwd=tmp_path, env=_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    hooks = [hook["id"] for hook in yaml.safe_load(snippet)["repos"][0]["hooks"]]
    assert hooks == [hook["id"] for hook in _manifest()]
