"""``cigen scan`` against the local test GitLab (tests/gitlab_server.py): listing groups and
projects, reading each configuration at the default branch (``ci_config_path`` honoured), the
runners each project may use (instance, group with ancestors, project; read once each),
records, resuming, shards and their merge, rate limits and faults, the reports.

GitLab facts followed: the projects API (``GET /groups/:id/projects`` with
``include_subgroups``, ``GET /projects``), the repository files API (``blob_id`` of
``GET /projects/:id/repository/files/:path``), runner availability (``GET
/projects/:id/runners``), ``Retry-After`` on 429 and the ``RateLimit-*`` headers of
``lib/gitlab/rack_attack.rb``; the lint of each configuration is the one of ``cigen lint``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cigen.cli.main import main
from cigen.gitlab_api import connect
from cigen.lint.settings import Config
from cigen.scan.client import Deadline, Listing, ScanClient, Throttle
from cigen.scan.project import LintSetup, config_location
from cigen.scan.records import merge, parse_shard, read_records, shard_of
from cigen.scan.report import render_html, render_markdown, summarize
from cigen.scan.run import ScanSettings, run_scan
from tests.gitlab_server import FakeGitLab, runner_detail, serve

TOKEN = "glpat-fake-token-0123456789"

APP = b"""\
include:
  - local: ci/build.yml
test:
  script: [make test]
"""
BUILD = b"""\
build:
  tags: [docker]
  script: [make]
"""
IMAGES = b"""\
image-build:
  tags: [kaniko]
  script: [build]
gpu-smoke:
  tags: [gpu]
  script: [nvidia-smi]
"""
TRAIN = b"""\
include:
  - project: other/templates
    file: /train.yml
train:
  tags: [gpu, a100]
  script: [python train.py]
"""
BROKEN = b"""\
stages: [build]
deploy:
  stage: deploy
  script: [./deploy]
