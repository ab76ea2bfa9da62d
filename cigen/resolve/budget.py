"""The size budget of an assembled configuration.

``extends``, ``!reference``, ``default:`` and global ``variables:`` copy values into jobs: a
2 MiB file can ask for a large mapping to be merged into ten thousand jobs. cigen shares what
it can, but every later step (the entry tree, the rules, the plan) walks each job in full, so
what counts is the size of the configuration as GitLab builds it, shared parts counted each
time they appear. Each step that produces values is charged *before* it builds them; past the
budget the assembly stops with :class:`TooLarge` (exit 2), never after the work is done.

GitLab itself has no limit on the assembled size (its inputs are bounded: 2 MiB a file, 150
includes, ``ci_max_total_yaml_size_bytes`` in all, 11 levels of ``extends``), so this bound is
cigen's, chosen far above real configurations: of the corpus in ../shared/corpus/real,
gitlab-org/gitlab comes closest, at 163,000 values, 4 MiB of text and 2,442 jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cigen.diagnostics import Mark
from cigen.errors import CigenError
from cigen.yaml.load import Reference

#: Values (mappings, lists, scalars) of the assembled configuration, each copy counted.
MAX_VALUES = 2_000_000
#: Characters of keys and text in the assembled configuration, each copy counted.
MAX_TEXT = 64 * 1024 * 1024
#: Levels of nesting of the assembled configuration: GitLab's ``max_yaml_depth`` (a file may
#: not nest deeper; references that hold references could, and every later walk would pay).
MAX_DEPTH = 100
#: Jobs of the pipeline once ``parallel:`` is expanded (at most 200 per job, GitLab's limit):
#: later steps plan each one, so their number is bounded on its own. GitLab itself has no such
#: limit (only an instance's ``ci_pipeline_size`` when pipelines are created), and cigen grows
#: linearly well past 100,000 jobs, so the bound is there for a hostile file, not a large one.
MAX_JOBS = 200_000


#: What :meth:`Budget._measure` finds in a container: (the container, kept alive so that its
#: id stays its own; values; characters; levels; whether it is or holds a ``!reference``)
_Size = tuple[Any, int, int, int, bool]
#: Levels :meth:`Budget._measure` recurses before it goes on without recursion.
_RECURSION = 200


class TooLarge(CigenError):
    """The assembled configuration would exceed the budget (exit 2)."""


class Budget:
    """A running count of what the assembly produced; ``charge`` refuses to go past it."""

    def __init__(self, max_values: int | None = None, max_text: int | None = None) -> None:
        self.max_values = MAX_VALUES if max_values is None else max_values
        self.max_text = MAX_TEXT if max_text is None else max_text
        self.values = 0
        self.text = 0
        self.jobs = 0
        #: what :func:`_measure` found in each container measured, by id: a walk that asks
        #: about every container looks it up here itself (:meth:`measured` when absent)
        self.sizes: dict[int, _Size] = {}

    def size(self, value: Any) -> tuple[int, int]:
        """(values, characters) in ``value``, shared parts counted each time they appear;
        linear in the distinct parts (each container is measured once)."""
        if not isinstance(value, (dict, list)):
            return _scalar(value)
        known = self.sizes.get(id(value)) or _measure(self.sizes, value, 0)
        return known[1], known[2]

    def depth(self, value: Any) -> int:
        """Levels of mappings and lists in ``value`` (0 for a scalar)."""
        if not isinstance(value, (dict, list)):
            return 0
        known = self.sizes.get(id(value)) or _measure(self.sizes, value, 0)
        return known[3]

    def measured(self, value: dict[Any, Any] | list[Any]) -> _Size:
        """What :func:`_measure` finds in the container ``value`` (:data:`_Size`): measured
        the first time (with every container in it not measured yet), then looked up."""
        return self.sizes.get(id(value)) or _measure(self.sizes, value, 0)

    def holds_reference(self, value: dict[Any, Any] | list[Any]) -> bool:
        """Whether the container ``value`` is or holds a ``!reference`` (found in the pass
        that measures it, so that the configuration is walked once for both; the table of
        what is measured is looked up here directly, as everywhere in this class: this is
        asked of every container the resolver walks)."""
        return self.measured(value)[4]

    def measure(self, value: Any) -> tuple[int, int, int]:
        """(values, characters, levels) of ``value``: what :meth:`add` charges, for a value
        charged again and again (measured once, charged with no lookup)."""
        if not isinstance(value, (dict, list)):
            return (*_scalar(value), 0)
        known = self.sizes.get(id(value)) or _measure(self.sizes, value, 0)
        return known[1], known[2], known[3]

    def add(self, mark: Mark, what: str, measured: tuple[int, int, int]) -> None:
        """``charge(mark, what, value)`` for a value :meth:`measure` gave ``measured``."""
        values, text, depth = measured
        if depth > MAX_DEPTH:
            self._too_deep(mark, what)
        self.values += values
        self.text += text
        if self.values > self.max_values or self.text > self.max_text:
            self._too_large(mark, what)

    def charge(self, mark: Mark, what: str | Callable[[], str], *parts: Any) -> None:
        """Count ``parts`` as produced again by ``what`` (written at ``mark``; text, or a
        function giving it, called only to say why the budget is exceeded); TooLarge past the
        budget."""
        sizes = self.sizes
        for part in parts:
            if isinstance(part, (dict, list)):
                _part, values, text, depth, _refs = sizes.get(id(part)) or _measure(sizes, part, 0)
                if depth > MAX_DEPTH:
                    self._too_deep(mark, what)
            else:
                values, text = _scalar(part)
            self.values += values
            self.text += text
        if self.values > self.max_values or self.text > self.max_text:
            self._too_large(mark, what)

    def _too_large(self, mark: Mark, what: str | Callable[[], str]) -> None:
        raise TooLarge(
            f"{mark.path}:{mark.line}:{mark.col}: {_text(what)} makes the assembled "
            "configuration "
            f"larger than cigen analyses (more than {self.max_values:,} values or "
            f"{self.max_text // (1024 * 1024)} MiB of text once `extends`, `!reference`, "
            "`default:` and global `variables:` are copied into every job); merge less "
            "into each job, or split the pipeline (a child pipeline per part)"
        )

    def count_jobs(self, mark: Mark, jobs: int) -> None:
        """Count ``jobs`` more jobs (a definition's ``parallel:`` instances); TooLarge past
        :data:`MAX_JOBS`."""
        self.jobs += jobs
        if self.jobs > MAX_JOBS:
            raise TooLarge(
                f"{mark.path}:{mark.line}:{mark.col}: `parallel:` makes the pipeline larger "
                f"than cigen analyses (more than {MAX_JOBS:,} jobs once every `parallel:` is "
                "expanded); split the pipeline (a child pipeline per part)"
            )

    def check_depth(
        self,
        mark: Mark,
        what: str | Callable[[], str],
        value: Any,
        at_most: int | None = None,
    ) -> None:
        """TooLarge when ``value`` nests deeper than :data:`MAX_DEPTH` levels; ``value`` is
        not measured when ``at_most`` (a bound the caller knows on its depth) is within."""
        if at_most is not None and at_most <= MAX_DEPTH:
            return
        if self.depth(value) > MAX_DEPTH:
            self._too_deep(mark, what)

    def _too_deep(self, mark: Mark, what: str | Callable[[], str]) -> None:
        raise TooLarge(
            f"{mark.path}:{mark.line}:{mark.col}: {_text(what)} nests deeper than {MAX_DEPTH} "
            "levels once `!reference` values are put in place (GitLab's limit for a "
            "file); reference less deeply nested values"
        )


def _measure(sizes: dict[int, _Size], value: dict[Any, Any] | list[Any], level: int) -> _Size:
    """Measure ``value`` and every container in it not in ``sizes`` yet, into ``sizes``
    (:data:`_Size`):
    recursion for the usual shallow values, :func:`_measure_deep` past :data:`_RECURSION`
    levels. Text is the common item and is counted first."""
    if level > _RECURSION:
        return _measure_deep(sizes, value)
    depth, refs = 0, False
    if isinstance(value, dict):
        values = 1 + 2 * len(value)  # the mapping, each key, each value (a container: below)
        try:
            text = len("".join(value))  # text keys, the usual case (see _key_text)
        except TypeError:
            text = _key_text(value)
        items: Any = value.values()
    else:
        values = 1 + len(value)
        text = 0
        items = value
        refs = isinstance(value, Reference)
    for item in items:
        if item.__class__ is str:
            text += len(item)
            continue
        known = sizes.get(id(item))
        if known is None:
            if not isinstance(item, (dict, list)):
                text += len(item) if isinstance(item, str) else 1
                continue
            known = _measure(sizes, item, level + 1)
        values += known[1] - 1  # counted once above already
        text += known[2]
        if known[3] > depth:
            depth = known[3]
        if known[4]:
            refs = True
    known = sizes[id(value)] = (value, values, text, depth + 1, refs)
    return known


def _measure_deep(sizes: dict[int, _Size], value: dict[Any, Any] | list[Any]) -> _Size:
    """:func:`_measure` without recursion (one pass per container), for deep values."""
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        top, ready = stack.pop()
        if id(top) in sizes:
            continue
        items = top.values() if isinstance(top, dict) else top
        if not ready:
            stack.append((top, True))
            stack.extend(
                (item, False)
                for item in items
                if isinstance(item, (dict, list)) and id(item) not in sizes
            )
            continue
        values, text, depth, refs = 1, 0, 0, isinstance(top, Reference)
        for item in items:
            if isinstance(item, (dict, list)):
                _item, count, chars, levels, held = sizes[id(item)]
                values += count
                text += chars
                depth = max(depth, levels)
                refs = refs or held
            else:
                values += 1
                text += len(item) if isinstance(item, str) else 1
        if isinstance(top, dict):
            values += len(top)
            text += _key_text(top)
        sizes[id(top)] = (top, values, text, depth + 1, refs)
    return sizes[id(value)]


def _text(what: str | Callable[[], str]) -> str:
    return what if isinstance(what, str) else what()


def _key_text(value: dict[Any, Any]) -> int:
    """Characters of a mapping's keys (text, or a key's ``str`` when it is not text)."""
    try:
        return len("".join(value))
    except TypeError:
        return sum(map(len, map(str, value)))


def _scalar(value: Any) -> tuple[int, int]:
    return 1, len(value) if isinstance(value, str) else 1
