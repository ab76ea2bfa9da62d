"""The GitLab REST API for runners, through python-gitlab: read a project's live inventory,
and create and update the runners an inventory manages.

``GET /projects/:id/runners`` lists every runner available to the project (its project runners,
group runners of its group and ancestors, allowed instance runners) but only as a summary; the
matching facts (``tag_list``, ``run_untagged``, ``access_level``) are in ``GET /runners/:id``,
so each runner's details are read too. Listing runners needs the Maintainer role on the project
and a token with the ``read_api`` scope.

For ``cigen runners apply``/``diff`` (:func:`live_runners`, :func:`create_runner`,
:func:`update_runner`): each managed scope's runners are listed with a ``type`` filter
(``GET /projects/:id/runners``, ``GET /groups/:id/runners``, ``GET /runners/all``) and read in
detail; ``POST /user/runners`` creates a runner and returns its token once (``lib/api/
user_runners.rb``); ``PUT /runners/:id`` sets fields (``lib/api/ci/runners.rb``). These need a
token with the ``api`` scope (or ``create_runner``, ``manage_runner`` and ``read_api``).

``python-gitlab`` (and ``requests``) are imported inside the functions only, so that commands
that never talk to GitLab do not pay for the import.

Environment: this module never reads ``os.environ``. The caller passes the environment in
``env`` (the CLI passes ``os.environ``); explicit arguments win over it:

- URL: ``url``, else ``GITLAB_URL``, else ``CI_SERVER_URL``;
- token: ``token``, else ``GITLAB_TOKEN`` (surrounding whitespace is stripped);
- project: ``project``, else ``CI_PROJECT_ID``.

With ``config_section``, URL and credentials come from that python-gitlab config section
instead; the project still comes from ``project``/``CI_PROJECT_ID``.

The server is not trusted (issue 11): the token goes only to the configured scheme, host and
port (a redirect elsewhere is refused before anything is sent; lists are read by page number,
never by following the server's ``Link`` URLs); every response is read up to
:data:`MAX_RESPONSE_BYTES`; a session has a deadline (``deadline`` seconds, default
:data:`DEADLINE`) besides the per-request ``timeout``, kept even by a server that drips its
answer; at most :data:`MAX_PAGES` pages of a list are read; rate-limit answers (``429`` with
``Retry-After``) and server errors are reported, never waited for or retried.

Every failure is a :class:`CigenError` that says what to check. Secrets (the token, the URL's
credentials in every spelling, runner tokens once created, anything that looks like a token)
never appear in messages, warnings or tracebacks (:mod:`cigen.redact`).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from cigen.errors import CigenError
from cigen.records import dataclass
from cigen.redact import environment_secrets, scrub, url_secrets
from cigen.runners.inventory import Runner, Scope, make_runner
from cigen.runners.sync import LiveRunner

if TYPE_CHECKING:
    import gitlab

__all__ = [
    "Refused",
    "Session",
    "api_tags",
    "connect",
    "create_runner",
    "fetch_inventory",
    "guard_adapter_class",
    "live_runners",
    "runner_from_api",
    "update_runner",
]

#: Runners listed per page (GitLab's maximum).
PER_PAGE = 100
#: Pages of the runner list read at most (10,000 runners).
MAX_PAGES = 100
#: Bytes of one response read at most.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: Seconds the whole inventory read may take.
DEADLINE = 120.0
#: Seconds one answer may take to arrive in full (a server dripping it byte by byte).
MAX_RESPONSE_SECONDS = 120.0
SLOW = f"took more than {MAX_RESPONSE_SECONDS:g} s to send one answer"
#: Redirects followed (on the configured host only).
MAX_REDIRECTS = 5
#: GitLab's limits on a runner's tags (``Ci::Runner`` ``TAG_LIST_MAX_LENGTH``; tag names are at
#: most 255 characters); the inventory schema allows 50 tags of at most 1,024 characters.
MAX_TAGS = 50
MAX_TAG_LENGTH = 1024


class Refused(Exception):
    """A request cigen will not make or finish (another host, too large, too late)."""


@dataclass(frozen=True)
class Origin:
    """Where the token may go: scheme, host and port of the configured URL."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        return cls(scheme, (parts.hostname or "").lower(), port)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def fetch_inventory(
    *,
    url: str | None = None,
    token: str | None = None,
    project: str | None = None,
    config_section: str | None = None,
    config_files: Sequence[str] | None = None,
    timeout: float = 10,
    deadline: float = DEADLINE,
    env: Mapping[str, str] | None = None,
) -> tuple[Runner, ...]:
    """All runners available to ``project``, with their matching facts, as :class:`Runner`.

    ``timeout`` (seconds) applies to each HTTP request, ``deadline`` to the whole read. Runner
    names come from the API's ``name``, else ``description``, else ``runner-<id>``; names used
    by several runners get ``-<id>`` appended. The result is ordered by runner id.
    """
    environ: Mapping[str, str] = env if env is not None else {}
    project_id = (project or environ.get("CI_PROJECT_ID") or "").strip()
    if not project_id:
        raise CigenError(
            "no GitLab project given: pass the project (numeric id or full path such as "
            "group/app) or set CI_PROJECT_ID"
        ) from None
    session = connect(
        url=url,
        token=token,
        config_section=config_section,
        config_files=config_files,
        timeout=timeout,
        deadline=deadline,
        env=environ,
        needs="the read_api scope whose user is a Maintainer of the project",
    )
    with session.gl:
        return _fetch(session, project_id)


