"""Benchmark ``cigen scan`` against the local test GitLab (tests/gitlab_server.py).

Usage::

    python bench/bench_scan.py                  # 1,000 projects, 1 shard and 4 shards
    python bench/bench_scan.py --projects 200   # smaller

The estate: ``--projects`` projects in 5 groups, each with 2 subgroups; runners at all three
levels (3 instance runners, one runner per group and subgroup, one project runner per 20
projects). Configurations cycle through include styles: one file; a local include; a wildcard
local include; an include of another project (followed through the API, with a nested local
include); a component (``~latest``) and a CI template; a custom CI configuration path;
``extends`` with ``!reference``; a job whose tags no runner carries (stuck); a configuration
GitLab refuses; an empty repository; a configuration kept in another project
(``build.yml@shared/templates``); a remote include (served by the same server without a token,
fetched with ``--follow-remote --allow-http``, which every scan here passes).

It times, each with real ``cigen scan`` processes talking HTTP to the server:

- ``1 shard``: one ``cigen scan --instance`` (``--workers`` threads);
- ``4 shards``: four ``cigen scan --instance --shard I/4`` at the same time, then
  ``cigen scan merge``; the figure is the wall time of the four;

and prints projects per minute for both, then checks that the merged records file is
byte-for-byte the one-shard file (and the Markdown reports and the per-project Code Quality and
SARIF files equal). Then three reruns over the one-shard file: nothing changed; the shared
templates' branch moved to a commit with the same files (the includers are kept); a file
included from there changed (only its includers are read again); the remote file changed
(only its includers are read again, the URL fetched once).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gitlab_server import FakeGitLab, runner_detail, serve  # noqa: E402

TOKEN = "glpat-fake-token-0123456789"
SINGLE = b"build:\n  tags: [docker]\n  script: [make]\ntest:\n  script: [make test]\n"
COMMON = b"lint:\n  script: [make lint]\n"
STYLES: list[dict[str, bytes]] = [
    {".gitlab-ci.yml": SINGLE},
    {".gitlab-ci.yml": b"include:\n  - local: ci/common.yml\n" + SINGLE, "ci/common.yml": COMMON},
    {
        ".gitlab-ci.yml": b"include: 'ci/*.yml'\n",
        "ci/a.yml": COMMON,
        "ci/b.yml": b"unit:\n  tags: [docker]\n  script: [pytest]\n",
    },
    {".gitlab-ci.yml": b"include:\n  - project: shared/templates\n    file: /build.yml\n" + SINGLE},
    {
        ".gitlab-ci.yml": b"include:\n  - component: $HOST/shared/components/lint@~latest\n"
        b"  - template: Jobs/Lint.gitlab-ci.yml\n" + SINGLE
    },
    {"ci/pipeline.yml": SINGLE},  # with ci_config_path
    {
        ".gitlab-ci.yml": b".base:\n  tags: [docker]\n  script: [make]\n"
        b"one:\n  extends: .base\ntwo:\n  script:\n    - !reference [.base, script]\n"
    },
    {".gitlab-ci.yml": b"train:\n  tags: [gpu, a100]\n  script: [python train.py]\n"},
    {".gitlab-ci.yml": b"stages: [build]\ndeploy:\n  stage: deploy\n  script: [x]\n"},
    {},  # empty repository
    {"README.md": b"the CI configuration is kept in shared/templates\n"},  # ci_config_path
    {".gitlab-ci.yml": b"include:\n  - remote: $URL/remote/common.yml\n" + SINGLE},
]
#: The remote include's path on the server (answered without a token).
REMOTE = "/remote/common.yml"


TEMPLATES = {
    "build.yml": b"include:\n  - local: /jobs.yml\nbuild-shared:\n  script: [make]\n",
    "jobs.yml": b"unit-shared:\n  tags: [docker]\n  script: [pytest]\n",
}


def shared(fake: FakeGitLab, commit: str, files: dict[str, bytes]) -> None:
    """The shared templates' ``HEAD`` at ``commit`` holding ``files``."""
    fake.add_repository("shared/templates", {commit: files}, {"HEAD": commit, "main": commit})


