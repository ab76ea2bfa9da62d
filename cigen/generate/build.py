"""Compose the pipeline: presets rendered with their parameters, gates, pass-through keys.

:func:`build` takes a validated :class:`~cigen.generate.spec.Spec` and a preset catalog and
gives plain data for ``.gitlab-ci.yml`` (``stages``, ``variables``, then the jobs in cigen.yml
order). It reads no file, except to look at the folders of a folder-list parameter. For each job:

1. the preset's parameters are resolved (``with:``, else a cigen.yml global such as
   ``registry``, else the default) and checked against its schema; a folder list
   (``x-cigen-holds: P`` in the parameter's schema) must name folders, relative to cigen.yml's,
   that hold the file named by parameter ``P``, and ``auto`` becomes the sorted list of every
   such folder below (hidden ones skipped);
2. the job template is rendered (:mod:`cigen.generate.render`), and ``stage`` put first;
3. the GitLab job keys written beside ``preset:`` are merged over it: mappings key by key,
   anything else replaced, ``null`` removing the preset's key;
4. a ``gate`` adds ``rules`` or ``only`` (:mod:`cigen.generate.gates`); a flag's default goes
   once into the global ``variables``.

The ``workflow`` of cigen.yml adds ``workflow:rules`` first (:func:`~cigen.generate.gates.
workflow_rules`), and :attr:`Composed.warnings` lists values that keep a gated job from running.

A preset with several jobs (``jobs:``) renders each of them: the main one is named like the
cigen.yml job and gets all its GitLab keys, the others are named ``<job><suffix>`` and get only
the gating keys (``rules``, ``only``, ``except``, and ``gate``), so the jobs of one preset run
together. With ``for_each`` this is done once per item of a list parameter, the main job named
``<job>-<item>`` (the item made a name part by :func:`~cigen.generate.render.slug`). Templates
see the parameters, ``job_name`` (the main job's name) and the ``for_each`` item. A job name
written twice is an error at the cigen.yml job.

Without ``stages:`` in cigen.yml the stages are those of the jobs, sorted by the lowest preset
``order`` using them, then by first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cigen.diagnostics import Mark
from cigen.errors import CigenError
from cigen.generate.flow import image_warnings, refusal_warnings, same_image_warnings
from cigen.generate.gates import gate_keys, gate_warnings, workflow_rules
from cigen.generate.presets import (
    AUTO,
    GLOBAL_PARAMS,
    JOB_NAME,
    Param,
    Part,
    Preset,
    resolve_params,
)
from cigen.generate.render import image_variable, render, slug
from cigen.generate.spec import (
    Gate,
    JobSpec,
    Spec,
    SpecErrors,
    did_you_mean,
    first_error,
    locate,
    make_validator,
    problem,
    where,
)
from cigen.model import EDGE_STAGES
from cigen.records import dataclass, field
from cigen.yaml.load import YMap

__all__ = ["Composed", "build", "compose", "find_folders", "merge"]

GATED_KEYS = ("only", "except", "rules")


@dataclass(frozen=True)
class Composed:
    """The pipeline data, and for every job in it the cigen.yml job it comes from."""

    data: dict[str, Any]
    origins: Mapping[str, str]
    warnings: tuple[str, ...] = ()


def build(spec: Spec, catalog: Mapping[str, Preset]) -> dict[str, Any]:
    """The ``.gitlab-ci.yml`` data for ``spec``; problems are :class:`CigenError` at a line."""
    return compose(spec, catalog).data


@dataclass
class _Acc:
    """What composing the jobs gathers, in cigen.yml order."""

    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    stage_rank: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    flags: dict[str, tuple[str, Mark | None]] = field(default_factory=dict)
    params: dict[str, tuple[Preset, dict[str, Any]]] = field(default_factory=dict)


def compose(spec: Spec, catalog: Mapping[str, Preset]) -> Composed:
    """:func:`build`, also saying which cigen.yml job each output job comes from.

    Every problem of every job is collected: they are raised together as
    :class:`~cigen.generate.spec.SpecErrors`.
    """
    globals_ = {
        name: (spec.node[name], spec.node.value_mark(name))
        for name in GLOBAL_PARAMS
        if name in spec.node
    }
    acc = _Acc()
    problems: list[str] = [*spec.problems, *_variable_clashes(spec, catalog)]
    for index, job in enumerate(spec.jobs):
        try:
            _compose_job(spec, catalog, index, job, globals_, acc)
        except CigenError as exc:
            problems.extend(exc.messages if isinstance(exc, SpecErrors) else [str(exc)])
    if problems:
        raise SpecErrors(tuple(problems))
    out: dict[str, Any] = {}
    workflow = workflow_rules(spec.workflow)
    if workflow is not None:
        out["workflow"] = workflow
    out["stages"] = _stages(spec, acc.jobs, acc.origins, acc.stage_rank)
    variables = dict(spec.variables)
    for flag, (value, _mark) in acc.flags.items():
        variables.setdefault(flag, value)
    if variables:
        out["variables"] = variables
    out.update(acc.jobs)
    warnings = [
        *gate_warnings(spec),
        *image_warnings(spec, acc.params, out, acc.origins),
        *same_image_warnings(spec, acc.params),
        *refusal_warnings(spec, out, acc.origins),
    ]
    return Composed(out, acc.origins, tuple(warnings))


def _compose_job(
    spec: Spec,
    catalog: Mapping[str, Preset],
    index: int,
    job: JobSpec,
    globals_: Mapping[str, tuple[Any, Mark]],
    acc: _Acc,
) -> None:
    """Render one cigen.yml job into ``acc``."""
    preset = _preset(job, catalog)
    params = resolve_params(
        preset,
        job.params,
        with_node=job.node.get("with") if "with" in job.node else None,
        job_node=job.node,
        job_name=job.name,
        globals_=globals_,
    )
    for param in preset.params:
        if param.holds is not None:
            params[param.name] = _folders(spec, job, param, params)
    acc.params[job.name] = (preset, params)
    built = [
        _build_job(spec, catalog, job, param.name, params[param.name])
        for param in preset.params
        if param.replaces is not None and params[param.name] is not None
    ]
    where_ = f"preset {preset.name!r} ({preset.source})"
    gated = {key: job.extra[key] for key in GATED_KEYS if key in job.extra}
    for name, values in _instances(job, preset, params):
        for part_index, part in enumerate(preset.parts):
            out_name = name + part.suffix
            body = render(part.job, values, where=where_)
            stage = _stage(part, values, where_)
            data = merge({"stage": stage, **body}, job.extra if part.main else gated)
            if part.main:
                _add_needs(data, built)
            if job.gate is not None:
                _apply_gate(job, job.gate, data, preset)
            if out_name in acc.jobs:
                _clash(spec, job, out_name, acc.origins[out_name])
            stage = data.get("stage", "test")
            rank = (preset.order, index, part_index)
            acc.stage_rank[stage] = min(acc.stage_rank.get(stage, rank), rank)
            acc.jobs[out_name] = data
            acc.origins[out_name] = job.name
    if job.gate is not None and job.gate.flag is not None:
        _record_flag(job, job.gate, job.gate.flag, spec, acc.flags)


def _variable_clashes(spec: Spec, catalog: Mapping[str, Preset]) -> list[str]:
    """Build jobs whose names give the same image variable (``build-a`` and ``build_a``)."""
    seen: dict[str, str] = {}
    out = []
    for job in spec.jobs:
        if not _builds_image(catalog.get(job.preset)):
            continue
        variable = image_variable(job.name)
        if variable in seen:
            mark = spec.node["jobs"].key_mark(job.name)
            out.append(
                f"{where(mark)}: jobs.{job.name}: passes its image on as {variable}, as job "
                f"{seen[variable]!r} does; rename one of the two"
            )
        seen[variable] = job.name
    return out


def _build_job(
    spec: Spec, catalog: Mapping[str, Preset], job: JobSpec, param: str, target: str
) -> str:
    """Check that ``target`` (the value of build-job parameter ``param``) names a job of
    cigen.yml whose preset builds an image; the name."""
    by_name = {other.name: other for other in spec.jobs}
    builders = [
        other.name
        for other in spec.jobs
        if other.name != job.name and _builds_image(catalog.get(other.preset))
    ]
    problem = ""
    if target == job.name:
        problem = "names this job itself"
    elif target not in by_name:
        problem = f"is not a job of this file{did_you_mean(target, builders)}"
    elif target not in builders:
        problem = f"is a {by_name[target].preset} job, which builds no image"
    if problem:
        choices = ", ".join(builders) or "none"
        raise CigenError(
            f"{where(_value_mark(job, param))}: jobs.{job.name}.with.{param}: {target!r} "
            f"{problem} (jobs that build an image: {choices})"
        )
    return target


def _builds_image(preset: Preset | None) -> bool:
    return preset is not None and preset.builds_image


def _add_needs(data: dict[str, Any], built: list[str]) -> None:
    """Make the job need each build job it runs the image of, with its artifacts (the dotenv
    report holding the image reference)."""
    if not built:
        return
    needs = list(data.get("needs") or [])
    for target in built:
        named = {item if isinstance(item, str) else item.get("job") for item in needs}
        if target not in named:
            needs.append({"job": target, "artifacts": True})
    data["needs"] = needs


def _instances(
    job: JobSpec, preset: Preset, params: Mapping[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """``(main job name, template values)``: one, or one per item with ``for_each``."""
    if preset.for_each is None:
        return [(job.name, {**params, JOB_NAME: job.name})]
    each = preset.for_each
    items = params.get(each.param) or []
    if not isinstance(items, list):
        raise CigenError(
            f"{where(job.node.value_mark('preset'))}: jobs.{job.name}.with.{each.param}: "
            f"preset {preset.name!r} repeats its jobs per item, but got {items!r}, not a list"
        )
    out: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(items):
        part = slug(item)
        problem = ""
        if not part:
            problem = f"{item!r} gives no job name (it has no letter or digit)"
        elif part in seen:
            problem = (
                f"{item!r} and {items[seen[part]]!r} give the same job name "
                f"{job.name + '-' + part!r}"
            )
        if problem:
            mark = _item_mark(job, each.param, position)
            raise CigenError(f"{where(mark)}: jobs.{job.name}.with.{each.param}: {problem}")
        seen[part] = position
        name = f"{job.name}-{part}"
        out.append((name, {**params, each.name: item, JOB_NAME: name}))
    return out


def _folders(spec: Spec, job: JobSpec, param: Param, params: Mapping[str, Any]) -> Any:
    """The folder list of ``param``, checked: each folder holds the file ``params[holds]``.

    ``auto`` becomes every folder below cigen.yml's that holds the file (:func:`find_folders`).
    """
    assert param.holds is not None
    file_name = params[param.holds]
    value = params[param.name]
    prefix = f"jobs.{job.name}.with.{param.name}"
    base = Path(spec.label).parent
    if value == AUTO:
        mark = _value_mark(job, param.name)
        found = find_folders(spec.folder, file_name)
        if not found:
            raise CigenError(
                f"{where(mark)}: {prefix}: {AUTO} found no folder below {_shown(base)} holding "
                f"a {file_name} file; add one, or list the folders"
            )
        error = first_error(make_validator(dict(param.schema)), found)
        if error is not None:
            path = list(error.absolute_path)
            culprit = f" {found[path[0]]!r}" if path and isinstance(path[0], int) else "s"
            raise CigenError(
                f"{where(mark)}: {prefix}: {AUTO} found the folder{culprit}, which cannot be "
                f"used: {problem(error)}; rename it, or list the folders"
            )
        return found
    if isinstance(value, list):
        for position, folder in enumerate(value):
            if isinstance(folder, str) and not (spec.folder / folder / file_name).is_file():
                if (spec.folder / folder).is_dir():
                    what = f"holds no {file_name} ({(base / folder / file_name).as_posix()})"
                else:
                    what = f"does not exist (folders are relative to {_shown(base)})"
                raise CigenError(
                    f"{where(_item_mark(job, param.name, position))}: {prefix}: folder "
                    f"{folder!r} {what}"
                )
    return value


def _shown(folder: Path) -> str:
    text = folder.as_posix()
    return "the folder of cigen.yml" if text == "." else f"{text}/"


def find_folders(top: Path, file_name: str) -> list[str]:
    """Every folder below ``top`` (any depth, not ``top``) holding ``file_name``, relative
    and sorted; hidden folders (``.git``, ``.venv``...) and symbolic links to folders skipped."""
    found: list[str] = []
    for root, dirs, files in os.walk(top):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        here = Path(root)
        if here != top and file_name in files and (here / file_name).is_file():
            found.append(here.relative_to(top).as_posix())
    return sorted(found)


def _value_mark(job: JobSpec, param: str) -> Mark:
    with_node = job.node.get("with")
    if isinstance(with_node, YMap) and param in with_node:
        return with_node.value_mark(param)
    return job.node.value_mark("preset")


def _item_mark(job: JobSpec, param: str, position: int) -> Mark:
    with_node = job.node.get("with")
    if isinstance(with_node, YMap) and param in with_node:
        return locate(with_node, [param, position])
    return job.node.value_mark("preset")


def _stage(part: Part, values: Mapping[str, Any], where_: str) -> str:
    stage = render(part.stage, values, where=where_)
    if not isinstance(stage, str) or not stage:
        raise CigenError(f"{where_}: the stage of job suffix {part.suffix!r} is {stage!r}")
    return stage


def _clash(spec: Spec, job: JobSpec, name: str, other: str) -> None:
    mark = spec.node["jobs"].key_mark(job.name)
    by = f"jobs.{other}" if other == job.name else f"jobs.{other} and by jobs.{job.name}"
    raise CigenError(
        f"{where(mark)}: jobs.{job.name}: the job name {name!r} is written twice, by {by}; "
        "rename one (a preset with several jobs names them <job><suffix>, and per item "
        "<job>-<item><suffix>)"
    )


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``: mappings recursively, ``None`` deletes a key."""
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _preset(job: JobSpec, catalog: Mapping[str, Preset]) -> Preset:
    preset = catalog.get(job.preset)
    if preset is None:
        raise CigenError(
            f"{where(job.node.value_mark('preset'))}: jobs.{job.name}.preset: unknown preset "
            f"{job.preset!r}{did_you_mean(job.preset, catalog)} "
            f"(available: {', '.join(sorted(catalog)) or 'none'}; "
            "a project adds its own in presets/NAME.yaml beside cigen.yml)"
        )
    return preset


