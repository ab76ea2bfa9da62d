"""Small job entries: ``hooks``, ``timeout``, ``retry``, ``tags``, ``id_tokens``,
``allow_failure`` and the job's ``inputs``.

Follows ``lib/gitlab/ci/config/entry/hooks.rb``, ``timeout.rb``, ``retry.rb``, ``tags.rb``,
``id_token.rb`` (in a ``ComposableHash``), ``allow_failure.rb``, ``job_input.rb`` and
``base_input.rb``: the same checks in the same order, GitLab's message text. An empty location
stands for a node without a key (GitLab's specs): its messages then name its class.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cigen.config.node import (
    Check,
    allowed_keys,
    is_alphanumeric,
    is_array_of_strings,
    is_array_of_strings_or_string,
    is_duration,
    is_integer,
    is_string,
    location,
    required_keys,
    ruby_text,
    type_name,
    value_mark,
    within_duration,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass, replace
from cigen.regex import lazy_pattern

HOOK_KEYS = ("pre_get_sources_script",)
RETRY_KEYS = ("max", "when", "exit_codes")
MAX_RETRIES = 2
#: ``::Ci::Build.failure_reasons`` (``Enums::Ci::CommitStatus``), and ``always``: what
#: ``retry:when`` accepts.
RETRY_WHEN = (
    "always",
    "unknown_failure",
    "script_failure",
    "api_failure",
    "stuck_or_timeout_failure",
    "runner_system_failure",
    "missing_dependency_failure",
    "runner_unsupported",
    "stale_schedule",
    "job_execution_timeout",
    "archived_failure",
    "unmet_prerequisites",
    "scheduler_failure",
    "data_integrity_failure",
    "forward_deployment_failure",
    "user_blocked",
    "project_deleted",
    "ci_quota_exceeded",
    "pipeline_loop_detected",
    "no_matching_runner",
    "trace_size_exceeded",
    "builds_disabled",
    "environment_creation_failure",
    "deployment_rejected",
    "failed_outdated_deployment_job",
    "job_execution_server_timeout",
    "stuck_pending_with_matching_runners",
    "stuck_pending_no_matching_runners",
    "no_updates_running",
    "no_updates_canceling",
    "server_timeout_running",
    "server_timeout_canceling",
    "runner_configuration_error",
    "runner_external_dependency_failure",
    "runner_interrupted",
    "protected_environment_failure",
    "insufficient_bridge_permissions",
    "downstream_bridge_project_not_found",
    "invalid_bridge_trigger",
    "upstream_bridge_project_not_found",
    "insufficient_upstream_permissions",
    "bridge_pipeline_is_child_pipeline",
    "downstream_pipeline_creation_failed",
    "secrets_provider_not_found",
    "reached_max_descendant_pipelines_depth",
    "ip_restriction_failure",
    "reached_max_pipeline_hierarchy_size",
    "reached_downstream_pipeline_trigger_rate_limit",
    "duo_workflow_not_allowed",
    "job_router_failure",
    "job_token_expired",
    "id_token_burned_project_path",
    "downstream_project_trigger_resolved_to_empty",
)
#: ``ChronicDuration.output(Project::MAX_BUILD_TIMEOUT)``: ``1.month`` is 2629746 seconds.
TIMEOUT_LIMIT = "1 mo 10 hrs 29 mins 6 secs"
#: ``Tags::TAGS_LIMIT``: a job may have at most 49 distinct tags.
TAGS_LIMIT = 50
ALLOW_FAILURE_KEYS = ("exit_codes",)
#: ``BaseInput::COMMON_ALLOWED_KEYS``.
INPUT_KEYS = ("default", "description", "options", "regex", "type")
#: ``::Ci::Inputs::Builder.input_types``.
INPUT_TYPES = ("array", "boolean", "number", "string")
MAX_INPUT_OPTIONS = 50


@dataclass(frozen=True, slots=True)
class Retry:
    """``retry:``: how often, on which failures, for which exit codes."""

    mark: Mark
    max: Any = None  # an integer, or text ActiveModel reads as one ("2")
    when: tuple[str, ...] | None = None
    exit_codes: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class AllowFailure:
    """``allow_failure:``: a boolean, or the exit codes that may fail."""

    mark: Mark
    allowed: bool
    exit_codes: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class IdToken:
    """One of ``id_tokens:``."""

    name: str
    mark: Mark
    aud: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JobInput:
    """One of a job's ``inputs:`` (``type`` defaults to ``string``)."""

    name: str
    mark: Mark
    default: Any
    type: str = "string"
    description: Any = None
    options: tuple[Any, ...] | None = None
    regex: str | None = None


