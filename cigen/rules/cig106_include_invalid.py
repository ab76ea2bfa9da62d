"""An include entry GitLab cannot use.

## What it does
Reports include entries that are neither a path nor a mapping with ``local``, ``project``,
``remote``, ``template`` or ``component``, and local files without a ``.yml``/``.yaml``
extension.

## Why is this bad?
GitLab fails the pipeline: "Included file ... does not have YAML extension!".

## Example
```yaml
include: ci/build.txt
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

CODE = "CIG106"
NAME = "include-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "an include entry GitLab cannot use"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "include-invalid", CODE, NAME, SEVERITY, explainable=False)
