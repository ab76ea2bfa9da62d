"""``cigen fetch``: project, template, component and remote includes resolved once through the
GitLab API (python-gitlab against the test server on 127.0.0.1), stored in the include cache and
``.cigen.lock``, then followed offline by ``cigen lint``.

GitLab's behaviour followed: ``lib/gitlab/ci/config/external/file/project.rb`` (ref pinned to a
commit, ``HEAD`` by default, leading slashes dropped, nested local includes read in the included
project at that commit), ``file/template.rb`` (``.gitlab-ci.yml`` suffix), ``file/component.rb``
(``<host>/<project>/<name>@<version>``, ``templates/<name>.yml`` or
``templates/<name>/template.yml``, inputs checked against the component's ``spec:inputs``) and
``file/remote.rb``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from gitlab_server import FakeGitLab, serve
from helpers import write_files

from cigen.cli.main import main
from cigen.diagnostics import Severity
from cigen.lint.engine import lint, load_pipeline
from cigen.resolve.external import LOCK_NAME, cache_path, default_cache, parse_lock
from cigen.yaml.load import MAX_BYTES

TOKEN = "glpat-FetchS3cretT0kenValue7"
A = "a" * 40
B = "b" * 40
C09 = "c" * 40
C10 = "d" * 40
C11 = "e" * 40

TEST_YML = b"""\
include:
  - local: /jobs/common.yml
unit:
  stage: tests
  extends: .base
"""
COMMON_YML = b"""\
.base:
  script: [make test]
"""
COMPONENT_YML = b"""\
spec:
  inputs:
    stage:
      default: test
    job:
      default: build-job
---
$[[ inputs.job ]]:
  stage: $[[ inputs.stage ]]
  script: [make]
  needs: [nowhere]
"""
CTX_YML = b"""\
spec:
  component: [name, version, reference, sha]
---
$[[ component.name ]]-$[[ component.version ]]-$[[ component.reference ]]:
  script:
    - echo $[[ component.sha ]]
"""
TEMPLATE_YML = """\
lint-job:
  script: [lint]
  dependencies: [missing]
"""


def main_yml(host: str, version: str = "~latest") -> str:
    return f"""\
include:
  - project: ci/templates
    ref: main
    file: [/jobs/test.yml]
  - component: {host}/ci/components/build@{version}
    inputs:
      stage: build
  - template: Jobs/Lint.gitlab-ci.yml
app:
  extends: .base
  needs: [unit, build-job, lint-job]
"""


@pytest.fixture
def fake() -> FakeGitLab:
    fake = FakeGitLab(token=TOKEN, projects={7: "team/app"})
    fake.add_repository(
        "ci/templates",
        {A: {"jobs/test.yml": TEST_YML, "jobs/common.yml": COMMON_YML}},
        {"main": A, "HEAD": A},
    )
    fake.add_repository(
        "ci/components",
        {
            C09: {"templates/build.yml": b"old: {script: [x]}\n"},
            C10: {
                "templates/build/template.yml": COMPONENT_YML,
                "templates/ctx.yml": CTX_YML,
                "templates/inc.yml": b"spec:\n  include: [a.yml]\n---\nj: {script: [x]}\n",
            },
            C11: {"templates/build.yml": b"new: {script: [x]}\n"},
        },
        {"main": C11},
    )
    fake.add_release("ci/components", "0.9.0", C09)
    fake.add_release("ci/components", "1.0.0", C10)
    fake.add_release("ci/components", "not-semver", C11)
    fake.templates["Jobs/Lint"] = TEMPLATE_YML
    return fake


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CIGEN_CACHE_DIR", str(cache))
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    monkeypatch.delenv("CI_SERVER_URL", raising=False)
    return cache


Served = Callable[[], AbstractContextManager[str]]


@pytest.fixture
def gitlab(fake: FakeGitLab, env: Path, monkeypatch: pytest.MonkeyPatch) -> Served:
    """The test GitLab serving ``fake``, its URL in ``GITLAB_URL`` (the token and the cache
    folder set by ``env``)."""

    @contextmanager
    def served() -> Iterator[str]:
        with serve(fake) as url:
            monkeypatch.setenv("GITLAB_URL", url)
            yield url

    return served


def project(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "app"
    write_files(root, {".gitlab-ci.yml": text})
    return root


def fetched_main(tmp_path: Path, url: str, version: str = "~latest") -> Path:
    """A project including :func:`main_yml`'s four external files, fetched."""
    root = project(tmp_path, main_yml(host_of(url), version))
    assert run_fetch(root) == 0
    return root


