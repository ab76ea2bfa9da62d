"""The configuration as GitLab assembles it, for ``cigen expand``.

A pure step from a resolved :class:`~cigen.model.Pipeline` to plain data: includes merged,
``extends`` and ``!reference`` applied (the resolver did both), ``default:`` and the deprecated
top-level defaults copied into each job that inherits them, the global ``variables`` merged
into each job's as ``inherit:variables`` allows (the resolver's job view), hidden jobs and the
keys that only assemble (``include``, ``default``, ``extends``) dropped. A top-level key that is
not a valid job is kept as written so that linting the output reports the same problem.

What cannot be assembled offline stays as a reference: the includes that were not followed
(``project``, ``remote``, ``template``, ``component``) are kept in ``include:``, and a job
extending a key that is not defined keeps those parents in ``extends:``.

With provenance, each job key carries a note: the ``file:line`` it was written at, and how it
got into the job (``extends .parent``, ``!reference [...]``, ``default``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cigen.diagnostics import Mark
from cigen.model import GLOBAL_DEFAULTS, Job, Pipeline
from cigen.records import dataclass, field
from cigen.yaml.load import Reference, YMap, YSeq, to_plain

#: Top-level keys that only assemble the configuration and are applied by expansion.
_APPLIED = frozenset({"include", "default", *GLOBAL_DEFAULTS})
#: The include kinds, in the order the resolver looks for them.
_INCLUDE_KINDS = ("local", "project", "remote", "template", "component", "artifact")
#: Job keys that only assemble the job.
_JOB_APPLIED = frozenset({"extends"})

Path = tuple[str, ...]


@dataclass(frozen=True)
class Expanded:
    """Plain data in GitLab's order, and a note per key path (empty without provenance)."""

    data: dict[str, Any]
    notes: Mapping[Path, str] = field(default_factory=dict)


def expand(pipeline: Pipeline, *, job: str | None = None, provenance: bool = False) -> Expanded:
    """The assembled configuration (or one job of it); ``job`` must be a visible job."""
    config = pipeline.config
    if config is None:
        raise ValueError("the configuration could not be assembled")
    origins = _origins(pipeline) if provenance else {}
    data: dict[str, Any] = {}
    notes: dict[Path, str] = {}
    kept = _unfollowed_includes(pipeline)
    if kept and job is None:
        data["include"] = kept
    for name, value in config.items():
        if name.startswith(".") or (job is not None and name != job):
            continue
        found = pipeline.jobs.get(name)
        if job is None and name in _APPLIED and found is None:
            continue
        if found is None:
            if job is not None:
                break
            data[name] = to_plain(value)
            if provenance:
                notes[(name,)] = _where(config.key_mark(name))
            continue
        data[name] = {k: to_plain(v) for k, v in found.config.items() if k not in _JOB_APPLIED}
        if isinstance(data[name].get("variables"), dict):
            data[name]["variables"] = _job_variables(config, found)
        unknown = _unknown_parents(config, found)
        if unknown:
            data[name]["extends"] = unknown
        if provenance:
            notes[(name,)] = _where(found.mark)
            for key in data[name]:
                notes[(name, key)] = _job_note(pipeline, found, key, origins)
    if job is not None and job not in data:
        raise KeyError(job)
    return Expanded(data, notes)


#: Keys a job's variable may have; ``description`` and ``options`` are for global ones only.
_JOB_VARIABLE_KEYS = ("value", "expand")


def _job_variables(config: YMap, job: Job) -> dict[str, Any]:
    """The job's variables, with the ones inherited from the global ``variables:`` reduced to
    what a job variable may hold (GitLab's job keeps the value, not the description)."""
    merged = job.config["variables"]
    globals_ = config.get("variables")
    out: dict[str, Any] = {}
    for key, value in merged.items():
        plain = to_plain(value)
        inherited = (
            isinstance(globals_, YMap)
            and key in globals_
            and merged.key_mark(key) == globals_.key_mark(key)
        )
        if inherited and isinstance(plain, dict):
            plain = {k: plain[k] for k in _JOB_VARIABLE_KEYS if k in plain}
            if list(plain) == ["value"]:
                plain = plain["value"]
        out[key] = plain
    return out


def _unfollowed_includes(pipeline: Pipeline) -> list[Any]:
    """The ``include:`` items of every file that were not followed, as written."""
    marks = {event.mark for event in pipeline.unfollowed}
    out: list[Any] = []
    for document in pipeline.documents:
        body = document.body
        if not marks or not isinstance(body, YMap) or "include" not in body:
            continue
        value = body["include"]
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            where = body.value_mark("include")
            mark = value.item_mark(index) if isinstance(value, YSeq) else where
            if isinstance(item, YMap):
                kind = next((k for k in _INCLUDE_KINDS if k in item), None)
                mark = item.value_mark(kind) if kind is not None else mark
            if mark in marks:
                out.append(to_plain(item))
    return out


def _unknown_parents(config: YMap, job: Job) -> list[str]:
    """Ancestors in the job's ``extends`` chain that are not defined (maybe in an include)."""
    out: list[str] = []
    seen: set[str] = set()
    todo = [job.name]
    while todo:
        raw = config.get(todo.pop(0))
        parents = raw.get("extends") if isinstance(raw, YMap) else None
        for parent in [parents] if isinstance(parents, str) else parents or []:
            if not isinstance(parent, str) or parent in seen:
                continue
            seen.add(parent)
            if parent in config:
                todo.append(parent)
            else:
                out.append(parent)
    return out


def _where(mark: Mark) -> str:
    return f"{mark.path}:{mark.line}"


def _origins(pipeline: Pipeline) -> dict[Mark, str]:
    """For each key written directly in a top-level mapping of some file: that mapping's name."""
    out: dict[Mark, str] = {}
    for document in pipeline.documents:
        if not isinstance(document.body, YMap):
            continue
        for name, value in document.body.items():
            if isinstance(value, YMap):
                for key in value:
                    out.setdefault(value.key_mark(key), name)
    return out


def _job_note(pipeline: Pipeline, job: Job, key: str, origins: Mapping[Mark, str]) -> str:
    mark = job.config.key_mark(key)
    where = _where(mark)
    if key in job.inherited:
        return f"{where} via default"
    globals_ = pipeline.config.get("variables") if pipeline.config is not None else None
    if key == "variables" and isinstance(globals_, YMap) and globals_:
        if mark == globals_.mark:
            return f"{where} via the global variables"
        merged = job.config.get("variables")
        if isinstance(merged, YMap) and any(
            k in globals_ and merged.key_mark(k) == globals_.key_mark(k) for k in merged
        ):
            return f"{where} and the global variables"
    owner = origins.get(mark)
    if owner is not None and owner != job.name:
        return f"{where} via extends {owner}"
    raw = _written(pipeline, job, key)
    refs = _references(raw)
    if refs:
        return f"{where} via " + ", ".join(refs)
    return where


def _written(pipeline: Pipeline, job: Job, key: str) -> Any:
    """The value of ``key`` as written in the job's own mapping, before assembly."""
    for document in pipeline.documents:
        body = document.body
        if isinstance(body, YMap) and isinstance(body.get(job.name), YMap):
            own = body[job.name]
            if key in own and own.key_mark(key) == job.config.key_mark(key):
                return own[key]
    return None


def _references(value: Any) -> list[str]:
    if isinstance(value, Reference):
        return [value.text()]
    if isinstance(value, list):
        return [text for item in value for text in _references(item)]
    return []
