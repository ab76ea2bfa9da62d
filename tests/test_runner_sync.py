"""``cigen runners apply`` and ``cigen runners diff`` against the test GitLab server, with
python-gitlab talking HTTP to it (``lib/api/user_runners.rb`` POST /user/runners,
``lib/api/ci/runners.rb`` PUT /runners/:id and the listings)."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitlab_server import FakeGitLab, runner_detail, serve

from cigen.cli.main import main
from cigen.runners.inventory import Scope, make_runner
from cigen.runners.sync import Action, Change, LiveRunner, diff_line, plan

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "runners.yml"
TOKEN = "glpat-SyncS3cretT0kenValue42"


@pytest.fixture
def fake() -> FakeGitLab:
    return FakeGitLab(token=TOKEN, projects={7: "team/trainer"}, groups={3: "team"})


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    return Path(shutil.copy(EXAMPLE, tmp_path / "runners.yml"))


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    """``cigen runners ARGS`` against the test GitLab: (exit code, stdout, stderr), with no
    token and no traceback in the output."""

    def run(*args: str) -> tuple[int, str, str]:
        with serve(fake) as url:
            monkeypatch.setenv("GITLAB_URL", url)
            monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
            code = main(["runners", *args])
        captured = capsys.readouterr()
        assert TOKEN not in captured.out + captured.err
        assert "Traceback" not in captured.err
        return code, captured.out, captured.err

    return run


def writes(fake: FakeGitLab) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in fake.requests if r.method in ("POST", "PUT", "DELETE")]


def by_description(fake: FakeGitLab) -> dict[str, dict[str, Any]]:
    return {r["description"]: r for r in fake.runners}


# --- apply: create, then nothing to do ----------------------------------------------------------


def test_apply_creates_the_runners_writes_tokens_and_is_idempotent(
    fake: FakeGitLab,
    inventory: Path,
    tmp_path: Path,
    cli: Cli,
) -> None:
    out = tmp_path / "k8s"
    assert cli("render", str(inventory), "-o", str(out))[0] == 0
    code, stdout, _ = cli("apply", str(inventory), "-o", str(out), "--yes")
    assert code == 0, stdout
    assert "create  harbor-runner (group team): tag_list [harbor], run_untagged false" in stdout
    assert "create  ml-runner (project team/trainer): tag_list [gpu, ml]" in stdout
    assert writes(fake) == [("POST", "/api/v4/user/runners"), ("POST", "/api/v4/user/runners")]
    runners = by_description(fake)
    ml, harbor = runners["ml-runner"], runners["harbor-runner"]
    assert (ml["runner_type"], ml["projects"], ml["tag_list"]) == (
        "project_type",
        [{"id": 7}],
        ["gpu", "ml"],
    )
    assert (ml["run_untagged"], ml["locked"], ml["access_level"], ml["maximum_timeout"]) == (
        False,
        True,
        "not_protected",
        14400,
    )
    assert ml["paused"] is False
    assert (harbor["runner_type"], harbor["groups"], harbor["maximum_timeout"]) == (
        "group_type",
        [{"id": 3}],
        3600,
    )
    assert fake.bodies[0]["tag_list"] == ["harbor"]  # a JSON array, not a comma string
    # each token went into its Secret file, once, and nowhere else
    for name, runner in (("ml-runner", ml), ("harbor-runner", harbor)):
        token = fake.tokens[runner["id"]]
        secret = out / name / "secrets" / f"{name}-token.yaml"
        document = yaml.safe_load(secret.read_text())
        assert document["stringData"] == {"runner-registration-token": "", "runner-token": token}
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert token not in stdout
        assert f"token written to {secret.as_posix()} (mode 0600)" in stdout
    # a second run changes nothing
    before = len(fake.requests)
    code, stdout, _ = cli("apply", str(inventory), "-o", str(out), "--yes")
    assert code == 0
    assert "nothing to change" in stdout
    assert f"ok  ml-runner #{ml['id']} (project team/trainer)" in stdout
    assert [r for r in fake.requests[before:] if r.method != "GET"] == []
    assert cli("diff", str(inventory))[0] == 0
    # rendering again keeps the stored token
    assert cli("render", str(inventory), "-o", str(out))[0] == 0
    secret = out / "ml-runner" / "secrets" / "ml-runner-token.yaml"
    assert yaml.safe_load(secret.read_text())["stringData"]["runner-token"] == fake.tokens[ml["id"]]


def test_dry_run_and_no_terminal_change_nothing(
    fake: FakeGitLab,
    inventory: Path,
    tmp_path: Path,
    cli: Cli,
) -> None:
    out = str(tmp_path / "k8s")
    code, stdout, _ = cli("apply", str(inventory), "-o", out, "--dry-run")
    assert code == 0
    assert "create  ml-runner" in stdout and "dry run: nothing changed" in stdout
    code, stdout, err = cli("apply", str(inventory), "-o", out)
    assert code == 2
    assert "create  ml-runner" in stdout  # the plan is printed first
    assert "not changing GitLab without confirmation" in err
    assert writes(fake) == [] and fake.runners == []


def test_confirmation_on_a_terminal(
    fake: FakeGitLab,
    inventory: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> None:
    import cigen.cli.runners as cli_runners

    class Terminal:
        @staticmethod
        def isatty() -> bool:
            return True

    monkeypatch.setattr(cli_runners.sys, "stdin", Terminal)
    answers = iter([False, True])
    monkeypatch.setattr(cli_runners.click, "confirm", lambda *a, **k: next(answers))
    out = str(tmp_path / "k8s")
    code, stdout, _ = cli("apply", str(inventory), "-o", out)
    assert (code, writes(fake)) == (1, [])
    assert "nothing changed" in stdout
    code, stdout, _ = cli("apply", str(inventory), "-o", out)
    assert code == 0 and len(fake.runners) == 2


def test_a_token_with_nowhere_to_go_stops_apply_before_any_change(
    fake: FakeGitLab,
    inventory: Path,
    cli: Cli,
) -> None:
    code, _, err = cli("apply", str(inventory), "--yes")
    assert code == 2
    assert "GitLab shows a new runner's token only once" in err
    assert "harbor-runner, ml-runner" in err
    assert writes(fake) == []


def test_show_token_prints_each_new_token_once(
    fake: FakeGitLab,
    tmp_path: Path,
    cli: Cli,
) -> None:
    inventory = tmp_path / "runners.yml"
    inventory.write_text(
        "runners:\n  - {name: shell-box, tags: [shell], scope: instance, paused: true}\n"
    )
    code, stdout, _ = cli("apply", str(inventory), "--show-token", "--yes")
    assert code == 0
    (created,) = fake.runners
    assert created["runner_type"] == "instance_type" and created["paused"] is True
    assert stdout.count(fake.tokens[created["id"]]) == 1
    assert any(r.path == "/api/v4/runners/all" for r in fake.requests)  # instance listing


# --- drift --------------------------------------------------------------------------------------


def existing(fake: FakeGitLab, **changes: Any) -> None:
    """GitLab already has both example runners, as the inventory says (then ``changes``)."""
    ml = runner_detail(
        11,
        description="ml-runner",
        tags=["ml", "gpu"],
        locked=True,
        maximum_timeout=14400,
        projects=[7],
    )
    harbor = runner_detail(
        12,
        description="harbor-runner",
        tags=["harbor"],
        runner_type="group_type",
        maximum_timeout=3600,
        groups=[3],
    )
    ml.update(changes)
    fake.runners += [ml, harbor]


def test_diff_in_step(
    fake: FakeGitLab,
    inventory: Path,
    cli: Cli,
) -> None:
    existing(fake)
    code, stdout, err = cli("diff", str(inventory))
    assert (code, stdout) == (0, "")
    assert "in step: 2 runner(s) match GitLab" in err


def test_diff_finds_drift_and_apply_updates_only_what_differs(
    fake: FakeGitLab,
    inventory: Path,
    tmp_path: Path,
    cli: Cli,
) -> None:
    existing(fake, tag_list=["gpu"], locked=False, paused=True, active=False)
    fake.runners.append(runner_detail(13, description="old-gpu-box", tags=["gpu"], projects=[7]))
    fake.runners.append(  # an instance runner the project sees: not a managed scope's type
        runner_detail(14, description="shared", run_untagged=True, runner_type="instance_type")
    )
    code, stdout, err = cli("diff", str(inventory))
    assert code == 1
    assert stdout.splitlines() == [
        "differs  ml-runner #11 (project team/trainer): tag_list [gpu] in GitLab, [gpu, ml] in "
        "the inventory; locked false in GitLab, true in the inventory; paused true in GitLab, "
        "false in the inventory",
        "unexpected  #13 'old-gpu-box' (project team/trainer): in GitLab, not in the inventory "
        "(left alone)",
    ]
    assert "2 difference(s); 1 runner(s) in step" in err
    code, stdout, _ = cli("apply", str(inventory), "--yes")
    assert code == 0, stdout
    assert "update  ml-runner #11 (project team/trainer): tag_list [gpu] -> [gpu, ml]" in stdout
    assert writes(fake) == [("PUT", "/api/v4/runners/11")]
    assert fake.bodies == [{"tag_list": ["gpu", "ml"], "locked": True, "paused": False}]
    ml = by_description(fake)["ml-runner"]
    assert (ml["tag_list"], ml["locked"], ml["paused"], ml["active"]) == (
        ["gpu", "ml"],
        True,
        False,
        True,
    )
    assert "old-gpu-box" in by_description(fake)  # never deleted
    code, stdout, _ = cli("diff", str(inventory))
    assert code == 1 and stdout.startswith("unexpected  #13")


def test_missing_runner_is_drift(
    fake: FakeGitLab,
    inventory: Path,
    cli: Cli,
) -> None:
    existing(fake)
    fake.runners = [r for r in fake.runners if r["description"] != "harbor-runner"]
    code, stdout, _ = cli("diff", str(inventory))
    assert code == 1
    assert stdout == (
        "missing  harbor-runner (group team): GitLab has no runner with the description "
        "'harbor-runner'\n"
    )


def test_apply_notes_runners_whose_token_file_is_empty(
    fake: FakeGitLab,
    inventory: Path,
    tmp_path: Path,
    cli: Cli,
) -> None:
    existing(fake)
    out = tmp_path / "k8s"
    assert cli("render", str(inventory), "-o", str(out))[0] == 0
    secret = out / "ml-runner" / "secrets" / "ml-runner-token.yaml"
    secret.write_text(secret.read_text().replace("runner-token: ''", "runner-token: glrt-x"))
    code, stdout, _ = cli("apply", str(inventory), "-o", str(out))
    assert code == 0 and "nothing to change" in stdout
    notes = [line for line in stdout.splitlines() if line.startswith("note:")]
    assert notes == [
        f"note: harbor-runner #12 exists in GitLab but {out.as_posix()}/harbor-runner/secrets/"
        "harbor-runner-token.yaml has no runner-token; GitLab shows a token only once, so reset "
        "it (POST /runners/12/reset_authentication_token) and put the new one there"
    ]


def test_two_runners_with_one_description_are_left_alone(
    fake: FakeGitLab,
    inventory: Path,
    tmp_path: Path,
    cli: Cli,
) -> None:
    existing(fake, tag_list=["gpu"])
    fake.runners.append(runner_detail(15, description="ml-runner", tags=["x"], projects=[7]))
    code, stdout, _ = cli("apply", str(inventory), "--yes")
    assert code == 1
    assert "ambiguous  ml-runner (project team/trainer): runners #11, #15 all have" in stdout
    assert writes(fake) == []


# --- errors --------------------------------------------------------------------------------------


def test_refused_creation_is_a_clear_error_without_secrets(
    fake: FakeGitLab,
    inventory: Path,
    tmp_path: Path,
    cli: Cli,
) -> None:
    fake.overrides["/api/v4/user/runners"] = (403, "application/json", b'{"message": "403"}')
    out = str(tmp_path / "k8s")
    code, _, err = cli("apply", str(inventory), "-o", out, "--yes")
    assert code == 2
    assert "refused access (403 Forbidden) while creating runner 'harbor-runner'" in err
    assert "Owner of the group" in err


def test_unknown_owner_and_validation_errors(
    fake: FakeGitLab,
    tmp_path: Path,
    cli: Cli,
) -> None:
    inventory = tmp_path / "runners.yml"
    inventory.write_text("runners:\n  - {name: a, tags: [x], scope: {project: team/none}}\n")
    code, _, err = cli("diff", str(inventory))
    assert code == 2 and "project team/none was not found (404)" in err
    inventory.write_text("runners:\n  - {name: a, tags: [x], scope: {group: 99}}\n")
    code, _, err = cli("diff", str(inventory))
    assert code == 2 and "group 99 was not found (404)" in err
    # GitLab's own validation answer is passed on
    inventory.write_text("runners:\n  - {name: a, tags: [x], scope: {project: 7}}\n")
    answer = b'{"message": {"tags_list": ["Too many tags specified. Maximum is 50."]}}'
    fake.overrides["/api/v4/user/runners"] = (400, "application/json", answer)
    code, _, err = cli("apply", str(inventory), "--show-token", "--yes")
    assert code == 2
    assert "answered HTTP 400 while creating runner 'a' (project 7): " in err
    assert "Too many tags specified" in err


def test_apply_and_diff_need_managed_runners_and_a_token(
    fake: FakeGitLab,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cli: Cli,
) -> None:
    inventory = tmp_path / "runners.yml"
    inventory.write_text("runners:\n  - {name: a, tags: [x]}\n")
    code, _, err = cli("diff", str(inventory))
    assert code == 2 and "no runner has a scope" in err
    inventory.write_text("runners:\n  - {name: a, tags: [x], scope: instance}\n")
    monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    assert main(["runners", "diff", str(inventory)]) == 2
    assert "set GITLAB_TOKEN to a token with the api scope" in capsys.readouterr().err


# --- the planner, directly -----------------------------------------------------------------


def live(runner_id: int, description: str, **fields: Any) -> LiveRunner:
    base: dict[str, Any] = {
        "id": runner_id,
        "description": description,
        "runner_type": "project_type",
        "tag_list": ("a",),
        "run_untagged": False,
        "locked": False,
        "access_level": "not_protected",
        "maximum_timeout": None,
        "paused": False,
    }
    return LiveRunner(**{**base, **fields})


def test_plan_compares_tags_as_sets_and_leaves_an_unset_timeout_alone() -> None:
    scope = Scope("project", "g/p")
    runner = make_runner("r", ["a"], scope=scope)
    same = plan([runner], {scope: [live(1, "r", tag_list=("a", "a"), maximum_timeout=3600)]})
    assert [a.kind for a in same] == ["ok"]
    timed = make_runner("r", ["a"], scope=scope, maximum_timeout=600, protected=True)
    (action,) = plan([timed], {scope: [live(1, "r", maximum_timeout=3600)]})
    assert action.changes == (
        Change("access_level", "not_protected", "ref_protected"),
        Change("maximum_timeout", 3600, 600),
    )
    assert str(action) == (
        "update  r #1 (project g/p): access_level not_protected -> ref_protected; "
        "maximum_timeout 3600 -> 600"
    )
    assert diff_line(action).startswith("differs  r #1 (project g/p): access_level")


def test_plan_ignores_runners_without_scope_and_other_types() -> None:
    scope = Scope("group", 3)
    runners = [make_runner("free", ["a"]), make_runner("g", ["a"], scope=scope)]
    actions = plan(runners, {scope: [live(2, "g", runner_type="group_type")]})
    assert actions == (Action("ok", scope, runners[1], (live(2, "g", runner_type="group_type"),)),)
    other_type = plan(runners, {scope: [live(2, "g", runner_type="project_type")]})
    assert [a.kind for a in other_type] == ["create"]
    assert str(other_type[0]).startswith("create  g (group 3): tag_list [a], run_untagged false")
