"""``parallel`` and ``parallel:matrix``: the instances GitLab creates for one job.

Follows ``lib/gitlab/ci/config/normalizer.rb`` and its strategies
(``normalizer/number_strategy.rb``: ``"name 1/3"`` with ``instance`` and ``parallel.total``;
``normalizer/matrix_strategy.rb``: ``"name: [v1, v2]"`` with the combination's variables as job
variables, each matrix entry a cartesian product of its values in order), the normalizer's
rewriting of ``needs`` (``$[[ matrix.NAME ]]`` filled in per instance by
``interpolation/matrix_interpolator.rb``, then needs on parallel jobs named by instance) and of
``dependencies``, and the group name of ``Gitlab::Utils::Job.group_name`` (the name without its
``1/3`` / ``[...]`` suffix).

This is the normalizer over plain job mappings, for the pipeline simulation; the names,
combinations and ``$[[ matrix.NAME ]]`` expressions are the entry tree's
(:mod:`cigen.config.processor`, which normalizes the validated jobs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from cigen.config.processor import interpolate_text, matrix_combinations, matrix_name
from cigen.records import dataclass, field
from cigen.yaml.load import scalar_text

#: GitLab's limit on the jobs one ``parallel`` creates (``Product::Parallel::PARALLEL_LIMIT``).
PARALLEL_LIMIT = 200

__all__ = [
    "Instance",
    "expand_dependencies",
    "expand_need",
    "group_name",
    "instances",
    "interpolate_matrix",
]


def _is_sep(char: str) -> bool:
    return char in "\x08:" or char.isspace()


def _is_part_sep(char: str) -> bool:
    return char in ":/\\" or char.isspace()


def _run_ends(name: str, test: Callable[[str], bool]) -> list[int]:
    """For each position, where the run of characters passing ``test`` from there ends."""
    ends = list(range(len(name) + 1))
    for index in range(len(name) - 1, -1, -1):
        if test(name[index]):
            ends[index] = ends[index + 1]
    return ends


def group_name(name: str) -> str:
    """``CI_JOB_GROUP_NAME``: ``"rspec 1/3"`` and ``"build: [amd64]"`` group as ``rspec`` and
    ``build``.

    GitLab strips the first match of
    ``([\\b\\s:]+((\\[.*\\])|(\\d+[\\s:\\/\\\\]+\\d+))){1,3}\\s*\\z`` and then surrounding
    whitespace. The expression backtracks exponentially on names such as
    ``a: [x]: [x]...``, so the suffix is found here by working back from the end: ``ends[k]``
    marks the positions from which the rest of the name is ``k`` such parts and whitespace.
    """
    trimmed = name.rstrip()
    if not trimmed or not (trimmed.endswith("]") or trimmed[-1].isdecimal()):
        return name.strip()  # every suffix GitLab strips ends with "]" or a digit
    size = len(name)
    seps = _run_ends(name, _is_sep)
    digits = _run_ends(name, str.isdecimal)
    part_seps = _run_ends(name, _is_part_sep)
    newline = [size] * (size + 1)  # the first "\n" at or after each position
    for index in range(size - 1, -1, -1):
        newline[index] = index if name[index] == "\n" else newline[index + 1]
    spaces = _run_ends(name, str.isspace)
    ends = [spaces[q] == size for q in range(size + 1)]
    matched = [False] * (size + 1)
    for _count in range(3):
        closing = [size] * (size + 1)  # the first "]" at or after r followed by a shorter suffix
        for index in range(size - 1, -1, -1):
            good = name[index] == "]" and ends[index + 1]
            closing[index] = index if good else closing[index + 1]
        current = [False] * (size + 1)
        for start in range(size):
            part = seps[start]
            if part == start or part >= size:
                continue
            if name[part] == "[":
                found = closing[part + 1]
                current[start] = found < size and newline[part + 1] > found
            else:
                middle = digits[part]
                tail = part_seps[middle]
                last = digits[tail]
                current[start] = middle > part and tail > middle and last > tail and ends[last]
        ends = current
        matched = [m or c for m, c in zip(matched, current, strict=True)]
    for start in range(size):
        if matched[start]:
            return name[:start].strip()
    return name.strip()


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
    """The combinations, in order; ``None`` when there is no matrix or more than GitLab's
    200 jobs (``Product::Matrix`` refuses it: nothing is expanded, CIG002 reports it)."""
    if not isinstance(config, Mapping) or "matrix" not in config:
        return None
    entries = config.get("matrix")
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        return None
    total = 0
    for entry in entries:
        if isinstance(entry, Mapping) and entry:
            total += math.prod(len(_values(v)) for v in entry.values())
            if total > PARALLEL_LIMIT:
                return None
    rows = (
        [(str(key), _values(value)) for key, value in entry.items()]
        for entry in entries
        if isinstance(entry, Mapping) and entry
    )
    return list(matrix_combinations(rows))


def _number(config: object) -> int | None:
    if isinstance(config, int) and not isinstance(config, bool):
        return config
    if isinstance(config, Mapping):
        number = config.get("number")
        if isinstance(number, int) and not isinstance(number, bool):
            return number
    return None


def count(parallel: object) -> int:
    """How many jobs :func:`instances` makes of this ``parallel:`` value, without making them."""
    total = _number(parallel)
    if total is not None:
        return total if 0 < total <= PARALLEL_LIMIT else 1
    if not isinstance(parallel, Mapping) or "matrix" not in parallel:
        return 1
    entries = parallel.get("matrix")
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        return 1
    combos = 0
    for entry in entries:
        if isinstance(entry, Mapping) and entry:
            combos += math.prod(len(_values(v)) for v in entry.values())
            if combos > PARALLEL_LIMIT:
                return 1
    return max(combos, 1)


def instances(name: str, parallel: object) -> tuple[Instance, ...]:
    """The jobs GitLab creates for ``name`` with this ``parallel:`` value (itself when none,
    and when the value is one GitLab's validator refuses, such as ``0`` or an empty matrix)."""
    if parallel is None:
        return (Instance(name),)
    total = _number(parallel)
    if total is not None and total > PARALLEL_LIMIT:
        return (Instance(name),)  # GitLab refuses more than 200; CIG002 reports it
    if total is not None and total > 0:
        return tuple(Instance(f"{name} {i}/{total}", i, total) for i in range(1, total + 1))
    combos = _matrix(parallel)
    if not combos:
        return (Instance(name),)
    return tuple(
        Instance(matrix_name(name, combo), i, len(combos), combo)
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


def _interpolate(value: object, values: Mapping[str, str], errors: list[str]) -> object:
    if isinstance(value, str):
        result, found = interpolate_text(value, values)
        errors.extend(found)
        return result
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
