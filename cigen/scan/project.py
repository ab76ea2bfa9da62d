"""One project's record: its CI configuration read from GitLab, resolved, linted and matched
against the runners the project may use.

A record is plain JSON data (the JSON lines file holds one per project), built only from what
GitLab answered, so that the same projects give the same records whichever shard reads them.

Statuses: ``linted``; ``no-config`` (no configuration file at the default branch, or an empty
repository); ``external-config`` (the project's CI configuration path names another project or
a URL and this scan does not follow it: includes not followed, or a URL without
``--follow-remote``); ``unreadable`` (GitLab refused or failed; ``reason`` says why);
``not-scanned`` (the scan's deadline passed first).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cigen.errors import CigenError
from cigen.lint.settings import Config
from cigen.project import Missing, Project
from cigen.records import dataclass, field
from cigen.runners.inventory import Runner
from cigen.scan.client import DeadlinePassed, ProjectInfo, ScanClient
from cigen.yaml.load import MAX_BYTES, Loaded, load_text

#: The record format's version (raised only when a field changes meaning or goes away).
RECORD_VERSION = 5
#: GitLab's default CI configuration path.
DEFAULT_CONFIG = ".gitlab-ci.yml"
#: Statuses whose record a rerun keeps when the configuration did not change.
KEEPABLE = frozenset({"linted", "external-config"})
_URL = re.compile(r"(?i)^[a-z][a-z0-9+.-]*://")
#: ``ci_config_path`` naming a file of another project (``lib/gitlab/ci/project_config/
#: external_project.rb``: ``path/to/file.yml@group/project``, optionally ``:refname``).
_OTHER_PROJECT = re.compile(r"(?s).+(yml|yaml)@.+")
#: ``ci_config_path`` that is a remote URL (``project_config/remote.rb``: http or https).
_HTTP_URL = re.compile(r"(?i)https?://\S+")


@dataclass
class RemoteProject(Project):
    """A project tree read from GitLab at one ref, file by file as the resolver asks.

    Each file is fetched once (``Project.load`` caches the parse); the blob id of every file
    read is kept in ``blobs`` (None for a file asked for and not there), so a rerun can tell
    whether the configuration changed, a missing include that appears included.
    """

    client: Any = None
    project_id: int = 0
    ref: str = ""
    blobs: dict[str, str | None] = field(default_factory=dict)

    def load(self, repo_path: str) -> Loaded:
        rel = self.normalize(repo_path)
        cached = self._cache.get(rel)
        if cached is not None:
            return cached
        found = self.client.file(self.project_id, rel, self.ref)
        if found is None:
            self.blobs[rel] = None
            raise Missing(repo_path)
        self.blobs[rel] = found.blob_id
        data = found.content
        loaded = load_text(rel, data[: MAX_BYTES + 1], size=len(data))
        self._cache[rel] = loaded
        return loaded

    def preload(self, rel: str, loaded: Loaded) -> None:
        """Give file ``rel`` without reading it (a configuration GitLab makes itself)."""
        self._cache[rel] = loaded

    def files(self) -> list[str]:
        if self._files is None:
            self._files, self.truncated = listed(self.client, self.project_id, self.ref)
        return self._files


def listed(client: Any, project_id: int, ref: str) -> tuple[list[str], bool]:
    """The project's file names at ``ref`` (a wildcard ``local:`` include and ``rules:exists``
    read them), at most :data:`cigen.project.MAX_WALK_FILES`, and whether there were more."""
    from cigen.project import MAX_WALK_FILES

    names = list(client.tree(project_id, ref))
    truncated = len(names) > MAX_WALK_FILES
    del names[MAX_WALK_FILES:]
    return names, truncated


def tree_digest(names: Sequence[str]) -> str:
    """What a record keeps of a listing: a new file matching a wildcard include (or an
    ``exists:``) changes the configuration, so a rerun lists the tree again and compares."""
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()


@dataclass(frozen=True)
class ProjectConfig:
    """Where a project's configuration is, as far as the scan can follow it."""

    status: str
    entry: str | None = None
    project: Project | None = None
    reason: str | None = None


def config_location(ci_config_path: str | None) -> tuple[str, str | None]:
    """``("local", path)``, ``("project", path@project[:ref])``, ``("url", url)`` or
    ``("external", why)`` for a project's CI configuration path.

    GitLab takes a path in the repository (default ``.gitlab-ci.yml``), ``path@group/project``
    (optionally ``:ref``) for a file of another project, or an http(s) URL.
    """
    value = (ci_config_path or "").strip() or DEFAULT_CONFIG
    if _HTTP_URL.fullmatch(value):
        return "url", value
    if _URL.match(value):
        return "external", "the CI configuration is at a URL GitLab does not read"
    if _OTHER_PROJECT.fullmatch(value):
        return "project", value
    return "local", value


