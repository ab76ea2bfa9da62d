"""Benchmark ``cigen lint`` against ``check-jsonschema``'s GitLab CI check, end to end.

Usage::

    python bench/bench_lint.py            # 7 runs per measurement
    python bench/bench_lint.py --runs 15

Every measurement starts a fresh interpreter (``subprocess``), as a pre-commit hook or a CI job
does, and the table shows the median wall time of ``--runs`` runs after one untimed warm-up.
Both tools are taken from the folder of ``sys.executable`` (the virtualenv running this script).

Workloads:

1. ``small``: the example pipeline ``examples/k8s/.gitlab-ci.yml``.
2. ``gitlab``: GitLab's own pipeline from the shared corpus. cigen lints the entry file and
   follows its includes (about 40 files, >300 jobs, extends, !reference, inputs, globs);
   check-jsonschema validates the 58 files ``.gitlab-ci.yml`` + ``.gitlab/ci/**/*.yml`` in one
   call, each file on its own (it resolves no include, extends or !reference).

``startup`` rows are ``--version``, the interpreter and import floor of each tool. ``ratio`` is
cigen's time divided by check-jsonschema's. Exit codes are shown, not judged: check-jsonschema
fails some of GitLab's partial files (fragments that only validate once merged).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
GITLAB = CORPUS / "real" / "gitlab-org__gitlab"
SMALL = REPO / "examples" / "k8s" / ".gitlab-ci.yml"
BIN = Path(sys.executable).parent
CHECK_ARGS = ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"]


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        sys.exit(f"{name} not found next to {sys.executable}; install the project with pip -e .")
    return path


def timed(
    argv: Sequence[str], runs: int, cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, int]:
    """Median wall time in seconds of ``runs`` runs (after a warm-up) and the exit code."""
    subprocess.run(argv, cwd=cwd, capture_output=True, check=False, env=env)
    times = []
    code = 0
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, check=False, env=env)
        times.append(time.perf_counter() - started)
        code = done.returncode
    return statistics.median(times), code


def gitlab_files() -> list[str]:
    files = [
        ".gitlab-ci.yml",
        *sorted(
            p.relative_to(GITLAB).as_posix() for p in (GITLAB / ".gitlab" / "ci").rglob("*.yml")
        ),
    ]
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement")
    args = parser.parse_args(argv)
    cigen, check = str(tool("cigen")), str(tool("check-jsonschema"))
    if not SMALL.is_file():
        sys.exit(f"{SMALL} is missing")
    # Both tools run from compiled bytecode, as after "pip install": check-jsonschema's was
    # written by pip; an editable cigen's is written here, since PYTHONDONTWRITEBYTECODE may
    # be set and would otherwise make every cigen start compile its sources.
    import compileall

    compileall.compile_dir(str(REPO / "cigen"), quiet=1)

    rows: list[tuple[str, str, float, int, float, int]] = []

    # cigen keeps a cache of schema checks that passed (cigen/lint/cache.py): "cold" turns it off,
    # as on a first run; "warm" is the steady state of a pre-commit hook on unchanged files.
    cold_env = {**os.environ, "CIGEN_NO_CACHE": "1"}
    warm_dir = tempfile.mkdtemp(prefix="cigen-bench-cache-")
    warm_env = {**os.environ, "CIGEN_CACHE_DIR": warm_dir}
    warm_env.pop("CIGEN_NO_CACHE", None)

    def measure(name: str, detail: str, ours: list[str], theirs: list[str], cwd: Path) -> None:
        theirs_time, theirs_code = timed(theirs, args.runs, cwd)
        for label, env in (("cold", cold_env), ("warm", warm_env)):
            ours_time, ours_code = timed(ours, args.runs, cwd, env)
            row_name = name if name == "startup" else f"{name} {label}"
            rows.append((row_name, detail, ours_time, ours_code, theirs_time, theirs_code))
            if name == "startup":
                break

    measure("startup", "--version", [cigen, "--version"], [check, "--version"], REPO)
    measure(
        "small",
        SMALL.relative_to(REPO).as_posix(),
        [cigen, "lint", str(SMALL)],
        [check, *CHECK_ARGS, str(SMALL)],
        REPO,
    )
    skipped = None
    if GITLAB.is_dir():
        files = gitlab_files()
        measure(
            "gitlab",
            f"cigen: entry + includes; check-jsonschema: {len(files)} files",
            [cigen, "lint", "--root", ".", ".gitlab-ci.yml"],
            [check, *CHECK_ARGS, *files],
            GITLAB,
        )
    else:
        skipped = f"gitlab: skipped, the corpus is not at {CORPUS}"

    print(f"median of {args.runs} runs, fresh interpreter each ({sys.executable})")
    header = f"{'workload':<12} {'cigen lint':>11} {'check-jsonschema':>17} {'ratio':>7}  detail"
    print(header)
    print("-" * len(header))
    for name, detail, ours, ours_code, theirs, theirs_code in rows:
        print(
            f"{name:<12} {ours * 1000:>8.0f} ms {theirs * 1000:>14.0f} ms {ours / theirs:>6.2f}x"
            f"  {detail} (exit {ours_code} / {theirs_code})"
        )
    if skipped:
        print(skipped)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
