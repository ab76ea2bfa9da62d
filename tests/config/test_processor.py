"""The checks across jobs (``lib/gitlab/ci/yaml_processor.rb``, ``yaml_processor/dag.rb``) and
the normalizer (``lib/gitlab/ci/config/normalizer.rb``, ``normalizer/*``,
``interpolation/matrix_interpolator.rb``): where each error points, which rule reports it, and
the instances the normalizer makes. GitLab's messages themselves are checked by the
conformance cases (``cases/yaml_processor*.yaml``, ``cases/normalizer.yaml``).
"""

from __future__ import annotations

import random
import textwrap

import pytest

from cigen.config import processor, validate
from cigen.config.node import ConfigError
from cigen.config.processor import (
    acyclic,
    cycle,
    matrix_name,
    normalize,
    ruby_inspect_strings,
)
from cigen.config.root import root
from cigen.yaml.load import YMap, load_text


def _config(text: str) -> YMap:
    loaded = load_text(".gitlab-ci.yml", textwrap.dedent(text))
    assert loaded.ok and isinstance(loaded.body, YMap)
    return loaded.body


def _error(text: str) -> ConfigError:
    errors = validate(_config(text)).errors
    assert len(errors) == 1, errors
    return errors[0]


def _at(error: ConfigError) -> tuple[int, int]:
    return error.mark.line, error.mark.col


def test_unknown_stage_points_at_the_stage() -> None:
    error = _error(
        """\
        rspec:
          script: rspec
          stage: tset
        """
    )
    assert _at(error) == (3, 10)
    assert (error.rule, error.where) == ("CIG201", "jobs:rspec")
    assert error.hint == "did you mean 'test'? If not, add it to stages or fix the name"


def test_default_stage_missing_points_at_the_job() -> None:
    error = _error(
        """\
        stages: [build]
        rspec:
          script: rspec
        """
    )
    assert error.message.endswith("available stages are .pre, build, .post")
    assert _at(error) == (2, 1)
    assert error.hint == "set stage: or add 'test' to stages"


def test_undefined_need_points_at_the_need() -> None:
    error = _error(
        """\
        build:
          script: make
        test:
          script: make test
          needs:
            - build
            - job: biuld
        """
    )
    assert error.message == "test job: undefined need: biuld"
    assert _at(error) == (7, 12)
    assert error.rule == "CIG202"
    assert error.hint.endswith("or mark the need optional: true")


def test_need_in_a_later_stage() -> None:
    error = _error(
        """\
        build:
          stage: build
          script: make
          needs: [test]
        test:
          script: make test
        """
    )
    assert _at(error) == (4, 11)
    assert error.rule == "CIG203"
    assert error.hint == "test is in stage test: move one of the two jobs"


def test_dependency_errors_point_at_the_item() -> None:
    undefined = _error(
        """\
        test:
          script: make test
          dependencies:
            - build
        """
    )
    assert undefined.message == "test job: undefined dependency: build"
    assert (_at(undefined), undefined.rule) == ((4, 7), "CIG204")
    later = _error(
        """\
        test:
          script: make test
          dependencies: [deploy]
        deploy:
          stage: deploy
          script: make deploy
        """
    )
    assert (_at(later), later.rule) == ((3, 18), "CIG204")


def test_duplicated_need_points_at_the_repeat() -> None:
    error = _error(
        """\
        build:
          stage: build
          script: make
        test:
          script: make test
          needs: [build, build]
        """
    )
    assert error.message == "test has the following needs duplicated: build."
    assert (_at(error), error.rule) == ((6, 18), "CIG210")


def test_rules_needs_are_checked() -> None:
    error = _error(
        """\
        test:
          script: make test
          rules:
            - if: $A
              needs: [nothing]
        """
    )
    assert error.message == "test job: undefined need: nothing"
    assert _at(error) == (5, 15)


def test_child_pipeline_artifact_job_is_a_dependency() -> None:
    error = _error(
        """\
        child:
          trigger:
            include:
              - artifact: generated.yml
                job: generate
        """
    )
    assert error.message == "child job: undefined dependency: generate"
    assert _at(error) == (5, 14)


def test_child_pipeline_include_as_a_string_or_hash_is_not_checked() -> None:
    for include in ("generated.yml", "[generated.yml]"):
        model = validate(_config(f"child:\n  trigger:\n    include: {include}\n"))
        assert model.errors == ()


