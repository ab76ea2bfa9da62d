"""The on-disk memory of passed schema checks (cigen/cache.py): it may only save time, never
change a result."""

from __future__ import annotations

from pathlib import Path

import pytest

from cigen.lint import cache
from cigen.lint.engine import lint

GOOD = "build:\n  script: [make]\n"
BAD = "build:\n  script: [make]\n  when: sometimes\n"


def codes(path: Path) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.col) for d in lint(path, root=path.parent).diagnostics]


def test_passed_checks_are_remembered_and_failures_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "cache"
    monkeypatch.setenv("CIGEN_CACHE_DIR", str(store))
    ci = tmp_path / "p" / ".gitlab-ci.yml"
    ci.parent.mkdir()
    ci.write_text(GOOD)
    assert codes(ci) == []
    (saved,) = store.glob("schema-valid-*.txt")
    remembered = saved.read_text().split()
    assert remembered and all(len(line) == 32 for line in remembered)
    ci.write_text(BAD)
    assert codes(ci) == [("CIG002", 3, 9)]
    assert codes(ci) == [("CIG002", 3, 9)]  # a failure is found again, not cached away
    assert set(saved.read_text().split()) >= set(remembered)


def test_damaged_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "cache"
    monkeypatch.setenv("CIGEN_CACHE_DIR", str(store))
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(BAD)
    assert codes(ci) == [("CIG002", 3, 9)]
    store.mkdir(exist_ok=True)
    for name in ("schema-valid-0000000000000000.txt",):
        (store / name).write_bytes(b"\xff\x00garbage\n" * 10)
    for saved in store.glob("schema-valid-*.txt"):
        saved.write_bytes(b"\xff\xfe not ascii")
    assert codes(ci) == [("CIG002", 3, 9)]


def test_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIGEN_NO_CACHE", "1")
    assert cache.cache_dir({"CIGEN_NO_CACHE": "1", "HOME": str(tmp_path)}) is None
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(GOOD)
    assert codes(ci) == []
    assert not list(tmp_path.rglob("schema-valid-*.txt"))


def test_cache_location_follows_the_environment(tmp_path: Path) -> None:
    assert cache.cache_dir({"CIGEN_CACHE_DIR": "/x"}) == Path("/x")
    assert cache.cache_dir({"XDG_CACHE_HOME": "/y"}) == Path("/y/cigen")
    assert cache.cache_dir({"HOME": "/home/u"}) == Path("/home/u/.cache/cigen")
    assert cache.cache_dir({}) is None


def test_unwritable_cache_folder_does_not_fail_the_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CIGEN_CACHE_DIR", str(blocker / "sub"))
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(GOOD)
    assert codes(ci) == []
