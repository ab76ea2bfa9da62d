"""cigen.config.artifacts: typed values and the Ruby/git facts release: relies on
(lib/gitlab/ci/config/entry/artifacts.rb, release.rb; Ruby's Date._iso8601; libgit2's ref names
through Gitlab::GitRefValidator)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from cigen.config.artifacts import (
    artifacts,
    commit_sha,
    coverage,
    git_ref_name,
    iso8601_datetime,
    links,
    pages,
    release,
    reports,
)
from cigen.config.node import Check
from cigen.yaml.load import load_text


def _load(text: str) -> Any:
    loaded = load_text(".gitlab-ci.yml", text.encode())
    assert loaded.ok
    return loaded.body


@pytest.mark.parametrize(
    "text",
    [
        "2019-03-15T08:00:00Z",
        "2019-03-15",
        "2019-03",
        "2019-03-15T08:00",
        "2019-03-15t08:00:00.123+01:00",
        "2019-03-15T24:00:00",
        "20190315T080000Z",
        "20190315",
        "2019-074",
        "2019074",
        "2019-W11-5",
        "2019W115",
        "08:00:00",
        "0800",
        " 2019-03-15 ",
        "2020-02-29",
        "19-03-15",
        "2019",  # no date pattern matches; the basic time pattern reads 20:19
    ],
)
def test_iso8601_datetimes_ruby_accepts(text: str) -> None:
    assert iso8601_datetime(text)


@pytest.mark.parametrize(
    "text",
    [
        "ABC123",
        "",
        "2019-",
        "2019--15",
        "2019-13-01",
        "2019-00-10",
        "2019-02-30",
        "2019-03-32",
        "--03-32",
        "2019-04-31",
        "2019-00",
        "2019-366x",
        "2019-400",
        "2019-W54-1",
        "2019-W10-8",
        "2019-03-15 08:00:00",  # a space is RFC 3339, not ISO 8601
        "2019-03-15T25:00:00",
        "2019-03-15T24:30:00",
        "2019-03-15T08:60:00",
        "2019-03-15T08:00:61",
        "2019-03-15T08:00:00Z" + " " * 120,  # over Ruby's 128-character limit
        "20190230",
        "2019-0315",
    ],
)
def test_iso8601_datetimes_ruby_refuses(text: str) -> None:
    assert not iso8601_datetime(text)


def test_iso8601_needs_a_string() -> None:
    assert not iso8601_datetime(20190315)


REFS = [
    "main",
    "fix/123-branch-name",
    "v1.2.3-rc",
    "invalid\\branch",
    "a..b",
    "a/.b",
    "a.lock",
    "a/b.lock/c",
    "@",
    "a@{b",
    "a b",
    "a~1",
    "x/",
    "/x",
    "a//b",
    "ends.",
    "héllo",
    "a*b",
    "a?b",
    "a[b",
    "a:b",
    "a^b",
    ".hidden",
    "tab\tx",
]


@pytest.mark.parametrize("name", REFS)
def test_ref_names_agree_with_git_check_ref_format(name: str) -> None:
    """libgit2's rules match git's for these names (git refuses DEL, libgit2 does not)."""
    found = subprocess.run(
        ["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True, check=False
    )
    assert git_ref_name(name) == (found.returncode == 0)


@pytest.mark.parametrize("name", ["HEAD", "-x", "refs/heads/main", "refs/remotes/o/m", ""])
def test_ref_names_gitlab_refuses_before_asking_libgit2(name: str) -> None:
    assert not git_ref_name(name)


def test_commit_shas() -> None:
    assert commit_sha("b3235930")
    assert commit_sha("B3235930AA443112E639F941C69C578912189BDD")
    assert not commit_sha("b32359")
    assert not commit_sha("b3235930-x")


def test_artifacts_value() -> None:
    body = _load(
        "artifacts:\n  name: n\n  paths: [a]\n  exclude: [b]\n  when: always\n"
        "  expire_in: 1 week\n  reports:\n    junit: [r.xml]\n    dotenv: build.env\n"
        "    coverage_report: {coverage_format: jacoco, path: j.xml}\n"
    )
    c = Check()
    found = artifacts(c, body["artifacts"], body.value_mark("artifacts"), "artifacts")
    assert c.errors == []
    assert found is not None
    assert (found.name, found.paths, found.exclude, found.when, found.expire_in) == (
        "n",
        ("a",),
        ("b",),
        "always",
        "1 week",
    )
    assert found.reports is not None
    assert dict(found.reports.files) == {"junit": ("r.xml",), "dotenv": ("build.env",)}
    assert found.reports.coverage_report is not None
    assert found.reports.coverage_report.coverage_format == "jacoco"


def test_artifacts_with_invalid_reports_are_invalid() -> None:
    body = _load("artifacts:\n  reports:\n    junit: 1\n")
    c = Check()
    assert artifacts(c, body["artifacts"], body.value_mark("artifacts"), "jobs:a:artifacts") is None
    assert [(e.message, e.mark.line) for e in c.errors] == [
        ("jobs:a:artifacts:reports junit should be an array of strings or a string", 3)
    ]


def test_paths_with_expose_as_not_strings_is_reported_twice() -> None:
    """``paths`` is checked once alone and once with the ``expose_as`` format (artifacts.rb)."""
    body = _load("artifacts: {expose_as: x, paths: p}\n")
    c = Check()
    artifacts(c, body["artifacts"], body.value_mark("artifacts"), "artifacts")
    assert [e.message for e in c.errors] == ["artifacts paths should be an array of strings"] * 2


def test_coverage_value_and_non_strings() -> None:
    body = _load("coverage: '/(\\d+)%/'\n")
    assert coverage(Check(), body["coverage"], body.mark, "coverage") == "(\\d+)%"
    c = Check()
    assert coverage(c, 5, body.mark, "jobs:a:coverage") is None
    assert [e.message for e in c.errors] == [
        "jobs:a:coverage config must be a regular expression with re2 syntax"
    ]


def test_pages_value() -> None:
    body = _load("pages: {path_prefix: p, publish: dist}\n")
    found = pages(Check(), body["pages"], body.mark, "pages")
    assert found is not None
    assert (found.enabled, found.path_prefix, found.publish) == (True, "p", "dist")
    found = pages(Check(), False, body.mark, "pages")
    assert found is not None
    assert not found.enabled


def test_release_value_and_a_release_that_is_not_a_hash() -> None:
    body = _load(
        "release:\n  tag_name: v1\n  description: d\n  milestones: m1\n"
        "  assets: {links: [{name: a, url: 'https://x'}]}\n"
    )
    found = release(Check(), body["release"], body.mark, "release")
    assert found is not None
    assert (found.tag_name, found.milestones, len(found.links)) == ("v1", ("m1",), 1)
    c = Check()
    assert release(c, "v1", body.mark, "jobs:a:release") is None
    assert [e.message for e in c.errors] == ["jobs:a:release config should be a hash"]


def test_release_ref_that_is_not_a_string_is_refused() -> None:
    """GitLab raises on a non-string ``ref`` (Ruby 3 has no ``Integer#=~``): refused."""
    c = Check()
    release(c, {"tag_name": "v", "description": "d", "ref": 5}, _load("a: 1\n").mark, "release")
    assert [e.message for e in c.errors] == ["release ref must be a valid ref"]


def test_removed_cobertura_report_says_what_replaced_it() -> None:
    c = Check()
    reports(c, {"cobertura": "c.xml"}, _load("a: 1\n").mark, "jobs:a:artifacts:reports")
    (error,) = c.errors
    assert error.message == "jobs:a:artifacts:reports config contains unknown keys: cobertura"
    assert "coverage_report" in error.hint


def test_empty_links() -> None:
    c = Check()
    assert links(c, [], _load("a: 1\n").mark, "") is None
    assert [e.message for e in c.errors] == ["links config can't be blank"]
