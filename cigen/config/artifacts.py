"""Artifacts, reports, coverage, pages, publish and release entries.

Follows ``lib/gitlab/ci/config/entry/artifacts.rb``, ``reports.rb``,
``reports/coverage_report.rb``, ``coverage.rb``, ``pages.rb``, ``publish.rb``, ``release.rb``
and ``release/assets.rb``, ``release/assets/links.rb``: the same checks in the same order,
GitLab's message text, children checked only when their parent is valid. An empty location
stands for a node without a key (GitLab's specs): its messages then name its class.

``release:assets:links`` items are never checked by GitLab: ``Links`` is an array, and
``Configurable`` only builds child entries from a hash, so ``release/assets/link.rb`` never
runs on a pipeline (``Assets`` already requires an array of hashes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cigen.config.node import (
    Check,
    allowed_keys,
    blank,
    contains_variable,
    is_array_of_strings,
    is_array_of_strings_or_string,
    is_boolean,
    is_string,
    location,
    mutually_exclusive_keys,
    parse_duration,
    ruby_length,
    ruby_text,
    type_name,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass, replace
from cigen.regex import lazy_pattern

#: ``Artifacts::ALLOWED_KEYS``.
ARTIFACTS_KEYS = (
    "name",
    "untracked",
    "paths",
    "reports",
    "when",
    "expire_in",
    "expose_as",
    "exclude",
    "public",
    "access",
)
ARTIFACTS_WHEN = ("on_success", "on_failure", "always")
ARTIFACTS_ACCESS = ("none", "developer", "maintainer", "all")
_expose_as = lazy_pattern(r"\w[-\w ]*", re.ASCII)  # Artifacts::EXPOSE_AS_REGEX, \A...\z
EXPOSE_AS_ERROR = "can contain only letters, digits, '-', '_' and spaces"
#: ``Ci::JobArtifact::MAX_EXPOSED_AS_LENGTH``.
MAX_EXPOSED_AS_LENGTH = 100

#: ``Reports::ALLOWED_KEYS``.
REPORT_KEYS = (
    "junit",
    "codequality",
    "sast",
    "secret_detection",
    "dependency_scanning",
    "container_scanning",
    "dast",
    "performance",
    "browser_performance",
    "load_performance",
    "license_scanning",
    "metrics",
    "lsif",
    "dotenv",
    "terraform",
    "accessibility",
    "coverage_fuzzing",
    "api_fuzzing",
    "cluster_image_scanning",
    "requirements",
    "requirements_v2",
    "coverage_report",
    "cyclonedx",
    "annotations",
    "repository_xray",
)
# The reports Reports checks, in its order: `sast` is declared twice (two messages), and
# `codequality` and `coverage_report` are not checked there at all.
_CHECKED_REPORTS = (
    "junit",
    "api_fuzzing",
    "coverage_fuzzing",
    "sast",
    "sast",
    "secret_detection",
    "dependency_scanning",
    "container_scanning",
    "cluster_image_scanning",
    "dast",
    "performance",
    "browser_performance",
    "load_performance",
    "license_scanning",
    "metrics",
    "lsif",
    "dotenv",
    "terraform",
    "accessibility",
    "requirements",
    "requirements_v2",
    "cyclonedx",
    "annotations",
    "repository_xray",
)
COVERAGE_REPORT_KEYS = ("coverage_format", "path")
COBERTURA_HINT = (
    "artifacts:reports:cobertura was removed in GitLab 15.0: write coverage_report: "
    "{coverage_format: cobertura, path: <file>}"
)
COVERAGE_FORMATS = ("cobertura", "jacoco")

PAGES_KEYS = ("path_prefix", "expire_in", "publish")
#: ``Publish.default``.
DEFAULT_PUBLISH = "public"

RELEASE_KEYS = (
    "tag_name",
    "tag_message",
    "name",
    "description",
    "ref",
    "released_at",
    "milestones",
    "assets",
)
ASSETS_KEYS = ("links",)


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """``artifacts:reports:coverage_report``."""

    mark: Mark
    coverage_format: str
    path: str


@dataclass(frozen=True, slots=True)
class Reports:
    """``artifacts:reports``: each report's paths (``Array(value)``), and the coverage report."""

    mark: Mark
    files: Mapping[str, tuple[Any, ...]]
    coverage_report: CoverageReport | None = None


