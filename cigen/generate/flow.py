"""Checks of a composed pipeline that GitLab's schema cannot make: warnings, never errors.

* :func:`same_image_warnings`: a job that could name a build job of the same cigen.yml
  (a parameter with ``x-cigen-build-job``) but pulls the same repository by tag instead. A build
  pushes ``latest`` only from the default branch, and any pipeline may push a tag meanwhile, so
  such a job may run another branch's image, and it does not wait for the build.
* :func:`same_image_warnings` also says when such a job asks for a tag the build never pushes
  (the build's ``image_tags``, and ``latest`` unless its ``latest`` is ``never``): that pull
  fails unless something else pushed the tag.
* :func:`image_warnings`: image references (the parameters of :data:`IMAGE_PARAMS`) built from a
  variable that cigen.yml does not define (top-level or job ``variables``, a gate's flag, a
  build job's image variable) and GitLab does not predefine (:func:`predefined`): unless it is a
  CI/CD variable of the project, GitLab expands it to nothing (``registry: $HARBOR_HOST`` gives
  ``/team/app:latest``); and an ``image`` that starts with a registry host, which the preset
  writes after ``registry`` (``harbor.example.com/harbor.example.com/app``).
* :func:`refusal_warnings`: pipelines GitLab would refuse to create, found by simulating pipeline
  creation (:mod:`cigen.pipeline.simulate`) for a push to the default branch, to each branch a
  gate names, to another branch and for a tag, with every flag off, each flag on and all on. The
  usual case is a job that ``needs`` a build job whose gate is narrower than its own: GitLab then
  refuses the pipeline ("... does not exist in the pipeline", ``lib/gitlab/ci/pipeline/seed/
  build.rb``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from cigen.diagnostics import Mark
from cigen.generate.presets import GLOBAL_PARAMS, Preset
from cigen.generate.spec import JobSpec, Spec, locate, where
from cigen.yaml.load import YMap

__all__ = ["image_warnings", "predefined", "refusal_warnings", "same_image_warnings"]

#: Parameters whose values become part of an image reference (the names the image presets use).
IMAGE_PARAMS = ("registry", "image", "tag", "image_tags", "builder_image", "cache_repo")
#: Variables GitLab predefines besides those named ``CI_*`` and ``GITLAB_*``
#: (``lib/gitlab/ci/variables/builder.rb`` and the runner's own).
PREDEFINED = frozenset(
    {"CI", "GITLAB_CI", "CHAT_CHANNEL", "CHAT_INPUT", "CHAT_USER_ID", "TRIGGER_PAYLOAD"}
)
PREDEFINED_PREFIXES = ("CI_", "GITLAB_")
#: A first path part that names a host rather than a repository (Docker's rule: a dot, a port or
#: ``localhost``).
_HOST = re.compile(r"[^/]*[.:][^/]*|localhost")

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
                missing = _unpushed_tag(values, built)
                if missing is not None:
                    out.append(
                        f"{where(_param_mark(spec, job, 'tag'))}: jobs.{name}: asks for tag "
                        f"{missing!r} of the image that job {builder!r} builds, which that job "
                        f"never pushes (it pushes {_pushed_words(built)}), so the pull fails "
                        f"unless something else pushed it; with: {{{param.name}: {builder}}} runs "
                        f"the exact image this pipeline built, or add {missing!r} to the "
                        f"image_tags of job {builder!r}"
                    )
                    continue
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


def _tag_form(tag: str) -> str:
    """A tag with ``$NAME`` written ``${NAME}``, so the two spellings compare equal."""
    from cigen.variables import substitute

    return substitute(tag, lambda name: "${" + name + "}")


def _unpushed_tag(values: Mapping[str, Any], built: Mapping[str, Any]) -> str | None:
    """The tag a job asks for when the build job ``built`` (its parameters) never pushes it."""
    tag, tags = values.get("tag"), built.get("image_tags")
    if not isinstance(tag, str) or not isinstance(tags, list):
        return None
    pushed = {_tag_form(str(item)) for item in tags}
    if built.get("latest") != "never":
        pushed.add("latest")
    return None if _tag_form(tag) in pushed else tag


def _pushed_words(built: Mapping[str, Any]) -> str:
    tags = ", ".join(str(tag) for tag in built.get("image_tags") or [])
    when = {"always": "in every pipeline", "default_branch": "from the default branch"}
    latest = when.get(str(built.get("latest")))
    return f"{tags}, and latest {latest}" if latest else tags


def predefined(name: str) -> bool:
    """Whether GitLab predefines variable ``name`` (``CI_*``, ``GITLAB_*`` and a few others)."""
    return name in PREDEFINED or name.startswith(PREDEFINED_PREFIXES)


def image_warnings(
    spec: Spec,
    params: Mapping[str, tuple[Preset, Mapping[str, Any]]],
    data: Mapping[str, Any],
    origins: Mapping[str, str],
) -> list[str]:
    """Image references using undefined variables, and image paths that repeat a registry."""
    from cigen.generate.render import image_variable
    from cigen.variables import names

    defined = set(data.get("variables") or {})
    defined.update(image_variable(name) for name, (p, _v) in params.items() if p.builds_image)
    by_job: dict[str, set[str]] = {}
    for out_name, origin in origins.items():
        job_data = data.get(out_name)
        own = job_data.get("variables") if isinstance(job_data, Mapping) else None
        by_job.setdefault(origin, set()).update(own if isinstance(own, Mapping) else ())
    jobs = {job.name: job for job in spec.jobs}
    out: list[str] = []
    seen: set[tuple[str, str]] = set()
    for name, (_preset, values) in params.items():
        job = jobs[name]
        unset = _unset_among(frozenset(defined | by_job.get(name, set())))
        for key in IMAGE_PARAMS:
            value = values.get(key)
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                if not isinstance(item, str):
                    continue
                for variable in names(item):
                    position = index if isinstance(value, list) else None
                    mark = _param_mark(spec, job, key, position)
                    if not unset(variable) or (where(mark), variable) in seen:
                        continue
                    seen.add((where(mark), variable))
                    shown = _reference(values, item, unset)
                    out.append(
                        f"{where(mark)}: {_param_path(spec, job, key, position)}: {item!r} uses "
                        f"the variable {variable}, which cigen.yml does not define and GitLab "
                        f"does not predefine: unless it is set, the image is {shown!r}; define "
                        f"{variable} under variables: in cigen.yml, or pass it as a CI/CD "
                        "variable (Settings > CI/CD > Variables)"
                    )
        out.extend(_repeated_registry(spec, job, values))
    return out


def _unset_among(known: frozenset[str]) -> Callable[[str], bool]:
    """Whether a variable is neither in ``known`` nor predefined by GitLab."""
    return lambda variable: variable not in known and not predefined(variable)


def _repeated_registry(spec: Spec, job: JobSpec, values: Mapping[str, Any]) -> list[str]:
    """``image`` starting with a host, which the preset writes after ``registry``."""
    registry, image = values.get("registry"), values.get("image")
    if not isinstance(registry, str) or not isinstance(image, str) or "/" not in image:
        return []
    first, rest = image.split("/", 1)
    if first.lower() != registry.lower() and not _HOST.fullmatch(first):
        return []
    full = _reference(values, image, lambda _name: False)
    return [
        f"{where(_param_mark(spec, job, 'image'))}: {_param_path(spec, job, 'image', None)}: "
        f"{image!r} starts with the registry host {first!r}, and the preset writes registry "
        f"{registry!r} before it: the image is {full!r}; give the host only in registry and "
        f"image without it ({rest!r})"
    ]


def _reference(values: Mapping[str, Any], item: str, unset: Callable[[str], bool]) -> str:
    """The image reference a job's parameters give, with the variables ``unset`` says are
    missing expanded to nothing, as GitLab does."""
    from cigen.variables import substitute

    registry, image = values.get("registry"), values.get("image")
    if isinstance(registry, str) and isinstance(image, str) and item in _parts(values):
        tags = values.get("image_tags")
        tags = tags if isinstance(tags, list) and tags else [values.get("tag") or "latest"]
        tag = item if item in tags else tags[0]
        text = f"{registry}/{image}:{tag}"
    else:
        text = item
    return substitute(text, lambda name: "" if unset(name) else None)


def _parts(values: Mapping[str, Any]) -> list[str]:
    """The strings that make up ``<registry>/<image>:<tag>``."""
    tags = values.get("image_tags")
    out = [values.get("registry"), values.get("image"), values.get("tag")]
    return [item for item in out if isinstance(item, str)] + (
        [str(tag) for tag in tags] if isinstance(tags, list) else []
    )


def _param_mark(spec: Spec, job: JobSpec, key: str, position: int | None = None) -> Mark:
    """Where a parameter's value is written: under ``with:``, at the top of cigen.yml (a
    global such as ``registry``), else the job's preset (a default)."""
    with_node = job.node.get("with")
    if isinstance(with_node, YMap) and key in with_node:
        if position is None:
            return with_node.value_mark(key)
        return locate(with_node, [key, position])
    if key in GLOBAL_PARAMS and key in spec.node:
        return spec.node.value_mark(key)
    return job.node.value_mark("preset")


def _param_path(spec: Spec, job: JobSpec, key: str, position: int | None) -> str:
    with_node = job.node.get("with")
    if isinstance(with_node, YMap) and key in with_node:
        return f"jobs.{job.name}.with.{key}" + ("" if position is None else f".{position}")
    if key in GLOBAL_PARAMS and key in spec.node:
        return key
    return f"jobs.{job.name}: the default {key} of preset {job.preset!r}"


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
