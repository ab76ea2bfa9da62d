"""Runner matching shared by the CIG3xx rules (not a rule)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cigen.lint.context import LintContext


def tagged(ctx: LintContext) -> Iterator[Any]:
    """Jobs to check: all build jobs, or with a simulation only those that will run."""
    if ctx.runners is None:
        return
    from cigen.runners.tags import tagged_jobs

    running = getattr(ctx.simulation, "running", None)
    for job in tagged_jobs(ctx.pipeline, ctx.variables):
        if running is not None and job.job.name not in running:
            continue
        if running is None and _never_runs(job.job.value("rules")):
            continue  # no ref can start it, so no runner is needed
        yield job


def _never_runs(rules: Any) -> bool:
    """Rules that exclude the job on every ref: each one says ``when: never``."""
    return bool(rules) and all(rule.when == "never" for rule in rules)


def outcomes(ctx: LintContext) -> Iterator[tuple[Any, Any]]:
    """``(tagged job, JobMatch)`` for jobs whose tags hold no unresolved variable; matched once
    per run and shared by the runner rules."""
    if ctx.runners is None:
        return
    if "runner-outcomes" not in ctx.shared:
        from cigen.runners.match import JobTags, index_runners, match

        jobs = [job for job in tagged(ctx) if not job.unresolved]
        index = index_runners(ctx.runners)
        requests = [JobTags(j.name, j.tags, j, ctx.protected_ref) for j in jobs]
        ctx.shared["runner-outcomes"] = list(zip(jobs, match(requests, index), strict=True))
    yield from ctx.shared["runner-outcomes"]