@dataclass(frozen=True, slots=True)
class Artifacts:
    """``artifacts:`` of a job or of ``default:``."""

    mark: Mark
    name: str | None = None
    untracked: bool | None = None
    paths: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    reports: Reports | None = None
    when: str | None = None
    expire_in: str | None = None
    expose_as: str | None = None
    public: bool | None = None
    access: str | None = None


@dataclass(frozen=True, slots=True)
class Pages:
    """``pages:``: ``true``/``false``, or its options."""

    mark: Mark
    enabled: bool
    path_prefix: str | None = None
    expire_in: str | None = None
    publish: str | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """``release:``."""

    mark: Mark
    tag_name: str
    description: str
    tag_message: str | None = None
    name: str | None = None
    ref: str | None = None
    released_at: str | None = None
    milestones: tuple[str, ...] = ()
    links: tuple[Mapping[str, Any], ...] = ()


def _own(loc: str, name: str) -> str:
    """``Node#location``: the location, or the class name for a node without a key."""
    return loc or name


def _string(c: Check, own: str, node: Mapping[str, Any], key: str, mark: Mark) -> None:
    """``validates key, type: String`` with ``allow_nil``."""
    found = node.get(key)
    if found is not None and not is_string(found):
        c.add(own, key, type_name(str), value_mark(node, key, mark))


def _one_of(
    c: Check, own: str, node: Mapping[str, Any], key: str, allowed: tuple[str, ...], mark: Mark
) -> None:
    """``validates key, type: String, inclusion: {message: "should be one of: ..."}``."""
    found = node.get(key)
    if found is None:
        return
    where = value_mark(node, key, mark)
    if not is_string(found):
        c.add(own, key, type_name(str), where)
    if found not in allowed:
        c.add(own, key, "should be one of: " + ", ".join(allowed), where)


def expire_in_ok(value: Any) -> bool:
    """``validate_duration`` with ``Gitlab::Ci::Build::DurationParser``: ``never`` (any case),
    or a non-zero ChronicDuration."""
    if not isinstance(value, str):
        return False
    return value.lower() == "never" or parse_duration(value) is not None


# --- artifacts ---------------------------------------------------------------------------------


def artifacts(c: Check, value: Any, mark: Mark, loc: str) -> Artifacts | None:
    """``Entry::Artifacts``."""
    own = _own(loc, "artifacts")
    if not isinstance(value, dict):
        # Configurable's hash check, then Artifacts' own: GitLab reports both.
        c.add(own, "config", "should be a hash", mark)
        c.add(own, "config", "should be a hash", mark)
        return None
    count = len(c.errors)
    allowed_keys(c, own, value, ARTIFACTS_KEYS, mark)
    exposed = value.get("expose_as") is not None
    paths = value.get("paths")
    if exposed and blank(paths):
        c.add(own, "paths", "can't be blank", value_mark(value, "paths", mark))
    mutually_exclusive_keys(c, own, value, ("access", "public"), mark)
    _string(c, own, value, "name", mark)
    for key in ("public", "untracked"):
        if value.get(key) is not None and not is_boolean(value[key]):
            c.add(own, key, "should be a boolean value", value_mark(value, key, mark))
    if paths is not None:
        _paths_checks(c, own, paths, value_mark(value, "paths", mark), exposed)
    if exposed:
        _expose_as_checks(c, own, value["expose_as"], value_mark(value, "expose_as", mark))
    exclude = value.get("exclude")
    if exclude is not None and not is_array_of_strings(exclude):
        c.add(own, "exclude", "should be an array of strings", value_mark(value, "exclude", mark))
    reports_value = value.get("reports")
    if reports_value is not None and not isinstance(reports_value, dict):
        c.add(own, "reports", type_name(dict), value_mark(value, "reports", mark))
    _one_of(c, own, value, "when", ARTIFACTS_WHEN, mark)
    expire_in = value.get("expire_in")
    if expire_in is not None and not expire_in_ok(expire_in):
        c.add(own, "expire_in", "should be a duration", value_mark(value, "expire_in", mark))
    _one_of(c, own, value, "access", ARTIFACTS_ACCESS, mark)
    if len(c.errors) > count:
        return None
    found_reports = None
    if reports_value is not None:
        where = value_mark(value, "reports", mark)
        found_reports = reports(c, reports_value, where, location(loc, "reports"))
        if found_reports is None:
            return None
    return Artifacts(
        mark=mark,
        name=value.get("name"),
        untracked=value.get("untracked"),
        paths=tuple(paths) if paths is not None else None,
        exclude=tuple(exclude) if exclude is not None else None,
        reports=found_reports,
        when=value.get("when"),
        expire_in=expire_in,
        expose_as=value.get("expose_as"),
        public=value.get("public"),
        access=value.get("access"),
    )