@pytest.mark.parametrize(
    ("close", "message", "hint"),
    [
        ("", "on_stop job close is not defined", "define that job or fix the name"),
        (
            "close: {script: x}",
            "on_stop job close does not have environment defined",
            "give close environment: {name: review, action: stop}",
        ),
        (
            "close: {script: x, environment: {name: other, action: stop}}",
            "on_stop job close have different environment name",
            "close stops other, not review",
        ),
        (
            "close: {script: x, environment: review}",
            "on_stop job close needs to have action stop defined",
            "set environment:action: stop in close",
        ),
    ],
)
def test_on_stop_errors_point_at_on_stop(close: str, message: str, hint: str) -> None:
    error = _error(
        f"review:\n  script: x\n  environment: {{name: review, on_stop: close}}\n{close}\n"
    )
    assert error.message == f"review job: {message}"
    assert error.hint == hint
    assert _at(error) == (3, 40)


def test_pages_publish_twice_points_at_publish() -> None:
    error = _error(
        """\
        pages:
          script: x
          pages: {publish: out}
          publish: public
        """
    )
    assert _at(error) == (4, 12)


def test_too_long_need_name() -> None:
    long = "a" * 253
    error = _error(
        f"{long}:\n  stage: build\n  script: x\n  parallel: 2\nb:\n  script: x\n  needs: [{long}]\n"
    )
    assert error.message.startswith(f"b job: need `{long} 1/2` name is too long")
    assert _at(error) == (7, 11)


def test_circular_dependency_points_at_a_need_in_the_loop() -> None:
    error = _error(
        """\
        a:
          script: x
          needs: [c]
        b:
          script: x
          needs: [a]
        c:
          script: x
          needs: [b]
        """
    )
    assert error.message.endswith('topological sort failed: ["a", "c", "b"]')
    assert (_at(error), error.rule, error.where) == ((6, 11), "CIG210", "jobs:b")


def test_normalizer_error_points_at_the_expression() -> None:
    error = _error(
        """\
        build:
          stage: build
          script: x
          parallel: 2
        test:
          script: x
          needs:
            - pipeline: $PARENT
              job: $[[ matrix.NAME ]]
        """
    )
    assert error.message == "test job: 'NAME' does not exist in matrix configuration"
    assert _at(error) == (8, 7)
    assert error.rule == "CIG002"


def test_entry_errors_stop_the_cross_job_checks() -> None:
    model = validate(_config("a:\n  script: x\n  stage: nope\n  when: sometimes\n"))
    assert [e.message for e in model.errors] == [
        "jobs:a when should be one of: on_success, on_failure, always, manual, delayed"
    ]


def test_normalize_makes_the_instances_gitlab_creates() -> None:
    model = root(
        _config(
            """\
            build:
              stage: build
              script: x
              variables: {FLAG: "1"}
              parallel:
                matrix:
                  - {OS: [linux, mac], ARCH: amd64}
            unit:
              script: x
              parallel: 2
              needs: [build]
              dependencies: [build]
            """
        )
    )
    normalized = normalize(model.jobs)
    assert normalized.errors == ()
    assert list(normalized.instances) == [
        "build: [linux, amd64]",
        "build: [mac, amd64]",
        "unit 1/2",
        "unit 2/2",
    ]
    first = normalized.instances["build: [linux, amd64]"]
    assert dict(first.variables) == {"OS": "linux", "ARCH": "amd64"}
    assert (first.index, first.total, first.stage) == (1, 2, "build")
    unit = normalized.instances["unit 2/2"]
    assert [n.name for n in unit.needs or ()] == ["build: [linux, amd64]", "build: [mac, amd64]"]
    assert [d.name for d in unit.dependencies or ()] == [n.name for n in unit.needs or ()]
    assert (unit.index, unit.total) == (2, 2)


def test_interpolation_uses_the_instance_values_and_job_variables() -> None:
    model = root(
        _config(
            """\
            build:
              stage: build
              script: x
              parallel: {matrix: [{OS: [linux]}]}
            test:
              script: x
              variables: {V: "1", RAW: {value: "2", expand: false}}
              parallel: {matrix: [{OS: [linux]}]}
              needs:
                - job: build
                  parallel: {matrix: [{OS: ["$[[ matrix.OS ]]"]}]}
                - job: $[[ matrix.V ]]-$[[ matrix.RAW ]]
                  optional: true
            """
        )
    )
    instance = normalize(model.jobs).instances["test: [linux]"]
    names = [n.name for n in instance.needs or ()]
    assert names == ["build: [linux]", '{:value=>"1"}-{:value=>"2", :raw=>true}']


