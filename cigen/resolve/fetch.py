"""``cigen fetch``: resolve every external include once, through the GitLab API, into the cache
and a lock (:mod:`cigen.resolve.external`).

The includes are found by the resolver itself (the same walk ``cigen lint`` does offline), with
every ``include:rules`` taken as true so that the lock covers every pipeline the configuration
can create. What GitLab does for each kind (``lib/gitlab/ci/config/external/file/*.rb``):

- ``project`` (``file/project.rb``): the ref (default ``HEAD``) is pinned to the commit it
  points to, and each file is read at that commit; the file's own ``local`` includes are read
  in that project at that commit;
- ``template`` (``file/template.rb``): the name must end with ``.gitlab-ci.yml``; the content
  comes from GitLab's CI template API;
- ``component`` (``file/component.rb``): ``<host>/<project path>/<name>@<version>``, the host
  being the configured GitLab's; the version is a release tag, ``~latest`` (the highest
  released semantic version), a partial version (``1`` or ``1.2``: its highest release), a
  commit SHA, or another ref; the file is ``templates/<name>.yml`` or
  ``templates/<name>/template.yml``;
- ``remote`` (``file/remote.rb``): an HTTPS GET, only when asked for (``--remote``), bounded in
  size (GitLab's ``max_yaml_size_bytes``) and time; plain HTTP only with ``--allow-http``. The
  GitLab token is never sent with it.

One deadline (:data:`DEADLINE`) covers every request of a fetch, the GitLab API's and the remote
ones together, as GitLab bounds the whole expansion (``Gitlab::Ci::Config::TIMEOUT_SECONDS``,
"Request timed out when fetching configuration files."); lists are read by page number, at most
``MAX_PAGES`` pages, each answer at most ``MAX_RESPONSE_BYTES``.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cigen.errors import CigenError
from cigen.records import dataclass, field
from cigen.resolve.external import (
    Fetched,
    Lock,
    LockEntry,
    Request,
    Unavailable,
    intact,
    prepare_cache,
    prune,
    store,
)
from cigen.yaml.load import MAX_BYTES

TEMPLATE_SUFFIX = ".gitlab-ci.yml"
#: Seconds allowed for one remote include (the GitLab API requests use the client's timeout).
REMOTE_TIMEOUT = 10.0
#: Seconds one fetch may take in all: every API request and every remote include.
DEADLINE = 120.0
#: Redirects a remote include may take.
REMOTE_REDIRECTS = 5

_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_ADDRESS = re.compile(r"([^/@\s]+)/([^@\s]+)/([^/@\s]+)@([^@\s]+)")
_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
_PARTIAL = re.compile(r"(\d+)(?:\.(\d+))?")


class Fetcher:
    """The network side of a fetch: the GitLab API (created on first use) and remote URLs."""

    def __init__(
        self,
        session: Callable[[], Any],
        *,
        remote: bool = False,
        allow_http: bool = False,
        deadline: float | None = None,
    ) -> None:
        """``session`` makes the GitLab client when first needed (give it
        :meth:`remaining` as its own deadline, so that one deadline covers the run);
        ``deadline`` in seconds (``cigen fetch``: :data:`DEADLINE`), None for a caller with a
        deadline of its own (``cigen scan``)."""
        self._connect = session
        self._session: Any = None
        self.remote = remote
        self.allow_http = allow_http
        self.deadline = deadline
        self.deadline_at = float("inf") if deadline is None else time.monotonic() + deadline

    def remaining(self) -> float:
        """Seconds left of the fetch's deadline (``inf`` without one); past it, the run
        stops (exit 2)."""
        left = self.deadline_at - time.monotonic()
        if left <= 0:
            raise self.late()
        return left

    def late(self) -> CigenError:
        return CigenError(
            f"fetching the includes took more than {self.deadline:g} s, the time cigen allows "
            'for one run (GitLab allows 30 s for the same work: "Request timed out when '
            'fetching configuration files."); the lock is unchanged: check the network and '
            "the servers, then run `cigen fetch` again"
        )

    @property
    def session(self) -> Any:
        if self._session is None:
            from cigen.gitlab_api import pin_host

            self.remaining()
            self._session = self._connect()
            pin_host(self._session)
        return self._session

    def host(self) -> str:
        """The GitLab's host as ``$CI_SERVER_FQDN`` names it (a port only when not the
        scheme's default)."""
        return server_fqdn(str(self.session.gl.url))

    def commit(self, project: str, ref: str) -> str:
        from cigen.gitlab_api import ref_commit

        return ref if _COMMIT.fullmatch(ref) else ref_commit(self.session, project, ref)

    def file(self, project: str, path: str, commit: str) -> bytes:
        from cigen.gitlab_api import repository_file

        return repository_file(self.session, project, path, commit, MAX_BYTES)

    def template(self, name: str) -> bytes:
        from cigen.gitlab_api import ci_template

        return ci_template(self.session, name).encode("utf-8")

    def releases(self, project: str) -> list[tuple[str, str]]:
        from cigen.gitlab_api import releases

        return releases(self.session, project)

    def url(self, url: str) -> bytes:
        """A remote include's content: no token, at most ``MAX_BYTES``, read before the fetch's
        deadline (each request at most :data:`REMOTE_TIMEOUT`), HTTPS unless allowed."""
        import requests

        from cigen.gitlab_api import Refused, read_capped

        self._check_scheme(url, url)
        timeout = min(REMOTE_TIMEOUT, self.remaining())
        with requests.Session() as client:
            client.max_redirects = REMOTE_REDIRECTS
            try:
                response = client.get(url, timeout=timeout, stream=True)
            except requests.exceptions.RequestException as exc:
                self.remaining()
                raise Missing(
                    f"Remote file `{url}` could not be fetched ({type(exc).__name__})"
                ) from None
            self._check_scheme(response.url, url)
            if response.status_code != 200:
                response.close()
                raise Missing(
                    f"Remote file `{url}` could not be fetched because of HTTP code "
                    f"`{response.status_code}` error!"
                )
            try:
                read_capped(response, self.deadline_at, "", MAX_BYTES)
            except Refused as exc:
                self.remaining()
                raise Missing(f"Remote file `{url}` could not be fetched: it {exc}") from None
            return bytes(response.content)

    def _check_scheme(self, url: str, asked: str) -> None:
        scheme = url.partition("://")[0].lower()
        if scheme == "https" or (scheme == "http" and self.allow_http):
            return
        raise Missing(
            f"remote include {asked!r} is not fetched over {scheme or 'this scheme'}: use an "
            "https:// URL (or pass --allow-http to accept plain HTTP)"
        )