def run_fetch(root: Path, *extra: str) -> int:
    return main(["fetch", str(root / ".gitlab-ci.yml"), "--root", str(root), *extra])


def host_of(url: str) -> str:
    return url.split("://", 1)[1]


def findings(root: Path) -> list[Any]:
    return list(lint(root / ".gitlab-ci.yml", root=root, cache=default_cache_for(root)).diagnostics)


def default_cache_for(root: Path) -> Path:
    return root.parent / "cache"


def test_fetch_then_lint_offline_gives_the_findings_of_local_files(
    env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gitlab: Served,
) -> None:
    with gitlab() as url:
        root = fetched_main(tmp_path, url)
        host = host_of(url)
    out = capsys.readouterr()
    assert "4 includes locked in .cigen.lock" in out.out
    assert (
        f"  component:{host_of(url)}/ci/components/build@~latest: 1.0.0 {C10[:12]} sha256"
        in out.out
    )
    assert "  template:Jobs/Lint.gitlab-ci.yml: sha256 " in out.out
    assert TOKEN not in out.out + out.err
    lock = parse_lock((root / LOCK_NAME).read_bytes(), LOCK_NAME)
    assert set(lock.entries) == {
        "project:ci/templates@main:jobs/test.yml",
        f"project:ci/templates@{A}:jobs/common.yml",
        f"component:{host}/ci/components/build@~latest",
        "template:Jobs/Lint.gitlab-ci.yml",
    }
    component = lock.entries[f"component:{host}/ci/components/build@~latest"]
    assert (component.commit, component.version) == (C10, "1.0.0")  # not-semver is skipped
    assert component.file == "templates/build/template.yml"
    assert lock.entries["project:ci/templates@main:jobs/test.yml"].commit == A
    assert cache_path(env, component.sha256).read_bytes() == COMPONENT_YML

    # the server is gone: lint reads the lock and the cache only
    remote = findings(root)
    assert not [d for d in remote if d.code == "CIG104"]
    named = {(d.path, d.line, d.col, d.code) for d in remote}
    assert ("ci/templates@main:jobs/test.yml", 4, 10, "CIG201") in named  # stage: tests
    assert ("ci/components@1.0.0:templates/build/template.yml", 11, 11, "CIG202") in named
    assert ("template:Jobs/Lint.gitlab-ci.yml", 3, 18, "CIG204") in named

    # the same files, local: the same findings at the same places
    local = tmp_path / "local"
    write_files(
        local,
        {
            ".gitlab-ci.yml": main_yml("x")
            .replace("  - project: ci/templates\n    ref: main\n", "  - local: ")
            .replace("    file: [/jobs/test.yml]\n", "jobs/test.yml\n")
            .replace("component: x/ci/components/build@~latest", "local: comp.yml")
            .replace("template: Jobs/Lint.gitlab-ci.yml", "local: lint.yml"),
            "jobs/test.yml": TEST_YML,
            "jobs/common.yml": COMMON_YML,
            "comp.yml": COMPONENT_YML,
            "lint.yml": TEMPLATE_YML,
        },
    )
    at_home = lint(local / ".gitlab-ci.yml", root=local).diagnostics
    names = {
        "jobs/test.yml": "ci/templates@main:jobs/test.yml",
        "jobs/common.yml": "ci/templates@main:jobs/common.yml",
        "comp.yml": "ci/components@1.0.0:templates/build/template.yml",
        "lint.yml": "template:Jobs/Lint.gitlab-ci.yml",
    }
    assert sorted(
        (names.get(d.path, d.path), d.line, d.code, d.severity)
        for d in at_home
        if d.path != ".gitlab-ci.yml"
    ) == sorted((d.path, d.line, d.code, d.severity) for d in remote if d.path != ".gitlab-ci.yml")


