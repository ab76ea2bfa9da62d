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

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_cross_job

CODE = "CIG203"
NAME = "needs-later-stage"
SEVERITY = Severity.ERROR
SUMMARY = "needs points at a job in a later stage"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    # GitLab's own check (yaml_processor.rb ``validate_job_dependency!``); a stage may come
    # from an include that was not followed
    return from_cross_job(ctx, CODE, NAME, SEVERITY, explainable=True)
