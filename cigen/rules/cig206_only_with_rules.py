"""``only``/``except`` used together with ``rules``.

## What it does
Reports jobs that set ``rules`` and also ``only`` or ``except`` (a ``null`` value is ignored, as
GitLab ignores it).

## Why is this bad?
GitLab fails the pipeline: "config key may not be used with `rules`: only".

## Example
```yaml
build:
  script: [make]
  only: [main]
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
```

## Use instead
```yaml
build:
  script: [make]
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext

CODE = "CIG206"
NAME = "only-with-rules"
SEVERITY = Severity.ERROR
SUMMARY = "only/except together with rules"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for job in ctx.pipeline.jobs.values():
        config = job.config
        if config.get("rules") is None:
            continue
        for key in ("only", "except", "start_in"):
            if config.get(key) is not None:
                yield at(
                    config.key_mark(key),
                    CODE,
                    NAME,
                    SEVERITY,
                    f"jobs:{job.name} config key may not be used with `rules`: {key}; express "
                    "it as a rule instead",
                    job=job.name,
                    anchor=key,
                )
