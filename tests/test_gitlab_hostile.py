"""A GitLab server that is not to be trusted (issue 11, classes 3, 6 and 9).

Real python-gitlab over real HTTP against tests/gitlab_server.py, which plays the hostile
server: redirects and pagination links to another host (a second server records whether the
token ever reaches it), endless pages, huge and dripping answers, rate-limit answers asking to
wait for days, and runner data GitLab would never hold. The token and the URL's credentials
must not appear in any message, in any spelling.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gitlab_server import FakeGitLab, runner_detail, serve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cigen.errors import CigenError
from cigen.gitlab_api import MAX_PAGES, MAX_RESPONSE_BYTES, fetch_inventory
from cigen.runners.inventory import Runner

TOKEN = "glpat-Sup3rS3cretT0kenValue"


@pytest.fixture
def fake() -> FakeGitLab:
    return FakeGitLab(
        token=TOKEN,
        runners=[
            runner_detail(1, name="small", tags=["docker"]),
            runner_detail(2, name="gpu", tags=["gpu", "docker"]),
        ],
    )


@pytest.fixture
def url(fake: FakeGitLab) -> Iterator[str]:
    with serve(fake) as base:
        yield base


@pytest.fixture
def evil() -> Iterator[tuple[FakeGitLab, str]]:
    """Another server, which accepts any token: it must never see one."""
    other = FakeGitLab(token=TOKEN)
    with serve(other) as base:
        yield other, base


def fetch(base: str, /, **overrides: Any) -> tuple[Runner, ...]:
    arguments: dict[str, Any] = {"url": base, "token": TOKEN, "project": "7", "timeout": 5}
    arguments.update(overrides)
    return fetch_inventory(**arguments)


def failure(base: str, /, **overrides: Any) -> str:
    with pytest.raises(CigenError) as info:
        fetch(base, **overrides)
    message = str(info.value)
    assert TOKEN not in message and TOKEN[6:] not in message
    return message


def tokens_seen(server: FakeGitLab) -> list[str]:
    return [r.headers.get("private-token", "") for r in server.requests]


# --- the token goes to the configured host only ------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_to_another_host_is_refused(
    url: str, fake: FakeGitLab, evil: tuple[FakeGitLab, str], status: int
) -> None:
    other, other_url = evil
    fake.redirects["/api/v4/projects/7"] = (status, f"{other_url}/api/v4/projects/7")
    message = failure(url)
    assert "was sent elsewhere" in message and "cigen sends the token only to" in message
    assert other.requests == []


def test_redirect_to_the_same_server_by_another_name_is_refused(url: str, fake: FakeGitLab) -> None:
    """``localhost`` reaches the same server, but it is not the host the token was given for."""
    port = url.rsplit(":", 1)[1]
    fake.redirects["/api/v4/projects/7"] = (302, f"http://localhost:{port}/api/v4/projects/7")
    assert "was sent elsewhere (http://localhost:" in failure(url)
    assert len(fake.requests) == 1


def test_redirect_on_the_same_host_is_followed(url: str, fake: FakeGitLab) -> None:
    fake.redirects["/api/v4/projects/old"] = (301, f"{url}/api/v4/projects/7")
    assert [r.name for r in fetch(url, project="old")] == ["small", "gpu"]
    assert tokens_seen(fake) == [TOKEN] * len(fake.requests)


def test_redirect_loop_ends(url: str, fake: FakeGitLab) -> None:
    fake.redirects["/api/v4/projects/7"] = (302, f"{url}/api/v4/projects/7")
    assert "redirected more than 5 times" in failure(url)


def test_next_links_to_another_host_are_never_followed(
    fake: FakeGitLab, evil: tuple[FakeGitLab, str]
) -> None:
    """Pages are asked for by number; the ``Link`` header (python-gitlab's way) is ignored."""
    other, other_url = evil
    fake.runners = [runner_detail(i, name=f"r{i}") for i in range(1, 8)]
    fake.max_per_page = 3
    fake.next_base = other_url
    with serve(fake) as base:
        assert [r.id for r in fetch(base)] == list(range(1, 8))
    assert other.requests == []
    pages = [r.query["page"] for r in fake.requests if r.path.endswith("/runners")]
    assert pages == ["1", "2", "3"]


# --- bounded: pages, size, time ----------------------------------------------------------------


def test_endless_pages_stop_at_the_page_limit(url: str, fake: FakeGitLab) -> None:
    fake.endless = True
    assert f"answers more than {MAX_PAGES} pages while listing the runners" in failure(url)
    assert sum(r.path.endswith("/runners") for r in fake.requests) == MAX_PAGES


def test_a_huge_answer_is_refused(url: str, fake: FakeGitLab) -> None:
    fake.overrides["/api/v4/runners/2"] = (
        200,
        "application/json",
        b"[" + b"1," * (MAX_RESPONSE_BYTES // 2) + b"1]",
    )
    message = failure(url)
    assert "sent a response of" in message and "reading runner #2" in message


def test_a_dripping_answer_meets_the_deadline(url: str, fake: FakeGitLab) -> None:
    fake.drip = 0.5  # each byte half a second apart; every read is within the timeout
    message = failure(url, deadline=1.5)
    assert "did not finish answering within 1.5 s" in message


def test_rate_limit_is_not_waited_for(url: str, fake: FakeGitLab) -> None:
    path = "/api/v4/projects/7/runners"
    fake.overrides[path] = (429, "application/json", b'{"message": "429 Too Many Requests"}')
    fake.override_headers[path] = {"Retry-After": "864000"}
    message = failure(url, deadline=30)
    assert "answered 429 Too Many Requests" in message
    assert sum(r.path == path for r in fake.requests) == 1


def test_server_errors_are_not_retried(url: str, fake: FakeGitLab, tmp_path: Path) -> None:
    """Even when the python-gitlab config asks for retries."""
    path = "/api/v4/projects/7"
    fake.overrides[path] = (502, "text/plain", b"bad gateway")
    config = tmp_path / "gl.cfg"
    config.write_text(
        f"[work]\nurl = {url}\nprivate_token = {TOKEN}\nretry_transient_errors = true\n",
        encoding="utf-8",
    )
    message = failure(url, url=None, token=None, config_section="work", config_files=[str(config)])
    assert "answered HTTP 502" in message
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/api/v4/projects/7", b"[1, 2]", "a project without a numeric id"),
        ("/api/v4/projects/7", b'{"id": "7"}', "a project without a numeric id"),
        ("/api/v4/projects/7/runners", b'{"id": 1}', "a list that is not a list of runners"),
        ("/api/v4/projects/7/runners", b"[1, 2]", "a list that is not a list of runners"),
        ("/api/v4/runners/1", b"[]", "a runner detail that is not runner #1"),
        ("/api/v4/runners/1", b'{"id": 2}', "a runner detail that is not runner #1"),
        ("/api/v4/runners/1", b"[" * 100_000 + b"]" * 100_000, "cannot use"),
        ("/api/v4/runners/1", b"\xff\xfe garbage", "not JSON"),
    ],
)
def test_answers_that_are_not_gitlab_are_exit_2(
    url: str, fake: FakeGitLab, path: str, body: bytes, expected: str
) -> None:
    fake.overrides[path] = (200, "application/json", body)
    assert expected in failure(url)