@dataclass
class Session:
    """A python-gitlab client talking to one origin only, with what error messages need: the
    URL to show, the secrets to mask (the API token, the URL's credentials, and runner tokens
    once created), the timeout and the deadline."""

    gl: gitlab.Gitlab
    secrets: list[str]
    timeout: float
    shown: str = ""
    deadline: float | None = DEADLINE

    def fail(
        self, exc: Exception, action: str, *, missing: str, forbidden: str | None = None
    ) -> CigenError:
        """The :class:`CigenError` for ``exc`` raised while doing ``action``."""
        return _failure(
            exc,
            action,
            missing=missing,
            url=self.shown,
            secrets=self.secrets,
            timeout=self.timeout,
            deadline=self.deadline,
            forbidden=forbidden,
        )

    @contextmanager
    def errors(
        self,
        action: str,
        *,
        missing: str,
        forbidden: str | None = None,
        not_found: str | None = None,
    ) -> Iterator[None]:
        """Every failure inside becomes one :class:`CigenError` line (a 404 the
        :class:`NotFound` ``not_found`` when given); cigen's own errors pass as they are."""
        try:
            yield
        except CigenError:
            raise
        except Exception as exc:  # python-gitlab, requests, or the guard: all become one line
            if not_found is not None and getattr(exc, "response_code", None) == 404:
                raise NotFound(not_found) from None
            raise self.fail(exc, action, missing=missing, forbidden=forbidden) from None

    def get(
        self,
        path: str,
        action: str,
        *,
        missing: str,
        query: Mapping[str, Any] | None = None,
        forbidden: str | None = None,
        not_found: str | None = None,
    ) -> tuple[Any, Mapping[str, str]]:
        """``GET path``: the decoded JSON and the headers; every failure a :class:`CigenError`
        (see :meth:`errors`)."""
        with self.errors(action, missing=missing, forbidden=forbidden, not_found=not_found):
            response = self.gl.http_request(
                "get",
                path,
                query_data=dict(query or {}),
                obey_rate_limit=False,
                retry_transient_errors=False,
            )
            return response.json(), response.headers

    def pages(
        self,
        path: str,
        action: str,
        *,
        missing: str,
        query: Mapping[str, Any] | None = None,
        forbidden: str | None = None,
        not_found: str | None = None,
        noun: str = "runners",
        max_pages: int = MAX_PAGES,
    ) -> list[dict[str, Any]]:
        """Every item of a list, page by page (by number: the server's ``Link`` URLs are not
        followed), at most ``max_pages`` pages; ``noun`` names the items in messages."""
        items: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            found, headers = self.get(
                path,
                action,
                missing=missing,
                query={**(query or {}), "page": page, "per_page": PER_PAGE},
                forbidden=forbidden,
                not_found=not_found,
            )
            if not isinstance(found, list) or not all(isinstance(i, dict) for i in found):
                raise _unexpected(self.shown, action, f"a list that is not a list of {noun}")
            items += found
            following = headers.get("X-Next-Page")
            if following is not None:
                if not following.strip() or not found:
                    return items
            elif len(found) < PER_PAGE:
                return items
        raise CigenError(
            f"GitLab at {self.shown} answers more than {max_pages} pages while {action}; "
            f"cigen reads at most {max_pages * PER_PAGE:,} {noun}"
        ) from None

    def detail(
        self, runner_id: int, action: str, *, missing: str, forbidden: str | None = None
    ) -> dict[str, Any]:
        """``GET /runners/:id``, checked to be that runner with tags GitLab would hold."""
        found, _headers = self.get(
            f"/runners/{runner_id}", action, missing=missing, forbidden=forbidden
        )
        if not isinstance(found, dict) or _runner_id(found) != runner_id:
            raise _unexpected(
                self.shown, action, f"a runner detail that is not runner #{runner_id}"
            )
        try:
            api_tags(found.get("tag_list"))
        except ValueError as exc:
            raise _unexpected(
                self.shown, action, f"a runner GitLab would not hold ({exc})"
            ) from None
        return found


