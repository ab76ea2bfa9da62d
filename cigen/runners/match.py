"""Match many jobs against many runners, fast, and explain jobs no runner can take.

GitLab's rule (``RunnerMatcher#matches?`` plus "not paused"): a runner takes a job when it is
not paused, a protected runner only for protected refs, an untagged job only with
``run_untagged``, and every job tag is a runner tag (exact, case-sensitive).

:func:`match` builds an inverted index (tag -> runners carrying it, plus the runners taking
untagged jobs), intersects the postings of a job's tags, and memoizes per distinct tag list, so
the cost grows with the number of *distinct* tag lists and the size of the answers rather than
with jobs x runners. Everything here is pure: no I/O, no state kept between calls.

Tags are expected already expanded; :func:`expand_tag` does GitLab's expansion
(``ExpandVariables.expand_existing``) and :func:`unresolved_variables` lists what stayed.
"""

from __future__ import annotations

import enum
import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, combinations

from cigen.records import dataclass
from cigen.runners.inventory import Runner
from cigen.variables import names, substitute

__all__ = [
    "JobMatch",
    "JobTags",
    "NearMiss",
    "Outcome",
    "RunnerIndex",
    "expand_tag",
    "explain",
    "index_runners",
    "match",
    "unresolved_variables",
]


def expand_tag(tag: str, variables: Mapping[str, str]) -> str:
    """Expand variable references in ``tag`` the way GitLab does for ``tags:``.

    ``$NAME``, ``${NAME}`` and ``%NAME%`` are replaced by the variable's value; references to
    unknown variables are left verbatim. One pass: a value containing ``$OTHER`` stays as is.
    """
    return substitute(tag, variables.get)


def unresolved_variables(tag: str) -> tuple[str, ...]:
    """Names of the variable references still in ``tag`` (in order, each once)."""
    return names(tag)


@dataclass(frozen=True)
class JobTags:
    """A job as the matcher sees it.

    ``tags`` are already expanded. ``ref`` is opaque to the matcher: callers put whatever lets
    them find the job again (a position, a node). ``protected_ref`` is whether the pipeline's
    ref is protected, ``None`` when not known.
    """

    name: str
    tags: tuple[str, ...]
    ref: object = None
    protected_ref: bool | None = None


@dataclass(frozen=True)
class NearMiss:
    """A runner that cannot take the job, and why: the job tags it lacks, or no run_untagged."""

    runner: Runner
    missing: tuple[str, ...]
    lacks_run_untagged: bool


class Outcome(enum.Enum):
    """What happens to the job, given the runners."""

    RUNS = "runs"
    """An active runner takes it (an unprotected one, or a protected one on a protected ref)."""
    NEEDS_PROTECTED_REF = "needs-protected-ref"
    """Only protected runners fit and the ref's protection is unknown."""
    UNPROTECTED_REF = "unprotected-ref"
    """Only protected runners fit and the ref is not protected: stuck."""
    PAUSED_ONLY = "paused-only"
    """Only paused runners fit: stuck until one is unpaused."""
    NO_RUNNER = "no-runner"
    """No runner fits at all: stuck."""


@dataclass(frozen=True)
class JobMatch:
    """The runners for one job.

    ``eligible``: active, unprotected runners that take the job. ``paused``: runners that would
    take it but are paused. ``protected_only``: active runners that take it only on protected
    refs. ``closest``: when ``eligible`` is empty, the best runners that do *not* fit, fewest
    missing tags first, then by name (at most ``closest`` of :func:`match`). Runners appear in
    inventory order.
    """

    job: JobTags
    eligible: tuple[Runner, ...]
    paused: tuple[Runner, ...]
    protected_only: tuple[Runner, ...]
    closest: tuple[NearMiss, ...]

    @property
    def outcome(self) -> Outcome:
        if self.eligible:
            return Outcome.RUNS
        if self.protected_only:
            if self.job.protected_ref is None:
                return Outcome.NEEDS_PROTECTED_REF
            return Outcome.RUNS if self.job.protected_ref else Outcome.UNPROTECTED_REF
        return Outcome.PAUSED_ONLY if self.paused else Outcome.NO_RUNNER


@dataclass(frozen=True)
class RunnerIndex:
    """Inverted index over runners.

    Runners are numbered by name order (``ordered[k]`` is the k-th runner by (name, inventory
    position)), so "the first runners by name" of a set of numbers is a plain ``min``.
    """

    ordered: tuple[Runner, ...]
    position: tuple[int, ...]
    """``position[k]``: inventory position of ``ordered[k]``."""
    by_tag: Mapping[str, frozenset[int]]
    untagged: frozenset[int]
    """Runners with ``run_untagged``."""
    active: frozenset[int]
    """Runners that are neither paused nor protected."""
    paused: frozenset[int]


