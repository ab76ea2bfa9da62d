"""``needs`` names a job that does not exist.

## What it does
Checks every ``needs`` entry (strings and ``job:`` mappings in the same pipeline) against the
jobs of the assembled configuration. Entries marked ``optional: true`` are allowed to be
missing. Parallel names such as ``build 1/3`` and ``build: [linux]`` refer to ``build``.

## Why is this bad?
GitLab fails the pipeline: "job: undefined need: X".

## Example
```yaml
build:
  script: [make]
test:
  needs: [biuld]
  script: [make test]
```

## Use instead
```yaml
build:
  script: [make]
test:
  needs: [build]
  script: [make test]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.rules._common import cross_job_errors, from_cross_job, job_named, need_items
from cigen.suggest import did_you_mean

CODE = "CIG202"
NAME = "needs-unknown-job"
SEVERITY = Severity.ERROR
SUMMARY = "needs names a job that does not exist"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if cross_job_errors(ctx) is not None:
        # GitLab's own check (yaml_processor.rb): parallel instances, needs:parallel:matrix
        yield from from_cross_job(ctx, CODE, NAME, SEVERITY, explainable=True)
        return
    yield from _guess(ctx)


def _guess(ctx: LintContext) -> Iterator[Diagnostic]:
    """While the entry tree has errors GitLab checks nothing across jobs; this reads the
    configuration as written, to say what it would report next."""
    incomplete = ctx.pipeline.incomplete
    for job in ctx.pipeline.jobs.values():
        for name, mark, optional in need_items(job):
            if optional or job_named(ctx, name) is not None:
                continue
            message = (
                f"{job.name} job: undefined need: {name}{did_you_mean(name, ctx.pipeline.jobs)}; "
                "define that job, fix the name or mark the need optional: true"
            )
            level = SEVERITY
            if incomplete:
                level = Severity.INFO
                message += ctx.unfollowed_hint()
            yield at(mark, CODE, NAME, level, message, job=job.name, anchor=name)
