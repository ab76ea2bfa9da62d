"""Benchmark cigen.runners.match.match against a naive all-pairs loop.

Usage::

    python bench/bench_matching.py            # the default grid, a few seconds
    python bench/bench_matching.py --quick    # smaller grid

Synthetic but realistic data (seeded, so runs are comparable): runners carry a platform tag,
usually an architecture, often a team tag (Zipf-distributed over 40 teams) and sometimes
capabilities (gpu, harbor, dind, ...); some take untagged jobs, some are paused or protected.
Jobs ask for a subset of such tags; about 10 % are untagged and a few ask for a team or
capability no runner has, or use the wrong case, so some jobs are stuck and need near misses.

Columns: ``distinct`` is the number of distinct tag lists among the jobs (the indexed matcher
memoizes per tag list), ``stuck`` the jobs without an eligible runner, ``index`` the time to
build the index, ``match`` the total time of ``match()`` (index included), ``naive`` the
all-pairs loop calling ``can_take`` for every job x runner. The naive loop is linear in the
number of jobs, so for large grids it runs on the first ``--naive-jobs`` jobs only and is
scaled up (marked ``~``). Results of both are compared on those jobs.

The last rows are the worst case for the index: every job has its own tag list (no memo hits),
and none can run, so each needs its near misses computed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cigen.runners.inventory import Runner, can_take, make_runner
from cigen.runners.match import JobMatch, JobTags, NearMiss, index_runners, match

PLATFORMS = ["docker", "kubernetes", "shell", "windows", "macos"]
PLATFORM_WEIGHTS = [50, 30, 10, 6, 4]
ARCHES = ["amd64", "arm64"]
CAPABILITIES = ["gpu", "harbor", "dind", "large", "privileged", "cache"]
TEAMS = [f"team-{i:02}" for i in range(40)]
TEAM_WEIGHTS = [1 / (rank + 1) for rank in range(len(TEAMS))]


def make_runners(count: int, rng: random.Random) -> list[Runner]:
    runners = []
    for i in range(count):
        if rng.random() < 0.02:
            runners.append(make_runner(f"shared-{i:04}"))  # no tags, takes untagged jobs
            continue
        tags = [rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0]]
        if rng.random() < 0.8:
            tags.append(rng.choices(ARCHES, [80, 20])[0])
        if rng.random() < 0.6:
            tags.append(rng.choices(TEAMS, TEAM_WEIGHTS)[0])
        tags += rng.sample(CAPABILITIES, rng.choice([0, 0, 0, 1, 1, 2]))
        runners.append(
            make_runner(
                f"runner-{i:04}",
                tags,
                run_untagged=rng.random() < 0.2,
                paused=rng.random() < 0.05,
                protected=rng.random() < 0.08,
            )
        )
    return runners


def make_jobs(count: int, rng: random.Random) -> list[JobTags]:
    jobs = []
    for i in range(count):
        tags: list[str] = []
        if rng.random() >= 0.1:
            if rng.random() < 0.7:
                tags.append(rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0])
            if rng.random() < 0.4:
                tags.append(rng.choices(ARCHES, [80, 20])[0])
            if rng.random() < 0.5:
                # A few teams beyond the runners' ones: jobs that nobody serves.
                tags.append(f"team-{min(int(rng.paretovariate(1.2)) - 1, 44):02}")
            if rng.random() < 0.2:
                tags.append(rng.choice(CAPABILITIES))
            if rng.random() < 0.01:
                tags = [tag.capitalize() for tag in tags]  # Docker vs docker
        jobs.append(JobTags(f"job-{i}", tuple(tags), ref=i))
    return jobs


def distinct_jobs(count: int, rng: random.Random) -> list[JobTags]:
    """Worst case: every tag list is different and nobody carries the job's own tag."""
    return [
        JobTags(
            f"job-{i}",
            (rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0], rng.choice(ARCHES), f"only-{i}"),
            ref=i,
        )
        for i in range(count)
    ]


def naive_match(jobs: Sequence[JobTags], runners: Sequence[Runner]) -> list[JobMatch]:
    """The all-pairs loop: ``can_take`` for every job x runner, then rank the misses."""
    results = []
    for job in jobs:
        wanted = frozenset(job.tags)
        eligible, paused, protected, misses = [], [], [], []
        for position, runner in enumerate(runners):
            if can_take(runner, wanted, False):
                eligible.append(runner)
            elif can_take(runner, wanted, True):
                protected.append(runner)
            elif runner.paused and (wanted <= runner.tags if wanted else runner.run_untagged):
                paused.append(runner)
            else:
                misses.append((len(wanted - runner.tags), runner.name, position, runner))
        closest: tuple[NearMiss, ...] = ()
        if not eligible:
            order = tuple(dict.fromkeys(job.tags))
            closest = tuple(
                NearMiss(r, tuple(t for t in order if t not in r.tags), not wanted)
                for _, _, _, r in sorted(misses)[:3]
            )
        results.append(JobMatch(job, tuple(eligible), tuple(paused), tuple(protected), closest))
    return results


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def row(
    label: str,
    jobs: list[JobTags],
    runners: list[Runner],
    naive_jobs: int,
) -> list[str]:
    index_time, _ = best_of(3, lambda: index_runners(runners))
    match_time, found = best_of(3, lambda: match(jobs, runners))
    matches: tuple[JobMatch, ...] = found  # type: ignore[assignment]
    sample = jobs[:naive_jobs]
    naive_time, naive_found = best_of(1, lambda: naive_match(sample, runners))
    if list(matches[: len(sample)]) != naive_found:
        raise SystemExit(f"{label}: indexed and naive matching disagree")
    scaled = naive_time * len(jobs) / len(sample)
    naive_text = f"{scaled * 1000:,.0f}" if len(sample) == len(jobs) else f"~{scaled * 1000:,.0f}"
    stuck = sum(1 for m in matches if not m.eligible)
    return [
        label,
        f"{len(jobs):,}",
        f"{len(runners):,}",
        f"{len({job.tags for job in jobs}):,}",
        f"{stuck:,}",
        f"{index_time * 1000:.2f}",
        f"{match_time * 1000:.1f}",
        naive_text,
        f"{scaled / match_time:,.0f}x",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--naive-jobs", type=int, default=1000, help="jobs the naive loop runs")
    args = parser.parse_args(argv)

    job_counts = [1_000, 10_000] if not args.quick else [1_000]
    runner_counts = [100, 1_000] if not args.quick else [100]
    rows = []
    for runner_count in runner_counts:
        runners = make_runners(runner_count, random.Random(args.seed))
        for job_count in job_counts:
            jobs = make_jobs(job_count, random.Random(args.seed + job_count))
            rows.append(row("realistic", jobs, runners, args.naive_jobs))
    for runner_count in runner_counts:
        runners = make_runners(runner_count, random.Random(args.seed))
        job_count = job_counts[-1]
        jobs = distinct_jobs(job_count, random.Random(args.seed))
        rows.append(row("all distinct, stuck", jobs, runners, args.naive_jobs))

    header = ["data", "jobs", "runners", "distinct", "stuck", "index ms", "match ms"]
    header += ["naive ms", "speedup"]
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]
    print(f"Python {sys.version.split()[0]}; times are the best of 3 (naive: 1 run)")
    for cells in [header, ["-" * w for w in widths], *rows]:
        print(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