def index_runners(runners: Sequence[Runner]) -> RunnerIndex:
    """Build the :class:`RunnerIndex` of ``runners``; O(total number of runner tags)."""
    position = tuple(sorted(range(len(runners)), key=lambda i: (runners[i].name, i)))
    ordered = tuple(runners[i] for i in position)
    postings: dict[str, set[int]] = {}
    for number, runner in enumerate(ordered):
        for tag in runner.tags:
            postings.setdefault(tag, set()).add(number)
    return RunnerIndex(
        ordered=ordered,
        position=position,
        by_tag={tag: frozenset(found) for tag, found in postings.items()},
        untagged=frozenset(k for k, r in enumerate(ordered) if r.run_untagged),
        active=frozenset(k for k, r in enumerate(ordered) if not (r.paused or r.protected)),
        paused=frozenset(k for k, r in enumerate(ordered) if r.paused),
    )


_Answer = tuple[tuple[Runner, ...], tuple[Runner, ...], tuple[Runner, ...], tuple[NearMiss, ...]]
_EMPTY: frozenset[int] = frozenset()
_SUBSET_SEARCH_MAX_TAGS = 6
"""Up to this many job tags, near misses are found by intersecting tag subsets."""


def match(
    jobs: Sequence[JobTags],
    runners: Sequence[Runner] | RunnerIndex,
    *,
    closest: int = 3,
) -> tuple[JobMatch, ...]:
    """Match every job against every runner (see :class:`JobMatch`), in job order.

    ``runners`` may be a prebuilt :class:`RunnerIndex` to reuse across calls. ``closest`` is
    how many near-miss runners to report for a job without an eligible runner.
    """
    index = runners if isinstance(runners, RunnerIndex) else index_runners(runners)
    answers: dict[tuple[str, ...], _Answer] = {}
    results = []
    for job in jobs:
        answer = answers.get(job.tags)
        if answer is None:
            answer = answers[job.tags] = _answer(index, tuple(dict.fromkeys(job.tags)), closest)
        results.append(JobMatch(job, *answer))
    return tuple(results)


def _answer(index: RunnerIndex, tags: tuple[str, ...], limit: int) -> _Answer:
    if tags:
        postings = sorted((index.by_tag.get(tag, _EMPTY) for tag in tags), key=len)
        fits = postings[0].intersection(*postings[1:])
    else:
        fits = index.untagged
    eligible = fits & index.active
    paused = fits & index.paused
    protected_only = fits - eligible - paused
    if eligible:
        closest: tuple[NearMiss, ...] = ()
    elif tags:
        closest = _near_misses_of(index, tags, fits, limit)
    else:
        # Every runner with run_untagged fits; the others are all equally close.
        numbers = [k for k in range(len(index.ordered)) if k not in fits][:limit]
        closest = tuple(NearMiss(index.ordered[k], (), lacks_run_untagged=True) for k in numbers)
    return (
        _in_inventory_order(index, eligible),
        _in_inventory_order(index, paused),
        _in_inventory_order(index, protected_only),
        closest,
    )


def _in_inventory_order(index: RunnerIndex, numbers: Iterable[int]) -> tuple[Runner, ...]:
    ordered = index.ordered
    return tuple(ordered[k] for k in sorted(numbers, key=index.position.__getitem__))


