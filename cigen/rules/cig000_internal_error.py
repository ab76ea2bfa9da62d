"""A rule or the engine crashed; the result is incomplete.

## What it does
Reports that cigen itself failed while checking the configuration. The engine emits it when a
rule raises, naming the rule, so a crash never looks like a clean run.

## Why is this bad?
A crashed check may have hidden real problems. Please report it with the configuration that
triggers it.

## Example
```yaml
# no configuration triggers this on purpose
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

CODE = "CIG000"
NAME = "internal-error"
SEVERITY = Severity.ERROR
SUMMARY = "cigen crashed while checking; the result is incomplete"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return iter(())