def _paths_checks(c: Check, own: str, paths: Any, where: Mark, exposed: bool) -> None:
    """``paths`` must be strings; with ``expose_as`` it is checked again, without ``*``."""
    valid = is_array_of_strings(paths)
    if not valid:
        c.add(own, "paths", "should be an array of strings", where)
    if not exposed:
        return
    if not valid:
        c.add(own, "paths", "should be an array of strings", where)
    elif any("*" in path for path in paths):  # Ci::JobArtifact::EXPOSED_PATH_REGEX
        c.add(own, "paths", "can't contain '*' when used with 'expose_as'", where)


def _expose_as_checks(c: Check, own: str, expose_as: Any, where: Mark) -> None:
    if not is_string(expose_as):
        c.add(own, "expose_as", type_name(str), where)
    if ruby_length(expose_as) > MAX_EXPOSED_AS_LENGTH:
        c.add(
            own, "expose_as", f"is too long (maximum is {MAX_EXPOSED_AS_LENGTH} characters)", where
        )
    if not _expose_as().fullmatch(ruby_text(expose_as)):
        c.add(own, "expose_as", EXPOSE_AS_ERROR, where)


def reports(c: Check, value: Any, mark: Mark, loc: str) -> Reports | None:
    """``Entry::Reports``."""
    own = _own(loc, "reports")
    if not isinstance(value, dict):
        c.add(own, "config", "should be a hash", mark)
        c.add(own, "config", "should be a hash", mark)
        return None
    count = len(c.errors)
    if not allowed_keys(c, own, value, REPORT_KEYS, mark) and "cobertura" in value:
        c.errors[-1] = replace(c.errors[-1], hint=COBERTURA_HINT)
    for key in _CHECKED_REPORTS:
        found = value.get(key)
        if found is not None and not is_array_of_strings_or_string(found):
            c.add(
                own,
                key,
                "should be an array of strings or a string",
                value_mark(value, key, mark),
            )
    if len(c.errors) > count:
        return None
    coverage = None
    if value.get("coverage_report") is not None:
        where = value_mark(value, "coverage_report", mark)
        coverage = coverage_report(
            c, value["coverage_report"], where, location(loc, "coverage_report")
        )
        if coverage is None:
            return None
    files = {
        key: tuple(found) if isinstance(found, list) else (found,)
        for key, found in value.items()
        if found is not None and key != "coverage_report"
    }
    return Reports(mark, files, coverage)


