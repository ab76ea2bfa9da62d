"""``extends`` chains that loop back.

## What it does
Reports a chain of ``extends`` that leads back to a key already in it.

## Why is this bad?
GitLab fails the pipeline: "circular dependency detected in `extends`".

## Example
```yaml
.a:
  extends: .b
.b:
  extends: .a
build:
  extends: .a
  script: [make]
```

## Use instead
```yaml
.a:
  image: alpine
.b:
  extends: .a
build:
  extends: .b
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_events

CODE = "CIG112"
NAME = "extends-cycle"
SEVERITY = Severity.ERROR
SUMMARY = "extends chains that loop"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "extends-cycle", CODE, NAME, SEVERITY, explainable=False)
