"""``needs:`` entries: ``lib/gitlab/ci/config/entry/needs.rb`` and ``need.rb``.

A need is a job name, ``{job:, artifacts:, optional:, parallel: {matrix:}}`` (a job of this
pipeline) or ``{job:, pipeline:, artifacts:}`` (a job of another pipeline of the project:
``cross_dependency``). Each context allows some kinds: a job ``job`` and ``cross_dependency``, a
trigger job ``job`` and ``bridge``, ``rules:needs`` only ``job``.

GitLab's EE code adds two kinds that the CE code here (the reference) calls "an unsupported
type": ``{pipeline: group/project}`` (a trigger job mirroring an upstream pipeline: ``bridge``)
and ``{job:, project:, ref:, artifacts:}`` (artifacts of another project). GitLab.com runs the
EE code, so cigen accepts those shapes without checking them further (no false error).
"""

from __future__ import annotations

import itertools
from typing import Any

from cigen.config import parallel as product
from cigen.config.node import (
    Check,
    ConfigError,
    allowed_keys,
    blank,
    flat_items,
    is_boolean,
    is_hash,
    is_string,
    location,
    optional_attribute,
    type_name,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass

#: ``Needs::NEEDS_CROSS_PIPELINE_DEPENDENCIES_LIMIT``.
CROSS_PIPELINE_LIMIT = 5
JOB = "job"
CROSS_DEPENDENCY = "cross_dependency"
BRIDGE = "bridge"
JOB_NEEDS = (JOB, CROSS_DEPENDENCY)
BRIDGE_NEEDS = (JOB, BRIDGE)
RULE_NEEDS = (JOB,)
_JOB_HASH_KEYS = ("job", "artifacts", "optional", "parallel")
_CROSS_PIPELINE_KEYS = ("pipeline", "job", "artifacts")
_EE_CROSS_PROJECT_KEYS = ("job", "project", "ref", "artifacts")


@dataclass(frozen=True, slots=True)
class Need:
    """One need. ``kind`` is ``job``, ``cross_dependency`` (``pipeline:`` or, EE,
    ``project:``) or ``bridge`` (EE: a trigger job's upstream ``pipeline:``)."""

    kind: str
    mark: Mark
    job: str | None = None
    artifacts: bool = True
    optional: bool = False
    parallel: product.Parallel | None = None
    pipeline: str | None = None
    project: str | None = None
    ref: str | None = None


def needs(
    c: Check, value: Any, mark: Mark, loc: str, *, allowed: tuple[str, ...]
) -> tuple[Need, ...] | None:
    """``Entry::Needs``: a hash or an array (nested arrays are flattened) of needs."""
    count = len(c.errors)
    if not isinstance(value, (dict, list)):
        c.add(loc, "config", "can only be a Hash or an Array", mark)
    if isinstance(value, dict) and not value:
        c.add(loc, "config", "can not be an empty Hash", mark)
    if _number_parallel(value):
        c.add(loc, "config", 'cannot use "parallel: <number>".', mark)
    if len(c.errors) > count:
        return None
    errors = c.errors
    kids = len(errors)  # where the needs' own errors start
    at = location(loc, "need")
    found: list[tuple[str | None, Any, Need | None]] = []
    for item, where in flat_items(value, mark):
        if item is None:  # a null item is an unspecified entry: nothing at all
            continue
        if isinstance(item, str) and item.strip():  # a job's name (:func:`need`, written out)
            found.append((JOB, item, Need(JOB, where, item)))
        else:
            found.append(c.reuse(need, item, where, at))
    own = len(errors)
    kinds = list(dict.fromkeys([kind for kind, _, _ in found if kind is not None]))
    extra = [kind for kind in kinds if kind not in allowed]
    if extra:
        c.add(loc, "config", "uses invalid types: " + ", ".join(extra), mark)
    pipelines = [
        raw
        for kind, raw, _ in found
        if kind == CROSS_DEPENDENCY and isinstance(raw, dict) and _truthy(raw.get("pipeline"))
    ]
    if len(pipelines) > CROSS_PIPELINE_LIMIT:
        c.add(loc, "config", f"must be less than or equal to {CROSS_PIPELINE_LIMIT}", mark)
    if kids < own < len(errors):  # the list's errors come before those of its needs
        errors[kids:] = errors[own:] + errors[kids:own]
    if len(errors) > count:
        return None
    return tuple([n for _, _, n in found if n is not None])


def job_needs(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Need, ...] | None:
    return needs(c, value, mark, loc, allowed=JOB_NEEDS)


def bridge_needs(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Need, ...] | None:
    return needs(c, value, mark, loc, allowed=BRIDGE_NEEDS)


def rule_needs(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Need, ...] | None:
    return needs(c, value, mark, loc, allowed=RULE_NEEDS)


def job_names(found: Any) -> set[str] | None:
    """The names of the jobs of this pipeline that validated ``needs`` list; ``None`` when
    there are none (GitLab then skips the ``dependencies`` check)."""
    if not isinstance(found, tuple):
        return None
    names = {n.job for n in found if n.kind == JOB and n.job is not None}
    return names or None


def bridge_pipelines(found: Any) -> list[Need]:
    """The ``needs:pipeline`` entries of a trigger job's validated ``needs``."""
    if not isinstance(found, tuple):
        return []
    return [n for n in found if n.kind == BRIDGE]


def _number_parallel(value: Any) -> bool:
    """``Needs#number_parallel_build?``: a need with ``parallel: <number>``."""
    if isinstance(value, list):
        if all(map(isinstance, value, itertools.repeat(str))):  # names only (the usual case)
            return False
        return any(isinstance(v, dict) and product.is_number(v.get("parallel")) for v in value)
    return is_hash(value) and product.is_number(value.get("parallel"))


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


def need(c: Check, value: Any, mark: Mark, loc: str) -> tuple[str | None, Any, Need | None]:
    """``Entry::Need``: the need's kind (``None``: unsupported), its value and its model
    (``None`` when invalid)."""
    if isinstance(value, str):
        if blank(value):
            c.add(loc, "config", "can't be blank", mark)
            return JOB, value, None
        return JOB, value, Need(JOB, mark, job=value)
    if is_hash(value):
        has = value.__contains__
        if has("job") and not (has("project") or has("ref") or has("pipeline")):
            return JOB, value, _job_hash(c, value, mark, loc)
        if has("job") and has("pipeline") and not has("project"):
            return CROSS_DEPENDENCY, value, _cross_pipeline(c, value, mark, loc)
        ee = _ee_need(value, mark)
        if ee is not None:
            return ee.kind, value, ee
    c.errors.append(ConfigError(f"{loc} has an unsupported type", mark, where=loc))
    return None, value, None


def _job_hash(c: Check, value: Any, mark: Mark, loc: str) -> Need | None:
    """``Need::JobHash``."""
    count = len(c.errors)
    allowed_keys(c, loc, value, _JOB_HASH_KEYS, mark)
    name = value.get("job")
    _string(c, loc, value, "job", mark)
    for key in ("artifacts", "optional"):
        optional_attribute(c, loc, value, key, is_boolean, "should be a boolean value", mark)
    if len(c.errors) > count:
        return None
    matrix = None
    if value.get("parallel") is not None:
        matrix = product.parallel(
            c, value["parallel"], value_mark(value, "parallel", mark), location(loc, "parallel")
        )
        if matrix is None:
            return None
    return Need(
        JOB,
        mark,
        job=name,
        artifacts=value.get("artifacts") is not False,
        optional=value.get("optional") is True,
        parallel=matrix,
    )


def _cross_pipeline(c: Check, value: Any, mark: Mark, loc: str) -> Need | None:
    """``Need::CrossPipelineDependency``."""
    count = len(c.errors)
    allowed_keys(c, loc, value, _CROSS_PIPELINE_KEYS, mark)
    _string(c, loc, value, "pipeline", mark)
    _string(c, loc, value, "job", mark)
    optional_attribute(c, loc, value, "artifacts", is_boolean, "should be a boolean value", mark)
    if len(c.errors) > count:
        return None
    return Need(
        CROSS_DEPENDENCY,
        mark,
        job=value["job"],
        artifacts=value.get("artifacts") is not False,
        pipeline=value["pipeline"],
    )


def _string(c: Check, loc: str, value: Any, key: str, mark: Mark) -> None:
    """``validates key, type: String, presence: true``."""
    found = value.get(key)
    where = value_mark(value, key, mark)
    if not is_string(found):
        c.add(loc, key, type_name(str), where)
    if blank(found):
        c.add(loc, key, "can't be blank", where)


def _ee_need(value: Any, mark: Mark) -> Need | None:
    """The EE shapes (not in the reference), accepted when well formed."""
    keys = set(value)
    if "job" not in keys and keys == {"pipeline"} and _filled(value["pipeline"]):
        return Need(BRIDGE, mark, pipeline=value["pipeline"])
    if (
        "job" in keys
        and "project" in keys
        and keys <= set(_EE_CROSS_PROJECT_KEYS)
        and all(_filled(value.get(k)) for k in ("job", "project"))
        and (value.get("ref") is None or isinstance(value.get("ref"), str))
        and (value.get("artifacts") is None or is_boolean(value.get("artifacts")))
    ):
        ref = value.get("ref")
        return Need(
            CROSS_DEPENDENCY,
            mark,
            job=value["job"],
            project=value["project"],
            ref=ref,
            artifacts=value.get("artifacts") is not False,
        )
    return None


def _filled(value: Any) -> bool:
    return isinstance(value, str) and not blank(value)
