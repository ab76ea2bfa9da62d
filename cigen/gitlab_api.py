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
- token: ``token``, else ``GITLAB_TOKEN``;
- project: ``project``, else ``CI_PROJECT_ID``.

With ``config_section``, URL and token come from that python-gitlab config section instead
(``gitlab.Gitlab.from_config``); the project still comes from ``project``/``CI_PROJECT_ID``.

Every failure is a :class:`CigenError` that says what to check. Secrets (the token, and
anything that looks like a token or URL credentials) never appear in messages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from cigen.errors import CigenError
from cigen.runners.inventory import Runner, Scope, make_runner
from cigen.runners.sync import LiveRunner

if TYPE_CHECKING:
    import gitlab

__all__ = [
    "Session",
    "connect",
    "create_runner",
    "fetch_inventory",
    "live_runners",
    "runner_from_api",
    "update_runner",
]

MASK = "[MASKED]"

_SECRET_FIELD = re.compile(
    r"(?i)((?:private|job|oauth|access)[-_]?token|authorization|password)"
    r"""(["']?\s*[:=]\s*["']?(?:bearer\s+)?)[^\s&"',;}]+"""
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
# Prefixes of GitLab's token types (personal, OAuth, deploy, runner, CI job, trigger, ...).
_GITLAB_TOKEN = re.compile(
    r"\bgl(?:pat|oas|dt|rt|rtr|cbt|ptt|ft|imt|agent|soat|ffct|tst|wt)-[A-Za-z0-9_-]{8,}"
)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def fetch_inventory(
    *,
    url: str | None = None,
    token: str | None = None,
    project: str | None = None,
    config_section: str | None = None,
    config_files: Sequence[str] | None = None,
    timeout: float = 10,
    env: Mapping[str, str] | None = None,
) -> tuple[Runner, ...]:
    """All runners available to ``project``, with their matching facts, as :class:`Runner`.

    ``timeout`` (seconds) applies to each HTTP request, also with a config section (it replaces
    the section's ``timeout``). Runner names come from the API's ``name``, else
    ``description``, else ``runner-<id>``; names used by several runners get ``-<id>`` appended.
    The result is ordered by runner id.
    """
    environ: Mapping[str, str] = env if env is not None else {}
    project_id = project or environ.get("CI_PROJECT_ID")
    if not project_id:
        raise CigenError(
            "no GitLab project given: pass the project (numeric id or full path such as "
            "group/app) or set CI_PROJECT_ID"
        )

    session = connect(
        url=url,
        token=token,
        config_section=config_section,
        config_files=config_files,
        timeout=timeout,
        env=environ,
        needs="the read_api scope whose user is a Maintainer of the project",
    )
    with session.gl:
        return _fetch(session.gl, project_id, session.secrets, timeout)


@dataclass
class Session:
    """A python-gitlab client, with what error messages need: the URL to show, the secrets
    to mask (the API token, and runner tokens once created) and the timeout."""

    gl: gitlab.Gitlab
    secrets: list[str]
    timeout: float

    def fail(
        self, exc: Exception, action: str, *, missing: str, forbidden: str | None = None
    ) -> CigenError:
        """The :class:`CigenError` for ``exc`` raised while doing ``action``."""
        return _failure(
            exc,
            action,
            missing=missing,
            url=_display_url(self.gl.url),
            secrets=self.secrets,
            timeout=self.timeout,
            forbidden=forbidden,
        )


def connect(
    *,
    url: str | None = None,
    token: str | None = None,
    config_section: str | None = None,
    config_files: Sequence[str] | None = None,
    timeout: float = 10,
    env: Mapping[str, str] | None = None,
    needs: str = "the read_api scope",
) -> Session:
    """A client for the GitLab that ``url``/``token``, the environment or ``config_section``
    name (see the module documentation); ``needs`` says what the token needs, for messages."""
    import gitlab
    import gitlab.config

    environ: Mapping[str, str] = env if env is not None else {}
    secrets: list[str] = []
    if config_section is not None:
        if url or token:
            raise CigenError(
                "give either a python-gitlab config section or a GitLab URL and token, not both"
            )
        files = list(config_files) if config_files is not None else None
        try:
            gl = gitlab.Gitlab.from_config(config_section, files)
        except gitlab.config.ConfigError as exc:
            where = ", ".join(files) if files else "python-gitlab's default config files"
            raise CigenError(
                f"python-gitlab config section {config_section!r} is unusable: "
                f"{_scrub(str(exc), secrets) or type(exc).__name__}. "
                f"Check the section name and its url/private_token in {where}"
            ) from None
        gl.timeout = timeout
        secrets += [
            str(value)
            for value in (gl.private_token, gl.oauth_token, gl.job_token, gl.http_password)
            if value
        ]
    else:
        base_url = url or environ.get("GITLAB_URL") or environ.get("CI_SERVER_URL")
        api_token = token or environ.get("GITLAB_TOKEN")
        if api_token:
            secrets.append(api_token)
        if not base_url:
            raise CigenError(
                "no GitLab URL given: pass the URL, set GITLAB_URL (or CI_SERVER_URL), "
                "or name a python-gitlab config section"
            )
        if not api_token:
            raise CigenError(
                f"no GitLab token given: set GITLAB_TOKEN to a token with {needs}, "
                "or name a python-gitlab config section"
            )
        gl = gitlab.Gitlab(base_url, private_token=api_token, timeout=timeout)
    return Session(gl, secrets, timeout)


def runner_from_api(detail: Mapping[str, Any], name: str | None = None) -> Runner:
    """Map a ``GET /runners/:id`` detail entity to a :class:`Runner`.

    ``protected`` is ``access_level == "ref_protected"``; ``paused`` is the ``paused`` field,
    else ``not active``; ``name`` defaults to the entity's ``name``, else its
    ``description``, else ``runner-<id>``.
    """
    paused_field = detail.get("paused")
    paused = paused_field if isinstance(paused_field, bool) else not detail.get("active", True)
    run_untagged = detail.get("run_untagged")
    description = detail.get("description")
    runner_id = detail.get("id")
    return make_runner(
        name if name is not None else _base_name(detail),
        [str(tag) for tag in detail.get("tag_list") or ()],
        run_untagged=run_untagged if isinstance(run_untagged, bool) else None,
        paused=bool(paused),
        protected=detail.get("access_level") == "ref_protected",
        id=runner_id if isinstance(runner_id, int) else None,
        description=description if isinstance(description, str) and description else None,
    )


def _fetch(
    gl: gitlab.Gitlab, project_id: str, secrets: Sequence[str], timeout: float
) -> tuple[Runner, ...]:
    import gitlab.exceptions
    import requests

    api_errors = (gitlab.exceptions.GitlabError, requests.exceptions.RequestException)
    shown_url = _display_url(gl.url)

    def fail(exc: Exception, action: str, *, missing: str) -> CigenError:
        return _failure(
            exc, action, missing=missing, url=shown_url, secrets=secrets, timeout=timeout
        )

    try:
        project = gl.projects.get(project_id)
    except api_errors as exc:
        raise fail(
            exc,
            f"reading project {project_id!r}",
            missing=(
                f"project {project_id!r} was not found (404): check the project id or full path "
                "(group/app) and that the token's user can see the project"
            ),
        ) from None
    try:
        summaries = project.runners.list(get_all=True, per_page=100)
    except api_errors as exc:
        raise fail(
            exc,
            f"listing the runners of project {project_id!r}",
            missing=f"the runners of project {project_id!r} were not found (404)",
        ) from None

    details: list[dict[str, Any]] = []
    for summary in sorted(summaries, key=lambda item: int(item.id)):
        try:
            details.append(dict(gl.runners.get(summary.id).attributes))
        except api_errors as exc:
            raise fail(
                exc,
                f"reading runner #{summary.id}",
                missing=(
                    f"runner #{summary.id} was not found (404); it was probably deleted "
                    "while the inventory was read: try again"
                ),
            ) from None
    names = _unique_names(details)
    return tuple(runner_from_api(detail, name) for detail, name in zip(details, names, strict=True))


def _base_name(detail: Mapping[str, Any]) -> str:
    for key in ("name", "description"):
        value = detail.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return f"runner-{detail.get('id')}"


def _unique_names(details: Sequence[Mapping[str, Any]]) -> list[str]:
    """Base names, with ``-<id>`` appended to every name several runners share."""
    bases = [_base_name(detail) for detail in details]
    counts = Counter(bases)
    names = [
        f"{base}-{detail.get('id')}" if counts[base] > 1 else base
        for base, detail in zip(bases, details, strict=True)
    ]
    taken: set[str] = set()
    unique: list[str] = []
    for name, detail in zip(names, details, strict=True):
        while name in taken:  # "x-5" named so by a user, and a second "x" with id 5
            name = f"{name}-{detail.get('id')}"
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
    forbidden: str | None = None,
) -> CigenError:
    """A :class:`CigenError` for ``exc`` raised while doing ``action``; secrets scrubbed.

    ``forbidden`` replaces the explanation of a 403 (what the token and its user need).
    """
    import gitlab.exceptions
    import requests

    if isinstance(exc, gitlab.exceptions.GitlabParsingError):
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
    else:
        text = (
            f"cannot use the GitLab URL {url} ({_reason(exc)}): give the server's URL, such "
            "as https://gitlab.example.com"
        )
    return CigenError(_scrub(text, secrets))