def _own(loc: str, name: str) -> str:
    """``Node#location``: the location, or the class name for a node without a key."""
    return loc or name


# --- hooks, timeout, tags ----------------------------------------------------------------------


def hooks(c: Check, value: Any, mark: Mark, loc: str) -> dict[str, tuple[str, ...]] | None:
    """``Entry::Hooks``: ``pre_get_sources_script`` commands."""
    from cigen.config.root import commands

    own = _own(loc, "hooks")
    if not isinstance(value, dict):
        # Configurable's hash check, then Hooks' own: GitLab reports both.
        c.add(own, "config", type_name(dict), mark)
        c.add(own, "config", type_name(dict), mark)
        return None
    if not allowed_keys(c, own, value, HOOK_KEYS, mark):
        return None
    out: dict[str, tuple[str, ...]] = {}
    count = len(c.errors)
    for name in HOOK_KEYS:
        if value.get(name) is not None:
            where = value_mark(value, name, mark)
            found = commands(c, value[name], where, location(loc, name))
            if found is not None:
                out[name] = found
    return None if len(c.errors) > count else out


def timeout(c: Check, value: Any, mark: Mark, loc: str) -> str | None:
    """``Entry::Timeout``: a duration below a month."""
    own = _own(loc, "timeout")
    count = len(c.errors)
    if not is_duration(value):
        c.add(own, "config", "should be a duration", mark)
    if not within_duration(value, TIMEOUT_LIMIT):
        c.add(own, "config", "should not exceed the limit", mark)
    return None if len(c.errors) > count else str(value)


def tags(c: Check, value: Any, mark: Mark, loc: str) -> tuple[str, ...] | None:
    """``Entry::Tags``: strings, fewer than 50 distinct tags once split at commas."""
    own = _own(loc, "tags")
    count = len(c.errors)
    if not is_array_of_strings(value):
        c.add(own, "config", "should be an array of strings", mark)
    if isinstance(value, list) and len(parse_tags(value)) >= TAGS_LIMIT:
        c.add(own, "config", f"must be less than the limit of {TAGS_LIMIT} tags", mark)
    return None if len(c.errors) > count else tuple(value)


_DOUBLE_QUOTED = lazy_pattern(r'(\A|,)\s*"(.*?)"\s*(?=,\s*|\Z)')
_SINGLE_QUOTED = lazy_pattern(r"(\A|,)\s*'(.*?)'\s*(?=,\s*|\Z)")


def parse_tags(items: list[Any]) -> tuple[str, ...]:
    """``Gitlab::Ci::Tags::Parser``: the items joined with ``", "``, quoted tags taken out,
    the rest split at commas; blank tags dropped, the others stripped and distinct."""
    text = ", ".join(_joined(item) for item in items)
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        found.append(match.group(2))
        return ""

    if '"' in text:
        text = _DOUBLE_QUOTED().sub(take, text)
    if "'" in text:
        text = _SINGLE_QUOTED().sub(take, text)
    found.extend(text.split(","))
    out: dict[str, None] = {}
    for tag in found:
        if tag.strip():
            out[tag.strip(" \t\n\v\f\r\0")] = None
    return tuple(out)


def _joined(item: Any) -> str:
    """``Array#join`` of one item: nested arrays are joined too."""
    if isinstance(item, list):
        return ", ".join(_joined(inner) for inner in item)
    return ruby_text(item)


# --- retry -------------------------------------------------------------------------------------


def retry(c: Check, value: Any, mark: Mark, loc: str) -> Retry | None:
    """``Entry::Retry``: an integer (``SimpleRetry``) or a hash (``FullRetry``).

    GitLab's retry entries report at the location ``retry``, wherever they are written; the
    errors still say (``where``) which entry they are about."""
    count = len(c.errors)
    found = _retry(c, value, mark)
    for index in range(count, len(c.errors)):
        c.errors[index] = replace(c.errors[index], where=loc or "retry")
    return found


