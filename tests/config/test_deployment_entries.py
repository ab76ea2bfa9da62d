"""Typed values and positions of the environment, trigger, inherit and include entries
(``lib/gitlab/ci/config/entry/environment.rb``, ``kubernetes.rb``, ``trigger.rb``,
``trigger/forward.rb``, ``inherit.rb``, ``inherit/*``, ``include.rb``, ``include/rules*``,
``external/rules.rb``) and the JSON schema check (``entry/schemas/kubernetes/*``). GitLab's
messages are checked by the conformance cases; here: what the entries return and where their
errors point.
"""

from __future__ import annotations

import textwrap
from typing import Any

from cigen.config import environment, include, inherit, schemer, trigger
from cigen.config.node import Check
from cigen.diagnostics import Mark
from cigen.yaml.load import YMap, load_text

MARK = Mark("x.yml", 1, 1)


def _yaml(text: str) -> Any:
    loaded = load_text("x.yml", textwrap.dedent(text))
    assert loaded.ok
    return loaded.body


def _entry(function: Any, text: str, loc: str) -> tuple[Any, Check]:
    body = _yaml(text)
    assert isinstance(body, YMap)
    c = Check()
    value = function(c, body["value"], body.value_mark("value"), loc)
    return value, c


def test_environment_string_and_hash() -> None:
    value, c = _entry(environment.environment, "value: production\n", "environment")
    assert not c.errors
    assert (value.name, value.action, value.effective_action, value.url) == (
        "production",
        "start",
        "start",
        None,
    )
    value, c = _entry(
        environment.environment,
        """\
        value:
          name: review/$CI_COMMIT_REF_SLUG
          on_stop: stop_review
          auto_stop_in: 1 day
          deployment_tier: development
          kubernetes: {agent: a/b:agent, namespace: review}
        """,
        "environment",
    )
    assert not c.errors
    assert value.action is None and value.effective_action == "start"
    assert (value.on_stop, value.on_stop_mark) == ("stop_review", Mark("x.yml", 3, 12))
    assert (value.auto_stop_in, value.deployment_tier) == ("1 day", "development")
    assert value.kubernetes.agent == "a/b:agent" and value.kubernetes.namespace == "review"
    assert value.name_mark == Mark("x.yml", 2, 9)


def test_environment_errors_point_at_the_value() -> None:
    _, c = _entry(
        environment.environment,
        """\
        value:
          name: /review
          action: deploy
          colour: blue
        """,
        "jobs:a:environment",
    )
    assert [(e.mark.line, e.mark.col) for e in c.errors] == [(2, 9), (4, 3), (3, 11)]
    assert all(e.where == "jobs:a:environment" for e in c.errors)


def test_kubernetes_error_inside_the_environment() -> None:
    value, c = _entry(
        environment.environment,
        "value: {name: x, kubernetes: {agent: {}}}\n",
        "environment",
    )
    assert value is None
    assert [e.message for e in c.errors] == ["environment:kubernetes agent should be a string"]
    assert c.errors[0].mark == Mark("x.yml", 1, 38)


def test_kubernetes_dashboard_too_large() -> None:
    _, c = _entry(
        environment.kubernetes,
        f"value: {{agent: a, dashboard: {{namespace: {'n' * 70000}}}}}\n",
        "kubernetes",
    )
    assert [e.message for e in c.errors] == [
        "kubernetes dashboard is too large. maximum size allowed is 64 kb"
    ]


