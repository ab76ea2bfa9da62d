"""``parallel`` and ``parallel:matrix``: the instances GitLab creates for one job.

Follows ``lib/gitlab/ci/config/normalizer.rb`` and its strategies
(``normalizer/number_strategy.rb``: ``"name 1/3"`` with ``instance`` and ``parallel.total``;
``normalizer/matrix_strategy.rb``: ``"name: [v1, v2]"`` with the combination's variables as job
variables, each matrix entry a cartesian product of its values in order), and the group name of
``Gitlab::Utils::Job.group_name`` (the name without its ``1/3`` / ``[...]`` suffix).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from cigen.yaml.load import scalar_text

__all__ = ["Instance", "expand_need", "group_name", "instances"]

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
