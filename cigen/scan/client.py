"""The GitLab side of a scan: projects, files at the default branch, runners.

One python-gitlab client (from :func:`cigen.gitlab_api.connect`: ``GITLAB_URL`` or
``CI_SERVER_URL``, ``GITLAB_TOKEN``, or a python-gitlab config section) serves every thread of
a shard. Its HTTP session gets a :class:`PoliteAdapter`, which

- waits while GitLab's ``RateLimit-Remaining`` is 0, until ``RateLimit-Reset`` (GitLab's
  rate-limit headers, ``lib/gitlab/application_rate_limiter.rb`` and
  ``lib/gitlab/rack_attack.rb``), for every thread;
- answers ``429 Too Many Requests`` by waiting ``Retry-After`` seconds, and 502/503/504 and
  connection errors by retrying with exponential backoff, at most ``retries`` times;
- never waits past the scan's :class:`Deadline`, and shortens each request's timeout to it.

python-gitlab's own 429 handling is switched off on every call (``obey_rate_limit=False``), so
the adapter is the only place that waits.

Runners: ``GET /projects/:id/runners`` lists what one project may use (its project runners,
the runners of its group and the group's ancestors, and the instance runners when the project
allows them); the details that matching needs (``GET /runners/:id``) are read once per runner
for the whole scan and shared by every project that sees the runner.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cigen.errors import CigenError
from cigen.gitlab_api import Refused, Session, runner_from_api
from cigen.records import dataclass, field
from cigen.runners.inventory import Runner

if TYPE_CHECKING:
    import requests
    from requests.adapters import HTTPAdapter
else:  # the base class is imported lazily by polite_adapter()
    HTTPAdapter = object

__all__ = [
    "Deadline",
    "DeadlinePassed",
    "Listing",
    "ProjectInfo",
    "ScanClient",
    "Throttle",
    "Unreadable",
]

#: GitLab's answers worth another try (besides 429, which has its own wait).
TRANSIENT = frozenset({502, 503, 504})
#: Longest single wait, whatever a header asks for.
MAX_WAIT = 300.0
#: Pages of one list (projects of a group or the instance, a repository tree) read at most:
#: 100,000 items at GitLab's 100 a page; a longer list stops the scan (exit 2).
MAX_LIST_PAGES = 1_000


class DeadlinePassed(CigenError):
    """The scan's total deadline passed."""


class Unreadable(CigenError):
    """A project (or one of its files) could not be read; the scan records why and goes on."""


class Deadline:
    """A point in time after which the scan starts nothing new."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = None if seconds is None else clock() + seconds

    def remaining(self) -> float | None:
        return None if self._end is None else self._end - self._clock()

    @property
    def passed(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0


@dataclass
class Throttle:
    """Shared by every thread: when GitLab says the budget is spent, everyone waits."""

    sleep: Callable[[float], None] = time.sleep
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _resume_at: float = 0.0
    waited: float = 0.0
    """Seconds spent waiting for rate limits and retries (for the statistics)."""

    def wait(self, deadline: Deadline) -> None:
        with self._lock:
            pause = self._resume_at - time.monotonic()
        if pause > 0:
            self.pause(pause, deadline)

    def pause(self, seconds: float, deadline: Deadline) -> None:
        seconds = min(seconds, MAX_WAIT)
        left = deadline.remaining()
        if left is not None and seconds >= left:
            raise DeadlinePassed(
                f"GitLab asked to wait {seconds:.0f} s, past the scan's deadline; "
                "the projects not read yet are recorded as not scanned"
            )
        with self._lock:
            self.waited += seconds
        self.sleep(seconds)

    def note(self, headers: Mapping[str, str]) -> None:
        """Read ``RateLimit-Remaining``/``RateLimit-Reset`` (Unix time) of an answer."""
        remaining = _number(headers.get("RateLimit-Remaining"))
        reset = _number(headers.get("RateLimit-Reset"))
        if remaining is None or remaining > 0 or reset is None:
            return
        resume = time.monotonic() + max(0.0, min(reset - time.time(), MAX_WAIT))
        with self._lock:
            self._resume_at = max(self._resume_at, resume)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (GitLab's form)."""
    value = _number(headers.get("Retry-After"))
    return None if value is None else max(value, 0.0)


