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

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.runners.assign import outcomes

CODE = "CIG302"
NAME = "runner-protected-only"
SEVERITY = Severity.WARNING
SUMMARY = "only protected runners can pick up the job"


def _gated_on_protection(rules: object) -> bool:
    return isinstance(rules, list) and all(
        isinstance(rule, dict)
        and ("CI_COMMIT_REF_PROTECTED" in str(rule.get("if", "")) or rule.get("when") == "never")
        for rule in rules
    )


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if ctx.runners is None:
        return
    from cigen.runners.match import Outcome

    for tagged, found in outcomes(ctx):
        if found.outcome is not Outcome.NEEDS_PROTECTED_REF:
            continue
        if _gated_on_protection(tagged.job.config.get("rules")):
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