def _apply_gate(job: JobSpec, gate: Gate, data: dict[str, Any], preset: Preset) -> None:
    keys = gate_keys(gate, job)
    clash = [key for key in GATED_KEYS if key in data]
    if clash:
        key = clash[0]
        if key in job.node:
            mark, culprit = job.node.key_mark(key), f"{key}:"
        else:
            mark = job.node.key_mark("gate")
            culprit = f"preset {preset.name!r}, which writes {key}:"
        raise CigenError(
            f"{where(mark)}: jobs.{job.name}: gate cannot be combined with {culprit} "
            f"(gate writes {next(iter(keys))}:); keep one of the two"
        )
    data.update(keys)


def _record_flag(
    job: JobSpec, gate: Gate, flag: str, spec: Spec, flags: dict[str, tuple[str, Mark | None]]
) -> None:
    default_mark = gate.node.value_mark("default") if "default" in gate.node else None
    wanted = None if gate.default is None else ("true" if gate.default else "false")
    declared = spec.variables.get(flag)
    if declared is not None:
        value = declared.get("value") if isinstance(declared, Mapping) else declared
        if wanted is not None and str(value).lower() != wanted:
            assert default_mark is not None
            var_mark = spec.node["variables"].value_mark(flag)
            raise CigenError(
                f"{where(default_mark)}: jobs.{job.name}.gate.default: {wanted} contradicts "
                f"variables.{flag} = {value!r} at line {var_mark.line}; a flag's default "
                "is declared once"
            )
        return
    previous = flags.get(flag)
    if previous is not None and previous[1] is not None and wanted is not None:
        if previous[0] != wanted:
            assert default_mark is not None
            raise CigenError(
                f"{where(default_mark)}: jobs.{job.name}.gate.default: {wanted} contradicts "
                f"the default {previous[0]} given at line {previous[1].line}; a flag's default "
                f"is declared once (best in variables.{flag})"
            )
        return
    if previous is None or (previous[1] is None and wanted is not None):
        flags[flag] = (wanted or "false", default_mark if wanted is not None else None)


def _stages(
    spec: Spec,
    jobs: Mapping[str, Mapping[str, Any]],
    origins: Mapping[str, str],
    rank: Mapping[str, tuple[int, int, int]],
) -> list[str]:
    if spec.stages is None:
        return [s for s in sorted(rank, key=lambda s: rank[s]) if s not in EDGE_STAGES]
    allowed = set(spec.stages) | set(EDGE_STAGES)
    by_name = {job.name: job for job in spec.jobs}
    for name, data in jobs.items():
        stage = data.get("stage", "test")
        if stage in allowed:
            continue
        job = by_name[origins[name]]
        node = job.node
        own = name == job.name and "stage" in node
        mark = node.value_mark("stage") if own else node.value_mark("preset")
        source = "" if own else f" (from preset {job.preset!r})"
        which = "" if name == job.name else f" of its job {name!r}"
        raise CigenError(
            f"{where(mark)}: jobs.{job.name}: stage {stage!r}{which}{source} is not in stages "
            f"({', '.join(spec.stages)}); add it to stages: or give the job a stage:"
        )
    return list(spec.stages)
