"""Benchmark ``cigen fetch`` and the offline lint that follows it.

Usage::

    python bench/bench_fetch.py              # 100 project includes, 5 runs
    python bench/bench_fetch.py --files 140 --runs 9

A pipeline includes ``--files`` files of one project (``ci/templates@main``), each with 20 jobs,
served by the test GitLab server (``tests/gitlab_server.py``) on 127.0.0.1. Measured, median
wall time of ``--runs`` fresh interpreters (``subprocess``, as a pre-commit hook runs cigen):

- ``fetch``: ``cigen fetch`` (one commit lookup, one raw file request per include);
- ``lint offline``: ``cigen lint`` from ``.cigen.lock`` and the cache, the server stopped;
- ``lint local``: the same files as local includes, the baseline the offline lint should match.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gitlab_server import FakeGitLab, serve

TOKEN = "glpat-bench-token-0123456789"
SHA = "f" * 40


def job_file(index: int) -> bytes:
    lines = []
    for job in range(20):
        lines += [f"job-{index}-{job}:", "  stage: test", f"  script: [echo {index} {job}]"]
    return ("\n".join(lines) + "\n").encode()


def timed(args: list[str], env: dict[str, str], runs: int) -> tuple[float, int]:
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.run(args, env=env, capture_output=True, check=False).returncode
        times.append(time.perf_counter() - start)
    return statistics.median(times), code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    cigen = [sys.executable, "-m", "cigen"]
    files = {f"jobs/{i}.yml": job_file(i) for i in range(opts.files)}
    fake = FakeGitLab(token=TOKEN)
    fake.add_repository("ci/templates", {SHA: files}, {"main": SHA})
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        remote, local = base / "remote", base / "local"
        remote.mkdir()
        (local / "jobs").mkdir(parents=True)
        listed = "".join(f"      - {name}\n" for name in files)
        (remote / ".gitlab-ci.yml").write_text(
            f"include:\n  - project: ci/templates\n    ref: main\n    file:\n{listed}"
        )
        (local / ".gitlab-ci.yml").write_text(
            "include:\n" + "".join(f"  - local: {name}\n" for name in files)
        )
        for name, data in files.items():
            (local / name).write_bytes(data)
        env = {**os.environ, "GITLAB_TOKEN": TOKEN, "CIGEN_CACHE_DIR": str(base / "cache")}
        rows = []
        with serve(fake) as url:
            env["GITLAB_URL"] = url
            rows.append(
                (
                    "fetch",
                    *timed(
                        [*cigen, "fetch", "--root", str(remote), str(remote / ".gitlab-ci.yml")],
                        env,
                        opts.runs,
                    ),
                )
            )
        rows.append(
            (
                "lint offline",
                *timed(
                    [*cigen, "lint", "--root", str(remote), str(remote / ".gitlab-ci.yml")],
                    env,
                    opts.runs,
                ),
            )
        )
        rows.append(
            (
                "lint local",
                *timed(
                    [*cigen, "lint", "--root", str(local), str(local / ".gitlab-ci.yml")],
                    env,
                    opts.runs,
                ),
            )
        )
    print(f"{opts.files} included files x 20 jobs, median of {opts.runs} runs")
    for name, seconds, code in rows:
        print(f"  {name:<14} {seconds:7.3f} s   exit {code}")


if __name__ == "__main__":
    main()
