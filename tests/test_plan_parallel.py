"""``parallel`` / ``parallel:matrix`` instances and the job variables rules read.

Ported from GitLab 18.9's specs: ``spec/lib/gitlab/ci/config/normalizer_spec.rb``,
``normalizer/number_strategy_spec.rb`` and ``normalizer/matrix_strategy_spec.rb`` (instance
names, indexes, totals, job variables, needs on parallel jobs and ``needs:parallel:matrix``);
the variables follow ``lib/gitlab/ci/variables/builder.rb``
(``predefined_variables_from_job_attr``, ``scoped_variables_for_pipeline_seed``),
``lib/gitlab/ci/build/context/build.rb`` (``seed_environment``) and
``lib/gitlab/ci/pipeline/chain/seed.rb`` (``root_variables``: workflow over top-level).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cigen.cli.main import main
from cigen.pipeline import simulate as sim
from cigen.pipeline.parallel import Instance, group_name, instances

PUSH_MAIN = sim.PipelineContext(ref="main", protected=True)


# --- normalizer specs -------------------------------------------------------------------------


def test_matrix_strategy_spec_build_from() -> None:
    # normalizer/matrix_strategy_spec.rb '.build_from'
    config = {
        "matrix": [
            {"PROVIDER": ["aws"], "STACK": ["app1", "app2"]},
            {"PROVIDER": ["ovh", "gcp"], "STACK": ["app"]},
        ]
    }
    found = instances("test", config)
    assert [(i.name, i.index, i.total, dict(i.matrix)) for i in found] == [
        ("test: [aws, app1]", 1, 4, {"PROVIDER": "aws", "STACK": "app1"}),
        ("test: [aws, app2]", 2, 4, {"PROVIDER": "aws", "STACK": "app2"}),
        ("test: [ovh, app]", 3, 4, {"PROVIDER": "ovh", "STACK": "app"}),
        ("test: [gcp, app]", 4, 4, {"PROVIDER": "gcp", "STACK": "app"}),
    ]


@pytest.mark.parametrize("config", [3, {"number": 3}])
def test_number_strategy_spec(config: object) -> None:
    # normalizer/number_strategy_spec.rb: integer or {number:}
    found = instances("rspec", config)
    assert [(i.name, i.index, i.total) for i in found] == [
        ("rspec 1/3", 1, 3),
        ("rspec 2/3", 2, 3),
        ("rspec 3/3", 3, 3),
    ]


def test_normalizer_spec_job_with_a_slash_in_its_name() -> None:
    names = [i.name for i in instances("rspec 35/2", 5)]
    assert names == [f"rspec 35/2 {i}/5" for i in range(1, 6)]


def test_normalizer_spec_unparallelized_job_is_itself() -> None:
    assert instances("rspec", None) == (Instance("rspec"),)


def test_matrix_scalar_values_are_one_value_each() -> None:
    # entry/product/variables.rb: Array(value).map(&:to_s)
    found = instances("b", {"matrix": [{"A": "x", "N": 1}, {"A": ["y", "z"]}]})
    assert [i.name for i in found] == ["b: [x, 1]", "b: [y]", "b: [z]"]


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("rspec 1/3", "rspec"),
        ("build: [amd64]", "build"),
        ("test: [aws, app1]", "test"),
        ("rspec 35/2 1/5", "rspec"),
        ("deploy", "deploy"),
        ("a:b", "a:b"),
    ],
)
def test_group_name(name: str, group: str) -> None:
    assert group_name(name) == group


# --- plan: instances, needs and variables ----------------------------------------------------

CI = """\
stages: [build, test]
variables:
  ENV: dev
workflow:
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
      variables:
        ENV: prod
    - when: always
build:
  stage: build
  script: [make]
  parallel:
    matrix:
      - ARCH: [amd64, arm64]
  rules:
    - if: $ARCH == "arm64" && $ENV == "prod"
    - if: $ARCH == "amd64"
shard:
  stage: test
  parallel: 3
  script: [rspec]
  rules:
    - if: $CI_NODE_INDEX != "2" && $CI_JOB_GROUP_NAME == "shard"
one-arch:
  stage: test
  script: [x]
  needs:
    - job: build
      parallel:
        matrix:
          - ARCH: amd64