def _retry(c: Check, value: Any, mark: Mark) -> Retry | None:
    if is_integer(value):
        text = _numericality(value)
        if text:
            c.add("retry", "config", text, mark)
            return None
        return Retry(mark, max=value)
    if not isinstance(value, dict):
        c.literal("retry config", "has to be either an integer or a hash", mark)
        return None
    count = len(c.errors)
    allowed_keys(c, "retry", value, RETRY_KEYS, mark)
    limit = value.get("max")
    if limit is not None:
        text = _numericality(limit)
        if text:
            c.add("retry", "max", text, value_mark(value, "max", mark))
    when = value.get("when")
    if when is not None:
        where = value_mark(value, "when", mark)
        if not is_array_of_strings_or_string(when):
            c.add("retry", "when", "should be an array of strings or a string", where)
        if isinstance(when, list):
            unknown = [item for item in when if item not in RETRY_WHEN]
            if unknown:
                text = ", ".join(ruby_text(item) for item in unknown)
                c.add("retry", "when", f"contains unknown values: {text}", where)
        elif is_string(when) and when not in RETRY_WHEN:
            c.add("retry", "when", "is not included in the list", where)
    codes = value.get("exit_codes")
    if codes is not None and not _integers(codes):
        where = value_mark(value, "exit_codes", mark)
        c.add("retry", "exit_codes", "should be an array of integers or an integer", where)
    if len(c.errors) > count:
        return None
    return Retry(
        mark,
        max=limit,
        when=tuple(when) if isinstance(when, list) else (when,) if when else None,
        exit_codes=_as_codes(codes),
    )


_INTEGER_TEXT = lazy_pattern(r"[+-]?\d+")
# Kernel#Float: digits with single underscores between them, a fraction, an exponent; spaces
# around are allowed.
_float_text = lazy_pattern(
    r"\s*[+-]?(?:\d+(?:_\d+)*)?(?:\.\d+(?:_\d+)*)?(?:[eE][+-]?\d+(?:_\d+)*)?\s*"
)


