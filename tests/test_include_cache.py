"""The include cache (cigen/resolve/external.py; issue 11, class 4): a folder of the user's own
that nobody else can write, entries that are content checked against the sha256 the lock names
on every hit (so a planted file cannot change what is linted), bounded in size with least
recently used entries removed first, and the former schema cache's files removed.

GitLab has no such cache on the client side; what is cached is what ``cigen fetch`` read
through ``lib/gitlab/ci/config/external/file/*.rb``'s APIs (see tests/test_fetch.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gitlab_server import FakeGitLab, serve
from helpers import write_files

import cigen.resolve.external as external
from cigen.cli.main import main
from cigen.errors import CigenError
from cigen.lint.engine import lint
from cigen.resolve.external import (
    cache_path,
    cached,
    check_cache,
    digest,
    prepare_cache,
    prune,
    store,
)

TOKEN = "glpat-CacheT0kenValue01234"
CI = ".gitlab-ci.yml"
TEMPLATE = "lint-job:\n  script: [lint]\n  dependencies: [missing]\n"
INCLUDE = "include:\n  - template: Jobs/Lint.gitlab-ci.yml\n"


@pytest.fixture
def fake() -> FakeGitLab:
    fake = FakeGitLab(token=TOKEN)
    fake.templates["Jobs/Lint"] = TEMPLATE
    return fake


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    monkeypatch.delenv("CI_SERVER_URL", raising=False)
    monkeypatch.delenv("CIGEN_CACHE_DIR", raising=False)
    write_files(tmp_path / "app", {CI: INCLUDE})
    return tmp_path / "app"


def run(command: str, root: Path, cache: Path) -> int:
    """``cigen fetch --cache-dir`` or ``cigen lint`` with ``CIGEN_CACHE_DIR`` (the ``root``
    fixture restores the variable)."""
    os.environ["CIGEN_CACHE_DIR"] = str(cache)
    extra = ["--cache-dir", str(cache)] if command == "fetch" else []
    return main([command, str(root / CI), "--root", str(root), *extra])


def codes(root: Path, cache: Path) -> list[str]:
    return [d.code for d in lint(root / CI, root=root, cache=cache).diagnostics]


def test_fetch_creates_a_private_folder(root: Path, tmp_path: Path, fake: FakeGitLab) -> None:
    cache = tmp_path / "new" / "cache"
    with serve(fake) as url:
        os.environ["GITLAB_URL"] = url
        try:
            assert run("fetch", root, cache) == 0
        finally:
            del os.environ["GITLAB_URL"]
    assert cache.stat().st_mode & 0o777 == 0o700
    (entry,) = [p for p in cache.rglob("*") if p.is_file()]
    assert entry.parent.stat().st_mode & 0o777 == 0o700
    assert entry.read_text() == TEMPLATE


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o722])
def test_a_folder_others_can_write_is_refused(
    root: Path,
    tmp_path: Path,
    fake: FakeGitLab,
    mode: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(mode)
    with serve(fake) as url:
        monkeypatch.setenv("GITLAB_URL", url)
        assert run("fetch", root, cache) == 2
    err = capsys.readouterr().err
    assert f"the include cache {cache} is not safe to use: group or others may write" in err
    assert f"chmod go-w {cache}" in err
    assert fake.requests == []  # refused before anything was asked for
    assert not (root / ".cigen.lock").exists()


def test_lint_refuses_an_unsafe_folder_the_lock_needs(
    root: Path,
    tmp_path: Path,
    fake: FakeGitLab,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = tmp_path / "cache"
    with serve(fake) as url:
        monkeypatch.setenv("GITLAB_URL", url)
        assert run("fetch", root, cache) == 0
    assert run("lint", root, cache) == 1  # the template's finding, read from the cache
    cache.chmod(0o777)
    capsys.readouterr()
    assert run("lint", root, cache) == 2
    assert "is not safe to use" in capsys.readouterr().err
    write_files(root, {CI: "job:\n  script: [x]\n", ".cigen.lock": ""})
    (root / ".cigen.lock").unlink()
    assert run("lint", root, cache) == 0  # no lock: the cache is not read at all


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root (chown)")
def test_a_folder_another_user_owns_is_refused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, 4242, 4242)
    with pytest.raises(CigenError, match=r"owned by user id 4242, not by you \(0\)"):
        check_cache(cache)
    with pytest.raises(CigenError, match="owned by user id 4242"):
        store(cache, b"x: 1\n")


def test_a_file_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    with pytest.raises(CigenError, match="it is not a folder"):
        check_cache(cache)
    with pytest.raises(CigenError, match="cannot create the include cache"):
        prepare_cache(cache)


def test_a_symlink_is_judged_by_its_folder(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    check_cache(link)
    real.chmod(0o777)
    with pytest.raises(CigenError, match="group or others may write"):
        check_cache(link)


def test_a_planted_entry_cannot_change_what_is_linted(
    root: Path, tmp_path: Path, fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock names the content by its sha256; a file planted under that name with other
    content (a clean template, to hide the finding) is not used, and it is removed."""
    cache = tmp_path / "cache"
    with serve(fake) as url:
        monkeypatch.setenv("GITLAB_URL", url)
        assert run("fetch", root, cache) == 0
    found = codes(root, cache)
    assert found and "CIG104" not in found  # the template's own finding, read from the cache
    (entry,) = [p for p in cache.rglob("*") if p.is_file()]
    entry.write_text("lint-job:\n  script: [lint]\n")
    planted = codes(root, cache)
    assert planted != found and "CIG104" in planted  # not followed: "run cigen fetch"
    assert not entry.exists()
    with serve(fake) as url:
        monkeypatch.setenv("GITLAB_URL", url)
        assert run("fetch", root, cache) == 0
    assert codes(root, cache) == found


