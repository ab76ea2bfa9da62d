"""variables and variable entries (cigen/config/variables.py; GitLab:
lib/gitlab/ci/config/entry/variables.rb, variable.rb). The spec examples are in
cases/variables.yaml and cases/variable.yaml."""

from __future__ import annotations

from cigen.config import variables
from cigen.config.variables import Variable
from config.entry_helpers import at, run


def test_typed_variables_with_data() -> None:
    found, errors, _ = run(
        variables.root_variables,
        "x:\n"
        "  A: 1\n"
        "  B: {value: b, description: Bee, options: [a, b], expand: false}\n"
        "  C: null\n"
        "  D: true\n",
    )
    assert errors == []
    assert found == (
        Variable("A", "1", at(2, 3), at(2, 6)),
        Variable("B", "b", at(3, 3), at(3, 14), "Bee", ("a", "b"), False),
        Variable("C", "", at(4, 3), at(4, 6)),
        Variable("D", "true", at(5, 3), at(5, 6)),
    )
    assert found[1].raw and not found[0].raw


def test_null_is_an_empty_hash() -> None:
    # ComposableHash: nil becomes {}; without value data that is "must be a string".
    assert run(variables.job_variables, "x: {A: null}\n")[1] == []
    assert run(variables.plain_variables, "x: {A: null}\n")[1] == ["x:a config must be a string"]


def test_complex_variable_checks_in_gitlab_order() -> None:
    _, errors, marks = run(
        variables.root_variables,
        "x:\n  V: {value: [1], description: [d], expand: 'no', options: [1], bad: 1}\n",
    )
    assert errors == [
        "x:v config value must be a scalar",
        "x:v config description must be an alphanumeric string",
        "x:v config expand should be a boolean value",
        "x:v config options should be an array of strings",
        "x:v config uses invalid data keys: bad",
        "x:v config value must be present in options",
    ]
    assert marks == [(2, 14), (2, 32), (2, 45), (2, 60), (2, 65), (2, 14)]


def test_value_must_be_among_the_options() -> None:
    # root_spec.rb: "variables:var config value must be present in options"
    def errors(text: str) -> list[str]:
        return run(variables.root_variables, f"x: {{VAR: {text}}}\n")[1]

    assert errors("{value: val, options: [val1, val2]}") == [
        "x:var config value must be present in options"
    ]
    assert errors("{options: [a]}") == ["x:var config value must be present in options"]
    assert errors("{value: val1, options: [val1, val2]}") == []
    assert errors("{value: val, options: []}") == []  # blank options are not checked
    # Ruby's ==: 1 is not "1", 1 is 1.0, true is not 1
    assert errors("{value: 1, options: ['1']}") == ["x:var config value must be present in options"]
    assert errors("{value: 1, options: [1.0]}") == [
        "x:var config options should be an array of strings"
    ]
    assert errors("{value: true, options: [1]}") == [
        "x:var config options should be an array of strings",
        "x:var config value must be present in options",
    ]
    # options that are not a list: a string is searched, a hash never holds the value
    assert errors("{value: al, options: val}") == [
        "x:var config options should be an array of strings"
    ]
    assert errors("{value: al, options: {al: 1}}") == [
        "x:var config options should be an array of strings",
        "x:var config value must be present in options",
    ]
    assert errors("{value: 1, options: 5}") == [
        "x:var config options should be an array of strings"
    ]


def test_unknown_strategy_has_no_location() -> None:
    _, errors, marks = run(variables.job_variables, "x:\n  A: [1]\n")
    assert (errors, marks) == (["variable definition must be either a string or a hash"], [(2, 6)])


def test_variables_must_be_a_hash() -> None:
    found, errors, marks = run(variables.root_variables, "x: [A]\n", loc="variables")
    assert (found, errors, marks) == (None, ["variables config should be a hash"], [(1, 4)])


def test_pipeline_variables_model_matches_gitlab_values() -> None:
    # yaml_processor_spec.rb "when variables have data other than value": GitLab's
    # root_variables and job_variables (value, raw).
    from cigen.config import validate
    from cigen.yaml.load import load_text

    text = (
        "variables:\n  VAR1: value1\n  VAR2: {value: value2, description: description2}\n"
        "  VAR3: {value: value3, expand: false}\n"
        "rspec:\n  script: rspec\n  variables:\n    VAR4: value4\n"
        "    VAR5: {value: value5, expand: false}\n    VAR6: {value: value6, expand: true}\n"
    )
    model = validate(load_text("ci.yml", text).body)
    assert model.errors == ()

    def data(found: tuple[Variable, ...]) -> list[tuple[str, str, bool | None]]:
        return [(v.name, v.value, None if v.expand is None else v.raw) for v in found]

    assert data(model.values["variables"]) == [
        ("VAR1", "value1", None),
        ("VAR2", "value2", None),
        ("VAR3", "value3", True),
    ]
    assert model.values["variables"][1].description == "description2"
    assert data(model.jobs["rspec"].value("variables")) == [
        ("VAR4", "value4", None),
        ("VAR5", "value5", True),
        ("VAR6", "value6", False),
    ]
