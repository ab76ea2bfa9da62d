"""Writing files so that nothing is ever half-written.

:func:`write_atomic` writes a temporary file in the target's folder, flushes it to disk, keeps
the old file's permissions (or sets ``mode``), and renames it over the target: readers see the
old content or the new, never a part, and an interrupted run leaves the old file intact. The
temporary file is created readable by its owner only, so a secret written with ``mode=0o600``
is never readable by others, not even for a moment.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from cigen.errors import CigenError


def write_atomic(path: Path, text: str, *, mode: int | None = None) -> None:
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
    tmp = _written_beside(path, text, mode)
    try:
        tmp.replace(path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise CigenError(f"cannot write {path}: {exc.strerror}") from None
        raise


def _written_beside(path: Path, text: str, mode: int) -> Path:
    """A temporary file in ``path``'s folder holding ``text``, flushed to disk, with ``mode``."""
    folder = path.parent if str(path.parent) else Path()
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CigenError(f"cannot write {path}: {exc.strerror}") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(mode)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise CigenError(f"cannot write {path}: {exc.strerror}") from None
        raise
    return tmp


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_new(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` only when nothing is there yet, never replacing a file.

    The text is written in full to a temporary file beside ``path`` and then hard-linked into
    place, which fails when ``path`` exists, even if another program creates it meanwhile. Where
    the file system has no hard links, the file is created exclusively (``O_EXCL``) instead.
    """
    tmp = _written_beside(path, text, 0o666 & ~_umask())
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise CigenError(f"{path.as_posix()} exists; use --force to replace it") from None
        except OSError:  # no hard links here: create it exclusively
            _write_exclusive(path, text)
    except OSError as exc:
        raise CigenError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _write_exclusive(path: Path, text: str) -> None:
    try:
        handle = path.open("x", encoding="utf-8", newline="\n")
    except FileExistsError:
        raise CigenError(f"{path.as_posix()} exists; use --force to replace it") from None
    with handle:
        handle.write(text)
