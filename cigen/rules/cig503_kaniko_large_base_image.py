"""A Kaniko job builds on a multi-gigabyte framework image.

## What it does
For each Kaniko job (its image name contains ``kaniko``, or its script runs
``/kaniko/executor``), reads the Dockerfile the executor builds and reports a final stage
that starts ``FROM`` a large machine-learning framework image. The finding is at the script
line that runs the executor.

The Dockerfile is ``--dockerfile``/``-f`` (default ``Dockerfile``), looked up as Kaniko does:
first relative to the job's working folder (``$CI_PROJECT_DIR``), then inside ``--context``/
``-c``. ``$CI_PROJECT_DIR`` and ``${CI_PROJECT_DIR}`` stand for the project root, and the
job's ``variables:`` are expanded; a path that still holds a variable, or that lies outside the
project (``..``, another absolute path, a symlink leading out), is not read. Only the first MiB
of the file is read. ``ARG`` defaults before the first ``FROM`` and ``--build-arg`` values are
substituted, and ``FROM <stage>`` follows earlier stages to their base image.

Large framework images (:data:`LARGE_BASE_IMAGES`, matched on the repository, any tag, also
behind a registry mirror such as ``harbor.example.com/dockerhub/pytorch/pytorch``):
``pytorch/pytorch``, ``tensorflow/tensorflow``, ``nvcr.io/nvidia/pytorch``,
``nvcr.io/nvidia/tensorflow``, ``nvcr.io/nvidia/nemo``, ``nvcr.io/nvidia/tritonserver``,
``huggingface/transformers-*``, ``quay.io/jupyter/*-notebook``, ``jupyter/*-notebook``,
``rocm/pytorch``, ``rocm/tensorflow``, ``continuumio/anaconda3``, ``vllm/vllm-openai`` and
``gcr.io/deeplearning-platform-release/*``.

## Why is this bad?
The seed warns that Kaniko pushes the base image's layers again for each destination image,
and these images weigh 3 to 20 GB: builds are slow and fill the registry. Start from an
NVIDIA CUDA image (``nvidia/cuda:<version>-cudnn-runtime-ubuntu22.04``) and ``pip install``
the framework on it.

## Example
```yaml
build:
  image:
    name: gcr.io/kaniko-project/executor:debug
    entrypoint: [""]
  script:
    - /kaniko/executor --context "${CI_PROJECT_DIR}" --dockerfile "${CI_PROJECT_DIR}/Dockerfile" --destination "registry.example.com/team/app:latest"
# file: Dockerfile
FROM pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime
RUN pip install --no-cache-dir jupyter_server
```

## Use instead
```yaml
build:
  image:
    name: gcr.io/kaniko-project/executor:debug
    entrypoint: [""]
  script:
    - /kaniko/executor --context "${CI_PROJECT_DIR}" --dockerfile "${CI_PROJECT_DIR}/Dockerfile" --destination "registry.example.com/team/app:latest"
# file: Dockerfile
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
RUN apt-get update && apt-get install -y python3-pip && pip install torch
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.project import Missing, Outside, Project
from cigen.records import dataclass
from cigen.regex import lazy_pattern
from cigen.rules.cig502_privileged_docker import image_parts
from cigen.variables import substitute

if TYPE_CHECKING:
    from cigen.config.jobs import PipelineJob

CODE = "CIG503"
NAME = "kaniko-large-base-image"
SEVERITY = Severity.INFO
SUMMARY = "a Kaniko job's Dockerfile starts FROM a multi-gigabyte framework image"

#: Repositories (``fnmatch`` patterns, Docker Hub names without ``docker.io/library/``) of
#: framework images of several gigabytes.
LARGE_BASE_IMAGES = (
    "pytorch/pytorch",
    "tensorflow/tensorflow",
    "nvcr.io/nvidia/pytorch",
    "nvcr.io/nvidia/tensorflow",
    "nvcr.io/nvidia/nemo",
    "nvcr.io/nvidia/tritonserver",
    "huggingface/transformers-*",
    "quay.io/jupyter/*-notebook",
    "jupyter/*-notebook",
    "rocm/pytorch",
    "rocm/tensorflow",
    "continuumio/anaconda3",
    "vllm/vllm-openai",
    "gcr.io/deeplearning-platform-release/*",
)
#: Bytes of a Dockerfile read at most.
MAX_DOCKERFILE_BYTES = 1024 * 1024
EXECUTOR = "/kaniko/executor"
#: Stands for the project root while paths are expanded.
_ROOT = "\x00root"
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", ">", ">>", "<", "(", ")"})
_FROM_VARIABLE = lazy_pattern(r"\$\{(\w+)(?::?[-+]([^}]*))?\}|\$(\w+)")


# --- Kaniko jobs and executor calls (shared with kaniko-cache-repo-varies) ----------------------


@dataclass(frozen=True)
class KanikoCall:
    """One ``/kaniko/executor`` command in a job's script."""

    job: PipelineJob
    mark: Mark
    args: tuple[str, ...]

    def values(self, *names: str) -> list[str]:
        """Every value given to one of the flags ``names`` (``--f X``, ``--f=X``, ``-f X``)."""
        found: list[str] = []
        args = self.args
        for index, arg in enumerate(args):
            for name in names:
                if arg == name and index + 1 < len(args):
                    found.append(args[index + 1])
                elif arg.startswith(name + "="):
                    found.append(arg[len(name) + 1 :])
        return found

    def value(self, *names: str) -> str | None:
        """The last value of the flags ``names`` (the one the executor uses)."""
        found = self.values(*names)
        return found[-1] if found else None


