"""Benchmark ``cigen lint`` against ``check-jsonschema``'s GitLab CI check, end to end.

Usage::

    python bench/bench_lint.py            # 7 runs per measurement
    python bench/bench_lint.py --runs 15
    python bench/bench_lint.py --clock cpu --scale 10000 50000 100000

Every measurement starts a fresh interpreter (``subprocess``), as a pre-commit hook or a CI job
does, and the table shows the median wall time (``--clock cpu``: user + system CPU time, which
a busy machine disturbs less) of ``--runs`` runs after one untimed warm-up; cigen,
check-jsonschema and the floor take turns in each round.
Both tools are taken from the folder of ``sys.executable`` (the virtualenv running this script).

Workloads:

1. ``small``: the example pipeline ``examples/k8s/.gitlab-ci.yml``.
2. ``gitlab``: GitLab's own pipeline from the shared corpus. cigen lints the entry file and
   follows its includes (about 40 files, >300 jobs, extends, !reference, inputs, globs);
   check-jsonschema validates the 58 files ``.gitlab-ci.yml`` + ``.gitlab/ci/**/*.yml`` in one
   call, each file on its own (it resolves no include, extends or !reference).

3. ``N jobs``: generated pipelines of 10k, 50k and 100k jobs spread over 50 included files
   (``--scale``), to show growth is linear up to the 100k jobs issue #10 asks for. cigen
   analyses at most 200k (``cigen.resolve.budget.MAX_JOBS``): a larger pipeline is refused
   with exit 2.

``startup`` rows are ``--version``, the interpreter and import floor of each tool. Two ratios:
``/check`` is cigen's time divided by check-jsonschema's; ``/floor`` is cigen's time divided by
the floor, a fresh interpreter that imports ``yaml`` and ``click`` and has libyaml compose the
same files (no tool can read them faster): the files cigen reads (for ``gitlab``, the entry and
the includes it follows, not check-jsonschema's 58), every document of each (a file with a
``spec:`` header has two). The floor must succeed, or the bench stops. The ``N jobs`` rows give
cigen's time per 1000 jobs, which stays flat when growth is linear. Exit codes are shown, not
judged: check-jsonschema fails some of GitLab's partial files (fragments that only validate once
merged).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
GITLAB = CORPUS / "real" / "gitlab-org__gitlab"
SMALL = REPO / "examples" / "k8s" / ".gitlab-ci.yml"
BIN = Path(sys.executable).parent
CHECK_ARGS = ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"]


def best_cpu(run: Callable[[], object], runs: int) -> tuple[float, object]:
    """The shortest CPU time of ``runs`` in-process calls of ``run``, in milliseconds (0 for
    none), and what the last call returned."""
    times = []
    result: object = None
    for _ in range(runs):
        started = time.process_time()
        result = run()
        times.append(time.process_time() - started)
    return (min(times) * 1000 if times else 0.0), result


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        sys.exit(f"{name} not found next to {sys.executable}; install the project with pip -e .")
    return path


def _run_once(argv: Sequence[str], cwd: Path, clock: str) -> tuple[float, int]:
    """Seconds one run took (wall clock, or the child's user + system CPU time) and its code."""
    if clock == "cpu":
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return spent, done.returncode
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - started, done.returncode


def timed(
    commands: Sequence[Sequence[str] | None], runs: int, cwd: Path, clock: str = "wall"
) -> list[tuple[float, int] | None]:
    """Median time in seconds of ``runs`` runs (after a warm-up) and the exit code of each
    command. The commands take turns within each round, so a change in the machine's load
    reaches all of them alike and their ratios stay fair."""
    for argv in commands:
        if argv is not None:
            _run_once(argv, cwd, clock)
    times: list[list[float]] = [[] for _ in commands]
    codes = [0] * len(commands)
    for _ in range(runs):
        for index, argv in enumerate(commands):
            if argv is not None:
                spent, codes[index] = _run_once(argv, cwd, clock)
                times[index].append(spent)
    return [
        (statistics.median(spent), code) if spent else None
        for spent, code in zip(times, codes, strict=True)
    ]


#: The floor: start an interpreter, import what any YAML-reading CLI needs, compose the files.
FLOOR = (
    "import sys, click, yaml\n"
    "for name in sys.argv[1:]:\n"
    "    with open(name, 'rb') as f:\n"
    "        for _ in yaml.compose_all(f.read(), Loader=yaml.CSafeLoader):\n"
    "            pass\n"
)


def generated(scratch: Path, jobs: int, parts: int = 50) -> Path:
    """A pipeline of ``jobs`` ordinary jobs in ``parts`` included files."""
    folder = scratch / f"jobs{jobs}"
    (folder / "ci").mkdir(parents=True)
    entry = ["stages: [build, test]", "include:"]
    per = jobs // parts
    for part in range(parts):
        entry.append(f"  - local: ci/p{part}.yml")
        lines = []
        for i in range(part * per, (part + 1) * per):
            lines.append(
                f"job{i}:\n  stage: test\n  image: alpine:3\n  tags: [docker]\n"
                f"  script:\n    - echo {i}\n    - make test\n"
                '  rules:\n    - if: $CI_COMMIT_BRANCH == "main"\n'
            )
        (folder / "ci" / f"p{part}.yml").write_text("".join(lines), encoding="utf-8")
    (folder / ".gitlab-ci.yml").write_text("\n".join(entry) + "\n", encoding="utf-8")
    return folder


def read_by_cigen(entry: Path) -> list[Path]:
    """The files cigen reads to lint ``entry``: the entry and the includes it follows."""
    from cigen.lint.engine import load_pipeline

    pipeline = load_pipeline(entry, root=entry.parent)
    return [entry.parent / name for name in sorted(pipeline.files)]


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
    parser.add_argument(
        "--scale",
        type=int,
        nargs="*",
        default=[10_000, 50_000, 100_000],
        help="job counts of the generated workloads (none: skip them)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="what is timed: wall time, or the user + system CPU time of each run (steadier "
        "on a machine busy with other work)",
    )
    args = parser.parse_args(argv)
    cigen, check = str(tool("cigen")), str(tool("check-jsonschema"))
    if not SMALL.is_file():
        sys.exit(f"{SMALL} is missing")
    # Both tools run from compiled bytecode, as after "pip install": check-jsonschema's was
    # written by pip; an editable cigen's is written here, since PYTHONDONTWRITEBYTECODE may
    # be set and would otherwise make every cigen start compile its sources.
    import compileall

    compileall.compile_dir(str(REPO / "cigen"), quiet=1)

    rows: list[tuple[str, str, float, int, float | None, int, float]] = []

    def measure(
        name: str, detail: str, ours: list[str], theirs: list[str] | None, files: list[Path]
    ) -> None:
        cwd = files[0].parent if files else REPO
        floor_argv = [sys.executable, "-c", FLOOR, *map(str, files)]
        ours_result, theirs_result, floor_result = timed(
            [ours, theirs, floor_argv], args.runs, cwd, args.clock
        )
        assert ours_result is not None and floor_result is not None
        ours_time, ours_code = ours_result
        theirs_time, theirs_code = theirs_result if theirs_result else (None, 0)
        floor_time, floor_code = floor_result
        if floor_code != 0:
            sys.exit(f"{name}: the floor failed (exit {floor_code}); it must read the same files")
        rows.append((name, detail, ours_time, ours_code, theirs_time, theirs_code, floor_time))

    measure("startup", "--version", [cigen, "--version"], [check, "--version"], [])
    measure(
        "small",
        SMALL.relative_to(REPO).as_posix(),
        [cigen, "lint", str(SMALL)],
        [check, *CHECK_ARGS, str(SMALL)],
        [SMALL],
    )
    skipped = None
    if GITLAB.is_dir():
        files = gitlab_files()
        measure(
            "gitlab",
            f"cigen and floor: entry + includes; check-jsonschema: {len(files)} files",
            [cigen, "lint", "--root", str(GITLAB), str(GITLAB / ".gitlab-ci.yml")],
            [check, *CHECK_ARGS, *files],
            read_by_cigen(GITLAB / ".gitlab-ci.yml"),
        )
    else:
        skipped = f"gitlab: skipped, the corpus is not at {CORPUS}"
    with tempfile.TemporaryDirectory(prefix="cigen-bench-") as scratch:
        for jobs in args.scale:
            folder = generated(Path(scratch), jobs)
            measure(
                f"{jobs // 1000}k jobs",
                "generated, 50 included files; cigen {per_1k} per 1000 jobs",
                [cigen, "lint", "--root", str(folder), str(folder / ".gitlab-ci.yml")],
                None,
                [folder / ".gitlab-ci.yml", *sorted((folder / "ci").glob("*.yml"))],
            )

    print(
        f"median {args.clock} time of {args.runs} runs, fresh interpreter each, the three "
        f"commands taking turns ({sys.executable})"
    )
    header = (
        f"{'workload':<10} {'cigen':>9} {'check':>9} {'floor':>9} {'/check':>7} {'/floor':>7}"
        "  detail"
    )
    print(header)
    print("-" * len(header))
    for name, detail, ours, ours_code, theirs, theirs_code, floor in rows:
        if name.endswith("k jobs"):
            detail = detail.format(per_1k=f"{ours * 1000 / int(name.split('k')[0]):.0f} ms")
        check_text = f"{theirs * 1000:>6.0f} ms" if theirs else f"{'-':>9}"
        ratio = f"{ours / theirs:>6.2f}x" if theirs else f"{'-':>7}"
        print(
            f"{name:<10} {ours * 1000:>6.0f} ms {check_text} {floor * 1000:>6.0f} ms {ratio} "
            f"{ours / floor:>6.2f}x  {detail} (exit {ours_code}/{theirs_code})"
        )
    if skipped:
        print(skipped)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