def config_include(kind: str, where: str) -> dict[str, str]:
    """The one include GitLab puts in place of a configuration kept elsewhere
    (``project_config/external_project.rb``, ``project_config/remote.rb``): ``project``,
    ``file`` and ``ref`` when one is written, or ``remote``."""
    if kind == "url":
        return {"remote": where}
    path, _, rest = where.partition("@")
    project, colon, ref = rest.partition(":")
    found = {"project": project, "file": path}
    if colon and ref:
        found["ref"] = ref
    return found


def resolve_project_config(
    client: ScanClient, info: ProjectInfo, root: Path, follows: frozenset[str] = frozenset()
) -> ProjectConfig:
    """The one place that finds a project's configuration. A configuration kept in another
    project, or at a URL, is followed as GitLab follows it: a configuration of one include
    (:func:`config_include`) read in the scanned project, when ``follows`` has ``project``
    (includes followed) or ``url`` (remote includes followed); otherwise it is reported as not
    followed."""
    if info.empty or info.default_branch is None:
        return ProjectConfig("no-config", reason="the repository is empty")
    kind, where = config_location(info.ci_config_path)
    assert where is not None
    if kind == "external":
        return ProjectConfig("external-config", reason=f"{where}: not followed")
    project = RemoteProject(root, client=client, project_id=info.id, ref=info.default_branch)
    if kind != "local":
        if kind not in follows:
            return ProjectConfig("external-config", reason=_unfollowed(kind, where))
        return ProjectConfig("config", _synthetic(project, kind, where), project)
    try:
        entry = project.normalize(where)
        project.load(entry)
    except Missing:
        return ProjectConfig(
            "no-config", reason=f"no {where} at the default branch {info.default_branch!r}"
        )
    return ProjectConfig("config", entry, project)


def _synthetic(project: RemoteProject, kind: str, where: str) -> str:
    """The one-include configuration, given to ``project`` under the configuration path's
    name (findings on it name that path: no file of the project holds it)."""
    import json

    entry = project.normalize(where)
    body = {"include": [config_include(kind, where)]}
    data = json.dumps(body, sort_keys=True).encode()  # JSON is YAML
    project.preload(entry, load_text(entry, data, size=len(data)))
    return entry


def _unfollowed(kind: str, where: str) -> str:
    if kind == "url":
        return (
            f"the CI configuration is a remote URL ({where}): not followed; "
            "--follow-remote fetches it"
        )
    other = where.partition("@")[2]
    return (
        f"the CI configuration is in another project ({other}): not followed, as includes "
        "are not (--no-follow-includes)"
    )


@dataclass(frozen=True)
class LintSetup:
    """What every project's lint shares."""

    config: Config
    root: Path
    external: Any = None
    """Where external includes come from (a :class:`cigen.resolve.external.Source`, shared by
    every project: each include is read once per scan); None: not followed."""
    settings: str = ""
    """The digest of what else decides a record (:func:`settings_digest`): a record made with
    other settings is scanned again."""
    includes: Any = None
    """How a rerun checks the includes a record names (a
    :class:`cigen.scan.includes.IncludeCheck`, shared like ``external``); None: a record that
    names some is scanned again."""
    remote: bool = False
    """Whether ``external`` fetches remote includes (``--follow-remote``)."""

    @property
    def follows(self) -> frozenset[str]:
        """The configuration paths kept elsewhere that this scan follows
        (:func:`resolve_project_config`)."""
        if self.external is None:
            return frozenset()
        return frozenset({"project", "url"} if self.remote else {"project"})


def settings_digest(
    config: Config, follow_includes: bool, follow_remote: bool = False, allow_http: bool = False
) -> str:
    """A digest of the lint settings and the cigen version: rules selected and ignored,
    severities, variables and whether includes (and remote ones, over plain HTTP too) are
    followed. A record never holds the
    variables' values, and the digest is a slow one (PBKDF2, computed once per scan), so that a
    value cannot be cheaply guessed back from it either."""
    import hashlib
    import json

    from cigen import __version__

    facts = {
        "cigen": __version__,
        "select": sorted(config.select),
        "ignore": sorted(config.ignore),
        "severity": sorted((code, level.label) for code, level in config.severity.items()),
        "variables": sorted(config.variables.items()),
        "follow_includes": follow_includes,
    }
    if follow_remote:  # absent otherwise: the records of earlier scans keep their digest
        facts["follow_remote"] = "http" if allow_http else "https"
    data = json.dumps(facts, sort_keys=True).encode()
    return hashlib.pbkdf2_hmac("sha256", data, b"cigen scan settings", 50_000).hex()