def _near_misses_of(
    index: RunnerIndex, tags: tuple[str, ...], fits: frozenset[int], limit: int
) -> tuple[NearMiss, ...]:
    """The ``limit`` runners outside ``fits`` with the most of ``tags``, then by name."""
    postings = [index.by_tag.get(tag, _EMPTY) for tag in tags]
    size = len(index.ordered)
    chosen: list[int] = []
    seen: set[int] = set(fits)
    if len(tags) <= _SUBSET_SEARCH_MAX_TAGS:
        # Level by level: runners carrying at least `hits` of the tags are the union of the
        # intersections of every `hits`-subset of the postings (set operations run in C).
        for hits in range(len(tags) - 1, 0, -1):
            level: set[int] = set()
            for subset in combinations(postings, hits):
                smallest, *rest = sorted(subset, key=len)
                if smallest:
                    level.update(smallest.intersection(*rest))
            level -= seen
            chosen += heapq.nsmallest(limit - len(chosen), level)
            if len(chosen) >= limit:
                break
            seen |= level
    else:
        hits_of = Counter(chain.from_iterable(postings))
        wanted = len(tags)
        # More hits first, then lower number (= name order): one integer key per runner.
        keys = [hits * size + (size - 1 - k) for k, hits in hits_of.items() if hits < wanted]
        chosen = [size - 1 - key % size for key in heapq.nlargest(limit, keys)]
        seen.update(hits_of)
    # Fill up with runners that carry none of the job's tags, by name.
    number = 0
    while len(chosen) < limit and number < size:
        if number not in seen:
            chosen.append(number)
        number += 1
    return tuple(
        NearMiss(
            index.ordered[k],
            tuple(tag for tag in tags if tag not in index.ordered[k].tags),
            lacks_run_untagged=False,
        )
        for k in chosen
    )


def explain(found: JobMatch) -> str | None:
    """A one-paragraph explanation, ending in what to do, for a job that may not run.

    ``None`` when the job runs (:attr:`Outcome.RUNS`).
    """
    outcome = found.outcome
    if outcome is Outcome.RUNS:
        return None
    tags = tuple(dict.fromkeys(found.job.tags))
    shown = _list(tags)
    parts: list[str] = []
    if outcome is Outcome.NO_RUNNER:
        if not found.closest:
            parts.append(
                "the runner inventory is empty, so no runner can take the job. "
                "List the runners that serve this project in the inventory."
            )
        elif tags:
            parts.append(
                f"no runner carries all of the job's tags {shown}; "
                f"closest: {_near_misses(found.closest)}. "
                "Add the missing tags to a runner or change the job's tags."
            )
        else:
            parts.append(
                "the job has no tags and no runner takes untagged jobs; "
                f"closest: {_near_misses(found.closest)}. "
                "Set run_untagged: true on a runner or give the job tags that a runner carries."
            )
    elif outcome is Outcome.PAUSED_ONLY:
        names = _names(found.paused)
        if tags:
            parts.append(
                f"only paused runners carry all of the job's tags {shown}: {names}. "
                "Unpause one of them or add the tags to an active runner."
            )
        else:
            parts.append(
                f"the job has no tags and only paused runners take untagged jobs: {names}. "
                "Unpause one of them or set run_untagged: true on an active runner."
            )
    else:
        names = _names(found.protected_only)
        fits = f"carry all of the job's tags {shown}" if tags else "take untagged jobs"
        other = (
            "add the tags to an unprotected runner"
            if tags
            else "let an unprotected runner take untagged jobs"
        )
        if outcome is Outcome.NEEDS_PROTECTED_REF:
            parts.append(
                f"only protected runners {fits}: {names}; they take jobs of protected branches "
                "and tags only, so elsewhere (other branches, merge request pipelines) the job "
                f"stays pending. Run the job only on protected refs, or {other}."
            )
        else:
            parts.append(
                f"only protected runners {fits}: {names}, and the job's ref is not protected, "
                f"so the job stays pending. Protect the branch or tag, or {other}."
            )
        if found.paused:
            parts.append(f"Paused runners that would take it: {_names(found.paused)}.")
    for tag in tags:
        names_left = unresolved_variables(tag)
        if names_left:
            refs = ", ".join(names_left)
            parts.append(
                f"Tag {tag!r} refers to {refs}, not defined for this job, so GitLab keeps the "
                "reference verbatim; define the variable or fix the tag."
            )
    return " ".join(parts)


def _list(items: Iterable[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _names(runners: Iterable[Runner]) -> str:
    return ", ".join(runner.name for runner in runners)


def _near_misses(misses: Iterable[NearMiss]) -> str:
    return "; ".join(_near_miss(miss) for miss in misses)


def _near_miss(miss: NearMiss) -> str:
    runner = miss.runner
    notes: list[str] = []
    if miss.lacks_run_untagged:
        text = runner.name
        notes.append("run_untagged: false")
    else:
        text = f"{runner.name} lacks {_list(miss.missing)}"
        folded = {tag.casefold(): tag for tag in runner.tag_order}
        for tag in miss.missing:
            near = folded.get(tag.casefold())
            if near is not None:
                notes.append(f"has {near!r} but tags are case-sensitive")
    if runner.paused:
        notes.insert(0, "paused")
    if runner.protected:
        notes.insert(0, "protected")
    return f"{text} ({', '.join(notes)})" if notes else text
