"""Benchmark the opt-in ShellCheck rule (CIG601) and ``cigen expand`` on the real corpus.

Usage::

    python bench/bench_shellcheck.py            # 3 runs per measurement
    python bench/bench_shellcheck.py --runs 5

For each project of ``../shared/corpus/real`` (beside the repository), the median wall time of
a fresh ``cigen lint`` (default rules), ``cigen lint --select shellcheck`` and ``cigen expand``,
each in a new interpreter as a pre-commit hook runs it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "corpus" / "real"


def _median(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not REAL.is_dir():
        sys.exit(f"no corpus at {REAL}")
    cigen = [sys.executable, "-m", "cigen"]
    print(f"{'project':40} {'lint':>8} {'+shellcheck':>12} {'expand':>8}")
    for project in sorted(p for p in REAL.iterdir() if p.is_dir()):
        entry = [str(project / ".gitlab-ci.yml"), "--root", str(project)]
        lint = _median([*cigen, "lint", *entry, "-q"], args.runs)
        shell = _median([*cigen, "lint", *entry, "-q", "--select", "shellcheck"], args.runs)
        expand = _median([*cigen, "expand", *entry], args.runs)
        print(f"{project.name:40} {lint:8.2f} {shell:12.2f} {expand:8.2f}")


if __name__ == "__main__":
    main()
