"""Time loading the YAML files ``cigen lint`` reads for GitLab's pipeline, in one process.

Usage::

    python bench/bench_yaml_load.py              # best of 5 passes over the files
    python bench/bench_yaml_load.py --runs 20
    python bench/bench_yaml_load.py --profile    # cProfile of one pass of load_text

The files are those :func:`bench_lint.read_by_cigen` lists (the entry and the includes cigen
follows), read into memory first. Three rows, CPU time (``time.process_time``) with the garbage
collector off, as the CLI runs:

* ``load_text``: :func:`cigen.yaml.load.load_text` on each file's bytes (decoding, directive
  scan, composing with positions, the header split);
* ``libyaml compose``: libyaml's C composer (``yaml.compose_all`` with ``CSafeLoader``), what
  the floor of ``bench_lint.py`` does;
* ``libyaml events``: only pulling the parser's events, the part of ``load_text`` no composer
  can avoid.

For a figure that a busy machine does not disturb, count instructions instead, e.g.
``valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/bench_yaml_load.py
--runs 1`` against the same with ``--runs 0`` (the difference is one pass of each row).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lint import GITLAB, best_cpu, read_by_cigen

from cigen.yaml.load import load_text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="passes over the files per row")
    parser.add_argument("--profile", action="store_true", help="cProfile one load_text pass")
    args = parser.parse_args(argv)
    entry = GITLAB / ".gitlab-ci.yml"
    if not entry.exists():
        sys.exit(f"{entry} not found: the shared corpus is needed")
    files = [
        (path.relative_to(GITLAB).as_posix(), path.read_bytes()) for path in read_by_cigen(entry)
    ]
    gc.disable()

    def ours() -> None:
        for name, data in files:
            load_text(name, data)

    def compose() -> None:
        for _, data in files:
            for _ in yaml.compose_all(data, Loader=yaml.CSafeLoader):
                pass

    def events() -> None:
        for _, data in files:
            loader = yaml.CSafeLoader(data)
            try:
                while not isinstance(loader.get_event(), yaml.StreamEndEvent):
                    pass
            finally:
                loader.dispose()

    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(ours)
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)
        return 0
    size = sum(len(data) for _, data in files)
    print(f"{len(files)} files, {size:,} bytes, best of {args.runs} passes (CPU ms)")
    for label, run in (
        ("load_text", ours),
        ("libyaml compose", compose),
        ("libyaml events", events),
    ):
        print(f"{label:<16} {best_cpu(run, args.runs)[0]:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
