"""No registered runner can pick up the job.

## What it does
With a runner inventory (``--runners FILE`` or ``--runners gitlab``), checks every job's
effective tags (after includes, ``extends``, ``!reference``, ``default:`` and variable
expansion, one check per ``parallel:matrix`` combination) against every runner, as GitLab does:
a runner takes a job when it is not paused, carries every tag of the job (exact,
case-sensitive), runs untagged jobs if the job has no tags, and, when protected, only on
protected refs. Trigger jobs need no runner. The finding names the job's tags, the closest
runners and the tags each lacks, and says when the only matches are paused.

## Why is this bad?
GitLab accepts the pipeline, then the job sits "stuck" until it is dropped after an hour.

## Example
```yaml
# runners: [{name: builder, tags: [harbor]}]
train:
  tags: [gpu]
  script: [python train.py]
```

## Use instead
```yaml
# runners: [{name: builder, tags: [harbor]}]
build:
  tags: [harbor]
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.rules._common import with_hint
from cigen.suggest import closest

CODE = "CIG301"
NAME = "no-runner"
SEVERITY = Severity.ERROR
SUMMARY = "no registered runner can pick up the job"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if ctx.runners is None:
        return
    from cigen.runners.assign import outcomes
    from cigen.runners.match import Outcome, explain

    carried = {tag for runner in ctx.runners for tag in runner.tags}
    for tagged, found in outcomes(ctx):
        if found.outcome not in (Outcome.NO_RUNNER, Outcome.PAUSED_ONLY, Outcome.UNPROTECTED_REF):
            continue
        text = explain(found) or "no runner can take this job"
        yield at(
            tagged.mark,
            CODE,
            NAME,
            SEVERITY,
            f"job {tagged.name!r} will be stuck: "
            + with_hint(text, _closest_tags(tagged.tags, carried)),
            job=tagged.job.name,
            anchor=tagged.name,
        )


def _closest_tags(tags: tuple[str, ...], carried: set[str]) -> str:
    """ " (did you mean 'docker' for 'dokcer'?)" for job tags no runner carries."""
    pairs = []
    for tag in tags:
        match = None if tag in carried else closest(tag, carried)
        if match is not None:
            pairs.append(f"{match!r} for {tag!r}")
    return f" (did you mean {', '.join(pairs)}?)" if pairs else ""
