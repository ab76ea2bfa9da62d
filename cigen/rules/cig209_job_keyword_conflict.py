"""Job keywords GitLab rejects in combination, or values it refuses at job level.

## What it does
Reports what GitLab's job validation (``lib/gitlab/ci/config/entry/job.rb``, ``bridge.rb``,
``processable.rb``, ``hidden.rb``) refuses in a job's choice of keywords:

* a ``when:`` the job kind does not take, such as ``when: never`` on the job itself (only a
  rule may say ``never``) or ``when: delayed`` on a trigger job,
* ``script`` together with ``trigger``, or ``run`` together with ``script``,
  ``before_script``, ``after_script`` or ``trigger``,
* a hidden key (``.name``) whose value is empty ("can't be blank").

## Why is this bad?
GitLab fails the pipeline with the message quoted in each finding.

## Example
```yaml
build:
  script: [make]
  when: never
```

## Use instead
```yaml
build:
  script: [make]
  rules:
    - when: never
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules._common import from_model

CODE = "CIG209"
NAME = "job-keyword-conflict"
SEVERITY = Severity.ERROR
SUMMARY = "job keywords GitLab refuses together, or at job level"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    return from_model(ctx, CODE, NAME, SEVERITY)
