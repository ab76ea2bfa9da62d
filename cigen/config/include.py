"""``include:`` entries: ``lib/gitlab/ci/config/entry/includes.rb``, ``include.rb``,
``include/rules.rb``, ``include/rules/rule.rb`` and ``concerns/base_include(s).rb``.

The entry tree checks the *shape* of each include: a path or a hash of known keys, ``file:``
with ``project:``, ``job:`` with ``artifact:``, ``integrity:`` only on ``remote:`` and as a
base64 ``sha256-`` hash, ``cache:`` only on ``remote:`` and as ``true`` or a duration of at
least a minute, and ``rules:`` (``if``, ``exists``, ``changes``, ``when: never|always``).
GitLab runs these checks on ``trigger:include`` (at most 3 includes there); the top-level
``include:`` is expanded before the entry tree, and its ``rules:`` are checked on their own
(``lib/gitlab/ci/config/external/rules.rb``): :func:`external_rules_error`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cigen import expressions
from cigen.config import rules as rule_entries
from cigen.config.node import (
    Check,
    ConfigError,
    allowed_keys,
    blank,
    flat_items,
    is_hash,
    is_string,
    location,
    parse_duration,
    ruby_text,
    rule_list,
    type_name,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.regex import lazy_pattern

#: ``BaseInclude::COMMON_ALLOWED_KEYS`` + ``Include::ADDITIONAL_ALLOWED_KEYS``.
INCLUDE_KEYS = (
    "local",
    "file",
    "remote",
    "project",
    "ref",
    "integrity",
    "cache",
    "template",
    "artifact",
    "inputs",
    "job",
    "rules",
    "component",
)
#: ``Include::Rules::Rule::ALLOWED_KEYS`` and ``ALLOWED_WHEN``.
RULE_KEYS = ("if", "exists", "when", "changes")
RULE_WHEN = ("never", "always")
#: ``SameProjectTrigger::INCLUDE_MAX_SIZE``.
TRIGGER_INCLUDE_MAX = 3
#: ``Ci::IncludeCacheValidator::MIN_DURATION`` (seconds) as ChronicDuration words it.
CACHE_MIN_SECONDS = 60
CACHE_MIN_TEXT = "1 minute"
_base64 = lazy_pattern(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_BASE64_INDEX = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@dataclass(frozen=True, slots=True)
class IncludeRule:
    """One ``include:rules`` entry."""

    mark: Mark
    if_: str | None = None
    when: str | None = None
    changes: Any = None  # rules.Changes
    exists: Any = None  # rules.Exists


@dataclass(frozen=True, slots=True)
class Include:
    """One include: the path or hash as written, and its checked ``rules``."""

    mark: Mark
    value: str | Mapping[str, Any]
    rules: tuple[IncludeRule, ...] | None = None

    @property
    def job(self) -> str | None:
        """The ``job:`` an ``artifact:`` include fetches from."""
        found = self.value.get("job") if isinstance(self.value, Mapping) else None
        return found if isinstance(found, str) else None


def includes(
    c: Check, value: Any, mark: Mark, loc: str, *, max_size: int | None = None
) -> tuple[Include, ...] | None:
    """``Entry::Includes``: a path or an array of includes (at most ``max_size``)."""
    count = len(c.errors)
    if not isinstance(value, (list, str)):
        c.add(loc, "config", "should be an array or a string", mark)
    if max_size is not None and isinstance(value, list) and len(value) > max_size:
        c.add(loc, "config", f"is too long (maximum is {max_size})", mark)
    if len(c.errors) > count:
        return None
    out: list[Include] = []
    for item, where in flat_items(value, mark):
        if item is None:
            continue  # an unspecified entry
        found = include(c, item, where, location(loc, "include"))
        if found is not None:
            out.append(found)
    return None if len(c.errors) > count else tuple(out)


def trigger_includes(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Include, ...] | None:
    """``trigger:include``: :func:`includes` with at most :data:`TRIGGER_INCLUDE_MAX`."""
    return includes(c, value, mark, loc, max_size=TRIGGER_INCLUDE_MAX)


def include(c: Check, value: Any, mark: Mark, loc: str) -> Include | None:
    """``Entry::Include``: its own checks, then ``rules`` when they pass."""
    count = len(c.errors)
    hashed = is_hash(value)
    if not (hashed or is_string(value)):
        c.add(loc, "config", "should be a hash or a string", mark)
    if hashed:
        base_include_checks(c, value, mark, loc)
        allowed_keys(c, loc, value, INCLUDE_KEYS, mark)
        if _truthy(value.get("artifact")) and blank(value.get("job")):
            c.add(loc, "config", "must specify the job where to fetch the artifact from", mark)
        found = value.get("rules")
        if found is not None and not (isinstance(found, list) and all(is_hash(v) for v in found)):
            c.add(loc, "rules", "should be an array of hashes", value_mark(value, "rules", mark))
    if len(c.errors) > count:
        return None
    if not hashed or value.get("rules") is None:
        return Include(mark, value)
    where = value_mark(value, "rules", mark)
    checked = include_rules(c, value["rules"], where, location(loc, "rules"))
    return None if checked is None else Include(mark, value, checked)


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


def base_include_checks(c: Check, value: Any, mark: Mark, loc: str) -> None:
    """``BaseInclude``: ``file`` with ``project``, ``integrity`` and ``cache``."""
    if _truthy(value.get("project")) and blank(value.get("file")):
        c.add(loc, "config", "must specify the file where to fetch the config from", mark)
    integrity = value.get("integrity")
    if _truthy(integrity):
        where = value_mark(value, "integrity", mark)
        if blank(value.get("remote")):
            c.add(loc, "config", "integrity can only be specified for remote includes", where)
        if not (isinstance(integrity, str) and integrity.startswith("sha256-")):
            c.add(loc, "config", "integrity hash must start with 'sha256-'", where)
        elif not strict_base64(integrity.removeprefix("sha256-")):
            c.add(loc, "config", "integrity hash must be base64 encoded", where)
    cache = value.get("cache")
    if not blank(cache):
        _cache_checks(c, value, cache, value_mark(value, "cache", mark), loc)


def strict_base64(text: str) -> bool:
    """Ruby's ``Base64.strict_decode64`` accepts ``text``: RFC 4648 padding, no stray bits."""
    if not _base64().fullmatch(text):
        return False
    body = text.rstrip("=")
    pad = len(text) - len(body)
    if pad == 0:
        return True
    last = _BASE64_INDEX.index(body[-1])
    return last & (0x0F if pad == 2 else 0x03) == 0


