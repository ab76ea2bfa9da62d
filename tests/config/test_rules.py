"""rules, rule, changes, exists, workflow and auto_cancel entries (cigen/config/rules.py).

GitLab files: lib/gitlab/ci/config/entry/rules.rb, rules/rule.rb, rules/rule/changes.rb,
rules/rule/exists.rb, workflow.rb, auto_cancel.rb. The spec examples are conformance cases
(cases/rule.yaml, ...); these tests cover the typed values, the positions and the branches the
spec examples do not reach.
"""

from __future__ import annotations

from cigen.config import rules
from cigen.config.needs import Need
from config.entry_helpers import at, run


def test_rules_flatten_nested_lists_into_typed_rules() -> None:
    found, errors, _ = run(
        rules.job_rules,
        "x:\n"
        "  - if: $A == 'a'\n"
        "    when: manual\n"
        "    allow_failure: true\n"
        "  - [{changes: [a/*]}, [{exists: b.txt}]]\n"
        "  - null\n",
    )
    assert errors == []
    assert [r.mark for r in found] == [at(2, 5), at(5, 6), at(5, 25)]
    first, second, third = found
    assert (first.if_, first.if_mark, first.when, first.allow_failure) == (
        "$A == 'a'",
        at(2, 9),
        "manual",
        True,
    )
    assert second.changes == rules.Changes(("a/*",), at(5, 16))
    assert third.exists == rules.Exists(("b.txt",), at(5, 34))


def test_empty_rules_cannot_be_blank() -> None:
    # rules.rb: presence before the type; an empty list is blank.
    assert run(rules.job_rules, "x: []\n")[1:] == (["x config can't be blank"], [(1, 4)])
    assert run(rules.workflow_rules, "x: {}\n")[1] == [
        "x config can't be blank",
        "x config should be an array",
    ]


def test_rule_children_typed() -> None:
    found, errors, _ = run(
        rules.job_rules,
        "x:\n"
        "  - if: $A\n"
        "    when: delayed\n"
        "    start_in: 3 days\n"
        "    interruptible: false\n"
        "    changes: {paths: [a], compare_to: main}\n"
        "    exists: {paths: [b], project: g/p, ref: v1}\n"
        "    variables: {A: 1}\n"
        "    needs: [build]\n",
    )
    assert errors == []
    (rule,) = found
    assert (rule.when, rule.start_in, rule.interruptible) == ("delayed", "3 days", False)
    assert rule.changes == rules.Changes(("a",), at(6, 14), "main")
    assert rule.exists == rules.Exists(("b",), at(7, 13), "g/p", "v1")
    assert [(v.name, v.value) for v in rule.variables] == [("A", "1")]
    assert rule.needs == (Need("job", at(9, 13), job="build"),)


def test_rule_errors_are_at_the_key_or_value() -> None:
    _, errors, marks = run(
        rules.job_rules,
        "x:\n  - if: $A ==\n    start_in: 1 day\n    when: [never]\n    auto_cancel: {}\n",
    )
    assert errors == [
        "x:rule config contains disallowed keys: start_in",
        "x:rule if invalid expression syntax",
        'x:rule when unknown value: ["never"]',
        "x:rule config contains unknown keys: auto_cancel",
    ]
    assert marks == [(3, 5), (2, 9), (4, 11), (5, 5)]


def test_rule_if_must_be_a_string() -> None:
    assert run(rules.job_rules, "x: [{if: 1}]\n")[1] == ["x:rule if invalid expression syntax"]


def test_delayed_rule_start_in_positions() -> None:
    _, errors, marks = run(rules.job_rules, "x: [{when: delayed, start_in: soon}]\n")
    assert errors == [
        "x:rule start in should be a duration",
        "x:rule start in should not exceed the limit",
    ]
    assert marks == [(1, 31), (1, 31)]
    _, _, marks = run(rules.job_rules, "x: [{when: delayed}]\n")
    assert marks == [(1, 12)] * 3  # no start_in: at the when: value


def test_invalid_rule_children_make_the_rules_invalid() -> None:
    found, errors, _ = run(rules.job_rules, "x: [{if: $A, needs: [{job: a, pipeline: b}]}]\n")
    assert found is None
    assert errors == ["x:rule:needs config uses invalid types: cross_dependency"]


def test_workflow_typed() -> None:
    found, errors, _ = run(
        rules.workflow,
        "x:\n"
        "  name: Pipeline $A\n"
        "  rules: [{if: $A, auto_cancel: {on_job_failure: all}}]\n"
        "  auto_cancel: {on_new_commit: none}\n",
        loc="workflow",
    )
    assert errors == []
    assert found.name == "Pipeline $A"
    assert found.rules[0].auto_cancel == rules.AutoCancel(None, "all", at(3, 33))
    assert found.auto_cancel == rules.AutoCancel("none", None, at(4, 16))


