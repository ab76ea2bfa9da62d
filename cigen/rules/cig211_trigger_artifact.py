"""A dynamic child pipeline's ``trigger:include`` artifact or job is wrong.

## What it does
For every ``trigger:include`` entry with ``artifact:`` and ``job:`` (a child pipeline written
by another job), checks that

* ``job`` names a job of the pipeline (hidden ``.jobs`` do not count), in the same stage as the
  trigger job or an earlier one;
* that job keeps the file: one of its ``artifacts:paths`` is the file, a glob matching it
  (``generated/*.yml``) or a folder above it (``generated/``), ``artifacts:exclude`` does not
  drop it, and ``artifacts:when`` is not ``on_failure``;
* the trigger job waits for that job (warning): a job in the same stage, or one missing from
  the trigger job's ``needs``, may not have written the file when the trigger job starts.

## Why is this bad?
GitLab refuses the pipeline when the job is unknown ("undefined dependency") or in a later
stage ("is not defined in current or prior stages"). When the job does not keep the file, the
pipeline starts but the trigger job fails: there is no child pipeline to run.

## Example
```yaml
generate:
  stage: build
  script: [cigen generate -c child/cigen.yml -o child.yml]
child:
  stage: test
  trigger:
    include:
      - artifact: child.yml
        job: generate
```

## Use instead
```yaml
generate:
  stage: build
  script: [cigen generate -c child/cigen.yml -o child.yml]
  artifacts:
    paths: [child.yml]
child:
  stage: test
  needs: [generate]
  trigger:
    include:
      - artifact: child.yml
        job: generate
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.regex import lazy_pattern
from cigen.rules._common import from_cross_job

if TYPE_CHECKING:
    from cigen.config.artifacts import Artifacts
    from cigen.config.jobs import PipelineJob

CODE = "CIG211"
NAME = "trigger-artifact"
SEVERITY = Severity.ERROR
SUMMARY = "a child pipeline's trigger:include artifact is not kept by its job"

#: ``$CI_PROJECT_DIR/`` in front of an artifact path: the paths are relative to it anyway.
_project_dir = lazy_pattern(r"^(?:\$CI_PROJECT_DIR|\$\{CI_PROJECT_DIR\})/+")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    # an unknown or later job: GitLab's own check (yaml_processor.rb
    # ``validate_dynamic_child_pipeline_dependencies!``)
    yield from from_cross_job(ctx, CODE, NAME, SEVERITY, explainable=True)
    pipeline = ctx.pipeline
    jobs = pipeline.model_jobs
    order = {stage: index for index, stage in enumerate(pipeline.stages)}
    for job in jobs.values():
        trigger = job.value("trigger")
        for item in getattr(trigger, "includes", None) or ():
            name, value = item.job, item.value
            source = None if name is None else jobs.get(name)
            if source is None or not hasattr(value, "value_mark"):
                continue
            artifact = value.get("artifact")
            anchor = f"{name}:{artifact}"
            own, theirs = order.get(job.stage), order.get(source.stage)
            explicit = "stage" in source.entry.node and "stage" in job.entry.node
            in_order = own is not None and theirs is not None and theirs <= own
            if in_order and (explicit or not pipeline.incomplete):
                mark = value.value_mark("job")
                yield from _waits(job, source, theirs == own, mark, anchor, artifact)
            if isinstance(artifact, str):
                yield from _kept(job, source, artifact, value.value_mark("artifact"), anchor)


def _waits(
    job: PipelineJob,
    source: PipelineJob,
    same_stage: bool,
    mark: Mark,
    anchor: str,
    artifact: object,
) -> Iterator[Diagnostic]:
    """A warning when the trigger job may start before ``source`` has written the file."""
    needs = job.value("needs")
    if isinstance(job.entry.node.get("needs"), list):
        if any(need.job == source.name for need in needs or ()):
            return
        why = f"its needs do not list {source.name}"
    elif same_stage and needs is None:
        why = f"it is in the same stage as {source.name}"
    else:
        return
    yield at(
        mark,
        CODE,
        NAME,
        Severity.WARNING,
        f"{job.name} can start before {source.name} has written {artifact}: {why}; add "
        f"{source.name} to {job.name}'s needs",
        job=job.name,
        anchor=anchor + ":order",
    )


def _kept(
    job: PipelineJob, source: PipelineJob, artifact: str, mark: Mark, anchor: str
) -> Iterator[Diagnostic]:
    """An error when ``source``'s artifacts do not hold ``artifact``."""
    if "$" in artifact:
        return  # GitLab does not expand variables there; the schema check has the last word
    wanted = _normal(artifact)
    artifacts = source.value("artifacts")
    problem = ""
    if source.kind == "bridge":
        problem = f"{source.name} is a trigger job, which keeps no artifacts"
    elif artifacts is None:
        problem = f"{source.name} keeps no artifacts"
    elif artifacts.when == "on_failure":
        problem = f"{source.name} keeps its artifacts only when it fails (artifacts:when)"
    else:
        problem = _paths_problem(source.name, artifacts, wanted)
    if not problem:
        return
    yield at(
        mark,
        CODE,
        NAME,
        SEVERITY,
        f"{problem}, so the child pipeline file {artifact} is not there for {job.name}; "
        f"add artifacts: paths: [{artifact}] to {source.name}",
        job=job.name,
        anchor=anchor + ":kept",
        explainable=artifacts is None,  # an include that was not followed may add them
    )


def _paths_problem(name: str, artifacts: Artifacts, wanted: str) -> str:
    paths = artifacts.paths or ()
    normal = [_pattern(p) for p in paths]
    if None in normal:
        return ""  # a variable in a path: known only when the pipeline runs
    kept = artifacts.untracked is True or any(_keeps(p, wanted) for p in normal if p is not None)
    if not kept:
        shown = ", ".join(paths) if paths else "none"
        return f"{name}'s artifacts:paths ({shown}) do not keep it"
    for pattern in artifacts.exclude or ():
        rule = _pattern(pattern)
        if rule is not None and _keeps(rule, wanted):
            return f"{name}'s artifacts:exclude ({pattern}) drops it"
    return ""


def _normal(path: str) -> str:
    """``path`` relative to the project folder, ``/``-separated, without ``.`` parts."""
    return "/".join(p for p in path.strip().split("/") if p not in ("", "."))


def _pattern(path: str) -> str | None:
    """An ``artifacts`` path made relative like :func:`_normal`; None when it has a variable
    (the runner expands it) other than a leading ``$CI_PROJECT_DIR``."""
    path = _project_dir().sub("", path.strip())
    return None if "$" in path else _normal(path)


def _keeps(pattern: str, path: str) -> bool:
    """Whether artifacts:paths entry ``pattern`` uploads ``path``: the path itself, a glob
    matching it, or a folder above it (a folder is uploaded with everything below it)."""
    from cigen.pipeline.simulate import fnmatch

    if not pattern:
        return True  # the project folder itself
    segments = path.split("/")
    return any(fnmatch(pattern, "/".join(segments[:end])) for end in range(len(segments), 0, -1))
