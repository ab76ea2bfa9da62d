"""External includes (``project``, ``template``, ``component``, ``remote``): what each one asks
for, the lock file that records what it resolved to, and the content cache.

``cigen fetch`` resolves every external include once through the GitLab API (see
:mod:`cigen.resolve.fetch`) and records it in ``.cigen.lock`` at the project root: for each
include, the commit its ref pointed to and the sha256 of the content. The content itself goes
into a cache folder, one file per sha256 (``<cache>/ab/abcdef...``), so identical files are
stored once and a file whose bytes do not match its name is never used.

``cigen lint`` reads the lock and the cache only (:class:`LockedSource`), never the network: an
include the lock does not name, or whose content is not in the cache, stays not followed, with
a finding that says to run ``cigen fetch``.

The cache holds content, never verdicts: an entry is used only when its bytes hash to the
sha256 the lock (part of the project) names, checked on every hit, so a planted or damaged file
cannot change what is linted (it is removed instead). The folder must be a directory of the
user's own that neither group nor others can write (refused with exit 2 otherwise, as git
refuses a repository another user owns); ``cigen fetch`` creates it private (``0700``), keeps it
under :data:`MAX_CACHE_BYTES` and :data:`MAX_CACHE_ENTRIES` by removing the least recently
used entries (a hit refreshes an entry), and removes the files of cigen's former schema cache.

Lock format (JSON, keys sorted, so the same resolution always gives the same bytes)::

    {
      "includes": {
        "component:gitlab.example.com/ci/components/build@1.0.0": {
          "commit": "<40 hex>", "file": "templates/build.yml", "project": "ci/components",
          "sha256": "<64 hex>", "version": "1.0.0"
        },
        "project:ci/templates@main:jobs/test.yml": {"commit": "<40 hex>", "sha256": "<64 hex>"},
        "template:Jobs/SAST.gitlab-ci.yml": {"sha256": "<64 hex>"}
      },
      "lockfileVersion": 1
    }
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from cigen.errors import CigenError
from cigen.records import dataclass, field
from cigen.regex import lazy_pattern

LOCK_NAME = ".cigen.lock"
LOCK_VERSION = 1

_SHA256 = lazy_pattern(r"[0-9a-f]{64}")
#: The include cache's bounds; past them the least recently used entries are removed.
MAX_CACHE_BYTES = 256 * 1024 * 1024
MAX_CACHE_ENTRIES = 10_000
#: Files of cigen's former schema cache (``schema-valid-<salt>.txt``), removed when seen.
_FORMER = lazy_pattern(r"schema-valid-[0-9a-f]{16}\.txt")
_FIELDS = ("commit", "file", "project", "sha256", "version")


@dataclass(frozen=True, slots=True)
class Request:
    """One external file an include asks for.

    ``kind`` is ``project`` (``target`` the project path, ``ref`` as written, ``file`` the
    path in it), ``template`` (``target`` the template name), ``component`` (``target`` the
    address ``<host>/<project>/<name>@<version>``) or ``remote`` (``target`` the URL,
    ``integrity`` its ``integrity:`` value, ``sha256-<base64>``).
    """

    kind: str
    target: str
    ref: str = ""
    file: str = ""
    integrity: str = ""

    @property
    def key(self) -> str:
        if self.kind == "project":
            return f"project:{self.target}@{self.ref or 'HEAD'}:{self.file}"
        return f"{self.kind}:{self.target}"

    def describe(self) -> str:
        if self.kind == "project":
            return f"project include {self.target}@{self.ref or 'HEAD'}:{self.file}"
        return f"{self.kind} include {self.target!r}"


@dataclass(frozen=True, slots=True)
class LockEntry:
    """What one include resolved to."""

    sha256: str
    commit: str = ""  # project and component: the commit the ref or version pointed to
    project: str = ""  # component: the component's project
    file: str = ""  # component: the file in that project
    version: str = ""  # component: the release tag (or ref) the version named

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in _FIELDS if getattr(self, name)}


@dataclass(frozen=True, slots=True)
class Fetched:
    """An include's content and what it resolved to."""

    data: bytes
    entry: LockEntry


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Why an include's content is not at hand (the message says what to do)."""

    message: str


