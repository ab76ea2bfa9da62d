"""Entries checked once per value (:meth:`cigen.config.node.Check.reuse`), and the helpers the
entry tree runs for every job (``lib/gitlab/config/entry/validators.rb``:
``NestedArrayHelpers``; ``lib/gitlab/ci/config/entry/processable.rb``:
``validate_against_warnings``)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from cigen.config import validate
from cigen.config.jobs import checked_jobs
from cigen.config.node import Check, flat_items, flatten, nested_leaves
from cigen.config.root import commands, root
from cigen.diagnostics import Mark
from cigen.yaml.load import YMap, YSeq, load_text

HERE = Mark("ci.yml", 1, 1)


def _config(text: str) -> YMap:
    loaded = load_text(".gitlab-ci.yml", textwrap.dedent(text))
    assert loaded.ok and isinstance(loaded.body, YMap)
    return loaded.body


def test_a_shared_valid_value_is_checked_once() -> None:
    """Jobs that share a rule (an alias here; ``extends`` and ``!reference`` the same) get
    the one typed rule, and their own typed list."""
    tree = root(
        _config(
            """
            .rules: &rules
              - if: $CI_COMMIT_TAG
                when: manual
            a:
              script: x
              rules: *rules
            b:
              script: y
              rules: *rules
            """
        )
    )
    assert not tree.errors
    first, second = tree.jobs["a"].value("rules"), tree.jobs["b"].value("rules")
    assert first[0] is second[0]
    assert first[0].when == "manual" and first[0].mark == Mark(".gitlab-ci.yml", 3, 5)


def test_a_shared_value_with_an_error_is_reported_for_every_job() -> None:
    """An entry that added an error is run again: each job's message names the job."""
    config = _config(
        """
        .cache: &cache
          key: k
          when: sometimes
        .rules: &rules
          - if: $A
            when: later
        a:
          script: x
          cache: *cache
          rules: *rules
        b:
          script: y
          cache: *cache
          rules: *rules
        """
    )
    messages = [e.message for e in validate(config).errors]
    assert messages == [
        "jobs:a:rules:rule when unknown value: later",
        "jobs:a:cache when should be one of: on_success, on_failure, always",
        "jobs:b:rules:rule when unknown value: later",
        "jobs:b:cache when should be one of: on_success, on_failure, always",
    ]


def test_each_job_checked_on_its_own_shares_values() -> None:
    """checked_jobs (a ``jobs`` entry that stopped at a key that is no job) reuses what it
    checked for an earlier job."""
    config = _config(
        """
        .services: &services [{name: postgres, alias: db}]
        a: {script: x, services: *services}
        b: {script: y, services: *services}
        c: {services: *services}
        """
    )
    tree = root(config)
    assert tree.errors and not tree.jobs
    jobs = checked_jobs(tree, config).jobs
    assert list(jobs) == ["a", "b"]
    (first,), (second,) = jobs["a"].value("services"), jobs["b"].value("services")
    assert first is second and first.alias == "db"


def test_reuse_keeps_only_what_added_nothing() -> None:
    calls: list[str] = []

    def entry(c: Check, value: Any, mark: Mark, loc: str) -> int:
        calls.append(loc)
        if "bad" in value:
            c.add(loc, "config", "is bad", mark)
        if "odd" in value:
            c.warn(loc, "is odd", mark)
        return len(calls)

    good, bad, odd = YMap(HERE), YMap(HERE), YMap(HERE)
    bad["bad"], odd["odd"] = 1, 1
    c = Check(memo={})
    assert [c.reuse(entry, good, HERE, loc) for loc in ("a", "b")] == [1, 1]
    assert c.reuse(entry, good, Mark("ci.yml", 2, 1), "c") == 2  # another position
    assert [c.reuse(entry, bad, HERE, loc) for loc in ("d", "e")] == [3, 4]
    assert [c.reuse(entry, odd, HERE, loc) for loc in ("f", "g")] == [5, 6]
    assert c.reuse(entry, "text", HERE, "h") == 7  # scalars are not kept
    assert c.reuse(entry, "text", HERE, "i") == 8
    assert calls == ["a", "c", "d", "e", "f", "g", "h", "i"]
    assert [e.message for e in c.errors] == ["d config is bad", "e config is bad"]
    assert [w.message for w in c.warnings] == ["f is odd", "g is odd"]
    assert c.child().memo is c.memo and not c.child().errors
    plain = Check()  # no memo: every call runs
    assert [plain.reuse(entry, good, HERE, "j") for _ in range(2)] == [9, 10]


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "leaves"),
    [
        (["a", ["b", ["c"]], [], "d"], ["a", "b", "c", "d"]),
        (_nest("x", 10), ["x"]),  # ten levels of arrays
        (_nest("x", 11), None),
        ([["a"], 1], None),
        (["a", None], None),
        ("a", None),  # not an array
        ([], []),
    ],
)
def test_nested_leaves_follows_validate_nested_array(value: Any, leaves: Any) -> None:
    assert nested_leaves(value, 10, str) == leaves
    if leaves is not None:
        assert leaves == flatten(value)


