"""``parallel`` and ``parallel:matrix``: the instances GitLab creates for one job.

Follows ``lib/gitlab/ci/config/normalizer.rb`` and its strategies
(``normalizer/number_strategy.rb``: ``"name 1/3"`` with ``instance`` and ``parallel.total``;
``normalizer/matrix_strategy.rb``: ``"name: [v1, v2]"`` with the combination's variables as job
variables, each matrix entry a cartesian product of its values in order), the normalizer's
rewriting of ``needs`` (``$[[ matrix.NAME ]]`` filled in per instance by
``interpolation/matrix_interpolator.rb``, then needs on parallel jobs named by instance) and of
``dependencies``, and the group name of ``Gitlab::Utils::Job.group_name`` (the name without its
``1/3`` / ``[...]`` suffix).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from cigen.yaml.load import scalar_text

__all__ = [
    "Instance",
    "expand_dependencies",
    "expand_need",
    "group_name",
    "instances",
    "interpolate_matrix",
]

# Ruby: name.sub(%r{([\b\s:]+((\[.*\])|(\d+[\s:\/\\]+\d+))){1,3}\s*\z}, '').strip ; ``[\b]`` in
# a Ruby character class is a backspace.
_GROUP_SUFFIX: Final = re.compile(r"([\x08\s:]+((\[.*\])|(\d+[\s:/\\]+\d+))){1,3}\s*\Z")


def group_name(name: str) -> str:
    """``CI_JOB_GROUP_NAME``: ``"rspec 1/3"`` and ``"build: [amd64]"`` group as ``rspec`` and
    ``build``."""
    return _GROUP_SUFFIX.sub("", name, count=1).strip()


@dataclass(frozen=True)
class Instance:
    """One job GitLab creates from a job definition."""

    name: str
    index: int | None = None  # CI_NODE_INDEX (only for parallel jobs)
    total: int = 1  # CI_NODE_TOTAL
    matrix: Mapping[str, str] = field(default_factory=dict)  # job variables from the matrix


def _values(value: object) -> list[str]:
    """``Array(value).map(&:to_s)`` of one matrix variable."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [scalar_text(v) for v in value]
    return [scalar_text(value)]


def _matrix(config: object) -> list[dict[str, str]] | None:
    if not isinstance(config, Mapping) or "matrix" not in config:
        return None
    entries = config.get("matrix")
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        return None
    combos: list[dict[str, str]] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not entry:
            continue
        keys = [str(k) for k in entry]
        for values in itertools.product(*(_values(v) for v in entry.values())):
            combos.append(dict(zip(keys, values, strict=True)))
    return combos


def _number(config: object) -> int | None:
    if isinstance(config, int) and not isinstance(config, bool):
        return config
    if isinstance(config, Mapping):
        number = config.get("number")
        if isinstance(number, int) and not isinstance(number, bool):
            return number
    return None


def instances(name: str, parallel: object) -> tuple[Instance, ...]:
    """The jobs GitLab creates for ``name`` with this ``parallel:`` value (itself when none,
    and when the value is one GitLab's validator refuses, such as ``0`` or an empty matrix)."""
    if parallel is None:
        return (Instance(name),)
    total = _number(parallel)
    if total is not None and total > 0:
        return tuple(Instance(f"{name} {i}/{total}", i, total) for i in range(1, total + 1))
    combos = _matrix(parallel)
    if not combos:
        return (Instance(name),)
    return tuple(
        Instance(f"{name}: [{', '.join(combo.values())}]", i, len(combos), combo)
        for i, combo in enumerate(combos, start=1)
    )


def expand_need(name: str, parallel: object, expanded: Mapping[str, Sequence[str]]) -> list[str]:
    """``Normalizer#expand_parallelized_needs``: a need on a parallel job means every instance,
    or the instances ``needs:parallel:matrix`` names."""
    found = expanded.get(name)
    if found is None:
        return [name]
    if parallel is not None:
        return [i.name for i in instances(name, parallel)]
    return list(found)


def expand_dependencies(names: object, expanded: Mapping[str, Sequence[str]]) -> list[str]:
    """``Normalizer#expand_parallelized_job_names``: each ``dependencies`` entry naming a
    parallel job becomes all its instances, in order; other names stay as written."""
    if not isinstance(names, Sequence) or isinstance(names, str):
        return []
    out: list[str] = []
    for name in names:
        text = scalar_text(name)
        out.extend(expanded.get(text, (text,)))
    return out


# interpolation/matrix_interpolator.rb MATRIX_EXPRESSION_REGEXP
_MATRIX_EXPRESSION: Final = re.compile(r"(\$\[\[\s*matrix\.([a-zA-Z0-9_-]+)\s*\]\])")


def _interpolate_text(text: str, values: Mapping[str, str], errors: list[str]) -> str:
    result = text
    for full, name in _MATRIX_EXPRESSION.findall(text):
        if name not in values:
            errors.append(f"'{name}' does not exist in matrix configuration")
            continue
        result = result.replace(full, values[name])
    return result


def _interpolate(value: object, values: Mapping[str, str], errors: list[str]) -> object:
    if isinstance(value, str):
        return _interpolate_text(value, values, errors)
    if isinstance(value, Mapping):
        return {key: _interpolate(item, values, errors) for key, item in value.items()}
    if isinstance(value, Sequence):
        return [_interpolate(item, values, errors) for item in value]
    return value


def interpolate_matrix(needs: object, values: Mapping[str, str]) -> tuple[object, list[str]]:
    """``MatrixInterpolator#interpolate`` over a job's ``needs``: every ``$[[ matrix.NAME ]]``
    in a string, at any depth, becomes the instance's value of ``NAME``. ``values`` are the
    job's variables with the instance's matrix values over them (GitLab's ``job_variables``
    after ``deep_merge``). A name with no value is an error (``"'NAME' does not exist in matrix
    configuration"``, once per occurrence) and the expression is left as written."""
    errors: list[str] = []
    return _interpolate(needs, values, errors), errors
