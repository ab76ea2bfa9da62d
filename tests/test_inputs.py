"""``spec:inputs`` and ``$[[ inputs.x ]]`` interpolation (docs/gitlab-ci-semantics.md 2.4)."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import lint_tree

from cigen.diagnostics import Mark
from cigen.resolve.inputs import bind, interpolate
from cigen.yaml.load import YMap, load_text, to_plain

MARK = Mark(".gitlab-ci.yml", 1, 1)


def header(text: str) -> YMap:
    loaded = load_text("h.yml", text + "\n---\nx: 1\n")
    assert isinstance(loaded.header, YMap)
    return loaded.header


SPEC = header(
    "spec:\n  inputs:\n"
    "    name:\n"
    "    count: {type: number, default: 2}\n"
    "    flag: {type: boolean, default: false}\n"
    "    items: {type: array, default: [a, b]}\n"
    "    env: {options: [dev, prod], default: dev}\n"
    "    ref: {regex: '^v\\d+$', default: v1}\n"
)


def given(**values: Any) -> YMap:
    loaded = load_text(
        "g.yml", "{}" if not values else "\n".join(f"{k}: {v}" for k, v in values.items())
    )
    assert isinstance(loaded.body, YMap)
    return loaded.body


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "`name` input: required value has not been provided"),
        ({"name": "a", "count": "many"}, "`count` input: provided value is not a number"),
        ({"name": "a", "flag": "'yes'"}, "`flag` input: provided value is not a boolean"),
        ({"name": "a", "items": "x"}, "`items` input: provided value is not an array"),
        (
            {"name": "a", "env": "test"},
            "`env` input: `test` cannot be used because it is not in the list",
        ),
        (
            {"name": "a", "ref": "main"},
            "`ref` input: provided value does not match required RegEx pattern",
        ),
        ({"name": "a", "other": "1"}, "unknown input arguments: other"),
    ],
)
def test_bind_reports_gitlabs_messages(values: dict[str, str], message: str) -> None:
    _values, problems = bind(SPEC, given(**values), MARK)
    assert any(message in p.message for p in problems), [p.message for p in problems]


def test_bind_applies_defaults_and_types() -> None:
    values, problems = bind(SPEC, given(name="app", count="3", flag="true"), MARK)
    assert problems == []
    assert values == {
        "name": "app",
        "count": 3,
        "flag": True,
        "items": ["a", "b"],
        "env": "dev",
        "ref": "v1",
    }


def test_inputs_to_a_file_without_spec_is_an_error() -> None:
    values, problems = bind(None, given(name="a"), MARK)
    assert values is None
    assert "no spec:inputs header" in problems[0].message


def test_unknown_input_type() -> None:
    _values, problems = bind(
        header("spec:\n  inputs:\n    a: {type: date, default: x}"), None, MARK
    )
    assert problems[0].gitlab == (
        "unknown input specification for `a` (valid types: array, boolean, number, string)"
    )


def interpolated(body: str, values: dict[str, Any]) -> tuple[Any, list[str]]:
    loaded = load_text("b.yml", body)
    result, problems = interpolate(loaded.body, values, MARK)
    return to_plain(result), [p.message for p in problems]


def test_whole_block_keeps_the_input_type_and_partial_blocks_become_text() -> None:
    body = (
        "job-$[[ inputs.name ]]:\n  parallel: $[[ inputs.count ]]\n"
        "  tags: $[[ inputs.items ]]\n"
        "  script:\n    - echo $[[ inputs.count ]] $[[ inputs.flag ]]\n"
    )
    result, problems = interpolated(body, {"name": "x", "count": 3, "flag": False, "items": ["a"]})
    assert problems == []
    assert result == {"job-x": {"parallel": 3, "tags": ["a"], "script": ["echo 3 false"]}}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("$[[ inputs.s | truncate(1,3) ]]", "bcd"),
        ("$[[ inputs.s | truncate(2,10 ]]", "cdef"),
        ("$[[ inputs.q | posix_escape | truncate(0,2) ]]", "a\\"),
        ("$[[ inputs.q | posix_escape ]]", "a\\ b"),
        ("$[[ inputs.s | expand_vars ]]", "abcdef"),
    ],
)
def test_functions(block: str, expected: str) -> None:
    result, problems = interpolated(f"k: '{block}'\n", {"s": "abcdef", "q": "a b"})
    assert problems == []
    assert result == {"k": expected}


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("$[[ inputs.nope ]]", "unknown interpolation provided: `nope` in `inputs.nope`"),
        ("$[[ nope ]]", "invalid pattern used for interpolation. valid pattern is"),
        ("$[[ inputs.s | shout ]]", "no function matching `shout`"),
        ("$[[ inputs.s | posix_quote ]]", "no function matching `posix_quote`"),
        ("$[[ inputs.s | a | b | c | d ]]", "too many functions"),
    ],
)
def test_interpolation_errors(block: str, message: str) -> None:
    _result, problems = interpolated(f"k: '{block}'\n", {"s": "x"})
    assert any(message in p for p in problems), problems


def test_root_file_required_input_stays_literal(tmp_path: Any) -> None:
    result = lint_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": "spec:\n  inputs:\n    stage:\n---\nbuild:\n  stage: build\n"
            "  script:\n    - echo '$[[ inputs.stage ]]'\n"
        },
    )
    assert [d.code for d in result.diagnostics] == []


def test_two_blocks_in_one_string_are_each_replaced() -> None:
    """``$[[ inputs.a ]]-$[[ inputs.b ]]`` is two blocks, not one spanning both
    (``lib/gitlab/ci/config/interpolation/template.rb`` replaces each block)."""
    from cigen.diagnostics import Mark
    from cigen.resolve.inputs import interpolate

    body, problems = interpolate(
        "$[[ inputs.a ]]-$[[ inputs.b ]]", {"a": "x", "b": 2}, Mark("f.yml", 1, 1)
    )
    assert (body, problems) == ("x-2", [])


def test_limits_give_gitlabs_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """``interpolation/config.rb`` (MAX_NODES, MAX_NODE_SIZE) and ``template.rb`` (MAX_BLOCKS),
    lowered as GitLab's own specs lower them."""
    import cigen.resolve.inputs as inputs

    body = load_text("b.yml", "a: $[[ inputs.s ]]\nb: $[[ inputs.s ]]\nc: [x, y, z]\n").body
    monkeypatch.setattr(inputs, "MAX_NODES", 3)
    _result, problems = interpolate(body, {"s": "v"}, MARK)
    assert [p.gitlab for p in problems] == ["config too large"]
    monkeypatch.setattr(inputs, "MAX_NODES", 500_000)
    monkeypatch.setattr(inputs, "MAX_BLOCKS", 1)
    body = load_text("b.yml", "a: $[[ inputs.s ]]\nb: $[[ inputs.s | truncate(0,1) ]]\n").body
    _result, problems = interpolate(body, {"s": "v"}, MARK)
    assert [p.gitlab for p in problems] == ["too many interpolation blocks"]