# --- the token and URL credentials ---------------------------------------------------------------


def test_token_whitespace_is_stripped(url: str, fake: FakeGitLab) -> None:
    assert len(fetch(url, token=f"  {TOKEN}\r\n")) == 2
    assert tokens_seen(fake) == [TOKEN] * len(fake.requests)


@pytest.mark.parametrize("token", [f"{TOKEN}\nX-Evil: 1", f"glpat-abc\x00{TOKEN}", f"{TOKEN} x"])
def test_token_with_inner_control_characters_is_refused(url: str, token: str) -> None:
    message = failure(url, token=token)
    assert "whitespace, control or non-ASCII characters" in message
    assert "X-Evil" not in message


def test_environment_token_is_stripped(url: str) -> None:
    env = {"GITLAB_URL": f" {url} ", "GITLAB_TOKEN": f"{TOKEN}\n", "CI_PROJECT_ID": "7\n"}
    assert len(fetch_inventory(env=env)) == 2


PASSWORD = "pa55-w0rd-Value"


@pytest.mark.parametrize(
    "written",
    [
        "http://deploy:{pw}@127.0.0.1:{port}",
        "http://deploy:{pw}/with/slashes@127.0.0.1:{port}",
        "http://deploy:{pw}%2Fenc@127.0.0.1:{port}",
        "http://deploy:{pw}@@127.0.0.1:{port}",
        "//deploy:{pw}@127.0.0.1:{port}",
        "deploy:{pw}@127.0.0.1:{port}",
        "http://deploy:{pw}@127.0.0.1:99999",
        "http://deploy:{pw}@127.0.0.1:port",
        "ftp://deploy:{pw}@127.0.0.1:{port}",
        "http://deploy:{pw}@127.0.0.1:{port}/ with space",
    ],
)
def test_url_passwords_never_show(url: str, written: str) -> None:
    port = url.rsplit(":", 1)[1]
    given_url = written.format(pw=PASSWORD, port=port)
    with pytest.raises(CigenError) as info:
        fetch(given_url, token="wrong-token-0123")
    message = str(info.value)
    assert PASSWORD not in message and PASSWORD.lower() not in message.lower()
    assert "wrong-token-0123" not in message


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("http://127.0.0.1:99999", "port is not a number"),
        ("http://127.0.0.1:0", "port is not a number"),
        ("http://127.0.0.1:http", "port is not a number"),
        ("gitlab.example.com", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("http://", "names no host"),
        ("http://gitlab.example.com/\nX-Injected: 1", "whitespace or control characters"),
    ],
)
def test_unusable_urls_are_exit_2(written: str, problem: str) -> None:
    message = failure(written)
    assert "is not a usable GitLab URL" in message and problem in message


