"""Checks of a composed pipeline that GitLab's schema cannot make: warnings, never errors.

* :func:`same_image_warnings`: a job that could name a build job of the same cigen.yml
  (a parameter with ``x-cigen-build-job``) but pulls the same repository by tag instead. A build
  pushes ``latest`` only from the default branch, and any pipeline may push a tag meanwhile, so
  such a job may run another branch's image, and it does not wait for the build.
* :func:`refusal_warnings`: pipelines GitLab would refuse to create, found by simulating pipeline
  creation (:mod:`cigen.pipeline.simulate`) for a push to the default branch, to each branch a
  gate names, to another branch and for a tag, with every flag off, each flag on and all on. The
  usual case is a job that ``needs`` a build job whose gate is narrower than its own: GitLab then
  refuses the pipeline ("... does not exist in the pipeline", ``lib/gitlab/ci/pipeline/seed/
  build.rb``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from cigen.generate.presets import Preset
from cigen.generate.spec import Spec, where

__all__ = ["refusal_warnings", "same_image_warnings"]

#: The default branch assumed by the simulation (cigen.yml does not name it).
DEFAULT_BRANCH = "main"
#: A branch that no gate names, and a tag.
OTHER_BRANCH = "feature/cigen-check"
TAG = "v0.0.0-cigen-check"
#: Flag combinations simulated at most (every flag off, each on alone, all on).
MAX_FLAGS = 8
_JOB_NAMED = re.compile(r"'([^']+)' job")
_TOP_KEYS = frozenset({"workflow", "stages", "variables", "default", "include"})


def same_image_warnings(
    spec: Spec, params: Mapping[str, tuple[Preset, Mapping[str, Any]]]
) -> list[str]:
    """Jobs pulling by tag the repository that a build job of the same file pushes."""
    builders = {name: values for name, (preset, values) in params.items() if preset.builds_image}
    jobs = {job.name: job for job in spec.jobs}
    out = []
    for name, (preset, values) in params.items():
        for param in preset.params:
            if param.replaces is None or values.get(param.name) is not None:
                continue
            for builder, built in builders.items():
                shared = [key for key in param.replaces if key in built]
                if builder == name or not shared:
                    continue
                if any(values.get(key) != built.get(key) for key in shared):
                    continue
                job = jobs[name]
                with_node = job.node.get("with")
                mark = job.node.value_mark("preset")
                if with_node is not None and shared[-1] in with_node:
                    mark = with_node.value_mark(shared[-1])
                same = ", ".join(f"{key} {built[key]!r}" for key in shared)
                out.append(
                    f"{where(mark)}: jobs.{name}: pulls by tag the image that job {builder!r} "
                    f"builds ({same}), which may be another pipeline's (a build pushes latest "
                    f"only from the default branch); with: {{{param.name}: {builder}}} runs the "
                    "exact image this pipeline built, after the build"
                )
    return out


def refusal_warnings(spec: Spec, data: Mapping[str, Any], origins: Mapping[str, str]) -> list[str]:
    """Pipelines GitLab would refuse, one warning per problem, at the cigen.yml job."""
    from cigen.pipeline.simulate import NO_JOBS_MESSAGE, plan

    jobs = {
        name: job
        for name, job in data.items()
        if name not in _TOP_KEYS and isinstance(job, Mapping)
    }
    workflow = data.get("workflow")
    stages = list(data.get("stages") or [])
    variables = data.get("variables") or {}
    marks = {job.name: job.node.value_mark("preset") for job in spec.jobs}
    seen: set[str] = set()
    out = []
    for context, ctx in _contexts(spec):
        result = plan(jobs, stages, workflow, variables, ctx)
        for error in result.errors:
            if error == NO_JOBS_MESSAGE or error in seen:
                continue
            seen.add(error)
            named = _JOB_NAMED.search(error)
            origin = origins.get(named.group(1)) if named else None
            place = where(marks[origin]) if origin in marks else spec.label
            hint = "; give the two jobs the same gate" if "needs" in error else ""
            out.append(f"{place}: in {context}, GitLab would refuse the pipeline: {error}{hint}")
    return out


def _contexts(spec: Spec) -> Iterator[tuple[str, Any]]:
    """``(words, PipelineContext)`` for each simulated pipeline."""
    from cigen.pipeline.plan import make_context

    branches = [DEFAULT_BRANCH]
    flags: list[str] = []
    for job in spec.jobs:
        gate = job.gate
        if gate is None:
            continue
        branches += [b for b in gate.branches if not (b.startswith("/") and b.endswith("/"))]
        if gate.flag is not None:
            flags.append(gate.flag)
    flags = list(dict.fromkeys(flags))[:MAX_FLAGS]
    flag_sets: list[dict[str, str]] = [{}, *({flag: "true"} for flag in flags)]
    if len(flags) > 1:
        flag_sets.append(dict.fromkeys(flags, "true"))
    refs = [(ref, False) for ref in dict.fromkeys([*branches, OTHER_BRANCH])] + [(TAG, True)]
    for ref, tag in refs:
        for flag_set in flag_sets:
            words = f"a {'tag' if tag else 'push to'} {ref}"
            if flag_set:
                words += " with " + ", ".join(f"{k}={v}" for k, v in flag_set.items())
            ctx = make_context(
                ref=ref,
                tag=tag,
                source="push",
                default_branch=DEFAULT_BRANCH,
                protected=None,
                changed=None,
                variables=flag_set,
            )
            yield words, ctx
