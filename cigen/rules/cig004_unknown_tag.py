"""A YAML tag other than ``!reference``.

## What it does
Reports YAML tags that GitLab does not know. GitLab ignores them, which usually hides a
quoting mistake: an unquoted ``if: !($A == "x")`` makes ``!($A`` a tag and leaves the
expression ``== "x")``.

## Why is this bad?
The value GitLab sees is not the value written.

## Example
```yaml
build:
  script: [make]
  rules:
    - if: !($CI_COMMIT_BRANCH == "main")
```

## Use instead
```yaml
build:
  script: [make]
  rules:
    - if: '!($CI_COMMIT_BRANCH == "main")'
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext

CODE = "CIG004"
NAME = "unknown-tag"
SEVERITY = Severity.WARNING
SUMMARY = "a YAML tag GitLab ignores (often an unquoted '!')"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for loaded in ctx.pipeline.files.values():
        for problem in loaded.problems:
            if problem.kind == "unknown-tag":
                yield at(problem.mark, CODE, NAME, SEVERITY, problem.message)
