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

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from cigen.errors import CigenError
from cigen.records import dataclass, field

LOCK_NAME = ".cigen.lock"
LOCK_VERSION = 1

_SHA256 = re.compile(r"[0-9a-f]{64}")
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
        if not _SHA256.fullmatch(value.get("sha256", "")):
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


def store(cache: Path, data: bytes) -> str:
    """Put ``data`` into the cache (once); its sha256."""
    from cigen.atomic import write_atomic

    sha = digest(data)
    path = cache_path(cache, sha)
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
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
    """The cached content with this sha256, or None (absent, unreadable or altered)."""
    from cigen.project import read_file

    if cache is None:
        return None
    path = cache_path(cache, sha256)
    try:
        data = read_file(path, root=cache, what="a cached include")
    except CigenError:
        return None
    return data if data is not None and digest(data) == sha256 else None


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
