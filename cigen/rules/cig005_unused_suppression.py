"""A ``# cigen: ignore[...]`` comment that silences nothing.

## What it does
Reports a suppression comment that matched no finding: the problem it silenced was fixed, the
rule it names is unknown, the comment is on the wrong line, or an ``ignore-file`` comment is not
in the comment block at the top of the file. The engine emits it after every rule has run; a
suppression naming a rule that did not run (``select`` / ``ignore``) is not reported.

Suppressions: ``# cigen: ignore[CODE, name, ...]`` at the end of a line silences those rules'
findings on that line; alone on a line it silences the next line that is not blank or a
comment. ``# cigen: ignore-file[...]`` among the comments at the top of a file silences the
rules in the whole file. Codes (``CIG202``) and names (``needs-unknown-job``) both work.

## Why is this bad?
A stale suppression hides the next real problem on that line. Remove it so the file says only
what is still true.

## Example
```yaml
build:
  stage: build
  script: [make]  # cigen: ignore[unknown-stage]
```

## Use instead
```yaml
build:
  stage: compile  # cigen: ignore[unknown-stage]
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext

CODE = "CIG005"
NAME = "unused-suppression"
SEVERITY = Severity.INFO
SUMMARY = "a # cigen: ignore[...] comment that matched no finding"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return iter(())  # the engine applies suppressions after the rules: cigen/lint/suppress.py
