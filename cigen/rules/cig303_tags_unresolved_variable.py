"""A tag keeps a ``$VARIABLE`` that nothing defines.

## What it does
Reports job tags that still hold a variable reference after expansion with the file's
``variables:``, ``parallel:matrix`` values and ``--var``. The variable may be a CI/CD setting of
the project or group, so this is a warning; pass its value with ``--var NAME=VALUE`` (or
``variables:`` in ``.cigen.yaml``) to have the runner check use it. Only reported with a runner
inventory.

## Why is this bad?
GitLab leaves an unknown variable verbatim, so the job asks for a runner tagged literally
``$RUNNER_TAG`` and is stuck.

## Example
```yaml
# runners: [{name: builder, tags: [docker]}]
build:
  tags: [$RUNNER_TAG]
  script: [make]
```

## Use instead
```yaml
# runners: [{name: builder, tags: [docker]}]
variables:
  RUNNER_TAG: docker
build:
  tags: [$RUNNER_TAG]
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.runners.assign import tagged

CODE = "CIG303"
NAME = "tags-unresolved-variable"
SEVERITY = Severity.WARNING
SUMMARY = "a tag keeps a $VARIABLE that nothing defines"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if ctx.runners is None:
        return
    from cigen.runners.tags import tag_item_mark

    seen: set[tuple[str, str, str]] = set()
    for job in tagged(ctx):
        for raw_tag, variable in job.unresolved:
            key = (job.job.name, raw_tag, variable)
            if key in seen:
                continue
            seen.add(key)
            yield at(
                tag_item_mark(job, raw_tag),
                CODE,
                NAME,
                SEVERITY,
                f"tag {raw_tag!r} of job {job.job.name!r} uses ${variable}, which no "
                "variables: entry defines; if it is a CI/CD setting, pass it with "
                f"--var {variable}=VALUE so the runner check can use it",
                job=job.job.name,
                anchor=f"{raw_tag}:{variable}",
            )
