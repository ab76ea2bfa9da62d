"""needs and need entries (cigen/config/needs.py; GitLab: lib/gitlab/ci/config/entry/needs.rb,
need.rb). The spec examples are in cases/needs.yaml and cases/need.yaml."""

from __future__ import annotations

from cigen.config import needs
from cigen.config.needs import Need
from cigen.config.parallel import MatrixRow, Parallel
from config.entry_helpers import at, run


def test_typed_needs_in_order_with_nested_lists_and_nulls() -> None:
    found, errors, _ = run(
        needs.job_needs,
        "x:\n"
        "  - build\n"
        "  - [{job: test, artifacts: false, optional: true}, null]\n"
        "  - {job: up, pipeline: $P}\n",
    )
    assert errors == []
    assert found == (
        Need("job", at(2, 5), job="build"),
        Need("job", at(3, 6), job="test", artifacts=False, optional=True),
        Need("cross_dependency", at(4, 5), job="up", pipeline="$P"),
    )
    assert needs.job_names(found) == {"build", "test"}
    assert needs.bridge_pipelines(found) == []


def test_a_hash_is_one_need() -> None:
    found, errors, _ = run(needs.job_needs, "x: {job: a, parallel: {matrix: [{A: [1, 2]}]}}\n")
    assert errors == []
    assert found == (
        Need(
            "job",
            at(1, 4),
            job="a",
            parallel=Parallel(at(1, 23), matrix=(MatrixRow((("A", ("1", "2")),), at(1, 33)),)),
        ),
    )


def test_empty_hash_and_wrong_types() -> None:
    assert run(needs.job_needs, "x: {}\n")[1] == ["x config can not be an empty hash"]
    assert run(needs.job_needs, "x: build\n")[1] == ["x config can only be a hash or an array"]


def test_job_hash_checks() -> None:
    _, errors, marks = run(
        needs.job_needs, "x:\n  - {job: null, artifacts: 'yes', optional: 1, extra: 2}\n"
    )
    assert errors == [
        "x:need config contains unknown keys: extra",
        "x:need job should be a string",
        "x:need job can't be blank",
        "x:need artifacts should be a boolean value",
        "x:need optional should be a boolean value",
    ]
    assert marks == [(2, 48), (2, 11), (2, 11), (2, 28), (2, 45)]


def test_cross_pipeline_checks() -> None:
    _, errors, _ = run(needs.job_needs, "x: [{job: '', pipeline: 1, artifacts: no}]\n")
    assert errors == [
        "x:need pipeline should be a string",
        "x:need job can't be blank",
    ]
    _, errors, _ = run(needs.job_needs, "x: [{job: a, pipeline: $P, artifacts: 1}]\n")
    assert errors == ["x:need artifacts should be a boolean value"]


def test_invalid_need_parallel_makes_the_need_invalid() -> None:
    found, errors, _ = run(needs.job_needs, "x: [{job: a, parallel: {matrix: [{A: null}]}}]\n")
    assert found is None
    assert errors == [
        "x:need:parallel:matrix:variables config should be a hash of key value pairs, "
        "value can be an array"
    ]


def test_unsupported_type_message_keeps_its_case() -> None:
    _, errors, _ = run(needs.job_needs, "x: [{project: g/p}]\n", loc="jobs:Build:needs")
    assert errors == ["jobs:Build:needs:need has an unsupported type"]


def test_kinds_each_context_allows() -> None:
    # bridge.rb: allowed_needs job, bridge; a cross-pipeline need is refused
    assert run(needs.bridge_needs, "x: [{job: a, pipeline: $P}]\n")[1] == [
        "x config uses invalid types: cross_dependency"
    ]
    # rules:needs allows only jobs; every kind is named once, in order of appearance
    _, errors, _ = run(
        needs.rule_needs, "x: [{pipeline: g/p}, {job: a, pipeline: $P}, {pipeline: g/q}]\n"
    )
    assert errors == ["x config uses invalid types: bridge, cross_dependency"]


def test_ee_shapes_are_accepted() -> None:
    found, errors, _ = run(needs.bridge_needs, "x: [{pipeline: group/project}, build]\n")
    assert errors == []
    assert needs.bridge_pipelines(found) == [Need("bridge", at(1, 5), pipeline="group/project")]
    assert needs.job_names(found) == {"build"}
    found, errors, _ = run(
        needs.job_needs, "x: [{job: a, project: g/p, ref: main, artifacts: false}]\n"
    )
    assert errors == []
    assert found == (
        Need("cross_dependency", at(1, 5), job="a", artifacts=False, project="g/p", ref="main"),
    )
    # a malformed EE shape is CE's unsupported type
    for bad in ("{job: a, project: g/p, ref: 1}", "{pipeline: ''}", "{job: a, ref: main}"):
        assert run(needs.job_needs, f"x: [{bad}]\n")[1] == ["x:need has an unsupported type"]


def test_cross_pipeline_limit_counts_only_pipeline_needs() -> None:
    items = ", ".join(f"{{job: a, project: g/p{i}}}" for i in range(6))
    assert run(needs.job_needs, f"x: [{items}]\n")[1] == []
    items = ", ".join(f"{{job: a, pipeline: $P{i}}}" for i in range(5))
    assert run(needs.job_needs, f"x: [{items}]\n")[1] == []


def test_job_names_without_job_needs() -> None:
    assert needs.job_names(None) is None
    found = run(needs.job_needs, "x: [{job: a, pipeline: $P}]\n")[0]
    assert needs.job_names(found) is None
    assert needs.bridge_pipelines(None) == []


def test_pipeline_needs_model_with_a_matrix_instance() -> None:
    # yaml_processor_spec.rb "needs with parallel:matrix"
    from cigen.config import validate
    from cigen.yaml.load import load_text

    text = (
        "build1:\n  stage: build\n  script: build\n"
        "  parallel: {matrix: [{PROVIDER: [aws], STACK: [monitoring, app1, app2]}]}\n"
        "test1:\n  stage: test\n  script: test\n"
        "  needs: [{job: build1, parallel: {matrix: [{PROVIDER: [aws], STACK: [app1]}]}}]\n"
    )
    model = validate(load_text("ci.yml", text).body)
    assert model.errors == ()
    assert model.jobs["build1"].value("parallel").jobs == 3
    (need,) = model.jobs["test1"].value("needs")
    assert need.job == "build1"
    assert need.parallel.matrix[0].as_dict() == {"PROVIDER": ("aws",), "STACK": ("app1",)}


def test_the_lists_errors_come_before_those_of_its_needs() -> None:
    """needs.rb validates the list (its types) before its needs' own errors are collected."""
    found, errors, _ = run(needs.rule_needs, "x: [{pipeline: $X, job: y}, '', '  ']\n")
    assert found is None
    assert errors == [
        "x config uses invalid types: cross_dependency",
        "x:need config can't be blank",
        "x:need config can't be blank",
    ]


def test_names_with_spaces_are_names() -> None:
    found, errors, _ = run(needs.job_needs, "x: [a, ' b ']\n")
    assert errors == []
    assert found == (Need("job", at(1, 5), job="a"), Need("job", at(1, 8), job=" b "))
