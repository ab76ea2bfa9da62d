"""Inputs that do not fit the included file's ``spec:inputs``.

## What it does
Checks ``include:inputs`` against the ``spec:inputs`` header of the included file: unknown
inputs, required inputs not given, wrong types, values outside ``options`` or not matching
``regex``, and ``$[[ inputs.x ]]`` blocks naming an undeclared input.

## Why is this bad?
GitLab fails the pipeline with the same messages.

## Example
```yaml
include:
  - local: ci/job.yml
    inputs: {stage: test, colour: red}
# file: ci/job.yml
spec:
  inputs:
    stage:
---
job:
  stage: $[[ inputs.stage ]]
  script: [make]
```

## Use instead
```yaml
include:
  - local: ci/job.yml
    inputs: {stage: test}
# file: ci/job.yml
spec:
  inputs:
    stage:
---
job:
  stage: $[[ inputs.stage ]]
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_events

CODE = "CIG107"
NAME = "include-inputs"
SEVERITY = Severity.ERROR
SUMMARY = "inputs that do not fit the included file's spec:inputs"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "include-inputs", CODE, NAME, SEVERITY, explainable=False)
