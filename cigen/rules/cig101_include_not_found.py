"""A local include names a file that does not exist.

## What it does
Reports ``include:local`` paths (and string shorthands) that name no file in the project, and
empty included files. Paths are taken from the repository root; a leading ``/`` is optional.
A wildcard that matches nothing is a warning: GitLab silently includes nothing, and a wildcard
starting with ``/`` never matches in GitLab.

## Why is this bad?
GitLab fails the pipeline: "Local file ... does not exist!".

## Example
```yaml
include: ci/missing.yml
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

CODE = "CIG101"
NAME = "include-not-found"
SEVERITY = Severity.ERROR
SUMMARY = "a local include names a file that does not exist"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "include-not-found", CODE, NAME, SEVERITY, explainable=False)
