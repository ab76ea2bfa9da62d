"""Each job's effective runner tags, as GitLab computes them at pipeline creation.

Tags come from the job after includes, ``extends`` (arrays replace), ``!reference`` and
``default:`` (only when the job sets none; ``inherit:`` respected), then every tag is expanded
with ``$NAME``/``${NAME}``/``%NAME%`` from the job's variables (global ``variables:`` included),
``parallel:matrix`` values (one instance per combination) and ``--var`` values (semantics 1.6).
Trigger jobs run on no runner and are left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from cigen.diagnostics import Mark
from cigen.model import Job, Pipeline
from cigen.records import dataclass
from cigen.runners.match import expand_tag, unresolved_variables
from cigen.yaml.load import YSeq, scalar_text


@dataclass(frozen=True, slots=True)
class TaggedJob:
    """One job instance (a ``parallel:matrix`` combination is its own instance)."""

    name: str
    job: Job
    tags: tuple[str, ...]
    raw_tags: tuple[str, ...]
    mark: Mark
    unresolved: tuple[tuple[str, str], ...]  # (raw tag, variable name)


def job_variables(job: Job) -> dict[str, str]:
    raw = job.config.get("variables")
    out: dict[str, str] = {}
    if isinstance(raw, dict):
        for name, value in raw.items():
            if isinstance(value, dict):
                value = value.get("value", "")
            if not isinstance(value, (dict, list)):
                out[name] = scalar_text(value)
    return out


def matrix_instances(job: Job) -> Iterator[tuple[str, dict[str, str]]]:
    """``(instance name, matrix variables)``; a job without a matrix is one instance
    (the instances of ``parallel: N`` share their tags, so they count as one here)."""
    from cigen.pipeline.parallel import instances

    parallel = job.config.get("parallel")
    if not isinstance(parallel, dict) or "matrix" not in parallel:
        yield job.name, {}
        return
    for instance in instances(job.name, parallel):
        yield instance.name, dict(instance.matrix)


def tags_mark(job: Job) -> Mark:
    """Where the job's tags are written; the job key when they come from ``default:``."""
    if "tags" in job.inherited or "tags" not in job.config:
        return job.mark
    return job.config.value_mark("tags")


def tagged_jobs(pipeline: Pipeline, extra: Mapping[str, str]) -> Iterator[TaggedJob]:
    for job in pipeline.jobs.values():
        if job.kind != "build":
            continue
        raw = job.config.get("tags")
        raw_tags = tuple(scalar_text(t) for t in raw) if isinstance(raw, (list, YSeq)) else ()
        if isinstance(raw, str):
            raw_tags = (raw,)
        base = job_variables(job)
        for name, matrix in matrix_instances(job):
            variables = {**base, **matrix, **extra}
            tags = tuple(expand_tag(tag, variables) for tag in raw_tags)
            unresolved = tuple(
                (raw_tag, var)
                for raw_tag, tag in zip(raw_tags, tags, strict=True)
                for var in unresolved_variables(tag)
            )
            yield TaggedJob(name, job, tags, raw_tags, tags_mark(job), unresolved)


def tag_item_mark(tagged: TaggedJob, raw_tag: str) -> Mark:
    raw = tagged.job.config.get("tags")
    if isinstance(raw, YSeq) and "tags" not in tagged.job.inherited:
        for index, item in enumerate(raw):
            if item == raw_tag:
                return raw.item_mark(index)
    return tagged.mark
