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

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_model

CODE = "CIG208"
NAME = "no-visible-job"
SEVERITY = Severity.ERROR
SUMMARY = "no visible job at all"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_model(ctx, CODE, NAME, SEVERITY)
