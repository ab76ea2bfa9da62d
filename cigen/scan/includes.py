"""Fingerprints of the files a project's configuration was resolved from outside the project, and
the check a rerun makes of them.

A scan reads includes of other projects, CI templates and components through ``cigen fetch``'s
online source (:mod:`cigen.resolve.fetch`). :class:`Recorder` wraps that shared source for one
project and notes what each include resolved to; :func:`fingerprints` turns the notes into the
record's ``includes`` field, one entry per include, by its key:

- ``project`` (``lib/gitlab/ci/config/external/file/project.rb``): ``project``, ``ref`` as
  written (``HEAD`` by default), ``file``, the ``commit`` the ref pointed to and the ``sha256``
  of the content; the file's own local includes are ``project`` entries whose ref is that
  commit;
- ``template``: ``name`` and ``sha256``;
- ``component`` (``file/component.rb``): ``address``, the component's ``project``, ``file``,
  the ``version`` (release tag) it resolved to, ``commit`` and ``sha256``;
- ``remote`` (``file/remote.rb``): ``url``, its ``integrity`` when written, and, when the scan
  fetches remote includes (``--follow-remote``), the ``sha256`` of the content; without it,
  ``url`` (and ``integrity``) only: not followed;
- an include GitLab would refuse, or not followed, keeps ``missing``: why.

:class:`IncludeCheck` (one per scan, shared by every project and thread) tells a rerun whether
those entries still hold, asking GitLab as little as it can: a ref's commit is asked once per
scan (``GET /projects/:id/repository/commits/:ref``) whatever number of projects include from
it; only when it moved is the file read at the new commit (once per scan, through the same
shared source, whose answer the rescan then reuses), and the entry still holds when its content
is the same; the local includes of a moved file are read at the new commit too. Templates,
components and (when followed) remote URLs are resolved again through the shared source (once
per scan each) and compared.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from cigen.resolve.external import Fetched, Request, Unavailable

#: A full commit SHA (a ref that never moves).
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class Recorder:
    """One project's view of the scan's shared source: passes each request on and notes what
    it resolved to."""

    def __init__(self, source: Any, remote: bool = False) -> None:
        self._source = source
        self.remote = remote
        """Whether the source fetches remote includes (their entries then carry content)."""
        self.seen: dict[str, tuple[Request, Fetched | Unavailable]] = {}

    def get(self, request: Request) -> Fetched | Unavailable:
        got: Fetched | Unavailable = self._source.get(request)
        self.seen.setdefault(request.key, (request, got))
        return got


def fingerprint(
    request: Request, got: Fetched | Unavailable, remote: bool = False
) -> dict[str, str]:
    """One include's entry (see the module documentation); ``remote``: whether remote
    includes are fetched."""
    if request.kind == "project":
        out = {"kind": "project", "project": request.target, "ref": request.ref or "HEAD"}
        out["file"] = request.file
    elif request.kind == "template":
        out = {"kind": "template", "name": request.target}
    elif request.kind == "component":
        out = {"kind": "component", "address": request.target}
    else:
        out = {"kind": "remote", "url": request.target}
        if request.integrity:
            out["integrity"] = request.integrity
        if not remote:
            return out
    if isinstance(got, Unavailable):
        return {**out, "missing": got.message}
    entry = got.entry
    out["sha256"] = entry.sha256
    if request.kind == "component":
        out |= {"project": entry.project, "file": entry.file, "version": entry.version}
    if entry.commit:
        out["commit"] = entry.commit
    return out


def fingerprints(recorder: Recorder | None) -> dict[str, dict[str, str]]:
    """The record's ``includes`` field: every include the project's configuration asked for."""
    if recorder is None:
        return {}
    return {key: fingerprint(*recorder.seen[key], recorder.remote) for key in sorted(recorder.seen)}


class IncludeCheck:
    """Whether a record's ``includes`` still hold; every answer is asked once per scan."""

    def __init__(
        self, source: Any, commit: Callable[[str, str], str | None], remote: bool = False
    ) -> None:
        self._source = source
        self._commit = commit
        self._remote = remote
        self._lock = threading.Lock()
        self._commits: dict[tuple[str, str], str | None] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}

    def commit(self, project: str, ref: str) -> str | None:
        """The commit ``ref`` of ``project`` points to now (None: no such project or ref)."""
        key = (project, ref)
        with self._lock:
            if key in self._commits:
                return self._commits[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one thread asks, the others wait for its answer
            with self._lock:
                if key in self._commits:
                    return self._commits[key]
            found = self._commit(project, ref)
            with self._lock:
                self._commits[key] = found
            return found

    def unchanged(self, includes: Mapping[str, Mapping[str, Any]]) -> bool:
        moved: dict[tuple[str, str], str] = {}
        pinned: list[Mapping[str, Any]] = []
        for old in includes.values():
            kind = old.get("kind")
            if kind == "remote":
                if "sha256" not in old and "missing" not in old:
                    continue  # not followed then; the settings say it is not followed now
                request = Request("remote", str(old["url"]), integrity=old.get("integrity", ""))
                if fingerprint(request, self._source.get(request), self._remote) != dict(old):
                    return False
                continue
            if kind == "project" and _COMMIT.fullmatch(str(old.get("ref"))):
                pinned.append(old)  # a commit never moves; checked below if its parent moved
                continue
            if kind == "project":
                now = self.commit(str(old["project"]), str(old["ref"]))
                if now == old.get("commit"):
                    continue
                if now is None:
                    return False  # the ref went away
                request = Request("project", str(old["project"]), now, str(old["file"]))
                if self._again(request) != _content(old):
                    return False
                if old.get("commit"):
                    moved[(str(old["project"]), str(old["commit"]))] = now
                continue
            target = str(old.get("name") if kind == "template" else old.get("address"))
            request = Request(str(kind), target)
            if fingerprint(request, self._source.get(request)) != dict(old):
                return False
        for old in pinned:
            now = moved.get((str(old["project"]), str(old["ref"])))
            if now is None:
                continue
            request = Request("project", str(old["project"]), now, str(old["file"]))
            if self._again(request) != _content(old):
                return False
        return True

    def _again(self, request: Request) -> str | None:
        got = self._source.get(request)
        return got.entry.sha256 if isinstance(got, Fetched) else None


def _content(entry: Mapping[str, Any]) -> str | None:
    value = entry.get("sha256")
    return value if isinstance(value, str) else None