def image_name(job: PipelineJob) -> str:
    image = job.value("image")
    return "" if image is None else str(image.name)


def is_kaniko_image(job: PipelineJob) -> bool:
    return "kaniko" in image_name(job).lower()


def script_lines(job: PipelineJob) -> Iterator[tuple[str, Mark]]:
    """``(text, position)`` of each ``before_script`` and ``script`` line."""
    yield from job.lines("before_script")
    yield from job.lines("script")


def is_kaniko_job(job: PipelineJob) -> bool:
    if is_kaniko_image(job):
        return True
    # the lines of script_lines(job), without their positions
    lines = (*(job.value("before_script") or ()), *(job.value("script") or ()))
    return any(EXECUTOR in text for text in lines)


def _words(line: str) -> list[str]:
    import shlex  # only for Kaniko jobs' executor lines

    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: GitLab's shell would fail too
        return line.split()


def _is_executor(word: str, kaniko_image: bool) -> bool:
    if word.endswith(EXECUTOR):
        return True
    return kaniko_image and (word == "executor" or word.endswith("/executor"))


def kaniko_calls(job: PipelineJob) -> Iterator[KanikoCall]:
    """The executor commands of a job (none unless it is a Kaniko job)."""
    kaniko_image = is_kaniko_image(job)
    for text, mark in script_lines(job):
        if EXECUTOR not in text and not (kaniko_image and "executor" in text):
            continue
        for line in text.replace("\\\r\n", " ").replace("\\\n", " ").splitlines():
            words = _words(line)
            for index, word in enumerate(words):
                if not _is_executor(word, kaniko_image):
                    continue
                args: list[str] = []
                for arg in words[index + 1 :]:
                    if arg in _SEPARATORS:
                        break
                    args.append(arg)
                yield KanikoCall(job, mark, tuple(args))


def kaniko_jobs(ctx: LintContext) -> list[PipelineJob]:
    """The Kaniko jobs, found once per run (this rule and kaniko-cache-repo-varies read them)."""
    found: list[PipelineJob] | None = ctx.shared.get("kaniko-jobs")
    if found is None:
        jobs = ctx.pipeline.model_jobs.values()
        found = ctx.shared["kaniko-jobs"] = [job for job in jobs if is_kaniko_job(job)]
    return found


def expand(text: str, variables: Mapping[str, str], *, rounds: int = 5) -> str:
    """``text`` with ``$CI_PROJECT_DIR`` as the root marker and known variables expanded."""

    def replace(name: str) -> str | None:
        return _ROOT if name == "CI_PROJECT_DIR" else variables.get(name)

    for _ in range(rounds):
        expanded = substitute(text, replace)
        if expanded == text:
            break
        text = expanded
    return text


# --- the Dockerfile ------------------------------------------------------------------------------


def _project_path(path: str) -> str | None:
    """The repository path of an expanded path, relative to the job's folder (the root)."""
    if "$" in path or "://" in path:
        return None
    if path.startswith(_ROOT):
        return path[len(_ROOT) :].lstrip("/") or "."
    if path.startswith("/") or _ROOT in path:
        return None
    return path


