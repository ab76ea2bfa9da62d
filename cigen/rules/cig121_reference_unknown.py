"""A ``!reference`` that points nowhere.

## What it does
Reports ``!reference [key, ...]`` tags whose path does not exist in the assembled configuration
(after includes and ``extends``), whose value is ``null`` or ``false``, that are not a list of
keys, or that refer to themselves in a circle.

## Why is this bad?
GitLab fails the pipeline: "!reference [...] could not be found".

## Example
```yaml
.setup:
  script: [make deps]
build:
  script:
    - !reference [.setup, before_script]
```

## Use instead
```yaml
.setup:
  script: [make deps]
build:
  script:
    - !reference [.setup, script]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_events

CODE = "CIG121"
NAME = "reference-unknown"
SEVERITY = Severity.ERROR
SUMMARY = "a !reference that points nowhere"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "reference-unknown", CODE, NAME, SEVERITY, explainable=True)
