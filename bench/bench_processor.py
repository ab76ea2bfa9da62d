"""Benchmark GitLab's cross-job checks (``cigen.config.processor``) on generated pipelines.

Usage::

    python bench/bench_processor.py              # 5k, 10k and 20k jobs, 5 runs each
    python bench/bench_processor.py --runs 9

Each pipeline has a chain of ``needs`` (every job but one in ten needs the previous job) and a
``parallel: 3`` job every hundred jobs, so the normalizer expands needs and the cycle check
walks a long chain. The table shows the median time of the entry tree (``root``) and of the
cross-job checks (``processor``), and the processor's time per job, which stays flat when
growth is linear.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cigen.config import processor
from cigen.config.root import root
from cigen.yaml.load import YMap, load_text


def pipeline(jobs: int) -> YMap:
    lines = ["stages: [build, test]"]
    for i in range(jobs):
        need = f"  needs: [job{i - 1}]\n" if i % 10 else ""
        parallel = "  parallel: 3\n" if i % 100 == 0 else ""
        lines.append(f"job{i}:\n  stage: test\n  script: [x]\n{need}{parallel}")
    body = load_text("bench.yml", "\n".join(lines)).body
    assert isinstance(body, YMap)
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=int, nargs="+", default=[5000, 10000, 20000])
    args = parser.parse_args()
    print(f"{'jobs':>8} {'root s':>8} {'processor s':>12} {'us/job':>8}")
    for jobs in args.scale:
        config = pipeline(jobs)
        roots, checks = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            model = root(config)
            middle = time.perf_counter()
            found = list(processor.errors(model))
            checks.append(time.perf_counter() - middle)
            roots.append(middle - start)
            assert not found, found[:1]
        check = statistics.median(checks)
        print(
            f"{jobs:>8} {statistics.median(roots):>8.3f} {check:>12.3f} {check / jobs * 1e6:>8.1f}"
        )


if __name__ == "__main__":
    main()
