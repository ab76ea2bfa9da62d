"""A ``KUBERNETES_*`` variable asks for more than the runner that takes the job allows.

## What it does
With a runner inventory whose runners have a ``kubernetes:`` block, checks the job variables
that override the Kubernetes executor's settings (gitlab-runner
``executors/kubernetes/overwrites.go``) against each runner that can take the job:

- ``KUBERNETES_CPU_REQUEST``, ``KUBERNETES_MEMORY_LIMIT`` and the other requests and limits of
  the build, ``HELPER_`` and ``SERVICE_`` containers (also under a service's ``variables:``)
  need the runner's ``<setting>_overwrite_max_allowed``: without it the runner ignores the
  variable; a value above it, or one that is not a Kubernetes quantity, fails the job;
- ``KUBERNETES_NAMESPACE_OVERWRITE`` and ``KUBERNETES_SERVICE_ACCOUNT_OVERWRITE`` need
  ``namespace_overwrite_allowed`` / ``service_account_overwrite_allowed``, a regex the value
  must match (anywhere, as Go's ``MatchString``; anchor it with ``^…$``);
- ``KUBERNETES_NODE_SELECTOR_*``, ``KUBERNETES_NODE_TOLERATIONS_*``, ``KUBERNETES_POD_LABELS_*``
  and ``KUBERNETES_POD_ANNOTATIONS_*`` need the matching ``*_overwrite_allowed`` regex, matched
  against the whole ``key=value``.

The finding names the runner, the setting that decides, and what value would pass. Values
that refer to variables cigen cannot resolve are not checked.

## Why is this bad?
GitLab accepts the pipeline and hands the job to the runner; only then does the runner refuse
the value and fail the job ("is higher than limit allowed", "does not match"), or silently
ignore the variable so the job runs with less memory or on other nodes than it asked for.
This is a warning, not an error: a project, group or pipeline CI/CD variable of the same name
overrides the value written here, and another runner may take the job.

## Example
```yaml
# runners: [{name: ml-runner, tags: [gpu], kubernetes: {runner_namespace: ml-runner, job_namespace: ml-ci, memory_limit: 64Gi, memory_limit_overwrite_max_allowed: 128Gi}}]
train:
  tags: [gpu]
  variables:
    KUBERNETES_MEMORY_LIMIT: 256Gi
  script: [python train.py]
```

## Use instead
```yaml
# runners: [{name: ml-runner, tags: [gpu], kubernetes: {runner_namespace: ml-runner, job_namespace: ml-ci, memory_limit: 64Gi, memory_limit_overwrite_max_allowed: 128Gi}}]
train:
  tags: [gpu]
  variables:
    KUBERNETES_MEMORY_LIMIT: 96Gi
  script: [python train.py]
```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.runners.assign import outcomes

CODE = "CIG304"
NAME = "kubernetes-overwrite-not-allowed"
SEVERITY = Severity.WARNING
SUMMARY = "a KUBERNETES_* variable asks for more than the runner allows"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if ctx.runners is None or not any(r.kubernetes is not None for r in ctx.runners):
        return
    for tagged, found in outcomes(ctx):
        takers = [
            runner
            for runner in (*found.eligible, *found.protected_only)
            if runner.kubernetes is not None
        ]
        if not takers:
            continue
        job = tagged.job
        known = {**job.variable_values(), **ctx.variables}
        places = [(job.variables, False)]
        places += [(service.variables or (), True) for service in job.value("services") or ()]
        for variables, service_only in places:
            for name, value, mark in _overwrites(variables, known, service_only):
                text = _refusals(takers, name, value)
                if text:
                    yield at(
                        mark,
                        CODE,
                        NAME,
                        SEVERITY,
                        f"job {tagged.name!r} sets {name} to {value!r}, but {text}",
                        job=job.name,
                        anchor=f"{tagged.name}:{name}",
                    )


def _refusals(takers: list[Any], name: str, value: str) -> str:
    from cigen.runners.kubernetes import overwrite_refusal

    parts = []
    for runner in takers:
        refusal = overwrite_refusal(runner.kubernetes, name, value)
        if refusal is not None:
            parts.append(f"runner {runner.name} {refusal.reason}; {refusal.passes}")
    return "; ".join(parts)


def _overwrites(
    variables: Sequence[Any], known: Mapping[str, str], service_only: bool
) -> Iterator[tuple[str, str, Mark]]:
    """``(name, expanded value, position)`` of the overriding variables in ``variables``."""
    from cigen.runners.kubernetes import RESOURCE_OVERWRITES, overwrite_setting
    from cigen.runners.match import expand_tag, unresolved_variables

    for variable in variables:
        name = variable.name
        setting = overwrite_setting(name)
        if setting is None:
            continue
        if service_only and not (name in RESOURCE_OVERWRITES and setting.startswith("service_")):
            continue  # a service's variables override only the service containers
        value = variable.value
        if variable.expand is not False:
            value = expand_tag(value, known)
            if unresolved_variables(value):
                continue
        yield name, value, variable.value_mark
