"""``extends`` names a key that does not exist, or one that is not a mapping.

## What it does
Reports each ``extends`` parent that is not a top-level key of the assembled configuration
(after includes), or whose value is not a mapping.

## Why is this bad?
GitLab fails the pipeline: "unknown keys in `extends`" / "invalid base hashes in `extends`".

## Example
```yaml
build:
  extends: .tempalte
  script: [make]
.template:
  image: alpine
```

## Use instead
```yaml
build:
  extends: .template
  script: [make]
.template:
  image: alpine
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_events

CODE = "CIG111"
NAME = "extends-unknown"
SEVERITY = Severity.ERROR
SUMMARY = "extends names a key that does not exist or is not a mapping"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    names = tuple(ctx.pipeline.config or ())
    return from_events(
        ctx, "extends-unknown", CODE, NAME, SEVERITY, explainable=True, suggest_from=names
    )