def connect(
    *,
    url: str | None = None,
    token: str | None = None,
    config_section: str | None = None,
    config_files: Sequence[str] | None = None,
    timeout: float = 10,
    deadline: float | None = DEADLINE,
    env: Mapping[str, str] | None = None,
    needs: str = "the read_api scope",
) -> Session:
    """A client for the GitLab that ``url``/``token``, the environment or ``config_section``
    name (see the module documentation); ``needs`` says what the token needs, for messages.

    Its session sends only to the configured origin, reads at most
    :data:`MAX_RESPONSE_BYTES` per answer and nothing after ``deadline`` seconds (``None``:
    no deadline for the session, for callers with their own, as ``cigen scan``).
    """
    import gitlab
    import gitlab.config

    environ: Mapping[str, str] = env if env is not None else {}
    secrets = environment_secrets(environ)
    if token:
        secrets += [token, token.strip()]
    credentials: dict[str, Any] = {}
    if config_section is not None:
        if url or token:
            raise CigenError(
                "give either a python-gitlab config section or a GitLab URL and token, not both"
            ) from None
        files = list(config_files) if config_files is not None else None
        where = ", ".join(files) if files else "python-gitlab's default config files"
        try:
            config = gitlab.config.GitlabConfigParser(gitlab_id=config_section, config_files=files)
        except (gitlab.config.ConfigError, ValueError, TypeError, OSError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise CigenError(
                f"python-gitlab config section {config_section!r} is unusable: "
                f"{scrub(reason, secrets)[:300]}. Check the section name and its url, "
                f"private_token and timeout in {where}"
            ) from None
        base_url = str(config.url or "")
        for key in ("private_token", "oauth_token", "job_token"):
            value = getattr(config, key, None)
            if value:
                secrets.append(str(value))
                credentials[key] = _checked_token(str(value), f"{key} of section {config_section}")
        if config.http_username and config.http_password:
            secrets.append(str(config.http_password))
            credentials["http_username"] = str(config.http_username)
            credentials["http_password"] = str(config.http_password)
        credentials["ssl_verify"] = config.ssl_verify
        what = f"the url of python-gitlab config section {config_section!r}"
    else:
        base_url = url or environ.get("GITLAB_URL") or environ.get("CI_SERVER_URL") or ""
        what = (
            "the GitLab URL"
            if url
            else "GITLAB_URL"
            if environ.get("GITLAB_URL")
            else ("CI_SERVER_URL")
        )
        if not base_url.strip():
            raise CigenError(
                "no GitLab URL given: pass the URL, set GITLAB_URL (or CI_SERVER_URL), "
                "or name a python-gitlab config section"
            ) from None
        api_token = token or environ.get("GITLAB_TOKEN") or ""
        if not api_token.strip():
            raise CigenError(
                f"no GitLab token given: set GITLAB_TOKEN to a token with {needs}, "
                "or name a python-gitlab config section"
            ) from None
        credentials["private_token"] = _checked_token(api_token, "GITLAB_TOKEN")
    secrets += url_secrets(base_url)
    base_url, shown = _checked_url(base_url, what, secrets)
    session = _guarded_session(Origin.of(base_url), deadline)
    gl = gitlab.Gitlab(
        base_url,
        timeout=timeout,
        session=session,
        retry_transient_errors=False,
        keep_base_url=False,
        **credentials,
    )
    return Session(gl, secrets, timeout, shown, deadline)


def _checked_token(raw: str, what: str) -> str:
    """The token without surrounding whitespace; refused if it holds anything else odd."""
    value = raw.strip()
    if not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
        raise CigenError(
            f"{what} holds whitespace, control or non-ASCII characters inside the token; a "
            "GitLab token never does: check how the variable is set"
        ) from None
    return value


def _checked_url(raw: str, what: str, secrets: Sequence[str]) -> tuple[str, str]:
    """``(url, url as shown)``: an http(s) URL with a host and a valid port, else exit 2."""
    value = raw.strip()
    shown = _display_url(value, secrets)
    problem = ""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        parts, port = None, None
        problem = "its port is not a number from 1 to 65535"
    if parts is not None and not problem:
        if not value.isprintable() or any(c.isspace() for c in value):
            problem = "it holds whitespace or control characters"
        elif parts.scheme.lower() not in ("http", "https"):
            problem = "it must start with https:// (or http://)"
        elif not parts.hostname:
            problem = "it names no host"
        elif port == 0:
            problem = "its port is not a number from 1 to 65535"
    if problem:
        raise CigenError(
            f"{what} {shown!r} is not a usable GitLab URL: {problem}; give the server's URL, "
            "such as https://gitlab.example.com"
        ) from None
    return value, shown


def _display_url(url: str, secrets: Sequence[str]) -> str:
    """``url`` without user information (``user:password@``), and cut to 200 characters."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return scrub(url, secrets)[:200]
    if parts.username is None and parts.password is None:
        return scrub(url, secrets)[:200]
    netloc = f"{host}:{port}" if port is not None else host
    return scrub(urlunsplit(parts._replace(netloc=netloc)), secrets)[:200]


@cache
def guard_adapter_class() -> type[Any]:
    """The ``HTTPAdapter`` of every session :func:`connect` makes: it sends to one origin
    only, reads at most :data:`MAX_RESPONSE_BYTES` per answer, and nothing after the session's
    deadline or :data:`MAX_RESPONSE_SECONDS` for one answer. A subclass may set
    ``refuse_rate_limits`` to false to see ``429`` answers and wait itself (``cigen scan``)."""
    return _adapter_class()


@cache
def _adapter_class() -> type[Any]:
    from requests.adapters import HTTPAdapter

    class Guard(HTTPAdapter):
        origin: Origin
        deadline_at: float = float("inf")
        late: str = ""
        refuse_rate_limits: bool = True

        def guard(self, source: Any) -> None:
            """Take over ``source``'s origin and deadline (a guard this one replaces)."""
            self.origin = source.origin
            self.deadline_at = source.deadline_at
            self.late = source.late

        def send(
            self,
            request: Any,
            stream: bool = False,
            timeout: Any = None,
            verify: Any = True,
            cert: Any = None,
            proxies: Any = None,
        ) -> Any:
            target = Origin.of(request.url)
            if target != self.origin:
                raise Refused(
                    f"was sent elsewhere ({target.scheme}://{target.host}:{target.port}, by a "
                    f"redirect or a link); cigen sends the token only to {self.origin}"
                )
            left = self.deadline_at - time.monotonic()
            if left <= 0:
                raise Refused(self.late)
            if isinstance(timeout, (int, float)):
                timeout = min(float(timeout), left)
            response = super().send(request, True, timeout, verify, cert, proxies)
            if response.status_code == 429 and self.refuse_rate_limits:
                response.close()
                raise Refused("answered 429 Too Many Requests (cigen does not wait and retry)")
            stop = min(self.deadline_at, time.monotonic() + MAX_RESPONSE_SECONDS)
            late = self.late if stop == self.deadline_at else SLOW
            read_capped(response, stop, late)
            return response

    return Guard


def read_capped(
    response: Any, deadline_at: float, late: str, limit: int = MAX_RESPONSE_BYTES
) -> None:
    """Read the body now: at most ``limit`` bytes, and nothing after the deadline (each read
    returns what has arrived, so a dripping server is cut off); :class:`Refused` (``late`` past
    the deadline) otherwise."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise Refused(f"sent a response of {int(declared):,} bytes")
    body = bytearray()
    raw = response.raw
    while True:
        if time.monotonic() > deadline_at:
            response.close()
            raise Refused(late)
        chunk = raw.read1(64 * 1024, decode_content=True)
        if not chunk:
            break
        body += chunk
        if len(body) > limit:
            response.close()
            raise Refused(f"sent a response over {limit:,} bytes")
    response._content = bytes(body)  # what requests' ``.content`` returns from now on
    response._content_consumed = True  # and ``iter_content`` too


def _guarded_session(origin: Origin, deadline: float | None) -> Any:
    import requests

    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    session.headers["Accept-Encoding"] = "identity"
    adapter = _adapter_class()()
    adapter.origin = origin
    if deadline is not None:
        adapter.deadline_at = time.monotonic() + deadline
        adapter.late = f"did not finish answering within {deadline:g} s, the time cigen allows"
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def runner_from_api(detail: Mapping[str, Any], name: str | None = None) -> Runner:
    """Map a ``GET /runners/:id`` detail entity to a :class:`Runner`.

    ``protected`` is ``access_level == "ref_protected"``; ``paused`` is the ``paused`` field,
    else ``not active``; ``name`` defaults to the entity's ``name``, else its
    ``description``, else ``runner-<id>``. Tags are :func:`api_tags`.
    """
    paused_field = detail.get("paused")
    paused = paused_field if isinstance(paused_field, bool) else detail.get("active") is False
    run_untagged = detail.get("run_untagged")
    description = detail.get("description")
    return make_runner(
        name if name is not None else _base_name(detail),
        api_tags(detail.get("tag_list")),
        run_untagged=run_untagged if isinstance(run_untagged, bool) else None,
        paused=bool(paused),
        protected=detail.get("access_level") == "ref_protected",
        id=_runner_id(detail),
        description=description if isinstance(description, str) and description else None,
    )


def api_tags(raw: object) -> list[str]:
    """A runner's ``tag_list`` as tags: a list, or a comma-separated string (as the API
    accepts it); each tag stripped, empty ones and repeats dropped.

    A tag that is not text, longer than :data:`MAX_TAG_LENGTH`, or more than :data:`MAX_TAGS`
    tags are not a runner GitLab would have: :class:`ValueError`.
    """
    if raw is None:
        return []
    items: list[object]
    if isinstance(raw, str):
        items = list(raw.split(","))
    elif isinstance(raw, list):
        items = []
        for item in raw:
            items += item.split(",") if isinstance(item, str) else [item]
    else:
        raise ValueError(f"tag_list is a {type(raw).__name__}, not a list")
    tags: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise ValueError(f"a tag is a {type(item).__name__}, not text")
        tag = str(item).strip()
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"a tag is {len(tag):,} characters long")
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"{len(tags)} tags, over GitLab's limit of {MAX_TAGS}")
    return tags


def _runner_id(detail: Mapping[str, Any]) -> int | None:
    value = detail.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _fetch(session: Session, project_id: str) -> tuple[Runner, ...]:
    action = f"reading project {project_id!r}"
    project, _headers = session.get(
        f"/projects/{quote(project_id, safe='')}",
        action,
        missing=f"project {project_id!r} was not found (404): check the project id or full "
        "path (group/app) and that the token's user can see the project",
    )
    numeric = _runner_id(project) if isinstance(project, dict) else None
    if numeric is None:
        raise _unexpected(session.shown, action, "a project without a numeric id")
    summaries = session.pages(
        f"/projects/{numeric}/runners",
        f"listing the runners of project {project_id!r}",
        missing=f"the runners of project {project_id!r} were not found (404)",
    )
    ids = sorted({i for i in map(_runner_id, summaries) if i is not None})
    details = [
        session.detail(
            runner_id,
            f"reading runner #{runner_id}",
            missing=f"runner #{runner_id} was not found (404); it was probably deleted while "
            "the inventory was read: try again",
        )
        for runner_id in ids
    ]
    names = _unique_names(details)
    return tuple(runner_from_api(detail, name) for detail, name in zip(details, names, strict=True))


def _unexpected(url: str, action: str, what: str) -> CigenError:
    return CigenError(
        f"GitLab at {url} sent {what} while {action}: check that the URL is the GitLab "
        "server's root (without /api/v4)"
    )


def _base_name(detail: Mapping[str, Any]) -> str:
    for key in ("name", "description"):
        value = detail.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return f"runner-{_runner_id(detail)}"


def _unique_names(details: Sequence[Mapping[str, Any]]) -> list[str]:
    """Base names, with ``-<id>`` appended to every name several runners share."""
    bases = [_base_name(detail) for detail in details]
    counts = Counter(bases)
    names = [
        f"{base}-{_runner_id(detail)}" if counts[base] > 1 else base
        for base, detail in zip(bases, details, strict=True)
    ]
    taken: set[str] = set()
    unique: list[str] = []
    for name, detail in zip(names, details, strict=True):
        while name in taken:  # "x-5" named so by a user, and a second "x" with id 5
            name = f"{name}-{_runner_id(detail)}"
        taken.add(name)
        unique.append(name)
    return unique


def _failure(
    exc: Exception,
    action: str,
    *,
    missing: str,
    url: str,
    secrets: Sequence[str],
    timeout: float,
    deadline: float | None = DEADLINE,
    forbidden: str | None = None,
) -> CigenError:
    """A :class:`CigenError` for ``exc`` raised while doing ``action``; secrets scrubbed.

    ``forbidden`` replaces the explanation of a 403 (what the token and its user need).
    """
    import gitlab.exceptions
    import requests

    if isinstance(exc, Refused):
        text = f"GitLab at {url} {exc} while {action}; nothing more was read"
    elif isinstance(exc, (requests.exceptions.JSONDecodeError, UnicodeDecodeError)):
        text = (
            f"GitLab at {url} sent a response that is not JSON while {action}: check that the "
            "URL is the GitLab server's root (without /api/v4)"
        )
    elif isinstance(exc, gitlab.exceptions.GitlabError):
        code = exc.response_code
        if code == 401 or isinstance(exc, gitlab.exceptions.GitlabAuthenticationError):
            text = (
                f"GitLab at {url} rejected the token (401 Unauthorized) while {action}: check "
                "that the token is valid, not expired or revoked, and has the read_api scope"
            )
        elif code == 403:
            text = f"GitLab at {url} refused access (403 Forbidden) while {action}: " + (
                forbidden
                or "the token needs the read_api scope and its user the Maintainer role "
                "on the project (listing runners requires it)"
            )
        elif code == 404:
            text = f"GitLab at {url}: {missing}"
        else:
            status = f"HTTP {code}" if code else "an error"
            message = _message_text(exc.error_message)
            detail = f": {message}" if message else ""
            text = f"GitLab at {url} answered {status} while {action}{detail}"
    elif isinstance(exc, requests.exceptions.TooManyRedirects):
        text = f"GitLab at {url} redirected more than {MAX_REDIRECTS} times while {action}"
    elif isinstance(exc, requests.exceptions.Timeout):
        text = (
            f"GitLab at {url} did not answer within {timeout:g} s while {action}: check the "
            "URL and the network, or allow a longer timeout"
        )
    elif isinstance(exc, requests.exceptions.ConnectionError):
        text = (
            f"cannot connect to GitLab at {url} while {action} ({_reason(exc)}): check the "
            "URL and that the server is reachable from here"
        )
    elif isinstance(exc, requests.RequestException):
        text = f"GitLab at {url} could not be read while {action} ({_reason(exc)})"
    else:
        text = (
            f"GitLab at {url} sent an answer cigen cannot use while {action} ({type(exc).__name__})"
        )
    return CigenError(scrub(text, secrets))


def _message_text(message: object) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(str(message).split())[:200]


def _reason(exc: BaseException) -> str:
    text = str(exc)
    marker = text.find("[Errno ")
    if marker >= 0:
        tail = text[text.find("]", marker) + 1 :].strip()
        return tail.split("'")[0].split('"')[0].split(")")[0].strip() or "refused"
    if "timed out" in text.lower():
        return "timed out"
    return " ".join(text.split())[:200] or type(exc).__name__


# --- managing runners (cigen runners apply / diff) ----------------------------------------------

MANAGE_NEEDS = (
    "the api scope (or create_runner, manage_runner and read_api) whose user may create "
    "runners in each runner's scope"
)
_MANAGE_FORBIDDEN = (
    "creating and changing runners needs a token with the api scope (or create_runner, "
    "manage_runner and read_api) whose user is a Maintainer of the project, an Owner of the "
    "group, or an administrator for instance runners; for others, runner registration must "
    "also be allowed for the project or group"
)


def live_runners(
    session: Session, scopes: Iterable[Scope]
) -> tuple[dict[Scope, int], dict[Scope, tuple[LiveRunner, ...]]]:
    """For each scope: the owner's numeric id (for groups and projects) and GitLab's runners
    of the scope's type there, with their details (the lists lack tags and flags)."""
    owners: dict[Scope, int] = {}
    found: dict[Scope, tuple[LiveRunner, ...]] = {}
    for scope in dict.fromkeys(scopes):
        summaries = _scope_runners(session, scope, owners)
        ids = sorted(
            {
                runner_id
                for summary in summaries
                if summary.get("runner_type", scope.runner_type) == scope.runner_type
                and (runner_id := _runner_id(summary)) is not None
            }
        )
        found[scope] = tuple(
            _live(
                session.detail(
                    runner_id,
                    f"reading runner #{runner_id}",
                    missing=f"runner #{runner_id} was not found (404); it was probably deleted: "
                    "try again",
                    forbidden=_MANAGE_FORBIDDEN,
                )
            )
            for runner_id in ids
        )
    return owners, found


