"""A job with no ``script``, ``run`` or ``trigger``.

## What it does
Reports visible jobs (top-level keys not starting with ``.``) that, after includes,
``extends`` and ``!reference``, have none of ``script``, ``run``, ``trigger`` or ``needs``.
Hide templates by starting their name with a dot.

## Why is this bad?
GitLab fails the pipeline: "config should implement the script:, run:, or trigger: keyword".

## Example
```yaml
template:
  image: alpine
build:
  extends: template
  script: [make]
```

## Use instead
```yaml
.template:
  image: alpine
build:
  extends: .template
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_model

CODE = "CIG207"
NAME = "job-without-script"
SEVERITY = Severity.ERROR
SUMMARY = "a job with no script, run or trigger"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_model(ctx, CODE, NAME, SEVERITY)