class Source(Protocol):
    """Where the resolver gets external includes from."""

    def get(self, request: Request) -> Fetched | Unavailable: ...


@dataclass(frozen=True)
class Lock:
    entries: Mapping[str, LockEntry] = field(default_factory=dict)

    def dump(self) -> str:
        body = {
            "includes": {key: self.entries[key].as_dict() for key in sorted(self.entries)},
            "lockfileVersion": LOCK_VERSION,
        }
        import json

        return json.dumps(body, indent=2, sort_keys=True) + "\n"


def parse_lock(data: bytes, where: str) -> Lock:
    """A :class:`Lock` from the bytes of ``.cigen.lock``; a malformed lock is a CigenError."""
    import json

    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CigenError(f"{where}: not a valid lock file ({exc}); run `cigen fetch`") from None
    if not isinstance(raw, dict) or raw.get("lockfileVersion") != LOCK_VERSION:
        raise CigenError(
            f"{where}: not a lock file of version {LOCK_VERSION}; run `cigen fetch` to rewrite it"
        )
    includes = raw.get("includes")
    if not isinstance(includes, dict):
        raise CigenError(f"{where}: `includes` must be a mapping; run `cigen fetch`")
    entries: dict[str, LockEntry] = {}
    for key, value in includes.items():
        if not isinstance(value, dict) or not all(
            isinstance(value.get(name, ""), str) for name in _FIELDS
        ):
            raise CigenError(f"{where}: entry {key!r} is malformed; run `cigen fetch`")
        if not _SHA256().fullmatch(value.get("sha256", "")):
            raise CigenError(f"{where}: entry {key!r} has no valid sha256; run `cigen fetch`")
        entries[str(key)] = LockEntry(**{name: value.get(name, "") for name in _FIELDS})
    return Lock(entries)


def read_lock(root: Path) -> Lock | None:
    """The project's lock, or None when it has none."""
    from cigen.project import read_file

    path = root / LOCK_NAME
    data = read_file(path, root=root, what="the include lock file", missing_ok=True)
    return None if data is None else parse_lock(data, LOCK_NAME)


def digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def intact(sha256: bytes, integrity: str) -> bool:
    """Whether a remote include's ``integrity: sha256-<base64>`` names this sha256
    (``file/remote.rb``, ``verify_integrity``)."""
    import base64
    import hmac

    expected = integrity.removeprefix("sha256-")
    return hmac.compare_digest(base64.b64encode(sha256).decode("ascii"), expected)


def cache_path(cache: Path, sha256: str) -> Path:
    return cache / sha256[:2] / sha256


def check_cache(cache: Path) -> None:
    """Refuse a cache folder that is not a directory of the user's own, or that group or
    others may write (a missing one is fine: nothing is read from it)."""
    try:
        info = cache.stat()  # a symlink is judged by the folder it leads to
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CigenError(f"cannot use the include cache {cache}: {exc.strerror}") from None
    problem = ""
    if not stat.S_ISDIR(info.st_mode):
        problem = "it is not a folder"
    elif hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        problem = f"it is owned by user id {info.st_uid}, not by you ({os.geteuid()})"
    elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problem = f"group or others may write to it (mode {stat.S_IMODE(info.st_mode):04o})"
    if problem:
        raise CigenError(
            f"the include cache {cache} is not safe to use: {problem}. cigen reads fetched "
            "includes only from a folder you own that nobody else can write: fix it (for "
            f"instance `chmod go-w {cache}`) or choose another with --cache-dir or "
            "CIGEN_CACHE_DIR"
        )


def prepare_cache(cache: Path) -> None:
    """Create the cache folder (private) when missing, and check it (:func:`check_cache`)."""
    try:
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise CigenError(f"cannot create the include cache {cache}: {exc.strerror}") from None
    check_cache(cache)


