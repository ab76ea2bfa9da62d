"""``trigger:``: ``lib/gitlab/ci/config/entry/trigger.rb`` and ``trigger/forward.rb``.

A trigger job starts a downstream pipeline: another project's (``trigger: group/project`` or
``{project:, branch:, strategy:, forward:, inputs:}``) or a child pipeline of this project
(``{include:, strategy:, forward:}``, at most three includes). ``strategy`` is ``depend`` or
``mirror``; ``forward`` says whether job and pipeline variables are passed on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cigen.config import include as include_entry
from cigen.config.node import (
    Check,
    ConfigError,
    allowed_keys,
    blank,
    is_boolean,
    is_hash,
    is_string,
    location,
    type_name,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass

#: ``CrossProjectTrigger::ALLOWED_KEYS`` and ``SameProjectTrigger::ALLOWED_KEYS``.
CROSS_PROJECT_KEYS = ("project", "branch", "strategy", "forward", "inputs")
SAME_PROJECT_KEYS = ("strategy", "include", "forward")
STRATEGIES = ("depend", "mirror")
#: ``Trigger::Forward::ALLOWED_KEYS``.
FORWARD_KEYS = ("yaml_variables", "pipeline_variables")


@dataclass(frozen=True, slots=True)
class Forward:
    """``trigger:forward``: ``None`` where GitLab's default applies."""

    yaml_variables: bool | None = None
    pipeline_variables: bool | None = None


@dataclass(frozen=True, slots=True)
class Trigger:
    """A downstream pipeline: ``project`` (multi-project) or ``include`` (child pipeline).

    ``include`` is the value as written (a path or a list); ``includes`` the checked entries.
    """

    mark: Mark
    project: str | None = None
    branch: str | None = None
    strategy: str | None = None
    inputs: Mapping[str, Any] | None = None
    include: Any = None
    includes: tuple[include_entry.Include, ...] | None = None
    forward: Forward | None = None

    @property
    def child(self) -> bool:
        """A parent-child trigger (``include``) rather than a multi-project one."""
        return self.include is not None


def trigger(c: Check, value: Any, mark: Mark, loc: str) -> Trigger | None:
    """``Entry::Trigger``: a project path, or a hash (cross-project or same-project)."""
    if isinstance(value, str):
        if blank(value):
            c.add(loc, "config", "can't be blank", mark)
            return None
        return Trigger(mark, project=value)
    if not is_hash(value):
        c.errors.append(ConfigError(f"{loc} has to be either a string or a hash", mark, where=loc))
        return None
    if "include" in value:
        return _same_project(c, value, mark, loc)
    return _cross_project(c, value, mark, loc)


def _strategy(c: Check, value: Any, mark: Mark, loc: str) -> None:
    found = value.get("strategy")
    if found is None:
        return
    where = value_mark(value, "strategy", mark)
    if not is_string(found):
        c.add(loc, "strategy", type_name(str), where)
    if found not in STRATEGIES:
        c.add(loc, "strategy", "should be depend or mirror", where)


def _cross_project(c: Check, value: Any, mark: Mark, loc: str) -> Trigger | None:
    """``CrossProjectTrigger``."""
    count = len(c.errors)
    if blank(value):
        c.add(loc, "config", "can't be blank", mark)
    allowed_keys(c, loc, value, CROSS_PROJECT_KEYS, mark)
    inputs = value.get("inputs")
    if inputs is not None and not is_hash(inputs):
        c.add(loc, "inputs", type_name(dict), value_mark(value, "inputs", mark))
    project = value.get("project")
    where = value_mark(value, "project", mark)
    if not is_string(project):
        c.add(loc, "project", type_name(str), where)
    if blank(project):
        c.add(loc, "project", "can't be blank", where)
    branch = value.get("branch")
    if branch is not None and not is_string(branch):
        c.add(loc, "branch", type_name(str), value_mark(value, "branch", mark))
    _strategy(c, value, mark, loc)
    if len(c.errors) > count:
        return None
    found = _forward_child(c, value, mark, loc)
    if len(c.errors) > count:
        return None
    return Trigger(
        mark,
        project=project,
        branch=branch,
        strategy=value.get("strategy"),
        inputs=inputs,
        forward=found,
    )


def _same_project(c: Check, value: Any, mark: Mark, loc: str) -> Trigger | None:
    """``SameProjectTrigger``: a child pipeline from at most three includes."""
    count = len(c.errors)
    if blank(value):
        c.add(loc, "config", "can't be blank", mark)
    allowed_keys(c, loc, value, SAME_PROJECT_KEYS, mark)
    _strategy(c, value, mark, loc)
    if len(c.errors) > count:
        return None
    checked = None
    if value.get("include") is not None:
        where = value_mark(value, "include", mark)
        checked = include_entry.trigger_includes(
            c, value["include"], where, location(loc, "include")
        )
    found = _forward_child(c, value, mark, loc)
    if len(c.errors) > count:
        return None
    return Trigger(
        mark,
        strategy=value.get("strategy"),
        include=value.get("include"),
        includes=checked,
        forward=found,
    )


def _forward_child(c: Check, value: Any, mark: Mark, loc: str) -> Forward | None:
    found = value.get("forward")
    if found is None:
        return None
    return forward(c, found, value_mark(value, "forward", mark), location(loc, "forward"))


def forward(c: Check, value: Any, mark: Mark, loc: str) -> Forward | None:
    """``Trigger::Forward``: two booleans. GitLab does not check that it is a hash: any other
    value passes and forwards GitLab's defaults."""
    if not is_hash(value):
        return Forward()
    count = len(c.errors)
    allowed_keys(c, loc, value, FORWARD_KEYS, mark)
    for key in FORWARD_KEYS:
        flag = value.get(key)
        if flag is not None and not is_boolean(flag):
            c.add(loc, key, "should be a boolean value", value_mark(value, key, mark))
    if len(c.errors) > count:
        return None
    return Forward(value.get("yaml_variables"), value.get("pipeline_variables"))