def _cache_checks(c: Check, value: Any, cache: Any, where: Mark, loc: str) -> None:
    """``Ci::IncludeCacheValidator``."""
    if blank(value.get("remote")):
        c.add(loc, "config", "cache can only be specified for remote includes", where)
    if cache is True:
        return
    if not isinstance(cache, str):
        c.add(loc, "config", "cache must be a boolean or a duration string", where)
        return
    if cache.strip().lower() == "never":
        return  # GitLab accepts the word, then fails to compare it: not a configuration error
    seconds = parse_duration(cache)
    if seconds is None:
        c.add(loc, "config", "cache contains an invalid duration", where)
    elif seconds < CACHE_MIN_SECONDS:
        c.add(loc, "config", f"cache duration must be at least {CACHE_MIN_TEXT}", where)


def include_rules(c: Check, value: Any, mark: Mark, loc: str) -> tuple[IncludeRule, ...] | None:
    """``Entry::Include::Rules``: a non-empty array of rules."""
    return rule_list(c, value, mark, loc, include_rule)


def include_rule(c: Check, value: Any, mark: Mark, loc: str) -> IncludeRule | None:
    """``Entry::Include::Rules::Rule``: ``if``, ``exists``, ``changes`` and ``when``."""
    count = len(c.errors)
    if blank(value):
        c.add(loc, "config", "can't be blank", mark)
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)  # GitLab checks this twice: shown once
    allowed_keys(c, loc, value, RULE_KEYS, mark)
    data: Mapping[str, Any] = value if is_hash(value) else {}
    condition = data.get("if")
    if condition is not None and not (
        isinstance(condition, str) and expressions.validate(condition) is None
    ):
        # A string that does not parse is reported by invalid-expression, with the reason.
        rule = "CIG401" if isinstance(condition, str) else "CIG002"
        c.add(loc, "if", "Invalid expression syntax", value_mark(value, "if", mark), rule=rule)
    when = data.get("when")
    if when is not None and ruby_text(when) not in RULE_WHEN:
        c.add(loc, "when", f"unknown value: {ruby_text(when)}", value_mark(value, "when", mark))
    if len(c.errors) > count:
        return None
    children: dict[str, Any] = {}
    if data.get("changes") is not None:
        where = value_mark(value, "changes", mark)
        children["changes"] = rule_entries.changes(
            c, data["changes"], where, location(loc, "changes")
        )
    if data.get("exists") is not None:
        where = value_mark(value, "exists", mark)
        children["exists"] = rule_entries.include_exists(
            c, data["exists"], where, location(loc, "exists")
        )
    if len(c.errors) > count:
        return None
    return IncludeRule(mark, if_=condition, when=when, **children)


def external_rules_error(value: Any, mark: Mark) -> ConfigError | None:
    """The error GitLab raises for a top-level include's ``rules`` (``External::Rules``):
    ``include:`` and the first message of the rules entry, located at ``rules``."""
    if value is None:
        return None
    c = Check()
    include_rules(c, value, mark, "rules")
    if not c.errors:
        return None
    first = c.errors[0]
    return ConfigError(f"include:{first.message}", first.mark, first.rule, where="include")
