"""``needs`` points at a job in a later stage.

## What it does
Reports ``needs`` entries whose job runs in a later stage than the job that needs it (same
stage is allowed, as in GitLab).

## Why is this bad?
GitLab fails the pipeline: "need X is not defined in current or prior stages".

## Example
```yaml
stages: [build, test]
unit:
  stage: build
  needs: [compile]
  script: [make test]
compile:
  stage: test
  script: [make]
```

## Use instead
```yaml
stages: [build, test]
compile:
  stage: build
  script: [make]
unit:
  stage: test
  needs: [compile]
  script: [make test]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.rules._common import job_named, need_items, stage_positions

CODE = "CIG203"
NAME = "needs-later-stage"
SEVERITY = Severity.ERROR
SUMMARY = "needs points at a job in a later stage"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    order = stage_positions(ctx)
    for job in ctx.pipeline.jobs.values():
        own = order.get(job.stage)
        if own is None:
            continue
        for name, mark, _optional in need_items(job):
            needed = job_named(ctx, name)
            if needed is None or order.get(needed.stage, -1) <= own:
                continue
            if ctx.pipeline.incomplete and not ("stage" in needed.config and "stage" in job.config):
                continue  # a stage may be set by an include that was not followed
            yield at(
                mark,
                CODE,
                NAME,
                SEVERITY,
                f"{job.name} job: need {name} is not defined in current or prior stages "
                f"({name} is in {needed.stage}, {job.name} in {job.stage}); move one of them",
                job=job.name,
                anchor=name,
            )
