"""The project tree: where the root is, and the one way cigen reads a file.

:func:`read_file` (and :meth:`Project.load`, built on the same :func:`read_regular`) is the only
way any file is read: only a regular file (never a FIFO, device or directory, opened without
blocking and without following a final symlink), at most ``limit`` bytes (GitLab's 2 MiB
``max_yaml_size_bytes`` by default), and only inside the project root once symlinks are
resolved. A file named explicitly on the command line that lies outside the root may be read
(the user chose it); a symlink inside the root that leads out never is. Refusals name the file
and what it was for, never its content; :func:`excerpt` is how a message quotes a value.

Every CI file is read and parsed once per run (:meth:`Project.load` caches). Paths handed in are
repository paths as GitLab sees them: POSIX, relative to the root, a leading ``/`` optional.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any, TextIO

from cigen.errors import CigenError
from cigen.records import dataclass, field
from cigen.yaml.load import MAX_BYTES, Loaded, load_text

#: How many characters of a value an error message quotes.
EXCERPT = 60
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_KINDS = (
    (stat.S_ISDIR, os.strerror(errno.EISDIR)),
    (stat.S_ISFIFO, "a named pipe (FIFO), not a regular file"),
    (stat.S_ISCHR, "a character device, not a regular file"),
    (stat.S_ISBLK, "a block device, not a regular file"),
    (stat.S_ISSOCK, "a socket, not a regular file"),
)


def find_root(target: Path, explicit: Path | None) -> Path:
    """``--root``, else the git top level of ``target``, else its folder."""
    if explicit is not None:
        if not explicit.is_dir():
            raise CigenError(f"--root {explicit}: not a directory")
        return explicit.resolve()
    folder = target.parent if not target.is_dir() else target
    probe = folder.resolve()
    for candidate in (probe, *probe.parents):
        if (candidate / ".git").exists():
            return candidate
    return probe


class Outside(Exception):
    """The path leaves the project root."""


class Missing(Exception):
    """No such file in the project, or not one cigen reads (``reason`` says which)."""

    def __init__(self, path: str, reason: str | None = None) -> None:
        self.absent = reason is None
        self.reason = os.strerror(errno.ENOENT) if reason is None else reason
        super().__init__(f"{path}: {self.reason}")


class NotRegular(Missing):
    """A directory, FIFO, device or socket where a file was expected."""


def excerpt(value: object, limit: int = EXCERPT) -> str:
    """``repr(value)``, cut to about ``limit`` characters: how messages quote file content."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def quoting(message: str, value: object) -> str:
    """``message`` (a jsonschema error's, say) with its quote of ``value`` cut to an excerpt."""
    return message.replace(repr(value), excerpt(value)) if len(repr(value)) > EXCERPT else message


def inside(root: Path, real: Path) -> bool:
    """Whether the resolved path ``real`` is ``root`` or below it."""
    return real == root or root in real.parents


def confine(path: Path, root: Path, option: str) -> Path:
    """``path``, named on the command line with ``option`` for cigen to write, when it
    resolves inside ``root`` (symlinks followed, for a file still to be created too); a
    :class:`CigenError` otherwise (files to read are confined by :func:`read_file`)."""
    real = Path(os.path.realpath(path))
    root = root.resolve()
    if not inside(root, real):
        raise CigenError(
            f"{option} {path}: it leads outside the project root {root} (an absolute path, "
            "'..' or a symlink); cigen writes only inside the project: name a path inside it, "
            "or write to standard output and redirect it"
        )
    return path


