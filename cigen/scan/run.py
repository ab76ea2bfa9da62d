"""A scan of one shard: list the projects, keep this shard's, read and lint each (in a bounded
pool of threads), append each record as it is done, and write the compacted file at the end.

A rerun over an existing output file keeps every record whose configuration did not change
(:func:`cigen.scan.project.unchanged`) and scans the rest, so an interrupted or timed-out scan
resumes where it stopped.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cigen.errors import CigenError
from cigen.records import dataclass
from cigen.scan.client import DeadlinePassed, Listing, ProjectInfo, ScanClient
from cigen.scan.project import (
    LintSetup,
    not_scanned,
    scan_project,
    settings_digest,
    unchanged,
)
from cigen.scan.records import Appender, read_records, shard_of, write_records

DEADLINE_REASON = "the scan's deadline passed before this project was read"


@dataclass(frozen=True)
class ScanSettings:
    listing: Listing
    shard: tuple[int, int] = (1, 1)
    workers: int = 4
    fresh: bool = False
    follow_includes: bool = True
    follow_remote: bool = False
    """Fetch remote includes (and configurations at a URL) through ``cigen fetch``'s bounded
    fetcher, each URL once per scan (needs ``follow_includes``)."""
    allow_http: bool = False
    """With ``follow_remote``: accept plain ``http://`` URLs too."""


@dataclass(frozen=True)
class ScanResult:
    records: dict[int, dict[str, Any]]
    listed: int
    scanned: int
    kept: int
    not_scanned: int
    seconds: float
    requests: int
    waited: float


def run_scan(
    client: ScanClient, settings: ScanSettings, lint_setup: LintSetup, output: Path
) -> ScanResult:
    """Scan this shard's projects into ``output`` (JSON lines); see the module documentation."""
    started = time.monotonic()
    index, total = settings.shard
    listed = client.projects(settings.listing)
    mine = [info for info in listed if shard_of(info.id, total) == index]
    previous: dict[int, dict[str, Any]] = {}
    if output.exists() and not settings.fresh:
        previous = read_records([output])
    elif output.exists():
        write_records(output, {})
    appender = Appender(output)

    def one(info: ProjectInfo, setup: LintSetup) -> tuple[dict[str, Any], str]:
        old = previous.get(info.id)
        record, kind = _scan_one(client, info, setup, old)
        if kind == "scanned" or (kind == "not-scanned" and old is None):
            appender.add(record)
        return record, kind

    try:
        with tempfile.TemporaryDirectory(prefix="cigen-scan-") as root:
            remote = settings.follow_includes and settings.follow_remote
            external = (
                _includes(client, Path(root), remote, settings.allow_http)
                if settings.follow_includes
                else None
            )
            setup = LintSetup(
                lint_setup.config,
                Path(root),
                external,
                settings_digest(
                    lint_setup.config, external is not None, remote, settings.allow_http
                ),
                _include_check(client, external, remote) if external is not None else None,
                remote,
            )
            with ThreadPoolExecutor(max_workers=max(settings.workers, 1)) as pool:
                done = list(pool.map(lambda i: one(i, setup), mine))
    finally:
        appender.close()
    records = {info.id: record for info, (record, _) in zip(mine, done, strict=True)}
    counts = Counter(kind for _, kind in done)

    write_records(output, records)
    return ScanResult(
        records=records,
        listed=len(listed),
        scanned=counts["scanned"],
        kept=counts["kept"],
        not_scanned=counts["not-scanned"],
        seconds=time.monotonic() - started,
        requests=client.requests_made,
        waited=client.throttle.waited,
    )


def _scan_one(
    client: ScanClient, info: ProjectInfo, setup: LintSetup, old: Mapping[str, Any] | None
) -> tuple[dict[str, Any], str]:
    """The project's record and how it came: ``scanned``, ``kept`` or ``not-scanned``."""
    if client.deadline.passed:
        return (dict(old) if old is not None else not_scanned(info, DEADLINE_REASON)), (
            "not-scanned"
        )
    try:
        if old is not None and _still_valid(client, info, old, setup):
            return dict(old), "kept"
        return scan_project(client, info, setup), "scanned"
    except DeadlinePassed as exc:
        return (dict(old) if old is not None else not_scanned(info, str(exc))), "not-scanned"
    except Exception as exc:  # a cigen bug on one project must not stop the scan
        from cigen.redact import scrub
        from cigen.scan.project import base_record

        reason = scrub(
            f"cigen crashed on this project ({type(exc).__name__}: {exc}); the other projects "
            "were scanned; please report this",
            client.session.secrets,
        )
        return {**base_record(info), "status": "internal-error", "reason": reason}, "scanned"


def _still_valid(
    client: ScanClient, info: ProjectInfo, old: Mapping[str, Any], setup: LintSetup
) -> bool:
    try:
        return unchanged(client, info, old, setup)
    except DeadlinePassed:
        raise
    except CigenError:
        return False  # scanned again, and the scan records why it cannot be read


def _includes(
    client: ScanClient, root: Path, remote: bool = False, allow_http: bool = False
) -> Any:
    """External includes (other projects, templates, components; remote URLs when ``remote``)
    read through ``cigen fetch``'s online source and bounded fetcher, once per scan, with the
    scan's client and within the scan's deadline."""
    from cigen.resolve.fetch import OnlineSource

    fetcher = _scan_fetcher(client, remote, allow_http)
    return _OncePerScan(OnlineSource(fetcher, root / "includes"))


def _scan_fetcher(client: ScanClient, remote: bool, allow_http: bool) -> Any:
    """``cigen fetch``'s fetcher bounded by the scan's deadline: past it, the project being
    read is recorded as not scanned (:class:`DeadlinePassed`), as for the API's requests."""
    from cigen.resolve.fetch import Fetcher

    class ScanFetcher(Fetcher):
        def late(self) -> CigenError:
            return DeadlinePassed(
                "the scan's deadline passed while fetching an include; the projects not read "
                "yet are recorded as not scanned"
            )

    return ScanFetcher(
        lambda: client.session,
        remote=remote,
        allow_http=allow_http,
        deadline=client.deadline.remaining(),
    )


def _include_check(client: ScanClient, external: Any, remote: bool = False) -> Any:
    """The rerun's check of included files, sharing the scan's source and client."""
    from cigen.gitlab_api import NotFound, ref_commit
    from cigen.scan.includes import IncludeCheck

    def commit(project: str, ref: str) -> str | None:
        try:
            return ref_commit(client.session, project, ref)
        except NotFound:
            return None

    return IncludeCheck(external, commit, remote)


class _OncePerScan:
    """A source shared by the scan's threads: each include is fetched by one thread while the
    others asking for it wait for that answer. A remote URL is fetched once whatever
    ``integrity:`` each include writes; each one's integrity is checked against that content
    (``file/remote.rb``)."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def get(self, request: Any) -> Any:
        from cigen.resolve.external import Fetched, Request, Unavailable, intact

        asked = request
        if request.kind == "remote" and request.integrity:
            asked = Request("remote", request.target)
        with self._lock:
            lock = self._locks.setdefault(asked.key, threading.Lock())
        with lock:
            got = self._source.get(asked)
        if asked is request or not isinstance(got, Fetched):
            return got
        if intact(bytes.fromhex(got.entry.sha256), request.integrity):
            return got
        return Unavailable(
            f"{request.describe()}: Remote file `{request.target}` failed integrity check!"
        )
