"""A mapping has the same key twice.

## What it does
Reports a key written twice in one mapping. GitLab accepts the file and silently keeps only the
last value.

## Why is this bad?
The first value is ignored, which is rarely what the author meant (often a job name copied and
not renamed).

## Example
```yaml
build:
  script: [make]
build:
  script: [make install]
```

## Use instead
```yaml
build:
  script: [make]
install:
  script: [make install]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext

CODE = "CIG003"
NAME = "duplicate-key"
SEVERITY = Severity.WARNING
SUMMARY = "a key written twice in one mapping (the last one wins)"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for loaded in ctx.pipeline.files.values():
        for problem in loaded.problems:
            if problem.kind == "duplicate-key":
                yield at(problem.mark, CODE, NAME, SEVERITY, problem.message)
