"""``environment:`` and its ``kubernetes:``: ``lib/gitlab/ci/config/entry/environment.rb`` and
``kubernetes.rb``.

An environment is a name (``production``) or a hash ``{name:, url:, action:, on_stop:,
auto_stop_in:, kubernetes:, deployment_tier:}``. The name may hold letters, digits, ``-``,
``_``, ``/``, ``$``, ``{``, ``}``, ``.`` and spaces and may not start or end with ``/``
(``Gitlab::Regex.environment_name_regex``). ``kubernetes:`` is checked only once the
environment itself is valid; its ``dashboard:`` and ``managed_resources:`` follow GitLab's JSON
schemas (``entry/schemas/kubernetes/*.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cigen.config.node import (
    Check,
    allowed_keys,
    blank,
    is_hash,
    is_string,
    location,
    ruby_length,
    ruby_text,
    type_name,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.regex import lazy_pattern

#: ``Environment::ALLOWED_KEYS``.
ENVIRONMENT_KEYS = (
    "name",
    "url",
    "action",
    "on_stop",
    "auto_stop_in",
    "kubernetes",
    "deployment_tier",
)
ACTIONS = ("start", "stop", "prepare", "verify", "access")
#: ``Gitlab::Regex.environment_name_regex`` and its message.
NAME_FORMAT = lazy_pattern(r"[a-zA-Z0-9_${}. -](?:[a-zA-Z0-9_/${}. -]*[a-zA-Z0-9_${}. -])?")
NAME_MESSAGE = (
    "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, "
    "but it cannot start or end with '/'"
)
URL_MAX = 255
#: ``Kubernetes::ALLOWED_KEYS``.
KUBERNETES_KEYS = ("namespace", "agent", "flux_resource_path", "managed_resources", "dashboard")

#: ``entry/schemas/kubernetes/dashboard.json``.
DASHBOARD_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "namespace": {"type": "string", "minLength": 1, "maxLength": 63},
        "flux_resource_path": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "required": ["namespace"],
    "additionalProperties": False,
}
#: ``entry/schemas/kubernetes/managed_resources.json``.
MANAGED_RESOURCES_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {"enabled": {"type": "boolean"}},
    "additionalProperties": False,
}


@dataclass(frozen=True, slots=True)
class Kubernetes:
    """``environment:kubernetes``: the agent and namespace a deployment reports to."""

    mark: Mark
    namespace: str | None = None
    agent: str | None = None
    flux_resource_path: str | None = None
    managed_resources: Mapping[str, Any] | None = None
    dashboard: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Environment:
    """A job's environment. ``action`` is what was written (``None`` in a hash without one);
    :attr:`effective_action` is GitLab's ``start`` default."""

    name: str
    mark: Mark  # where the environment value is written
    name_mark: Mark
    url: str | None = None
    action: str | None = None
    on_stop: str | None = None
    on_stop_mark: Mark | None = None
    auto_stop_in: str | None = None
    deployment_tier: str | None = None
    kubernetes: Kubernetes | None = None

    @property
    def effective_action(self) -> str:
        return self.action or "start"


def environment(c: Check, value: Any, mark: Mark, loc: str) -> Environment | None:
    """``Entry::Environment``: own checks, then ``kubernetes`` when they pass."""
    count = len(c.errors)
    hashed = is_hash(value)
    if not (hashed or is_string(value)):
        c.add(loc, "config", "should be a hash or a string", mark)
    data: Mapping[str, Any] = value if hashed else {"name": value} if is_string(value) else {}
    name = data.get("name")
    name_mark = value_mark(value, "name", mark)
    if blank(name):
        c.add(loc, "name", "can't be blank", name_mark)
    # The type and the format checks give the same message; GitLab then shows it twice.
    if not is_string(name) or not NAME_FORMAT().fullmatch(ruby_text(name)):
        c.add(loc, "name", NAME_MESSAGE, name_mark)
    if hashed:
        _hash_checks(c, value, mark, loc)
    if len(c.errors) > count:
        return None
    if not hashed:
        return Environment(str(value), mark, name_mark, action="start")
    found = None
    if value.get("kubernetes") is not None:
        where = value_mark(value, "kubernetes", mark)
        found = kubernetes(c, value["kubernetes"], where, location(loc, "kubernetes"))
        if found is None:
            return None
    return Environment(
        str(name),
        mark,
        name_mark,
        url=value.get("url"),
        action=value.get("action"),
        on_stop=value.get("on_stop"),
        on_stop_mark=value_mark(value, "on_stop", mark) if "on_stop" in value else None,
        auto_stop_in=value.get("auto_stop_in"),
        deployment_tier=value.get("deployment_tier"),
        kubernetes=found,
    )