def _scope_runners(
    session: Session, scope: Scope, owners: dict[Scope, int]
) -> list[dict[str, Any]]:
    query = {"type": scope.runner_type}
    if scope.kind == "instance":
        return session.pages(
            "/runners/all",
            "listing the instance runners",
            missing="the instance runners were not found (404)",
            query=query,
            forbidden="listing instance runners needs an administrator's token",
        )
    action = f"reading {scope}"
    owner, _headers = session.get(
        f"/{scope.kind}s/{quote(str(scope.owner), safe='')}",
        action,
        missing=f"{scope} was not found (404): check the id or full path and that the "
        "token's user can see it",
    )
    owner_id = _runner_id(owner) if isinstance(owner, dict) else None
    if owner_id is None:
        raise _unexpected(session.shown, action, f"a {scope.kind} without a numeric id")
    owners[scope] = owner_id
    return session.pages(
        f"/{scope.kind}s/{owner_id}/runners",
        f"listing the runners of {scope}",
        missing=f"the runners of {scope} were not found (404)",
        query=query,
        forbidden=_MANAGE_FORBIDDEN,
    )


def _live(detail: Mapping[str, Any]) -> LiveRunner:
    paused_field = detail.get("paused")
    paused = paused_field if isinstance(paused_field, bool) else not detail.get("active", True)
    timeout = detail.get("maximum_timeout")
    return LiveRunner(
        id=int(detail["id"]),
        description=str(detail.get("description") or ""),
        runner_type=str(detail.get("runner_type") or ""),
        tag_list=tuple(api_tags(detail.get("tag_list"))),
        run_untagged=bool(detail.get("run_untagged")),
        locked=bool(detail.get("locked")),
        access_level=str(detail.get("access_level") or "not_protected"),
        maximum_timeout=timeout if isinstance(timeout, int) else None,
        paused=bool(paused),
    )


