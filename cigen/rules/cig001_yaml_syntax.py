"""The file is not YAML that GitLab can load.

## What it does
Reports YAML syntax errors, unquoted dates (GitLab refuses the whole file), files over GitLab's
2 MB limit, nesting over 100 levels, runaway alias expansion, text that is not UTF-8, and
multi-document files that are not a ``spec:`` header followed by the configuration.

## Why is this bad?
GitLab rejects the whole configuration, so no pipeline is created.

## Example
```yaml
build:
  script: [make
```

## Use instead
```yaml
build:
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext

CODE = "CIG001"
NAME = "yaml-syntax"
SEVERITY = Severity.ERROR
SUMMARY = "YAML that GitLab cannot load"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for loaded in ctx.pipeline.files.values():
        for problem in loaded.problems:
            if problem.kind == "syntax":
                yield at(problem.mark, CODE, NAME, SEVERITY, problem.message)
