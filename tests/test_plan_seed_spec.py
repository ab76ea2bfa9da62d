"""Cases ported from GitLab 18.9's ``spec/lib/gitlab/ci/pipeline/seed/build_spec.rb``.

``with workflow:rules:[variables:]``: the job's variables are the root variables (top-level
merged with the matched workflow rule's, ``Chain::Seed#root_variables``) under the job's own,
filtered by ``inherit:variables`` (``Seed::Build#calculate_yaml_variables!``);
``with a rule using CI_ENVIRONMENT_{NAME,ACTION,TIER,URL}``: the environment variables rules
read at seed time (``Variables::Builder#predefined_variables_from_job_attr``).
"""

from __future__ import annotations

from typing import Any

import pytest

from cigen.pipeline import simulate as sim

CTX = sim.PipelineContext(ref="master", default_branch="master", protected=True)
ROOT = {
    "VAR1": "var overridden pipeline 1",
    "VAR2": "var pipeline 2",
    "VAR3": "var pipeline 3",
    "VAR4": "new var pipeline 4",
}
JOB_VARS = {"VAR2": "var 2", "VAR3": "var 3"}


def _yaml_variables(inherit: object, root: dict[str, str]) -> dict[str, str]:
    job: dict[str, Any] = {"variables": JOB_VARS, "inherit": {"variables": inherit}}
    seen = sim.job_variables("rspec", job, CTX, root)
    names = {*root, *JOB_VARS}
    return {k: v for k, v in seen.items() if k in names}


@pytest.mark.parametrize(
    ("inherit", "root", "expected"),
    [
        (  # when root_variables_inheritance is true
            True,
            ROOT,
            {
                "VAR1": "var overridden pipeline 1",
                "VAR2": "var 2",
                "VAR3": "var 3",
                "VAR4": "new var pipeline 4",
            },
        ),
        (False, ROOT, JOB_VARS),  # when root_variables_inheritance is false
        (  # when root_variables_inheritance is an array
            ["VAR1", "VAR2", "VAR3"],
            ROOT,
            {"VAR1": "var overridden pipeline 1", "VAR2": "var 2", "VAR3": "var 3"},
        ),
        (True, {}, JOB_VARS),  # when the pipeline has not a variable
    ],
)
def test_workflow_rules_variables(inherit: object, root: dict[str, str], expected: Any) -> None:
    assert _yaml_variables(inherit, root) == expected


def test_workflow_rule_variables_override_top_level_ones_in_the_plan() -> None:
    workflow = {"rules": [{"if": "$CI_COMMIT_BRANCH", "variables": {"VAR1": "from workflow"}}]}
    jobs = {"rspec": {"script": ["x"], "rules": [{"if": '$VAR1 == "from workflow"'}]}}
    result = sim.plan(jobs, [], workflow, {"VAR1": "top-level"}, CTX)
    assert [j.name for j in result.jobs] == ["rspec"]


@pytest.mark.parametrize(
    ("condition", "environment", "included"),
    [
        ('$CI_ENVIRONMENT_NAME == "test"', "test", True),
        ('$CI_ENVIRONMENT_NAME == "test"', "dev", False),
        ('$CI_ENVIRONMENT_NAME == "test"', None, False),
        ('$CI_ENVIRONMENT_ACTION == "start"', {"name": "test", "action": "start"}, True),
        ('$CI_ENVIRONMENT_ACTION == "start"', {"name": "test", "action": "stop"}, False),
        ('$CI_ENVIRONMENT_ACTION == "start"', None, False),
        (
            '$CI_ENVIRONMENT_TIER == "production"',
            {"name": "test", "deployment_tier": "production"},
            True,
        ),
        (
            '$CI_ENVIRONMENT_TIER == "production"',
            {"name": "test", "deployment_tier": "development"},
            False,
        ),
        ('$CI_ENVIRONMENT_TIER == "production"', None, False),
        (
            '$CI_ENVIRONMENT_URL == "http://gitlab.com"',
            {"name": "test", "url": "http://gitlab.com"},
            True,
        ),
        (
            '$CI_ENVIRONMENT_URL == "http://gitlab.com"',
            {"name": "test", "url": "http://staging.gitlab.com"},
            False,
        ),
        ('$CI_ENVIRONMENT_URL == "http://gitlab.com"', None, False),
    ],
)
def test_rule_using_environment_variables(
    condition: str, environment: object, included: bool
) -> None:
    job: dict[str, Any] = {"when": "on_success", "rules": [{"if": condition}]}
    if environment is not None:
        job["environment"] = environment
    decision = sim.evaluate_job("rspec", job, CTX, {}, False)
    assert decision.included is included
    assert decision.when == ("on_success" if included else "never")