def test_each_instance_gets_its_needs_written_alike_or_interpolated() -> None:
    """``Normalizer#normalize_job`` per instance: needs without ``$[[ matrix.* ]]`` expand the
    same in every instance, the others with each instance's values
    (``lib/gitlab/ci/config/normalizer.rb``)."""
    model = root(
        _config(
            """\
            build:
              stage: build
              script: x
              parallel: {matrix: [{OS: [linux, mac]}]}
            lint:
              stage: build
              script: x
            test:
              script: x
              parallel: {matrix: [{OS: [linux, mac]}]}
              needs:
                - job: build
                  parallel: {matrix: [{OS: [linux]}, {OS: [mac]}]}
                - lint
              dependencies: [build]
            package:
              script: x
              parallel: {matrix: [{OS: [linux, mac]}]}
              needs:
                - job: build
                  parallel: {matrix: [{OS: [linux]}, {OS: ["$[[ matrix.OS ]]"]}]}
            """
        )
    )
    instances = normalize(model.jobs).instances
    expected = {
        "test: [linux]": ["build: [linux]", "build: [mac]", "lint"],
        "test: [mac]": ["build: [linux]", "build: [mac]", "lint"],
        "package: [linux]": ["build: [linux]", "build: [linux]"],
        "package: [mac]": ["build: [linux]", "build: [mac]"],
    }
    for name, needs in expected.items():
        instance = instances[name]
        assert [n.name for n in instance.needs or ()] == needs
        assert instance.variables == {"OS": name.split("[")[1].rstrip("]")}
    tests = [instances["test: [linux]"], instances["test: [mac]"]]
    assert [(t.index, t.total) for t in tests] == [(1, 2), (2, 2)]
    assert [[d.name for d in t.dependencies or ()] for t in tests] == [
        ["build: [linux]", "build: [mac]"]
    ] * 2


def test_matrix_name() -> None:
    assert matrix_name("rspec", {"A": "x", "B": "y"}) == "rspec: [x, y]"


def test_cycle_follows_ruby_tsort() -> None:
    assert cycle({"a": ["b"], "b": []}) is None
    assert cycle({"a": ["a"]}) == ("self-dependency: a", "a", "a")
    assert cycle({"a": ["b"], "b": ["a"]}) == ('topological sort failed: ["a", "b"]', "b", "a")
    # a need on a name that is not a node (an optional need) has no children
    assert cycle({"a": ["gone"], "b": ["a"]}) is None
    # a loop below the first node is reported from its own first node
    found = cycle({"x": ["a"], "a": ["b"], "b": ["c"], "c": ["a"]})
    assert found == ('topological sort failed: ["a", "b", "c"]', "c", "a")


def test_cycle_on_a_long_chain_is_iterative() -> None:
    size = 20_000
    graph = {f"j{i}": [f"j{i + 1}"] for i in range(size)}
    graph[f"j{size}"] = []
    assert cycle(graph) is None
    graph[f"j{size}"] = ["j0"]
    found = cycle(graph)
    assert found is not None and found[1:] == (f"j{size}", "j0")


def test_acyclic_says_whether_cycle_finds_a_loop() -> None:
    assert acyclic({}) and acyclic({"a": [], "b": ["a", "gone"]})
    assert not acyclic({"a": ["a"]})
    assert not acyclic({"x": ["a"], "a": ["b"], "b": ["c"], "c": ["a"]})
    # random graphs of up to four nodes with up to two needs each, some on names that are no node
    rng = random.Random(7)
    names = ["a", "b", "c", "d", "gone"]
    for _ in range(3000):
        graph = {n: rng.sample(names, rng.randint(0, 2)) for n in names[: rng.randint(1, 4)]}
        assert acyclic(graph) == (cycle(graph) is None), graph
    chain = {f"j{i}": [f"j{i + 1}"] for i in range(20_000)}
    assert acyclic(chain)
    chain["j20000"] = ["j0"]
    assert not acyclic(chain)


def test_acyclic_with_shared_lists_of_needs_agrees_with_cycle() -> None:
    """Nodes sharing one list of needs (a parallel job's instances) are walked once."""
    rng = random.Random(11)
    names = ["a", "b", "c", "d", "e", "gone"]
    for _ in range(3000):
        lists = [rng.sample(names, rng.randint(0, 2)) for _ in range(2)]
        graph = {n: rng.choice(lists) for n in names[: rng.randint(1, 5)]}
        assert acyclic(graph) == (cycle(graph) is None), graph
    shared = ["b"]
    assert acyclic({"a": shared, "c": shared, "b": []})
    assert not acyclic({"b": ["a"], "a": shared, "c": shared})
    assert not acyclic({"c": shared, "a": ["c"], "b": ["a"], "d": shared})


