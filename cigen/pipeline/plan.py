"""Simulate the pipeline GitLab would create for a ref (``cigen plan`` / ``cigen explain``).

Pure glue between the resolved :class:`~cigen.model.Pipeline` and :mod:`cigen.pipeline.simulate`:
builds the plan and turns it into data for the reporters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace as _with
from typing import Any

from cigen.model import Pipeline
from cigen.pipeline.simulate import (
    INVALID_REASON,
    PipelineContext,
    Plan,
    PlannedJob,
    WorkflowDecision,
    job_variable_layers,
    normalize_variables,
    plan,
)
from cigen.records import dataclass


@dataclass(frozen=True)
class Simulation:
    """What lint needs from a plan: the job definitions that will run (a parallel job runs
    when one of its instances does)."""

    plan: Plan

    @property
    def running(self) -> frozenset[str]:
        return frozenset(job.definition for job in self.plan.jobs)


def make_context(
    *,
    ref: str | None,
    tag: bool,
    source: str,
    default_branch: str,
    protected: bool | None,
    changed: Sequence[str] | None,
    variables: Mapping[str, str],
    project_files: Sequence[str] | None = None,
    mr_target: str | None = None,
) -> PipelineContext:
    ref = ref or default_branch
    if protected is None:
        protected = not tag and ref == default_branch and source != "merge_request_event"
    extra: dict[str, Any] = {}
    if source == "merge_request_event":
        extra = {"merge_request_iid": 1, "merge_request_target_branch": mr_target or default_branch}
    return PipelineContext(
        ref=ref,
        is_tag=tag,
        source=source,
        default_branch=default_branch,
        protected=protected,
        changed_files=tuple(changed) if changed else None,
        project_files=tuple(project_files) if project_files is not None else None,
        variables=dict(variables),
        **extra,
    )


def _own_variables(job: Mapping[str, Any], written: object) -> Mapping[str, Any]:
    """The job with only its own ``variables:``: the resolved job carries the top-level ones
    too, but in rules those come below the ``workflow:rules`` variables
    (``Chain::Seed#root_variables``, ``Seed::Build#calculate_yaml_variables!``)."""
    own = written.get("variables") if isinstance(written, Mapping) else None
    if own is None and "variables" not in job:
        return job
    out = {k: v for k, v in job.items() if k != "variables"}
    if own is not None:
        out["variables"] = own
    return out


@dataclass(frozen=True)
class _Inputs:
    jobs: Mapping[str, Mapping[str, Any]]
    workflow: Mapping[str, Any] | None
    variables: Mapping[str, Any]


def _inputs(pipeline: Pipeline) -> _Inputs:
    config: Mapping[str, Any] = pipeline.config or {}
    jobs = {
        name: _own_variables(job.config, config.get(name)) for name, job in pipeline.jobs.items()
    }
    workflow = config.get("workflow") if isinstance(config.get("workflow"), dict) else None
    variables = config.get("variables") if isinstance(config.get("variables"), dict) else {}
    return _Inputs(jobs, workflow, variables or {})


def simulate(pipeline: Pipeline, ctx: PipelineContext) -> Plan:
    given = _inputs(pipeline)
    return plan(given.jobs, pipeline.stages, given.workflow, given.variables, ctx)


def variable_origins(
    pipeline: Pipeline, ctx: PipelineContext, result: Plan, planned: PlannedJob
) -> dict[str, tuple[str, str]]:
    """Every variable ``planned``'s rules saw: name -> (value, where it came from: predefined,
    top-level, workflow, job, matrix or --var)."""
    given = _inputs(pipeline)
    layers = job_variable_layers(
        planned.name,
        given.jobs.get(planned.definition, {}),
        ctx,
        [
            ("top-level", normalize_variables(given.variables)),
            ("workflow", dict(result.workflow.variables)),
        ],
        instance=planned.instance,
    )
    out: dict[str, tuple[str, str]] = {}
    for origin, values in layers:
        out.update({name: (value, origin) for name, value in values.items()})
    return out


def config_errors(pipeline: Pipeline) -> tuple[str, ...]:
    """The validator's errors, positioned: GitLab's ``Chain::Config::Process`` refuses the
    pipeline before any rule is evaluated."""
    model = pipeline.model
    if model is None or model.valid:
        return ()
    return tuple(f"{e.mark.path}:{e.mark.line}:{e.mark.col}: {e.message}" for e in model.errors)


def refused(message: str, detail: Sequence[str] = ()) -> Plan:
    """The pipeline GitLab refuses to create for an invalid configuration: one error, the
    message ``Chain::Config::Process`` shows (``result.errors.first``); ``detail`` is cigen's
    own addition (where it is, and the errors GitLab would report once that one is fixed)."""
    workflow = WorkflowDecision(created=False, rule_index=None, variables={}, reason=INVALID_REASON)
    return Plan(workflow, (), (), (), (message,), detail=tuple(detail))


def seeded(pipeline: Pipeline, ctx: PipelineContext) -> Plan:
    """The pipeline ``plan`` and ``explain`` show: refused when the configuration is invalid,
    otherwise :func:`simulate`."""
    model = pipeline.model
    if model is None or model.valid:
        return simulate(pipeline, ctx)
    return _with(refused(model.errors[0].message, config_errors(pipeline)), stages=pipeline.stages)


def plan_data(
    result: Plan, runners_by_job: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """The JSON shape of ``cigen plan --format json``."""
    jobs = []
    for job in result.jobs:
        item: dict[str, Any] = {
            "name": job.name,
            "stage": job.stage,
            "when": job.when,
            "allow_failure": job.decision.allow_failure,
            "reason": job.decision.reason,
        }
        if job.decision.start_in:
            item["start_in"] = job.decision.start_in
        if job.needs is not None:
            item["needs"] = list(job.needs)
        if job.dependencies is not None:
            item["dependencies"] = list(job.dependencies)
        if runners_by_job is not None:
            found = runners_by_job.get(job.name, runners_by_job.get(job.definition, ()))
            item["runners"] = list(dict.fromkeys(found))
        jobs.append(item)
    return {
        "created": result.created,
        "status": result.status,
        "message": result.message,
        "workflow": result.workflow.reason,
        "errors": list(result.errors),
        "detail": list(result.detail),
        "jobs": jobs if result.created else [],
        "excluded": [{"name": j.name, "reason": j.decision.reason} for j in result.excluded],
    }
