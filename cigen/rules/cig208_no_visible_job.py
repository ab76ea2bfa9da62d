"""The configuration has no visible job.

## What it does
Reports a configuration whose jobs are all hidden (names starting with ``.``) or missing.

## Why is this bad?
GitLab refuses it: "jobs config should contain at least one visible job".

## Example
```yaml
.build:
  script: [make]
```

## Use instead
```yaml
build:
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext

CODE = "CIG208"
NAME = "no-visible-job"
SEVERITY = Severity.ERROR
SUMMARY = "no visible job at all"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    pipeline = ctx.pipeline
    if pipeline.config is None or pipeline.jobs:
        return
    if pipeline.events_of("job-without-script"):
        return  # those jobs are reported by job-without-script
    if (
        pipeline.tainted
        or pipeline.incomplete
        or any(e.kind.startswith("include-") for e in pipeline.events)
    ):
        return  # jobs may come from includes that were not followed or failed
    yield at(
        pipeline.config.mark,
        CODE,
        NAME,
        SEVERITY,
        "jobs config should contain at least one visible job; name a job without a leading dot",
    )
