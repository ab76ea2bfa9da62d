"""The project tree: where the root is, and reading files inside it (and only inside it).

Every file is read and parsed once per run (:meth:`Project.load` caches). Paths handed in are
repository paths as GitLab sees them: POSIX, relative to the root, a leading ``/`` optional.
Nothing outside the root is ever read, whether reached through ``..``, an absolute path or a
symlink.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cigen.errors import CigenError
from cigen.yaml.load import MAX_BYTES, Loaded, load_text


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
    """No such file in the project."""


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
        for part in PurePosixPath(repo_path.lstrip("/")).parts:
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
        if resolved != self.root and self.root not in resolved.parents:
            raise Outside(repo_path)
        if not resolved.is_file():
            raise Missing(repo_path)
        return resolved

    def load(self, repo_path: str) -> Loaded:
        """Parse a file once; later calls get the same :class:`Loaded`."""
        rel = self.normalize(repo_path)
        cached = self._cache.get(rel)
        if cached is not None:
            return cached
        real = self.real(rel)
        try:
            size = real.stat().st_size
            with real.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1) if size > MAX_BYTES else handle.read()
        except OSError as exc:
            raise Missing(f"{repo_path}: {exc.strerror}") from None
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
        tree or when git is missing, fails or takes longer than :data:`GIT_TIMEOUT`."""
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
        """Files on disk under the root, at most :data:`MAX_WALK_FILES` (then ``truncated``)."""
        out: list[str] = []
        for folder, dirs, names in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            base = Path(folder).relative_to(self.root)
            out.extend((base / name).as_posix() for name in names)
            if len(out) > MAX_WALK_FILES:
                self.truncated = True
                del out[MAX_WALK_FILES:]
                break
        return sorted(out)

    def glob(self, pattern: str) -> list[str]:
        """GitLab's wildcard include: ``*`` stays in one folder, ``**`` crosses folders.

        The pattern is anchored and matched against repository paths, which never start with
        ``/``: a pattern that does matches nothing, as in GitLab.
        """
        regex = wildcard_regex(pattern)
        return [name for name in self.files() if regex.fullmatch(name)]


MAX_WALK_FILES = 200_000  # at most this many project files are listed
GIT_TIMEOUT = 30  # seconds `git ls-files` may take


def wildcard_regex(pattern: str) -> re.Pattern[str]:
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
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out))


def is_wildcard(path: str) -> bool:
    return "*" in path or "?" in path
