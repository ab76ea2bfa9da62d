"""An include entry GitLab cannot use.

## What it does
Reports the include entries GitLab refuses before or while reading them
(``lib/gitlab/ci/config/external/mapper/*.rb``, ``file/*.rb``): an entry that is neither a path
nor a mapping, a mapping with no location key or with several (``local``, ``project`` with
``file``, ``remote``, ``template``, ``artifact``, ``component``), invalid ``rules``, a file name
without a ``.yml``/``.yaml`` extension, a template name not ending in ``.gitlab-ci.yml``, a
remote address that is not a URL, and an included file that is not a mapping.

## Why is this bad?
GitLab fails the pipeline with the first of them, e.g. "Included file `ci/build.txt` does not
have YAML extension!".

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
