"""Run every case of the shared GitLab corpus (``shared/corpus/expressions/*.yaml``).

The corpus lives outside the repository (``../shared/corpus`` relative to the repository root);
when it is absent every test here is skipped. The data is read at collection time and never
copied into the repository.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cigen import expressions as ex
from cigen.pipeline import simulate as sim

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
EXPRESSIONS = CORPUS / "expressions"
MISSING = f"shared corpus not found at {EXPRESSIONS} (checkout without ../shared/corpus)"


@functools.cache
def _load(name: str) -> Any:
    path = EXPRESSIONS / name
    if not path.is_file():
        return None
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _cases(name: str, section: str, *subkeys: str) -> list[Any]:
    """pytest params for ``section`` (optionally nested) of corpus file ``name``."""
    data = _load(name)
    if data is None:
        return [pytest.param(None, id=f"{name}:{section}:missing")]
    node: Any = data[section]
    for key in subkeys:
        node = node[key]
    return [pytest.param(case, id=f"{section}-{i}") for i, case in enumerate(node)]


def _need(case: Any) -> Any:
    if case is None:
        pytest.skip(MISSING)
    return case


def _same(actual: object, expected: object) -> bool:
    """Equality that keeps Ruby's types apart (``true`` is not ``1``, ``"true"`` is not true)."""
    return type(actual) is type(expected) and actual == expected


def _ruby_truthy(value: object) -> bool:
    return value is not None and value is not False


# --------------------------------------------------------------------------------------------
# statement_cases.yaml
# --------------------------------------------------------------------------------------------


def _variable_set(key: str) -> tuple[dict[str, str], dict[str, ex.Value]]:
    sets = _load("statement_cases.yaml")["variable_sets"]
    raw = sets[key] or {}
    inputs = raw.get("inputs", {}) if key == "inputs" else {}
    variables = {} if key == "inputs" else {str(k): str(v) for k, v in raw.items()}
    return variables, dict(inputs)


@pytest.mark.parametrize("case", _cases("statement_cases.yaml", "evaluate_cases"))
def test_statement_evaluate(case: Any) -> None:
    case = _need(case)
    variables, inputs = _variable_set(case["variables"])
    value = ex.evaluate(ex.parse(case["expression"]), variables, inputs)
    assert _same(value, case["expected_value"]), value
    assert ex.truthful(case["expression"], variables, inputs) is case["truthful"]


@pytest.mark.parametrize("case", _cases("statement_cases.yaml", "truthful_cases"))
def test_statement_truthful(case: Any) -> None:
    case = _need(case)
    variables, inputs = _variable_set(case["variables"])
    assert ex.truthful(case["expression"], variables, inputs) is case["expected_truthful"]


@pytest.mark.parametrize("case", _cases("statement_cases.yaml", "input_names_cases"))
def test_statement_input_names(case: Any) -> None:
    case = _need(case)
    names = ex.input_names(case["expression"])
    expected = case["expected_input_names"]
    if case["compare"] == "any order":
        assert sorted(names) == sorted(expected)
        assert len(names) == len(set(names))
    else:
        assert list(names) == expected


