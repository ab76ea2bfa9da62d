"""Time the resolver on GitLab's pipeline, its files already loaded, in one process.

Usage::

    python bench/bench_resolve.py              # best of 5 resolutions, then each phase's share
    python bench/bench_resolve.py --runs 20
    python bench/bench_resolve.py --profile    # cProfile of one resolution

What is timed is :func:`cigen.resolve.resolver.resolve` after a first resolution has loaded
every file (a new :class:`~cigen.project.Project` for each run, handed the files loaded, so
that parsing is not timed: ``bench_yaml_load.py`` times it) and imported what the resolver
imports on first need. CPU time (``time.process_time``) with the garbage collector off, as the
CLI runs. The phases are the resolver's steps in their order: includes (with input
interpolation and ``include:rules``), ``extends``, ``!reference`` and the jobs (``default:``
and global variables), each with the size budget's share of its work.

For a figure that a busy machine does not disturb, count instructions instead, e.g.
``valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/bench_resolve.py
--runs 1`` against the same with ``--runs 0``: the difference is two resolutions (the timed
one and the one timing the phases), so half of it is one.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lint import GITLAB, best_cpu

import cigen.resolve.resolver as resolver
from cigen.lint.engine import _project_include_rules, load_pipeline
from cigen.model import Pipeline
from cigen.project import Project

#: The resolver's phases, by the function that runs each.
PHASES = (
    ("includes", "_expand_includes"),
    ("extends", "_resolve_extends"),
    ("!reference", "_resolve_references"),
    ("jobs", "_jobs"),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="resolutions to time")
    parser.add_argument("--profile", action="store_true", help="cProfile one resolution")
    args = parser.parse_args(argv)
    entry = GITLAB / ".gitlab-ci.yml"
    if not entry.exists():
        sys.exit(f"{entry} not found: the shared corpus is needed")
    gc.disable()
    loaded = load_pipeline(entry, root=GITLAB).files  # every file read, parsed once

    def run() -> Pipeline:
        project = Project(GITLAB)
        for name, one in loaded.items():
            project._cache[name] = one  # loaded already: only the resolver is timed
        rules = _project_include_rules(project, None)  # as ``cigen lint`` decides them
        return resolver.resolve(project, ".gitlab-ci.yml", include_rules=rules)

    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(run)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return 0
    if args.runs < 1:
        return 0
    spent, pipeline = best_cpu(run, args.runs)
    jobs = len(pipeline.jobs) if isinstance(pipeline, Pipeline) else 0
    print(f"{len(loaded)} files, {jobs} jobs, best of {args.runs} resolutions (CPU ms)")
    print(f"{'resolve':<12} {spent:8.1f}")
    for label, spent in _phases(run).items():
        print(f"  {label:<10} {spent * 1000:8.1f}")
    return 0


def _phases(run: Callable[[], Pipeline]) -> dict[str, float]:
    """CPU time of each phase in one resolution (a phase's nested calls counted once)."""
    spent = {label: 0.0 for label, _name in PHASES}
    saved = {name: getattr(resolver, name) for _label, name in PHASES}

    def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        depth = [0]

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if not depth[0]:
                    spent[label] += time.process_time() - started

        return wrapper

    try:
        for label, name in PHASES:
            setattr(resolver, name, timed(label, saved[name]))
        run()
    finally:
        for name, function in saved.items():
            setattr(resolver, name, function)
    return spent


if __name__ == "__main__":
    raise SystemExit(main())
