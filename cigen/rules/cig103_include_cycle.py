"""Files that include each other.

## What it does
Reports an include that leads back to a file already being included.

## Why is this bad?
GitLab follows the cycle until its 150-include limit and then fails the pipeline.

## Example
```yaml
include: .gitlab-ci.yml
build:
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
from cigen.rules._common import from_events

CODE = "CIG103"
NAME = "include-cycle"
SEVERITY = Severity.ERROR
SUMMARY = "files that include each other"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "include-cycle", CODE, NAME, SEVERITY, explainable=False)
