"""The job model rules read (``cigen.config.jobs``): what a job takes from ``default:``, the
deprecated top-level keys and the global ``variables`` as ``inherit:`` allows
(``lib/gitlab/ci/config/entry/processable.rb``, ``inherit/default.rb``,
``inherit/variables.rb``), and its instances after the normalizer (``normalizer.rb``)."""

from __future__ import annotations

import textwrap

from cigen.config import validate
from cigen.config.jobs import PipelineJob, checked_jobs, pipeline_jobs
from cigen.yaml.load import YMap, load_text


def _jobs(text: str) -> dict[str, PipelineJob]:
    loaded = load_text(".gitlab-ci.yml", textwrap.dedent(text))
    assert loaded.ok and isinstance(loaded.body, YMap)
    return pipeline_jobs(checked_jobs(validate(loaded.body), loaded.body), loaded.body)


def test_default_values_are_taken_unless_the_job_sets_them() -> None:
    jobs = _jobs(
        """\
        image: ruby:3
        default:
          tags: [docker]
          before_script: [setup]
        own:
          tags: [gpu]
          script: [x]
        taker:
          script: [x]
        """
    )
    own, taker = jobs["own"], jobs["taker"]
    assert own.value("tags") == ("gpu",) and "tags" not in own.inherited
    assert (own.own_mark("tags").line, own.own_mark("tags").col) == (6, 9)
    assert taker.value("tags") == ("docker",)
    assert taker.inherited == {"tags", "before_script", "image"}
    assert taker.own_mark("tags") == taker.mark  # not written in the job
    assert taker.value("image").name == "ruby:3"  # the deprecated top-level image
    assert [(line, m.line, m.col) for line, m in taker.lines("before_script")] == [("setup", 4, 19)]


def test_inherit_limits_defaults_and_global_variables() -> None:
    jobs = _jobs(
        """\
        variables: {A: "1", B: "2"}
        default:
          tags: [docker]
          image: alpine
        some:
          inherit:
            default: [image]
            variables: [B]
          variables: {C: "3"}
          script: [x]
        none:
          inherit: {default: false, variables: false}
          script: [x]
        trigger:
          trigger: child/project
        """
    )
    some = jobs["some"]
    assert some.inherited == {"image"}
    assert some.variable_values() == {"B": "2", "C": "3"}
    assert jobs["none"].inherited == frozenset() and jobs["none"].variables == ()
    assert jobs["trigger"].kind == "bridge" and jobs["trigger"].inherited == frozenset()
    assert jobs["trigger"].variable_values() == {"A": "1", "B": "2"}


def test_own_variables_win_over_global_ones() -> None:
    jobs = _jobs('variables: {A: "1"}\njob:\n  variables: {A: "2"}\n  script: [x]\n')
    assert jobs["job"].variable_values() == {"A": "2"}


def test_needs_name_the_instances_and_rules_needs_are_read() -> None:
    jobs = _jobs(
        """\
        build:
          script: [x]
          parallel:
            matrix:
              - OS: [linux, mac]
        test:
          needs: [build]
          rules:
            - if: $A
              needs: [{job: build, optional: true}]
          script: [x]
        lone:
          script: [x]
        """
    )
    build, test = jobs["build"], jobs["test"]
    assert [i.name for i in build.instances] == ["build: [linux]", "build: [mac]"]
    assert [n.name for n in test.needs or ()] == ["build: [linux]", "build: [mac]"]
    assert [(n.name, n.optional) for n in test.rules_needs()] == [("build", True)]
    assert jobs["lone"].needs is None and list(jobs["lone"].rules_needs()) == []


def test_lines_follow_nested_lists_and_one_string() -> None:
    jobs = _jobs("a:\n  script: [one, [two, [three]]]\nb:\n  script: just one\n")
    assert [(text, m.col) for text, m in jobs["a"].lines("script")] == [
        ("one", 12),
        ("two", 18),
        ("three", 24),
    ]
    assert [(text, m.col) for text, m in jobs["b"].lines("script")] == [("just one", 11)]
    assert list(jobs["b"].lines("after_script")) == []


def test_a_job_with_errors_of_its_own_is_not_in_the_model() -> None:
    jobs = _jobs("a:\n  script: [x]\n  tgas: [y]\nb:\n  script: [x]\n")
    assert list(jobs) == ["b"]


def test_a_key_that_is_no_job_does_not_hide_the_jobs() -> None:
    # GitLab's jobs entry stops at it (jobs.rb); rules still read the jobs, each checked alone
    jobs = _jobs("template:\n  image: alpine\nb:\n  script: [x]\nc:\n  script: [x]\n  tgas: []\n")
    assert list(jobs) == ["b"]