def _numericality(value: Any) -> str | None:
    """ActiveModel's ``numericality: {only_integer: true, greater_than_or_equal_to: 0,
    less_than_or_equal_to: 2}``: its message, or ``None`` when the value passes."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return "is not a number"
    text = str(value)
    if isinstance(value, str) and not _INTEGER_TEXT().fullmatch(text):
        if re.match(r"\s*[+-]?0[xX]", text) or not _float_text().fullmatch(text):
            return "is not a number"
        if not re.search(r"\d", text):
            return "is not a number"
    if not _INTEGER_TEXT().fullmatch(text):
        return "must be an integer"
    number = int(text)
    if number < 0:
        return "must be greater than or equal to 0"
    if number > MAX_RETRIES:
        return f"must be less than or equal to {MAX_RETRIES}"
    return None


def _integers(value: Any) -> bool:
    """``ArrayOfIntegersOrIntegerValidator``."""
    if isinstance(value, list):
        return all(is_integer(item) for item in value)
    return is_integer(value)


def _as_codes(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    return tuple(value) if isinstance(value, list) else (value,)


# --- allow_failure ----------------------------------------------------------------------------


def allow_failure(c: Check, value: Any, mark: Mark, loc: str) -> AllowFailure | None:
    """``Entry::AllowFailure``: a boolean, or ``exit_codes``."""
    own = _own(loc, "allow failure")
    count = len(c.errors)
    if not isinstance(value, (dict, bool)):
        c.add(own, "config", "should be a hash or a boolean value", mark)
    allowed_keys(c, own, value, ALLOW_FAILURE_KEYS, mark)
    codes = value.get("exit_codes") if isinstance(value, dict) else None
    if codes is not None and not _integers(codes):
        where = value_mark(value, "exit_codes", mark)
        c.add(own, "exit_codes", "should be an array of integers or an integer", where)
    if len(c.errors) > count:
        return None
    if isinstance(value, bool):
        return AllowFailure(mark, value)
    return AllowFailure(mark, True, _as_codes(codes) or None)


# --- id_tokens ---------------------------------------------------------------------------------


def id_tokens(c: Check, value: Any, mark: Mark, loc: str) -> tuple[IdToken, ...] | None:
    """``id_tokens:``: a ``ComposableHash`` of ``IdToken`` entries."""
    if not isinstance(value, dict):
        c.add(_own(loc, "composable hash"), "config", type_name(dict), mark)
        return None
    count = len(c.errors)
    out: list[IdToken] = []
    for name, item in value.items():
        where = value_mark(value, name, mark)
        found = id_token(c, {} if item is None else item, where, location(loc, str(name)))
        if found is not None:
            out.append(IdToken(str(name), where, found))
    return None if len(c.errors) > count else tuple(out)


def id_token(c: Check, value: Any, mark: Mark, loc: str) -> tuple[str, ...] | None:
    """``Entry::IdToken``: ``aud``, one audience or several."""
    own = _own(loc, "id token")
    count = len(c.errors)
    required_keys(c, own, value, ("aud",), mark)
    allowed_keys(c, own, value, ("aud",), mark)
    aud = value.get("aud") if isinstance(value, dict) else None
    if not is_array_of_strings_or_string(aud):
        c.add(
            own, "aud", "should be an array of strings or a string", value_mark(value, "aud", mark)
        )
    if len(c.errors) > count:
        return None
    return tuple(aud) if isinstance(aud, list) else (str(aud),)


# --- inputs ------------------------------------------------------------------------------------


def job_inputs(c: Check, value: Any, mark: Mark, loc: str) -> tuple[JobInput, ...] | None:
    """A job's ``inputs:``: a ``ComposableHash`` of ``JobInput`` entries (the job itself checks
    the feature flag, the count and the defaults)."""
    if not isinstance(value, dict):
        c.add(_own(loc, "composable hash"), "config", type_name(dict), mark)
        return None
    count = len(c.errors)
    out: list[JobInput] = []
    for name, item in value.items():
        where = value_mark(value, name, mark)
        found = _job_input(c, str(name), {} if item is None else item, where, location(loc, name))
        if found is not None:
            out.append(found)
    return None if len(c.errors) > count else tuple(out)


def job_input(c: Check, value: Any, mark: Mark, loc: str) -> JobInput | None:
    """``Entry::JobInput``: ``BaseInput``'s checks, then a hash of known keys with a default."""
    return _job_input(c, loc.rpartition(":")[2], value, mark, loc)


def _job_input(c: Check, name: str, value: Any, mark: Mark, loc: str) -> JobInput | None:
    own = _own(loc, "job input")
    count = len(c.errors)
    node: Mapping[str, Any] = value if isinstance(value, dict) else {}
    description = node.get("description")
    if description is not None and not is_alphanumeric(description):
        where = value_mark(node, "description", mark)
        c.add(own, "input_description", "must be an alphanumeric string", where)
    regex = node.get("regex")
    if regex is not None and not is_string(regex):
        c.add(own, "input_regex", type_name(str), value_mark(node, "regex", mark))
    kind = node.get("type")
    if kind is not None and ruby_text(kind) not in INPUT_TYPES:
        where = value_mark(node, "type", mark)
        c.add(own, "input_type", f"unknown value: {ruby_text(kind)}", where)
    options = node.get("options")
    if options is not None and not isinstance(options, list):
        c.add(own, "input_options", type_name(list), value_mark(node, "options", mark))
    if isinstance(options, (list, dict, str)) and len(options) > MAX_INPUT_OPTIONS:
        where = value_mark(node, "options", mark)
        c.add(own, "config", f"cannot define more than {MAX_INPUT_OPTIONS} options", where)
    if not isinstance(value, dict):
        # GitLab adds this, then fails on `config[:default]` with an exception.
        c.add(own, "config", type_name(dict), mark)
        return None
    allowed_keys(c, own, value, INPUT_KEYS, mark)
    if value.get("default") is None:
        c.base(own, "must have a default value", mark)
    if len(c.errors) > count:
        return None
    return JobInput(
        name=name,
        mark=mark,
        default=value["default"],
        type=str(kind or "string"),
        description=description,
        options=tuple(options) if isinstance(options, list) else None,
        regex=regex,
    )
