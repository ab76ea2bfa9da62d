"""A small on-disk memory of schema checks that passed, so a pre-commit hook stays fast.

Only *successes* are remembered: a value that once validated cleanly against a given schema (the
key covers cigen's version, the schema's content and the value itself) is valid again, so its
check is skipped and, when every value is known, jsonschema is not even imported. Failures are
always recomputed, so a stale or damaged cache can never hide a finding.

The cache lives in ``$CIGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/cigen``, else
``~/.cache/cigen``; ``CIGEN_NO_CACHE=1`` turns it off. Any I/O problem just means no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

MAX_ENTRIES = 200_000


def cache_dir(env: Mapping[str, str]) -> Path | None:
    if env.get("CIGEN_NO_CACHE"):
        return None
    if env.get("CIGEN_CACHE_DIR"):
        return Path(env["CIGEN_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "cigen"
    home = env.get("HOME")
    return Path(home) / ".cache" / "cigen" if home else None


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _file(folder: Path, salt: str) -> Path:
    return folder / f"schema-valid-{salt[:16]}.txt"


def load_valid(folder: Path | None, salt: str) -> frozenset[str]:
    if folder is None:
        return frozenset()
    try:
        text = _file(folder, salt).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(line for line in text.split("\n") if len(line) == 32)


def save_valid(
    folder: Path | None, salt: str, known: frozenset[str], learned: Iterable[str]
) -> None:
    """Add ``learned`` to the cache file, atomically; errors are ignored."""
    new = set(learned) - known
    if folder is None or not new:
        return
    entries = sorted(known | new)[-MAX_ENTRIES:]
    target = _file(folder, salt)
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text("\n".join(entries) + "\n", encoding="ascii")
        tmp.replace(target)
