"""A keyword set both at the top level and in ``default:``.

## What it does
Reports ``image``, ``services``, ``cache``, ``before_script`` or ``after_script`` written both as
a (deprecated) top-level keyword and inside ``default:``.

## Why is this bad?
GitLab fails the pipeline: "<key> is defined in top-level and `default:` entry".

## Example
```yaml
image: alpine
default:
  image: debian
build:
  script: [make]
```

## Use instead
```yaml
default:
  image: debian
build:
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_events

CODE = "CIG131"
NAME = "default-conflict"
SEVERITY = Severity.ERROR
SUMMARY = "a keyword set both at top level and in default:"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_events(ctx, "default-conflict", CODE, NAME, SEVERITY, explainable=False)
