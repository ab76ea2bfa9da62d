"""A project, remote, template or component include, which is not read offline.

## What it does
Notes includes whose content this lint does not have: ``project``, ``remote``, ``template`` and
``component`` includes that ``cigen fetch`` has not fetched yet (not in ``.cigen.lock``, or
their content missing from the include cache), ``artifact`` includes, and includes whose path
uses a variable known only when the pipeline is created. Findings that their content could
explain (an unknown ``extends`` parent, ``!reference`` target or ``needs`` job, a job without
script) are then reported at info level instead of as errors.

## Why is this bad?
It is not bad; it says what this lint could not see. Run ``cigen fetch`` once (and commit
``.cigen.lock``): the lint then follows these includes offline like local files.

## Example
```yaml
include:
  - template: Jobs/SAST.gitlab-ci.yml
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

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext

CODE = "CIG104"
NAME = "include-not-followed"
SEVERITY = Severity.INFO
SUMMARY = "a project, remote, template or component include that is not read offline"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for event in ctx.pipeline.unfollowed:
        yield at(event.mark, CODE, NAME, SEVERITY, event.message, anchor=event.subject)