def server_fqdn(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


class Missing(CigenError):
    """An include GitLab would refuse (no such project, ref, file, template or component)."""


@dataclass
class OnlineSource:
    """External includes from the network; records each one for the lock and the cache."""

    fetcher: Fetcher
    cache: Path
    entries: dict[str, LockEntry] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _commits: dict[tuple[str, str], str] = field(default_factory=dict)
    _memo: dict[str, Fetched | Unavailable] = field(default_factory=dict)

    def get(self, request: Request) -> Fetched | Unavailable:
        known = self._memo.get(request.key)
        if known is not None:
            return known
        from cigen.gitlab_api import NotFound

        try:
            data, entry = self._fetch(request)
        except (NotFound, Missing) as exc:
            self.errors.append(f"{request.describe()}: {exc}")
            result: Fetched | Unavailable = Unavailable(f"{request.describe()}: {exc}")
        except _Skipped as exc:
            result = Unavailable(str(exc))
        else:
            self.entries[request.key] = entry
            result = Fetched(data, entry)
        self._memo[request.key] = result
        return result

    def _fetch(self, request: Request) -> tuple[bytes, LockEntry]:
        if request.kind == "project":
            commit = self._commit(request.target, request.ref or "HEAD")
            data = self.fetcher.file(request.target, request.file, commit)
            return data, LockEntry(store(self.cache, data), commit=commit)
        if request.kind == "template":
            if not request.target.endswith(TEMPLATE_SUFFIX):
                raise Missing(f"Template file `{request.target}` is not a valid location!")
            data = self.fetcher.template(request.target[: -len(TEMPLATE_SUFFIX)])
            return data, LockEntry(store(self.cache, data))
        if request.kind == "component":
            return self._component(request.target)
        if not self.fetcher.remote:
            raise _Skipped(
                f"remote include {request.target!r} is fetched only when asked for: run "
                "`cigen fetch --remote` to fetch it once"
            )
        data = self.fetcher.url(request.target)
        if request.integrity and not intact(hashlib.sha256(data).digest(), request.integrity):
            raise Missing(f"Remote file `{request.target}` failed integrity check!")
        return data, LockEntry(store(self.cache, data))

    def _commit(self, project: str, ref: str) -> str:
        key = (project, ref)
        if key not in self._commits:
            self._commits[key] = self.fetcher.commit(project, ref)
        return self._commits[key]

    def _component(self, address: str) -> tuple[bytes, LockEntry]:
        from cigen.gitlab_api import NotFound

        found = _ADDRESS.fullmatch(address)
        if found is None:
            raise Missing(
                f"component {address!r} is not a component address: write "
                "<host>/<project path>/<component name>@<version>"
            )
        host, project, name, version = found.groups()
        if host.lower() != self.fetcher.host():
            raise Missing(
                f"component {address!r} is on {host}, not on the configured GitLab "
                f"({self.fetcher.host()}); components are read from the GitLab instance the "
                "pipeline runs on"
            )
        tag, commit = self._version(project, version)
        for path in (f"templates/{name}.yml", f"templates/{name}/template.yml"):
            try:
                data = self.fetcher.file(project, path, commit)
            except NotFound:
                continue
            entry = LockEntry(
                store(self.cache, data), commit=commit, project=project, file=path, version=tag
            )
            return data, entry
        raise Missing(
            f"component {address!r}: project {project} has neither templates/{name}.yml nor "
            f"templates/{name}/template.yml at {tag}"
        )

    def _version(self, project: str, version: str) -> tuple[str, str]:
        """(the tag or ref the version names, its commit)."""
        if _COMMIT.fullmatch(version):
            return version, version
        partial = _PARTIAL.fullmatch(version)
        if version == "~latest" or partial:
            best: tuple[tuple[int, int, int], str, str] | None = None
            for tag, commit in self.fetcher.releases(project):
                semver = _SEMVER.fullmatch(tag)
                if semver is None:
                    continue
                number = (int(semver[1]), int(semver[2]), int(semver[3]))
                if partial and not _matches(number, partial):
                    continue
                if best is None or number > best[0]:
                    best = (number, tag, commit)
            if best is not None:
                return best[1], best[2]
            if version == "~latest":
                raise Missing(
                    f"component project {project} has no release with a semantic version, so "
                    "~latest names nothing: release one, or name a version"
                )
        return version, self._commit(project, version)


def _matches(number: tuple[int, int, int], partial: re.Match[str]) -> bool:
    if number[0] != int(partial[1]):
        return False
    return partial[2] is None or number[1] == int(partial[2])


class _Skipped(Exception):
    """An include deliberately not fetched (a remote include without --remote)."""


@dataclass(frozen=True)
class FetchResult:
    lock: Lock
    errors: tuple[str, ...]
    pipeline: Any


def fetch(
    path: Path,
    *,
    root: Path | None,
    fetcher: Fetcher,
    cache: Path,
    variables: Mapping[str, str] | None = None,
) -> FetchResult:
    """Resolve every external include of the configuration at ``path``."""
    from cigen.lint.engine import load_pipeline

    prepare_cache(cache)
    source = OnlineSource(fetcher, cache)
    pipeline = load_pipeline(
        path, root=root, include_rules=_every_rule, variables=variables, source=source
    )
    broken = [p for f in pipeline.files.values() for p in f.problems if p.fatal]
    if broken:
        mark = broken[0].mark
        raise CigenError(
            f"{mark.path}:{mark.line}:{mark.col}: {broken[0].message}; the includes of a file "
            "that cannot be read are unknown: fix it, then run `cigen fetch` again (the lock "
            "is unchanged)"
        )
    prune(cache, frozenset(entry.sha256 for entry in source.entries.values()))
    # includes GitLab refuses before fetching anything (a template name, a remote address)
    refused = [
        f"{e.mark.path}:{e.mark.line}:{e.mark.col}: {e.gitlab}"
        for e in pipeline.events
        if e.kind == "include-invalid" and e.subject
    ]
    return FetchResult(Lock(dict(source.entries)), (*source.errors, *refused), pipeline)


def described(lock: Lock) -> list[str]:
    """One line per locked include: what it resolved to."""
    out: list[str] = []
    for key in sorted(lock.entries):
        entry = lock.entries[key]
        parts = [entry.version] if entry.version and entry.version != entry.commit else []
        parts += [entry.commit[:12]] if entry.commit else []
        parts.append(f"sha256 {entry.sha256[:12]}")
        out.append(f"{key}: {' '.join(parts)}")
    return out


def changes(old: Lock | None, new: Lock) -> list[str]:
    """What differs between the committed lock and a fresh resolution, one line each."""
    before = dict(old.entries) if old is not None else {}
    out: list[str] = []
    for key in sorted({*before, *new.entries}):
        was, now = before.get(key), new.entries.get(key)
        if was == now:
            continue
        if was is None:
            out.append(f"{key}: not in the lock")
        elif now is None:
            out.append(f"{key}: in the lock, no longer included")
        elif was.commit != now.commit:
            out.append(f"{key}: moved from {was.commit[:12]} to {now.commit[:12]}")
        else:
            out.append(f"{key}: content changed ({was.sha256[:12]} -> {now.sha256[:12]})")
    return out


def previous_lock(path: Path) -> Lock | None:
    """The lock ``cigen fetch`` is about to replace: None when there is none, or when it is a
    broken lock file (rewritten); a file that is not a lock at all is never overwritten."""
    from cigen.project import read_file
    from cigen.resolve.external import parse_lock

    data = read_file(path, root=path.parent, what="the include lock file", missing_ok=True)
    if data is None:
        return None
    try:
        return parse_lock(data, path.name)
    except CigenError:
        if b"lockfileVersion" in data:
            return None
        raise CigenError(
            f"{path} exists and is not a cigen lock file; move it away so that `cigen fetch` "
            "can write the lock there"
        ) from None


def _every_rule(_rules: Any) -> bool:
    return True
