"""The normalizer's rewriting of ``needs`` and ``dependencies`` for parallel jobs.

Ported from GitLab 18.9: ``spec/lib/gitlab/ci/config/interpolation/matrix_interpolator_spec.rb``
(``lib/gitlab/ci/config/interpolation/matrix_interpolator.rb``) and
``spec/lib/gitlab/ci/config/normalizer_spec.rb`` (``lib/gitlab/ci/config/normalizer.rb``:
``apply_matrix_interpolation``, ``expand_parallelized_needs``,
``expand_parallelized_job_names``); the normalizer's errors refuse the configuration as
``lib/gitlab/ci/yaml_processor.rb#run_logical_validations!`` does (joined with ``", "``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cigen.cli.main import main
from cigen.pipeline import simulate as sim
from cigen.pipeline.parallel import expand_dependencies, interpolate_matrix

PUSH_MAIN = sim.PipelineContext(ref="main", protected=True)
MATRIX = {"OS": "linux", "ARCH": "amd64", "VERSION": "1.0"}


# --- matrix_interpolator_spec.rb ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$[[ matrix.OS ]]", "linux"),
        ("$[[ matrix.OS ]]-$[[ matrix.ARCH ]]", "linux-amd64"),
        ("$[[matrix.OS]]", "linux"),
        ("$[[   matrix.ARCH   ]]", "amd64"),
        ("$CI_JOB_NAME", "$CI_JOB_NAME"),
        ("build-$[[ matrix.OS ]]-$CI_JOB_ID", "build-linux-$CI_JOB_ID"),
        ("$[[ matrix.OS ]]/$[[ matrix.OS ]]", "linux/linux"),
    ],
)
def test_interpolates_strings(text: str, expected: str) -> None:
    assert interpolate_matrix(text, MATRIX) == (expected, [])


def test_all_symbols_of_a_matrix_variable_name() -> None:
    assert interpolate_matrix("$[[ matrix.VAR_01-666 ]]", {"VAR_01-666": "valid"}) == (
        "valid",
        [],
    )


@pytest.mark.parametrize("values", [{}, MATRIX])
def test_a_missing_variable_is_an_error_and_stays_as_written(values: dict[str, str]) -> None:
    result, errors = interpolate_matrix("$[[ matrix.MISSING ]]", values)
    assert result == "$[[ matrix.MISSING ]]"
    assert errors == ["'MISSING' does not exist in matrix configuration"]


def test_hashes_and_arrays_are_interpolated_at_any_depth() -> None:
    config = [
        "job-$[[ matrix.OS ]]",
        {
            "job": "build-$[[ matrix.OS ]]",
            "artifacts": True,
            "parallel": {"matrix": [{"TARGET": ["$[[ matrix.ARCH ]]"], "N": 1}]},
        },
    ]
    assert interpolate_matrix(config, MATRIX) == (
        [
            "job-linux",
            {
                "job": "build-linux",
                "artifacts": True,
                "parallel": {"matrix": [{"TARGET": ["amd64"], "N": 1}]},
            },
        ],
        [],
    )


@pytest.mark.parametrize("value", [42, True, None])
def test_other_values_are_unchanged(value: object) -> None:
    assert interpolate_matrix(value, MATRIX) == (value, [])


# --- normalizer_spec.rb -------------------------------------------------------------------------


def _plan(jobs: dict[str, dict[str, Any]]) -> sim.Plan:
    return sim.plan(jobs, ("build", "test", "deploy"), None, {}, PUSH_MAIN)


def _by_name(result: sim.Plan) -> dict[str, sim.PlannedJob]:
    return {job.name: job for job in result.jobs}


SIMPLE = {"matrix": [{"VAR_1": ["A"], "VAR_2": ["B", "C"]}]}
COMPLEX = {
    "matrix": [
        {
            "PLATFORM": ["centos"],
            "STACK": ["ruby", "python", "java"],
            "DB": ["postgresql", "mysql"],
        },
        {"PLATFORM": ["ubuntu"], "PROVIDER": ["aws", "gcp"]},
    ]
}
EXPANDED = {
    5: [f"rspec {i}/5" for i in range(1, 6)],
    "simple": ["rspec: [A, B]", "rspec: [A, C]"],
    "complex": [
        "rspec: [centos, ruby, postgresql]",
        "rspec: [centos, ruby, mysql]",
        "rspec: [centos, python, postgresql]",
        "rspec: [centos, python, mysql]",
        "rspec: [centos, java, postgresql]",
        "rspec: [centos, java, mysql]",
        "rspec: [ubuntu, aws]",
        "rspec: [ubuntu, gcp]",
    ],
}
PARALLEL: dict[object, object] = {5: 5, "simple": SIMPLE, "complex": COMPLEX}


@pytest.mark.parametrize("kind", [5, "simple", "complex"])
def test_parallel_dependencies(kind: object) -> None:
    # shared examples 'parallel dependencies': both parallelized and not
    jobs = {
        "rspec": {"script": "rspec", "parallel": PARALLEL[kind]},
        "other_job": {"script": "echo 1", "dependencies": ["rspec"]},
        "final_job": {"script": "echo 1", "dependencies": ["rspec", "other_job"]},
    }
    found = _by_name(_plan(jobs))
    assert found["other_job"].dependencies == tuple(EXPANDED[kind])
    assert found["final_job"].dependencies == (*EXPANDED[kind], "other_job")
    assert "rspec" not in found


@pytest.mark.parametrize(
    ("kind", "needs_parallel", "expected"),
    [
        ("simple", {"matrix": [{"VAR_1": ["A"], "VAR_2": ["C"]}]}, ["rspec: [A, C]"]),
        (
            "complex",
            {
                "matrix": [
                    {"PLATFORM": ["centos"], "STACK": ["ruby", "python"], "DB": ["postgresql"]},
                    {"PLATFORM": ["ubuntu"], "PROVIDER": ["aws"]},
                ]
            },
            [
                "rspec: [centos, ruby, postgresql]",
                "rspec: [centos, python, postgresql]",
                "rspec: [ubuntu, aws]",
            ],
        ),
    ],
)
def test_needs_parallel_matrix_keeps_only_the_named_instances(
    kind: str, needs_parallel: dict[str, Any], expected: list[str]
) -> None:
    jobs = {
        "rspec": {"stage": "build", "script": "rspec", "parallel": PARALLEL[kind]},
        "other_job": {"script": "echo 1", "needs": [{"job": "rspec", "parallel": needs_parallel}]},
    }
    assert _by_name(_plan(jobs))["other_job"].needs == tuple(expected)


BUILD = {
    "stage": "build",
    "script": "echo build",
    "parallel": {"matrix": [{"OS": ["linux"], "ARCH": ["amd64", "arm64"]}]},
}


def _test_job(needs_matrix: dict[str, Any]) -> dict[str, Any]:
    return {
        "script": "echo test",
        "parallel": {"matrix": [{"OS": ["linux"], "ARCH": ["amd64", "arm64"]}]},
        "needs": [{"job": "build", "parallel": {"matrix": [needs_matrix]}}],
    }


def test_matrix_expressions_in_needs_pick_the_matching_instance() -> None:
    # 'with matrix expressions in needs configuration'
    jobs = {
        "build": BUILD,
        "test": _test_job({"OS": ["$[[ matrix.OS ]]"], "ARCH": ["$[[ matrix.ARCH ]]"]}),
    }
    result = _plan(jobs)
    assert result.created
    found = _by_name(result)
    assert list(found) == [
        "build: [linux, amd64]",
        "build: [linux, arm64]",
        "test: [linux, amd64]",
        "test: [linux, arm64]",
    ]
    assert found["test: [linux, amd64]"].needs == ("build: [linux, amd64]",)
    assert found["test: [linux, arm64]"].needs == ("build: [linux, arm64]",)


def test_missing_matrix_variable_refuses_the_configuration() -> None:
    # 'with missing matrix variables': one error however many instances hit it
    jobs = {
        "build": BUILD,
        "test": _test_job({"OS": ["$[[ matrix.OS ]]"], "MISSING": ["$[[ matrix.NONEXISTENT ]]"]}),
    }
    result = _plan(jobs)
    assert result.status == "refused" and result.jobs == ()
    assert result.errors == ("test job: 'NONEXISTENT' does not exist in matrix configuration",)
    assert result.workflow.reason == sim.INVALID_REASON


def test_errors_of_several_jobs_are_joined_with_a_comma() -> None:
    jobs = {
        "build": BUILD,
        "test": _test_job({"OS": ["$[[ matrix.A ]]"]}),
        "deploy": {"script": "x", "needs": ["build-$[[ matrix.B ]]"]},
    }
    assert _plan(jobs).errors == (
        "test job: 'A' does not exist in matrix configuration, "
        "deploy job: 'B' does not exist in matrix configuration",
    )


def test_without_a_parallel_job_nothing_is_interpolated() -> None:
    # normalize_jobs returns the configuration as it is when no job is parallel
    jobs = {
        "build": {"stage": "build", "script": "x"},
        "test": {
            "script": "y",
            "needs": ["build", {"job": "build-$[[ matrix.X ]]", "optional": True}],
        },
    }
    result = _plan(jobs)
    assert result.created
    assert _by_name(result)["test"].needs == ("build",)


def test_matrix_values_win_over_the_jobs_own_variables() -> None:
    # the normalizer interpolates with config[:job_variables]: the job's variables, with the
    # instance's matrix values deep_merged over them
    jobs = {
        "build": BUILD,
        "test": {
            **_test_job({"OS": ["$[[ matrix.OS ]]"], "ARCH": ["$[[ matrix.ARCH ]]"]}),
            "variables": {"ARCH": "ignored"},
        },
    }
    found = _by_name(_plan(jobs))
    assert found["test: [linux, arm64]"].needs == ("build: [linux, arm64]",)


@pytest.mark.parametrize(
    ("variable", "printed"),
    [
        ("linux", '{:value=>"linux"}'),
        ({"value": 'li"nux', "expand": False}, '{:value=>"li\\"nux", :raw=>true}'),
        ({"value": 1, "expand": True, "description": "d"}, '{:value=>"1", :raw=>false}'),
    ],
)
def test_a_job_variable_interpolates_as_gitlab_prints_it(variable: object, printed: str) -> None:
    # job_variables holds Entry::Variables#value_with_data: a job variable that is not a matrix
    # value is known to the interpolator but prints as its hash, so the need names no job
    jobs = {
        "build": BUILD,
        "test": {
            **_test_job({"OS": ["$[[ matrix.MY_OS ]]"], "ARCH": ["$[[ matrix.ARCH ]]"]}),
            "variables": {"MY_OS": variable},
        },
    }
    result = _plan(jobs)
    missing = f"build: [{printed}, amd64]"
    assert result.status == "refused"
    assert result.errors[0].startswith(f"'test: [linux, amd64]' job needs '{missing}' job")


def test_expand_dependencies_ignores_what_is_not_a_list() -> None:
    assert expand_dependencies("build", {"build": ["build 1/2"]}) == []
    assert expand_dependencies([1, "b"], {"b": ["b 1/2", "b 2/2"]}) == ["1", "b 1/2", "b 2/2"]


# --- end to end ---------------------------------------------------------------------------------

CI = """\
stages: [build, test]
build:
  stage: build
  script: [x]
  parallel:
    matrix:
      - PROVIDER: [aws, gcp]
        STACK: [app]