def test_fetch_check_catches_a_moved_ref_and_rewrites_nothing(
    fake: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gitlab: Served,
) -> None:
    with gitlab() as url:
        root = fetched_main(tmp_path, url, "1.0.0")
        before = (root / LOCK_NAME).read_bytes()
        assert run_fetch(root, "--check") == 0
        assert ".cigen.lock is up to date (4 includes)" in capsys.readouterr().out
        fake.add_repository("ci/templates", {B: fake.trees["ci/templates"][A]}, {"main": B})
        assert run_fetch(root, "--check") == 1
        out = capsys.readouterr().out
        assert (root / LOCK_NAME).read_bytes() == before
        assert f"project:ci/templates@main:jobs/test.yml: moved from {A[:12]} to {B[:12]}" in out
        assert f"project:ci/templates@{B}:jobs/common.yml: not in the lock" in out
        assert f"project:ci/templates@{A}:jobs/common.yml: in the lock, no longer included" in out
        assert run_fetch(root) == 0
        assert run_fetch(root, "--check") == 0
    assert (
        json.loads((root / LOCK_NAME).read_text())["includes"][
            "project:ci/templates@main:jobs/test.yml"
        ]["commit"]
        == B
    )


def test_the_lock_is_deterministic_and_not_rewritten_when_unchanged(
    tmp_path: Path,
    gitlab: Served,
) -> None:
    with gitlab() as url:
        root = fetched_main(tmp_path, url)
        first = (root / LOCK_NAME).stat().st_mtime_ns
        text = (root / LOCK_NAME).read_text()
        assert run_fetch(root) == 0
    assert (root / LOCK_NAME).stat().st_mtime_ns == first
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_lint_says_to_run_fetch_when_the_lock_or_the_cache_lacks_an_include(
    env: Path,
    tmp_path: Path,
    gitlab: Served,
) -> None:
    root = project(tmp_path, "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n")
    (infos,) = [d for d in findings(root) if d.code == "CIG104"]
    assert "run `cigen fetch` to fetch it once" in infos.message  # no lock at all
    with gitlab():
        assert run_fetch(root) == 0
    write_files(root, {".gitlab-ci.yml": "include:\n  - template: Jobs/Other.gitlab-ci.yml\n"})
    (infos,) = [d for d in findings(root) if d.code == "CIG104"]
    assert infos.message.startswith("template include 'Jobs/Other.gitlab-ci.yml' is not in")
    assert "run `cigen fetch`" in infos.message
    write_files(root, {".gitlab-ci.yml": "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n"})
    assert not [d for d in findings(root) if d.code == "CIG104"]
    entry = parse_lock((root / LOCK_NAME).read_bytes(), LOCK_NAME).entries
    cached = cache_path(env, entry["template:Jobs/Lint.gitlab-ci.yml"].sha256)
    cached.write_text("lint-job: {script: [altered]}\n")  # no longer matches its sha256
    (infos,) = [d for d in findings(root) if d.code == "CIG104"]
    assert "its content is not in the cache; run `cigen fetch`" in infos.message


