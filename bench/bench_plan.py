"""Planning GitLab's own pipeline for a ref, next to linting it (in-process, median of N runs).

python bench/bench_plan.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"
ENTRY = CORPUS / "gitlab-org__gitlab" / ".gitlab-ci.yml"


def median_ms(func: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    if not ENTRY.is_file():
        print(f"corpus not found at {ENTRY}; nothing to measure")
        return 0
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    from cigen.lint.engine import lint, load_pipeline
    from cigen.pipeline.plan import make_context, simulate

    # a merge-request pipeline of the gitlab-org project (its workflow:rules reject forks)
    ctx = make_context(
        ref="my-feature",
        tag=False,
        source="merge_request_event",
        default_branch="master",
        protected=None,
        changed=None,
        variables={"CI_PROJECT_NAMESPACE": "gitlab-org"},
    )
    pipeline = load_pipeline(ENTRY)
    lint_ms = median_ms(lambda: lint(ENTRY), runs)
    load_ms = median_ms(lambda: load_pipeline(ENTRY), runs)
    plan_ms = median_ms(lambda: simulate(pipeline, ctx), runs)
    result = simulate(pipeline, ctx)
    print(f"{'step':<34}{'median ms':>10}")
    print(f"{'lint (load + resolve + rules)':<34}{lint_ms:>10.1f}")
    print(f"{'load + resolve only':<34}{load_ms:>10.1f}")
    print(f"{'plan for a merge request':<34}{plan_ms:>10.1f}")
    print(
        f"plan adds {plan_ms / lint_ms:.0%} to a lint; {len(result.jobs)} of "
        f"{len(pipeline.jobs)} jobs run"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
