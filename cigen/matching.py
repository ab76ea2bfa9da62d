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
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

from cigen.runners import Runner

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

_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
# GitLab's ExpandVariables::VARIABLES_REGEXP: $NAME, ${NAME} or %NAME%, tried left to right.
_VARIABLE = re.compile(rf"\$({_NAME})|\$\{{({_NAME})\}}|%({_NAME})%")


def expand_tag(tag: str, variables: Mapping[str, str]) -> str:
    """Expand variable references in ``tag`` the way GitLab does for ``tags:``.

    ``$NAME``, ``${NAME}`` and ``%NAME%`` are replaced by the variable's value; references to
    unknown variables are left verbatim. One pass: a value containing ``$OTHER`` stays as is.
    """
    if "$" not in tag and "%" not in tag:
        return tag

    def replace(found: re.Match[str]) -> str:
        value = variables.get(_variable_name(found))
        return found.group(0) if value is None else value

    return _VARIABLE.sub(replace, tag)


def unresolved_variables(tag: str) -> tuple[str, ...]:
    """Names of the variable references still in ``tag`` (in order, each once)."""
    return tuple(dict.fromkeys(_variable_name(found) for found in _VARIABLE.finditer(tag)))


def _variable_name(found: re.Match[str]) -> str:
    return found.group(1) or found.group(2) or found.group(3)


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
    """Inverted index over runners (positions into ``runners``)."""

    runners: tuple[Runner, ...]
    by_tag: Mapping[str, frozenset[int]]
    untagged: frozenset[int]
    """Runners with ``run_untagged``."""
    active: frozenset[int]
    """Runners that are neither paused nor protected."""
    paused: frozenset[int]
    by_name: tuple[int, ...]
    """All positions, ordered by (name, position)."""
    name_rank: tuple[int, ...]
    """``name_rank[i]``: where runner ``i`` comes in ``by_name``."""


def index_runners(runners: Sequence[Runner]) -> RunnerIndex:
    """Build the :class:`RunnerIndex` of ``runners``; O(total number of runner tags)."""
    postings: dict[str, set[int]] = {}
    for position, runner in enumerate(runners):
        for tag in runner.tags:
            postings.setdefault(tag, set()).add(position)
    by_name = tuple(sorted(range(len(runners)), key=lambda i: (runners[i].name, i)))
    rank = [0] * len(runners)
    for order, position in enumerate(by_name):
        rank[position] = order
    return RunnerIndex(
        runners=tuple(runners),
        by_tag={tag: frozenset(found) for tag, found in postings.items()},
        untagged=frozenset(i for i, r in enumerate(runners) if r.run_untagged),
        active=frozenset(i for i, r in enumerate(runners) if not (r.paused or r.protected)),
        paused=frozenset(i for i, r in enumerate(runners) if r.paused),
        by_name=by_name,
        name_rank=tuple(rank),
    )


_Answer = tuple[tuple[Runner, ...], tuple[Runner, ...], tuple[Runner, ...], tuple[NearMiss, ...]]


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
        postings = sorted((index.by_tag.get(tag, frozenset()) for tag in tags), key=len)
        fits = postings[0].intersection(*postings[1:])
    else:
        fits = index.untagged
    eligible = fits & index.active
    paused = fits & index.paused
    protected_only = fits - eligible - paused
    closest = () if eligible else _closest(index, tags, limit)
    return (
        _pick(index, eligible),
        _pick(index, paused),
        _pick(index, protected_only),
        closest,
    )


def _pick(index: RunnerIndex, positions: Iterable[int]) -> tuple[Runner, ...]:
    return tuple(index.runners[i] for i in sorted(positions))


def _closest(index: RunnerIndex, tags: tuple[str, ...], limit: int) -> tuple[NearMiss, ...]:
    runners = index.runners
    if not tags:
        # Every runner with run_untagged fits; the others are all equally close.
        chosen = [i for i in index.by_name if i not in index.untagged][:limit]
        return tuple(NearMiss(runners[i], (), lacks_run_untagged=True) for i in chosen)

    wanted = len(tags)
    hits = Counter(chain.from_iterable(index.by_tag.get(tag, ()) for tag in tags))
    size = len(runners)
    rank = index.name_rank
    # More hits first, then lower name rank: one integer key per partial match.
    keys = [count * size + (size - 1 - rank[i]) for i, count in hits.items() if count < wanted]
    best = [index.by_name[size - 1 - key % size] for key in heapq.nlargest(limit, keys)]
    if len(best) < limit:
        # Fill up with runners that carry none of the job's tags, by name.
        for i in index.by_name:
            if i not in hits:
                best.append(i)
                if len(best) == limit:
                    break
    return tuple(
        NearMiss(
            runners[i],
            tuple(tag for tag in tags if tag not in runners[i].tags),
            lacks_run_untagged=False,
        )
        for i in best
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