def test_config_file_with_a_bad_timeout(url: str, tmp_path: Path) -> None:
    config = tmp_path / "gl.cfg"
    config.write_text(
        f"[work]\nurl = {url}\nprivate_token = {TOKEN}\ntimeout = soon\n", encoding="utf-8"
    )
    message = failure(url, url=None, token=None, config_section="work", config_files=[str(config)])
    assert "python-gitlab config section 'work' is unusable" in message


def test_config_file_password_never_shows(url: str, tmp_path: Path) -> None:
    config = tmp_path / "gl.cfg"
    config.write_text(
        f"[work]\nurl = http://bot:{PASSWORD}@127.0.0.1:1\nprivate_token = {TOKEN}\n",
        encoding="utf-8",
    )
    message = failure(url, url=None, token=None, config_section="work", config_files=[str(config)])
    assert PASSWORD not in message


# --- runner data GitLab would not hold (class 9) ------------------------------------------------


@pytest.mark.parametrize(
    ("tag_list", "tags"),
    [
        (["docker", "gpu"], ("docker", "gpu")),
        ("docker, gpu,,  ", ("docker", "gpu")),
        (["a,b", " c ", "", "a"], ("a", "b", "c")),
        ([7, 1.5], ("7", "1.5")),
        ([], ()),
        (None, ()),
        ("", ()),
    ],
)
def test_tag_list_as_list_or_string(
    url: str, fake: FakeGitLab, tag_list: object, tags: tuple[str, ...]
) -> None:
    detail = runner_detail(1, name="r")
    detail["tag_list"] = tag_list
    fake.runners = [detail]
    (runner,) = fetch(url)
    assert runner.tag_order == tags
    assert runner.run_untagged is False  # the API's run_untagged, not the inventory default


