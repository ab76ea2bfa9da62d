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

from cigen.diagnostics import Diagnostic, Severity, at
from cigen.lint.context import LintContext
from cigen.rules._common import written_images

CODE = "CIG505"
NAME = "kaniko-archived-image"
SEVERITY = Severity.WARNING
SUMMARY = "an image from Kaniko's archived gcr.io/kaniko-project repository (use a maintained one)"

#: The archived repositories' common prefix (lowercase, no scheme).
ARCHIVED = "gcr.io/kaniko-project/"
#: What to use instead, named in the message.
MAINTAINED = "ghcr.io/osscontainertools/kaniko:v1.28.3-debug"


def is_archived(reference: str) -> bool:
    """Whether an image reference names an image of ``gcr.io/kaniko-project``."""
    name = reference.strip().lower().split("@", 1)[0]
    return name.startswith(ARCHIVED) or f"/{ARCHIVED}" in name


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for image, job in written_images(ctx, "image"):
        if not is_archived(image.name):
            continue
        yield at(
            image.where,
            CODE,
            NAME,
            SEVERITY,
            f"image {image.name!r} comes from Kaniko's archived repository "
            "(gcr.io/kaniko-project, archived by Google in June 2025, no more fixes); use the "
            f"maintained fork ({MAINTAINED}) or BuildKit/Buildah (cigen presets show build-image)",
            job=job,
            anchor=image.name,
        )
