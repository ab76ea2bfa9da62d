"""``cigen scan`` follows a CI configuration kept in another project, and (``--follow-remote``)
remote includes and configurations at a URL, against the local test GitLab
(tests/gitlab_server.py), which also serves the remote files (on 127.0.0.1, without a token).

GitLab facts followed: ``lib/gitlab/ci/project_config/external_project.rb`` (a
``ci_config_path`` of ``path.yml@group/project[:ref]`` becomes a configuration of one
``project`` include, the ref only when written) and ``project_config/remote.rb`` (an http(s)
URL becomes one ``remote`` include); the include itself is read as
``lib/gitlab/ci/config/external/file/project.rb`` and ``file/remote.rb`` read it (the
``integrity:`` check included).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cigen.cli.main import main
from cigen.scan.client import Listing
from cigen.scan.records import read_records
from tests.gitlab_server import FakeGitLab, serve
from tests.test_scan import TOKEN, client_for, estate, scan

SHA_A, SHA_B = "a" * 40, "b" * 40
PIPELINE = b"""\
include:
  - local: /jobs/test.yml
build:
  tags: [kaniko]
  script: [build]
"""
JOBS = b"unit:\n  script: [pytest]\n"
OTHER = b"deploy:\n  script: [deploy]\n"


@pytest.fixture
def gitlab() -> Iterator[tuple[FakeGitLab, str]]:
    """tests/test_scan.py's estate, with a project that keeps other projects' pipelines."""
    fake = estate()
    fake.add_repository(
        "platform/pipelines",
        {SHA_A: {"app/ci.yml": PIPELINE, "jobs/test.yml": JOBS, "other.yml": OTHER}},
        {"v1": SHA_A, "HEAD": SHA_A, "main": SHA_A},
    )
    own = {".gitlab-ci.yml": b"own:\n  script: [never-read]\n"}
    fake.add_project(
        30, "platform/svc", own, group=3, ci_config_path="app/ci.yml@platform/pipelines:v1"
    )
    fake.add_project(
        31, "platform/svc2", {}, group=3, ci_config_path="other.yml@platform/pipelines"
    )
    fake.add_project(32, "platform/typo", {}, group=3, ci_config_path="nope.yml@platform/pipelines")
    with serve(fake) as url:
        yield fake, url


OTHERS = Listing(projects=("30", "31", "32"))


def _jobs(record: dict[str, Any]) -> dict[str, tuple[str, list[int]]]:
    return {job["name"]: (job["outcome"], job["runners"]) for job in record["jobs"]}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_configuration_in_another_project_is_read_there_and_linted_for_the_scanned_project(
    gitlab: Any, tmp_path: Path
) -> None:
    fake, _url = gitlab
    records = scan(_url, tmp_path / "s.jsonl", OTHERS).records
    svc = records[30]
    assert svc["status"] == "linted" and svc["reason"] is None
    # the configuration's own local include is read in the project that keeps it, at the commit
    # v1 pointed to; the kaniko job finds no runner: runner 3 belongs to project 11, not to 30
    assert _jobs(svc) == {"build": ("no-runner", []), "unit": ("runs", [1])}
    assert [r["id"] for r in svc["runners"]] == [1, 2, 6]  # the scanned project's runners
    assert svc["files"] == {}  # nothing of the scanned project's own repository is read
    assert not [r for r in fake.requests if "/projects/30/repository" in r.path]
    assert svc["includes"] == {
        "project:platform/pipelines@v1:app/ci.yml": {
            "kind": "project",
            "project": "platform/pipelines",
            "ref": "v1",
            "file": "app/ci.yml",
            "commit": SHA_A,
            "sha256": _sha(PIPELINE),
        },
        f"project:platform/pipelines@{SHA_A}:jobs/test.yml": {
            "kind": "project",
            "project": "platform/pipelines",
            "ref": SHA_A,
            "file": "jobs/test.yml",
            "commit": SHA_A,
            "sha256": _sha(JOBS),
        },
    }
    stuck = [f for f in svc["findings"] if f["code"] == "CIG301"]
    assert [(f["path"], f["line"]) for f in stuck] == [("platform/pipelines@v1:app/ci.yml", 4)]
    # no ref written: the other project's default branch (HEAD), as GitLab's project include
    assert _jobs(records[31]) == {"deploy": ("runs", [1])}
    assert list(records[31]["includes"]) == ["project:platform/pipelines@HEAD:other.yml"]
    # a file the other project does not have: not followed, said where the path is set; no
    # visible job, told as info since what is not followed might define some
    typo = records[32]
    assert typo["status"] == "linted" and typo["jobs"] == []
    missing = typo["includes"]["project:platform/pipelines@HEAD:nope.yml"]["missing"]
    assert "nope.yml" in missing
    assert sorted((f["code"], f["path"], f["severity"]) for f in typo["findings"]) == [
        ("CIG104", "nope.yml@platform/pipelines", "info"),
        ("CIG208", "nope.yml@platform/pipelines", "info"),
    ]


def test_a_rerun_rescans_only_the_projects_whose_other_project_configuration_changed(
    gitlab: Any, tmp_path: Path
) -> None:
    fake, url = gitlab
    out = tmp_path / "s.jsonl"
    scan(url, out, OTHERS)
    text = out.read_text()
    fake.requests.clear()
    again = scan(url, out, OTHERS)
    assert (again.kept, again.scanned) == (3, 0) and out.read_text() == text
    reads = [r.path for r in fake.requests if r.path.endswith("/raw")]  # commits asked, and
    assert reads == [  # only the file that was missing is asked again
        "/api/v4/projects/platform%2Fpipelines/repository/files/nope.yml/raw"
    ]
    # v1 moves to a commit where app/ci.yml changed; HEAD (31's and 32's) stays
    changed = PIPELINE.replace(b"[kaniko]", b"[docker]")
    fake.add_repository(
        "platform/pipelines",
        {SHA_B: {"app/ci.yml": changed, "jobs/test.yml": JOBS, "other.yml": OTHER}},
        {"v1": SHA_B},
    )
    moved = scan(url, out, OTHERS)
    assert (moved.kept, moved.scanned) == (2, 1)
    assert _jobs(moved.records[30]) == {"build": ("runs", [1]), "unit": ("runs", [1])}
    assert moved.records[30]["includes"]["project:platform/pipelines@v1:app/ci.yml"] == {
        "kind": "project",
        "project": "platform/pipelines",
        "ref": "v1",
        "file": "app/ci.yml",
        "commit": SHA_B,
        "sha256": _sha(changed),
    }
    # the configuration path itself changes: that project is read again
    fake.project_meta[31]["ci_config_path"] = "app/ci.yml@platform/pipelines:v1"
    last = scan(url, out, OTHERS)
    assert (last.kept, last.scanned) == (2, 1)
    assert sorted(_jobs(last.records[31])) == ["build", "unit"]


def test_without_following_includes_the_other_project_is_reported_not_followed(
    gitlab: Any, tmp_path: Path
) -> None:
    fake, url = gitlab
    fake.add_project(33, "platform/ftp", {}, group=3, ci_config_path="ftp://example.com/ci.yml")
    listing = Listing(projects=("30", "31", "32", "33"))
    records = scan(url, tmp_path / "s.jsonl", listing, follow_includes=False).records
    assert {r["status"] for r in records.values()} == {"external-config"}
    assert "platform/pipelines" in records[30]["reason"]
    assert "--no-follow-includes" in records[30]["reason"]
    followed = scan(url, tmp_path / "f.jsonl", listing, follow_remote=True).records[33]
    assert followed["status"] == "external-config"  # GitLab reads http(s) URLs only
    assert "URL GitLab does not read" in followed["reason"]


# --- --follow-remote ---------------------------------------------------------------------------

SHARED = b"shared:\n  script: [echo shared]\n"
OWN = b"lonely:\n  script: [echo own]\n"
URL_CONFIG = b"include:\n  - local: /never.yml\nremote-config:\n  script: [echo config]\n"


def _remote_estate(fake: FakeGitLab, url: str) -> dict[str, str]:
    """Projects 40 and 41 include the same remote file, 42 another one, 43 the first with a
    wrong integrity: value, 45 with the right one; 44's configuration is at a URL. The files
    are served by the test server without a token check, as any web server would."""
    paths = {"shared": "/remote/shared.yml", "own": "/remote/own.yml", "config": "/remote/ci.yml"}
    for name, data in (("shared", SHARED), ("own", OWN), ("config", URL_CONFIG)):
        fake.public[paths[name]] = (200, "text/plain", data)
    urls = {name: f"{url}{path}" for name, path in paths.items()}
    shared = f"include:\n  - remote: {urls['shared']}\n".encode()
    bad = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
    fake.add_project(40, "web/one", {".gitlab-ci.yml": shared}, group=3)
    fake.add_project(41, "web/two", {".gitlab-ci.yml": b"include: " + urls["shared"].encode()})
    fake.add_project(42, "web/own", {".gitlab-ci.yml": f"include: {urls['own']}\n".encode()})
    wrong = f"include:\n  - remote: {urls['shared']}\n    integrity: sha256-{bad}\n"
    fake.add_project(43, "web/pinned", {".gitlab-ci.yml": wrong.encode()})
    fake.add_project(44, "web/byurl", {}, ci_config_path=urls["config"])
    good = base64.b64encode(hashlib.sha256(SHARED).digest()).decode()
    right = f"include:\n  - remote: {urls['shared']}\n    integrity: sha256-{good}\n"
    fake.add_project(45, "web/checked", {".gitlab-ci.yml": right.encode()})
    return urls


REMOTE = Listing(projects=("40", "41", "42", "43", "44", "45"))


def _remote_gets(fake: FakeGitLab) -> list[str]:
    return sorted(r.path for r in fake.requests if r.path.startswith("/remote/"))


def test_follow_remote_fetches_each_url_once_and_fingerprints_it(
    gitlab: Any, tmp_path: Path
) -> None:
    fake, url = gitlab
    urls = _remote_estate(fake, url)
    records = scan(url, tmp_path / "s.jsonl", REMOTE, follow_remote=True, allow_http=True).records
    assert _remote_gets(fake) == ["/remote/ci.yml", "/remote/own.yml", "/remote/shared.yml"]
    assert not [
        r for r in fake.requests if r.path.startswith("/remote/") and r.headers.get("private-token")
    ]  # the token never goes to a remote server
    assert sorted(_jobs(records[40])) == sorted(_jobs(records[41])) == ["shared"]
    key = f"remote:{urls['shared']}"
    assert records[40]["includes"] == {
        key: {"kind": "remote", "url": urls["shared"], "sha256": _sha(SHARED)}
    }
    assert sorted(_jobs(records[42])) == ["lonely"]
    pinned = records[43]["includes"][key]  # the same content, fetched once, fails its check
    assert "failed integrity check" in pinned["missing"] and "sha256" not in pinned
    assert pinned["integrity"].startswith("sha256-") and records[43]["jobs"] == []
    checked = records[45]["includes"][key]
    assert checked["sha256"] == _sha(SHARED) and sorted(_jobs(records[45])) == ["shared"]
    byurl = records[44]  # ci_config_path at a URL: one remote include (project_config/remote.rb)
    assert byurl["status"] == "linted" and sorted(_jobs(byurl)) == ["remote-config"]
    assert list(byurl["includes"]) == [f"remote:{urls['config']}"]
    # a remote file's local includes are read in the scanned project, which has no never.yml
    assert [(f["code"], f["path"], f["line"], f["severity"]) for f in byurl["findings"]] == [
        ("CIG101", urls["config"], 2, "error")
    ]


def test_a_rerun_refetches_remote_files_once_and_rescans_only_what_changed(
    gitlab: Any, tmp_path: Path
) -> None:
    fake, url = gitlab
    _remote_estate(fake, url)
    out = tmp_path / "s.jsonl"
    follow = {"follow_remote": True, "allow_http": True}
    scan(url, out, REMOTE, **follow)
    text = out.read_text()
    fake.requests.clear()
    again = scan(url, out, REMOTE, **follow)
    assert (again.kept, again.scanned) == (6, 0) and out.read_text() == text
    assert _remote_gets(fake) == ["/remote/ci.yml", "/remote/own.yml", "/remote/shared.yml"]
    fake.public["/remote/own.yml"] = (200, "text/plain", b"lonely:\n  script: [echo v2]\n")
    changed = scan(url, out, REMOTE, **follow)
    assert (changed.kept, changed.scanned) == (5, 1)
    assert changed.records[42]["includes"] != read_records([out])[40]["includes"]
    # the local file the URL configuration includes, missing so far, appears in project 44
    assert changed.records[44]["files"] == {"never.yml": None}
    fake.branch_files[44]["never.yml"] = b"late:\n  script: [echo late]\n"
    appeared = scan(url, out, REMOTE, **follow)
    assert (appeared.kept, appeared.scanned) == (5, 1)
    assert sorted(_jobs(appeared.records[44])) == ["late", "remote-config"]
    assert appeared.records[44]["findings"] == []
    fake.public["/remote/shared.yml"] = (404, "text/plain", b"gone")
    gone = scan(url, out, REMOTE, **follow)
    assert (gone.kept, gone.scanned) == (2, 4)  # 40, 41, 43 and 45 include it
    entry = next(iter(gone.records[40]["includes"].values()))
    assert "HTTP code `404`" in entry["missing"]
    # without --follow-remote the settings differ: every project is read again, URLs not fetched
    fake.requests.clear()
    plain = scan(url, out, REMOTE)
    assert (plain.kept, plain.scanned) == (0, 6) and _remote_gets(fake) == []
    assert plain.records[44]["status"] == "external-config"
    assert "--follow-remote" in plain.records[44]["reason"]
    assert next(iter(plain.records[40]["includes"].values())) == {
        "kind": "remote",
        "url": f"{url}/remote/shared.yml",
    }


def test_plain_http_is_fetched_only_when_allowed(gitlab: Any, tmp_path: Path) -> None:
    fake, url = gitlab
    urls = _remote_estate(fake, url)
    records = scan(url, tmp_path / "s.jsonl", REMOTE, follow_remote=True).records
    assert _remote_gets(fake) == []
    entry = records[40]["includes"][f"remote:{urls['shared']}"]
    assert "https://" in entry["missing"] and "--allow-http" in entry["missing"]


def test_remote_fetches_stop_at_the_scans_deadline(gitlab: Any) -> None:
    from cigen.scan.client import DeadlinePassed
    from cigen.scan.run import _scan_fetcher

    _fake, url = gitlab
    client = client_for(url, deadline=0.05)
    fetcher = _scan_fetcher(client, remote=True, allow_http=True)
    time.sleep(0.1)
    with pytest.raises(DeadlinePassed, match="deadline passed while fetching an include"):
        fetcher.url(f"{url}/remote/ci.yml")


def test_the_follow_remote_options(
    gitlab: Any, tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    fake, url = gitlab
    _remote_estate(fake, url)
    monkeypatch.setenv("GITLAB_URL", url)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    for name in ("CI_NODE_INDEX", "CI_NODE_TOTAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.txt").write_text("44\n42\n")
    base = ["scan", "--projects", "p.txt", "--exit-zero"]
    assert main([*base, "--allow-http"]) == 2
    assert "--allow-http needs --follow-remote" in capsys.readouterr().err
    assert main([*base, "--follow-remote", "--no-follow-includes"]) == 2
    assert main([*base, "--follow-remote", "--allow-http"]) == 0
    records = read_records([tmp_path / "scan.jsonl"])
    assert records[44]["status"] == "linted" and sorted(_jobs(records[42])) == ["lonely"]