all-arch:
  stage: test
  script: [x]
  needs:
    - job: build
      optional: true
"""


def _plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    (tmp_path / ".gitlab-ci.yml").write_text(CI)
    assert main(["plan", str(tmp_path / ".gitlab-ci.yml"), "--format", "json", *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_plan_lists_instance_names_and_their_needs(tmp_path, capsys) -> None:
    data = _plan(tmp_path, capsys, "--ref", "main")
    jobs = {j["name"]: j.get("needs") for j in data["jobs"]}
    assert list(jobs) == [
        "build: [amd64]",
        "build: [arm64]",
        "shard 1/3",
        "shard 3/3",
        "one-arch",
        "all-arch",
    ]
    assert jobs["one-arch"] == ["build: [amd64]"]
    assert jobs["all-arch"] == ["build: [amd64]", "build: [arm64]"]


def test_workflow_variables_win_over_top_level_ones_in_job_rules(tmp_path, capsys) -> None:
    # on a feature branch the workflow rule does not set ENV=prod: no arm64 build
    names = [j["name"] for j in _plan(tmp_path, capsys, "--ref", "feature")["jobs"]]
    assert "build: [arm64]" not in names and "build: [amd64]" in names


def test_need_on_an_excluded_instance_is_refused(tmp_path, capsys) -> None:
    ci = CI.replace("ARCH: amd64\n", "ARCH: arm64\n")
    (tmp_path / ".gitlab-ci.yml").write_text(ci)
    code = main(["plan", str(tmp_path / ".gitlab-ci.yml"), "--format", "json", "--ref", "x"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["status"] == "refused"
    assert data["errors"] == [
        "'one-arch' job needs 'build: [arm64]' job, but 'build: [arm64]' does not exist in the "
        "pipeline. This might be because of the only, except, or rules keywords. To need a job "
        "that sometimes does not exist in the pipeline, use needs:optional."
    ]


def _seen(job: dict[str, Any], name: str = "job", **kwargs: Any) -> dict[str, str]:
    return sim.job_variables(name, job, PUSH_MAIN, kwargs.pop("pipeline", {}), **kwargs)


def test_instance_variables() -> None:
    found = instances("build", {"matrix": [{"ARCH": ["amd64", "arm64"]}]})
    seen = _seen({"variables": {"ARCH": "x", "K": "v"}}, found[1].name, instance=found[1])
    assert seen["CI_JOB_NAME"] == "build: [arm64]"
    assert seen["CI_JOB_GROUP_NAME"] == "build"
    assert (seen["CI_NODE_INDEX"], seen["CI_NODE_TOTAL"]) == ("2", "2")
    assert (seen["ARCH"], seen["K"]) == ("arm64", "v")  # matrix values over job variables


def test_unparallelized_job_has_a_total_but_no_index() -> None:
    seen = _seen({})
    assert seen["CI_NODE_TOTAL"] == "1" and "CI_NODE_INDEX" not in seen


@pytest.mark.parametrize(("when", "manual"), [("manual", True), ("delayed", True), (None, False)])
def test_ci_job_manual_for_actionable_when(when: str | None, manual: bool) -> None:
    # Ci::Processable::ACTIONABLE_WHEN = manual, delayed
    job = {} if when is None else {"when": when}
    assert ("CI_JOB_MANUAL" in _seen(job)) is manual


def test_environment_variables_expand_the_name() -> None:
    job = {
        "variables": {"APP": "shop-$REGION", "REGION": "eu"},
        "environment": {
            "name": "review/$APP/$CI_COMMIT_REF_SLUG$UNDEFINED",
            "url": "https://$APP.example.com",
            "deployment_tier": "development",
            "action": "prepare",
        },
    }
    seen = _seen(job)
    assert seen["CI_ENVIRONMENT_NAME"] == "review/shop-eu/main"
    assert seen["CI_ENVIRONMENT_ACTION"] == "prepare"
    assert seen["CI_ENVIRONMENT_TIER"] == "development"
    assert seen["CI_ENVIRONMENT_URL"] == "https://$APP.example.com"


def test_environment_string_form_defaults_to_start_without_tier_or_url() -> None:
    seen = _seen({"environment": "production"})
    assert (seen["CI_ENVIRONMENT_NAME"], seen["CI_ENVIRONMENT_ACTION"]) == ("production", "start")
    assert "CI_ENVIRONMENT_TIER" not in seen and "CI_ENVIRONMENT_URL" not in seen
    assert "CI_ENVIRONMENT_NAME" not in _seen({"environment": "$EMPTY"})


def test_environment_rules_in_a_plan() -> None:
    jobs = {
        "review": {
            "script": ["x"],
            "environment": "review/$CI_COMMIT_REF_SLUG",
            "rules": [{"if": '$CI_ENVIRONMENT_NAME == "review/main"'}],
        }
    }
    result = sim.plan(jobs, [], None, {}, PUSH_MAIN)
    assert [j.name for j in result.jobs] == ["review"]


# --- explain ---------------------------------------------------------------------------------


def _explain(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    (tmp_path / ".gitlab-ci.yml").write_text(CI)
    code = main(["explain", *args[:1], str(tmp_path / ".gitlab-ci.yml"), *args[1:]])
    return code, capsys.readouterr().out


def test_explain_names_the_instance_and_where_each_variable_came_from(tmp_path, capsys) -> None:
    code, out = _explain(tmp_path, capsys, "build: [arm64]", "--ref", "main", "--var", "X=1")
    assert code == 0
    assert "build: [arm64]: runs (on_success); decided by rules[0]" in out
    assert "instance 2 of 'build'" in out
    assert "$ARCH = 'arm64'  (matrix)" in out
    assert "$ENV = 'prod'  (workflow)" in out
    assert "$X = '1'  (--var)" in out


def test_explain_a_parallel_job_shows_every_instance(tmp_path, capsys) -> None:
    code, out = _explain(tmp_path, capsys, "shard", "--ref", "feature")
    assert code == 0
    assert "shard 2/3: does not run; decided by rules" in out
    assert "$CI_NODE_INDEX = '2'  (predefined)" in out
    assert "$ENV" not in out.split("shard 1/3")[0]  # not read, not a variable of the job's own
    assert out.count("instance ") == 3


def test_explain_top_level_origin(tmp_path, capsys) -> None:
    _code, out = _explain(tmp_path, capsys, "build: [arm64]", "--ref", "feature")
    assert "$ENV = 'dev'  (top-level)" in out


def test_explain_undefined_variable(tmp_path, capsys) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text("j:\n  script: [x]\n  rules:\n    - if: $NOPE\n")
    assert main(["explain", "j", str(tmp_path / ".gitlab-ci.yml")]) == 0
    assert "$NOPE = undefined\n" in capsys.readouterr().out


def test_runners_per_matrix_instance(tmp_path, capsys) -> None:
    # tags expanded with each instance's matrix values (seed/build.rb: expand_existing(tag))
    (tmp_path / ".gitlab-ci.yml").write_text(
        "build:\n  script: [x]\n  tags: [$ARCH]\n  parallel:\n    matrix:\n"
        "      - ARCH: [amd64, arm64]\n"
    )
    (tmp_path / "r.yml").write_text("runners:\n  - name: intel\n    tags: [amd64]\n")
    args = ["plan", str(tmp_path / ".gitlab-ci.yml"), "--format", "json"]
    assert main([*args, "--runners", str(tmp_path / "r.yml")]) == 0
    jobs = {j["name"]: j["runners"] for j in json.loads(capsys.readouterr().out)["jobs"]}
    assert jobs == {"build: [amd64]": ["intel"], "build: [arm64]": []}


@pytest.mark.parametrize(
    "parallel",
    [0, {"number": 0}, {"matrix": []}, {"matrix": "x"}, {"matrix": [{}, "x"]}, "x", True],
)
def test_values_gitlab_refuses_leave_the_job_whole(parallel: object) -> None:
    # entry/product/parallel.rb refuses these; lint --ref still plans the job once
    assert instances("job", parallel) == (Instance("job"),)
    jobs = {"job": {"script": ["x"], "parallel": parallel}}
    assert [j.name for j in sim.plan(jobs, [], None, {}, PUSH_MAIN).jobs] == ["job"]