def test_component_versions_and_inputs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gitlab: Served,
) -> None:
    with gitlab() as url:
        host = host_of(url)
        resolved = {}
        for version in ("0", "1", "0.9", C11, "main"):
            root = project(
                tmp_path, f"include:\n  - component: {host}/ci/components/build@{version}\n"
            )
            assert run_fetch(root) == 0
            (entry,) = parse_lock((root / LOCK_NAME).read_bytes(), LOCK_NAME).entries.values()
            resolved[version] = (entry.version, entry.commit, entry.file)
        root = project(
            tmp_path,
            f"include:\n  - component: {host}/ci/components/build@1.0.0\n"
            "    inputs:\n      stages: build\n",
        )
        assert run_fetch(root) == 0
    assert resolved == {
        "0": ("0.9.0", C09, "templates/build.yml"),
        "1": ("1.0.0", C10, "templates/build/template.yml"),
        "0.9": ("0.9.0", C09, "templates/build.yml"),
        C11: (C11, C11, "templates/build.yml"),
        "main": ("main", C11, "templates/build.yml"),
    }
    (problem,) = [d for d in findings(root) if d.code == "CIG107"]
    assert (problem.path, problem.line) == (".gitlab-ci.yml", 2)
    assert "stages" in problem.message


@pytest.mark.parametrize(
    ("include", "message"),
    [
        (
            "project: ci/templates\n    ref: nope\n    file: jobs/test.yml",
            "Project `ci/templates` reference `nope` does not exist!",
        ),
        (
            "project: ci/templates\n    file: jobs/none.yml",
            "Project `ci/templates` file `jobs/none.yml` does not exist!",
        ),
        ("template: Jobs/Lint.yml", "Template file `Jobs/Lint.yml` is not a valid location!"),
        (
            "template: Jobs/None.gitlab-ci.yml",
            "Included file `Jobs/None.gitlab-ci.yml` is empty or does not exist!",
        ),
        (
            "component: elsewhere.example/ci/components/build@1.0.0",
            "is on elsewhere.example, not on the configured GitLab",
        ),
        ("component: HOST/ci/components/nothing@1.0.0", "has neither templates/nothing.yml"),
        ("component: HOST/ci/templates/x@~latest", "~latest names nothing"),
        ("component: HOST/build@1", "is not a component address"),
    ],
)
def test_includes_gitlab_would_refuse_fail_the_fetch(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    include: str,
    message: str,
    gitlab: Served,
) -> None:
    with gitlab() as url:
        text = f"include:\n  - {include}\n".replace("HOST", host_of(url))
        root = project(tmp_path, text)
        assert run_fetch(root) == 1
    err = capsys.readouterr().err
    assert message in err
    assert TOKEN not in err
    assert json.loads((root / LOCK_NAME).read_text())["includes"] == {}


def test_remote_includes_only_when_asked_https_only_and_without_the_token(
    fake: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gitlab: Served,
) -> None:
    fake.public["/raw/ci.yml"] = (200, "text/plain", b"remote-job:\n  script: [x]\n")
    with gitlab() as url:
        root = project(tmp_path, f"include:\n  - remote: {url}/raw/ci.yml\n")
        assert run_fetch(root) == 0
        assert "0 includes locked" in capsys.readouterr().out
        (info,) = [d for d in findings(root) if d.code == "CIG104"]
        assert "run `cigen fetch --remote`" not in info.message  # not in the lock yet
        assert run_fetch(root, "--remote") == 1
        assert "use an https:// URL (or pass --allow-http" in capsys.readouterr().err
        assert run_fetch(root, "--remote", "--allow-http") == 0
        fake.public["/raw/big.yml"] = (200, "text/plain", b"#" * (MAX_BYTES + 1))
        big = project(tmp_path / "big", f"include:\n  - remote: {url}/raw/big.yml\n")
        assert run_fetch(big, "--remote", "--allow-http") == 1  # GitLab: a fetch error
        assert "it sent a response of 2,097,153 bytes" in capsys.readouterr().err
    sent = [r for r in fake.requests if r.path == "/raw/ci.yml"]
    assert sent and all("private-token" not in r.headers for r in sent)
    assert not [d for d in findings(root) if d.code == "CIG104"]