def create_runner(session: Session, runner: Runner, owners: Mapping[Scope, int]) -> tuple[int, str]:
    """Create ``runner`` with ``POST /user/runners``: its new id and authentication token.

    The token is added to the session's secrets, so no later message can show it.
    """
    import gitlab.exceptions
    import requests

    from cigen.runners.sync import creation_fields

    assert runner.scope is not None
    body = creation_fields(runner)
    if runner.scope.kind != "instance":
        body[f"{runner.scope.kind}_id"] = owners[runner.scope]
    action = f"creating runner {runner.name!r} ({runner.scope})"
    try:
        if session.gl.user is None:
            session.gl.auth()
        user: Any = session.gl.user
        created = user.runners.create(body, obey_rate_limit=False)
    except (gitlab.exceptions.GitlabError, requests.exceptions.RequestException, Refused) as exc:
        raise session.fail(
            exc, action, missing=f"{runner.scope} was not found (404)", forbidden=_MANAGE_FORBIDDEN
        ) from None
    token = str(created.token)
    session.secrets.append(token)
    return int(created.id), token


def update_runner(session: Session, runner_id: int, fields: Mapping[str, Any]) -> None:
    """Set ``fields`` of runner ``runner_id`` (``PUT /runners/:id``)."""
    import gitlab.exceptions
    import requests

    try:
        session.gl.runners.update(runner_id, dict(fields), obey_rate_limit=False)
    except (gitlab.exceptions.GitlabError, requests.exceptions.RequestException, Refused) as exc:
        raise session.fail(
            exc,
            f"updating runner #{runner_id}",
            missing=f"runner #{runner_id} was not found (404); it was probably deleted: try again",
            forbidden=_MANAGE_FORBIDDEN,
        ) from None


