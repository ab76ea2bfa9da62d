"""Tests for cigen.pipeline.simulate (pipeline simulation).

Section numbers refer to ``shared/docs/gitlab-ci-semantics.md``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest

from cigen.pipeline import simulate as sim

PUSH_MAIN = sim.PipelineContext(ref="main", source="push", protected=True)
PUSH_FEATURE = sim.PipelineContext(ref="feature/x", source="push", changed_files=("src/a.py",))
TAG = sim.PipelineContext(ref="v1.2.0", is_tag=True, source="push")
MR = sim.PipelineContext(
    ref="feature/x",
    source="merge_request_event",
    merge_request_iid=7,
    merge_request_target_branch="main",
    changed_files=("docs/readme.md",),
)
SCHEDULE = sim.PipelineContext(ref="main", source="schedule")
WEB = sim.PipelineContext(ref="main", source="web")
TRIGGER = sim.PipelineContext(ref="main", source="trigger")
API = sim.PipelineContext(ref="main", source="api")
MULTI_PROJECT = sim.PipelineContext(ref="main", source="pipeline")
CHILD_OF_MR = sim.PipelineContext(ref="feature/x", source="parent_pipeline", merge_request_iid=7)
EXTERNAL_PR = sim.PipelineContext(ref="feature/x", source="external_pull_request_event")

CONTEXTS = {
    "push-main": PUSH_MAIN,
    "push-feature": PUSH_FEATURE,
    "tag": TAG,
    "mr": MR,
    "schedule": SCHEDULE,
    "web": WEB,
    "trigger": TRIGGER,
    "api": API,
    "multi-project": MULTI_PROJECT,
    "child-of-mr": CHILD_OF_MR,
    "external-pr": EXTERNAL_PR,
}


def _job(job: dict[str, Any], ctx: sim.PipelineContext, **kw: Any) -> sim.JobDecision:
    return sim.evaluate_job(
        kw.pop("name", "job"),
        {"script": ["true"], **job},
        ctx,
        kw.pop("pipeline_variables", {}),
        kw.pop("has_workflow_rules", False),
    )


# --------------------------------------------------------------------------------------------
# Predefined variables (section 7.2 / 7.3)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ctx", "expected", "absent"),
    [
        # 7.3 push to branch
        (
            PUSH_MAIN,
            {
                "CI_PIPELINE_SOURCE": "push",
                "CI_COMMIT_BRANCH": "main",
                "CI_COMMIT_REF_NAME": "main",
                "CI_COMMIT_REF_PROTECTED": "true",
                "CI_DEFAULT_BRANCH": "main",
                "CI": "true",
                "GITLAB_CI": "true",
                "CI_PROJECT_PATH": "group/project",
                "CI_PROJECT_NAME": "project",
                "CI_PROJECT_NAMESPACE": "group",
            },
            ["CI_COMMIT_TAG", "CI_MERGE_REQUEST_IID", "CI_PIPELINE_TRIGGERED"],
        ),
        # 7.3 push of tag
        (
            TAG,
            {
                "CI_COMMIT_TAG": "v1.2.0",
                "CI_COMMIT_REF_NAME": "v1.2.0",
                "CI_COMMIT_REF_SLUG": "v1-2-0",
            },
            ["CI_COMMIT_BRANCH", "CI_MERGE_REQUEST_IID"],
        ),
        # 7.3 merge request pipeline: ref name is the source branch, no CI_COMMIT_BRANCH
        (
            MR,
            {
                "CI_PIPELINE_SOURCE": "merge_request_event",
                "CI_COMMIT_REF_NAME": "feature/x",
                "CI_COMMIT_REF_SLUG": "feature-x",
                "CI_MERGE_REQUEST_IID": "7",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/x",
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "",
                "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": "",
                "CI_COMMIT_BEFORE_SHA": "0" * 40,
            },
            ["CI_COMMIT_BRANCH", "CI_COMMIT_TAG", "CI_MERGE_REQUEST_LABELS"],
        ),
        (SCHEDULE, {"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "main"}, []),
        (WEB, {"CI_PIPELINE_SOURCE": "web", "CI_COMMIT_BRANCH": "main"}, []),
        (TRIGGER, {"CI_PIPELINE_TRIGGERED": "true"}, []),
        # 7.3 child pipeline of an MR pipeline: MR variables copied, no branch
        (
            CHILD_OF_MR,
            {"CI_PIPELINE_SOURCE": "parent_pipeline", "CI_MERGE_REQUEST_IID": "7"},
            ["CI_COMMIT_BRANCH"],
        ),
        (EXTERNAL_PR, {"CI_COMMIT_BRANCH": "feature/x"}, ["CI_MERGE_REQUEST_IID"]),
    ],
    ids=["push", "tag", "mr", "schedule", "web", "trigger", "child-of-mr", "external-pr"],
)
def test_predefined_variables(
    ctx: sim.PipelineContext, expected: dict[str, str], absent: list[str]
) -> None:
    variables = sim.predefined_variables(ctx)
    assert {k: variables.get(k) for k in expected} == expected
    assert [k for k in absent if k in variables] == []
    # job-only variables are never available to rules (section 7.1)
    assert "CI_JOB_ID" not in variables and "CI_PIPELINE_ID" not in variables


def test_predefined_merge_request_extras() -> None:
    ctx = sim.PipelineContext(
        ref="f",
        source="merge_request_event",
        merge_request_iid=2,
        merge_request_labels=("bug", "ui"),
        merge_request_event_type="merged_result",
        merge_request_draft=True,
    )
    variables = sim.predefined_variables(ctx)
    assert variables["CI_MERGE_REQUEST_LABELS"] == "bug,ui"
    assert variables["CI_MERGE_REQUEST_DRAFT"] == "true"
    assert variables["CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"] == ctx.sha
    assert len(variables["CI_MERGE_REQUEST_TARGET_BRANCH_SHA"]) == 40
    assert variables["CI_MERGE_REQUEST_REF_PATH"] == "refs/merge-requests/2/head"


def test_predefined_optional_variables() -> None:
    ctx = sim.PipelineContext(
        server_url="http://gitlab.local:8080",
        kubernetes_active=True,
        registry="registry.local",
        project_path="Group/Sub/App",
        open_merge_requests=("group/app!1", "group/app!2"),
        schedule_description="nightly",
        source="schedule",
    )
    variables = sim.predefined_variables(ctx)
    assert variables["CI_SERVER_HOST"] == "gitlab.local"
    assert variables["CI_SERVER_PORT"] == "8080"
    assert variables["CI_SERVER_PROTOCOL"] == "http"
    assert variables["CI_KUBERNETES_ACTIVE"] == "true"
    assert variables["CI_REGISTRY_IMAGE"] == "registry.local/group/sub/app"
    assert variables["CI_PROJECT_ROOT_NAMESPACE"] == "Group"
    assert variables["CI_OPEN_MERGE_REQUESTS"] == "group/app!1,group/app!2"
    assert variables["CI_PIPELINE_SCHEDULE_DESCRIPTION"] == "nightly"
    assert "CI_DEPLOY_FREEZE" not in variables


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("feature/X_y", "feature-x-y"),
        ("--Main--", "main"),
        ("a" * 70, "a" * 63),
        ("x" * 62 + "/y", "x" * 62),  # truncated to 63 before trimming dashes
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert sim.slugify(text) == slug


# --------------------------------------------------------------------------------------------
# Globs (section 4.2): Ruby File.fnmatch with PATHNAME | DOTMATCH | EXTGLOB
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.yml", "ci.yml", True),
        ("*.yml", "dir/ci.yml", False),  # * does not cross /
        ("**/*.yml", "ci.yml", True),  # **/ spans zero directories
        ("**/*.yml", "a/b/c/ci.yml", True),
        ("src/**", "src/a", True),  # ** not followed by / is *
        ("src/**", "src/a/b", False),
        ("*", ".env", True),  # DOTMATCH
        ("**/*", ".git/config", True),
        ("*.{yml,yaml}", "a.yaml", True),  # EXTGLOB braces
        ("{src,lib}/**/*.{c,h}", "lib/x/y.h", True),
        ("a{b,c{d,e}}", "ace", True),
        ("{a,b", "a", False),  # unbalanced brace: no pattern at all
        ("{a,b", "{a,b", False),
        ("a}", "a}", True),
        ("[a-c]x", "bx", True),
        ("[!a-c]x", "bx", False),
        ("[^a-c]x", "dx", True),
        ("[]x", "]x", False),
        ("[a", "[a", False),  # unterminated bracket never matches
        ("?", "/", False),
        ("a?c", "abc", True),
        (r"\*", "*", True),
        (r"\*", "a", False),
        ("/*.go", "main.go", False),
        ("docs/", "docs/", True),
        ("*", "dir/", False),
        ("Dockerfile", "Dockerfile", True),
        ("dockerfile", "Dockerfile", False),  # case-sensitive
        ("**/a/**/b", "x/a/y/z/b", True),
        ("**/**/b", "b", True),
    ],
)
def test_fnmatch(pattern: str, path: str, expected: bool) -> None:
    assert sim.fnmatch(pattern, path) is expected


def test_brace_expand_order() -> None:
    assert sim.brace_expand("x{a,b{c,d}}y") == ("xay", "xbcy", "xbdy")
    assert sim.brace_expand(r"\{a,b}") == (r"\{a,b}",)


# --------------------------------------------------------------------------------------------
# Variable expansion
# --------------------------------------------------------------------------------------------


def test_expand_existing_keeps_unknown_references() -> None:
    variables = {"A": "1", "B": "two"}
    assert sim.expand_existing("$A/${B}/%A%/$C/${D}", variables) == "1/two/1/$C/${D}"


def test_expand_variables_nested() -> None:
    expanded = sim.expand_variables_nested({"A": "$B-$C", "B": "b", "C": "${B}c$$", "D": "$NOPE!"})
    assert expanded == {"A": "b-bc$$", "B": "b", "C": "bc$$", "D": "!"}
    # a cycle anywhere leaves every value unexpanded (Collection#sort_and_expand_all)
    cyclic = {"A": "$B", "B": "$A", "C": "$D", "D": "d"}
    assert sim.expand_variables_nested(cyclic) == cyclic
    # raw variables are not expanded
    assert sim.expand_variables_nested({"A": "$B", "B": "b"}, frozenset({"A"})) == {
        "A": "$B",
        "B": "b",
    }


def test_normalize_variables() -> None:
    raw = {"A": 1, "B": {"value": "x", "description": "d"}, "C": None, "D": True, "E": 1.5}
    assert sim.normalize_variables(raw) == {"A": "1", "B": "x", "C": "", "D": "true", "E": "1.5"}
    assert sim.normalize_variables(None) == {}


# --------------------------------------------------------------------------------------------
# only / except (section 6)
# --------------------------------------------------------------------------------------------

ONLY_EXCEPT_CASES = [
    # 6.1 implicit only: [branches, tags] without rules/only/except/workflow:rules
    ({}, "push-main", True),
    ({}, "tag", True),
    ({}, "schedule", True),
    ({}, "mr", False),
    ({}, "child-of-mr", False),
    # 6.1 except alone keeps the only default
    ({"except": ["main"]}, "push-main", False),
    ({"except": ["main"]}, "push-feature", True),
    ({"except": ["main"]}, "mr", False),
    # 6.3 keywords
    ({"only": ["branches"]}, "tag", False),
    ({"only": ["branches"]}, "schedule", True),  # schedules run on branches
    ({"only": ["branches"], "except": ["schedules"]}, "schedule", False),
    ({"only": ["tags"]}, "tag", True),
    ({"only": ["tags"]}, "push-main", False),
    ({"only": ["merge_requests"]}, "mr", True),
    ({"only": ["merge_requests"]}, "push-feature", False),
    ({"only": ["pushes"]}, "push-main", True),
    ({"only": ["push"]}, "push-main", True),  # singular works too [derived]
    ({"only": ["web"]}, "web", True),
    ({"only": ["api"]}, "api", True),
    ({"only": ["triggers"]}, "trigger", True),
    ({"only": ["pipelines"]}, "multi-project", True),
    ({"only": ["schedules"]}, "schedule", True),
    ({"only": ["schedules"]}, "web", False),
    ({"only": ["external_pull_requests"]}, "external-pr", True),
    ({"only": ["parent_pipelines"]}, "child-of-mr", True),
    # 6.3 exact names and regexes, only for branch/tag pipelines
    ({"only": ["main"]}, "push-main", True),
    ({"only": ["main"]}, "push-feature", False),
    ({"only": ["feature/x"]}, "mr", False),  # ref names never match in MR pipelines
    ({"only": ["/^feature\\/.*$/"]}, "push-feature", True),
    ({"only": ["/^FEATURE/i"]}, "push-feature", True),
    ({"only": ["/^feature/"]}, "mr", False),
    ({"only": ["/^v\\d+/"]}, "tag", True),
    ({"only": ["/[/"]}, "push-main", False),  # invalid regex: exact comparison
    ({"only": ["v1.2.0"]}, "tag", True),  # a name matches a tag as well as a branch
    # 6.3 name@project
    ({"only": ["main@group/project"]}, "push-main", True),
    ({"only": ["main@other/project"]}, "push-main", False),
    ({"only": ["branches@group/project"]}, "push-feature", True),
    ({"except": ["branches@other/fork"]}, "push-feature", True),
    # 6.2 refs: [] never matches
    ({"only": {"refs": []}}, "push-main", False),
    ({"only": []}, "push-main", False),
    # 6.4 variables, AND within only, OR within except
    ({"only": {"variables": ['$CI_COMMIT_BRANCH == "main"']}}, "push-main", True),
    ({"only": {"variables": ['$CI_COMMIT_BRANCH == "main"']}}, "mr", False),
    ({"only": {"refs": ["branches"], "variables": ["$CI_COMMIT_TAG"]}}, "push-main", False),
    ({"only": {"variables": ["$NOPE", "$CI_COMMIT_TAG"]}}, "tag", True),
    (
        {"except": {"refs": ["tags"], "variables": ["$CI_COMMIT_REF_PROTECTED == 'true'"]}},
        "push-main",
        False,
    ),
    (
        {"except": {"refs": ["tags"], "variables": ["$CI_COMMIT_REF_PROTECTED == 'true'"]}},
        "push-feature",
        True,
    ),
    # 6.4 changes: satisfied whenever changed paths cannot be computed
    ({"only": {"changes": ["src/**/*"]}}, "push-feature", True),
    ({"only": {"changes": ["docs/*"]}}, "push-feature", False),
    ({"only": {"changes": ["docs/*"]}}, "mr", True),
    ({"only": {"changes": ["nothing/*"]}}, "tag", True),
    ({"only": {"changes": ["nothing/*"]}}, "schedule", True),
    ({"except": {"changes": ["nothing/*"]}}, "tag", False),
    ({"except": {"changes": ["src/*.py"]}}, "push-feature", False),
    # 6.4 kubernetes
    ({"only": {"kubernetes": "active"}}, "push-main", False),
]


@pytest.mark.parametrize(
    ("job", "ctx_name", "included"),
    ONLY_EXCEPT_CASES,
    ids=[f"{i}-{c[1]}" for i, c in enumerate(ONLY_EXCEPT_CASES)],
)
def test_only_except(job: dict[str, Any], ctx_name: str, included: bool) -> None:
    decision = _job(job, CONTEXTS[ctx_name])
    assert decision.included is included, decision.reason
    assert decision.when == ("on_success" if included else "never")
    assert decision.rule_index is None


def test_only_kubernetes_active() -> None:
    ctx = sim.PipelineContext(kubernetes_active=True)
    assert _job({"only": {"kubernetes": "active"}}, ctx).included is True
    assert _job({"except": {"kubernetes": "active"}}, ctx).included is False


@pytest.mark.parametrize(
    ("job", "ctx_name", "included"),
    [
        # 6.1: with workflow:rules the implicit only default is dropped
        ({}, "mr", True),
        ({"except": ["main"]}, "mr", True),
        ({"except": ["main"]}, "push-main", False),
        ({"only": ["tags"]}, "mr", False),
    ],
)
def test_only_except_with_workflow_rules(
    job: dict[str, Any], ctx_name: str, included: bool
) -> None:
    decision = _job(job, CONTEXTS[ctx_name], has_workflow_rules=True)
    assert decision.included is included, decision.reason


def test_only_except_reasons_name_the_clause() -> None:
    decision = _job(
        {"except": {"variables": ["$SKIP == '1'"]}}, sim.PipelineContext(variables={"SKIP": "1"})
    )
    assert decision.included is False
    assert decision.decided_by == "except:variables"
    assert decision.variables_read == (("SKIP", "1"),)
    default = _job({}, MR)
    assert default.decided_by == "default only: [branches, tags]"
    assert "branches" in default.reason


# --------------------------------------------------------------------------------------------
# rules (section 4.1 - 4.3)
# --------------------------------------------------------------------------------------------

BRANCH_RULES = [
    {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
    {"if": "$CI_COMMIT_TAG", "when": "manual"},
    {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "when": "delayed", "start_in": "5 minutes"},
]


@pytest.mark.parametrize(
    ("ctx_name", "index", "when"),
    [
        ("mr", 0, "on_success"),
        ("tag", 1, "manual"),
        ("push-main", 2, "delayed"),
        ("push-feature", None, "never"),
        ("schedule", 2, "delayed"),
    ],
)
def test_rules_first_match_wins(ctx_name: str, index: int | None, when: str) -> None:
    """Section 4.1: first matching rule decides; no match means the job is not added."""
    decision = _job({"rules": BRANCH_RULES}, CONTEXTS[ctx_name])
    assert decision.rule_index == index
    assert decision.when == when
    assert decision.included is (index is not None)
    assert decision.decided_by == (f"rules[{index}]" if index is not None else "rules")
    assert decision.start_in == ("5 minutes" if when == "delayed" else None)


def test_rules_report_variables_read() -> None:
    decision = _job({"rules": BRANCH_RULES}, PUSH_FEATURE)
    assert dict(decision.variables_read) == {
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_TAG": None,
        "CI_COMMIT_BRANCH": "feature/x",
        "CI_DEFAULT_BRANCH": "main",
    }
    assert "no rule matched" in decision.reason
    assert "$CI_COMMIT_TAG=undefined" in decision.reason


@pytest.mark.parametrize(
    ("job", "when", "allow_failure"),
    [
        # 4.1: job-level when: manual => allow_failure true
        ({"when": "manual"}, "manual", True),
        ({"when": "manual", "allow_failure": False}, "manual", False),
        ({"when": "on_success"}, "on_success", False),
        ({"allow_failure": True}, "on_success", True),
        ({"allow_failure": {"exit_codes": [1]}}, "on_success", False),
        # 4.1: rules:when: manual => allow_failure false unless the rule says so
        ({"rules": [{"when": "manual"}]}, "manual", False),
        ({"rules": [{"when": "manual", "allow_failure": True}]}, "manual", True),
        ({"rules": [{"if": "$NOPE"}, {"when": "manual"}]}, "manual", False),
        # job-level when is the default for rules without when (Entry::Job#ignored?)
        ({"when": "manual", "rules": [{"if": "$CI"}]}, "manual", True),
        ({"allow_failure": True, "rules": [{"allow_failure": False}]}, "on_success", False),
        ({"allow_failure": True, "rules": [{"if": "$CI"}]}, "on_success", True),
    ],
)
def test_when_and_allow_failure(job: dict[str, Any], when: str, allow_failure: bool) -> None:
    decision = _job(job, PUSH_MAIN)
    assert decision.included is True
    assert decision.when == when
    assert decision.allow_failure is allow_failure


def test_when_delayed_job_level() -> None:
    decision = _job({"when": "delayed", "start_in": "1 hour"}, PUSH_MAIN)
    assert (decision.when, decision.start_in) == ("delayed", "1 hour")
    ruled = _job({"when": "delayed", "start_in": "1 hour", "rules": [{"if": "$CI"}]}, PUSH_MAIN)
    assert (ruled.when, ruled.start_in) == ("delayed", "1 hour")
    overridden = _job(
        {"when": "delayed", "start_in": "1 hour", "rules": [{"start_in": "2 days"}]}, PUSH_MAIN
    )
    assert overridden.start_in == "2 days"


def test_when_never_excludes() -> None:
    decision = _job({"rules": [{"if": "$CI", "when": "never"}, {"when": "always"}]}, PUSH_MAIN)
    assert decision.included is False and decision.rule_index == 0 and decision.when == "never"


def test_rules_nested_lists_are_flattened() -> None:
    rules = [[{"if": "$NOPE"}], [[{"if": "$CI", "when": "always"}]]]
    decision = _job({"rules": rules}, PUSH_MAIN)
    assert (decision.rule_index, decision.when) == (1, "always")


def test_empty_rules_never_add_the_job() -> None:
    assert _job({"rules": []}, PUSH_MAIN).included is False


def test_invalid_if_does_not_match() -> None:
    decision = _job({"rules": [{"if": "$A = 1"}, {"when": "on_success"}]}, PUSH_MAIN)
    assert decision.rule_index == 1
    assert "invalid" in _job({"rules": [{"if": "$A = 1"}]}, PUSH_MAIN).reason


def test_rule_variables_and_needs() -> None:
    job = {
        "needs": ["build"],
        "variables": {"LEVEL": "job"},
        "rules": [
            {"if": '$LEVEL == "rule"', "variables": {"LEVEL": "never-seen"}},
            {"if": '$LEVEL == "job"', "variables": {"LEVEL": "rule", "N": 3}, "needs": []},
        ],
    }
    decision = _job(job, PUSH_MAIN)
    # section 4.1: rule variables are not visible to the job's own rules
    assert decision.rule_index == 1
    assert dict(decision.rule_variables) == {"LEVEL": "rule", "N": "3"}
    assert decision.needs == ()


def test_job_variables_visible_to_rules() -> None:
    """Section 4.5: global, workflow, job-level variables (raw), CLI variables last."""
    job = {
        "variables": {"DEPLOY": {"value": "yes", "description": "d"}, "NESTED": "$DEPLOY"},
        "rules": [{"if": '$DEPLOY == "yes" && $NESTED == "$DEPLOY" && $GLOBAL == "g"'}],
    }
    assert _job(job, PUSH_MAIN, pipeline_variables={"GLOBAL": "g"}).included is True
    cli = sim.PipelineContext(variables={"DEPLOY": "no"})
    assert _job(job, cli, pipeline_variables={"GLOBAL": "g"}).included is False
    # job variables override global ones
    assert _job(
        {"variables": {"G": "job"}, "rules": [{"if": '$G == "job"'}]},
        PUSH_MAIN,
        pipeline_variables={"G": "global"},
    ).included


@pytest.mark.parametrize(
    ("inherit", "visible"),
    [
        ({"variables": False}, False),
        ({"variables": ["OTHER"]}, False),
        ({"variables": ["G"]}, True),
    ],
)
def test_inherit_variables(inherit: dict[str, Any], visible: bool) -> None:
    job = {"inherit": inherit, "rules": [{"if": "$G"}]}
    assert _job(job, PUSH_MAIN, pipeline_variables={"G": "x"}).included is visible


def test_job_predefined_variables_in_rules() -> None:
    condition = " && ".join(
        [
            '$CI_JOB_NAME == "Deploy Prod"',
            '$CI_JOB_STAGE == "deploy"',
            '$CI_NODE_TOTAL == "3"',
            '$CI_JOB_MANUAL == "true"',
            '$CI_JOB_NAME_SLUG == "deploy-prod"',
        ]
    )
    job = {"stage": "deploy", "when": "manual", "parallel": 3, "rules": [{"if": condition}]}
    assert _job(job, PUSH_MAIN, name="Deploy Prod").included is True
    matrix = {
        "parallel": {"matrix": [{"A": ["1", "2"], "B": ["x", "y"]}, {"C": "z"}]},
        "rules": [{"if": '$CI_NODE_TOTAL == "5"'}],
    }
    assert _job(matrix, PUSH_MAIN).included is True


@pytest.mark.parametrize(
    ("ctx_name", "paths", "satisfied"),
    [
        ("push-feature", ["src/*.py"], True),
        ("push-feature", ["docs/**/*"], False),
        ("mr", ["docs/**/*"], True),  # MR pipelines compare with the target branch
        ("mr", ["src/**/*"], False),
        # section 4.2: no push event => always true
        ("tag", ["nothing/*"], True),
        ("schedule", ["nothing/*"], True),
        ("web", ["nothing/*"], True),
        ("push-main", ["nothing/*"], True),  # changed files unknown (e.g. new branch)
    ],
)
def test_rules_changes(ctx_name: str, paths: list[str], satisfied: bool) -> None:
    decision = _job({"rules": [{"changes": paths}]}, CONTEXTS[ctx_name])
    assert decision.included is satisfied, decision.reason


def test_rules_changes_empty_push_and_variables() -> None:
    ctx = sim.PipelineContext(source="push", changed_files=())
    assert _job({"rules": [{"changes": ["**/*"]}]}, ctx).included is False
    job = {"variables": {"DIR": "src"}, "rules": [{"changes": {"paths": ["$DIR/*.py"]}}]}
    assert _job(job, PUSH_FEATURE).included is True


def test_rules_changes_compare_to() -> None:
    ctx = sim.PipelineContext(ref="f", compare_to_changes={"main": ("a.txt",)})
    assert _job({"rules": [{"changes": {"paths": ["a.txt"], "compare_to": "main"}}]}, ctx).included
    assert not _job(
        {"rules": [{"changes": {"paths": ["b.txt"], "compare_to": "main"}}]}, ctx
    ).included
    broken = _job({"rules": [{"changes": {"paths": ["a"], "compare_to": "nope"}}]}, ctx)
    assert broken.included is False
    assert broken.error == (
        "Failed to parse rule for job: rules:changes:compare_to is not a valid ref"
    )
    unknown = sim.PipelineContext(ref="f")
    assert _job({"rules": [{"changes": {"paths": ["x"], "compare_to": "main"}}]}, unknown).included


def test_rules_clauses_are_anded() -> None:
    ctx = sim.PipelineContext(project_files=("Dockerfile", "src/app.py"))
    rule = {"if": "$CI_COMMIT_BRANCH", "exists": ["Dockerfile"]}
    assert _job({"rules": [rule]}, ctx).included is True
    assert _job({"rules": [{**rule, "exists": ["Makefile"]}]}, ctx).included is False
    tag = sim.PipelineContext(ref="v1", is_tag=True, project_files=("Dockerfile",))
    assert _job({"rules": [rule]}, tag).included is False


def test_rules_exists_unknown_or_other_project() -> None:
    assert _job({"rules": [{"exists": ["x"]}]}, PUSH_MAIN).included is True  # unknown file list
    ctx = sim.PipelineContext(project_files=("a",))
    other = {"rules": [{"exists": {"paths": ["x"], "project": "other/p"}}]}
    assert _job(other, ctx).included is True
    assert _job({"rules": [{"exists": ["*/"]}]}, ctx).included is False
    nested = sim.PipelineContext(project_files=("dir/sub/file",))
    assert _job({"rules": [{"exists": ["dir/sub/"]}]}, nested).included is True


# --------------------------------------------------------------------------------------------
# workflow:rules (section 4.4)
# --------------------------------------------------------------------------------------------

MR_OR_DEFAULT = {
    "rules": [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"},
        {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "variables": {"ENV": "prod"}},
    ]
}


@pytest.mark.parametrize(
    ("workflow", "ctx", "created", "index"),
    [
        (None, MR, True, None),
        ({}, TAG, True, None),
        ({"name": "x"}, TAG, True, None),
        (MR_OR_DEFAULT, MR, True, 0),
        (MR_OR_DEFAULT, PUSH_MAIN, True, 2),
        (MR_OR_DEFAULT, TAG, False, None),
        (
            MR_OR_DEFAULT,
            sim.PipelineContext(ref="feature", open_merge_requests=("g/p!1",)),
            False,
            1,
        ),
        ({"rules": []}, PUSH_MAIN, False, None),
        ({"rules": [{"when": "always"}]}, PUSH_MAIN, True, 0),
    ],
)
def test_workflow_rules(
    workflow: dict[str, Any] | None, ctx: sim.PipelineContext, created: bool, index: int | None
) -> None:
    decision = sim.evaluate_workflow(workflow, {}, ctx)
    assert decision.created is created, decision.reason
    assert decision.rule_index == index


def test_workflow_variables_and_name() -> None:
    workflow = {**MR_OR_DEFAULT, "name": "Pipeline for $ENV on $CI_COMMIT_REF_NAME"}
    decision = sim.evaluate_workflow(workflow, {"ENV": "dev"}, PUSH_MAIN)
    assert dict(decision.variables) == {"ENV": "prod"}
    assert decision.pipeline_name == "Pipeline for prod on main"
    mr = sim.evaluate_workflow(workflow, {"ENV": "dev"}, MR)
    assert mr.pipeline_name == "Pipeline for dev on feature/x"


def test_workflow_sees_global_but_not_job_variables() -> None:
    workflow = {"rules": [{"if": '$GLOBAL == "1" && $CI_JOB_NAME == null'}]}
    assert sim.evaluate_workflow(workflow, {"GLOBAL": "1"}, PUSH_MAIN).created is True
    assert sim.evaluate_workflow(workflow, {}, PUSH_MAIN).created is False
    cli = sim.PipelineContext(variables={"GLOBAL": "1"})
    assert sim.evaluate_workflow(workflow, {}, cli).created is True


def test_workflow_clause_error() -> None:
    workflow = {"rules": [{"changes": {"paths": ["a"], "compare_to": "x"}}]}
    ctx = sim.PipelineContext(compare_to_changes={})
    decision = sim.evaluate_workflow(workflow, {}, ctx)
    assert decision.created is False
    assert decision.errors == ("rules:changes:compare_to is not a valid ref",)


# --------------------------------------------------------------------------------------------
# plan
# --------------------------------------------------------------------------------------------

JOBS: dict[str, dict[str, Any]] = OrderedDict(
    [
        ("post", {"stage": ".post", "script": ["x"]}),
        (
            "deploy",
            {
                "stage": "deploy",
                "script": ["x"],
                "rules": [{"if": "$CI_COMMIT_TAG", "when": "manual"}],
            },
        ),
        ("unit", {"script": ["x"], "needs": ["build"]}),
        ("build", {"stage": "build", "script": ["x"]}),
        ("pre", {"stage": ".pre", "script": ["x"]}),
        ("mr-only", {"stage": "test", "script": ["x"], "only": ["merge_requests"]}),
        (".hidden", {"stage": "build", "script": ["x"]}),
        ("odd", {"stage": "custom", "script": ["x"]}),
    ]
)


def test_plan_orders_by_stage() -> None:
    result = sim.plan(JOBS, ["build", "test", "deploy"], None, {}, TAG)
    assert [(j.name, j.stage, j.when) for j in result.jobs] == [
        ("pre", ".pre", "on_success"),
        ("build", "build", "on_success"),
        ("unit", "test", "on_success"),
        ("deploy", "deploy", "manual"),
        ("odd", "custom", "on_success"),
        ("post", ".post", "on_success"),
    ]
    assert [j.name for j in result.excluded] == ["mr-only"]
    assert result.created and result.errors == ()
    assert result.stages == (".pre", "build", "test", "deploy", ".post")


def test_plan_branch_pipeline() -> None:
    result = sim.plan(JOBS, [".pre", "build", "test", "deploy", ".post"], None, {}, PUSH_MAIN)
    assert "deploy" in {j.name for j in result.excluded}
    assert result.stages == (".pre", "build", "test", "deploy", ".post")


def test_plan_reports_missing_needs() -> None:
    result = sim.plan(JOBS, ["build", "test"], {"rules": [{"when": "always"}]}, {}, MR)
    # with workflow:rules the defaults are dropped: every job without rules runs in the MR
    assert {j.name for j in result.jobs} == {"post", "unit", "build", "pre", "mr-only", "odd"}
    assert result.errors == ()
    jobs = {
        "unit": {"script": ["x"], "needs": ["build", {"job": "lint", "optional": True}]},
        "build": {"script": ["x"], "only": ["tags"]},
    }
    broken = sim.plan(jobs, ["test"], None, {}, PUSH_MAIN)
    assert len(broken.errors) == 1
    assert broken.errors[0].startswith("'unit' job needs 'build' job, but 'build' does not exist")
    assert not broken.created


def test_plan_rule_needs_replace_job_needs() -> None:
    jobs = {"unit": {"script": ["x"], "needs": ["missing"], "rules": [{"needs": []}]}}
    assert sim.plan(jobs, ["test"], None, {}, PUSH_MAIN).errors == ()


def test_plan_without_jobs_or_filtered() -> None:
    empty = sim.plan(
        {"a": {"script": ["x"], "rules": [{"when": "never"}]}}, [], None, {}, PUSH_MAIN
    )
    assert empty.errors == () and empty.filtered == sim.NO_JOBS_MESSAGE
    assert (empty.status, empty.message) == ("filtered", sim.NO_JOBS_MESSAGE)
    filtered = sim.plan(JOBS, [], {"rules": [{"if": "$NOPE"}]}, {}, PUSH_MAIN)
    assert filtered.workflow.created is False and filtered.jobs == () and not filtered.created
    assert (filtered.status, filtered.message) == ("filtered", sim.WORKFLOW_FILTERED_MESSAGE)


def test_plan_uses_workflow_variables() -> None:
    workflow = {"rules": [{"if": "$CI_COMMIT_BRANCH", "variables": {"ENV": "prod"}}]}
    jobs = {
        "deploy": {"script": ["x"], "rules": [{"if": '$ENV == "prod"'}]},
        "inherit-off": {
            "script": ["x"],
            "inherit": {"variables": False},
            "rules": [{"if": "$ENV"}],
        },
    }
    result = sim.plan(jobs, ["test"], workflow, {"ENV": "dev"}, PUSH_MAIN)
    assert [j.name for j in result.jobs] == ["deploy"]


def test_plan_collects_rule_errors() -> None:
    jobs = {"a": {"script": ["x"], "rules": [{"changes": {"paths": ["x"], "compare_to": "zz"}}]}}
    result = sim.plan(jobs, ["test"], None, {}, sim.PipelineContext(compare_to_changes={}))
    assert result.errors == (
        "Failed to parse rule for a: rules:changes:compare_to is not a valid ref",
    )


def test_plan_decides_hundreds_of_jobs_by_their_own_rule() -> None:
    jobs = {
        f"job-{i}": {
            "stage": ["build", "test", "deploy"][i % 3],
            "script": ["x"],
            "variables": {"N": str(i)},
            "rules": [
                {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"', "when": "never"},
                {"if": f'$N == "{i}" && $CI_COMMIT_BRANCH =~ /^ma.n$/', "changes": ["src/**/*"]},
                {"when": "manual"},
            ],
        }
        for i in range(350)
    }
    sim.plan(jobs, ["build", "test", "deploy"], None, {}, PUSH_FEATURE)  # warm the caches
    result = sim.plan(jobs, ["build", "test", "deploy"], None, {}, PUSH_MAIN)
    assert len(result.jobs) == 350  # timings are measured in bench/bench_plan.py, not here
    assert all(j.decision.rule_index == 1 for j in result.jobs)


def test_plan_accepts_raw_global_variables() -> None:
    """Top-level ``variables:`` entries may be ``{value:, description:}`` mappings."""
    jobs = {"a": {"script": ["x"], "rules": [{"if": '$ENV == "staging"'}]}}
    raw = {"ENV": {"value": "staging", "description": "target"}}
    assert [j.name for j in sim.plan(jobs, ["test"], None, raw, PUSH_MAIN).jobs] == ["a"]
    workflow = {"rules": [{"if": '$ENV == "staging"'}]}
    assert sim.evaluate_workflow(workflow, raw, PUSH_MAIN).created is True