def polite_adapter(
    throttle: Throttle, deadline: Deadline, *, retries: int, backoff: float, pool: int
) -> HTTPAdapter:
    """The HTTP adapter described in the module documentation."""
    import requests

    from cigen.gitlab_api import guard_adapter_class

    Base = guard_adapter_class()

    class Polite(Base):  # type: ignore[misc, valid-type]
        refuse_rate_limits = False  # 429 is waited for here, bounded by MAX_WAIT and the deadline

        def send(
            self,
            request: requests.PreparedRequest,
            stream: bool = False,
            timeout: float | tuple[float | None, float | None] | None = None,
            verify: bool | str = True,
            cert: str | tuple[str, str] | None = None,
            proxies: Mapping[str, str] | None = None,
        ) -> requests.Response:
            attempt = 0
            while True:
                throttle.wait(deadline)
                left = deadline.remaining()
                wait = timeout
                if left is not None:
                    if left <= 0:
                        raise DeadlinePassed("the scan's deadline passed")
                    if isinstance(timeout, int | float):
                        wait = max(min(float(timeout), left), 0.1)
                try:
                    response: requests.Response = super().send(
                        request, stream, wait, verify, cert, dict(proxies or {})
                    )
                except (requests.ConnectionError, requests.Timeout):
                    if attempt >= retries:
                        raise
                    throttle.pause(backoff * 2**attempt, deadline)
                    attempt += 1
                    continue
                throttle.note(response.headers)
                if response.status_code != 429 and response.status_code not in TRANSIENT:
                    return response
                if attempt >= retries:
                    return response
                asked = retry_after(response.headers) if response.status_code == 429 else None
                response.close()
                throttle.pause(asked if asked is not None else backoff * 2**attempt, deadline)
                attempt += 1

    return Polite(pool_connections=pool, pool_maxsize=pool)


@dataclass(frozen=True)
class ProjectInfo:
    """What the scan needs of a project entity."""

    id: int
    path: str
    web_url: str
    default_branch: str | None
    ci_config_path: str | None
    empty: bool
    problem: str | None = None
    """Why GitLab gave no entity for a listed project (``--projects``): it is recorded as
    unreadable with this reason, and the scan goes on."""

    @classmethod
    def from_api(cls, entity: Mapping[str, Any]) -> ProjectInfo:
        branch = entity.get("default_branch")
        config = entity.get("ci_config_path")
        return cls(
            id=int(entity["id"]),
            path=str(entity.get("path_with_namespace") or entity["id"]),
            web_url=str(entity.get("web_url") or ""),
            default_branch=branch if isinstance(branch, str) and branch else None,
            ci_config_path=config if isinstance(config, str) and config else None,
            empty=bool(entity.get("empty_repo")),
        )

    @classmethod
    def refused(cls, name: str, reason: str) -> ProjectInfo:
        """A listed project GitLab refused: its id as listed, else a negative number derived
        from the name (stable, so every shard and every rerun gives it the same record)."""
        return cls(
            id=int(name) if name.isdigit() else listed_key(name),
            path=name,
            web_url="",
            default_branch=None,
            ci_config_path=None,
            empty=False,
            problem=reason,
        )


def listed_key(name: str) -> int:
    """A negative id for a listed project name GitLab did not answer for."""
    import hashlib

    return -(int.from_bytes(hashlib.sha256(name.encode()).digest()[:6], "big") + 1)


@dataclass(frozen=True)
class Listing:
    """Which projects to scan: a group (with or without subgroups), the instance, or a list."""

    group: str | None = None
    subgroups: bool = False
    instance: bool = False
    projects: tuple[str, ...] = ()
    archived: bool = False


@dataclass(frozen=True)
class RepoFile:
    """A file at a ref: its bytes and git blob id."""

    content: bytes
    blob_id: str


