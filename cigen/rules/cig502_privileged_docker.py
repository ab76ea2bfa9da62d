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
from typing import Any

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.yaml.load import YMap, YSeq

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


#: GitLab flattens nested ``services`` lists up to this depth.
MAX_NESTING = 10
#: Entries looked at in one ``services:`` value; ``!reference`` can build huge shared lists.
MAX_ITEMS = 10_000


def _service_items(services: Any, mark: Mark) -> Iterator[tuple[str, Mark]]:
    """``(image, position)`` of each entry, nested lists flattened within the bounds."""
    if isinstance(services, str):
        yield services, mark
        return
    budget = MAX_ITEMS
    stack: list[tuple[YSeq, int, int]] = []
    if isinstance(services, YSeq):
        stack.append((services, 0, 0))
    while stack and budget > 0:
        seq, index, depth = stack.pop()
        if index >= len(seq):
            continue
        stack.append((seq, index + 1, depth))
        budget -= 1
        item = seq[index]
        if isinstance(item, str):
            yield item, seq.item_mark(index)
        elif isinstance(item, YMap) and isinstance(item.get("name"), str):
            yield item["name"], item.value_mark("name")
        elif isinstance(item, YSeq) and depth < MAX_NESTING:
            stack.append((item, 0, depth + 1))


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    config = ctx.pipeline.config
    if config is None:
        return
    places: list[tuple[Any, Mark, str | None]] = []
    if "services" in config:
        places.append((config["services"], config.value_mark("services"), None))
    for name, value in config.items():
        if isinstance(value, YMap) and "services" in value:
            job = None if name == "default" else name
            places.append((value["services"], value.value_mark("services"), job))
    seen: set[Mark] = set()
    for services, mark, job in places:
        for image, where in _service_items(services, mark):
            if where in seen or not is_dind(image):
                continue
            seen.add(where)
            yield at(
                where,
                CODE,
                NAME,
                SEVERITY,
                f"service {image!r} runs Docker-in-Docker, which only works in a privileged "
                "pod (privileged = true for the whole Kubernetes runner); build images with "
                "Kaniko instead, which needs no privileges (cigen presets show kaniko)",
                job=job,
                anchor=image,
            )
