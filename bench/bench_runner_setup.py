"""Benchmark the runner setup: loading a Kubernetes inventory, rendering it, and CIG304.

Usage::

    python bench/bench_runner_setup.py            # the default grid, some seconds
    python bench/bench_runner_setup.py --quick    # smaller grid

For each size, an inventory of ``runners`` Kubernetes runners (each with requests, limits,
caps, an allow-list regex, a node selector and volumes, like ``examples/runners.yml``) is
written to a temporary folder, then timed:

- ``load``: :func:`cigen.runners.inventory.load_inventory` (schema and the Kubernetes checks);
- ``render``: every runner's manifests, Secrets and Helm values with their TOML, in memory;
- ``lint``: ``cigen lint`` of a pipeline of ``jobs`` jobs, each taken by one runner and setting
  three ``KUBERNETES_*`` variables (one above its cap), with the inventory; ``cig304`` is the
  difference to the same run with the rule ignored (noisy for small sizes).

Both should grow linearly with the runners and the jobs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cigen.lint.engine import lint
from cigen.lint.settings import Config
from cigen.runners.inventory import load_inventory
from cigen.runners.render import render

RUNNER = """\
  - name: r{i:04}
    tags: [pool-{i:04}]
    scope: {{project: team/app}}
    kubernetes:
      runner_namespace: r{i:04}-runner
      job_namespace: r{i:04}-ci
      gitlab_url: https://gitlab.example.com/
      cpu_request: "1"
      cpu_limit: "4"
      memory_request: 4Gi
      memory_limit: 16Gi
      cpu_limit_overwrite_max_allowed: "8"
      memory_limit_overwrite_max_allowed: 32Gi
      node_selector_overwrite_allowed: '^pool=[a-z0-9-]+$'
      node_selector: {{pool: p{i:04}}}
      node_tolerations: {{dedicated: NoSchedule}}
      volumes:
        pvc: [{{name: cache, mount_path: /cache, create: {{storage: 10Gi}}}}]
        secret: [{{name: creds, mount_path: /creds, create: {{keys: [token]}}}}]
"""

JOB = """\
job-{j:05}:
  tags: [pool-{r:04}]
  variables:
    KUBERNETES_CPU_LIMIT: "6"
    KUBERNETES_MEMORY_LIMIT: 64Gi
    KUBERNETES_NODE_SELECTOR_POOL: pool=p{r:04}
  script: [make]
"""


def timed(action: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    return time.perf_counter() - start, result


def run(runners: int, jobs: int, folder: Path) -> None:
    inventory = folder / "runners.yml"
    inventory.write_text(
        "runners:\n" + "".join(RUNNER.format(i=i) for i in range(runners)), encoding="utf-8"
    )
    pipeline = folder / ".gitlab-ci.yml"
    pipeline.write_text("".join(JOB.format(j=j, r=j % runners) for j in range(jobs)))
    load_time, loaded = timed(lambda: load_inventory(inventory))
    render_time, files = timed(lambda: render(loaded, source="runners.yml", gitlab_url=None))
    lint_time, result = timed(lambda: lint(pipeline, root=folder, config=Config(), runners=loaded))
    plain_time, _ = timed(
        lambda: lint(
            pipeline, root=folder, config=Config(ignore=frozenset({"CIG304"})), runners=loaded
        )
    )
    found = sum(1 for d in result.diagnostics if d.code == "CIG304")  # type: ignore[attr-defined]
    print(
        f"{runners:>8} {jobs:>7} {load_time:>8.3f} {render_time:>8.3f} {len(files):>6} "  # type: ignore[arg-type]
        f"{lint_time:>8.3f} {max(lint_time - plain_time, 0):>8.3f} {found:>7}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    args = parser.parse_args()
    grid = [(10, 100), (50, 1000)] if args.quick else [(10, 100), (50, 1000), (200, 4000)]
    print(
        f"{'runners':>8} {'jobs':>7} {'load s':>8} {'render s':>8} {'files':>6} "
        f"{'lint s':>8} {'cig304 s':>8} {'found':>7}"
    )
    for runners, jobs in grid:
        with tempfile.TemporaryDirectory() as folder:
            run(runners, jobs, Path(folder))


if __name__ == "__main__":
    main()
