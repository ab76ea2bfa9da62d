"""When generated jobs run: a job's ``gate`` and the pipeline's ``workflow``.

A gate (:class:`~cigen.generate.spec.Gate`) becomes GitLab keys on the job:

* ``style: rules`` (the default): one rule whose ``if`` holds the branch test and the flag test
  joined by ``&&``, such as ``($CI_COMMIT_REF_NAME == "main" || $CI_COMMIT_REF_NAME == "dev")
  && $RUN == "true"``. The rule has no ``when``, so the job's own ``when:`` (GitLab's default
  ``on_success``) applies, and a job whose gate is closed is not in the pipeline at all. A branch
  is compared with ``$CI_COMMIT_REF_NAME``: the branch of a branch pipeline, the source branch of
  a merge-request pipeline (and, as with ``only:``, a tag of the same name). A branch written as
  ``/regex/`` is matched with ``=~``.
* ``style: only``: ``only: [branches...]``; with a flag, ``only: {refs: [...], variables:
  ['$RUN == "true"']}`` (GitLab requires every ``only`` key to hold).

The ``workflow`` of cigen.yml becomes ``workflow:rules`` (:func:`workflow_rules`), so that a push
and a merge request never create two pipelines for one commit (GitLab's duplicate-pipeline case,
where a merge-request event starts a second pipeline holding every job that has ``rules``).
With ``workflow:rules`` present GitLab drops its default ``only: [branches, tags]``, so jobs
without rules run in every pipeline the workflow lets through
(``lib/gitlab/ci/config/entry/processable.rb``, ``compose!``).

:func:`gate_warnings` finds values that keep a gated job from ever running.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cigen.errors import CigenError
from cigen.generate.spec import Gate, JobSpec, Spec, locate, where

__all__ = ["FLAG_ON", "branch_test", "flag_test", "gate_keys", "gate_warnings", "workflow_rules"]

#: The value a flag variable must have, exactly, for its gated jobs to run.
FLAG_ON = "true"
#: The variable a branch is compared with.
REF_VARIABLE = "$CI_COMMIT_REF_NAME"

_WORKFLOWS: dict[str, list[dict[str, str]]] = {
    # Branch pipelines only: merge-request events never start one.
    "branches": [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"', "when": "never"},
        {"when": "always"},
    ],
    # A merge-request pipeline while a merge request is open for the branch, else a branch
    # pipeline: a push to a branch with an open merge request starts none of its own.
    "merge_requests": [
        {"if": '$CI_PIPELINE_SOURCE == "push" && $CI_OPEN_MERGE_REQUESTS', "when": "never"},
        {"when": "always"},
    ],
}


def workflow_rules(style: str) -> dict[str, Any] | None:
    """The ``workflow:`` mapping for a cigen.yml ``workflow`` value (``None`` for ``none``)."""
    rules = _WORKFLOWS.get(style)
    return None if rules is None else {"rules": [dict(rule) for rule in rules]}


def _literal(text: str, gate: Gate, job: JobSpec, index: int) -> str:
    """``text`` as a string literal of GitLab's expression language (which has no escapes)."""
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    mark = locate(gate.node, ["branches", index])
    raise CigenError(
        f"{where(mark)}: jobs.{job.name}.gate.branches: {text!r} "
        "holds both kinds of quotes, which a rules expression cannot compare; "
        "use style: only"
    )


def branch_test(gate: Gate, job: JobSpec) -> str:
    """The ``if`` test for the gate's branches (empty without branches)."""
    tests = []
    for index, branch in enumerate(gate.branches):
        if len(branch) > 2 and branch.startswith("/") and branch.endswith("/"):
            tests.append(f"{REF_VARIABLE} =~ {branch}")
        else:
            tests.append(f"{REF_VARIABLE} == {_literal(branch, gate, job, index)}")
    return " || ".join(tests)


def flag_test(flag: str) -> str:
    return f'${flag} == "{FLAG_ON}"'


def gate_keys(gate: Gate, job: JobSpec) -> dict[str, Any]:
    """The GitLab keys (``rules`` or ``only``) that a gate writes."""
    if gate.style == "only":
        if gate.flag is None:
            return {"only": list(gate.branches)}
        only: dict[str, Any] = {}
        if gate.branches:
            only["refs"] = list(gate.branches)
        only["variables"] = [flag_test(gate.flag)]
        return {"only": only}
    tests = []
    if gate.branches:
        branches = branch_test(gate, job)
        several = len(gate.branches) > 1 and gate.flag is not None
        tests.append(f"({branches})" if several else branches)
    if gate.flag is not None:
        tests.append(flag_test(gate.flag))
    return {"rules": [{"if": " && ".join(tests)}]}


def gate_warnings(spec: Spec) -> list[str]:
    """``path:line:col: message`` for each value that keeps a gated job from running."""
    out: list[str] = []
    for job in spec.jobs:
        gate = job.gate
        if gate is None:
            continue
        if gate.style == "only" and spec.workflow == "merge_requests":
            out.append(
                f"{where(gate.node.value_mark('style'))}: jobs.{job.name}.gate.style: a job with "
                "only: never runs in a merge-request pipeline, and with workflow: merge_requests "
                "a branch with an open merge request has no other pipeline; use style: rules"
            )
        if gate.flag is not None:
            out.extend(_flag_value_warnings(spec, job, gate.flag))
    return out


def _flag_value_warnings(spec: Spec, job: JobSpec, flag: str) -> list[str]:
    """Warnings for a flag whose value in ``variables:`` is not exactly "true" or "false"."""
    places: list[tuple[Mapping[str, Any], Any, str]] = []
    top = spec.node.get("variables")
    if top is not None and flag in top:
        places.append((spec.variables, top, "variables"))
    own = job.node.get("variables")
    if own is not None and flag in own:
        places.append((job.extra["variables"], own, f"jobs.{job.name}.variables"))
    out = []
    for values, node, label in places:
        value = values[flag]
        if isinstance(value, Mapping):
            value = value.get("value")
        if value in (FLAG_ON, "false"):
            continue
        out.append(
            f"{where(node.value_mark(flag))}: {label}.{flag} is {value!r}, but the gate of job "
            f'{job.name!r} opens only when {flag} is exactly "{FLAG_ON}" (GitLab compares '
            f'strings, case-sensitively): the job never runs unless a pipeline sets {flag}="true"'
            f'; write "{FLAG_ON}" or "false"'
        )
    return out
