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
from cigen.rules._common import from_cross_job, from_model

CODE = "CIG204"
NAME = "dependencies-unknown-job"
SEVERITY = Severity.ERROR
SUMMARY = "dependencies names a missing, later or un-needed job"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    # GitLab's own checks (yaml_processor.rb): parallel instances, needs:parallel:matrix
    yield from from_cross_job(ctx, CODE, NAME, SEVERITY, explainable=True)
    yield from _not_in_needs(ctx)


def _not_in_needs(ctx: LintContext) -> Iterator[Diagnostic]:
    """``Job``'s composed check (``job.rb``: dependencies must be part of needs), at each
    name."""
    from cigen.config.needs import job_names
    from cigen.yaml.load import YSeq

    model = ctx.pipeline.model
    for found in from_model(ctx, CODE, NAME, SEVERITY):
        job = None if model is None or found.job is None else model.jobs.get(found.job)
        if job is None:
            yield found
            continue
        dependencies = job.node.get("dependencies")
        if not isinstance(dependencies, YSeq):
            continue
        needs = job_names(job.value("needs")) or set()
        for index, item in enumerate(dependencies):
            if item not in needs:
                yield at(
                    dependencies.item_mark(index),
                    CODE,
                    NAME,
                    SEVERITY,
                    f"jobs:{job.name} dependencies the {item} should be part of needs; add it "
                    "to needs",
                    job=job.name,
                    anchor=str(item),
                    explainable=found.explainable,
                )