def store(cache: Path, data: bytes) -> str:
    """Put ``data`` into the cache (once; again when the entry there is not intact); its
    sha256."""
    from cigen.atomic import write_atomic

    sha = digest(data)
    path = cache_path(cache, sha)
    prepare_cache(cache)
    if cached(cache, sha) is None:
        try:
            path.parent.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise CigenError(
                f"cannot create the cache folder {path.parent}: {exc.strerror}"
            ) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CigenError(
                "an included file is not UTF-8 text; GitLab reads CI files as UTF-8"
            ) from None
        write_atomic(path, text)
    return sha


def cached(cache: Path | None, sha256: str) -> bytes | None:
    """The cached content with this sha256, or None (absent, unreadable or altered: an altered
    entry is removed). A hit makes the entry the most recently used."""
    from cigen.project import read_file

    if cache is None:
        return None
    path = cache_path(cache, sha256)
    try:
        data = read_file(path, root=cache, what="a cached include", missing_ok=True)
    except CigenError:
        return None
    if data is None:
        return None
    if digest(data) != sha256:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):  # a read-only cache still serves
        os.utime(path)
    return data


def prune(cache: Path, keep: frozenset[str] = frozenset()) -> None:
    """Keep the cache under :data:`MAX_CACHE_BYTES` and :data:`MAX_CACHE_ENTRIES`: the least
    recently used entries go first, never one in ``keep`` (what the lock just written names);
    files of cigen's former schema cache go too. Errors leave files where they are."""
    entries: list[tuple[float, int, Path]] = []
    for path in _listed(cache):
        if _FORMER().fullmatch(path.name):
            with contextlib.suppress(OSError):
                path.unlink()
        elif path.is_dir() and len(path.name) == 2 and not path.is_symlink():
            for entry in _listed(path):
                if _SHA256().fullmatch(entry.name) and entry.name.startswith(path.name):
                    with contextlib.suppress(OSError):
                        info = entry.lstat()
                        if stat.S_ISREG(info.st_mode):
                            entries.append((info.st_mtime, info.st_size, entry))
    if cache.name == "includes" and cache.parent.name == "cigen":  # the former default folder
        for path in _listed(cache.parent):
            if _FORMER().fullmatch(path.name):
                with contextlib.suppress(OSError):
                    path.unlink()
    entries.sort(key=lambda item: item[0], reverse=True)
    total = count = 0
    for _mtime, size, entry in entries:
        if entry.name not in keep and (
            total + size > MAX_CACHE_BYTES or count + 1 > MAX_CACHE_ENTRIES
        ):
            with contextlib.suppress(OSError):
                entry.unlink()
            continue
        total += size
        count += 1


def _listed(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


@dataclass(frozen=True)
class LockedSource:
    """External includes from the lock and the cache, offline."""

    lock: Lock
    cache: Path | None

    def get(self, request: Request) -> Fetched | Unavailable:
        entry = self.lock.entries.get(request.key)
        if entry is None:
            return Unavailable(
                f"{request.describe()} is not in {LOCK_NAME}; run `cigen fetch` to fetch it "
                "once, then lint offline (names it defines are unknown until then)"
            )
        if request.integrity and not intact(bytes.fromhex(entry.sha256), request.integrity):
            return Unavailable(
                f"{request.describe()}: the content in {LOCK_NAME} does not match its "
                "integrity: value; run `cigen fetch --remote` (GitLab refuses a remote file "
                "that fails its integrity check)"
            )
        data = cached(self.cache, entry.sha256)
        if data is None:
            return Unavailable(
                f"{request.describe()} is in {LOCK_NAME} but its content is not in the cache; "
                "run `cigen fetch` to fetch it again"
            )
        return Fetched(data, entry)


def unlocked(request: Request) -> str:
    """The message for an external include when the project has no lock file."""
    return (
        f"{request.describe()} is not followed offline; run `cigen fetch` to fetch it once "
        "(names it defines are unknown to this lint until then)"
    )


def default_cache(env: Mapping[str, str]) -> Path:
    """The include cache folder: ``$CIGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/cigen/includes``,
    else ``~/.cache/cigen/includes``."""
    explicit = env.get("CIGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = env.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "cigen" / "includes"