def test_circular_asks_the_graph_of_shared_needs_as_cycle_does() -> None:
    """Instances sharing one tuple of needs (a parallel job's) are one node of the graph the
    loop check walks first: a loop is found exactly when the instances have one."""
    rng = random.Random(5)
    names = ["a", "b", "c", "d"]
    for _ in range(150):
        lines = []
        for name in names:
            needs = ", ".join(rng.sample(names, rng.randint(0, 2)))
            parallel = "parallel: 2, " if rng.random() < 0.5 else ""
            lines.append(f"{name}: {{script: x, {parallel}needs: [{needs}]}}")
        instances = normalize(root(_config("\n".join(lines) + "\n")).jobs).instances
        graph = {name: [n.name for n in i.needs or ()] for name, i in instances.items()}
        assert (processor._circular(instances) is None) == (cycle(graph) is None), lines


def test_a_loop_through_parallel_instances_is_named() -> None:
    model = root(_config("a: {script: x, parallel: 2, needs: [b]}\nb: {script: x, needs: [a]}\n"))
    (error,) = processor.errors(model)
    assert error.message == (
        'The pipeline has circular dependencies: topological sort failed: ["a 1/2", "b", "a 2/2"]'
    )


def test_ruby_inspect_strings_escapes_like_ruby() -> None:
    text = ruby_inspect_strings(['a"b', "c\\d", "e\nf", "#{x}", "#$y", "#z", "\x01", "é"])
    assert text == r'["a\"b", "c\\d", "e\nf", "\#{x}", "\#$y", "#z", "\x01", "é"]'


def test_each_parallel_instance_reports_its_errors() -> None:
    """The instances share their needs, dependencies and job: checks that pass for one are not
    repeated, those that fail are reported for each instance (``yaml_processor.rb`` validates
    every job the normalizer made)."""
    model = root(
        _config(
            """\
            build:
              stage: build
              script: x
            rspec:
              stage: test
              parallel: 2
              script: x
              needs: [build]
            lint:
              parallel: 2
              script: x
              needs: [missing, build]
              dependencies: [gone]
              environment: {name: review, on_stop: stop}
            """
        )
    )
    found = [(e.message, _at(e)) for e in processor.errors(model)]
    assert found == [
        (f"lint {i}/2 job: {text}", where)
        for i in (1, 2)
        for text, where in [
            ("undefined dependency: gone", (13, 18)),
            ("undefined need: missing", (12, 11)),
            ("on_stop job stop is not defined", (14, 40)),
        ]
    ]


@pytest.mark.parametrize("parallel", ["", "parallel: 3"])
def test_jobs_sharing_needs_share_them_and_are_checked_in_each_stage(parallel: str) -> None:
    """Jobs whose needs are one value at one position (a merged template) share the expanded
    needs, and what passed in one stage is still checked in another."""
    model = root(
        _config(
            f"""\
            build: {{stage: build, script: x, {parallel}}}
            late: {{stage: deploy, script: x}}
            .needs: &needs {{needs: [build, late]}}
            a: {{<<: *needs, stage: deploy, script: x}}
            b: {{<<: *needs, stage: test, script: x}}
            c: {{<<: *needs, stage: deploy, script: x}}
            """
        )
    )
    instances = normalize(model.jobs).instances
    assert instances["a"].needs is instances["b"].needs is instances["c"].needs
    assert [(e.message, _at(e)) for e in processor.errors(model)] == [
        ("b job: need late is not defined in current or prior stages", (3, 32))
    ]


def test_errors_goes_on_past_the_first() -> None:
    model = root(
        _config(
            """\
            a:
              stage: nope
              script: x
              needs: [missing, {job: gone, optional: true}]
              environment: {name: review, on_stop: stop}
            b:
              script: x
              needs: [a, a]
            c:
              script: x
              needs: [c]
            """
        )
    )
    assert model.errors == ()
    assert [e.message for e in processor.errors(model)] == [
        "a job: chosen stage nope does not exist; available stages are .pre, build, test, "
        "deploy, .post",
        "a job: undefined need: missing",
        "a job: on_stop job stop is not defined",
        "b job: need a is not defined in current or prior stages",
        "b job: need a is not defined in current or prior stages",
        "b has the following needs duplicated: a.",
        "The pipeline has circular dependencies: self-dependency: c",
    ]
    assert [e.message for e in validate(_config("a:\n  script: x\n")).errors] == []
