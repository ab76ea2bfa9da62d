"""Runner inventory loading/dumping and GitLab's can-take predicate."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from cigen.errors import CigenError
from cigen.runners.inventory import (
    Runner,
    assumes_protected_ref,
    can_take,
    dump_inventory,
    load_inventory,
    make_runner,
    runners_schema,
)

INVENTORY = """\
runners:
  - name: harbor-builder
    tags: [harbor, docker]
    namespace: team-ci
    node_selector: {gpu: "true", zone: a}
  - name: shared
  - name: gpu-1
    tags: [gpu]
    run_untagged: true
    paused: true
    protected: true
    id: 42
    description: "GPU box"
"""


def write(tmp_path: Path, text: str, name: str = "runners.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(CigenError) as info:
        load_inventory(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    return message[len(str(path)) :]


def test_schema_is_valid() -> None:
    schema = runners_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_load_applies_defaults(tmp_path: Path) -> None:
    harbor, shared, gpu = load_inventory(write(tmp_path, INVENTORY))
    assert harbor == Runner(
        name="harbor-builder",
        tags=frozenset({"harbor", "docker"}),
        run_untagged=False,
        namespace="team-ci",
        node_selector=(("gpu", "true"), ("zone", "a")),
    )
    assert harbor.tag_order == ("harbor", "docker")
    assert (harbor.paused, harbor.protected, harbor.id, harbor.description) == (
        False,
        False,
        None,
        None,
    )
    assert shared.tags == frozenset()
    assert shared.run_untagged is True  # no tags: takes untagged jobs by default
    assert (gpu.run_untagged, gpu.paused, gpu.protected) == (True, True, True)
    assert (gpu.id, gpu.description) == (42, "GPU box")


def test_empty_runner_list(tmp_path: Path) -> None:
    assert load_inventory(write(tmp_path, "runners: []\n")) == ()


def test_dump_then_load_round_trips(tmp_path: Path) -> None:
    runners = load_inventory(write(tmp_path, INVENTORY))
    data = dump_inventory(runners)
    assert data["runners"][0] == {
        "name": "harbor-builder",
        "tags": ["harbor", "docker"],
        "run_untagged": False,
        "paused": False,
        "protected": False,
        "namespace": "team-ci",
        "node_selector": {"gpu": "true", "zone": "a"},
    }
    assert data["runners"][2]["id"] == 42
    # JSON is YAML: the dumped data reads back as the same runners, tag order included.
    again = load_inventory(write(tmp_path, json.dumps(data), "again.yaml"))
    assert again == runners
    assert [r.tag_order for r in again] == [r.tag_order for r in runners]
    jsonschema.validate(data, runners_schema())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "runners:\n  - name: a\n    tagz: [x]\n",
            ":3: runners[0].tagz: unknown key 'tagz' (allowed: name, tags,",
        ),
        ("runners:\n  - tags: [x]\n", ":2: runners[0]: missing required key 'name'"),
        (
            "runners:\n  - name: a\n  - name: b\n    tags: docker\n",
            ":4: runners[1].tags: expected a list, got string 'docker'",
        ),
        (
            "runners:\n  - name: a\n    node_selector:\n      gpu: true\n",
            ":4: runners[0].node_selector.gpu: expected a string, got boolean True (quote it",
        ),
        (
            "runners:\n  - name: a\n    run_untagged: false\n",
            ":3: runners[0].run_untagged: a runner without tags must take untagged jobs",
        ),
        (
            "runners:\n  - name: a\n    tags: []\n    run_untagged: false\n",
            ":4: runners[0].run_untagged: a runner without tags must take untagged jobs",
        ),
        ("runners:\n  - name: a\n    tags: [x, x]\n", ":3: runners[0].tags: tags must be unique"),
        ("runners:\n  - name: a\n    tags: ['a,b']\n", "contains a comma"),
        ("runners:\n  - name: ''\n", ":2: runners[0].name: must not be empty"),
        ("runners:\n  - name: a\n    paused: 'no'\n", "expected true or false"),
        ("runners:\n  - name: a\n    id: 0\n", ":3: runners[0].id: 0 is less than"),
        ("runner: []\n", ":1: runner: unknown key 'runner' (allowed: runners)"),
        ("runners: {}\n", ":1: runners: expected a list"),
        ("runners:\n", ":1: runners: expected a list, got null"),
    ],
)
def test_schema_errors(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in load_error(tmp_path, text)


def test_schema_errors_report_the_first_and_count_the_rest(tmp_path: Path) -> None:
    text = "runners:\n  - name: a\n  - name: b\n    paused: 1\n  - name: c\n    foo: 2\n"
    message = load_error(tmp_path, text)
    assert message.startswith(":4: runners[1].paused: expected true or false, got integer 1")
    assert message.endswith("(and 1 more problem(s))")


def test_too_many_tags(tmp_path: Path) -> None:
    tags = ", ".join(f"t{i}" for i in range(51))
    message = load_error(tmp_path, f"runners:\n  - name: a\n    tags: [{tags}]\n")
    assert "at most 50 tags per runner" in message


def test_duplicate_names(tmp_path: Path) -> None:
    text = "runners:\n  - name: a\n  - name: b\n  - name: a\n"
    message = load_error(tmp_path, text)
    assert message == (
        ":4: runners[2].name: duplicate runner name 'a' (also runners[0]); "
        "runner names must be unique"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ": a runner inventory is a mapping with a 'runners' list, got an empty file"),
        ("- a\n", ": a runner inventory is a mapping with a 'runners' list, got a list"),
        ("runners: [a\n", ":2:1: YAML syntax error in runner inventory:"),
        ("runners: []\nrunners: []\n", ":2:1: YAML syntax error in runner inventory:"),
        ("runners:\n\t- name: a\n", ":2:1: YAML syntax error in runner inventory:"),
    ],
)
def test_not_an_inventory(tmp_path: Path, text: str, expected: str) -> None:
    assert load_error(tmp_path, text).startswith(expected)


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(CigenError, match=r"absent\.yaml: cannot read runner inventory: No such"):
        load_inventory(missing)
    with pytest.raises(CigenError, match="cannot read runner inventory: Is a directory"):
        load_inventory(tmp_path)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"runners: [\xff\xfe]\n")
    with pytest.raises(CigenError, match="cannot read runner inventory: not UTF-8 text"):
        load_inventory(binary)


def test_make_runner_defaults_and_dedupes() -> None:
    runner = make_runner("a", ["x", "y", "x"])
    assert runner.tag_order == ("x", "y")
    assert runner.tags == frozenset({"x", "y"})
    assert runner.run_untagged is False
    assert make_runner("b").run_untagged is True
    assert make_runner("c", ["x"], run_untagged=True).run_untagged is True


def test_runner_without_tag_order_sorts_tags_for_display() -> None:
    runner = Runner(name="a", tags=frozenset({"z", "a"}), run_untagged=False)
    assert runner.tag_order == ("a", "z")


def test_runner_tag_order_must_match_tags() -> None:
    with pytest.raises(ValueError, match="does not list"):
        Runner(name="a", tags=frozenset({"x"}), run_untagged=False, tag_order=("y",))
    with pytest.raises(ValueError, match="does not list"):
        Runner(name="a", tags=frozenset({"x"}), run_untagged=False, tag_order=("x", "x"))


# The table of docs section 1.1, plus paused and protected runners.
@pytest.mark.parametrize(
    ("runner_tags", "run_untagged", "job_tags", "expected"),
    [
        (["docker"], False, [], False),
        (["docker"], True, [], True),
        ([], True, ["docker"], False),
        (["docker", "shell", "gpu"], False, ["docker", "shell"], True),
        (["docker", "shell"], True, ["docker", "shell", "gpu"], False),
        (["Docker"], True, ["docker"], False),
        (["docker"], False, ["docker"], True),
        ([], True, [], True),
    ],
)
def test_can_take_tags(
    runner_tags: list[str], run_untagged: bool, job_tags: list[str], expected: bool
) -> None:
    runner = make_runner("r", runner_tags, run_untagged=run_untagged)
    for protected_ref in (True, False, None):
        assert can_take(runner, frozenset(job_tags), protected_ref) is expected


def test_paused_runner_takes_nothing() -> None:
    runner = make_runner("r", ["docker"], run_untagged=True, paused=True)
    assert not can_take(runner, frozenset({"docker"}), True)
    assert not can_take(runner, frozenset(), True)


def test_protected_runner() -> None:
    runner = make_runner("r", ["deploy"], protected=True)
    job = frozenset({"deploy"})
    assert can_take(runner, job, True)
    assert not can_take(runner, job, False)
    assert can_take(runner, job, None)
    assert assumes_protected_ref(runner, None)
    assert not assumes_protected_ref(runner, True)
    assert not can_take(runner, frozenset({"other"}), True)


def test_unprotected_runner_takes_protected_and_unprotected_refs() -> None:
    runner = make_runner("r", ["deploy"])
    for protected_ref in (True, False, None):
        assert can_take(runner, frozenset({"deploy"}), protected_ref)
        assert not assumes_protected_ref(runner, protected_ref)