def coverage_report(c: Check, value: Any, mark: Mark, loc: str) -> CoverageReport | None:
    """``Entry::Reports::CoverageReport``: not a ``Configurable``, so a value that is not a hash
    also misses its format and path."""
    own = _own(loc, "coverage report")
    count = len(c.errors)
    node: Mapping[str, Any] = value if isinstance(value, dict) else {}
    if not isinstance(value, dict):
        c.add(own, "config", type_name(dict), mark)
    allowed_keys(c, own, value, COVERAGE_REPORT_KEYS, mark)
    found_format = node.get("coverage_format")
    where = value_mark(node, "coverage_format", mark)
    if blank(found_format):
        c.add(own, "coverage_format", "can't be blank", where)
    if found_format not in COVERAGE_FORMATS:
        supported = ", ".join(COVERAGE_FORMATS)
        c.add(own, "coverage_format", f"must be one of supported formats: {supported}.", where)
    path = node.get("path")
    where = value_mark(node, "path", mark)
    if blank(path):
        c.add(own, "path", "can't be blank", where)
    if not is_string(path):
        c.add(own, "path", type_name(str), where)
    if len(c.errors) > count:
        return None
    return CoverageReport(mark, str(found_format), str(path))


# --- coverage, pages, publish ------------------------------------------------------------------


def coverage(c: Check, value: Any, mark: Mark, loc: str) -> str | None:
    """``Entry::Coverage``: a ``/regexp/`` RE2 accepts; its value is the pattern inside."""
    from cigen.expressions import ExpressionSyntaxError, fabricate_regex

    try:
        if not isinstance(value, str):
            raise ExpressionSyntaxError("Pattern is not string!")
        fabricate_regex(value)
    except ExpressionSyntaxError:
        c.add(_own(loc, "coverage"), "config", "must be a regular expression with re2 syntax", mark)
        return None
    return value[1:-1]


def pages(c: Check, value: Any, mark: Mark, loc: str) -> Pages | None:
    """``Entry::Pages``: ``true``/``false`` or ``path_prefix``, ``expire_in``, ``publish``."""
    own = _own(loc, "pages")
    count = len(c.errors)
    if not (isinstance(value, dict) or is_boolean(value)):
        c.add(own, "config", "should be a hash or a boolean value", mark)
    allowed_keys(c, own, value, PAGES_KEYS, mark)
    node: Mapping[str, Any] = value if isinstance(value, dict) else {}
    _string(c, own, node, "path_prefix", mark)
    expire_in = node.get("expire_in")
    if expire_in is not None and not contains_variable(expire_in) and not expire_in_ok(expire_in):
        c.add(own, "expire_in", "should be a duration", value_mark(node, "expire_in", mark))
    _string(c, own, node, "publish", mark)
    if len(c.errors) > count:
        return None
    return Pages(
        mark,
        enabled=value is not False,
        path_prefix=node.get("path_prefix"),
        expire_in=expire_in,
        publish=node.get("publish"),
    )


def publish(c: Check, value: Any, mark: Mark, loc: str) -> str | None:
    """``Entry::Publish``: a string (GitLab's default is ``public``)."""
    if not is_string(value):
        c.add(_own(loc, "publish"), "config", type_name(str), mark)
        return None
    return str(value)


# --- release -----------------------------------------------------------------------------------


def release(c: Check, value: Any, mark: Mark, loc: str) -> Release | None:
    """``Entry::Release``."""
    own = _own(loc, "release")
    if not isinstance(value, dict):
        # GitLab adds this, then fails on `config[:description]` with an exception: the
        # configuration is refused, with no message of its own.
        c.add(own, "config", type_name(dict), mark)
        return None
    count = len(c.errors)
    allowed_keys(c, own, value, RELEASE_KEYS, mark)
    for key in ("tag_name", "tag_message", "description"):
        found = value.get(key)
        where = value_mark(value, key, mark)
        if key == "tag_message" and blank(found):
            continue  # allow_blank
        if not is_string(found):
            c.add(own, key, type_name(str), where)
        if key != "tag_message" and blank(found):
            c.add(own, key, "can't be blank", where)
    milestones = value.get("milestones")
    if not blank(milestones) and not is_array_of_strings_or_string(milestones):
        c.add(
            own,
            "milestones",
            "should be an array of strings or a string",
            value_mark(value, "milestones", mark),
        )
    released_at = value.get("released_at")
    if _truthy(released_at) and not iso8601_datetime(released_at):
        where = value_mark(value, "released_at", mark)
        c.add(own, "released_at", "must be a valid datetime", where)
    ref = value.get("ref")
    if _truthy(ref) and not (isinstance(ref, str) and (commit_sha(ref) or git_ref_name(ref))):
        c.add(own, "ref", "must be a valid ref", value_mark(value, "ref", mark))
    if len(c.errors) > count:
        return None
    links: tuple[Mapping[str, Any], ...] = ()
    if value.get("assets") is not None:
        where = value_mark(value, "assets", mark)
        found = assets(c, value["assets"], where, location(loc, "assets"))
        if found is None:
            return None
        links = found
    return Release(
        mark,
        tag_name=value["tag_name"],
        description=value["description"],
        tag_message=value.get("tag_message") or None,
        name=value.get("name"),
        ref=ref,
        released_at=released_at,
        milestones=tuple(_as_list(milestones)),
        links=links,
    )


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


