"""The root, jobs, job, bridge, hidden and default entries (``lib/gitlab/ci/config/entry/
root.rb``, ``jobs.rb``, ``job.rb``, ``bridge.rb``, ``hidden.rb``, ``processable.rb``,
``default.rb``): where each error points and which rule reports it. GitLab's messages
themselves are checked by the conformance cases (``cases/job.yaml``, ``bridge.yaml``, ...).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cigen.config import validate
from cigen.config.node import ConfigError
from cigen.lint.engine import load_pipeline
from cigen.yaml.load import YMap, load_text


def _config(text: str) -> YMap:
    loaded = load_text(".gitlab-ci.yml", textwrap.dedent(text))
    assert loaded.ok and isinstance(loaded.body, YMap)
    return loaded.body


def _errors(text: str) -> list[ConfigError]:
    return list(validate(_config(text)).errors)


def _found(text: str) -> list[tuple[str, int, int]]:
    return [(e.message, e.mark.line, e.mark.col) for e in _errors(text)]


def test_name_checks_point_at_the_key() -> None:
    """processable.rb: ``name`` presence and ``type: Symbol``: a YAML key that is an integer,
    a boolean or null names no Symbol; a blank key is located by its class (``jobs:job``)."""
    assert _found('build:\n  script: x\n"":\n  script: y\n') == [
        ("jobs:job name can't be blank", 3, 1)
    ]
    assert _found("build:\n  script: x\n10:\n  script: y\n") == [
        ("jobs:10 name should be a symbol", 3, 1)
    ]
    assert _found("on:\n  script: y\n") == [("jobs:true name should be a symbol", 1, 1)]
    (error,) = _errors("on:\n  script: y\n")
    assert error.hint == "YAML 1.1 reads this key as a boolean: quote the job name"
    assert sorted(_found("~:\n  trigger: a/b\n")) == [
        ("jobs:bridge name can't be blank", 1, 1),
        ("jobs:bridge name should be a symbol", 1, 1),
    ]
    assert sorted(_found("false:\n  script: y\n")) == [
        ("jobs:job name can't be blank", 1, 1),
        ("jobs:job name should be a symbol", 1, 1),
    ]
    # 0 is a key like 10 (not false), and a quoted number is a string
    assert _found("0:\n  script: y\n") == [("jobs:0 name should be a symbol", 1, 1)]
    assert _found("'10':\n  script: y\n") == []


def test_a_string_key_after_a_typed_one_wins() -> None:
    """The last of duplicate keys wins, and with it its type."""
    config = _config("~:\n  script: a\n'':\n  script: b\n")
    assert config.typed_key("") == (True, "")
    assert [e.message for e in validate(config).errors] == ["jobs:job name can't be blank"]


def test_typed_keys_of_included_files(tmp_path: Path) -> None:
    """The model reads a key's type in the file that writes it, after includes."""
    (tmp_path / ".gitlab-ci.yml").write_text("include: jobs.yml\nbuild:\n  script: x\n")
    (tmp_path / "jobs.yml").write_text("12:\n  script: y\n")
    model = load_pipeline(tmp_path / ".gitlab-ci.yml", root=tmp_path).model
    assert model is not None
    assert [(e.message, e.mark.path, e.mark.line) for e in model.errors] == [
        ("jobs:12 name should be a symbol", "jobs.yml", 1)
    ]


def test_job_composed_checks_point_at_their_key() -> None:
    """job.rb: the cross-pipeline ``needs`` of ``dependencies``; too many ``inputs``; a
    default of the wrong type; ``run`` that is not an array."""
    assert _found(
        """\
        build:
          script: x
          dependencies: [a]
          needs: [{pipeline: $UP, job: a}]
        """
    ) == [("jobs:build needs corresponding to dependencies must be from the same pipeline", 4, 10)]
    many = "".join(f"    i{n}: {{default: x}}\n" for n in range(51))
    assert _found(f"build:\n  script: x\n  inputs:\n{many}") == [
        ("jobs:build inputs has too many entries (maximum 50)", 4, 5)
    ]
    assert _found(
        """\
        build:
          script: x
          inputs:
            a: {type: boolean, default: "yes"}
            b: {type: array, default: [x]}
            c: {type: string, default: [1]}
        """
    ) == [
        ("jobs:build inputs `a`: default value is not a boolean", 4, 8),
        ("jobs:build inputs `c`: default value is not a string", 6, 8),
    ]
    assert _found("build:\n  run: steps\n") == [
        ("jobs:build run value at root is not an array", 2, 8)
    ]


