"""A job's stage is not among the pipeline's stages.

## What it does
Checks each job's ``stage`` against ``stages`` (GitLab's defaults ``build``, ``test``,
``deploy`` when none are declared; ``.pre`` and ``.post`` always exist). A job without
``stage`` is in ``test``, which must then exist.

## Why is this bad?
GitLab fails the pipeline: "chosen stage X does not exist; available stages are ...".

## Example
```yaml
stages: [build, deploy]
build:
  stage: biuld
  script: [make]
```

## Use instead
```yaml
stages: [build, deploy]
build:
  stage: build
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.suggest import did_you_mean

CODE = "CIG201"
NAME = "unknown-stage"
SEVERITY = Severity.ERROR
SUMMARY = "a job's stage is not declared in stages"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    stages = ctx.pipeline.stages
    available = ", ".join(stages)
    for job in ctx.pipeline.jobs.values():
        stage = job.stage
        if stage in stages:
            continue
        if "stage" not in job.config and ctx.pipeline.incomplete:
            continue  # the stage may be set by an include that was not followed
        if "stage" in job.config:
            message = (
                f"{job.name} job: chosen stage {stage} does not exist"
                f"{did_you_mean(stage, stages)}; available stages are "
                f"{available}: add it to stages or fix the name"
            )
        else:
            message = (
                f"{job.name} job has no stage, so it is in 'test', which stages does not "
                f"declare (available: {available}): set stage or add 'test' to stages"
            )
        yield at(job.stage_mark, CODE, NAME, SEVERITY, message, job=job.name, anchor=stage)