@pytest.mark.parametrize(
    ("tag_list", "expected"),
    [
        ([{"name": "x"}], "a tag is a dict"),
        ([True], "a tag is a bool"),
        ({"a": 1}, "tag_list is a dict"),
        (["x" * 1025], "1,025 characters"),
        ([f"t{i}" for i in range(51)], "51 tags"),
    ],
)
def test_absurd_tags_are_exit_2(
    url: str, fake: FakeGitLab, tag_list: object, expected: str
) -> None:
    detail = runner_detail(1, name="r")
    detail["tag_list"] = tag_list
    fake.runners = [detail]
    assert expected in failure(url)


def test_odd_ids_and_names(url: str, fake: FakeGitLab) -> None:
    """Summaries without a usable id are skipped; names fall back and stay unique."""
    nameless = runner_detail(3, name=None, description="   ")
    fake.runners = [runner_detail(1, name="same"), runner_detail(2, name="same"), nameless]
    fake.overrides["/api/v4/projects/7/runners"] = (
        200,
        "application/json",
        json.dumps([{"id": 1}, {"id": 2}, {"id": 3}, {"id": True}, {"id": -4}, {}]).encode(),
    )
    assert [r.name for r in fetch(url)] == ["same-1", "same-2", "runner-3"]


_details = st.fixed_dictionaries(
    {
        "id": st.integers(1, 10**6),
        "name": st.one_of(st.none(), st.text(max_size=30)),
        "description": st.one_of(st.none(), st.text(max_size=30)),
        "tag_list": st.one_of(
            st.none(),
            st.text(max_size=60),
            st.lists(st.one_of(st.text(max_size=20), st.integers()), max_size=60),
        ),
        "run_untagged": st.one_of(st.none(), st.booleans()),
        "paused": st.one_of(st.none(), st.booleans()),
        "active": st.one_of(st.none(), st.booleans()),
        "access_level": st.sampled_from(["ref_protected", "not_protected", None, 3]),
    }
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300, deadline=None)
@given(st.lists(_details, max_size=6, unique_by=lambda d: d["id"]))
def test_export_is_always_an_inventory_the_schema_accepts(details: list[dict[str, Any]]) -> None:
    """Whatever GitLab answers, ``runners export`` writes a valid inventory or refuses (exit 2):
    API data -> runners -> the exported file -> read back, unchanged."""
    from cigen.gitlab_api import _unique_names, api_tags, runner_from_api
    from cigen.runners.inventory import check_inventory, dump_inventory
    from cigen.yaml.dump import dump
    from cigen.yaml.load import load_text, to_plain

    try:
        for detail in details:
            api_tags(detail["tag_list"])
    except ValueError:
        return  # refused before export, as fetch_inventory does
    names = _unique_names(details)
    runners = tuple(runner_from_api(d, n) for d, n in zip(details, names, strict=True))
    data = dump_inventory(runners)
    try:
        check_inventory(data)
    except CigenError as exc:
        # the one thing GitLab's own validation rules out and the API can still claim
        assert "a runner without tags must take untagged jobs" in str(exc)
        assert any(not r.tags and not r.run_untagged for r in runners)
        return
    text = dump(data, "exported")
    loaded = load_text("runners.yml", text.encode("utf-8"))
    assert loaded.ok and to_plain(loaded.body) == data


def test_export_refuses_a_runner_its_schema_rejects(
    url: str,
    fake: FakeGitLab,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GitLab refuses a runner with neither tags nor run_untagged; a server may still send one:
    ``runners export`` exits 2 instead of writing an inventory that cannot be read back."""
    from cigen.cli.main import main

    detail = runner_detail(1, name="odd", run_untagged=False)
    detail["tag_list"] = [" ", ""]
    fake.runners = [detail, runner_detail(2, name="fine", tags=["docker"])]
    monkeypatch.setenv("GITLAB_URL", url)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    monkeypatch.setenv("CI_PROJECT_ID", "7")
    assert main(["runners", "export", "--runners", "gitlab"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "runners[0].run_untagged" in captured.err
    fake.runners = [runner_detail(2, name="fine", tags=["docker"])]
    assert main(["runners", "export", "--runners", "gitlab"]) == 0
    assert "name: fine" in capsys.readouterr().out