def test_schemer_messages() -> None:
    schema = {
        "type": "object",
        "properties": {
            "user": {"type": ["string", "integer"], "minLength": 1},
            "on": {"type": "null"},
            "count": {"type": "integer"},
            "items": {"type": "array"},
            "ratio": {"type": "number"},
            "more": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    found = schemer.errors(
        schema,
        {"user": [], "on": 1, "count": 1.0, "items": {}, "ratio": "x", "more": {"a": 1}},
    )
    assert found == [
        'value at `/user` is not one of the types: ["string", "integer"]',
        "value at `/on` is not null",
        "value at `/items` is not an array",
        "value at `/ratio` is not a number",
        "value at `/more/a` is not a string",
    ]
    assert schemer.errors({"type": "string", "minLength": 1}, "") == [
        "string length at root is less than: 1"
    ]
    assert schemer.errors(False, 1) == []  # type: ignore[arg-type]


def test_trigger_values() -> None:
    value, c = _entry(trigger.trigger, "value: group/project\n", "trigger")
    assert not c.errors and (value.project, value.child) == ("group/project", False)
    value, c = _entry(
        trigger.trigger,
        """\
        value:
          include: [{local: a.yml}, b.yml]
          strategy: depend
          forward: {yaml_variables: false}
        """,
        "trigger",
    )
    assert not c.errors and value.child and value.strategy == "depend"
    assert [i.value for i in value.includes] == [{"local": "a.yml"}, "b.yml"]
    assert value.forward == trigger.Forward(yaml_variables=False)
    value, c = _entry(
        trigger.trigger,
        "value: {project: a/b, branch: main, inputs: {x: 1}, forward: text}\n",
        "trigger",
    )
    assert not c.errors
    assert (value.branch, dict(value.inputs), value.forward) == (
        "main",
        {"x": 1},
        trigger.Forward(),
    )


def test_trigger_child_errors_stop_the_entry() -> None:
    value, c = _entry(trigger.trigger, "value: {include: [1], forward: {a: 1}}\n", "t")
    assert value is None
    assert [e.message for e in c.errors] == [
        "t:include:include config should be a hash or a string",
        "t:forward config contains unknown keys: a",
    ]


def test_inherit_values() -> None:
    value, c = _entry(inherit.inherit, "value: {default: [image, cache], variables: [A]}\n", "i")
    assert not c.errors
    assert value.inherits_default("image") and not value.inherits_default("tags")
    assert value.inherits_variable("A") and not value.inherits_variable("B")
    value, c = _entry(inherit.inherit, "value: {default: false}\n", "i")
    assert not value.inherits_default("image") and value.inherits_variable("B")
    assert inherit.NOTHING_SET.inherits_default("image")
    names = {"A", "B"}
    assert inherit.NOTHING_SET.variables_taken(names) is names  # every one
    for text in ("{variables: [A, C]}", "{variables: false}", "{variables: true}"):
        value, _c = _entry(inherit.inherit, f"value: {text}\n", "i")
        taken = value.variables_taken(names)
        assert taken == {name for name in names if value.inherits_variable(name)}, text


def test_inherit_unknown_values_join_like_ruby() -> None:
    _, c = _entry(inherit.inherit_default, "value: [[a, b], image, 1]\n", "d")
    assert [e.message for e in c.errors] == [
        "d config should be an array of strings",
        "d config contains unknown values: a, b, 1",
    ]


def test_include_values() -> None:
    value, c = _entry(
        include.include,
        """\
        value:
          local: a.yml
          rules:
            - if: $A
              when: never
            - exists: [a]
              changes: [b]
        """,
        "include",
    )
    assert not c.errors
    first, second = value.rules
    assert (first.if_, first.when, first.mark) == ("$A", "never", Mark("x.yml", 4, 7))
    assert second.exists.paths == ("a",) and second.changes.paths == ("b",)
    value, _ = _entry(include.include, "value: {artifact: a.yml, job: gen}\n", "include")
    assert value.job == "gen"
    value, _ = _entry(include.include, "value: a.yml\n", "include")
    assert value.job is None


def test_includes_flatten_and_skip_nulls() -> None:
    value, c = _entry(include.includes, "value: [a.yml, [b.yml, null]]\n", "include")
    assert not c.errors and [i.value for i in value] == ["a.yml", "b.yml"]
    assert [i.mark.col for i in value] == [9, 17]


def test_include_rule_children_errors() -> None:
    value, c = _entry(include.include_rule, "value: {changes: 1}\n", "rule")
    assert value is None
    assert [e.message for e in c.errors] == ["rule:changes should be an array or a hash"]


def test_strict_base64() -> None:
    assert include.strict_base64("")
    assert include.strict_base64("QQ==") and include.strict_base64("QUI=")
    assert not include.strict_base64("QR==") and not include.strict_base64("QUJ=")
    assert not include.strict_base64("QQ") and not include.strict_base64("Q===")


def test_include_cache_never_is_not_a_configuration_error() -> None:
    _, c = _entry(include.include, "value: {remote: 'https://x/y.yml', cache: never}\n", "i")
    assert not c.errors


def test_external_rules_error() -> None:
    body = _yaml("rules:\n  - if: $A\n    foo: 1\n")
    error = include.external_rules_error(body["rules"], body.value_mark("rules"))
    assert error is not None
    assert error.message == "include:rules:rule config contains unknown keys: foo"
    assert (error.mark.line, error.mark.col, error.where) == (3, 5, "include")
    assert include.external_rules_error(None, MARK) is None
    body = _yaml("rules:\n  - if: $A\n")
    assert include.external_rules_error(body["rules"], body.value_mark("rules")) is None
    error = include.external_rules_error({"if": "$A"}, MARK)
    assert error is not None and error.message == "include:rules config should be an array"
