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

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_cross_job

CODE = "CIG202"
NAME = "needs-unknown-job"
SEVERITY = Severity.ERROR
SUMMARY = "needs names a job that does not exist"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    # GitLab's own check (yaml_processor.rb): parallel instances, needs:parallel:matrix
    return from_cross_job(ctx, CODE, NAME, SEVERITY, explainable=True)