"""


def estate() -> FakeGitLab:
    """Groups platform (3) > platform/ml (4), and other (5); runners at all three levels."""
    fake = FakeGitLab(
        projects={},
        groups={3: "platform", 4: "platform/ml", 5: "other"},
        group_parents={4: 3},
        scoped_runners=True,
        runners=[
            runner_detail(1, name="shared-docker", tags=["docker"], run_untagged=True,
                          runner_type="instance_type"),
            runner_detail(2, name="gpu-pool", tags=["gpu"], runner_type="group_type", groups=[3]),
            runner_detail(3, name="kaniko", tags=["kaniko"], projects=[11]),
            runner_detail(4, name="arm", tags=["arm"], runner_type="group_type", groups=[5]),
            runner_detail(6, name="windows", tags=["windows"], runner_type="instance_type"),
        ],
    )  # fmt: skip
    fake.add_project(10, "platform/app", {".gitlab-ci.yml": APP, "ci/build.yml": BUILD}, group=3)
    fake.add_project(
        11,
        "platform/images",
        {"ci/pipeline.yml": IMAGES},
        group=3,
        ci_config_path="ci/pipeline.yml",
    )
    fake.add_project(12, "platform/ml/train", {".gitlab-ci.yml": TRAIN}, group=4)
    fake.add_project(13, "platform/broken", {".gitlab-ci.yml": BROKEN}, group=3)
    fake.add_project(14, "platform/empty", {}, group=3, empty_repo=True, default_branch=None)
    fake.add_project(15, "platform/noci", {"README.md": b"hi"}, group=3)
    fake.add_project(  # not followed without --follow-remote (tests/test_scan_config.py)
        16, "platform/extcfg", {}, group=3, ci_config_path="https://ci.example.com/pipeline.yml"
    )
    fake.add_project(17, "platform/locked", {".gitlab-ci.yml": BUILD}, group=3)
    fake.add_project(18, "platform/old", {".gitlab-ci.yml": BUILD}, group=3, archived=True)
    fake.add_project(20, "other/thing", {".gitlab-ci.yml": BUILD}, group=5)
    fake.overrides["/api/v4/projects/17/runners"] = (
        403,
        "application/json",
        b'{"message": "403 Forbidden"}',
    )
    return fake


@pytest.fixture
def gitlab() -> Iterator[tuple[FakeGitLab, str]]:
    fake = estate()
    with serve(fake) as url:
        yield fake, url


def client_for(url: str, *, deadline: float | None = None, **kw: Any) -> ScanClient:
    session = connect(url=url, token=TOKEN, timeout=5)
    return ScanClient(session, deadline=Deadline(deadline), **kw)


SETUP = LintSetup(Config(), Path())


def scan(url: str, out: Path, listing: Listing, **kw: Any) -> Any:
    client = client_for(url, retries=kw.pop("retries", 2), backoff=0.01)
    return run_scan(client, ScanSettings(listing, **kw), SETUP, out)


GROUP = Listing(group="platform", subgroups=True)


def codes(record: dict[str, Any]) -> list[tuple[str, str, int, int, str]]:
    return [
        (f["code"], f["path"], f["line"], f["column"], f["severity"]) for f in record["findings"]
    ]


# --- listing -------------------------------------------------------------------------------


def test_group_lists_its_own_projects_without_archived_or_subgroups(gitlab: Any) -> None:
    _fake, url = gitlab
    projects = client_for(url).projects(Listing(group="platform"))
    assert [p.id for p in projects] == [10, 11, 13, 14, 15, 16, 17]
    projects = client_for(url).projects(Listing(group="platform", subgroups=True, archived=True))
    assert [p.id for p in projects] == [10, 11, 12, 13, 14, 15, 16, 17, 18]


def test_instance_and_listed_projects(gitlab: Any) -> None:
    _fake, url = gitlab
    assert [p.id for p in client_for(url).projects(Listing(instance=True))] == [
        10, 11, 12, 13, 14, 15, 16, 17, 20,
    ]  # fmt: skip
    listed = client_for(url).projects(Listing(projects=("other/thing", "11", "11")))
    assert [(p.id, p.path, p.ci_config_path) for p in listed] == [
        (11, "platform/images", "ci/pipeline.yml"),
        (20, "other/thing", None),
    ]


def test_ci_config_path_forms() -> None:
    assert config_location(None) == ("local", ".gitlab-ci.yml")
    assert config_location("ci/pipeline.yml") == ("local", "ci/pipeline.yml")
    # lib/gitlab/ci/project_config/external_project.rb and remote.rb
    assert config_location("x.yml@group/ci:main") == ("project", "x.yml@group/ci:main")
    assert config_location("ci/x.yaml@group/ci") == ("project", "ci/x.yaml@group/ci")
    assert config_location("notes@group/ci") == ("local", "notes@group/ci")  # not yml: a path
    assert config_location("https://example.com/ci.yml") == ("url", "https://example.com/ci.yml")
    assert config_location("ftp://example.com/ci.yml")[0] == "external"


# --- one scan ----------------------------------------------------------------------------


def test_group_scan_records_each_project(gitlab: Any, tmp_path: Path) -> None:
    fake, url = gitlab
    out = tmp_path / "scan.jsonl"
    result = scan(url, out, GROUP)
    records = result.records
    assert sorted(records) == [10, 11, 12, 13, 14, 15, 16, 17]
    assert {k: r["status"] for k, r in records.items()} == {
        10: "linted",
        11: "linted",
        12: "linted",
        13: "linted",
        14: "no-config",
        15: "no-config",
        16: "external-config",
        17: "unreadable",
    }
    app = records[10]
    assert sorted(app["files"]) == [".gitlab-ci.yml", "ci/build.yml"]  # the local include read
    assert all(len(blob) == 40 for blob in app["files"].values())
    assert codes(app) == []
    assert sorted(app["jobs"], key=lambda j: j["name"]) == [
        {"name": "build", "tags": ["docker"], "outcome": "runs", "runners": [1]},
        {"name": "test", "tags": [], "outcome": "runs", "runners": [1]},
    ]
    assert [r["id"] for r in app["runners"]] == [1, 2, 6]  # instance + group, not project 11's
    assert [r["id"] for r in records[11]["runners"]] == [1, 2, 3, 6]
    assert {j["name"]: j["runners"] for j in records[11]["jobs"]} == {
        "image-build": [3],
        "gpu-smoke": [2],
    }
    train = records[12]  # a subgroup project sees the parent group's runners
    assert [r["id"] for r in train["runners"]] == [1, 2, 6]
    assert train["jobs"] == [
        {"name": "train", "tags": ["a100", "gpu"], "outcome": "no-runner", "runners": []}
    ]
    assert ("CIG104", ".gitlab-ci.yml", 2, 14, "info") in codes(train)  # include not followed
    assert ("CIG301", ".gitlab-ci.yml", 5, 9, "error") in codes(train)  # stuck
    assert codes(records[13]) == [("CIG201", ".gitlab-ci.yml", 3, 10, "error")]
    assert "remote URL" in records[16]["reason"] and "--follow-remote" in records[16]["reason"]
    assert "403 Forbidden" in records[17]["reason"]
    assert TOKEN not in out.read_text()
    # each runner's details read once for the whole scan
    detail_reads = [r.path for r in fake.requests if r.path.startswith("/api/v4/runners/")]
    assert sorted(detail_reads) == [f"/api/v4/runners/{i}" for i in (1, 2, 3, 6)]
    # the file: one line per project, by id
    lines = out.read_text().splitlines()
    assert [json.loads(x)["project"]["id"] for x in lines] == sorted(records)


def test_summary_across_projects(gitlab: Any, tmp_path: Path) -> None:
    _fake, url = gitlab
    summary = summarize(scan(url, tmp_path / "s.jsonl", GROUP).records)
    assert summary["projects"] == 8
    assert summary["stuck"] == [
        {"tags": "a100, gpu", "jobs": 1, "projects": 1, "examples": "platform/ml/train"}
    ]
    assert summary["missing_tags"] == [
        {"tag": "a100", "jobs": 1, "projects": 1, "examples": "platform/ml/train"}
    ]
    assert [(r["id"], r["name"], r["projects"]) for r in summary["unused_runners"]] == [
        (6, "windows", 4)
    ]
    assert [(r["project"], r["errors"]) for r in summary["refused"]] == [("platform/broken", 1)]
    rules = {r["code"]: (r["findings"], r["projects"]) for r in summary["rules"]}
    assert rules["CIG201"] == (1, 1)
    assert rules["CIG301"] == (1, 1)
    assert [(p["project"], p["status"]) for p in summary["problems"]] == [
        ("platform/extcfg", "external-config"),
        ("platform/locked", "unreadable"),
    ]
    md = render_markdown(summary)
    assert "| a100, gpu | 1 | 1 | platform/ml/train |" in md
    assert "| #6 windows | instance_type | windows | no | 4 |" in md
    html = render_html(summary)
    assert "<td>a100, gpu</td>" in html


def test_reports_escape_what_gitlab_sends() -> None:
    record = {
        "project": {"id": 1, "path": "g/<b>x</b>"},
        "status": "unreadable",
        "reason": "a | b <script>alert(1)</script>",
        "findings": [],
        "jobs": [],
        "runners": [],
    }
    summary = summarize({1: record})
    html = render_html(summary)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html
    md = render_markdown(summary)
    assert "a \\| b &lt;script&gt;" in md


# --- resuming --------------------------------------------------------------------------------


def test_rerun_keeps_unchanged_projects_and_rescans_changed_ones(
    gitlab: Any, tmp_path: Path
) -> None:
    fake, url = gitlab
    out = tmp_path / "scan.jsonl"
    first = scan(url, out, GROUP)
    text = out.read_text()
    fake.requests.clear()
    second = scan(url, out, GROUP)
    assert (second.kept, second.scanned) == (5, 3)  # linted and external kept; others read
    assert out.read_text() == text
    details = sorted(r.path for r in fake.requests if r.path.startswith("/api/v4/runners/"))
    assert details == [f"/api/v4/runners/{i}" for i in (1, 2, 3, 6)]  # once each, to compare
    fake.branch_files[10]["ci/build.yml"] = BUILD.replace(b"docker", b"gpu")
    fake.requests.clear()
    third = scan(url, out, GROUP)
    assert third.kept == 4
    assert {j["name"]: j["runners"] for j in third.records[10]["jobs"]} == {
        "build": [2],  # now a gpu job: the group runner
        "test": [1],
    }
    assert third.records[10]["files"] != first.records[10]["files"]
    assert [r.path for r in fake.requests].count("/api/v4/projects/10/runners") == 1
    fake.runner(2)["tag_list"] = ["gpu", "cuda"]  # a runner changed: its projects again
    fourth = scan(url, out, GROUP)
    assert fourth.kept == 1  # every linted project sees group runner 2; the external one kept
    assert fourth.records[11]["runners"][1]["tags"] == ["cuda", "gpu"]


def test_an_interrupted_file_resumes(gitlab: Any, tmp_path: Path) -> None:
    _fake, url = gitlab
    out = tmp_path / "scan.jsonl"
    scan(url, out, GROUP)
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:2]) + lines[2][:30])  # killed while writing line 3
    assert sorted(read_records([out])) == [10, 11]
    again = scan(url, out, GROUP)
    assert again.kept == 2 and len(again.records) == 8


def test_fresh_starts_over(gitlab: Any, tmp_path: Path) -> None:
    _fake, url = gitlab
    out = tmp_path / "scan.jsonl"
    scan(url, out, GROUP)
    assert scan(url, out, GROUP, fresh=True).kept == 0


# --- shards ------------------------------------------------------------------------------------


def test_shard_choice_is_stable_and_total() -> None:
    ids = range(1, 2001)
    for total in (1, 3, 4):
        counts = [sum(1 for i in ids if shard_of(i, total) == s) for s in range(1, total + 1)]
        assert sum(counts) == 2000
        assert min(counts) > 2000 / total * 0.8  # spread evenly
    assert shard_of(12345, 4) == shard_of(12345, 4)


def test_parse_shard() -> None:
    assert parse_shard(None, {}) == (1, 1)
    assert parse_shard(None, {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "5"}) == (2, 5)
    assert parse_shard("3/4", {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"}) == (3, 4)
    for bad in ("0/4", "5/4", "x/2", "2", "1/0"):
        with pytest.raises(Exception, match=r"I/N|between"):
            parse_shard(bad, {})


def test_merged_shards_equal_one_scan(
    gitlab: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake, url = gitlab
    monkeypatch.chdir(tmp_path)  # scan writes only inside the current folder
    whole = tmp_path / "scan.jsonl"
    scan(url, whole, GROUP)
    shards = []
    for index in (1, 2, 3):
        path = tmp_path / f"shard-{index}.jsonl"
        part = scan(url, path, GROUP, shard=(index, 3))
        assert all(shard_of(pid, 3) == index for pid in part.records)
        shards.append(path)
    merged_path = tmp_path / "merged.jsonl"
    assert main(["scan", "merge", *map(str, shards), "-o", str(merged_path), "--exit-zero"]) == 0
    assert merged_path.read_text() == whole.read_text()
    assert summarize(merge(shards)) == summarize(read_records([whole]))


# --- rate limits and faults ----------------------------------------------------------------


def test_429_retry_after_is_obeyed(gitlab: Any, tmp_path: Path) -> None:
    fake, url = gitlab
    fake.queued["/api/v4/projects/10/runners"] = [(429, {"Retry-After": "1"})]
    client = client_for(url, retries=2, backoff=0.01)
    started = time.monotonic()
    result = run_scan(client, ScanSettings(GROUP), SETUP, tmp_path / "s.jsonl")
    assert result.records[10]["status"] == "linted"
    assert client.throttle.waited >= 1 and time.monotonic() - started >= 1
    assert [r.path for r in fake.requests].count("/api/v4/projects/10/runners") == 2


def test_transient_errors_are_retried_then_recorded(gitlab: Any, tmp_path: Path) -> None:
    fake, url = gitlab
    fake.queued["/api/v4/projects/10/runners"] = [(502, {})]
    fake.queued["/api/v4/projects/11/runners"] = [(503, {})] * 3
    result = scan(url, tmp_path / "s.jsonl", GROUP, retries=2)
    assert result.records[10]["status"] == "linted"
    assert result.records[11]["status"] == "unreadable"
    assert "HTTP 503" in result.records[11]["reason"]
    assert result.records[13]["status"] == "linted"  # the others go on


def test_rate_limit_headers_make_every_thread_wait() -> None:
    slept: list[float] = []
    throttle = Throttle(sleep=slept.append)
    throttle.note({"RateLimit-Remaining": "5", "RateLimit-Reset": str(time.time() + 30)})
    throttle.wait(Deadline(None))
    assert slept == []
    throttle.note({"RateLimit-Remaining": "0", "RateLimit-Reset": str(time.time() + 30)})
    throttle.wait(Deadline(None))
    assert len(slept) == 1 and 28 < slept[0] <= 30
    with pytest.raises(Exception, match="deadline"):
        throttle.wait(Deadline(10))


def test_rate_limit_headers_from_the_server(gitlab: Any, tmp_path: Path) -> None:
    fake, url = gitlab
    fake.rate_limit_headers = {"RateLimit-Remaining": "0", "RateLimit-Reset": "0"}
    result = scan(url, tmp_path / "s.jsonl", Listing(projects=("10",)))
    assert result.records[10]["status"] == "linted"  # a reset in the past: no wait


def test_deadline_records_projects_as_not_scanned_and_a_rerun_resumes(
    gitlab: Any, tmp_path: Path
) -> None:
    _fake, url = gitlab
    out = tmp_path / "s.jsonl"
    now = [0.0]
    session = connect(url=url, token=TOKEN, timeout=5)
    client = ScanClient(session, deadline=Deadline(5, clock=lambda: now[0]))
    client.projects(GROUP)  # listing before the deadline
    now[0] = 10
    with pytest.raises(Exception, match="deadline"):
        run_scan(client, ScanSettings(GROUP), SETUP, out)
    now[0] = 0
    listing_client = ScanClient(
        connect(url=url, token=TOKEN, timeout=5), deadline=Deadline(5, clock=lambda: now[0])
    )
    original = listing_client.projects

    def list_then_expire(listing: Listing) -> Any:
        found = original(listing)
        now[0] = 10
        return found

    listing_client.projects = list_then_expire  # type: ignore[method-assign]
    result = run_scan(listing_client, ScanSettings(GROUP), SETUP, out)
    assert result.not_scanned == 8
    assert {r["status"] for r in result.records.values()} == {"not-scanned"}
    again = scan(url, out, GROUP)
    assert again.scanned == 8 and again.records[10]["status"] == "linted"


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def env(gitlab: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeGitLab:
    fake, url = gitlab
    monkeypatch.setenv("GITLAB_URL", url)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    monkeypatch.delenv("CI_NODE_INDEX", raising=False)
    monkeypatch.delenv("CI_NODE_TOTAL", raising=False)
    monkeypatch.chdir(tmp_path)
    return fake


def test_command_scans_and_reports(env: FakeGitLab, tmp_path: Path, capsys: Any) -> None:
    code = main(
        ["scan", "--group", "platform", "--include-subgroups",
         "--report-md", "report.md", "--report-html", "public/index.html"]
    )  # fmt: skip
    assert code == 1  # platform/broken and the stuck job are errors
    err = capsys.readouterr().err
    assert "shard 1/1: 8 of 8 projects (8 scanned" in err
    assert len((tmp_path / "scan.jsonl").read_text().splitlines()) == 8
    assert "## Stuck jobs by tags (1 jobs)" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "public" / "index.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["scan", "--group", "platform", "--exit-zero", "--select", "CIG104"]) == 0


def test_command_shard_from_ci_variables(
    env: FakeGitLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_NODE_INDEX", "2")
    monkeypatch.setenv("CI_NODE_TOTAL", "2")
    main(["scan", "--group", "platform", "--include-subgroups", "--exit-zero"])
    lines = (tmp_path / "shard-2.jsonl").read_text().splitlines()
    ids = [json.loads(x)["project"]["id"] for x in lines]
    assert ids and all(shard_of(i, 2) == 2 for i in ids)


def test_command_projects_file(env: FakeGitLab, tmp_path: Path) -> None:
    (tmp_path / "list.txt").write_text("# wanted\nplatform/app\n\n11  # images\n")
    assert main(["scan", "--projects", "list.txt", "-o", "out.jsonl"]) == 0
    assert sorted(read_records([tmp_path / "out.jsonl"])) == [10, 11]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan"], "exactly one of"),
        (["scan", "--group", "a", "--instance"], "exactly one of"),
        (["scan", "--instance", "--include-subgroups"], "needs --group"),
        (["scan", "--instance", "--shard", "3/2"], "between"),
        (["scan", "--instance", "--select", "nope"], "no such rule"),
        (["scan", "--projects", "missing.txt"], "cannot read"),
        (["scan", "--group", "nowhere"], "group 'nowhere' was not found"),
    ],
)
def test_command_usage_errors_exit_2(
    env: FakeGitLab, args: list[str], message: str, capsys: Any
) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_merge_rejects_a_file_that_is_not_records(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "x.jsonl"
    bad.write_text('{"a": 1}\n{"b": 2}\n')
    assert main(["scan", "merge", str(bad)]) == 2
    assert "x.jsonl:1: not a scan record" in capsys.readouterr().err


def test_empty_projects_file(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.txt").write_text("# nothing\n")
    assert main(["scan", "--projects", "list.txt"]) == 2
    assert "no project listed" in capsys.readouterr().err


def test_wildcard_local_include_lists_the_repository(gitlab: Any, tmp_path: Path) -> None:
    fake, url = gitlab
    fake.add_project(
        30,
        "platform/wild",
        {".gitlab-ci.yml": b"include: 'ci/*.yml'\n", "ci/a.yml": BUILD, "ci/sub/b.yml": BROKEN},
        group=3,
    )
    record = scan(url, tmp_path / "s.jsonl", Listing(projects=("30",))).records[30]
    assert sorted(record["files"]) == [".gitlab-ci.yml", "ci/a.yml"]  # * stays in one folder
    assert [j["name"] for j in record["jobs"]] == ["build"]


def test_unreachable_gitlab_is_retried_then_a_usage_error(tmp_path: Path) -> None:
    client = client_for("http://127.0.0.1:9", retries=2, backoff=0.01)
    with pytest.raises(Exception, match="cannot connect to GitLab"):
        client.projects(GROUP)
    assert client.throttle.waited == pytest.approx(0.01 + 0.02)


def test_a_file_that_became_unreadable_is_scanned_again(gitlab: Any, tmp_path: Path) -> None:
    fake, url = gitlab
    out = tmp_path / "s.jsonl"
    scan(url, out, Listing(projects=("10",)))
    fake.overrides["/api/v4/projects/10/repository/files/.gitlab-ci.yml"] = (
        500,
        "application/json",
        b'{"message": "500 Internal Server Error"}',
    )
    again = scan(url, out, Listing(projects=("10",)), retries=0)
    assert again.kept == 0
    assert again.records[10]["status"] == "unreadable"
    assert "HTTP 500" in again.records[10]["reason"]


def test_a_crash_on_one_project_is_recorded(
    gitlab: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cigen.scan.run

    _fake, url = gitlab
    real = cigen.scan.run.scan_project

    def crash_on_11(client: Any, info: Any, setup: Any) -> Any:
        if info.id == 11:
            raise RuntimeError(f"boom with {TOKEN}")
        return real(client, info, setup)

    monkeypatch.setattr(cigen.scan.run, "scan_project", crash_on_11)
    records = scan(url, tmp_path / "s.jsonl", GROUP).records
    assert records[11]["status"] == "internal-error"
    assert "RuntimeError: boom with [MASKED]" in records[11]["reason"]
    assert records[10]["status"] == "linted"


def test_readme_shows_the_generated_scan_pipeline() -> None:
    root = Path(__file__).resolve().parents[1]
    golden = (root / "tests" / "golden" / "generate" / "scan.yml").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert golden[golden.index("stages:") :] in readme


def test_includes_of_other_projects_are_read_once_per_scan(gitlab: Any, tmp_path: Path) -> None:
    """``project:`` includes follow ``lib/gitlab/ci/config/external/file/project.rb`` through
    ``cigen fetch``'s online source: the ref pinned to its commit, the file read at it."""
    fake, url = gitlab
    sha = "a" * 40
    fake.add_repository(
        "platform/ci-templates", {sha: {"build.yml": BUILD}}, {"HEAD": sha, "main": sha}
    )
    uses = b"include:\n  - project: platform/ci-templates\n    file: /build.yml\n"
    fake.add_project(40, "platform/one", {".gitlab-ci.yml": uses}, group=3)
    fake.add_project(41, "platform/two", {".gitlab-ci.yml": uses}, group=3)
    listing = Listing(projects=("40", "41"))
    records = scan(url, tmp_path / "s.jsonl", listing).records
    for pid in (40, 41):
        assert records[pid]["jobs"] == [
            {"name": "build", "tags": ["docker"], "outcome": "runs", "runners": [1]}
        ]
        assert codes(records[pid]) == []
    reads = [r.path for r in fake.requests if "ci-templates" in r.path]
    assert len(reads) == len(set(reads)) == 2  # the commit of HEAD, then the file: once each
    plain = scan(url, tmp_path / "p.jsonl", listing, follow_includes=False).records
    assert plain[40]["jobs"] == []
    assert "CIG104" in [c[0] for c in codes(plain[40])]  # include not followed
