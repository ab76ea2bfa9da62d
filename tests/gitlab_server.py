"""A small GitLab REST API server for tests: real HTTP on 127.0.0.1, stdlib only.

It speaks just enough of API v4 for python-gitlab to read a project's runners:

- ``GET /api/v4/projects/:id`` (numeric id or URL-encoded full path such as ``team%2Fapp``);
- ``GET /api/v4/projects/:id/runners``: offset pagination as GitLab does it (``page``,
  ``per_page``; ``X-Page``, ``X-Per-Page``, ``X-Next-Page``, ``X-Prev-Page``, ``X-Total``,
  ``X-Total-Pages`` and a ``Link`` header with ``rel="next"``/``prev``/``first``/``last``;
  python-gitlab's ``get_all`` follows ``rel="next"``); summary entities only;
- ``GET /api/v4/runners/:id``: the detail entity (``tag_list``, ``run_untagged``,
  ``access_level``...).

For ``cigen runners apply`` and ``diff`` it also creates and changes runners:

- ``GET /api/v4/user`` (python-gitlab's ``auth()``);
- ``POST /api/v4/user/runners``: creates a runner (``runner_type``, ``group_id`` or
  ``project_id``, ``description``, ``tag_list``, ``run_untagged``, ``locked``, ``access_level``,
  ``paused``, ``maximum_timeout``, ``maintenance_note``) with GitLab's validations, answers
  ``201 {"id", "token", "token_expires_at"}``; the tokens handed out are in ``FakeGitLab.tokens``;
- ``PUT /api/v4/runners/:id``: changes those fields (``tag_list`` replaces the list);
- ``GET /api/v4/groups/:id`` and ``GET /api/v4/groups/:id/runners``, ``GET /api/v4/runners/all``;
  the runner lists honour ``type=`` (``project_type``...).

For ``cigen scan`` (a whole group or instance) it lists groups and projects and serves each
project's files at its default branch:

- ``GET /api/v4/groups/:id/projects`` (``include_subgroups``, ``archived``) and
  ``GET /api/v4/projects`` (the instance), paginated, ordered by id;
- project entities carry ``default_branch``, ``ci_config_path``, ``namespace``, ``archived``
  and ``empty_repo`` from ``FakeGitLab.project_meta``;
- ``GET /api/v4/projects/:id/repository/files/:path?ref=`` (the JSON entity: base64 ``content``,
  ``blob_id``...) and ``GET /api/v4/projects/:id/repository/tree?recursive=true`` from
  ``FakeGitLab.branch_files`` (the default branch's files);
- with ``scoped_runners``, a project sees instance runners, the runners of its group and the
  group's ancestors (``group_parents``), and its own project runners, as GitLab does;
- ``queued``: answers (status, headers) given to a path before its real answer (a 429 with
  ``Retry-After``, a 502), and ``rate_limit_headers`` sends ``RateLimit-*`` headers.

For ``cigen fetch`` (external includes) it serves repositories, CI templates and releases:

- ``GET /api/v4/projects/:id/repository/commits/:ref``: the commit a branch, tag, ``HEAD`` or
  SHA names (``{"id": sha, ...}``), 404 ``{"message": "404 Commit Not Found"}``;
- ``GET /api/v4/projects/:id/repository/files/:path/raw?ref=``: a file's bytes at a ref or
  commit, 404 ``{"message": "404 File Not Found"}``;
- ``GET /api/v4/projects/:id/releases``: the project's releases, newest first (paginated);
- ``GET /api/v4/templates/gitlab_ci_ymls/:key``: ``{"name", "content"}`` of a CI template;
- ``public``: raw paths answered without a token (remote includes), ``redirects``: paths
  answered with a 302 to another URL. :meth:`FakeGitLab.add_repository` sets a project up.

Requests need ``PRIVATE-TOKEN: <token>`` (else 401 ``{"message": "401 Unauthorized"}``);
unknown projects and runners are 404, ``forbidden_runner_ids`` 403. ``delay`` makes every
answer slow, for timeouts; ``overrides`` answers a path with anything (a 500, an HTML page).
Every request is recorded in ``FakeGitLab.requests``.

Hostile knobs (a server that is not GitLab, or a compromised one): ``redirects`` (above) sends
a path elsewhere, with any 3xx status; ``next_base`` makes the
``Link: rel="next"`` URLs point at another server; ``endless`` makes every runners page claim
a further full page; ``override_headers`` adds headers to an ``overrides`` answer (a 429 with
``Retry-After``); ``drip`` sends each answer's body one byte at a time, that many seconds
apart.

Usage::

    fake = FakeGitLab(runners=[runner_detail(1, tags=["docker"])])
    with serve(fake) as url:
        ...  # python-gitlab against url
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

SUMMARY_FIELDS = (
    "id",
    "description",
    "ip_address",
    "active",
    "paused",
    "is_shared",
    "runner_type",
    "name",
    "online",
    "status",
)


def runner_detail(
    runner_id: int,
    *,
    name: str | None = None,
    description: str = "",
    tags: Iterable[str] = (),
    run_untagged: bool = False,
    paused: bool = False,
    access_level: str = "not_protected",
    runner_type: str = "project_type",
    locked: bool = False,
    maximum_timeout: int | None = None,
    projects: Iterable[int] = (),
    groups: Iterable[int] = (),
) -> dict[str, Any]:
    """A ``GET /runners/:id`` entity as GitLab 17/18 returns it (``projects``/``groups``: the
    ids of the projects and groups the runner belongs to)."""
    return {
        "id": runner_id,
        "description": description,
        "ip_address": "",
        "active": not paused,
        "paused": paused,
        "is_shared": runner_type == "instance_type",
        "runner_type": runner_type,
        "name": name,
        "online": True,
        "status": "paused" if paused else "online",
        "tag_list": list(tags),
        "run_untagged": run_untagged,
        "locked": locked,
        "maximum_timeout": maximum_timeout,
        "access_level": access_level,
        "version": "18.0.0",
        "revision": "abcdef12",
        "platform": "linux",
        "architecture": "amd64",
        "contacted_at": "2026-01-01T00:00:00.000Z",
        "maintenance_note": None,
        "projects": [{"id": project_id} for project_id in projects],
        "groups": [{"id": group_id} for group_id in groups],
    }


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeGitLab:
    """The server's data and knobs (change them between requests if a test needs to)."""

    token: str = "glpat-fake-token-0123456789"
    projects: dict[int, str] = field(default_factory=lambda: {7: "team/app"})
    runners: list[dict[str, Any]] = field(default_factory=list)
    project_runner_ids: dict[int, list[int]] | None = None
    """Runner ids per project id; ``None``: every project sees every runner."""
    default_per_page: int = 20
    max_per_page: int = 100
    delay: float = 0.0
    forbidden_runner_ids: set[int] = field(default_factory=set)
    overrides: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    """Raw request path -> (status, content type, body), answered after the token check."""
    requests: list[Recorded] = field(default_factory=list)
    groups: dict[int, str] = field(default_factory=lambda: {3: "team"})
    user: dict[str, Any] = field(
        default_factory=lambda: {"id": 1, "username": "root", "name": "Administrator"}
    )
    tokens: dict[int, str] = field(default_factory=dict)
    """Runner id -> the authentication token ``POST /user/runners`` returned."""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    """The JSON bodies of POST and PUT requests, in order."""
    refs: dict[str, dict[str, str]] = field(default_factory=dict)
    """Project path -> ref name (branch, tag, ``HEAD``) -> commit SHA."""
    trees: dict[str, dict[str, dict[str, bytes]]] = field(default_factory=dict)
    """Project path -> commit SHA -> file path -> content."""
    releases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Project path -> release entities, newest first."""
    templates: dict[str, str] = field(default_factory=dict)
    """CI template key (``Jobs/Build``, no ``.gitlab-ci.yml``) -> content."""
    public: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    """Raw request path -> (status, content type, body), answered without a token check."""
    redirects: dict[str, str | tuple[int, str]] = field(default_factory=dict)
    """Raw request path -> the URL a 302 answer sends the client to (after the token check),
    or ``(3xx status, URL)``."""

    def add_repository(
        self, path: str, commits: dict[str, dict[str, bytes]], refs: dict[str, str]
    ) -> int:
        """A project ``path`` with ``commits`` (SHA -> files) and ``refs``; its id."""
        project_id = self.project_id(path) or max(self.projects, default=0) + 1
        self.projects[project_id] = path
        self.trees.setdefault(path, {}).update(commits)
        self.refs.setdefault(path, {}).update(refs)
        return project_id

    def add_release(self, path: str, tag: str, sha: str) -> None:
        """Release ``tag`` of ``path`` at commit ``sha`` (also a tag ref), listed first."""
        self.refs.setdefault(path, {})[tag] = sha
        entity = {
            "tag_name": tag,
            "name": tag,
            "released_at": "2026-01-01T00:00:00.000Z",
            "commit": {"id": sha, "short_id": sha[:8]},
        }
        self.releases.setdefault(path, []).insert(0, entity)

    def commit_of(self, path: str, ref: str) -> str | None:
        if ref in self.trees.get(path, {}):
            return ref
        return self.refs.get(path, {}).get(ref)

    project_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Project id -> extra entity fields (``default_branch``, ``ci_config_path``,
    ``namespace_id``, ``archived``, ``empty_repo``)."""
    branch_files: dict[int, dict[str, bytes]] = field(default_factory=dict)
    """Project id -> path -> content of the file at the project's default branch."""
    group_parents: dict[int, int] = field(default_factory=dict)
    """Group id -> parent group id (subgroups)."""
    scoped_runners: bool = False
    """Runner availability by scope (instance, group and ancestors, project)."""
    queued: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    """Raw request path -> answers given before the real one, first first."""
    rate_limit_headers: dict[str, str] = field(default_factory=dict)
    """Headers sent with every successful answer (``RateLimit-Remaining``...)."""

    def add_project(
        self,
        project_id: int,
        path: str,
        files: dict[str, bytes],
        *,
        group: int | None = None,
        **meta: Any,
    ) -> None:
        """A project at ``path`` in ``group`` whose default branch holds ``files``."""
        self.projects[project_id] = path
        self.branch_files[project_id] = dict(files)
        self.project_meta[project_id] = {"namespace_id": group, **meta}

    def ancestors(self, group_id: int) -> list[int]:
        """``group_id`` and its ancestor groups, nearest first."""
        chain = [group_id]
        while chain[-1] in self.group_parents and len(chain) < 32:
            chain.append(self.group_parents[chain[-1]])
        return chain

    def group_id(self, raw: str) -> int | None:
        if raw.isdigit():
            return int(raw) if int(raw) in self.groups else None
        return next((gid for gid, path in self.groups.items() if path == raw), None)

    next_base: str | None = None
    """Base URL (``http://host:port``) of the ``rel="next"`` links; ``None``: this server."""
    endless: bool = False
    """Every runners page is full and names a next page (a server that never ends a list)."""
    override_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    """Raw request path -> extra headers of its ``overrides`` answer."""
    drip: float = 0.0
    """Seconds between the bytes of every body (a server that answers, but slowly)."""

    def project_id(self, raw: str) -> int | None:
        if raw.isdigit():
            return int(raw) if int(raw) in self.projects else None
        for project_id, path in self.projects.items():
            if path == raw:
                return project_id
        return None

    def runners_of(self, project_id: int) -> list[dict[str, Any]]:
        if self.scoped_runners:
            return self._scoped(project_id)
        if self.project_runner_ids is None:
            return sorted(self.runners, key=lambda r: int(r["id"]))
        wanted = set(self.project_runner_ids.get(project_id, ()))
        return sorted((r for r in self.runners if r["id"] in wanted), key=lambda r: int(r["id"]))

    def _scoped(self, project_id: int) -> list[dict[str, Any]]:
        group = self.project_meta.get(project_id, {}).get("namespace_id")
        groups = set(self.ancestors(group)) if group is not None else set()
        seen = [
            r
            for r in self.runners
            if r["runner_type"] == "instance_type"
            or any(g["id"] in groups for g in r.get("groups", ()))
            or any(p["id"] == project_id for p in r.get("projects", ()))
        ]
        return sorted(seen, key=lambda r: int(r["id"]))

    def runner(self, runner_id: int) -> dict[str, Any] | None:
        return next((r for r in self.runners if r["id"] == runner_id), None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeGitLab) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up: nothing to report.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        fake.requests.append(
            Recorded("GET", parts.path, query, {k.lower(): v for k, v in self.headers.items()})
        )
        if fake.delay and self.server.stopping.wait(fake.delay):
            return
        if parts.path in fake.public:
            self._send(*fake.public[parts.path])
            return
        if self.headers.get("PRIVATE-TOKEN") != fake.token:
            self._json(401, {"message": "401 Unauthorized"})
            return
        if parts.path in fake.overrides:
            self._send(*fake.overrides[parts.path], fake.override_headers.get(parts.path))
            return
        if fake.queued.get(parts.path):
            status, headers = fake.queued[parts.path].pop(0)
            self._send(status, "application/json", b'{"message": "queued"}', headers)
            return
        if parts.path in fake.redirects:
            target = fake.redirects[parts.path]
            status, location = target if isinstance(target, tuple) else (302, target)
            self._send(status, "text/plain", b"", {"Location": location})
            return
        segments = [unquote(s) for s in parts.path.split("/")]
        if self._scan(segments, parts.path, query) or self._repository(segments, query):
            return
        match segments:
            case ["", "api", "v4", "projects", raw_id]:
                project_id = fake.project_id(raw_id)
                if project_id is None:
                    self._json(404, {"message": "404 Project Not Found"})
                else:
                    self._json(200, self._project(project_id))
            case ["", "api", "v4", "projects", raw_id, "runners"]:
                project_id = fake.project_id(raw_id)
                if project_id is None:
                    self._json(404, {"message": "404 Project Not Found"})
                else:
                    summaries = [
                        {key: r.get(key) for key in SUMMARY_FIELDS}
                        for r in fake.runners_of(project_id)
                        if query.get("type") in (None, r["runner_type"])
                    ]
                    self._page(summaries, parts.path, query)
            case ["", "api", "v4", "user"]:
                self._json(200, fake.user)
            case ["", "api", "v4", "groups", raw_id]:
                group_id = fake.group_id(raw_id)
                if group_id is None:
                    self._json(404, {"message": "404 Group Not Found"})
                else:
                    path = fake.groups[group_id]
                    self._json(200, {"id": group_id, "full_path": path, "path": path})
            case ["", "api", "v4", "groups", raw_id, "runners"]:
                group_id = fake.group_id(raw_id)
                if group_id is None:
                    self._json(404, {"message": "404 Group Not Found"})
                else:
                    summaries = [
                        {key: r.get(key) for key in SUMMARY_FIELDS}
                        for r in sorted(fake.runners, key=lambda r: int(r["id"]))
                        if any(g["id"] == group_id for g in r.get("groups", ()))
                        and query.get("type") in (None, r["runner_type"])
                    ]
                    self._page(summaries, parts.path, query)
            case ["", "api", "v4", "runners", "all"]:
                summaries = [
                    {key: r.get(key) for key in SUMMARY_FIELDS}
                    for r in sorted(fake.runners, key=lambda r: int(r["id"]))
                    if query.get("type") in (None, r["runner_type"])
                ]
                self._page(summaries, parts.path, query)
            case ["", "api", "v4", "runners", raw_id] if raw_id.isdigit():
                runner = fake.runner(int(raw_id))
                if runner is None:
                    self._json(404, {"message": "404 Runner Not Found"})
                elif runner["id"] in fake.forbidden_runner_ids:
                    self._json(403, {"message": "403 Forbidden"})
                else:
                    self._json(200, runner)
            case _:
                self._json(404, {"error": "404 Not Found"})

    def do_HEAD(self) -> None:
        """``HEAD /projects/:id/repository/files/:path``: a file's metadata as headers
        (``X-Gitlab-Blob-Id``...), no body (``lib/api/files.rb``); other paths 404."""
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        fake.requests.append(
            Recorded("HEAD", parts.path, query, {k.lower(): v for k, v in self.headers.items()})
        )
        if self.headers.get("PRIVATE-TOKEN") != fake.token:
            self._head(401)
            return
        if parts.path in fake.overrides:
            self._head(fake.overrides[parts.path][0])
            return
        if fake.queued.get(parts.path):
            status, headers = fake.queued[parts.path].pop(0)
            self._head(status, headers)
            return
        match [unquote(s) for s in parts.path.split("/")]:
            case ["", "api", "v4", "projects", raw_id, "repository", "files", file_path]:
                project_id = fake.project_id(raw_id) or 0
                branch = fake.project_meta.get(project_id, {}).get("default_branch", "main")
                content = fake.branch_files.get(project_id, {}).get(file_path)
                if content is None or query.get("ref") != branch:
                    self._head(404)
                    return
                entity = _file_entity(file_path, content, branch)
                self._head(
                    200,
                    {
                        "X-Gitlab-Blob-Id": entity["blob_id"],
                        "X-Gitlab-Commit-Id": entity["commit_id"],
                        "X-Gitlab-Content-Sha256": entity["content_sha256"],
                        "X-Gitlab-File-Path": file_path,
                        "X-Gitlab-Ref": branch,
                        "X-Gitlab-Size": str(len(content)),
                    },
                )
            case _:
                self._head(404)

    def _head(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if status < 300:
            headers = {**self.server.fake.rate_limit_headers, **(headers or {})}
        self.send_header("Content-Length", "0")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()

    def do_POST(self) -> None:
        fake, parts, body = self._write_request("POST")
        if parts is None:
            return
        if parts.path != "/api/v4/user/runners":
            self._json(404, {"error": "404 Not Found"})
            return
        runner_type = body.get("runner_type")
        owner: dict[str, list[int]] = {"projects": [], "groups": []}
        if runner_type == "project_type":
            project_id = body.get("project_id")
            if not isinstance(project_id, int) or project_id not in fake.projects:
                self._json(400, {"message": "Missing/invalid project"})
                return
            owner["projects"].append(project_id)
        elif runner_type == "group_type":
            group_id = body.get("group_id")
            if not isinstance(group_id, int) or group_id not in fake.groups:
                self._json(400, {"message": "Missing/invalid group"})
                return
            owner["groups"].append(group_id)
        elif runner_type != "instance_type":
            self._json(400, {"error": "runner_type does not have a valid value"})
            return
        runner_id = max((int(r["id"]) for r in fake.runners), default=0) + 1
        runner = runner_detail(
            runner_id, runner_type=runner_type, run_untagged=True, projects=owner["projects"]
        )
        runner["groups"] = [{"id": group_id} for group_id in owner["groups"]]
        runner["name"] = None
        runner["status"] = "never_contacted"
        errors = _apply_fields(runner, body)
        if errors:
            self._json(400, {"message": errors})
            return
        fake.runners.append(runner)
        if fake.project_runner_ids is not None:
            for project_id in owner["projects"]:
                fake.project_runner_ids.setdefault(project_id, []).append(runner_id)
        token = f"glrt-fake{runner_id:04d}{'x' * 16}"
        fake.tokens[runner_id] = token
        self._json(201, {"id": runner_id, "token": token, "token_expires_at": None})

    def do_PUT(self) -> None:
        fake, parts, body = self._write_request("PUT")
        if parts is None:
            return
        segments = parts.path.split("/")
        if len(segments) != 5 or segments[:4] != ["", "api", "v4", "runners"]:
            self._json(404, {"error": "404 Not Found"})
            return
        runner = fake.runner(int(segments[4])) if segments[4].isdigit() else None
        if runner is None:
            self._json(404, {"message": "404 Runner Not Found"})
            return
        if runner["id"] in fake.forbidden_runner_ids:
            self._json(403, {"message": "403 Forbidden"})
            return
        if not body:
            self._json(400, {"error": "at least one parameter must be provided"})
            return
        if "active" in body and "paused" in body:
            self._json(400, {"error": "active, paused are mutually exclusive"})
            return
        changed = json.loads(json.dumps(runner))
        errors = _apply_fields(changed, body)
        if errors:
            self._json(400, {"message": errors})
            return
        runner.update(changed)
        self._json(200, runner)

    def _write_request(self, method: str) -> tuple[FakeGitLab, Any, dict[str, Any]]:
        """Record a POST/PUT, check its token, read its JSON body; ``parts`` None: answered."""
        fake = self.server.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake.requests.append(
            Recorded(
                method,
                parts.path,
                dict(parse_qsl(parts.query)),
                {k.lower(): v for k, v in self.headers.items()},
            )
        )
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if self.headers.get("PRIVATE-TOKEN") != fake.token:
            self._json(401, {"message": "401 Unauthorized"})
            return fake, None, {}
        if parts.path in fake.overrides:
            self._send(*fake.overrides[parts.path])
            return fake, None, {}
        if not isinstance(body, dict):
            self._json(400, {"error": "the body is not a JSON object"})
            return fake, None, {}
        fake.bodies.append(body)
        return fake, parts, body

    def _scan(self, segments: list[str], path: str, query: dict[str, str]) -> bool:
        """Answer the paths ``cigen scan`` reads; False for other paths."""
        fake = self.server.fake
        match segments:
            case ["", "api", "v4", "projects"]:
                self._page(self._projects(sorted(fake.projects), query), path, query)
            case ["", "api", "v4", "groups", raw_id, "projects"]:
                group_id = fake.group_id(raw_id)
                if group_id is None:
                    self._json(404, {"message": "404 Group Not Found"})
                    return True
                subgroups = query.get("include_subgroups") == "true"
                wanted = [
                    pid
                    for pid in sorted(fake.projects)
                    if (group := fake.project_meta.get(pid, {}).get("namespace_id")) is not None
                    and (group == group_id or (subgroups and group_id in fake.ancestors(group)))
                ]
                self._page(self._projects(wanted, query), path, query)
            case ["", "api", "v4", "projects", raw_id, "repository", "files", file_path]:
                project_id = fake.project_id(raw_id)
                files = fake.branch_files.get(project_id or 0)
                branch = fake.project_meta.get(project_id or 0, {}).get("default_branch", "main")
                content = (files or {}).get(file_path)
                if project_id is None:
                    self._json(404, {"message": "404 Project Not Found"})
                elif content is None or query.get("ref") != branch:
                    self._json(404, {"message": "404 File Not Found"})
                else:
                    self._json(200, _file_entity(file_path, content, branch))
            case ["", "api", "v4", "projects", raw_id, "repository", "tree"]:
                project_id = fake.project_id(raw_id)
                if project_id is None or project_id not in fake.branch_files:
                    self._json(404, {"message": "404 Tree Not Found"})
                else:
                    names = sorted(fake.branch_files[project_id])
                    files = fake.branch_files[project_id]
                    entries = [
                        {"id": _blob_id(files[n]), "name": n, "type": "blob", "path": n}
                        for n in names
                    ]
                    self._page(entries, path, query)
            case _:
                return False
        return True

    def _projects(self, ids: list[int], query: dict[str, str]) -> list[dict[str, Any]]:
        entities = [self._project(pid) for pid in ids]
        if query.get("archived") == "false":
            entities = [e for e in entities if not e.get("archived")]
        return entities

    def _repository(self, segments: list[str], query: dict[str, str]) -> bool:
        """Answer the repository, release and template paths; False for other paths."""
        fake = self.server.fake
        match segments:
            case ["", "api", "v4", "templates", "gitlab_ci_ymls", key]:
                if key in fake.templates:
                    self._json(200, {"name": key, "content": fake.templates[key]})
                else:
                    self._json(404, {"message": "404 Template Not Found"})
                return True
            case ["", "api", "v4", "projects", raw_id, *rest] if rest and rest[0] in (
                "repository",
                "releases",
            ):
                pass
            case _:
                return False
        project_id = fake.project_id(raw_id)
        if project_id is None:
            self._json(404, {"message": "404 Project Not Found"})
            return True
        path = fake.projects[project_id]
        match rest:
            case ["releases"]:
                self._page(list(fake.releases.get(path, ())), "/".join(segments), query)
            case ["repository", "commits", ref]:
                sha = fake.commit_of(path, ref)
                if sha is None:
                    self._json(404, {"message": "404 Commit Not Found"})
                else:
                    self._json(200, {"id": sha, "short_id": sha[:8], "title": "commit"})
            case ["repository", "files", file_path, "raw"]:
                sha = fake.commit_of(path, query.get("ref") or "HEAD")
                content = fake.trees.get(path, {}).get(sha or "", {}).get(file_path)
                if content is None:
                    self._json(404, {"message": "404 File Not Found"})
                else:
                    self._send(200, "text/plain; charset=utf-8", content)
            case _:
                self._json(404, {"error": "404 Not Found"})
        return True

    def _project(self, project_id: int) -> dict[str, Any]:
        fake = self.server.fake
        path = fake.projects[project_id]
        meta = fake.project_meta.get(project_id)
        entity: dict[str, Any] = {
            "id": project_id,
            "name": path.rsplit("/", 1)[-1],
            "path": path.rsplit("/", 1)[-1],
            "path_with_namespace": path,
            "web_url": f"{self._base()}/{path}",
        }
        if meta is not None:
            group = meta.get("namespace_id")
            entity |= {
                "default_branch": meta.get("default_branch", "main"),
                "ci_config_path": meta.get("ci_config_path"),
                "archived": bool(meta.get("archived")),
                "empty_repo": bool(meta.get("empty_repo")),
                "namespace": {
                    "id": group,
                    "full_path": fake.groups.get(group or 0, path.rsplit("/", 1)[0]),
                },
            }
        return entity

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, str]) -> None:
        fake = self.server.fake
        page = max(_int(query.get("page"), 1), 1)
        per_page = min(
            max(_int(query.get("per_page"), fake.default_per_page), 1), fake.max_per_page
        )
        total = len(items)
        pages = max(math.ceil(total / per_page), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        if fake.endless:
            items = items or [dict.fromkeys(SUMMARY_FIELDS) | {"id": 1}]
            chunk = [items[i % len(items)] for i in range(per_page)]
            total, pages = per_page * (page + 1), page + 1

        def link(number: int) -> str:
            params = {**query, "page": str(number), "per_page": str(per_page)}
            return f"{fake.next_base or self._base()}{path}?{urlencode(params)}"

        relations = []
        if page < pages:
            relations.append(f'<{link(page + 1)}>; rel="next"')
        if page > 1:
            relations.append(f'<{link(page - 1)}>; rel="prev"')
        relations.append(f'<{link(1)}>; rel="first"')
        relations.append(f'<{link(pages)}>; rel="last"')
        self._json(
            200,
            chunk,
            {
                "X-Page": str(page),
                "X-Per-Page": str(per_page),
                "X-Next-Page": str(page + 1) if page < pages else "",
                "X-Prev-Page": str(page - 1) if page > 1 else "",
                "X-Total": str(total),
                "X-Total-Pages": str(pages),
                "Link": ", ".join(relations),
            },
        )

    def _base(self) -> str:
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_port}"
        return f"http://{host}"

    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, "application/json", json.dumps(body).encode(), headers)

    def _send(
        self, status: int, content_type: str, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if status < 300:
            headers = {**self.server.fake.rate_limit_headers, **(headers or {})}
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        drip = self.server.fake.drip
        if not drip:
            self.wfile.write(data)
            return
        for index in range(len(data)):
            if self.server.stopping.wait(drip):
                return
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()


def _blob_id(content: bytes) -> str:
    """Git's blob id of ``content``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _file_entity(path: str, content: bytes, ref: str) -> dict[str, Any]:
    """``GET /projects/:id/repository/files/:path`` as GitLab answers it (``lib/api/files.rb``)."""
    return {
        "file_name": path.rsplit("/", 1)[-1],
        "file_path": path,
        "size": len(content),
        "encoding": "base64",
        "content": base64.b64encode(content).decode(),
        "content_sha256": hashlib.sha256(content).hexdigest(),
        "ref": ref,
        "blob_id": _blob_id(content),
        "commit_id": "0" * 40,
        "last_commit_id": "0" * 40,
    }


_ACCESS_LEVELS = ("not_protected", "ref_protected")


def _apply_fields(runner: dict[str, Any], body: dict[str, Any]) -> dict[str, list[str]]:
    """Set the writable fields of ``body`` on ``runner`` with GitLab's validations
    (``app/models/ci/runner.rb``); the errors by field, as GitLab's 400 answer lists them."""
    errors: dict[str, list[str]] = {}
    for key in ("description", "maintenance_note"):
        if key in body:
            runner[key] = body[key]
    for key in ("run_untagged", "locked", "paused"):
        if key in body:
            if not isinstance(body[key], bool):
                errors.setdefault(key, []).append("is invalid")
            else:
                runner[key] = body[key]
    if "paused" in body and isinstance(body["paused"], bool):
        runner["active"] = not body["paused"]
    if "active" in body and isinstance(body["active"], bool):
        runner["active"], runner["paused"] = body["active"], not body["active"]
    if "tag_list" in body:
        tags = body["tag_list"]
        if isinstance(tags, str):
            tags = [tag.strip() for tag in tags.split(",") if tag.strip()]
        runner["tag_list"] = list(dict.fromkeys(tags))
        if len(runner["tag_list"]) > 50:
            errors.setdefault("tags_list", []).append("Too many tags specified. Maximum is 50.")
    if "access_level" in body:
        if body["access_level"] not in _ACCESS_LEVELS:
            errors.setdefault("access_level", []).append("does not have a valid value")
        else:
            runner["access_level"] = body["access_level"]
    if "maximum_timeout" in body:
        timeout = body["maximum_timeout"]
        if timeout is not None and (not isinstance(timeout, int) or timeout < 600):
            errors.setdefault("maximum_timeout", []).append("needs to be at least 10 minutes")
        else:
            runner["maximum_timeout"] = timeout
    if not runner["tag_list"] and not runner["run_untagged"]:
        errors.setdefault("tags_list", []).append(
            "can not be empty when runner is not allowed to pick untagged jobs"
        )
    if runner["paused"]:
        runner["status"] = "paused"
    elif runner["status"] == "paused":
        runner["status"] = "online"
    return errors


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


@contextmanager
def serve(fake: FakeGitLab) -> Iterator[str]:
    """Run a server for ``fake`` in a thread; yields its base URL (``http://127.0.0.1:port``)."""
    server = _Server(fake)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.02,), name="fake-gitlab", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
