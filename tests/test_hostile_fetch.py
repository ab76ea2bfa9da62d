"""External includes and scans against a server that answers slowly or without end (issue 11,
classes 4 and 6), real python-gitlab and requests against tests/gitlab_server.py.

GitLab bounds the whole expansion of a configuration by one deadline, not one per request
(``lib/gitlab/ci/config.rb``, ``TIMEOUT_SECONDS``, "Request timed out when fetching
configuration files."; ``lib/gitlab/ci/config/external/context.rb``, ``set_deadline``): so does
``cigen fetch``, for the API and remote includes together. Lists (releases, a scan's projects)
are read by page number up to a page limit, never by following the server's links.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitlab_server import FakeGitLab, serve
from helpers import write_files

import cigen.resolve.fetch as fetch_module
import cigen.scan.client as scan_client
from cigen.cli.main import main
from cigen.errors import CigenError
from cigen.gitlab_api import MAX_PAGES, connect
from cigen.resolve.external import LOCK_NAME
from cigen.scan.client import Deadline, Listing, ScanClient

TOKEN = "glpat-HostileFetchT0kenValue9"
CI = ".gitlab-ci.yml"


@pytest.fixture
def fake() -> FakeGitLab:
    fake = FakeGitLab(token=TOKEN, projects={7: "team/app"}, groups={3: "platform"})
    fake.add_repository("ci/templates", {"a" * 40: {"t.yml": b"t:\n  script: [x]\n"}}, {})
    fake.add_release("ci/templates", "1.0.0", "a" * 40)
    fake.add_project(10, "platform/app", {CI: b"j:\n  script: [x]\n"}, group=3)
    return fake


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CIGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    monkeypatch.delenv("CI_SERVER_URL", raising=False)


def run_fetch(root: Path, *extra: str) -> int:
    return main(["fetch", str(root / CI), "--root", str(root), *extra])


def test_one_deadline_covers_every_remote_include(
    fake: FakeGitLab,
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Three remote files of 0.6 s each: every one is well within the per-request timeout and
    the deadline alone, together they are not."""
    monkeypatch.setattr(fetch_module, "DEADLINE", 1.0)
    body = b"#" * 20 + b"\n"
    for name in "abc":
        fake.public[f"/raw/{name}.yml"] = (200, "text/plain", body)
    fake.drip = 0.03
    with serve(fake) as url:
        monkeypatch.setenv("GITLAB_URL", url)
        text = "include:\n" + "".join(f"  - remote: {url}/raw/{n}.yml\n" for n in "abc")
        write_files(tmp_path / "app", {CI: text})
        assert run_fetch(tmp_path / "app", "--remote", "--allow-http") == 2
    err = capsys.readouterr().err
    assert "fetching the includes took more than 1 s" in err
    assert "Request timed out when fetching configuration files." in err
    assert not (tmp_path / "app" / LOCK_NAME).exists()
    assert len([r for r in fake.requests if r.path.startswith("/raw/")]) < 3


def test_the_api_shares_the_deadline_of_the_fetch(
    fake: FakeGitLab,
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(fetch_module, "DEADLINE", 0.5)
    fake.drip = 0.05  # the commit's JSON alone takes seconds
    with serve(fake) as url:
        monkeypatch.setenv("GITLAB_URL", url)
        text = "include:\n  - project: ci/templates\n    ref: main\n    file: t.yml\n"
        write_files(tmp_path / "app", {CI: text})
        assert run_fetch(tmp_path / "app") == 2
    err = capsys.readouterr().err
    assert "did not finish answering within" in err
    assert TOKEN not in err


def test_release_pages_stop_at_the_page_limit(
    fake: FakeGitLab,
    env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.endless = True
    with serve(fake) as url:
        monkeypatch.setenv("GITLAB_URL", url)
        host = url.split("://", 1)[1]
        write_files(tmp_path / "app", {CI: f"include:\n  - component: {host}/ci/templates/t@1\n"})
        assert run_fetch(tmp_path / "app") == 2
    err = capsys.readouterr().err
    assert f"answers more than {MAX_PAGES} pages while listing the releases" in err
    pages = [r for r in fake.requests if r.path.endswith("/releases")]
    assert len(pages) == MAX_PAGES
    assert all("page" in r.query for r in pages)  # by number, never by the server's links


def test_scan_listing_stops_at_the_page_limit(
    fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_client, "MAX_LIST_PAGES", 5)
    fake.endless = True
    with serve(fake) as url:
        client = ScanClient(connect(url=url, token=TOKEN, timeout=5), deadline=Deadline(None))
        with pytest.raises(CigenError, match="answers more than 5 pages while listing the"):
            client.projects(Listing(group="platform"))
    assert len([r for r in fake.requests if r.path.endswith("/projects")]) == 5


def test_scan_listing_reads_every_page_below_the_limit(fake: FakeGitLab) -> None:
    for number in range(150):
        fake.add_project(100 + number, f"platform/p{number}", {}, group=3)
    with serve(fake) as url:
        client = ScanClient(connect(url=url, token=TOKEN, timeout=5), deadline=Deadline(None))
        found = client.projects(Listing(group="platform"))
    assert [p.id for p in found] == [10, *range(100, 250)]


def test_a_scan_fetcher_keeps_the_scan_deadline_only() -> None:
    """``cigen scan`` shares one fetcher across the whole scan: it has no deadline of its own
    (the scan's holds), while ``cigen fetch``'s is counted from its start."""
    assert fetch_module.Fetcher(lambda: None).remaining() == float("inf")
    timed = fetch_module.Fetcher(lambda: None, deadline=30.0)
    assert 29.0 < timed.remaining() <= 30.0
    with pytest.raises(CigenError, match="took more than 0 s"):
        fetch_module.Fetcher(lambda: None, deadline=0.0).remaining()
