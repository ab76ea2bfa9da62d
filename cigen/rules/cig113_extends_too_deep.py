"""``extends`` chains longer than GitLab allows.

## What it does
Reports keys whose ``extends`` chain is more than 11 levels deep (GitLab: an entry with more
than 10 ancestors that itself still extends another fails).

## Why is this bad?
GitLab fails the pipeline: "nesting too deep in `extends`".

## Example
```yaml
.l1: {extends: .l2}
.l2: {extends: .l3}
.l3: {extends: .l4}
.l4: {extends: .l5}
.l5: {extends: .l6}
.l6: {extends: .l7}
.l7: {extends: .l8}
.l8: {extends: .l9}
.l9: {extends: .l10}
.l10: {extends: .l11}
.l11: {extends: .l12}
.l12: {image: alpine}
build:
  extends: .l1
  script: [make]
```

## Use instead
```yaml
.l1: {image: alpine}
build:
  extends: .l1
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_events

CODE = "CIG113"
NAME = "extends-too-deep"
SEVERITY = Severity.ERROR
SUMMARY = "extends chains longer than GitLab allows"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "extends-too-deep", CODE, NAME, SEVERITY, explainable=False)