def base_record(info: ProjectInfo) -> dict[str, Any]:
    return {
        "version": RECORD_VERSION,
        "project": {
            "id": info.id,
            "path": info.path,
            "web_url": info.web_url,
            "default_branch": info.default_branch,
            "ci_config_path": info.ci_config_path,
        },
        "status": "",
        "reason": None,
        "files": {},
        "includes": {},
        "findings": [],
        "jobs": [],
        "runners": [],
    }


def not_scanned(info: ProjectInfo, reason: str) -> dict[str, Any]:
    return {**base_record(info), "status": "not-scanned", "reason": reason}


def scan_project(client: ScanClient, info: ProjectInfo, setup: LintSetup) -> dict[str, Any]:
    """The record of one project; GitLab's failures become an ``unreadable`` record.

    :class:`~cigen.scan.client.DeadlinePassed` is raised, not recorded: the caller marks the
    project as not scanned.
    """
    record = {**base_record(info), "settings": setup.settings}
    if info.problem is not None:
        return {**record, "status": "unreadable", "reason": info.problem}
    try:
        found = resolve_project_config(client, info, setup.root, setup.follows)
        if found.status != "config":
            return {**record, "status": found.status, "reason": found.reason}
        assert found.project is not None and found.entry is not None
        return {**record, **_lint(client, info, found.project, found.entry, setup)}
    except DeadlinePassed:
        raise
    except CigenError as exc:
        return {**record, "status": "unreadable", "reason": str(exc)}


def _lint(
    client: ScanClient, info: ProjectInfo, project: Project, entry: str, setup: LintSetup
) -> dict[str, Any]:
    from cigen.lint.context import LintContext
    from cigen.lint.engine import include_rules_for, lint
    from cigen.reporters.json_report import as_dict
    from cigen.resolve.resolver import resolve
    from cigen.runners.assign import outcomes
    from cigen.scan.includes import Recorder, fingerprints

    variables = dict(setup.config.variables)
    recorder = Recorder(setup.external, setup.remote) if setup.external is not None else None
    pipeline = resolve(
        project,
        entry,
        include_rules=include_rules_for(None, variables),
        variables=variables,
        external=recorder,
    )
    available = client.runners(info.id)
    runners = tuple(runner for runner, _ in available)
    result = lint(Path(entry), config=setup.config, runners=runners, pipeline=pipeline)
    ctx = LintContext(pipeline=pipeline, runners=runners, variables=variables)
    jobs = [
        {
            "name": tagged.name,
            "tags": sorted(tagged.tags),
            "outcome": match.outcome.value,
            "runners": sorted(
                r.id
                for r in (*match.eligible, *match.paused, *match.protected_only)
                if r.id is not None
            ),
        }
        for tagged, match in outcomes(ctx)
    ]
    blobs = getattr(project, "blobs", {})
    names = getattr(project, "_files", None)
    return {
        "status": "linted",
        "files": dict(sorted(blobs.items())),
        "tree": tree_digest(names) if names is not None else None,
        "includes": fingerprints(recorder),
        "findings": [{**as_dict(d), "anchor": d.anchor} for d in result.diagnostics],
        "jobs": jobs,
        "runners": runner_facts(available),
    }


def runner_facts(available: Sequence[tuple[Runner, str]]) -> list[dict[str, Any]]:
    """What a record keeps of the runners a project may use (all that matching reads)."""
    return [
        {
            "id": runner.id,
            "name": runner.name,
            "type": kind,
            "tags": sorted(runner.tags),
            "run_untagged": runner.run_untagged,
            "paused": runner.paused,
            "protected": runner.protected,
        }
        for runner, kind in available
    ]


def unchanged(
    client: ScanClient, info: ProjectInfo, record: Mapping[str, Any], setup: LintSetup
) -> bool:
    """Whether ``record`` still holds for the project: the same default branch and CI
    configuration path, every file it read at the same blob id (one ``HEAD`` request per file,
    no content), every
    file included from elsewhere the same (:class:`cigen.scan.includes.IncludeCheck`, each
    answer shared by every project), and the same runners with the same matching facts
    (runner details are read once per scan)."""
    if record.get("status") not in KEEPABLE or record.get("version") != RECORD_VERSION:
        return False
    if record.get("project") != base_record(info)["project"]:
        return False
    if record.get("settings") != setup.settings:
        return False
    files = record.get("files")
    if not isinstance(files, dict) or info.default_branch is None:
        return False
    for path, blob in files.items():
        if client.blob_id(info.id, str(path), info.default_branch) != blob:
            return False
    tree = record.get("tree")
    if tree is not None and tree_digest(listed(client, info.id, info.default_branch)[0]) != tree:
        return False
    includes = record.get("includes")
    if not isinstance(includes, dict):
        return False
    if includes and (setup.includes is None or not setup.includes.unchanged(includes)):
        return False
    if record.get("status") == "linted":
        return bool(record.get("runners") == runner_facts(client.runners(info.id)))
    return True