def _as_list(value: Any) -> list[Any]:
    if blank(value):
        return []
    return list(value) if isinstance(value, list) else [value]


def assets(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Mapping[str, Any], ...] | None:
    """``Entry::Release::Assets``: ``links``, a non-empty array of hashes."""
    own = _own(loc, "assets")
    if not isinstance(value, dict):
        c.add(own, "config", type_name(dict), mark)
        return None
    count = len(c.errors)
    allowed_keys(c, own, value, ASSETS_KEYS, mark)
    found = value.get("links")
    where = value_mark(value, "links", mark)
    if not (isinstance(found, list) and all(isinstance(item, dict) for item in found)):
        c.add(own, "links", "should be an array of hashes", where)
    if blank(found):
        c.add(own, "links", "can't be blank", where)
    if len(c.errors) > count:
        return None
    # Links checks again what Assets just did: it cannot fail here.
    return links(c, found, where, location(loc, "links"))


def links(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Mapping[str, Any], ...] | None:
    """``Entry::Release::Assets::Links``: a non-empty array (its items are never checked)."""
    own = _own(loc, "links")
    count = len(c.errors)
    if not isinstance(value, list):
        c.add(own, "config", type_name(list), mark)
    if blank(value):
        c.add(own, "config", "can't be blank", mark)
    if len(c.errors) > count:
        return None
    return tuple(value)


# --- Ruby and git facts release: relies on -----------------------------------------------------

_sha = lazy_pattern(r"[0-9a-fA-F]{7,64}")  # Commit::EXACT_COMMIT_SHA_PATTERN
_REF_BAD_CHARS = frozenset("~^:\\?[*")


def commit_sha(text: str) -> bool:
    """``Commit.reference_valid?``: a full or abbreviated commit SHA."""
    return _sha().fullmatch(text) is not None


def git_ref_name(name: str) -> bool:
    """``Gitlab::GitRefValidator.validate``: a valid branch name for libgit2
    (``Rugged::Reference.valid_name?("refs/heads/#{name}")``), not ``HEAD``, not starting with
    ``-``, ``refs/heads/`` or ``refs/remotes/``."""
    if not name or name == "HEAD" or name.startswith(("-", "refs/heads/", "refs/remotes/")):
        return False
    full = f"refs/heads/{name}"
    if "\0" in full or full.endswith("."):
        return False
    for segment in full.split("/"):
        if not segment or segment.startswith(".") or segment.endswith(".lock"):
            return False
        if ".." in segment or "@{" in segment:
            return False
        if any(ord(ch) <= 32 or ch in _REF_BAD_CHARS for ch in segment):
            return False
    return True