def test_the_token_never_follows_a_redirect_to_another_host(
    fake: FakeGitLab,
    env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = FakeGitLab(token=TOKEN)
    with serve(fake) as url, serve(other) as elsewhere:
        target = elsewhere.replace("127.0.0.1", "localhost") + "/api/v4/templates/x"
        fake.redirects["/api/v4/templates/gitlab_ci_ymls/Jobs%2FLint"] = target
        monkeypatch.setenv("GITLAB_URL", url)
        root = project(tmp_path, "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n")
        assert run_fetch(root) == 2
    assert "redirected a request to another host (localhost)" in capsys.readouterr().err
    assert other.requests == []


def test_fetch_refuses_to_overwrite_a_file_that_is_not_a_lock(
    tmp_path: Path,
    gitlab: Served,
) -> None:
    root = project(tmp_path, "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n")
    (root / LOCK_NAME).write_text("my notes\n")
    with gitlab():
        assert run_fetch(root) == 2
        assert (root / LOCK_NAME).read_text() == "my notes\n"
        (root / LOCK_NAME).write_text('{"lockfileVersion": 1, "includes": []}')
        assert run_fetch(root) == 0  # a broken lock is rewritten
    assert parse_lock((root / LOCK_NAME).read_bytes(), LOCK_NAME).entries


def test_default_cache_folder() -> None:
    assert default_cache({"CIGEN_CACHE_DIR": "/c"}) == Path("/c")
    assert default_cache({"XDG_CACHE_HOME": "/x"}) == Path("/x/cigen/includes")
    assert default_cache({}) == Path.home() / ".cache" / "cigen" / "includes"


def test_component_context_interpolation(
    env: Path,
    tmp_path: Path,
    gitlab: Served,
) -> None:
    """``$[[ component.x ]]`` for the values ``spec:component`` declares
    (``lib/gitlab/ci/config/header/component.rb``, ``interpolation/interpolator.rb``)."""
    from cigen.lint.engine import load_pipeline

    with gitlab() as url:
        root = project(tmp_path, f"include:\n  - component: {host_of(url)}/ci/components/ctx@1\n")
        assert run_fetch(root) == 0
    pipeline = load_pipeline(root / ".gitlab-ci.yml", root=root, cache=env)
    assert list(pipeline.jobs) == ["ctx-1.0.0-1"]
    assert pipeline.jobs["ctx-1.0.0-1"].config["script"] == [f"echo {C10}"]
    assert not pipeline.events and not pipeline.unfollowed


def test_lint_fetch_fetches_then_lints(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gitlab: Served,
) -> None:
    root = project(tmp_path, "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n")
    with gitlab():
        code = main(["lint", str(root / ".gitlab-ci.yml"), "--root", str(root), "--fetch"])
    assert code == 1
    out = capsys.readouterr().out
    assert "template:Jobs/Lint.gitlab-ci.yml:3:18: CIG204" in out
    assert "CIG104" not in out
    assert (root / LOCK_NAME).is_file()
    # and offline afterwards, through the CLI as the pre-commit hook runs it
    assert main(["lint", str(root / ".gitlab-ci.yml"), "--root", str(root)]) == 1
    assert "template:Jobs/Lint.gitlab-ci.yml:3:18: CIG204" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{", "not a valid lock file"),
        (b'{"lockfileVersion": 2, "includes": {}}', "not a lock file of version 1"),
        (b'{"lockfileVersion": 1, "includes": []}', "`includes` must be a mapping"),
        (b'{"lockfileVersion": 1, "includes": {"k": {"commit": 1}}}', "entry 'k' is malformed"),
        (b'{"lockfileVersion": 1, "includes": {"k": {"sha256": "x"}}}', "no valid sha256"),
    ],
)
def test_a_broken_lock_is_a_usage_error_saying_to_fetch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, message: str
) -> None:
    root = project(tmp_path, "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n")
    (root / LOCK_NAME).write_bytes(data)
    assert main(["lint", str(root / ".gitlab-ci.yml"), "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert message in err and "cigen fetch" in err


@pytest.mark.parametrize(
    ("include", "message"),
    [
        ("artifact: gen.yml\n    job: make", "is a file a job creates while the pipeline runs"),
        ("project: $GROUP/ci\n    file: a.yml", "uses $GROUP, which is only known"),
    ],
)
def test_external_includes_that_cannot_be_named_offline(
    env: Path, tmp_path: Path, include: str, message: str
) -> None:
    root = project(tmp_path, f"include:\n  - {include}\n")
    (root / LOCK_NAME).write_text('{"includes": {}, "lockfileVersion": 1}\n')
    (info,) = [d for d in findings(root) if d.code == "CIG104"]
    assert message in info.message


@pytest.mark.parametrize(
    ("include", "message"),
    [
        ("project: ci/x\n    file: {a: 1}", "Included file `{a: 1}` does not have YAML extension!"),
        (
            "project: ci/x",
            '`{"project":"ci/x"}` does not have a valid subkey for include. Valid subkeys are: '
            "`local`, `project`, `remote`, `template`, `artifact`, `component`",
        ),
    ],
)
def test_external_includes_gitlab_refuses_before_fetching(
    env: Path, tmp_path: Path, include: str, message: str
) -> None:
    """``external/mapper/matcher.rb`` and ``file/base.rb#validate_location!``."""
    root = project(tmp_path, f"include:\n  - {include}\n")
    (root / LOCK_NAME).write_text('{"includes": {}, "lockfileVersion": 1}\n')
    (error,) = [d for d in findings(root) if d.code == "CIG106"]
    assert error.severity is Severity.ERROR
    pipeline = load_pipeline(root / ".gitlab-ci.yml", root=root)
    assert pipeline.gitlab_errors == (message,)


def test_local_includes_inside_a_fetched_file_come_from_its_project(
    fake: FakeGitLab,
    tmp_path: Path,
    gitlab: Served,
) -> None:
    """``file/project.rb``: the included file's context is its project at the pinned commit;
    a wildcard there is not fetched, a variable is not known before the pipeline."""
    fake.trees["ci/templates"][A]["nested.yml"] = (
        b"include:\n  - local: 'jobs/*.yml'\n  - local: $DIR/a.yml\n"
        b"  - template: Jobs/Lint.gitlab-ci.yml\n"
    )
    root = project(tmp_path, "include:\n  - project: ci/templates\n    file: nested.yml\n")
    write_files(root, {"jobs/test.yml": "local-only: {script: [x]}\n"})
    with gitlab():
        assert run_fetch(root) == 0
    found = findings(root)
    infos = sorted(d.message for d in found if d.code == "CIG104")
    assert len(infos) == 2
    assert "wildcard local include 'jobs/*.yml' in project ci/templates" in infos[1]
    assert "uses $DIR" in infos[0]
    assert all(d.path != "jobs/test.yml" for d in found)
    assert any(d.path == "template:Jobs/Lint.gitlab-ci.yml" for d in found)


def test_gitlab_api_failures_other_than_404_stop_the_fetch(
    fake: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gitlab: Served,
) -> None:
    fake.overrides["/api/v4/projects/ci%2Fcomponents/releases"] = (500, "text/plain", b"boom")
    fake.overrides["/api/v4/templates/gitlab_ci_ymls/Jobs%2FLint"] = (
        200,
        "application/json",
        b'{"name": "Jobs/Lint"}',
    )
    with gitlab() as url:
        host = host_of(url)
        root = project(tmp_path, f"include:\n  - component: {host}/ci/components/build@1\n")
        assert run_fetch(root) == 2
        assert "answered HTTP 500 while listing the releases" in capsys.readouterr().err
        root = project(tmp_path / "t", "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n")
        assert run_fetch(root) == 1
        assert "is empty or does not exist!" in capsys.readouterr().err
        fake.public["/raw/gone.yml"] = (404, "text/plain", b"no")
        root = project(tmp_path / "r", f"include:\n  - remote: {url}/raw/gone.yml\n")
        assert run_fetch(root, "--remote", "--allow-http") == 1
        assert "because of HTTP code `404` error!" in capsys.readouterr().err
    root = project(tmp_path / "x", "include:\n  - remote: http://127.0.0.1:9/ci.yml\n")
    assert run_fetch(root, "--remote", "--allow-http") == 1
    assert "could not be fetched (ConnectionError)" in capsys.readouterr().err


def test_a_file_with_a_yaml_error_leaves_the_lock_alone(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gitlab: Served,
) -> None:
    root = project(tmp_path, "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n")
    with gitlab():
        assert run_fetch(root) == 0
        before = (root / LOCK_NAME).read_bytes()
        write_files(root, {".gitlab-ci.yml": "include: [\n"})
        assert run_fetch(root) == 2
    assert "the lock is unchanged" in capsys.readouterr().err
    assert (root / LOCK_NAME).read_bytes() == before


def test_remote_integrity_is_checked_when_fetching_and_offline(
    fake: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gitlab: Served,
) -> None:
    """``file/remote.rb``: ``integrity: sha256-<base64 of the SHA-256 digest>``; a mismatch is
    GitLab's "failed integrity check!" error."""
    import base64
    import hashlib

    content = b"remote-job:\n  script: [x]\n"
    good = "sha256-" + base64.b64encode(hashlib.sha256(content).digest()).decode()
    fake.public["/raw/ci.yml"] = (200, "text/plain", content)
    with gitlab() as url:
        text = f"include:\n  - remote: {url}/raw/ci.yml\n    integrity: {{}}\n"
        root = project(tmp_path, text.format("sha256-AAAA"))
        assert run_fetch(root, "--remote", "--allow-http") == 1
        assert f"Remote file `{url}/raw/ci.yml` failed integrity check!" in capsys.readouterr().err
        write_files(root, {".gitlab-ci.yml": text.format(good)})
        assert run_fetch(root, "--remote", "--allow-http") == 0
    assert not [d for d in findings(root) if d.code == "CIG104"]
    write_files(root, {".gitlab-ci.yml": text.format("sha256-AAAA")})
    (info,) = [d for d in findings(root) if d.code == "CIG104"]
    assert "does not match its integrity: value" in info.message


def test_a_component_cannot_use_spec_include(
    tmp_path: Path,
    gitlab: Served,
) -> None:
    """``file/component.rb``, ``validate_component_spec!``: GitLab's error, at the include."""
    with gitlab() as url:
        address = f"{host_of(url)}/ci/components/inc@1.0.0"
        root = project(tmp_path, f"include:\n  - component: {address}\n")
        assert run_fetch(root) == 0
    (error,) = [d for d in findings(root) if d.code == "CIG106"]
    assert (error.path, error.line, error.col) == (".gitlab-ci.yml", 2, 16)
    assert error.message == (
        f"Component `{address}` cannot use `spec:include`. This keyword is not supported in "
        "components"
    )


def test_a_lock_leading_outside_the_project_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n")
    outside = tmp_path / "elsewhere.lock"
    outside.write_text('{"includes": {}, "lockfileVersion": 1}\n')
    (root / LOCK_NAME).symlink_to(outside)
    assert main(["lint", str(root / ".gitlab-ci.yml"), "--root", str(root)]) == 2
    assert "leads outside the project root" in capsys.readouterr().err


def test_component_hosts_compare_as_ci_server_fqdn() -> None:
    from cigen.resolve.fetch import server_fqdn

    assert server_fqdn("https://GitLab.example.com:443/") == "gitlab.example.com"
    assert server_fqdn("http://user:pw@gitlab.example.com:80") == "gitlab.example.com"
    assert server_fqdn("https://gitlab.example.com:8443") == "gitlab.example.com:8443"


def test_expand_provenance_names_the_fetched_files(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gitlab: Served,
) -> None:
    with gitlab() as url:
        root = fetched_main(tmp_path, url)
    capsys.readouterr()
    # offline: each key that came from a fetched file says which project, ref and file
    main(["expand", str(root / ".gitlab-ci.yml"), "--root", str(root), "--provenance"])
    out = capsys.readouterr().out
    assert "# ci/templates@main:jobs/test.yml:" in out
    assert "# ci/components@1.0.0:templates/build/template.yml:" in out
    assert "# template:Jobs/Lint.gitlab-ci.yml:" in out