test:
  stage: test
  script: [y]
  parallel:
    matrix:
      - PROVIDER: [aws, gcp]
  needs:
    - job: build
      parallel:
        matrix:
          - PROVIDER: $[[ matrix.PROVIDER ]]
            STACK: app
  dependencies: [build]
"""


def _run(tmp_path: Path, ci: str, *args: str) -> int:
    (tmp_path / ".gitlab-ci.yml").write_text(ci)
    return main(["plan", str(tmp_path / ".gitlab-ci.yml"), "--ref", "main", *args])


def test_plan_json_names_the_matching_instance_and_all_dependencies(tmp_path, capsys) -> None:
    code = _run(tmp_path, CI, "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    jobs = {j["name"]: (j.get("needs"), j.get("dependencies")) for j in data["jobs"]}
    every = ["build: [aws, app]", "build: [gcp, app]"]
    assert jobs == {
        "build: [aws, app]": (None, None),
        "build: [gcp, app]": (None, None),
        "test: [aws]": (["build: [aws, app]"], every),
        "test: [gcp]": (["build: [gcp, app]"], every),
    }


def test_plan_refuses_an_unknown_matrix_variable(tmp_path, capsys) -> None:
    code = _run(tmp_path, CI.replace("matrix.PROVIDER", "matrix.REGION"))
    assert code == 1
    # the validator (cigen.config.processor, the normalizer's errors) refuses it first
    assert capsys.readouterr().out.splitlines() == [
        "no pipeline: test job: 'REGION' does not exist in matrix configuration",
        "cigen's detail, not GitLab's output (1 error(s) in all):",
        "  .gitlab-ci.yml:16:7: test job: 'REGION' does not exist in matrix configuration"
        "  <- the error GitLab shows",
    ]
