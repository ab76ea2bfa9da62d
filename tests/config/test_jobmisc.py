"""cigen.config.jobmisc: typed values and helpers beyond GitLab's spec examples
(lib/gitlab/ci/config/entry/retry.rb, tags.rb, allow_failure.rb, hooks.rb, job_input.rb;
ActiveModel's numericality; Gitlab::Ci::Tags::Parser)."""

from __future__ import annotations

from typing import Any

import pytest

from cigen.config.jobmisc import (
    allow_failure,
    hooks,
    id_tokens,
    job_inputs,
    parse_tags,
    retry,
    tags,
    timeout,
)
from cigen.config.node import Check
from cigen.yaml.load import load_text

MARK = load_text("x.yml", b"a: 1\n").body.mark


def _errors(entry: Any, value: Any, loc: str = "x") -> list[str]:
    c = Check()
    entry(c, value, MARK, loc)
    return [e.message for e in c.errors]


def test_tags_parser_splits_commas_and_keeps_quoted_tags() -> None:
    assert parse_tags(["a, b", ' "c,d" ', "'e'", "a", "  ", ["f", ["g"]], 1, True]) == (
        "c,d",
        "e",
        "a",
        "b",
        "f",
        "g",
        "1",
        "true",
    )


def test_tags_limit_counts_distinct_tags() -> None:
    assert _errors(tags, ["t"] * 60) == []
    assert _errors(tags, [f"t{i}" for i in range(49)]) == []
    assert _errors(tags, [1] * 50) == ["x config should be an array of strings"]


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ({"max": "2"}, []),  # ActiveModel reads integer text
        ({"max": "+1"}, []),
        ({"max": " 2"}, ["retry max must be an integer"]),  # Float(" 2") is a number
        ({"max": "1e0"}, ["retry max must be an integer"]),
        ({"max": "1_0"}, ["retry max must be an integer"]),
        ({"max": "abc"}, ["retry max is not a number"]),
        ({"max": "0x1"}, ["retry max is not a number"]),
        ({"max": ""}, ["retry max is not a number"]),
        ({"max": "."}, ["retry max is not a number"]),
        ({"max": True}, ["retry max is not a number"]),
        ({"max": [1]}, ["retry max is not a number"]),
        ({"max": "3"}, ["retry max must be less than or equal to 2"]),
        ({"max": 2.0}, ["retry max must be an integer"]),
        (
            {"when": [1]},
            [
                "retry when should be an array of strings or a string",
                "retry when contains unknown values: 1",
            ],
        ),
    ],
)
def test_full_retry_numericality_and_when(value: Any, errors: list[str]) -> None:
    assert _errors(retry, value, "jobs:a:retry") == errors


def test_retry_values() -> None:
    found = retry(Check(), {"max": 1, "when": "script_failure", "exit_codes": 137}, MARK, "r")
    assert found is not None
    assert (found.max, found.when, found.exit_codes) == (1, ("script_failure",), (137,))
    found = retry(Check(), 2, MARK, "r")
    assert found is not None
    assert found.max == 2


def test_allow_failure_values() -> None:
    found = allow_failure(Check(), {"exit_codes": [1, 2]}, MARK, "a")
    assert found is not None
    assert (found.allowed, found.exit_codes) == (True, (1, 2))
    found = allow_failure(Check(), False, MARK, "a")
    assert found is not None
    assert (found.allowed, found.exit_codes) == (False, None)


def test_hooks_value_and_invalid_commands() -> None:
    assert hooks(Check(), {"pre_get_sources_script": "git --version"}, MARK, "h") == {
        "pre_get_sources_script": ("git --version",)
    }
    assert _errors(hooks, {"pre_get_sources_script": [1]}, "jobs:a:hooks") == [
        "jobs:a:hooks:pre_get_sources_script config should be a string or a nested array of "
        "strings up to 10 levels deep"
    ]


def test_timeout_value() -> None:
    assert timeout(Check(), "1h 30m", MARK, "t") == "1h 30m"
    assert _errors(timeout, "4 weeks") == []
    assert _errors(timeout, "31 days") == ["x config should not exceed the limit"]


def test_id_tokens_and_inputs_values() -> None:
    found = id_tokens(Check(), {"A": {"aud": "x"}, "B": {"aud": ["y", "z"]}}, MARK, "id_tokens")
    assert found is not None
    assert [(t.name, t.aud) for t in found] == [("A", ("x",)), ("B", ("y", "z"))]
    found_inputs = job_inputs(
        Check(), {"env": {"default": "dev", "options": ["dev", "prod"]}}, MARK, "inputs"
    )
    assert found_inputs is not None
    (only,) = found_inputs
    assert (only.name, only.type, only.options) == ("env", "string", ("dev", "prod"))


def test_retry_errors_say_which_entry_they_are_about() -> None:
    """The message says ``retry`` (retry.rb's fixed location); ``where`` names the job."""
    c = Check()
    retry(c, 5, MARK, "jobs:build:retry")
    retry(c, "x", MARK, "jobs:test:retry")
    assert [(e.message, e.where) for e in c.errors] == [
        ("retry config must be less than or equal to 2", "jobs:build:retry"),
        ("retry config has to be either an integer or a hash", "jobs:test:retry"),
    ]