def test_hidden_blank_points_at_the_key() -> None:
    (error,) = _errors("build:\n  script: x\n.tpl:\n")
    assert (error.message, error.mark.line, error.mark.col) == (
        "jobs:.tpl config can't be blank",
        3,
        1,
    )
    assert error.rule == "CIG209"


def test_default_conflicts_with_a_top_level_key(tmp_path: Path) -> None:
    """default.rb: a key set both at the top level and in ``default:`` raises InheritError
    (``image is defined in top-level and `default:` entry``) before the entry tree is checked:
    cigen's resolver reports it (CIG131), at the ``default:`` key."""
    (tmp_path / ".gitlab-ci.yml").write_text(
        "image: alpine\ndefault:\n  image: debian\nbuild:\n  script: x\n"
    )
    pipeline = load_pipeline(tmp_path / ".gitlab-ci.yml", root=tmp_path)
    (event,) = pipeline.events_of("default-conflict")
    assert event.message.startswith("image is defined in top-level and `default:` entry")
    assert (event.mark.line, event.mark.col) == (3, 3)
    assert pipeline.assembly_failed


def test_multiple_pipelines_warning() -> None:
    """processable.rb ``validate_against_warnings`` (processable_spec.rb, yaml_processor_spec.rb):
    a last rule of only ``when:`` (not ``never``) warns, unless ``workflow:rules`` exist."""
    text = "rspec:\n  script: x\n  rules:\n    - if: $A\n    - when: {last}\n"
    model = validate(_config(text.format(last="on_success")))
    assert [(w.message, w.mark.line) for w in model.warnings] == [
        (
            "jobs:rspec may allow multiple pipelines to run for a single action due to "
            "`rules:when` clause with no `workflow:rules` - read more: "
            "https://docs.gitlab.com/ee/ci/jobs/job_troubleshooting.html"
            "#job-may-allow-multiple-pipelines-to-run-for-a-single-action-warning",
            4,  # the rules list
        )
    ]
    assert not model.errors
    assert not validate(_config(text.format(last="never"))).warnings
    workflow = "workflow:\n  rules:\n    - when: always\n"
    assert not validate(_config(workflow + text.format(last="always"))).warnings


@pytest.mark.parametrize(
    ("rules", "warns"),
    [
        ("[{if: $A}, [[{when: always}]], []]", True),  # the last rule of the flattened lists
        ("[[{when: always}], [{if: $A}]]", False),
        ("[[], []]", False),  # no rule at all: ``last`` is nil
    ],
)
def test_multiple_pipelines_warning_reads_nested_rules(rules: str, warns: bool) -> None:
    """processable.rb reads ``rules_value.last`` of the flattened rules."""
    model = validate(_config(f"rspec:\n  script: x\n  rules: {rules}\n"))
    assert bool(model.warnings) is warns, model.warnings


def test_composed_errors_come_before_the_children_errors() -> None:
    """job.rb: the composed validations (``dependencies`` part of ``needs``) are reported
    before the errors of the job's entries (validatable.rb: the entry's own errors, then its
    nodes')."""
    text = (
        "build:\n  script: x\n"
        "rspec:\n  script: x\n  stage: 1\n  needs: [build]\n  dependencies: [lint]\n"
        "  image: {}\n"
    )
    assert [e.message for e in validate(_config(text)).errors] == [
        "jobs:rspec dependencies the lint should be part of needs",
        "jobs:rspec:stage config should be a string",
        "jobs:rspec:image name should be a string",
        "jobs:rspec:image name can't be blank",
    ]


def test_the_table_of_entries_by_keys_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The entries a job's keys select are kept per set of keys, up to a bound: past it the
    table starts again, and every job is still checked whole."""
    from cigen.config import root as root_module

    monkeypatch.setattr(root_module, "_MAX_PRESENT", 1)
    monkeypatch.setattr(root_module, "_PRESENT", {})
    text = "a:\n  script: x\n  stage: 1\nb:\n  script: x\n  tags: 1\nc:\n  script: x\n  stage: 2\n"
    assert [e.message for e in validate(_config(text)).errors] == [
        "jobs:a:stage config should be a string",
        "jobs:b:tags config should be an array of strings",
        "jobs:c:stage config should be a string",
    ]
    assert len(root_module._PRESENT) == 1