def test_workflow_rules_allow_only_always_and_never() -> None:
    _, errors, _ = run(rules.workflow, "x: {rules: [{when: manual, interruptible: true}]}\n")
    assert errors == [
        "x:rules:rule when unknown value: manual",
        "x:rules:rule config contains unknown keys: interruptible",
    ]


def test_workflow_name_length_is_measured_like_ruby() -> None:
    # ActiveModel's length: a list's element count, the text of a number.
    assert run(rules.workflow, "x: {name: [a, b]}\n")[1] == []
    assert run(rules.workflow, "x: {name: 123}\n")[0].name == "123"
    long = "1" * 256
    assert run(rules.workflow, f"x: {{name: {long}}}\n")[1] == [
        "x name is too long (maximum is 255 characters)"
    ]


def test_empty_workflow_is_valid_and_empty() -> None:
    found, errors, _ = run(rules.workflow, "x: {}\n")
    assert (found.name, found.rules, found.auto_cancel, errors) == (None, None, None, [])


def test_workflow_with_invalid_rules_is_none() -> None:
    found, errors, _ = run(rules.workflow, "x: {rules: []}\n")
    assert (found, errors) == (None, ["x:rules config can't be blank"])


def test_auto_cancel_type_and_values() -> None:
    assert run(rules.auto_cancel, "x: none\n")[1] == ["x config should be a hash"]
    _, errors, marks = run(rules.auto_cancel, "x: {on_new_commit: 1}\n")
    assert errors == [
        "x on new commit should be a string",
        "x on new commit must be one of: conservative, interruptible, none",
    ]
    assert marks == [(1, 20), (1, 20)]


def test_changes_without_paths() -> None:
    # allow_nil: false: a missing paths list also fails Rails' length check.
    found, errors, _ = run(rules.changes, "x: {compare_to: main}\n")
    assert found is None
    assert errors == [
        "x config missing required keys: paths",
        "x paths should be an array of strings",
        "x paths has too many entries (maximum 50)",
    ]


def test_changes_paths_as_a_long_string_counts_characters() -> None:
    _, errors, _ = run(rules.changes, "x: {paths: " + "a" * 51 + "}\n")
    assert errors == [
        "x paths should be an array of strings",
        "x paths has too many entries (maximum 50)",
    ]


def test_changes_unknown_key_and_unknown_strategy_positions() -> None:
    assert run(rules.changes, "x: {paths: [a], foo: 1}\n")[2] == [(1, 17)]
    _, errors, marks = run(rules.changes, "x: 1\n", loc="Jobs:A:rules:rule:changes")
    # UnknownStrategy's message is not lowercased
    assert (errors, marks) == (["Jobs:A:rules:rule:changes should be an array or a hash"], [(1, 4)])


def test_exists_forms() -> None:
    assert run(rules.exists, "x: a.txt\n")[0] == rules.Exists(("a.txt",), at(1, 4))
    assert run(rules.exists, "x: false\n")[0] == rules.Exists((), at(1, 4))  # blank: simple
    assert run(rules.exists, "x: {}\n")[0] == rules.Exists((), at(1, 4))
    assert run(rules.exists, "x: {paths: null}\n")[0] == rules.Exists((), at(1, 4))
    _, errors, _ = run(rules.exists, "x: {paths: " + "b" * 51 + "}\n")
    assert errors == [
        "x paths should be an array of strings",
        "x paths has too many entries (maximum 50)",
    ]


def test_include_exists_has_no_simple_limit_but_checks_strings() -> None:
    # exists.rb:25, the include:rules:exists variant
    many = "[" + ", ".join(["a"] * 60) + "]"
    found, errors, _ = run(rules.include_exists, f"x: {many}\n")
    assert errors == [] and len(found.paths) == 60
    assert run(rules.include_exists, "x: [1]\n")[1] == ["x config should be an array of strings"]
    # the hash form keeps its limit
    assert run(rules.include_exists, f"x: {{paths: {many}}}\n")[1] == [
        "x paths has too many entries (maximum 50)"
    ]


def test_start_in_of_exactly_the_limit_is_accepted() -> None:
    # GitLab compares value.from_now < limit.from_now, reading the clock twice: equal passes
    # (job_spec.rb: start_in: '1 week' is valid).
    assert run(rules.job_rules, "x: [{when: delayed, start_in: 1 week}]\n")[1] == []
    assert run(rules.job_rules, "x: [{when: delayed, start_in: 7 days 1 second}]\n")[1] == [
        "x:rule start in should not exceed the limit"
    ]
