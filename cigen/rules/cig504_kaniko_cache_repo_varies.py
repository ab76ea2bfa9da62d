"""A Kaniko ``--cache-repo`` that changes from project to project.

## What it does
For each ``/kaniko/executor`` command of a Kaniko job (its image name contains ``kaniko``, or
its script runs ``/kaniko/executor``), reports a ``--cache-repo`` value built from variables
that differ between projects, refs or pipelines, and ``--cache=true`` without any
``--cache-repo`` (Kaniko then caches in ``<destination repository>/cache``, one cache per
image). The finding is at the script line that runs the executor. A variable counts as varying
when it is:

* a per-project predefined variable: ``CI_PROJECT_ID``, ``CI_PROJECT_NAME``,
  ``CI_PROJECT_PATH``, ``CI_PROJECT_PATH_SLUG``, ``CI_PROJECT_NAMESPACE``,
  ``CI_PROJECT_NAMESPACE_ID``, ``CI_PROJECT_NAMESPACE_SLUG``, ``CI_PROJECT_ROOT_NAMESPACE``,
  ``CI_PROJECT_TITLE``, ``CI_PROJECT_URL`` or ``CI_REGISTRY_IMAGE``;
* a per-ref, per-pipeline or per-job predefined variable: ``CI_COMMIT_SHA``,
  ``CI_COMMIT_SHORT_SHA``, ``CI_COMMIT_REF_NAME``, ``CI_COMMIT_REF_SLUG``,
  ``CI_COMMIT_BRANCH``, ``CI_COMMIT_TAG``, ``CI_PIPELINE_ID``, ``CI_PIPELINE_IID``,
  ``CI_JOB_ID``, ``CI_JOB_NAME``, ``CI_JOB_NAME_SLUG``, ``CI_MERGE_REQUEST_IID`` or
  ``CI_MERGE_REQUEST_SOURCE_BRANCH_NAME``;
* named like the image being built: ``IMAGE``, ``*_IMAGE``, ``IMAGE_NAME``, ``*_IMAGE_NAME``,
  ``*IMAGE_PATH``, ``*IMAGE_REPO``, ``*IMAGE_REPOSITORY``, ``APP_NAME``, ``PROJECT_NAME``,
  ``SERVICE_NAME``, ``REPO_NAME`` or ``COMPONENT_NAME`` (the seed's ``$IMAGE_NAME``);
* defined in the job's or the file's ``variables:`` with a value that uses one of the above.

Other variables (a registry host such as ``$HARBOR_HOST``) are taken to be constant.

## Why is this bad?
The seed says the cache repository has to be constant, so that images built in different
projects share cached layers. A per-project (or per-commit) cache repository starts every
project from an empty cache and fills the registry with copies of the same layers.

## Example
```yaml
build:
  image:
    name: gcr.io/kaniko-project/executor:debug
    entrypoint: [""]
  script:
    - /kaniko/executor --context "$CI_PROJECT_DIR" --destination "harbor.example.com/$IMAGE_NAME:latest" --cache=true --cache-repo "harbor.example.com/$IMAGE_NAME/cache"
```

## Use instead
```yaml
build:
  image:
    name: gcr.io/kaniko-project/executor:debug
    entrypoint: [""]
  script:
    - /kaniko/executor --context "$CI_PROJECT_DIR" --destination "harbor.example.com/$IMAGE_NAME:latest" --cache=true --cache-repo "harbor.example.com/kaniko-cache/cache"
```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.regex import lazy_pattern
from cigen.rules.cig503_kaniko_large_base_image import kaniko_calls, kaniko_jobs
from cigen.variables import names

CODE = "CIG504"
NAME = "kaniko-cache-repo-varies"
SEVERITY = Severity.WARNING
SUMMARY = "a Kaniko --cache-repo built from per-project variables defeats the shared cache"

#: Predefined variables whose value is different in every project.
PER_PROJECT = frozenset(
    {
        "CI_PROJECT_ID",
        "CI_PROJECT_NAME",
        "CI_PROJECT_PATH",
        "CI_PROJECT_PATH_SLUG",
        "CI_PROJECT_NAMESPACE",
        "CI_PROJECT_NAMESPACE_ID",
        "CI_PROJECT_NAMESPACE_SLUG",
        "CI_PROJECT_ROOT_NAMESPACE",
        "CI_PROJECT_TITLE",
        "CI_PROJECT_URL",
        "CI_REGISTRY_IMAGE",
    }
)
#: Predefined variables whose value changes with the ref, the pipeline or the job.
PER_RUN = frozenset(
    {
        "CI_COMMIT_SHA",
        "CI_COMMIT_SHORT_SHA",
        "CI_COMMIT_REF_NAME",
        "CI_COMMIT_REF_SLUG",
        "CI_COMMIT_BRANCH",
        "CI_COMMIT_TAG",
        "CI_PIPELINE_ID",
        "CI_PIPELINE_IID",
        "CI_JOB_ID",
        "CI_JOB_NAME",
        "CI_JOB_NAME_SLUG",
        "CI_MERGE_REQUEST_IID",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    }
)
#: Names of variables that usually hold the name of the image being built.
IMAGE_STYLE = lazy_pattern(
    r"(?:^|_)IMAGE(?:_NAME)?$|IMAGE_(?:PATH|REPO|REPOSITORY)$"
    r"|^(?:APP|PROJECT|SERVICE|REPO|COMPONENT)_NAME$"
)
#: How many ``variables:`` definitions are followed from one reference.
MAX_HOPS = 5


def _why(name: str) -> str | None:
    if name in PER_PROJECT:
        return "one value per project"
    if name in PER_RUN:
        return "a new value for each ref, pipeline or job"
    if IMAGE_STYLE().search(name):
        return "it names the image being built"
    return None


def varying(text: str, variables: Mapping[str, str]) -> tuple[str, str] | None:
    """``(variable, reason)`` for the first varying variable ``text`` uses, else None."""
    pending = [(name, 0) for name in names(text)]
    seen: set[str] = set()
    while pending:
        name, hops = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        why = _why(name)
        if why is not None:
            return name, why
        if name in variables and hops < MAX_HOPS:
            pending.extend((found, hops + 1) for found in names(variables[name]))
    return None


def cache_enabled(args: tuple[str, ...]) -> bool:
    """Whether Kaniko's boolean ``--cache`` flag is on (the last one given wins)."""
    enabled = False
    for arg in args:
        if arg == "--cache":
            enabled = True
        elif arg.startswith("--cache="):
            enabled = arg.removeprefix("--cache=").lower() in ("true", "t", "1")
    return enabled


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for job in kaniko_jobs(ctx):
        variables = job.variable_values()
        for call in kaniko_calls(job):
            repos = call.values("--cache-repo")
            if not repos:
                if cache_enabled(call.args):
                    yield at(
                        call.mark,
                        CODE,
                        NAME,
                        SEVERITY,
                        f"job {job.name!r} runs Kaniko with --cache=true but no --cache-repo, "
                        "so the cache goes to <destination>/cache, one per image; add "
                        "--cache-repo with one constant repository such as "
                        "<registry>/kaniko-cache/cache",
                        job=job.name,
                        anchor="missing",
                    )
                continue
            for repo in repos:
                found = varying(repo, variables)
                if found is None:
                    continue
                name, why = found
                yield at(
                    call.mark,
                    CODE,
                    NAME,
                    SEVERITY,
                    f"job {job.name!r}: --cache-repo {repo!r} depends on ${name} ({why}), so "
                    "projects do not share the layer cache; use one constant repository such "
                    "as <registry>/kaniko-cache/cache",
                    job=job.name,
                    anchor=repo,
                )
