"""``only``/``except`` used together with ``rules``.

## What it does
Reports jobs that set ``rules`` and also ``only`` or ``except`` (a ``null`` value is ignored, as
GitLab ignores it).

## Why is this bad?
GitLab fails the pipeline: "config key may not be used with `rules`: only".

## Example
```yaml
build:
  script: [make]
  only: [main]
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
```

## Use instead
```yaml
build:
  script: [make]
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_model

CODE = "CIG206"
NAME = "only-with-rules"
SEVERITY = Severity.ERROR
SUMMARY = "only/except together with rules"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_model(ctx, CODE, NAME, SEVERITY)
