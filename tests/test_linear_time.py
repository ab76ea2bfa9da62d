"""Linear time and bounded size on repository text (issue 11, classes 5 and 6).

Each hand-written matcher is checked against the regular expression it replaces on small
inputs (hypothesis; the expressions are GitLab's own), and on the inputs that made the
expression backtrack for seconds or hours it must answer at once (the hostile cases in
tests/test_hostile.py run them end to end, under a time and memory limit).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cigen.config.processor import parallel_base
from cigen.pipeline.parallel import PARALLEL_LIMIT, group_name, instances
from cigen.pipeline.simulate import (
    CHANGES_MAX_PATTERN_COMPARISONS,
    brace_count,
    brace_expand,
    expand_variables_nested,
    fnmatch,
)
from cigen.project import wildcard_regex
from cigen.regex import compile_re2, linear_validator, re2_search, unsupported_patterns
from cigen.resolve.inputs import blocks
from cigen.variables import MAX_EXPANDED, expand

# lib/gitlab/ci/config/interpolation/block.rb: PATTERN
GITLAB_BLOCK = re.compile(r"\$\[\[\s*(\S.*?\S)\s*\]\]")
# lib/gitlab/utils/job.rb: group_name
GITLAB_GROUP = re.compile(r"([\x08\s:]+((\[.*\])|(\d+[\s:/\\]+\d+))){1,3}\s*\Z")
PARALLEL_NAME = re.compile(r"^(?P<base>.+?)(?: \d+/\d+|: \[.*\])$")


def pieces(*parts: str, size: int = 12) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(parts), max_size=size).map("".join)


@settings(max_examples=1000, deadline=None)
@given(pieces("$[[", "]]", " ", "\n", "a", "b", "$", "[", "]", "\t", "]]]", size=16))
def test_blocks_are_gitlabs(text: str) -> None:
    want = [(m.start(), m.end(), m.group(1)) for m in GITLAB_BLOCK.finditer(text)]
    assert list(blocks(text)) == want


@settings(max_examples=1000, deadline=None)
@given(pieces(":", " ", "[", "]", "1", "2", "/", "\\", "a", "\n", "\x08", ": [x]", " 1/2", "\t"))
def test_group_name_is_gitlabs(name: str) -> None:
    assert group_name(name) == GITLAB_GROUP.sub("", name, count=1).strip()


@settings(max_examples=1000, deadline=None)
@given(pieces(": [", "]", " ", "1", "/", "2", "a", "\n", ":", "[", " 1/2", size=10))
def test_parallel_base_is_the_expression(name: str) -> None:
    found = PARALLEL_NAME.match(name)
    assert parallel_base(name) == (found.group("base") if found else None)


@pytest.mark.parametrize(
    "text",
    [
        "$[[ ab " * 200_000,  # 2,000 of these took the expression 3 s, 8,000 took 34 s
        "$[[ a" * 200_000 + "\n]]",
        "$[[" + " " * 500_000 + "a" + " " * 500_000,
    ],
)
def test_blocks_on_unclosed_blocks_is_linear(text: str) -> None:
    assert list(blocks(text)) == [] or text.endswith("]]")


def test_names_that_made_the_expressions_hang() -> None:
    # 2,000 repetitions made GITLAB_GROUP run for minutes (exponential backtracking)
    assert group_name(": [x]" * 20_000 + "y") == ": [x]" * 20_000 + "y"
    assert group_name("build" + ": [x]" * 20_000) == "build"
    assert parallel_base(": [" * 500_000) is None


@settings(max_examples=500, deadline=None)
@given(
    pieces("*", "**", "?", "a", "b", "/", ".", "-", "[", "(", "+", "\\", "é", size=8),
    pieces("a", "b", "/", ".", "-", "[", "(", "+", "\\", "é", "\n", size=10),
)
def test_wildcard_includes_match_as_before(pattern: str, path: str) -> None:
    """The include glob (``*`` within a folder, ``**`` across) on RE2, as on Python's re."""
    old: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            old.append(".*")
            index += 2
            continue
        char = pattern[index]
        old.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        index += 1
    compiled = wildcard_regex(pattern)
    assert compiled is not None
    assert bool(compiled.fullmatch(path)) == bool(re.fullmatch("".join(old), path))


def test_wildcard_include_with_many_stars_is_linear() -> None:
    compiled = wildcard_regex("**a" * 200 + "**b")
    assert compiled is not None and not compiled.fullmatch("a" * 100_000)


@settings(max_examples=500, deadline=None)
@given(pieces("{", "}", ",", "a", "b", "\\", size=12))
def test_brace_count_counts_the_expansion(pattern: str) -> None:
    assert brace_count(pattern) == len(brace_expand(pattern))