def test_commands_up_to_ten_levels() -> None:
    c = Check()
    assert commands(c, _nest("make", 10), HERE, "script") == ("make",)
    assert commands(c, "make", HERE, "script") == ("make",)
    assert not c.errors
    assert commands(c, _nest("make", 11), HERE, "script") is None
    assert [e.message for e in c.errors] == [
        "script config should be a string or a nested array of strings up to 10 levels deep"
    ]


def test_flat_items_positions() -> None:
    """Each item at its own position; a plain list's items at the list's."""
    inner = YSeq(Mark("ci.yml", 2, 1))
    inner.push("b", Mark("ci.yml", 2, 3))
    inner.append("c")  # no position of its own: the sequence's
    outer = YSeq(Mark("ci.yml", 1, 1))
    outer.push("a", Mark("ci.yml", 1, 3))
    outer.push(inner, Mark("ci.yml", 2, 1))
    outer.push(["d", ["e"]], Mark("ci.yml", 3, 1))
    assert flat_items(outer, HERE) == [
        ("a", Mark("ci.yml", 1, 3)),
        ("b", Mark("ci.yml", 2, 3)),
        ("c", Mark("ci.yml", 2, 1)),
        ("d", Mark("ci.yml", 3, 1)),
        ("e", Mark("ci.yml", 3, 1)),
    ]
    assert flat_items("x", HERE) == [("x", HERE)]


def test_rules_of_empty_lists_warn_nothing() -> None:
    """processable.rb: ``rules_value.last`` is nil when the nested lists hold no rule."""
    tree = validate(
        _config("a:\n  script: x\n  rules: [[]]\nb:\n  script: y\n  rules: [[when: always]]\n")
    )
    assert not tree.errors
    assert [w.message.split(" may ")[0] for w in tree.warnings] == ["jobs:b"]


def test_jobs_share_the_variables_of_a_template() -> None:
    """A scalar variable written once is one record however many jobs take it; a variable of
    the same name written elsewhere is its own."""
    tree = root(
        _config(
            """
            .vars: &vars {RAILS_ENV: test, RETRIES: 3}
            a: {script: x, variables: *vars}
            b: {script: y, variables: *vars}
            c: {script: z, variables: {RAILS_ENV: test}}
            """
        )
    )
    a, b, c = (tree.jobs[name].value("variables") for name in "abc")
    assert a[0] is b[0] and a[1] is b[1]
    assert [(v.name, v.value) for v in a] == [("RAILS_ENV", "test"), ("RETRIES", "3")]
    assert (c[0].mark, c[0].value_mark) == (
        Mark(".gitlab-ci.yml", 5, 28),
        Mark(".gitlab-ci.yml", 5, 39),
    )
    assert c[0] is not a[0] and a[0].mark == Mark(".gitlab-ci.yml", 2, 15)


def test_rules_reading_templates_reuse_the_jobs_checks(tmp_path: Any) -> None:
    """A template's ``services`` are checked for the rules that read templates
    (``written_images``: hidden keys are no jobs of GitLab's entry tree) with the run's
    memo (``Pipeline.entry_memo``): a job extending it already checked the very same list,
    so the template gets the job's typed services, not a second check."""
    from cigen.lint.context import LintContext
    from cigen.lint.engine import load_pipeline
    from cigen.rules._common import written_images

    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(
        textwrap.dedent(
            """
            .dind:
              services: [docker:dind]
            build:
              extends: .dind
              script: make
            """
        )
    )
    pipeline = load_pipeline(ci, root=tmp_path)
    model = pipeline.checked_model
    assert model is not None
    service = model.jobs["build"].value("services")[0]
    found = list(written_images(LintContext(pipeline=pipeline), "services"))
    assert found == [(service.image, ".dind")]
    assert found[0][0] is service.image


def test_jobs_of_one_template_take_one_tuple_of_variables(tmp_path: Any) -> None:
    """The variables a job takes (the global ones ``inherit:`` lets through, then its own:
    lib/gitlab/ci/config/entry/processable.rb, inherit/variables.rb) are worked out once for
    jobs whose own variables and ``inherit:`` are the same objects (a template's); a job with
    other ones gets its own."""
    from cigen.lint.engine import load_pipeline

    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(
        textwrap.dedent(
            """
            variables: {G: g, H: h, T: global}
            .t:
              variables: {T: own}
              inherit: {variables: [G, T]}
            a: {extends: .t, script: x}
            b: {extends: .t, script: y}
            c: {script: z, variables: {T: mine}}
            """
        )
    )
    jobs = load_pipeline(ci, root=tmp_path).model_jobs
    taken = {name: [(v.name, v.value) for v in job.variables] for name, job in jobs.items()}
    assert taken == {
        "a": [("G", "g"), ("T", "own")],
        "b": [("G", "g"), ("T", "own")],
        "c": [("G", "g"), ("H", "h"), ("T", "mine")],
    }
    assert jobs["a"].variables is jobs["b"].variables
