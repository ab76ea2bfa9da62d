"""Only protected runners can pick up the job.

## What it does
With a runner inventory, reports jobs whose tags only protected runners (``access_level:
ref_protected``) carry. Such a job runs on protected branches and tags only; on any other ref,
including merge-request pipelines, it is stuck.

## Why is this bad?
The job works on ``main`` and silently hangs on feature branches and merge requests.

## Example
```yaml
# runners: [{name: deployer, tags: [deploy], protected: true}]
deploy:
  tags: [deploy]
  script: [./deploy.sh]
```

## Use instead
```yaml
# runners: [{name: deployer, tags: [deploy], protected: true}]
deploy:
  tags: [deploy]
  script: [./deploy.sh]
  rules:
    - if: $CI_COMMIT_REF_PROTECTED == "true"
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.runners.assign import outcomes

CODE = "CIG302"
NAME = "runner-protected-only"
SEVERITY = Severity.WARNING
SUMMARY = "only protected runners can pick up the job"


def _gated_on_protection(rules: Any) -> bool:
    """Rules that run the job only on protected refs (every rule tests it or says never)."""
    return rules is not None and all(
        "CI_COMMIT_REF_PROTECTED" in (rule.if_ or "") or rule.when == "never" for rule in rules
    )


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if ctx.runners is None:
        return
    from cigen.runners.match import Outcome

    for tagged, found in outcomes(ctx):
        if found.outcome is not Outcome.NEEDS_PROTECTED_REF:
            continue
        if _gated_on_protection(tagged.job.value("rules")):
            continue
        names = ", ".join(r.name for r in found.protected_only)
        yield at(
            tagged.mark,
            CODE,
            NAME,
            SEVERITY,
            f"job {tagged.name!r} can only run on protected refs: its tags match only the "
            f"protected runner(s) {names}; on other refs it will be stuck. Limit the job to "
            "protected refs with rules, or give an unprotected runner these tags",
            job=tagged.job.name,
            anchor=tagged.name,
        )
