"""Per-project reports: each linted project's findings as GitLab Code Quality and SARIF files,
rendered from the records alone (so ``cigen scan merge`` writes the same files as one scan) by
the reporters ``cigen lint --format`` uses, and written through the one atomic writer.

File names: ``<project path>.codequality.json`` and ``<project path>.sarif`` in one folder, the
project path made safe for any file system by :func:`safe_name`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cigen.errors import CigenError

#: The per-project formats and their file suffixes.
SUFFIXES = {"codequality": ".codequality.json", "sarif": ".sarif"}
#: Files written (and flushed to disk) together.
BATCH = 256
#: Longest name kept as is (bytes, before the suffix); longer names end in a digest.
MAX_NAME = 180
_KEPT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def safe_name(path: str) -> str:
    """A file name for a project path, the same for the same path and different for different
    paths: letters, digits, ``_``, ``-`` and ``.`` kept, every other byte (``/`` included)
    written ``%XX``, and a leading dot too (so no name is hidden, ``.`` or ``..``). A name
    longer than :data:`MAX_NAME` keeps its start and gets a digest of the whole path."""
    data = path.encode("utf-8", "surrogateescape")
    out = "".join(
        chr(byte) if byte in _KEPT and not (index == 0 and byte == ord(".")) else f"%{byte:02X}"
        for index, byte in enumerate(data)
    )
    if not out:
        return "%00"
    if len(out) > MAX_NAME:
        digest = hashlib.sha256(data).hexdigest()[:16]
        start = out[: MAX_NAME - 17]
        if "%" in start[-2:]:  # never half an escape
            start = start[: start.rindex("%")]
        out = f"{start}-{digest}"
    return out


def diagnostics(findings: Iterable[Mapping[str, Any]]) -> list[Any]:
    """The :class:`~cigen.diagnostics.Diagnostic` of each finding of a record."""
    from cigen.diagnostics import Diagnostic, Severity

    return [
        Diagnostic(
            path=str(f["path"]),
            line=int(f["line"]),
            col=int(f["column"]),
            code=str(f["code"]),
            name=str(f["name"]),
            severity=Severity.parse(str(f["severity"])),
            message=str(f["message"]),
            job=f.get("job"),
            anchor=str(f.get("anchor") or ""),
        )
        for f in findings
    ]


def write_per_project(
    records: Mapping[int, Mapping[str, Any]], folder: Path, formats: Sequence[str]
) -> int:
    """Write the chosen formats for every linted project into ``folder``; how many files.

    A SARIF file's rules table names the rules of its own findings only (the registry's full
    table, with every rule's documentation, would be most of every file). The files are
    written :data:`BATCH` at a time, each batch flushed to disk once
    (:func:`cigen.atomic.write_many`)."""
    from cigen import __version__
    from cigen.atomic import write_many
    from cigen.reporters import REPORTERS
    from cigen.rules import RULES

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CigenError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
    batch: list[tuple[Path, str]] = []
    written = 0
    for key in sorted(records):
        record = records[key]
        if record.get("status") != "linted":
            continue
        diags = diagnostics(record.get("findings", ()))
        rules = {code: RULES[code] for code in sorted({d.code for d in diags}) if code in RULES}
        name = safe_name(str(record["project"]["path"]))
        for fmt in formats:
            text = REPORTERS[fmt](diags, rules=rules, tool_version=__version__)
            batch.append((folder / f"{name}{SUFFIXES[fmt]}", text))
        if len(batch) >= BATCH:
            write_many(batch)
            written += len(batch)
            batch = []
    write_many(batch)
    return written + len(batch)
