"""The one way cigen writes a file: atomically, and only over a regular file.

:func:`write_atomic` writes the new content to a temporary file in the target's folder, whose
name is unpredictable (128 random bits) and which is created exclusively, never through a
symlink (``O_CREAT | O_EXCL | O_NOFOLLOW``, so nothing planted at that name is opened), and
readable by its owner only, so a secret written with ``mode=0o600`` is never readable by
others, not even for a moment. The content is flushed to disk, the temporary file gets
``mode``, else the old file's permissions (never setuid, setgid or sticky; a new file gets
``0666`` less the umask), and is renamed over the target, and the folder is flushed. Readers
see the old content or the new, never a part.

The target may be missing, a regular file, or a symlink (which is replaced, never written
through). A directory, FIFO, device or socket there is refused: a :class:`CigenError` (exit 2).
Any failure (a full disk, a read-only folder) is a :class:`CigenError` naming the file, and
SIGINT or SIGTERM during the write remove the temporary file before the process ends (exit 130
or 143); the old file is left as it was in every case.

:func:`write_new` writes a file only where nothing is yet (``scaffold``), from the same
temporary file, hard-linked into place.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

from cigen.errors import CigenError

__all__ = ["open_append", "write_atomic", "write_many", "write_new"]

#: Permission bits never copied from an old file to its replacement.
_DROPPED = stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX
_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
)
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def write_atomic(path: Path, text: str, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` (UTF-8), atomically; see the module docstring."""
    existing = _existing_mode(path)
    if mode is None:
        mode = existing if existing is not None else 0o666 & ~_umask()
    with _cleanup_on_signals():
        tmp = _written_beside(path, text, mode)
        try:
            _existing_mode(path)  # refuse a FIFO or device planted meanwhile
            tmp.replace(path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError):
                raise CigenError(f"cannot write {path}: {exc.strerror or exc}") from None
            raise
    _sync_folder(path.parent if str(path.parent) else Path())


def write_many(files: Sequence[tuple[Path, str]]) -> None:
    """Replace each ``path`` with its ``text`` as :func:`write_atomic` does (a temporary file
    beside it, renamed over it; permissions kept; only over a regular file), flushed to disk
    together: every temporary file is written first, then all are flushed at once
    (``os.sync``), renamed into place, and each folder is flushed once. Many small files (a
    report per project) cost one flush instead of two each. A failure or a signal before the
    renames removes every temporary file and leaves every target as it was."""
    targets = [(path, text, _existing_mode(path)) for path, text in files]
    written: list[tuple[Path, Path]] = []
    with _cleanup_on_signals():
        try:
            for path, text, existing in targets:
                mode = existing if existing is not None else 0o666 & ~_umask()
                written.append((_written_beside(path, text, mode, sync=False), path))
            os.sync()
            for tmp, path in written:
                _existing_mode(path)  # refuse a FIFO or device planted meanwhile
                tmp.replace(path)
        except BaseException as exc:
            for tmp, _path in written:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            if isinstance(exc, OSError):
                raise CigenError(f"cannot write {exc.filename}: {exc.strerror or exc}") from None
            raise
    for folder in sorted({path.parent if str(path.parent) else Path() for path, _ in files}):
        _sync_folder(folder)


def write_new(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` only when nothing is there yet, never replacing a file.

    The text is written in full to a temporary file beside ``path`` and then hard-linked into
    place, which fails when ``path`` exists, even if another program creates it meanwhile. Where
    the file system has no hard links, the file is created exclusively (``O_EXCL``) instead.
    """
    with _cleanup_on_signals():
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


def open_append(path: Path) -> int:
    """A descriptor appending to ``path`` (created when missing), for files written a line at
    a time (``cigen scan`` records). Only a regular file: never through a symlink, never a
    FIFO or device (exit 2)."""
    _existing_mode(path)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(
            path, flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0), 0o666
        )
    except OSError as exc:
        raise CigenError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # pragma: no cover - swapped after the check
        os.close(fd)
        raise CigenError(f"cannot write {path}: not a regular file")
    return fd


def _written_beside(path: Path, text: str, mode: int, *, sync: bool = True) -> Path:
    """A temporary file in ``path``'s folder holding ``text``, flushed to disk (unless the
    caller flushes it), with ``mode``: created exclusively under a random name, owner-only
    until the content is complete."""
    folder = path.parent if str(path.parent) else Path()
    tmp = folder / f".{path.name[:64]}.{secrets.token_hex(16)}.tmp"
    data = text.encode("utf-8")
    try:
        fd = os.open(tmp, _FLAGS, 0o600)
    except OSError as exc:
        raise CigenError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
            os.fchmod(fd, mode & 0o777)
        finally:
            os.close(fd)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise CigenError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return tmp


def _write_exclusive(path: Path, text: str) -> None:
    try:
        handle = path.open("x", encoding="utf-8", newline="\n")
    except FileExistsError:
        raise CigenError(f"{path.as_posix()} exists; use --force to replace it") from None
    with handle:
        handle.write(text)


def _existing_mode(path: Path) -> int | None:
    """The permissions to keep (``None``: no file there); refuses anything but a file."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CigenError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        return None  # the link is replaced, its target left alone
    for test, kind in _KINDS:
        if test(info.st_mode):
            raise CigenError(
                f"cannot write {path}: it is {kind}, not a regular file; cigen replaces only "
                "files: name another output"
            )
    return stat.S_IMODE(info.st_mode) & ~_DROPPED


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _sync_folder(folder: Path) -> None:
    """Flush the rename to disk (best effort: some file systems refuse a folder fsync)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _Terminated(SystemExit):
    """SIGTERM during a write: unwinds (removing the temporary file), then exits 143."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated(128 + signum)


@contextlib.contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    """While writing, SIGTERM unwinds like Ctrl-C does, so ``finally`` blocks run.

    SIGINT already raises :class:`KeyboardInterrupt` in Python. Handlers can only be set in
    the main thread; elsewhere the write goes ahead without them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