def test_a_value_over_one_mebibyte_is_too_large() -> None:
    big = "x" * (1024 * 1024 + 1)
    _result, problems = interpolate(load_text("b.yml", f"k: {big}\n").body, {}, MARK)
    assert [p.gitlab for p in problems] == ["config node too large"]
    _result, problems = interpolate(load_text("b.yml", f"k: {big[1:]}\n").body, {}, MARK)
    assert problems == []


def test_root_file_inputs_from_spec_include_stay_literal(tmp_path: Any) -> None:
    """The pipeline's own inputs come with the run: one declared in a ``spec:include`` file
    (``external/header/processor.rb``) is left for GitLab, like an inline one."""
    result = lint_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": "spec:\n  include:\n    - local: /inputs.yml\n---\nbuild:\n"
            "  script:\n    - echo '$[[ inputs.env ]]'\n",
            "inputs.yml": "inputs:\n  env:\n",
        },
    )
    assert [d.code for d in result.diagnostics] == []


def test_duplicate_spec_include_inputs_are_one_error(tmp_path: Any) -> None:
    result = lint_tree(
        tmp_path,
        {
            ".gitlab-ci.yml": "include:\n  - local: a.yml\nbuild:\n  script: [x]\n",
            "a.yml": "spec:\n  include: [/i.yml]\n  inputs:\n    env: {default: x}\n---\n"
            "job:\n  script: [x]\n",
            "i.yml": "inputs:\n  env: {default: y}\n",
        },
    )
    assert [(d.code, d.line) for d in result.diagnostics] == [("CIG107", 2)]
    assert "declared more than once: env" in result.diagnostics[0].message


def test_blocks_are_counted_once_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Template::MAX_BLOCKS`` counts distinct blocks (``@blocks`` is keyed by the block's
    text): one block repeated is one."""
    import cigen.resolve.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_BLOCKS", 1)
    body = load_text("b.yml", "a: $[[ inputs.s ]]\nb: x-$[[ inputs.s ]]\n").body
    _result, problems = interpolate(body, {"s": "v"}, MARK)
    assert problems == []
    body = load_text("b.yml", "a: $[[ inputs.s ]]\nb: $[[ inputs.t ]]\n").body
    _result, problems = interpolate(body, {"s": "v", "t": "w"}, MARK)
    assert [p.gitlab for p in problems] == ["too many interpolation blocks"]
