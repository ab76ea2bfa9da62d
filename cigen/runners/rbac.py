"""The Kubernetes permissions a runner needs in its job namespace, and no more.

:data:`PERMISSIONS` is the Kubernetes executor's permission table (gitlab-runner
``docs/executors/kubernetes/_index.md``, "Configure runner API permissions", generated from the
``// kubeAPI:`` annotations in ``executors/kubernetes/*.go``): one row per resource and verb,
with the settings or feature flags under which the verb is needed (any one of them; none means
always). :func:`role_rules` keeps the rows a runner's settings need and groups them into Role
rules.
"""

from __future__ import annotations

from cigen.records import dataclass
from cigen.runners.kubernetes import KubernetesSpec

__all__ = ["PERMISSIONS", "Permission", "needed", "role_rules"]

INFORMERS = "using Informers"
"""Condition of ``pods list``/``watch``: the executor follows pods with an informer (runner >=
17.9) when it may, and falls back to polling with a warning otherwise; cigen grants it."""


@dataclass(frozen=True)
class Permission:
    """One verb on one resource (``group`` ``""`` is the core API group)."""

    group: str
    resource: str
    verb: str
    conditions: tuple[str, ...] = ()


def _rows(group: str, resource: str, *verbs: tuple[str, tuple[str, ...]]) -> list[Permission]:
    return [Permission(group, resource, verb, conditions) for verb, conditions in verbs]


_AUTOSCALER = ("kubernetes.autoscaler",)
_SUSPEND = ("FF_SUSPENDABLE_ENVIRONMENTS=true",)
_NOT_LEGACY = ("FF_USE_LEGACY_KUBERNETES_EXECUTION_STRATEGY=false",)
_ALWAYS: tuple[str, ...] = ()
_EXEC_VERBS = ("create", "delete", "get", "patch")

PERMISSIONS: tuple[Permission, ...] = (
    *_rows(
        "apps",
        "deployments",
        *((verb, _AUTOSCALER) for verb in ("create", "delete", "get", "list", "update")),
    ),
    *_rows("", "configmaps", *((verb, _SUSPEND) for verb in ("create", "delete", "get", "update"))),
    *_rows(
        "",
        "events",
        ("list", ("print_pod_warning_events=true",)),
        ("watch", ("FF_PRINT_POD_EVENTS=true",)),
    ),
    *_rows(
        "",
        "namespaces",
        ("create", ("kubernetes.NamespacePerJob=true",)),
        ("delete", ("kubernetes.NamespacePerJob=true",)),
        ("get", _SUSPEND),
    ),
    *_rows("", "persistentvolumeclaims", ("create", _SUSPEND), ("delete", _SUSPEND)),
    *_rows(
        "",
        "pods",
        ("create", _ALWAYS),
        ("delete", _ALWAYS),
        ("get", _ALWAYS),
        ("list", (INFORMERS,)),
        ("watch", (INFORMERS, "FF_KUBERNETES_HONOR_ENTRYPOINT=true", *_NOT_LEGACY)),
    ),
    *_rows("", "pods/attach", *((verb, _NOT_LEGACY) for verb in _EXEC_VERBS)),
    *_rows("", "pods/exec", *((verb, _ALWAYS) for verb in _EXEC_VERBS)),
    *_rows(
        "",
        "pods/log",
        (
            "get",
            (
                "FF_CONCRETE=true",
                "FF_KUBERNETES_HONOR_ENTRYPOINT=true",
                *_NOT_LEGACY,
                "FF_WAIT_FOR_POD_TO_BE_REACHABLE=true",
            ),
        ),
        ("list", ("FF_KUBERNETES_HONOR_ENTRYPOINT=true", *_NOT_LEGACY)),
    ),
    *_rows(
        "policy",
        "poddisruptionbudgets",
        ("create", ("pod_disruption_budget=true",)),
        ("get", ("pod_disruption_budget=true",)),
    ),
    *_rows("scheduling.k8s.io", "priorityclasses", ("create", _AUTOSCALER), ("get", _AUTOSCALER)),
    *_rows("", "secrets", *((verb, _ALWAYS) for verb in ("create", "delete", "get", "update"))),
    *_rows("", "serviceaccounts", ("get", _ALWAYS)),
    *_rows("", "services", ("create", _ALWAYS), ("get", _ALWAYS)),
)

#: Settings cigen does not render (runner 18.9 lacks them, or they need cluster-wide rights).
_UNSUPPORTED = frozenset(
    {"kubernetes.autoscaler", "kubernetes.NamespacePerJob=true", "pod_disruption_budget=true"}
)


def _holds(condition: str, spec: KubernetesSpec) -> bool:
    if condition == INFORMERS:
        return True
    if condition in _UNSUPPORTED:
        return False
    if condition == "print_pod_warning_events=true":
        return spec.setting("print_pod_warning_events") is not False  # default true
    name, _, value = condition.partition("=")
    if not name.startswith("FF_") or value not in ("true", "false"):
        raise ValueError(f"unknown permission condition {condition!r}")
    return spec.flag(name) is (value == "true")


def needed(permission: Permission, spec: KubernetesSpec) -> bool:
    """Whether a runner with ``spec`` uses ``permission``."""
    return not permission.conditions or any(_holds(c, spec) for c in permission.conditions)


def role_rules(spec: KubernetesSpec) -> list[dict[str, list[str]]]:
    """The Role rules for ``spec``: per API group, resources with the same verbs together,
    in the table's order. Cluster-scoped resources (namespaces) are left out: a Role cannot
    grant them, and the settings that need them are refused when the inventory is loaded."""
    verbs: dict[tuple[str, str], list[str]] = {}
    for permission in PERMISSIONS:
        if permission.resource == "namespaces" or not needed(permission, spec):
            continue
        verbs.setdefault((permission.group, permission.resource), []).append(permission.verb)
    rules: list[dict[str, list[str]]] = []
    index: dict[tuple[str, tuple[str, ...]], dict[str, list[str]]] = {}
    for (group, resource), found in verbs.items():
        key = (group, tuple(found))
        if key in index:
            index[key]["resources"].append(resource)
            continue
        rule = {"apiGroups": [group], "resources": [resource], "verbs": list(found)}
        index[key] = rule
        rules.append(rule)
    return rules
