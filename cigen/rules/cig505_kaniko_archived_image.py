"""An image from Kaniko's archived ``gcr.io/kaniko-project`` repository.

## What it does
Reports every ``image:`` (a string, or the ``name`` of an image mapping) of the file, of
``default:``, of each job and of hidden templates whose repository is in
``gcr.io/kaniko-project/`` (the executor, its ``debug`` and ``slim`` variants, the warmer; any
tag or digest), also behind a registry mirror that keeps the path
(``mirror.example.com/gcr.io/kaniko-project/executor``). The finding is at the image name.

## Why is this bad?
Google archived Kaniko (GoogleContainerTools/kaniko) in June 2025: its images get no security
fixes and no updates of the registries' protocols. A maintained fork publishes the same
executor (``ghcr.io/osscontainertools/kaniko``, with ``-debug`` tags holding the shell GitLab
needs); BuildKit rootless and Buildah build without a daemon too. ``cigen presets show
build-image`` documents a job for each, with pinned images.

## Example
```yaml
build:
  image:
    name: gcr.io/kaniko-project/executor:debug
    entrypoint: [""]
  script:
    - /kaniko/executor --context "$CI_PROJECT_DIR" --destination "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
```

## Use instead
```yaml
build:
  image:
    name: ghcr.io/osscontainertools/kaniko:v1.28.3-debug
    entrypoint: [""]
  script:
    - /kaniko/executor --context "$CI_PROJECT_DIR" --destination "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.yaml.load import YMap

CODE = "CIG505"
NAME = "kaniko-archived-image"
SEVERITY = Severity.WARNING
SUMMARY = "an image from Kaniko's archived gcr.io/kaniko-project repository (use a maintained one)"

#: The archived repositories' common prefix (lowercase, no scheme).
ARCHIVED = "gcr.io/kaniko-project/"
#: Top-level keys that hold no image of their own (a variable may be named ``image``).
_NOT_JOBS = frozenset({"variables", "workflow", "include", "spec", "stages"})
#: What to use instead, named in the message.
MAINTAINED = "ghcr.io/osscontainertools/kaniko:v1.28.3-debug"


def is_archived(reference: str) -> bool:
    """Whether an image reference names an image of ``gcr.io/kaniko-project``."""
    name = reference.strip().lower().split("@", 1)[0]
    return name.startswith(ARCHIVED) or f"/{ARCHIVED}" in name


def _image(value: Any, owner: YMap, key: str) -> tuple[str, Mark] | None:
    """``(reference, position)`` of an ``image:`` value (string or ``{name: ...}``)."""
    if isinstance(value, str):
        return value, owner.value_mark(key)
    if isinstance(value, YMap) and isinstance(value.get("name"), str):
        return value["name"], value.value_mark("name")
    return None


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    config = ctx.pipeline.config
    if config is None:
        return
    places: list[tuple[YMap, str | None]] = [(config, None)]
    for name, value in config.items():
        if isinstance(value, YMap) and name not in _NOT_JOBS:
            places.append((value, None if name == "default" else name))
    seen: set[Mark] = set()
    for owner, job in places:
        if "image" not in owner:
            continue
        found = _image(owner["image"], owner, "image")
        if found is None or found[1] in seen or not is_archived(found[0]):
            continue
        reference, mark = found
        seen.add(mark)
        yield at(
            mark,
            CODE,
            NAME,
            SEVERITY,
            f"image {reference!r} comes from Kaniko's archived repository (gcr.io/kaniko-project, "
            "archived by Google in June 2025, no more fixes); use the maintained fork "
            f"({MAINTAINED}) or BuildKit/Buildah (cigen presets show build-image)",
            job=job,
            anchor=reference,
        )
