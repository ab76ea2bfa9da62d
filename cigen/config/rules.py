"""``rules:`` and ``workflow:`` entries: ``lib/gitlab/ci/config/entry/rules.rb``,
``rules/rule.rb``, ``rules/rule/changes.rb``, ``rules/rule/exists.rb``, ``workflow.rb`` and
``auto_cancel.rb``.

``rules`` is a non-empty list of rules (nested lists are flattened). Which keys a rule may have
and which ``when`` values it may use depend on where it is: a job's rules
(:data:`JOB_RULE_KEYS`, :data:`JOB_RULE_WHEN`) or ``workflow:rules``
(:data:`WORKFLOW_RULE_KEYS`, :data:`WORKFLOW_RULE_WHEN`). ``if:`` must parse as an expression
(:mod:`cigen.expressions`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from cigen import expressions
from cigen.config import needs as needs_entry
from cigen.config import node
from cigen.config import variables as variables_entry
from cigen.config.node import (
    Check,
    ConfigError,
    allowed_keys,
    blank,
    is_array_of_strings,
    is_boolean,
    is_duration,
    is_hash,
    is_string,
    location,
    optional_attribute,
    required_keys,
    ruby_length,
    ruby_text,
    rule_list,
    type_name,
    value_mark,
    within_duration,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass

JOB_RULE_WHEN = ("on_success", "on_failure", "always", "never", "manual", "delayed")
_RULE_KEYS = ("if", "changes", "exists", "when", "start_in", "allow_failure", "variables", "needs")
JOB_RULE_KEYS = (*_RULE_KEYS, "interruptible")
WORKFLOW_RULE_WHEN = ("always", "never")
#: ``start_in``, ``allow_failure`` and ``needs`` mean nothing here; GitLab keeps them allowed.
WORKFLOW_RULE_KEYS = (*_RULE_KEYS, "auto_cancel")
WORKFLOW_KEYS = ("rules", "name", "auto_cancel")
#: ``Ci::PipelineMetadata`` enums, in their declaration order.
ON_NEW_COMMIT = ("conservative", "interruptible", "none")
ON_JOB_FAILURE = ("none", "all")
#: ``Changes`` and ``Exists``: most paths in one clause.
MAX_PATHS = 50
MAX_NAME_LENGTH = 255
START_IN_LIMIT = "1 week"
Entry = Callable[[Check, Any, Mark, str], Any]


@dataclass(frozen=True, slots=True)
class Changes:
    """``changes:`` as ``paths`` and an optional ``compare_to`` ref."""

    paths: tuple[str, ...]
    mark: Mark
    compare_to: str | None = None


@dataclass(frozen=True, slots=True)
class Exists:
    """``exists:`` as ``paths``, optionally in another ``project`` at a ``ref``."""

    paths: tuple[str, ...]
    mark: Mark
    project: str | None = None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class AutoCancel:
    on_new_commit: str | None
    on_job_failure: str | None
    mark: Mark


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule; ``None`` for what it does not say."""

    mark: Mark
    if_: str | None = None
    if_mark: Mark | None = None
    when: str | None = None
    start_in: str | None = None
    allow_failure: bool | None = None
    interruptible: bool | None = None
    changes: Changes | None = None
    exists: Exists | None = None
    variables: tuple[variables_entry.Variable, ...] | None = None
    needs: tuple[needs_entry.Need, ...] | None = None
    auto_cancel: AutoCancel | None = None


@dataclass(frozen=True, slots=True)
class Workflow:
    mark: Mark
    name: str | None = None
    rules: tuple[Rule, ...] | None = None
    auto_cancel: AutoCancel | None = None


# --- workflow ---------------------------------------------------------------------------------


def workflow(c: Check, value: Any, mark: Mark, loc: str) -> Workflow | None:
    """``Entry::Workflow``: ``rules``, ``name`` and ``auto_cancel``.

    GitLab checks the hash type twice (``Configurable`` and ``Workflow``) and so lists
    "config should be a hash" twice; it is reported once.
    """
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)
        return None
    count = len(c.errors)
    allowed_keys(c, loc, value, WORKFLOW_KEYS, mark)
    name = value.get("name")
    if name is not None and ruby_length(name) > MAX_NAME_LENGTH:
        c.add(
            loc,
            "name",
            f"is too long (maximum is {MAX_NAME_LENGTH} characters)",
            value_mark(value, "name", mark),
        )
    if len(c.errors) > count:
        return None
    found_rules = None
    if value.get("rules") is not None:
        found_rules = rules(
            c,
            value["rules"],
            value.value_mark("rules"),
            location(loc, "rules"),
            allowed_when=WORKFLOW_RULE_WHEN,
            allowed_keys=WORKFLOW_RULE_KEYS,
        )
    found_cancel = None
    if value.get("auto_cancel") is not None:
        found_cancel = auto_cancel(
            c, value["auto_cancel"], value.value_mark("auto_cancel"), location(loc, "auto_cancel")
        )
    if len(c.errors) > count:
        return None
    return Workflow(
        mark,
        name=None if name is None else ruby_text(name),
        rules=found_rules,
        auto_cancel=found_cancel,
    )