def test_brace_bombs_are_counted_not_expanded() -> None:
    bomb = "{a,b}" * 60  # 2**60 patterns
    assert brace_count(bomb) > CHANGES_MAX_PATTERN_COMPARISONS
    assert fnmatch(bomb, "whatever") is True  # assumed matched, as past GitLab's limit


def test_parallel_over_gitlabs_limit_is_not_expanded() -> None:
    """lib/gitlab/ci/config/entry/product/parallel.rb, matrix.rb: 200 jobs at most."""
    assert len(instances("job", PARALLEL_LIMIT)) == PARALLEL_LIMIT
    assert instances("job", 10**9) == instances("job", None)
    big = {"matrix": [{"A": [str(i) for i in range(1000)], "B": [str(i) for i in range(1000)]}]}
    assert [i.name for i in instances("job", big)] == ["job"]
    fits = {"matrix": [{"A": [str(i) for i in range(20)], "B": [str(i) for i in range(10)]}]}
    assert len(instances("job", fits)) == 200


def test_doubling_variables_stay_bounded() -> None:
    variables = {"V0": "x" * 1000}
    variables.update({f"V{i}": f"${{V{i - 1}}}${{V{i - 1}}}" for i in range(1, 80)})
    expanded = expand_variables_nested(variables)
    assert max(len(v) for v in expanded.values()) <= 1024 * 1024
    assert expanded["V5"] == "x" * 32_000
    assert expanded["V11"] == variables["V11"]  # left as written: 2 MB expanded


def test_a_deep_chain_of_variables_does_not_recurse() -> None:
    variables = {f"V{i}": f"$V{i + 1}" for i in range(50_000)}
    variables["V50000"] = "end"
    assert expand_variables_nested(variables)["V0"] == "end"


def test_one_pass_expansion_is_bounded() -> None:
    text, unknown = expand("$A" * 100_000, {"A": "y" * 100})
    assert text == "$A" * 100_000 and unknown == ()  # 10 MB: left as written
    assert len(expand("$A" * 100, {"A": "y" * 100})[0]) == 10_000 <= MAX_EXPANDED


def test_re2_runs_what_backtracks() -> None:
    assert re2_search(r"(a+)+$", "a" * 100_000 + "!") is False
    assert re2_search(r"(?=a)", "a") is None  # RE2 has no lookaround
    assert compile_re2("(") is None
    assert re2_search("x", "\udcff x") is True  # a non-UTF-8 file name


def test_schemas_match_patterns_on_re2() -> None:
    import jsonschema

    schema = {
        "type": "object",
        "patternProperties": {"^(a+)+$": {"type": "string"}},
        "additionalProperties": False,
        "properties": {"name": {"type": "string", "pattern": "^(b+)+$"}},
    }
    validator = linear_validator(jsonschema.Draft7Validator)(schema)
    hostile = {"a" * 50_000 + "!": 1, "name": "b" * 50_000 + "!"}
    messages = [e.message for e in validator.iter_errors(hostile)]
    assert len(messages) == 2
    assert any("does not match" in m for m in messages)
    assert any("Additional properties" in m for m in messages)
    assert list(validator.iter_errors({"aaa": "x", "name": "bb"})) == []
    assert list(unsupported_patterns({"items": [{"pattern": "(?!x)"}]})) == ["(?!x)"]


def test_every_shipped_pattern_runs_on_re2() -> None:
    """cigen's own schemas and built-in presets need no lookaround either (a project copying
    a built-in preset gets patterns RE2 runs)."""
    import json
    from pathlib import Path

    import yaml

    repo = Path(__file__).resolve().parents[1]
    for path in sorted((repo / "schemas").glob("*.json")):
        assert list(unsupported_patterns(json.loads(path.read_text(encoding="utf-8")))) == []
    for path in sorted((repo / "presets").glob("*.yaml")):
        assert list(unsupported_patterns(yaml.safe_load(path.read_text(encoding="utf-8")))) == []


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("ci/child.yml", True),
        ("../x.yml", False),
        ("a/../b.yml", False),
        ("/abs.yml", False),
        ("a/..b.yml", True),
        (".yml", False),
        ("a\n.yml", False),
    ],
)
def test_rewritten_path_pattern_keeps_its_meaning(value: str, valid: bool) -> None:
    """child-pipeline's ``file`` pattern, rewritten without lookaheads for RE2."""
    from pathlib import Path

    import yaml

    repo = Path(__file__).resolve().parents[1]
    preset = yaml.safe_load((repo / "presets" / "child-pipeline.yaml").read_text(encoding="utf-8"))
    patterns = [p for p in _patterns(preset) if p.endswith(r"\.ya?ml$")]
    assert patterns and all(re2_search(p, value) is valid for p in patterns)


def _patterns(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["pattern"]] if isinstance(value.get("pattern"), str) else []
        return found + [p for item in value.values() for p in _patterns(item)]
    if isinstance(value, list):
        return [p for item in value for p in _patterns(item)]
    return []