def _hash_checks(c: Check, value: Any, mark: Mark, loc: str) -> None:
    """The validations GitLab runs ``if: :hash?``, all of them ``allow_nil``."""
    allowed_keys(c, loc, value, ENVIRONMENT_KEYS, mark)
    url = value.get("url")
    if url is not None:
        where = value_mark(value, "url", mark)
        if not is_string(url):
            c.add(loc, "url", type_name(str), where)
        if ruby_length(url) > URL_MAX:
            c.add(loc, "url", f"is too long (maximum is {URL_MAX} characters)", where)
    action = value.get("action")
    if action is not None:
        where = value_mark(value, "action", mark)
        if not is_string(action):
            c.add(loc, "action", type_name(str), where)
        if action not in ACTIONS:
            c.add(loc, "action", "should be start, stop, prepare, verify, or access", where)
    for key in ("deployment_tier", "on_stop"):
        found = value.get(key)
        if found is not None and not is_string(found):
            c.add(loc, key, type_name(str), value_mark(value, key, mark))
    found = value.get("kubernetes")
    if found is not None and not is_hash(found):
        c.add(loc, "kubernetes", type_name(dict), value_mark(value, "kubernetes", mark))
    found = value.get("auto_stop_in")
    if found is not None and not is_string(found):
        c.add(loc, "auto_stop_in", type_name(str), value_mark(value, "auto_stop_in", mark))


def kubernetes(c: Check, value: Any, mark: Mark, loc: str) -> Kubernetes | None:
    """``Entry::Kubernetes``."""
    count = len(c.errors)
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)  # GitLab checks this twice: shown once
    if blank(value):
        c.add(loc, "config", "can't be blank", mark)
    allowed_keys(c, loc, value, KUBERNETES_KEYS, mark)
    data: Mapping[str, Any] = value if is_hash(value) else {}
    namespace = data.get("namespace")
    agent = data.get("agent")
    flux = data.get("flux_resource_path")
    managed = data.get("managed_resources")
    dashboard = data.get("dashboard") or {}  # Ruby: nil and false read as {}

    def at(key: str) -> Mark:
        return value_mark(value, key, mark)

    if namespace is not None and not is_string(namespace):
        c.add(loc, "namespace", type_name(str), at("namespace"))
    if not blank(flux) and blank(namespace):
        c.add(loc, "namespace", "can't be blank", at("namespace"))
    if agent is not None and not is_string(agent):
        c.add(loc, "agent", type_name(str), at("agent"))
    enabled = isinstance(managed, dict) and managed.get("enabled") is True
    if (not blank(flux) or not blank(dashboard) or enabled) and blank(agent):
        c.add(loc, "agent", "can't be blank", at("agent"))
    if flux is not None and not is_string(flux):
        c.add(loc, "flux_resource_path", type_name(str), at("flux_resource_path"))
    if managed is not None:
        _schema(c, loc, "managed_resources", managed, MANAGED_RESOURCES_SCHEMA, at)
    if not blank(dashboard):
        _schema(c, loc, "dashboard", dashboard, DASHBOARD_SCHEMA, at)
    if is_hash(dashboard):
        if not blank(namespace) and not blank(dashboard.get("namespace")):
            text = "cannot be specified when dashboard.namespace is set"
            c.add(loc, "namespace", text, at("namespace"))
        if not blank(flux) and not blank(dashboard.get("flux_resource_path")):
            text = "cannot be specified when dashboard.flux_resource_path is set"
            c.add(loc, "flux_resource_path", text, at("flux_resource_path"))
    if len(c.errors) > count:
        return None
    return Kubernetes(
        mark,
        namespace=namespace,
        agent=agent,
        flux_resource_path=flux,
        managed_resources=managed,
        dashboard=dashboard or None,
    )


def _schema(c: Check, loc: str, key: str, found: Any, schema: Mapping[str, Any], at: Any) -> None:
    """``validates key, json_schema: {detail_errors: true, size_limit: 64.kilobytes}``."""
    from cigen.config import schemer  # few environments have a kubernetes: or agent: hash

    if schemer.too_large(found):
        c.add(loc, key, schemer.SIZE_MESSAGE, at(key))
        return
    for text in schemer.errors(schema, found):
        c.add(loc, key, text, at(key))
