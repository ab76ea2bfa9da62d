"""Records as JSON lines: appended as each project finishes (so an interrupted scan resumes),
compacted at the end (one line per project, ordered by project id, keys sorted), and merged
across shards into exactly what one unsharded scan writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from cigen.errors import CigenError

#: The longest line read back (a record of a huge configuration is far smaller).
MAX_LINE = 64 * 1024 * 1024


def shard_of(project_id: int, total: int) -> int:
    """The 1-based shard (of ``total``) that scans ``project_id``: stable across runs and
    machines (a hash of the id, not the listing order)."""
    digest = hashlib.sha256(str(project_id).encode()).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def parse_shard(text: str | None, env: Mapping[str, str]) -> tuple[int, int]:
    """``--shard I/N``, else ``CI_NODE_INDEX``/``CI_NODE_TOTAL`` (``parallel: N``), else 1/1."""
    if text is None:
        index, total = env.get("CI_NODE_INDEX"), env.get("CI_NODE_TOTAL")
        if not index or not total:
            return 1, 1
        text, source = f"{index}/{total}", "CI_NODE_INDEX/CI_NODE_TOTAL"
    else:
        source = "--shard"
    left, sep, right = text.partition("/")
    if not sep or not left.strip().isdigit() or not right.strip().isdigit():
        raise CigenError(f"{source} {text!r}: expected I/N, such as 2/4")
    index_n, total_n = int(left), int(right)
    if total_n < 1 or not 1 <= index_n <= total_n:
        raise CigenError(f"{source} {text!r}: I must be between 1 and N, and N at least 1")
    return index_n, total_n


def line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"


def read_records(paths: Sequence[Path]) -> dict[int, dict[str, Any]]:
    """Records by project id from JSON lines files; a later line for the same project wins.

    A last line cut short (a scan killed while writing) is ignored; any other line that is not
    a record is an error naming its file and line.
    """
    found: dict[int, dict[str, Any]] = {}
    for path in paths:
        from cigen.project import open_text

        handle = open_text(path, what="scan records")
        with handle:
            _read(path, handle, found)
    return found


def _read(path: Path, handle: TextIO, found: dict[int, dict[str, Any]]) -> None:
    number = 0
    while True:
        text = handle.readline(MAX_LINE + 1)
        if not text:
            return
        number += 1
        if not text.strip():
            continue
        complete = text.endswith("\n")
        try:
            record = json.loads(text)
            project_id = int(record["project"]["id"])
        except (ValueError, KeyError, TypeError):
            if not complete:
                return  # cut short by an interrupted scan: that project is scanned again
            raise CigenError(
                f"{path}:{number}: not a scan record (one JSON object per line, as "
                "cigen scan writes them): check that this is a cigen scan output"
            ) from None
        found[project_id] = record


class Appender:
    """Appends records to a JSON lines file, one whole line per write, from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        from cigen.atomic import open_append

        self._fd = open_append(path)

    def add(self, record: Mapping[str, Any]) -> None:
        data = line(record).encode("utf-8")
        with self._lock:
            os.write(self._fd, data)

    def close(self) -> None:
        os.close(self._fd)


def compact(records: Mapping[int, Mapping[str, Any]]) -> str:
    """The final file: one line per project, by project id."""
    return "".join(line(records[key]) for key in sorted(records))


def write_records(path: Path, records: Mapping[int, Mapping[str, Any]]) -> None:
    from cigen.atomic import write_atomic

    write_atomic(path, compact(records))


def merge(paths: Iterable[Path]) -> dict[int, dict[str, Any]]:
    """The records of several shard files, as one scan of all their projects."""
    ordered = sorted(paths, key=str)
    if not ordered:
        raise CigenError("cigen scan merge needs at least one records file (shard-*.jsonl)")
    return read_records(ordered)
