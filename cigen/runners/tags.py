"""Each job's effective runner tags, as GitLab computes them at pipeline creation.

Tags come from the job model (:mod:`cigen.config.jobs`: the job after includes, ``extends``
(arrays replace), ``!reference`` and ``default:`` (only when the job sets none; ``inherit:``
respected)), then every tag is expanded with ``$NAME``/``${NAME}``/``%NAME%`` from the job's
variables (global ``variables:`` included), ``parallel:matrix`` values (one instance per
combination) and ``--var`` values (semantics 1.6). Trigger jobs run on no runner and are left
out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.runners.match import expand_tag, unresolved_variables
from cigen.yaml.load import YSeq

if TYPE_CHECKING:
    from cigen.config.jobs import PipelineJob
    from cigen.model import Pipeline


@dataclass(frozen=True, slots=True)
class TaggedJob:
    """One job instance (a ``parallel:matrix`` combination is its own instance)."""

    name: str
    job: PipelineJob
    tags: tuple[str, ...]
    raw_tags: tuple[str, ...]
    mark: Mark
    unresolved: tuple[tuple[str, str], ...]  # (raw tag, variable name)


def matrix_instances(job: PipelineJob) -> Iterator[tuple[str, Mapping[str, str]]]:
    """``(instance name, matrix variables)``; a job without a matrix is one instance
    (the instances of ``parallel: N`` share their tags, so they count as one here)."""
    parallel = job.value("parallel")
    if parallel is None or parallel.matrix is None:
        yield job.name, {}
        return
    for instance in job.instances:
        yield instance.name, instance.variables


def tagged_jobs(pipeline: Pipeline, extra: Mapping[str, str]) -> Iterator[TaggedJob]:
    for job in pipeline.model_jobs.values():
        if job.kind != "job":
            continue
        raw_tags: tuple[str, ...] = job.value("tags") or ()
        base = job.variable_values()
        mark = job.own_mark("tags")
        for name, matrix in matrix_instances(job):
            variables = {**base, **matrix, **extra}
            tags = tuple(expand_tag(tag, variables) for tag in raw_tags)
            unresolved = tuple(
                (raw_tag, var)
                for raw_tag, tag in zip(raw_tags, tags, strict=True)
                for var in unresolved_variables(tag)
            )
            yield TaggedJob(name, job, tags, raw_tags, mark, unresolved)


def tag_item_mark(tagged: TaggedJob, raw_tag: str) -> Mark:
    """Where ``raw_tag`` is written in the job; the tags' position when it is not its own."""
    written = tagged.job.entry.node.get("tags")
    if isinstance(written, YSeq) and "tags" not in tagged.job.inherited:
        for index, item in enumerate(written):
            if item == raw_tag:
                return written.item_mark(index)
    return tagged.mark