class ScanClient:
    """python-gitlab with the scan's politeness, and the runner details read once each."""

    def __init__(
        self,
        session: Session,
        *,
        deadline: Deadline,
        workers: int = 4,
        retries: int = 5,
        backoff: float = 0.5,
        throttle: Throttle | None = None,
    ) -> None:
        self.session = session
        self.deadline = deadline
        self.throttle = throttle or Throttle()
        adapter = polite_adapter(
            self.throttle, deadline, retries=retries, backoff=backoff, pool=max(workers, 1)
        )
        adapter.guard(session.gl.session.get_adapter("https://"))  # type: ignore[attr-defined]
        session.gl.session.mount("http://", adapter)
        session.gl.session.mount("https://", adapter)
        self._lock = threading.Lock()
        self._runners: dict[int, tuple[Runner, str]] = {}
        self._runner_locks: dict[int, threading.Lock] = {}
        self.requests_made = 0
        self.workers = max(workers, 1)

    # --- projects -------------------------------------------------------------------------

    def projects(self, listing: Listing) -> list[ProjectInfo]:
        """The projects ``listing`` names, ordered by id (each once)."""
        filters: dict[str, Any] = {"order_by": "id", "sort": "asc"}
        if not listing.archived:
            filters["archived"] = "false"
        if listing.group is not None:
            if listing.subgroups:
                filters["include_subgroups"] = "true"
            filters["with_shared"] = "false"
            entities = self._list(
                f"/groups/{_quoted(listing.group)}/projects",
                filters,
                f"listing the projects of group {listing.group!r}",
                f"group {listing.group!r} was not found (404): check its full path or id and "
                "that the token's user can see it",
            )
        elif listing.instance:
            entities = self._list(
                "/projects",
                filters,
                "listing the projects of the instance",
                "the projects list was not found (404)",
            )
        else:
            return self._listed(listing.projects)
        found = {int(e["id"]): ProjectInfo.from_api(e) for e in entities if "id" in e}
        return [found[key] for key in sorted(found)]

    def _listed(self, names: tuple[str, ...]) -> list[ProjectInfo]:
        """The listed projects; one GitLab refuses (404, 403, a server error after the
        retries) is kept with the reason, so that the scan records it and goes on. They are
        read ``workers`` at a time, like the projects' files."""
        from concurrent.futures import ThreadPoolExecutor

        def one(name: str) -> ProjectInfo:
            try:
                return ProjectInfo.from_api(self.project(name, refusals=True))
            except Unreadable as exc:
                return ProjectInfo.refused(name, str(exc))

        found: dict[int, ProjectInfo] = {}
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for info in pool.map(one, names):
                found.setdefault(info.id, info)
        return [found[key] for key in sorted(found)]

    def project(self, name: str, *, refusals: bool = False) -> dict[str, Any]:
        """The project entity; with ``refusals``, GitLab's refusal of it (an HTTP answer other
        than 401) is an :class:`Unreadable`."""
        entity = self._get(
            f"/projects/{_quoted(name)}",
            f"reading project {name!r}",
            f"project {name!r} was not found (404): check the id or full path and that the "
            "token's user can see it",
            refusals=refusals,
        )
        if not isinstance(entity, dict) or "id" not in entity:
            raise Unreadable(f"GitLab answered no project entity for {name!r}")
        return entity

    # --- files ----------------------------------------------------------------------------

    def file(self, project: int, path: str, ref: str) -> RepoFile | None:
        """``path`` at ``ref``, or None when GitLab has no such file (404)."""
        entity = self._get(
            f"/projects/{project}/repository/files/{_quoted(path)}",
            f"reading {path!r} of project #{project}",
            f"{path!r} was not found in project #{project}",
            query={"ref": ref},
            none_if_missing=True,
        )
        if entity is None:
            return None
        content = entity.get("content") if isinstance(entity, dict) else None
        if not isinstance(content, str):
            raise Unreadable(f"GitLab answered no content for {path!r} of project #{project}")
        try:
            data = base64.b64decode(content, validate=True)
        except ValueError:
            raise Unreadable(f"{path!r} of project #{project} is not valid base64") from None
        return RepoFile(data, str(entity.get("blob_id") or ""))

    def blob_id(self, project: int, path: str, ref: str) -> str | None:
        """The git blob id of ``path`` at ``ref`` without its content (``HEAD`` of the files
        API answers ``X-Gitlab-Blob-Id``), or None when GitLab has no such file (404)."""
        import gitlab.exceptions
        import requests

        url = f"/projects/{project}/repository/files/{_quoted(path)}"
        action = f"reading the blob id of {path!r} of project #{project}"
        missing = f"{path!r} was not found in project #{project}"
        self._count()
        try:
            response = self.session.gl.http_request(
                "head", url, query_data={"ref": ref}, obey_rate_limit=False
            )
        except gitlab.exceptions.GitlabHttpError as exc:
            if exc.response_code == 404:
                return None
            raise self.session.fail(exc, action, missing=missing) from None
        except (
            gitlab.exceptions.GitlabError,
            requests.exceptions.RequestException,
            Refused,
        ) as exc:
            raise self.session.fail(exc, action, missing=missing) from None
        return str(response.headers.get("X-Gitlab-Blob-Id") or "")

    def tree(self, project: int, ref: str) -> list[str]:
        """Every file path of ``project`` at ``ref`` (for wildcard local includes)."""
        entries = self._list(
            f"/projects/{project}/repository/tree",
            {"recursive": "true", "ref": ref},
            f"listing the files of project #{project}",
            f"the files of project #{project} were not found (404)",
        )
        return sorted(str(e["path"]) for e in entries if e.get("type") == "blob" and "path" in e)

    # --- runners --------------------------------------------------------------------------

    def runners(self, project: int) -> tuple[tuple[Runner, str], ...]:
        """The runners ``project`` may use, with their type (``instance_type``...), by id."""
        summaries = self._list(
            f"/projects/{project}/runners",
            {},
            f"listing the runners of project #{project}",
            f"the runners of project #{project} were not found (404)",
        )
        ids = sorted({int(s["id"]) for s in summaries if "id" in s})
        return tuple(self._runner(runner_id) for runner_id in ids)

    def _runner(self, runner_id: int) -> tuple[Runner, str]:
        with self._lock:
            known = self._runners.get(runner_id)
            if known is not None:
                return known
            lock = self._runner_locks.setdefault(runner_id, threading.Lock())
        with lock:  # one thread reads it, the others wait for its answer
            with self._lock:
                known = self._runners.get(runner_id)
            if known is not None:
                return known
            detail = self._get(
                f"/runners/{runner_id}",
                f"reading runner #{runner_id}",
                f"runner #{runner_id} was not found (404); it was probably deleted",
            )
            if not isinstance(detail, dict):
                raise CigenError(f"GitLab answered no runner entity for #{runner_id}")
            found = (runner_from_api(detail), str(detail.get("runner_type") or ""))
            with self._lock:
                self._runners[runner_id] = found
            return found

    # --- HTTP -----------------------------------------------------------------------------

    def _get(
        self,
        path: str,
        action: str,
        missing: str,
        *,
        query: Mapping[str, Any] | None = None,
        none_if_missing: bool = False,
        refusals: bool = False,
    ) -> Any:
        import gitlab.exceptions
        import requests

        self._count()
        try:
            return self.session.gl.http_get(
                path, query_data=dict(query or {}), obey_rate_limit=False
            )
        except gitlab.exceptions.GitlabHttpError as exc:
            if none_if_missing and exc.response_code == 404:
                return None
            failure = self.session.fail(exc, action, missing=missing)
            if refusals and exc.response_code != 401:
                raise Unreadable(str(failure)) from None
            raise failure from None
        except (
            gitlab.exceptions.GitlabError,
            requests.exceptions.RequestException,
            Refused,
        ) as exc:
            raise self.session.fail(exc, action, missing=missing) from None

    def _list(
        self, path: str, query: Mapping[str, Any], action: str, missing: str
    ) -> list[dict[str, Any]]:
        """Every item of a list, by page number, at most :data:`MAX_LIST_PAGES` pages."""
        self._count()
        return self.session.pages(
            path, action, missing=missing, query=query, noun="items", max_pages=MAX_LIST_PAGES
        )

    def _count(self) -> None:
        with self._lock:
            self.requests_made += 1


def _quoted(value: str) -> str:
    return quote(value, safe="")
