"""More than 150 includes.

## What it does
Counts every include as GitLab does (nested ones, each file a wildcard matches, and repeats)
and reports the one that passes the limit of 150.

## Why is this bad?
GitLab fails the pipeline: "Maximum of 150 nested includes are allowed!".

## Example
```yaml
include: ci/*.yml
build:
  script: [make]
# file: ci/a.yml
include: [ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml, ci/b.yml]
# file: ci/b.yml
include: [ci/c.yml, ci/c.yml, ci/c.yml, ci/c.yml, ci/c.yml, ci/c.yml, ci/c.yml]
# file: ci/c.yml
.c: {script: [true]}
```

## Use instead
```yaml
include: ci/c.yml
build:
  script: [make]
# file: ci/c.yml
.c: {script: [true]}
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_events

CODE = "CIG105"
NAME = "include-limit"
SEVERITY = Severity.ERROR
SUMMARY = "more than 150 includes"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "include-limit", CODE, NAME, SEVERITY, explainable=False)