def auto_cancel(c: Check, value: Any, mark: Mark, loc: str) -> AutoCancel | None:
    """``Entry::AutoCancel``: ``on_new_commit`` and ``on_job_failure``."""
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)
        return None
    count = len(c.errors)
    allowed_keys(c, loc, value, ("on_new_commit", "on_job_failure"), mark)
    for key, options in (("on_new_commit", ON_NEW_COMMIT), ("on_job_failure", ON_JOB_FAILURE)):
        found = value.get(key)
        if found is None:
            continue
        where = value.value_mark(key)
        if not is_string(found):
            c.add(loc, key, type_name(str), where)
        if found not in options:
            c.add(loc, key, "must be one of: " + ", ".join(options), where)
    if len(c.errors) > count:
        return None
    return AutoCancel(value.get("on_new_commit"), value.get("on_job_failure"), mark)


# --- rules ------------------------------------------------------------------------------------


def rules(
    c: Check,
    value: Any,
    mark: Mark,
    loc: str,
    *,
    allowed_when: tuple[str, ...],
    allowed_keys: tuple[str, ...],
) -> tuple[Rule, ...] | None:
    """``Entry::Rules``: a non-empty array of rules; nested arrays are flattened."""
    return rule_list(c, value, mark, loc, _rule_entry(allowed_when, allowed_keys))


_RULE_ENTRY: dict[tuple[tuple[str, ...], tuple[str, ...]], Entry] = {}


def _rule_entry(allowed_when: tuple[str, ...], allowed_keys: tuple[str, ...]) -> Entry:
    """The entry of one rule with these ``when`` values and keys: one function for each, so
    that :meth:`Check.reuse` knows a rule it checked before."""
    found = _RULE_ENTRY.get((allowed_when, allowed_keys))
    if found is None:
        keys = frozenset(allowed_keys)

        def found(c: Check, item: Any, where: Mark, at: str) -> Rule | None:
            return rule(c, item, where, at, allowed_when=allowed_when, allowed_keys=keys)

        _RULE_ENTRY[allowed_when, allowed_keys] = found
    return found


def job_rules(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Rule, ...] | None:
    return rules(c, value, mark, loc, allowed_when=JOB_RULE_WHEN, allowed_keys=JOB_RULE_KEYS)


def workflow_rules(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Rule, ...] | None:
    return rules(
        c, value, mark, loc, allowed_when=WORKFLOW_RULE_WHEN, allowed_keys=WORKFLOW_RULE_KEYS
    )


def rule(
    c: Check,
    value: Any,
    mark: Mark,
    loc: str,
    *,
    allowed_when: tuple[str, ...],
    allowed_keys: Collection[str],
) -> Rule | None:
    """``Entry::Rules::Rule``: own checks, then ``changes``, ``exists``, ``variables``,
    ``needs`` and ``auto_cancel``.

    GitLab checks the hash type twice (``Configurable`` and ``Rule``); reported once. Each key
    is read once (a pipeline has hundreds of rules).
    """
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)
        return None
    errors = c.errors
    count = len(errors)
    get = value.get
    when, condition, start_in = get("when"), get("if"), get("start_in")
    allow, interruptible = get("allow_failure"), get("interruptible")
    # the rule's own validations
    if not value:  # blank: the rule is a hash
        c.add(loc, "config", "can't be blank", mark)
    delayed = when == "delayed"
    if not delayed and "start_in" in value:
        c.add(loc, "config", "contains disallowed keys: start_in", value.key_mark("start_in"))
    if delayed:
        where = value_mark(value, "start_in", value_mark(value, "when", mark))
        if blank(start_in):
            c.add(loc, "start_in", "can't be blank", where)
        if not is_duration(start_in):
            c.add(loc, "start_in", "should be a duration", where)
        if not within_duration(start_in, START_IN_LIMIT):
            c.add(loc, "start_in", "should not exceed the limit", where)
    if condition is not None and not (
        isinstance(condition, str) and expressions.validate(condition) is None
    ):
        # A string that does not parse is reported by invalid-expression, with the reason.
        rule_code = "CIG401" if isinstance(condition, str) else "CIG002"
        c.add(loc, "if", "Invalid expression syntax", value.value_mark("if"), rule=rule_code)
    if allow is not None or interruptible is not None:
        for key, found in (("allow_failure", allow), ("interruptible", interruptible)):
            if found is not None and not is_boolean(found):
                c.add(loc, key, "should be a boolean value", value_mark(value, key, mark))
    if (
        when is not None
        and (when if isinstance(when, str) else ruby_text(when)) not in allowed_when
    ):
        c.add(loc, "when", f"unknown value: {ruby_text(when)}", value.value_mark("when"))
    keys = value.keys()
    if not (isinstance(allowed_keys, frozenset) and keys <= allowed_keys):
        node.allowed_keys(c, loc, value, allowed_keys, mark)
    if len(errors) > count:
        return None
    # the children (most rules have none, or only ``changes``)
    children: Any = _NO_CHILDREN
    if not keys.isdisjoint(_CHILD_KEYS):
        children = []
        for key, entry in _RULE_ENTRIES:
            found = get(key)
            if found is not None:
                found = entry(c, found, value.value_mark(key), f"{loc}:{key}" if loc else key)
            children.append(found)
        if len(errors) > count:
            return None
    return Rule(
        mark,
        condition,
        value.value_mark("if") if "if" in value else None,
        when,
        start_in if isinstance(start_in, str) else None,
        allow,
        interruptible,
        *children,
    )