# --------------------------------------------------------------------------------------------
# lexer_parser_cases.yaml
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "token_cases"))
def test_lexer_tokens(case: Any) -> None:
    case = _need(case)
    assert [t.text for t in ex.tokenize(case["expression"])] == case["tokens"]


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "lexeme_kind_cases"))
def test_lexer_lexeme_kinds(case: Any) -> None:
    case = _need(case)
    assert [t.lexeme for t in ex.tokenize(case["expression"])] == case["lexemes"]


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "lexer_error_cases"))
def test_lexer_errors(case: Any) -> None:
    case = _need(case)
    with pytest.raises(ex.ExpressionSyntaxError):
        ex.tokenize(case["expression"], case.get("max_tokens", ex.MAX_TOKENS))
    assert ex.validate(case["expression"]) is not None or "max_tokens" in case


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "parse_tree_cases"))
def test_parse_tree(case: Any) -> None:
    case = _need(case)
    assert ex.inspect(ex.parse(case["expression"])) == case["tree"]


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "parse_error_cases"))
def test_parse_errors(case: Any) -> None:
    case = _need(case)
    with pytest.raises(ex.ExpressionError) as info:
        ex.parse(case["expression"])
    assert 0 <= info.value.offset <= len(case["expression"])
    assert ex.truthful(case["expression"], {}) is False


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "string_literal_cases"))
def test_string_literals(case: Any) -> None:
    case = _need(case)
    token = ex.scan_token(case["input"])
    assert token is not None and token.kind == "string"
    assert ex.evaluate(ex.parse(token.text), {}) == case["value"]


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "pattern_literal_cases"))
def test_pattern_literals(case: Any) -> None:
    case = _need(case)
    text = case["input"]
    if "regexp_source" in case:
        token = ex.scan_token(text)
        if case["regexp_source"] is None:
            assert token is None or token.kind != "pattern"
        else:
            assert token is not None and token.kind == "pattern"
            assert ex.build_pattern(token.text).source == case["regexp_source"]
    elif case["valid"]:
        stored = case["stored_value"]
        assert ex.build_pattern(text).source == stored[1:-1]
    else:
        with pytest.raises(ex.ExpressionSyntaxError):
            ex.build_pattern(text)


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "input_reference_cases"))
def test_input_references(case: Any) -> None:
    case = _need(case)
    if "input" in case:
        node = ex.parse(case["input"])
        assert isinstance(node, ex.Input) and node.name == case["name"]
    else:
        value = ex.evaluate(ex.Input(case["name"]), {}, case["inputs"])
        assert _same(value, case["value"])


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "variable_reference_cases"))
def test_variable_references(case: Any) -> None:
    case = _need(case)
    value = ex.evaluate(ex.parse(f"${case['name']}"), case["variables"])
    assert _same(value, case["value"])


@pytest.mark.parametrize("case", _cases("lexer_parser_cases.yaml", "keyword_cases"))
def test_keywords(case: Any) -> None:
    case = _need(case)
    assert _same(ex.evaluate(ex.parse(case["input"]), {}), case["value"])


# --------------------------------------------------------------------------------------------
# operator_cases.yaml
# --------------------------------------------------------------------------------------------


def _operand(value: Any) -> ex.Value:
    if isinstance(value, Mapping) and "regexp" in value:
        return ex.compile_regex(value["regexp"])
    return value  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", _cases("operator_cases.yaml", "cases"))
def test_operators(case: Any) -> None:
    case = _need(case)
    result = ex.apply_operator(case["op"], _operand(case["left"]), _operand(case["right"]))
    assert "result" in case or "truthy" in case
    if "result" in case:
        assert _same(result, case["result"]), result
    if "truthy" in case:
        assert _ruby_truthy(result) is case["truthy"]


# --------------------------------------------------------------------------------------------
# rules_cases.yaml
# --------------------------------------------------------------------------------------------

_RESULT_FIELDS = ("start_in", "allow_failure", "needs", "variables", "auto_cancel", "interruptible")


@pytest.mark.parametrize("case", _cases("rules_cases.yaml", "cases"))
def test_rules_evaluation(case: Any) -> None:
    case = _need(case)
    result = sim.evaluate_rules(
        case["rules"],
        default_when=case["default_when"],
        variables=case.get("variables") or {},
        ctx=sim.PipelineContext(),
    )
    expected = case["result"]
    assert result.when == expected["when"]
    for name in _RESULT_FIELDS:
        actual: Any = getattr(result, name)
        if name == "needs" and actual is not None:
            actual = list(actual)
        elif name == "variables":
            actual = dict(actual) or None
        elif name == "auto_cancel" and actual is not None:
            actual = dict(actual)
        assert actual == expected.get(name), name


@pytest.mark.parametrize("case", _cases("rules_cases.yaml", "result_pass"))
def test_rules_result_pass(case: Any) -> None:
    case = _need(case)
    assert sim.RulesResult(when=case["when"]).passed is case["pass"]


@pytest.mark.parametrize("case", _cases("rules_cases.yaml", "if_clause_cases"))
def test_rules_if_clause(case: Any) -> None:
    case = _need(case)
    result = sim.evaluate_rules(
        [{"if": case["if"]}],
        default_when="on_success",
        variables=case["variables"],
        ctx=sim.PipelineContext(),
    )
    assert (result.rule_index == 0) is case["satisfied"]


