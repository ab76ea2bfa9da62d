"""fetch_inventory: real python-gitlab over real HTTP against tests/gitlab_server.py."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gitlab_server import FakeGitLab, runner_detail, serve

from cigen.errors import CigenError
from cigen.gitlab_api import fetch_inventory
from cigen.runners.inventory import Runner

TOKEN = "glpat-Sup3rS3cretT0kenValue"


@pytest.fixture
def fake() -> FakeGitLab:
    return FakeGitLab(
        token=TOKEN,
        projects={7: "team/app", 8: "team/other"},
        runners=[
            runner_detail(3, name="harbor-builder", tags=["harbor", "docker"]),
            runner_detail(1, description="shared-small", run_untagged=True, tags=["docker"]),
            runner_detail(
                2, description="prod deployer", tags=["deploy"], access_level="ref_protected"
            ),
            runner_detail(4, tags=["gpu"], paused=True),
        ],
    )


@pytest.fixture
def url(fake: FakeGitLab) -> Iterator[str]:
    with serve(fake) as base:
        yield base


def fetch(base_url: str, /, **overrides: Any) -> tuple[Runner, ...]:
    args: dict[str, Any] = {
        "url": base_url,
        "token": TOKEN,
        "project": "team/app",
        "config_section": None,
        "timeout": 5,
    }
    args.update(overrides)
    return fetch_inventory(**args)


def by_name(runners: tuple[Runner, ...]) -> dict[str, Runner]:
    return {runner.name: runner for runner in runners}


def fetch_error(base_url: str, /, **overrides: Any) -> CigenError:
    with pytest.raises(CigenError) as info:
        fetch(base_url, **overrides)
    error = info.value
    assert error.__suppress_context__, "the python-gitlab error (and its URL/headers) is dropped"
    return error


def test_maps_details_to_runners(url: str) -> None:
    runners = fetch(url)
    assert [r.id for r in runners] == [1, 2, 3, 4]
    named = by_name(runners)
    assert set(named) == {"shared-small", "prod deployer", "harbor-builder", "runner-4"}
    harbor = named["harbor-builder"]
    assert harbor.tags == frozenset({"harbor", "docker"})
    assert harbor.tag_order == ("harbor", "docker")
    assert (harbor.run_untagged, harbor.protected, harbor.paused) == (False, False, False)
    assert named["shared-small"].run_untagged is True
    assert named["shared-small"].description == "shared-small"
    assert named["prod deployer"].protected is True
    assert named["runner-4"].paused is True
    assert named["runner-4"].description is None


def test_reads_summary_list_then_each_runner_detail(url: str, fake: FakeGitLab) -> None:
    fetch(url)
    paths = [request.path for request in fake.requests]
    assert paths[0] == "/api/v4/projects/team%2Fapp"
    assert paths[1] == "/api/v4/projects/7/runners"
    assert sorted(paths[2:]) == [f"/api/v4/runners/{i}" for i in (1, 2, 3, 4)]
    assert all(request.headers["private-token"] == TOKEN for request in fake.requests)


def test_follows_pagination_past_per_page(fake: FakeGitLab) -> None:
    fake.runners = [runner_detail(i, name=f"r{i:02}", tags=[f"t{i}"]) for i in range(1, 24)]
    fake.max_per_page = 5
    with serve(fake) as base:
        runners = fetch(base, project="7")
    assert [r.name for r in runners] == [f"r{i:02}" for i in range(1, 24)]
    pages = [r.query.get("page", "1") for r in fake.requests if r.path.endswith("/runners")]
    assert pages == ["1", "2", "3", "4", "5"]


def test_only_the_projects_runners(fake: FakeGitLab) -> None:
    fake.project_runner_ids = {7: [3], 8: [1, 2]}
    with serve(fake) as base:
        assert [r.name for r in fetch(base, project="team/other")] == [
            "shared-small",
            "prod deployer",
        ]
        assert [r.name for r in fetch(base, project="7")] == ["harbor-builder"]


def test_paused_falls_back_to_active_and_run_untagged_to_default(fake: FakeGitLab) -> None:
    old = runner_detail(5, name="old", tags=[])
    del old["paused"], old["run_untagged"]
    old["active"] = False
    fake.runners = [old]
    with serve(fake) as base:
        (runner,) = fetch(base)
    assert runner.paused is True
    assert runner.run_untagged is True  # no tags: the inventory default


def test_colliding_names_get_the_id(fake: FakeGitLab) -> None:
    fake.runners = [
        runner_detail(10, description="k8s"),
        runner_detail(11, description="k8s"),
        runner_detail(12, description="solo"),
        runner_detail(13, description="k8s-11"),
    ]
    with serve(fake) as base:
        names = [r.name for r in fetch(base)]
    assert names == ["k8s-10", "k8s-11", "solo", "k8s-11-13"]
    assert len(set(names)) == len(names)


def test_environment_fallbacks(url: str) -> None:
    env = {"GITLAB_URL": url, "GITLAB_TOKEN": TOKEN, "CI_PROJECT_ID": "7"}
    runners = fetch_inventory(env=env)
    assert len(runners) == 4
    ci_env = {"CI_SERVER_URL": url, "GITLAB_TOKEN": TOKEN, "CI_PROJECT_ID": "team/app"}
    assert fetch_inventory(url=None, token=None, project=None, config_section=None, env=ci_env)


def test_explicit_arguments_win_over_environment(url: str) -> None:
    env = {"GITLAB_URL": "http://127.0.0.1:9", "GITLAB_TOKEN": "wrong", "CI_PROJECT_ID": "999"}
    assert len(fetch(url, env=env)) == 4


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"project": None}, "no GitLab project given"),
        ({"url": None}, "no GitLab URL given"),
        ({"token": None}, "no GitLab token given"),
        ({"config_section": "main"}, "not both"),
    ],
)
def test_missing_settings(arguments: dict[str, Any], expected: str) -> None:
    with pytest.raises(CigenError, match=expected):
        fetch("http://127.0.0.1:9", **arguments)


def test_bad_token_is_401_and_not_shown(url: str) -> None:
    wrong = "glpat-WrongTokenButStillSecret"
    message = str(fetch_error(url, token=wrong))
    assert "401 Unauthorized" in message
    assert "token is valid" in message
    assert wrong not in message
    assert TOKEN not in message


def test_unknown_project_is_404(url: str) -> None:
    message = str(fetch_error(url, project="team/missing"))
    assert "project 'team/missing' was not found (404)" in message
    assert "full path" in message


def test_runner_detail_forbidden(url: str, fake: FakeGitLab) -> None:
    fake.forbidden_runner_ids = {3}
    message = str(fetch_error(url))
    assert "403 Forbidden" in message
    assert "reading runner #3" in message
    assert "Maintainer" in message


def test_timeout(fake: FakeGitLab) -> None:
    fake.delay = 3
    with serve(fake) as base:
        started = time.monotonic()
        message = str(fetch_error(base, timeout=0.2))
        assert time.monotonic() - started < 2
    assert "did not answer within 0.2 s" in message
    assert TOKEN not in message


def test_unreachable_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    message = str(fetch_error(f"http://127.0.0.1:{port}"))
    assert message.startswith(f"cannot connect to GitLab at http://127.0.0.1:{port}")
    assert "refused" in message.lower()


def test_url_without_scheme() -> None:
    message = str(fetch_error("gitlab.example.com"))
    assert "the GitLab URL 'gitlab.example.com' is not a usable GitLab URL" in message
    assert "must start with https://" in message


def test_not_a_gitlab_server(url: str, fake: FakeGitLab) -> None:
    fake.overrides["/api/v4/projects/team%2Fapp"] = (200, "text/html", b"<html>login</html>")
    message = str(fetch_error(url))
    assert "not JSON" in message


def test_server_error_message_is_scrubbed(url: str, fake: FakeGitLab) -> None:
    body = {
        "message": f"500 Internal Server Error (PRIVATE-TOKEN: {TOKEN}, other glpat-abcdef123456)"
    }
    fake.overrides["/api/v4/projects/7/runners"] = (
        500,
        "application/json",
        json.dumps(body).encode(),
    )
    message = str(fetch_error(url))
    assert "answered HTTP 500 while listing the runners of project 'team/app'" in message
    assert TOKEN not in message
    assert "glpat-abcdef123456" not in message
    assert "[MASKED]" in message


def test_url_credentials_are_not_shown() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    message = str(fetch_error(f"http://admin:hunter2secret@127.0.0.1:{port}"))
    assert "hunter2secret" not in message
    assert f"http://127.0.0.1:{port}" in message


def write_config(tmp_path: Path, url: str, token: str) -> Path:
    config = tmp_path / "python-gitlab.cfg"
    config.write_text(
        "[global]\ndefault = work\nssl_verify = true\ntimeout = 60\n\n"
        f"[work]\nurl = {url}\nprivate_token = {token}\napi_version = 4\n",
        encoding="utf-8",
    )
    return config


def test_config_section(url: str, tmp_path: Path, fake: FakeGitLab) -> None:
    config = write_config(tmp_path, url, TOKEN)
    runners = fetch_inventory(
        url=None,
        token=None,
        project="team/app",
        config_section="work",
        config_files=[str(config)],
    )
    assert [r.id for r in runners] == [1, 2, 3, 4]
    assert fake.requests[0].headers["private-token"] == TOKEN


def test_config_section_bad_token_not_shown(url: str, tmp_path: Path) -> None:
    secret = "glpat-FromTheConfigFile0001"
    config = write_config(tmp_path, url, secret)
    message = str(
        fetch_error(url, url=None, token=None, config_section="work", config_files=[str(config)])
    )
    assert "401 Unauthorized" in message
    assert secret not in message


def test_config_section_timeout_replaces_the_files(fake: FakeGitLab, tmp_path: Path) -> None:
    fake.delay = 3
    with serve(fake) as base:
        config = write_config(tmp_path, base, TOKEN)
        started = time.monotonic()
        message = str(
            fetch_error(
                base,
                url=None,
                token=None,
                config_section="work",
                config_files=[str(config)],
                timeout=0.2,
            )
        )
        assert time.monotonic() - started < 2
    assert "did not answer within 0.2 s" in message


@pytest.mark.parametrize("section", ["nope", "global"])
def test_unknown_config_section(url: str, tmp_path: Path, section: str) -> None:
    config = write_config(tmp_path, url, TOKEN)
    message = str(
        fetch_error(url, url=None, token=None, config_section=section, config_files=[str(config)])
    )
    assert f"python-gitlab config section {section!r} is unusable" in message
    assert str(config) in message
    assert TOKEN not in message


def test_missing_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.cfg"
    message = str(
        fetch_error(
            "http://127.0.0.1:9",
            url=None,
            token=None,
            config_section="work",
            config_files=[str(missing)],
        )
    )
    assert "is unusable" in message


def test_importing_does_not_import_python_gitlab() -> None:
    code = (
        "import sys, cigen.gitlab_api, cigen.runners.inventory, cigen.runners.match\n"
        "print(sorted(m for m in ('gitlab', 'requests', 'jsonschema', 'ruamel.yaml')"
        " if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