def read_regular(real: Path, limit: int = MAX_BYTES) -> tuple[bytes, int]:
    """At most ``limit + 1`` bytes of the regular file at ``real``, and the file's size.

    Opened without following a final symlink and without blocking (a FIFO cannot hang the
    read); anything but a regular file is :class:`NotRegular`, a missing file :class:`Missing`.
    """
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except FileNotFoundError:
        raise Missing(str(real)) from None
    except OSError as exc:
        raise Missing(str(real), exc.strerror or type(exc).__name__) from None
    try:
        info = os.fstat(fd)
        for test, kind in _KINDS:
            if test(info.st_mode):
                raise NotRegular(str(real), kind)
        if not stat.S_ISREG(info.st_mode):  # pragma: no cover - every other kind is above
            raise NotRegular(str(real), "not a regular file")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(limit + 1 - total, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise Missing(str(real), exc.strerror or type(exc).__name__) from None
    finally:
        os.close(fd)
    return b"".join(chunks), max(info.st_size, total)


def open_text(path: Path, *, what: str, label: str | None = None) -> TextIO:
    """A file named on the command line, opened for reading line by line (files too large to
    read whole, such as ``cigen scan`` records): only a regular file, opened without blocking
    and without following a final symlink. Refusals are a :class:`CigenError`."""
    shown = label if label is not None else path.as_posix()
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise CigenError(f"{shown}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        for test, kind in _KINDS:
            if test(info.st_mode):
                raise CigenError(f"{shown}: cannot read {what}: {kind}")
        return os.fdopen(fd, encoding="utf-8", errors="replace")
    except BaseException:
        os.close(fd)
        raise


def read_file(
    path: Path,
    *,
    root: Path,
    what: str,
    limit: int = MAX_BYTES,
    explicit: bool = False,
    missing_ok: bool = False,
    label: str | None = None,
) -> bytes | None:
    """The bytes of ``path``, ``what`` it is for naming it in errors: the one bounded read.

    ``path`` must resolve inside ``root`` (symlinks followed), unless ``explicit`` (named on
    the command line) and outside ``root`` as written. Refusals (outside, missing unless
    ``missing_ok``, not a regular file, over ``limit`` bytes, unreadable) are a
    :class:`CigenError` naming ``label`` (default: ``path``) and never quoting content.
    """
    shown = label if label is not None else path.as_posix()
    root = root.resolve()
    written = Path(os.path.normpath(path.absolute()))
    real = Path(os.path.realpath(path))
    if not inside(root, real) and not (explicit and not inside(root, written)):
        raise CigenError(
            f"{shown}: cannot read {what}: it leads outside the project root {root} "
            "(an absolute path, '..' or a symlink); name a file inside the project"
        )
    try:
        data, size = read_regular(real, limit)
    except Missing as exc:
        if missing_ok and exc.absent:
            return None
        raise CigenError(f"{shown}: cannot read {what}: {exc.reason}") from None
    if size > limit:
        raise CigenError(
            f"{shown}: cannot read {what}: it is {size:,} bytes, over the limit of {limit:,}"
        )
    return data


@dataclass
class Project:
    """Read access to one project tree."""

    root: Path
    _cache: dict[str, Loaded] = field(default_factory=dict)
    _files: list[str] | None = None
    truncated: bool = False  # the file walk stopped at MAX_WALK_FILES

    def __post_init__(self) -> None:
        self.root = self.root.resolve()

    def relative(self, path: Path) -> str:
        """The repository path of a file given on the command line."""
        resolved = path.resolve()
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            raise CigenError(f"{path} is outside the project root {self.root}") from None

    def normalize(self, repo_path: str) -> str:
        """``/a/./b.yml`` -> ``a/b.yml``; raises :class:`Outside` for ``..`` escapes."""
        parts: list[str] = []
        for part in repo_path.split("/"):  # what PurePosixPath's parts hold, leading / aside
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise Outside(repo_path)
                parts.pop()
                continue
            parts.append(part)
        return "/".join(parts)

    def real(self, repo_path: str) -> Path:
        """The file on disk, checked to be inside the root after following symlinks."""
        rel = self.normalize(repo_path)
        candidate = self.root / rel
        resolved = Path(os.path.realpath(candidate))
        if not inside(self.root, resolved):
            raise Outside(repo_path)
        return resolved

    def read(self, repo_path: str, limit: int = MAX_BYTES) -> tuple[bytes, int]:
        """At most ``limit + 1`` bytes of a project file and its size (:func:`read_regular`)."""
        return read_regular(self.real(repo_path), limit)

    def load(self, repo_path: str) -> Loaded:
        """Parse a file once; later calls get the same :class:`Loaded`."""
        rel = self.normalize(repo_path)
        cached = self._cache.get(rel)
        if cached is not None:
            return cached
        data, size = self.read(rel)
        loaded = load_text(rel, data, size=size)
        self._cache[rel] = loaded
        return loaded

    @property
    def loaded(self) -> dict[str, Loaded]:
        return dict(self._cache)

    def files(self) -> list[str]:
        """Repository paths of the project's files, at most :data:`MAX_WALK_FILES` (then
        ``truncated``): git's tracked files when the root is in a git work tree (what GitLab
        sees at the pipeline's commit), else the files on disk."""
        if self._files is None:
            tracked = self._git_files()
            self._files = tracked if tracked is not None else self._walk_files()
        return self._files

    def _git_files(self) -> list[str] | None:
        """``git ls-files -z`` run in the root (paths relative to it); None outside a work
        tree or when git is missing, fails or takes longer than :data:`GIT_TIMEOUT`. Without
        a ``.git`` entry in the root or above it (and no ``GIT_DIR`` naming one), git would
        find no work tree: it is not started."""
        if not _maybe_in_work_tree(self.root):
            return None
        import subprocess

        try:
            proc = subprocess.run(
                ["git", "ls-files", "-z"],
                cwd=self.root,
                capture_output=True,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if proc.returncode != 0:
            return None
        names = [n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
        if len(names) > MAX_WALK_FILES:
            self.truncated = True
            del names[MAX_WALK_FILES:]
        return sorted(names)

    def _walk_files(self) -> list[str]:
        """Files on disk under the root, at most :data:`MAX_WALK_FILES` (then ``truncated``):
        what ``os.walk`` lists (folders in name order, ``.git`` and symlinked folders not
        entered, unreadable folders skipped), each path built as text."""
        out: list[str] = []
        stack = [("", str(self.root))]
        while stack:
            prefix, folder = stack.pop()
            names, dirs = _listing(folder)
            out.extend([prefix + name for name in names])
            if len(out) > MAX_WALK_FILES:
                self.truncated = True
                del out[MAX_WALK_FILES:]
                break
            # depth first, in name order: the stack pops the first name first
            stack.extend(
                (f"{prefix}{name}/", f"{folder}/{name}") for name in sorted(dirs, reverse=True)
            )
        return sorted(out)

    def glob(self, pattern: str) -> list[str]:
        """GitLab's wildcard include: ``*`` stays in one folder, ``**`` crosses folders.

        The pattern is anchored and matched against repository paths, which never start with
        ``/``: a pattern that does matches nothing, as in GitLab.
        """
        regex = wildcard_regex(pattern)
        if regex is None:  # pragma: no cover - every character is escaped
            return []
        return [name for name in self.files() if regex.fullmatch(_utf8(name))]


MAX_WALK_FILES = 200_000  # at most this many project files are listed


def _listing(folder: str) -> tuple[list[str], list[str]]:
    """(names of the files, names of the folders to enter) in ``folder``, as ``os.walk``
    sorts them: a symlink to a folder is neither (``os.walk`` lists it as a folder and does
    not enter it), a broken symlink is a file; an unreadable folder has nothing."""
    names: list[str] = []
    dirs: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if not is_dir:
                    names.append(entry.name)
                elif entry.name != ".git" and not entry.is_symlink():
                    dirs.append(entry.name)
    except OSError:
        return [], []
    return names, dirs


def _maybe_in_work_tree(root: Path) -> bool:
    """Whether git could see ``root`` in a work tree: ``GIT_DIR`` is set, or ``root`` or a
    folder above it holds a ``.git`` entry (a folder, or the file of a linked work tree or a
    submodule). False means ``git ls-files`` would fail."""
    if os.environ.get("GIT_DIR"):
        return True
    return any(os.path.lexists(folder / ".git") for folder in (root, *root.parents))


GIT_TIMEOUT = 30  # seconds `git ls-files` may take


def wildcard_regex(pattern: str) -> Any:
    """GitLab's wildcard include as an RE2 expression (``*`` within a folder, ``**`` across
    folders, ``?`` one character), matched in linear time whatever the pattern."""
    from cigen.regex import compile_re2

    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char.isascii() and (char.isalnum() or char == "_"):
            out.append(char)
        else:
            out.append(f"\\x{{{ord(char):x}}}")
        index += 1
    return compile_re2("".join(out))


def _utf8(name: str) -> str:
    """A file name as text RE2 can take: each byte that is not UTF-8 becomes U+FFFD."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return name


def is_wildcard(path: str) -> bool:
    return "*" in path or "?" in path
