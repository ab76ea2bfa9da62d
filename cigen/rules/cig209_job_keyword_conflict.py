"""Job keywords GitLab rejects in combination, or values it refuses at job level.

## What it does
Reports what GitLab's own job validation refuses beyond the JSON schema:

* ``rules: []`` ("rules config can't be blank"),
* ``when: never`` on the job itself (only a rule may say ``never``),
* ``script`` together with ``trigger``, or ``run`` together with ``script`` or ``trigger``,
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

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.yaml.load import YMap

CODE = "CIG209"
NAME = "job-keyword-conflict"
SEVERITY = Severity.ERROR
SUMMARY = "job keywords GitLab refuses together, or at job level"

_EXCLUSIVE = (("script", "trigger"), ("run", "script"), ("run", "trigger"))


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    config = ctx.pipeline.config
    if config is None:
        return
    for name, value in config.items():
        if name in ctx.pipeline.tainted:
            continue
        if name.startswith(".") and (value is None or value == {} or value == []):
            yield at(
                config.key_mark(name),
                CODE,
                NAME,
                SEVERITY,
                f"{name} config can't be blank; give the hidden key a value or remove it",
                anchor=name,
            )
    for job in ctx.pipeline.jobs.values():
        own = config.get(job.name)
        if not isinstance(own, YMap):
            continue
        rules = own.get("rules")
        if isinstance(rules, list) and not rules:
            yield at(
                own.value_mark("rules"),
                CODE,
                NAME,
                SEVERITY,
                f"jobs:{job.name} rules config can't be blank; add a rule or remove rules:",
                job=job.name,
                anchor="rules",
            )
        when = own.get("when")
        if when == "never":
            yield at(
                own.value_mark("when"),
                CODE,
                NAME,
                SEVERITY,
                f"jobs:{job.name} when should be one of: on_success, on_failure, always, manual, "
                "delayed; to never run a job, use a rule with when: never",
                job=job.name,
                anchor="when",
            )
        for first, second in _EXCLUSIVE:
            if own.get(first) is not None and own.get(second) is not None:
                yield at(
                    own.key_mark(second),
                    CODE,
                    NAME,
                    SEVERITY,
                    f"jobs:{job.name} config please use only one of the following keys: "
                    f"{first}, {second}",
                    job=job.name,
                    anchor=f"{first}+{second}",
                )
