"""Compose the pipeline: presets rendered with their parameters, gates, pass-through keys.

:func:`build` is pure: a validated :class:`~cigen.generate.spec.Spec` and a preset catalog in,
plain data for ``.gitlab-ci.yml`` out (``stages``, ``variables``, then the jobs in cigen.yml
order). For each job:

1. the preset's parameters are resolved (``with:``, else a cigen.yml global such as
   ``registry``, else the default) and checked against its schema;
2. the job template is rendered (:mod:`cigen.generate.render`), and ``stage`` put first;
3. the GitLab job keys written beside ``preset:`` are merged over it: mappings key by key,
   anything else replaced, ``null`` removing the preset's key;
4. a ``gate`` adds ``only: [branches...]`` or flag ``rules``; a flag's default goes once into
   the global ``variables``.

Without ``stages:`` in cigen.yml the stages are those of the jobs, sorted by the lowest preset
``order`` using them, then by first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cigen.diagnostics import Mark
from cigen.errors import CigenError
from cigen.generate.presets import GLOBAL_PARAMS, Preset, resolve_params
from cigen.generate.render import render
from cigen.generate.spec import FlagGate, JobSpec, Spec, where

__all__ = ["build", "merge"]

EDGE_STAGES = (".pre", ".post")
GATED_KEYS = ("only", "except", "rules")


def build(spec: Spec, catalog: Mapping[str, Preset]) -> dict[str, Any]:
    """The ``.gitlab-ci.yml`` data for ``spec``; problems are :class:`CigenError` at a line."""
    globals_ = {
        name: (spec.node[name], spec.node.value_mark(name))
        for name in GLOBAL_PARAMS
        if name in spec.node
    }
    jobs: dict[str, dict[str, Any]] = {}
    stage_rank: dict[str, tuple[int, int]] = {}
    flags: dict[str, tuple[str, Mark | None]] = {}
    for index, job in enumerate(spec.jobs):
        preset = _preset(job, catalog)
        params = resolve_params(
            preset,
            job.params,
            with_node=job.node.get("with") if "with" in job.node else None,
            job_node=job.node,
            job_name=job.name,
            globals_=globals_,
        )
        body = render(preset.job, params, where=f"preset {preset.name!r} ({preset.source})")
        data = merge({"stage": preset.stage, **body}, job.extra)
        if job.gate is not None:
            _apply_gate(job, data, spec, flags)
        stage = data.get("stage", "test")
        rank = (preset.order, index)
        stage_rank[stage] = min(stage_rank.get(stage, rank), rank)
        jobs[job.name] = data
    stages = _stages(spec, jobs, stage_rank)
    out: dict[str, Any] = {"stages": stages}
    variables = dict(spec.variables)
    for flag, (value, _mark) in flags.items():
        variables.setdefault(flag, value)
    if variables:
        out["variables"] = variables
    out.update(jobs)
    return out


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
            f"{job.preset!r} (available: {', '.join(sorted(catalog)) or 'none'}; "
            "a project adds its own in presets/NAME.yaml beside cigen.yml)"
        )
    return preset


def _apply_gate(
    job: JobSpec, data: dict[str, Any], spec: Spec, flags: dict[str, tuple[str, Mark | None]]
) -> None:
    gate_mark = job.node.key_mark("gate")
    clash = [key for key in GATED_KEYS if key in data]
    if clash:
        key = clash[0]
        mark = job.node.key_mark(key) if key in job.node else gate_mark
        raise CigenError(
            f"{where(mark)}: jobs.{job.name}: gate cannot be combined with {key}: "
            f"(gate writes {'rules' if isinstance(job.gate, FlagGate) else 'only'}:); "
            "keep one of the two"
        )
    if not isinstance(job.gate, FlagGate):
        assert job.gate is not None
        data["only"] = list(job.gate.branches)
        return
    gate = job.gate
    on: dict[str, Any] = {"if": f'${gate.flag} == "true"'}
    if "when" not in data:
        on["when"] = "always"
    data["rules"] = [on, {"when": "never"}]
    _record_flag(job, gate, spec, flags)


def _record_flag(
    job: JobSpec, gate: FlagGate, spec: Spec, flags: dict[str, tuple[str, Mark | None]]
) -> None:
    gate_node = job.node["gate"]
    default_mark = gate_node.value_mark("default") if "default" in gate_node else None
    wanted = None if gate.default is None else ("true" if gate.default else "false")
    declared = spec.variables.get(gate.flag)
    if declared is not None:
        value = declared.get("value") if isinstance(declared, Mapping) else declared
        if wanted is not None and str(value).lower() != wanted:
            assert default_mark is not None
            var_mark = spec.node["variables"].value_mark(gate.flag)
            raise CigenError(
                f"{where(default_mark)}: jobs.{job.name}.gate.default: {wanted} contradicts "
                f"variables.{gate.flag} = {value!r} at line {var_mark.line}; a flag's default "
                "is declared once"
            )
        return
    previous = flags.get(gate.flag)
    if previous is not None and previous[1] is not None and wanted is not None:
        if previous[0] != wanted:
            assert default_mark is not None
            raise CigenError(
                f"{where(default_mark)}: jobs.{job.name}.gate.default: {wanted} contradicts "
                f"the default {previous[0]} given at line {previous[1].line}; a flag's default "
                f"is declared once (best in variables.{gate.flag})"
            )
        return
    if previous is None or (previous[1] is None and wanted is not None):
        flags[gate.flag] = (wanted or "false", default_mark if wanted is not None else None)


def _stages(
    spec: Spec, jobs: Mapping[str, Mapping[str, Any]], rank: Mapping[str, tuple[int, int]]
) -> list[str]:
    if spec.stages is None:
        return [s for s in sorted(rank, key=lambda s: rank[s]) if s not in EDGE_STAGES]
    allowed = set(spec.stages) | set(EDGE_STAGES)
    for job in spec.jobs:
        stage = jobs[job.name].get("stage", "test")
        if stage not in allowed:
            node = job.node
            mark = node.value_mark("stage") if "stage" in node else node.value_mark("preset")
            source = "" if "stage" in node else f" (from preset {job.preset!r})"
            raise CigenError(
                f"{where(mark)}: jobs.{job.name}: stage {stage!r}{source} is not in stages "
                f"({', '.join(spec.stages)}); add it to stages: or give the job a stage:"
            )
    return list(spec.stages)
