"""``dependencies`` names a job that does not exist or runs later.

## What it does
Checks every ``dependencies`` entry: the job must exist, be in the same or an earlier stage,
and, when the job also has ``needs``, be listed in ``needs``.

## Why is this bad?
GitLab fails the pipeline: "undefined dependency: X", "dependency X is not defined in current
or prior stages" or "the X should be part of needs".

## Example
```yaml
build:
  stage: build
  script: [make]
test:
  dependencies: [biuld]
  script: [make test]
```

## Use instead
```yaml
build:
  stage: build
  script: [make]
test:
  dependencies: [build]
  script: [make test]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.rules._common import (
    cross_job_errors,
    from_cross_job,
    job_named,
    need_items,
    stage_positions,
)
from cigen.suggest import did_you_mean

CODE = "CIG204"
NAME = "dependencies-unknown-job"
SEVERITY = Severity.ERROR
SUMMARY = "dependencies names a missing, later or un-needed job"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if cross_job_errors(ctx) is not None:
        # GitLab's own check (yaml_processor.rb): parallel instances, needs:parallel:matrix
        yield from from_cross_job(ctx, CODE, NAME, SEVERITY, explainable=True)
        return
    yield from _guess(ctx)


def _guess(ctx: LintContext) -> Iterator[Diagnostic]:
    """While the entry tree has errors GitLab checks nothing across jobs; this reads the
    configuration as written, to say what it would report next."""
    order = stage_positions(ctx)
    incomplete = ctx.pipeline.incomplete
    for job in ctx.pipeline.jobs.values():
        needs = {name for name, _mark, _opt in need_items(job)}
        has_needs = "needs" in job.config and job.config["needs"] is not None
        for name, mark, _optional in need_items(job, "dependencies"):
            needed = job_named(ctx, name)
            if needed is None:
                level = Severity.INFO if incomplete else SEVERITY
                hint = did_you_mean(name, ctx.pipeline.jobs)
                message = f"{job.name} job: undefined dependency: {name}{hint}; fix the name"
                if incomplete:
                    message += ctx.unfollowed_hint()
                yield at(mark, CODE, NAME, level, message, job=job.name, anchor=name)
                continue
            if order.get(needed.stage, -1) > order.get(job.stage, -1) >= 0:
                yield at(
                    mark,
                    CODE,
                    NAME,
                    SEVERITY,
                    f"{job.name} job: dependency {name} is not defined in current or prior "
                    f"stages ({name} is in {needed.stage}); move one of them",
                    job=job.name,
                    anchor=name,
                )
            elif has_needs and name not in needs:
                yield at(
                    mark,
                    CODE,
                    NAME,
                    SEVERITY,
                    f"{job.name} job: the {name} should be part of needs; add it to needs",
                    job=job.name,
                    anchor=name,
                )