def dockerfile_candidates(call: KanikoCall) -> list[str]:
    """Repository paths where Kaniko looks for the Dockerfile, in its order."""
    variables = call.job.variable_values()
    dockerfile = expand(call.value("--dockerfile", "-f") or "Dockerfile", variables)
    candidates: list[str] = []
    direct = _project_path(dockerfile)
    if direct is not None:
        candidates.append(direct)
    context_flag = call.value("--context", "-c")
    if context_flag is not None and direct is not None and not dockerfile.startswith(_ROOT):
        context = expand(context_flag, variables).removeprefix("dir://")
        folder = _project_path(context)
        if folder is not None:
            candidates.append(f"{folder}/{dockerfile}")
    return candidates


def read_dockerfile(root: Path, candidates: list[str]) -> tuple[str, str] | None:
    """``(repository path, text)`` of the first candidate inside the project, else None."""
    project = Project(root)
    for candidate in candidates:
        try:
            rel = project.normalize(candidate)
            data, _size = project.read(rel, MAX_DOCKERFILE_BYTES)
        except (Outside, Missing):
            continue
        return rel, data[:MAX_DOCKERFILE_BYTES].decode("utf-8", "replace")
    return None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, instruction)`` with ``\\`` continuations joined, comments dropped."""
    start = 0
    parts: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not parts:
            start = number
        if not parts and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            parts.append(line[:-1])
            continue
        parts.append(line)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def _substitute(text: str, args: Mapping[str, str]) -> str | None:
    unknown = False

    def sub(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(3)
        if name in args:
            return args[name]
        if match.group(2) is not None and ":-" in match.group(0):
            return match.group(2)
        unknown = True
        return match.group(0)

    result = _FROM_VARIABLE().sub(sub, text)
    return None if unknown else result


def final_base(text: str, build_args: Mapping[str, str]) -> tuple[str, int] | None:
    """The image the last stage is built on, and the line of its ``FROM``."""
    args: dict[str, str] = {}
    stages: dict[str, str | None] = {}
    last: tuple[str | None, int] | None = None
    for number, line in _logical_lines(text):
        word, _, rest = line.partition(" ")
        instruction = word.upper()
        if instruction == "ARG" and last is None:
            name, sep, default = rest.strip().partition("=")
            name = name.strip()
            if name in build_args:
                args[name] = build_args[name]
            elif sep:
                args[name] = default.strip().strip("\"'")
        elif instruction == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            if not words:
                continue
            image = _substitute(words[0], args)
            if image is not None and image.lower() in stages:
                image = stages[image.lower()]
            if len(words) >= 3 and words[1].lower() == "as":
                stages[words[2].lower()] = image
            last = (image, number)
    if last is None or last[0] is None:
        return None
    return last[0], last[1]


def repository(image: str) -> str:
    """The repository of an image reference, Docker Hub's defaults removed, lowercase."""
    name = image_parts(image)[0].lower()
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        name = name.removeprefix(prefix)
    return name.removeprefix("library/")


def large_base(image: str) -> str | None:
    """The :data:`LARGE_BASE_IMAGES` pattern ``image`` matches, else None."""
    name = repository(image)
    for pattern in LARGE_BASE_IMAGES:
        if fnmatchcase(name, pattern):
            return pattern
        if "." not in pattern.split("/", 1)[0] and fnmatchcase(name, "*/" + pattern):
            return pattern  # a registry mirror or proxy cache in front of Docker Hub
    return None


def _build_args(call: KanikoCall, variables: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in call.values("--build-arg"):
        name, sep, value = item.partition("=")
        if sep:
            out[name] = expand(value, variables)
    return out


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    root = ctx.pipeline.root
    seen: set[tuple[Mark, str]] = set()
    for job in kaniko_jobs(ctx):
        for call in kaniko_calls(job):
            found = read_dockerfile(root, dockerfile_candidates(call))
            if found is None:
                continue
            path, text = found
            base = final_base(text, _build_args(call, job.variable_values()))
            if base is None or large_base(base[0]) is None:
                continue
            image, line = base
            if (call.mark, path) in seen:
                continue
            seen.add((call.mark, path))
            yield at(
                call.mark,
                CODE,
                NAME,
                SEVERITY,
                f"job {job.name!r} builds {path} FROM {image} (line {line}), a framework image "
                "of several gigabytes that Kaniko pulls and pushes again for each destination; "
                "start FROM an NVIDIA CUDA image (nvidia/cuda:<version>-cudnn-runtime-ubuntu22.04)"
                " and pip install the framework",
                job=job.name,
                anchor=path,
            )