def estate(count: int) -> FakeGitLab:
    groups: dict[int, str] = {}
    parents: dict[int, int] = {}
    leaf_groups: list[int] = []
    for top in range(5):
        gid = 100 + top * 10
        groups[gid] = f"org{top}"
        leaf_groups.append(gid)
        for sub in range(2):
            sid = gid + sub + 1
            groups[sid] = f"org{top}/team{sub}"
            parents[sid] = gid
            leaf_groups.append(sid)
    runners = [
        runner_detail(1, name="shared", tags=["docker"], run_untagged=True,
                      runner_type="instance_type"),
        runner_detail(2, name="shared-arm", tags=["arm"], runner_type="instance_type"),
        runner_detail(3, name="shared-win", tags=["windows"], runner_type="instance_type"),
    ]  # fmt: skip
    for n, gid in enumerate(sorted(groups)):
        runners.append(
            runner_detail(10 + n, name=f"group-{gid}", tags=["gpu"] if n % 2 else ["k8s"],
                          runner_type="group_type", groups=[gid])
        )  # fmt: skip
    fake = FakeGitLab(projects={}, groups=groups, group_parents=parents, scoped_runners=True)
    fake.runners = runners
    shared(fake, "a" * 40, TEMPLATES)
    fake.add_repository(
        "shared/components", {"c" * 40: {"templates/lint.yml": COMMON}}, {"main": "c" * 40}
    )
    fake.add_release("shared/components", "1.0.0", "c" * 40)
    fake.templates["Jobs/Lint"] = "lint-template:\n  script: [lint]\n"
    fake.public[REMOTE] = (200, "text/plain", COMMON)
    for i in range(count):
        pid = 1000 + i
        style = STYLES[i % len(STYLES)]
        group = leaf_groups[i % len(leaf_groups)]
        meta: dict[str, object] = {}
        if "ci/pipeline.yml" in style:
            meta["ci_config_path"] = "ci/pipeline.yml"
        if "README.md" in style:
            meta["ci_config_path"] = "build.yml@shared/templates"
        if not style:
            meta["empty_repo"] = True
        fake.add_project(pid, f"{groups[group]}/p{i:04}", style, group=group, **meta)
        if i % 20 == 0:
            fake.runners.append(
                runner_detail(5000 + i, name=f"proj-{pid}", tags=["docker", "big"],
                              projects=[pid])
            )  # fmt: skip
    return fake


def name_host(fake: FakeGitLab, url: str) -> None:
    """Component addresses and remote URLs name the server, known once it listens."""
    host = url.split("://", 1)[1].encode()
    for files in fake.branch_files.values():
        for name, data in files.items():
            files[name] = data.replace(b"$HOST", host).replace(b"$URL", url.encode())


def cigen(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cigen", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes]) -> str:
    _, err = proc.communicate()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"cigen failed ({proc.returncode}): {err.decode()}")
    return err.decode().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    fake = estate(args.projects)
    with serve(fake) as url, tempfile.TemporaryDirectory() as tmp:
        name_host(fake, url)
        work = Path(tmp)
        env = {**os.environ, "GITLAB_URL": url, "GITLAB_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
        env.pop("CI_NODE_INDEX", None)
        env.pop("CI_NODE_TOTAL", None)
        common = ["scan", "--instance", "--workers", str(args.workers), "--exit-zero"]
        common += ["--follow-remote", "--allow-http"]

        started = time.perf_counter()
        line = finish(cigen(*common, "-o", "one.jsonl", "--report-md", "one.md",
                            "--per-project-dir", "one-pp", env=env, cwd=work))  # fmt: skip
        one = time.perf_counter() - started
        print(f"1 shard : {args.projects} projects in {one:6.1f} s = "
              f"{args.projects / one * 60:7.0f} projects/min   [{line}]")  # fmt: skip

        started = time.perf_counter()
        procs = [
            cigen(*common, "--shard", f"{i}/4", "-o", f"shard-{i}.jsonl", env=env, cwd=work)
            for i in (1, 2, 3, 4)
        ]
        lines = [finish(p) for p in procs]
        four = time.perf_counter() - started
        rate = args.projects / four * 60
        print(f"4 shards: {args.projects} projects in {four:6.1f} s = {rate:7.0f} projects/min "
              "(wall time of 4 concurrent shards)")  # fmt: skip
        for text in lines:
            print(f"          [{text}]")
        shards = [f"shard-{i}.jsonl" for i in (1, 2, 3, 4)]
        outputs = ["-o", "merged.jsonl", "--report-md", "merged.md"]
        outputs += ["--per-project-dir", "merged-pp", "--exit-zero"]
        finish(cigen("scan", "merge", *shards, *outputs, env=env, cwd=work))
        same = (work / "merged.jsonl").read_bytes() == (work / "one.jsonl").read_bytes()
        same_report = (work / "merged.md").read_text() == (work / "one.md").read_text()
        per_project = tree(work / "one-pp")
        same_pp = tree(work / "merged-pp") == per_project
        records = len((work / "one.jsonl").read_text().splitlines())
        print(f"merged 4 shards == 1 shard: records {same}, report {same_report}, "
              f"per-project files {same_pp} ({records} records, {len(per_project)} "
              "per-project files)")  # fmt: skip

        for label, change in (
            ("nothing changed", None),
            ("shared templates moved, same files", ("b" * 40, TEMPLATES)),
            ("shared jobs.yml changed", ("d" * 40, {**TEMPLATES, "jobs.yml": COMMON})),
            ("remote file changed", "remote"),
        ):
            if change == "remote":
                fake.public[REMOTE] = (200, "text/plain", SINGLE.replace(b"build", b"remote"))
                fake.requests.clear()
            elif change is not None:
                shared(fake, *change)
            started = time.perf_counter()
            line = finish(cigen(*common, "-o", "one.jsonl", env=env, cwd=work))
            again = time.perf_counter() - started
            print(f"rerun ({label}): {again:6.1f} s   [{line}]")
        fetched = sum(r.path == REMOTE for r in fake.requests)
        print(f"the remote file was fetched {fetched} time(s) by the last rerun")
        if not (same and same_report and same_pp):
            raise SystemExit(1)


def tree(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


if __name__ == "__main__":
    main()