# Date._iso8601 (ext/date/date_parse.c): extended and basic date-times, then times alone.
_iso_ext = lazy_pattern(
    r"\s*(?:([-+]?\d{2,}|-)-(\d{2})?(?:-(\d{2}))?|([-+]?\d{2,})?-(\d{3})|"
    r"(\d{4}|\d{2})?-w(\d{2})-(\d)|-w-(\d))"
    r"(?:t(\d{2}):(\d{2})(?::(\d{2})(?:[,.](\d+))?)?(z|[-+]\d{2}(?::?\d{2})?)?)?\s*",
    re.IGNORECASE | re.ASCII,
)
_iso_basic = lazy_pattern(
    r"\s*(?:([-+]?(?:\d{4}|\d{2})|--)(\d{2}|-)(\d{2})|([-+]?(?:\d{4}|\d{2}))(\d{3})|-(\d{3})|"
    r"(\d{4}|\d{2})w(\d{2})(\d)|-w(\d{2})(\d)|-w-(\d))"
    r"(?:t?(\d{2})(\d{2})(?:(\d{2})(?:[,.](\d+))?)?(z|[-+]\d{2}(?:\d{2})?)?)?\s*",
    re.IGNORECASE | re.ASCII,
)
_ISO_TIME = (
    lazy_pattern(
        r"\s*(\d{2}):(\d{2})(?::(\d{2})(?:[,.](\d+))?(z|[-+]\d{2}(:?\d{2})?)?)?\s*",
        re.IGNORECASE | re.ASCII,
    ),
    lazy_pattern(
        r"\s*(\d{2})(\d{2})(?:(\d{2})(?:[,.](\d+))?(z|[-+]\d{2}(\d{2})?)?)?\s*",
        re.IGNORECASE | re.ASCII,
    ),
)
#: Ruby's Date parsing refuses longer strings (``limit: 128``).
MAX_DATE_TEXT = 128


def iso8601_datetime(value: Any) -> bool:
    """``DateTime.iso8601(value)`` succeeds: an ISO 8601 date-time whose date and time exist.

    Where Ruby completes a partial value from today's date, any value is accepted."""
    if not isinstance(value, str) or len(value) > MAX_DATE_TEXT:
        return False
    match = _iso_ext().fullmatch(value)
    # a match the callback refuses (a year without a month) lets the next pattern try
    if match and not (match.group(1) not in (None, "-") and match.group(2) is None):
        year, month, day = match.group(1, 2, 3)
        time = match.group(10, 11, 12)
        return _civil_ok(year, month, day) and _other_date_ok(match, 5, 7, 8) and _time_ok(time)
    match = _iso_basic().fullmatch(value)
    if match and not (match.group(3) and match.group(2) == "-" and match.group(1) != "--"):
        year, month, day = match.group(1, 2, 3)
        month = None if month == "-" else month
        time = match.group(13, 14, 15)
        return _civil_ok(year, month, day) and _other_date_ok(match, 5, 8, 9) and _time_ok(time)
    for pattern in _ISO_TIME:
        match = pattern().fullmatch(value)
        if match:
            return _time_ok(match.group(1, 2, 3))
    return False


def _civil_ok(year: str | None, month: str | None, day: str | None) -> bool:
    if month is not None and not 1 <= int(month) <= 12:
        return False
    if day is None:
        return True
    if not 1 <= int(day) <= 31:
        return False
    if month is None or year is None or not year.lstrip("+-").isdigit():
        return True  # completed from today: leniently accepted
    number = int(year)
    if len(year) < 4:  # comp_year69, the sign counted
        number += 1900 if number >= 69 else 2000
    import calendar

    return int(day) <= calendar.monthrange(number if 1 <= number <= 9999 else 2000, int(month))[1]


def _other_date_ok(match: re.Match[str], yday: int, week: int, wday: int) -> bool:
    """An ordinal day (1-366) or an ISO week (1-53) and weekday (1-7)."""
    if match.group(yday) is not None and not 1 <= int(match.group(yday)) <= 366:
        return False
    if match.group(week) is not None and not 1 <= int(match.group(week)) <= 53:
        return False
    return match.group(wday) is None or 1 <= int(match.group(wday)) <= 7


def _time_ok(parts: tuple[str | None, ...]) -> bool:
    hour, minute, second = (int(p) if p is not None else 0 for p in parts)
    if hour == 24:
        return minute == 0 and second == 0
    return hour < 24 and minute <= 59 and second <= 60