# --- fetching external includes (cigen fetch) ---------------------------------------------------


class NotFound(CigenError):
    """GitLab answered 404 for an include's project, ref, file or template."""


def pin_host(session: Session) -> None:
    """Refuse any redirect away from the configured GitLab (scheme, host and port): the
    client sends its token with every request, and a redirect must never carry it elsewhere."""
    base = urlsplit(session.gl.url)
    home = (base.scheme, base.hostname, base.port)

    def guard(response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.is_redirect:
            target = urlsplit(response.headers.get("location") or "")
            if target.netloc and (target.scheme, target.hostname, target.port) != home:
                raise CigenError(
                    f"GitLab at {session.shown} redirected a request to another "
                    f"host ({target.hostname}); cigen sends the token only to the configured "
                    "GitLab: use that host's URL instead"
                )
        return response

    session.gl.session.hooks["response"].append(guard)


def _quoted(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _api_get(session: Session, path: str, action: str, missing: str) -> Any:
    """``GET`` an API path (already encoded); a 404 raises :class:`NotFound` with ``missing``."""
    return session.get(path, action, missing=missing, not_found=missing)[0]


def ref_commit(session: Session, project: str, ref: str) -> str:
    """The commit SHA ``ref`` (branch, tag, SHA or ``HEAD``) of ``project`` points to now."""
    found = _api_get(
        session,
        f"/projects/{_quoted(project)}/repository/commits/{_quoted(ref)}",
        f"reading ref {ref!r} of project {project!r}",
        f"Project `{project}` reference `{ref}` does not exist!",
    )
    sha = found.get("id") if isinstance(found, dict) else None
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
        raise CigenError(f"GitLab answered no commit for ref {ref!r} of project {project!r}")
    return sha


def repository_file(session: Session, project: str, path: str, sha: str, limit: int) -> bytes:
    """The raw content of ``path`` in ``project`` at commit ``sha``, at most ``limit`` bytes."""
    url = f"/projects/{_quoted(project)}/repository/files/{_quoted(path)}/raw"
    action = f"reading {path!r} of project {project!r}"
    missing = f"Project `{project}` file `{path}` does not exist!"
    with session.errors(action, missing=missing, not_found=missing):
        response = session.gl.http_get(
            url, query_data={"ref": sha}, streamed=True, raw=True, obey_rate_limit=False
        )
        return _bounded_body(response, limit, f"{project}:{path}")


def _bounded_body(response: Any, limit: int, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > limit:
                raise CigenError(f"{what} is over the limit of {limit:,} bytes")
            chunks.append(chunk)
    finally:
        response.close()
    return b"".join(chunks)


def ci_template(session: Session, name: str) -> str:
    """The content of GitLab's CI template ``name`` (without the ``.gitlab-ci.yml`` suffix)."""
    found = _api_get(
        session,
        f"/templates/gitlab_ci_ymls/{_quoted(name)}",
        f"reading CI template {name!r}",
        f"Included file `{name}.gitlab-ci.yml` is empty or does not exist!",
    )
    content = found.get("content") if isinstance(found, dict) else None
    if not isinstance(content, str):
        raise NotFound(f"Included file `{name}.gitlab-ci.yml` is empty or does not exist!")
    return content


def releases(session: Session, project: str) -> list[tuple[str, str]]:
    """``(tag, commit SHA)`` of each release of ``project``, newest first as GitLab lists them
    (at most :data:`MAX_PAGES` pages, read by page number)."""
    missing = f"Project `{project}` not found or access denied!"
    items = session.pages(
        f"/projects/{_quoted(project)}/releases",
        f"listing the releases of project {project!r}",
        missing=missing,
        not_found=missing,
        noun="releases",
    )
    out: list[tuple[str, str]] = []
    for item in items:
        tag, commit = item.get("tag_name"), item.get("commit")
        sha = commit.get("id") if isinstance(commit, dict) else None
        if isinstance(tag, str) and isinstance(sha, str):
            out.append((tag, sha))
    return out
