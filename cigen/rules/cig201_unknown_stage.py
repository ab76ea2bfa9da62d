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

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_cross_job

CODE = "CIG201"
NAME = "unknown-stage"
SEVERITY = Severity.ERROR
SUMMARY = "a job's stage is not declared in stages"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    # GitLab's own check (yaml_processor.rb ``validate_job_stage!``); ``stages`` may come from
    # an include that was not followed
    return from_cross_job(ctx, CODE, NAME, SEVERITY, explainable=True)