def test_store_and_cached_agree_on_content(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    sha = store(cache, b"a: 1\n")
    assert sha == digest(b"a: 1\n")
    assert cached(cache, sha) == b"a: 1\n"
    assert cached(cache, "0" * 64) is None
    assert cached(None, sha) is None


def _aged(cache: Path, contents: list[bytes]) -> list[Path]:
    """Entries stored oldest first (one second apart)."""
    paths = []
    for age, content in enumerate(reversed(contents)):
        path = cache_path(cache, store(cache, content))
        os.utime(path, (1_000_000 - age, 1_000_000 - age))
        paths.append(path)
    return paths[::-1]


def test_prune_removes_the_least_recently_used_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    oldest, middle, newest = _aged(cache, [b"a: 1\n" * 100, b"b: 1\n" * 100, b"c: 1\n" * 100])
    monkeypatch.setattr(external, "MAX_CACHE_BYTES", 600)  # one entry of 500 bytes
    assert cached(cache, oldest.name) is not None  # a hit: now the most recently used
    prune(cache)
    assert oldest.exists() and not middle.exists() and not newest.exists()


def test_prune_bounds_the_entry_count_and_keeps_what_the_lock_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    paths = _aged(cache, [f"k{i}: 1\n".encode() for i in range(6)])
    monkeypatch.setattr(external, "MAX_CACHE_ENTRIES", 2)
    prune(cache, frozenset({paths[0].name}))
    assert [p.exists() for p in paths] == [True, False, False, False, True, True]


def test_prune_removes_the_former_schema_cache_and_nothing_else(tmp_path: Path) -> None:
    base = tmp_path / "cigen"
    cache = base / "includes"
    sha = store(cache, b"a: 1\n")
    former = [
        base / "schema-valid-0123456789abcdef.txt",
        cache / "schema-valid-fedcba9876543210.txt",
    ]
    for path in former:
        path.write_text("0" * 32 + "\n")
    mine = [base / "notes.txt", cache / "schema-valid-short.txt"]
    for path in mine:
        path.write_text("mine\n")
    prune(cache)
    assert not any(path.exists() for path in former)
    assert all(path.exists() for path in mine)
    assert cached(cache, sha) == b"a: 1\n"


def test_store_checks_the_folder_even_for_content_it_holds(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    store(cache, b"a: 1\n")
    cache.chmod(0o777)
    with pytest.raises(CigenError, match="group or others may write"):
        store(cache, b"a: 1\n")
