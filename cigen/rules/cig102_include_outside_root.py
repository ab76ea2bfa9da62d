"""An include that leaves the project root.

## What it does
Reports local includes whose path climbs out of the project with ``..`` or through a symlink.
cigen never reads outside the root; GitLab reads local includes from the repository only.

## Why is this bad?
No such file exists in the repository GitLab reads.

## Example
```yaml
include: ../outside.yml
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

CODE = "CIG102"
NAME = "include-outside-root"
SEVERITY = Severity.ERROR
SUMMARY = "an include that leaves the project root"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "include-outside-root", CODE, NAME, SEVERITY, explainable=False)