def _message_text(message: object) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(str(message).split())[:200]


def _reason(exc: BaseException) -> str:
    text = str(exc)
    found = _ERRNO.search(text)
    if found:
        return found.group(1).strip()
    if "timed out" in text.lower():
        return "timed out"
    return " ".join(text.split())[:200] or type(exc).__name__


def _display_url(url: str) -> str:
    """``url`` without user information (``user:password@``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _scrub(url, ())
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=host))


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with the given secrets, token-like strings and URL credentials masked."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(rf"\1{MASK}@", text)
    text = _SECRET_FIELD.sub(rf"\1\2{MASK}", text)
    return _GITLAB_TOKEN.sub(MASK, text)


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
        details = [
            _detail(session, summary.id)
            for summary in sorted(summaries, key=lambda item: int(item.id))
            if getattr(summary, "runner_type", scope.runner_type) == scope.runner_type
        ]
        found[scope] = tuple(_live(detail) for detail in details)
    return owners, found


def _scope_runners(session: Session, scope: Scope, owners: dict[Scope, int]) -> list[Any]:
    import gitlab.exceptions
    import requests

    api_errors = (gitlab.exceptions.GitlabError, requests.exceptions.RequestException)
    gl = session.gl
    filters: dict[str, Any] = {"get_all": True, "per_page": 100, "type": scope.runner_type}
    if scope.kind == "instance":
        action = "listing the instance runners"
        try:
            return list(gl.runners.all(**filters))
        except api_errors as exc:
            raise session.fail(
                exc,
                action,
                missing="the instance runners were not found (404)",
                forbidden="listing instance runners needs an administrator's token",
            ) from None
    manager: Any = gl.projects if scope.kind == "project" else gl.groups
    try:
        owner = manager.get(scope.owner)
    except api_errors as exc:
        raise session.fail(
            exc,
            f"reading {scope}",
            missing=(
                f"{scope} was not found (404): check the id or full path and that the "
                "token's user can see it"
            ),
        ) from None
    owners[scope] = int(owner.id)
    try:
        return list(owner.runners.list(**filters))
    except api_errors as exc:
        raise session.fail(
            exc,
            f"listing the runners of {scope}",
            missing=f"the runners of {scope} were not found (404)",
            forbidden=_MANAGE_FORBIDDEN,
        ) from None


def _detail(session: Session, runner_id: int) -> dict[str, Any]:
    import gitlab.exceptions
    import requests

    try:
        return dict(session.gl.runners.get(runner_id).attributes)
    except (gitlab.exceptions.GitlabError, requests.exceptions.RequestException) as exc:
        raise session.fail(
            exc,
            f"reading runner #{runner_id}",
            missing=f"runner #{runner_id} was not found (404); it was probably deleted: try again",
            forbidden=_MANAGE_FORBIDDEN,
        ) from None


def _live(detail: Mapping[str, Any]) -> LiveRunner:
    paused_field = detail.get("paused")
    paused = paused_field if isinstance(paused_field, bool) else not detail.get("active", True)
    timeout = detail.get("maximum_timeout")
    return LiveRunner(
        id=int(detail["id"]),
        description=str(detail.get("description") or ""),
        runner_type=str(detail.get("runner_type") or ""),
        tag_list=tuple(str(tag) for tag in detail.get("tag_list") or ()),
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
        created = user.runners.create(body)
    except (gitlab.exceptions.GitlabError, requests.exceptions.RequestException) as exc:
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
        session.gl.runners.update(runner_id, dict(fields))
    except (gitlab.exceptions.GitlabError, requests.exceptions.RequestException) as exc:
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
                    f"GitLab at {_display_url(session.gl.url)} redirected a request to another "
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
    import gitlab.exceptions
    import requests

    try:
        return session.gl.http_get(path)
    except gitlab.exceptions.GitlabError as exc:
        if exc.response_code == 404:
            raise NotFound(missing) from None
        raise session.fail(exc, action, missing=missing) from None
    except requests.exceptions.RequestException as exc:
        raise session.fail(exc, action, missing=missing) from None


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
    import gitlab.exceptions
    import requests

    url = f"/projects/{_quoted(project)}/repository/files/{_quoted(path)}/raw"
    action = f"reading {path!r} of project {project!r}"
    missing = f"Project `{project}` file `{path}` does not exist!"
    try:
        response = session.gl.http_get(url, query_data={"ref": sha}, streamed=True, raw=True)
        return _bounded_body(response, limit, f"{project}:{path}")
    except gitlab.exceptions.GitlabError as exc:
        if exc.response_code == 404:
            raise NotFound(missing) from None
        raise session.fail(exc, action, missing=missing) from None
    except requests.exceptions.RequestException as exc:
        raise session.fail(exc, action, missing=missing) from None


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
    """``(tag, commit SHA)`` of each release of ``project``, newest first as GitLab lists them."""
    import gitlab.exceptions
    import requests

    action = f"listing the releases of project {project!r}"
    missing = f"Project `{project}` not found or access denied!"
    try:
        items: Any = session.gl.http_list(
            f"/projects/{_quoted(project)}/releases", get_all=True, per_page=100
        )
    except gitlab.exceptions.GitlabError as exc:
        if exc.response_code == 404:
            raise NotFound(missing) from None
        raise session.fail(exc, action, missing=missing) from None
    except requests.exceptions.RequestException as exc:
        raise session.fail(exc, action, missing=missing) from None
    out: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        tag, commit = item.get("tag_name"), item.get("commit")
        sha = commit.get("id") if isinstance(commit, dict) else None
        if isinstance(tag, str) and isinstance(sha, str):
            out.append((tag, sha))
    return out