@pytest.mark.parametrize("case", _cases("rules_cases.yaml", "rule_match_cases", "cases"))
def test_rules_clause_combination(case: Any) -> None:
    case = _need(case)
    changed = tuple(_load("rules_cases.yaml")["rule_match_cases"]["changed_files"])
    ctx = sim.PipelineContext(source="push", changed_files=changed)
    result = sim.evaluate_rules([case["rule"]], default_when="on_success", variables={}, ctx=ctx)
    assert (result.rule_index == 0) is case["matches"]
    assert result.passed is case["matches"]


# --------------------------------------------------------------------------------------------
# glob_cases.yaml
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _cases("glob_cases.yaml", "changes_cases"))
def test_changes_globs(case: Any) -> None:
    case = _need(case)
    ctx = sim.PipelineContext(source="push", changed_files=tuple(case["changed_files"]))
    assert sim.changes_satisfied(case["paths"], ctx, {}).satisfied is case["satisfied"]
    assert sim.changes_satisfied({"paths": case["paths"]}, ctx, {}).satisfied is case["satisfied"]


@pytest.mark.parametrize("case", _cases("glob_cases.yaml", "exists_cases"))
def test_exists_globs(case: Any) -> None:
    case = _need(case)
    ctx = sim.PipelineContext(project_files=tuple(case["repository_files"]))
    assert sim.exists_satisfied(case["paths"], ctx, {}).satisfied is case["satisfied"]
    assert sim.exists_satisfied({"paths": case["paths"]}, ctx, {}).satisfied is case["satisfied"]


@pytest.mark.parametrize("case", _cases("glob_cases.yaml", "changes_variable_cases"))
def test_changes_variable_expansion(case: Any) -> None:
    case = _need(case)
    ctx = sim.PipelineContext(source="push", changed_files=tuple(case["changed_files"]))
    result = sim.changes_satisfied(case["paths"], ctx, case["variables"])
    assert result.satisfied is case["satisfied"]


# The repository the compare_to cases describe: README.md on master; feature_1 adds file1.txt
# (tagged tag_1) and then file2.txt; feature_2 (from feature_1) updates file2.txt.
_REPOSITORY_TREES: dict[str, dict[str, int]] = {
    "master": {"README.md": 1},
    "tag_1": {"README.md": 1, "file1.txt": 1},
    "feature_1": {"README.md": 1, "file1.txt": 1, "file2.txt": 1},
    "feature_2": {"README.md": 1, "file1.txt": 1, "file2.txt": 2},
}


def _diff(base: str, head: str) -> tuple[str, ...]:
    a, b = _REPOSITORY_TREES[base], _REPOSITORY_TREES[head]
    return tuple(sorted(p for p in {*a, *b} if a.get(p) != b.get(p)))


@pytest.mark.parametrize("case", _cases("glob_cases.yaml", "changes_compare_to_cases", "cases"))
def test_changes_compare_to(case: Any) -> None:
    case = _need(case)
    head = case["pipeline_ref"]
    ctx = sim.PipelineContext(
        ref=head,
        source="push",
        changed_files=(),
        compare_to_changes={ref: _diff(ref, head) for ref in _REPOSITORY_TREES},
    )
    spec = {"paths": case["paths"], "compare_to": case["compare_to"]}
    variables = case.get("variables") or {}
    if "error" in case:
        with pytest.raises(sim.ClauseError, match=case["error"]):
            sim.changes_satisfied(spec, ctx, variables)
        result = sim.evaluate_rules(
            [{"changes": spec}], default_when="on_success", variables=variables, ctx=ctx
        )
        assert result.errors == (case["error"],) and not result.passed
    else:
        assert sim.changes_satisfied(spec, ctx, variables).satisfied is case["satisfied"]


@pytest.mark.parametrize("case", _cases("glob_cases.yaml", "exists_variable_cases", "cases"))
def test_exists_variable_expansion(case: Any) -> None:
    case = _need(case)
    block = _load("glob_cases.yaml")["exists_variable_cases"]
    ctx = sim.PipelineContext(project_files=tuple(block["repository_files"]))
    result = sim.exists_satisfied(case["paths"], ctx, block["variables"])
    assert result.satisfied is case["satisfied"]
