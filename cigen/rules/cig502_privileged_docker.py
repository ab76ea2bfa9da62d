"""A ``docker:dind`` service, which needs a privileged pod.

## What it does
Reports ``services:`` entries (global, ``default:``, jobs and hidden templates) that run
Docker-in-Docker: an image whose repository is ``docker`` (on any registry, such as
``docker:27-dind``, ``docker.io/library/docker:dind`` or ``mirror.example.com/docker:dind``)
with a tag containing ``dind`` (``dind-rootless`` too, which still needs privileged mode). The
finding is at the service entry.

## Why is this bad?
The Docker daemon in the service container only starts in a privileged container, so the
Kubernetes runner must set ``privileged = true`` in ``[runners.kubernetes]``: every job on that
runner can then take over the node. The seed builds images with Kaniko instead, which needs no
privileges; ``cigen presets show kaniko`` documents a ready-made job.

## Example
```yaml
build:
  image: docker:27
  services:
    - docker:27-dind
  script:
    - docker build -t "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA" .
```

## Use instead
```yaml
build:
  image:
    name: gcr.io/kaniko-project/executor:debug
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

CODE = "CIG502"
NAME = "privileged-docker"
SEVERITY = Severity.WARNING
SUMMARY = "a docker:dind service, which needs a privileged pod (use the Kaniko preset)"


def image_parts(reference: str) -> tuple[str, str]:
    """``(repository, tag)`` of an image reference; the repository keeps its registry."""
    name = reference.strip().split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :]
    return name, "latest"


def is_dind(reference: str) -> bool:
    """Whether ``reference`` names a Docker-in-Docker image (``docker:<...dind...>``)."""
    repository, tag = image_parts(reference)
    return repository.rsplit("/", 1)[-1].lower() == "docker" and "dind" in tag.lower()


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for service, job in written_images(ctx, "services"):
        if not is_dind(service.name):
            continue
        yield at(
            service.where,
            CODE,
            NAME,
            SEVERITY,
            f"service {service.name!r} runs Docker-in-Docker, which only works in a privileged "
            "pod (privileged = true for the whole Kubernetes runner); build images with "
            "Kaniko instead, which needs no privileges (cigen presets show kaniko)",
            job=job,
            anchor=service.name,
        )