# --- changes / exists -------------------------------------------------------------------------


def changes(c: Check, value: Any, mark: Mark, loc: str) -> Changes | None:
    """``Rules::Rule::Changes``: an array of paths (``SimpleChanges``) or
    ``{paths:, compare_to:}`` (``ComplexChanges``); at most 50 paths."""
    count = len(c.errors)
    if isinstance(value, list):
        if not is_array_of_strings(value):
            c.add(loc, "config", "should be an array of strings", mark)
        if len(value) > MAX_PATHS:
            c.add(loc, "config", f"has too many entries (maximum {MAX_PATHS})", mark)
        return None if len(c.errors) > count else Changes(tuple(value), mark)
    if not is_hash(value):
        c.errors.append(ConfigError(f"{loc} should be an array or a hash", mark, where=loc))
        return None
    allowed_keys(c, loc, value, ("paths", "compare_to"), mark)
    required_keys(c, loc, value, ("paths",), mark)
    paths = value.get("paths")
    where = value_mark(value, "paths", mark)
    if not is_array_of_strings(paths):
        c.add(loc, "paths", "should be an array of strings", where)
    # allow_nil: false, so Rails' length check counts a missing list as too long as well.
    if paths is None or ruby_length(paths) > MAX_PATHS:
        c.add(loc, "paths", f"has too many entries (maximum {MAX_PATHS})", where)
    optional_attribute(c, loc, value, "compare_to", is_string, type_name(str), mark)
    if len(c.errors) > count:
        return None
    return Changes(tuple(paths), mark, value.get("compare_to"))


def exists(
    c: Check, value: Any, mark: Mark, loc: str, *, limit_paths: bool = True
) -> Exists | None:
    """``Rules::Rule::Exists``: a path, an array of paths (``SimpleExists``) or
    ``{paths:, project:, ref:}`` (``ComplexExists``). ``include:rules:exists`` does not
    limit the number of paths of the simple form (``limit_paths=False``)."""
    count = len(c.errors)
    if isinstance(value, (str, list)) or blank(value):
        if isinstance(value, list):
            if not is_array_of_strings(value):
                c.add(loc, "config", "should be an array of strings", mark)
            if limit_paths and len(value) > MAX_PATHS:
                c.add(loc, "config", f"has too many entries (maximum {MAX_PATHS})", mark)
        if len(c.errors) > count:
            return None
        if isinstance(value, str):
            return Exists((value,), mark)
        return Exists(tuple(value) if isinstance(value, list) else (), mark)
    if not is_hash(value):
        c.errors.append(
            ConfigError(
                f"{loc} should be a string, an array of strings, or a hash", mark, where=loc
            )
        )
        return None
    allowed_keys(c, loc, value, ("paths", "project", "ref"), mark)
    required_keys(c, loc, value, ("paths",), mark)
    if value.get("ref") is not None:
        required_keys(c, loc, value, ("project",), mark)
    paths = value.get("paths")
    if paths is not None:
        where = value_mark(value, "paths", mark)
        if not is_array_of_strings(paths):
            c.add(loc, "paths", "should be an array of strings", where)
        if ruby_length(paths) > MAX_PATHS:
            c.add(loc, "paths", f"has too many entries (maximum {MAX_PATHS})", where)
    for key in ("project", "ref"):
        optional_attribute(c, loc, value, key, is_string, type_name(str), mark)
    if len(c.errors) > count:
        return None
    return Exists(tuple(paths or ()), mark, value.get("project"), value.get("ref"))


def include_exists(c: Check, value: Any, mark: Mark, loc: str) -> Exists | None:
    """``include:rules:exists`` (``disable_simple_exists_paths_limit``)."""
    return exists(c, value, mark, loc, limit_paths=False)


_RULE_ENTRIES = (
    ("changes", changes),
    ("exists", exists),
    ("variables", variables_entry.plain_variables),
    ("needs", needs_entry.rule_needs),
    ("auto_cancel", auto_cancel),
)
_CHILD_KEYS = frozenset(key for key, _ in _RULE_ENTRIES)
_NO_CHILDREN = (None,) * len(_RULE_ENTRIES)
