"""``needs`` that loop, point at the job itself, or repeat.

## What it does
Builds the graph of ``needs`` between jobs and reports a job that needs itself, jobs that need
each other (directly or through others), and the same job listed twice in one ``needs``.

## Why is this bad?
GitLab fails the pipeline: "The pipeline has circular dependencies", or "has the following
needs duplicated".

## Example
```yaml
build:
  script: [make]
  needs: [test]
test:
  script: [make test]
  needs: [build]
```

## Use instead
```yaml
build:
  script: [make]
test:
  script: [make test]
  needs: [build]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_cross_job

CODE = "CIG210"
NAME = "needs-cycle"
SEVERITY = Severity.ERROR
SUMMARY = "needs that loop, point at the job itself, or repeat"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    # GitLab's own checks (yaml_processor.rb ``validate_needs_specification!``, ``dag.rb``)
    return from_cross_job(ctx, CODE, NAME, SEVERITY, explainable=False)
