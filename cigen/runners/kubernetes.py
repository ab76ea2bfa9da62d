"""A runner's ``kubernetes:`` block: where it runs and how its Kubernetes executor is set up.

Two kinds of keys live in the block. Deployment keys say where the runner manager runs and
which objects ``cigen runners render`` writes (``runner_namespace``, ``job_namespace``,
``gitlab_url``, ``runner_service_account``, ``token_secret``, ``concurrent``,
``runner_resources``, ``feature_flags``). Every other key is a ``[runners.kubernetes]``
setting of the runner's ``config.toml`` under its own name (``common/config.go``
``KubernetesConfig`` of gitlab-runner 18.9, the runner of Helm chart 0.86.0);
``job_namespace`` becomes its ``namespace``.

The module also holds the executor's facts the lint rule needs: which ``KUBERNETES_*`` job
variables override which setting, and what allows them (``executors/kubernetes/overwrites.go``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from cigen.records import dataclass, field

__all__ = [
    "EXECUTOR_KEYS",
    "MAP_OVERWRITES",
    "RESOURCE_KEYS",
    "RESOURCE_OVERWRITES",
    "SINGLE_OVERWRITES",
    "VOLUME_KINDS",
    "KubernetesSpec",
    "Refusal",
    "check_spec",
    "freeze",
    "is_dns_label",
    "overwrite_refusal",
    "overwrite_setting",
    "spec_from_data",
    "thaw",
]

#: ``*_request``/``*_limit`` settings of the build, helper and service containers.
RESOURCE_KEYS: tuple[str, ...] = tuple(
    f"{container}{resource}_{kind}"
    for container in ("", "helper_", "service_")
    for resource in ("cpu", "memory", "ephemeral_storage")
    for kind in ("request", "limit")
)

#: Job variable -> the setting it overrides; its cap is ``<setting>_overwrite_max_allowed``.
RESOURCE_OVERWRITES: Mapping[str, str] = MappingProxyType(
    {f"KUBERNETES_{key.upper()}": key for key in RESOURCE_KEYS}
)

#: Job variable -> the setting it overrides; allowed by the regex ``<setting>_overwrite_allowed``.
SINGLE_OVERWRITES: Mapping[str, str] = MappingProxyType(
    {
        "KUBERNETES_NAMESPACE_OVERWRITE": "namespace",
        "KUBERNETES_SERVICE_ACCOUNT_OVERWRITE": "service_account",
    }
)

#: Job variable prefix -> the map setting its ``key=value`` values merge into; allowed by the
#: regex ``<setting>_overwrite_allowed`` matched against the whole value.
MAP_OVERWRITES: Mapping[str, str] = MappingProxyType(
    {
        "KUBERNETES_POD_LABELS_": "pod_labels",
        "KUBERNETES_POD_ANNOTATIONS_": "pod_annotations",
        "KUBERNETES_NODE_SELECTOR_": "node_selector",
        "KUBERNETES_NODE_TOLERATIONS_": "node_tolerations",
    }
)

VOLUME_KINDS = ("pvc", "secret", "config_map", "empty_dir")

#: The ``[runners.kubernetes]`` keys an inventory may set, in the order they are rendered.
#: ``namespace`` comes from ``job_namespace``.
EXECUTOR_KEYS: tuple[str, ...] = (
    "image",
    "pull_policy",
    "allowed_pull_policies",
    "allowed_images",
    "allowed_services",
    "poll_interval",
    "poll_timeout",
    "privileged",
    "allow_privilege_escalation",
    "service_account",
    "automount_service_account_token",
    "priority_class_name",
    "print_pod_warning_events",
    *RESOURCE_KEYS,
    *(f"{key}_overwrite_max_allowed" for key in RESOURCE_KEYS),
    *(
        f"{key}_overwrite_allowed"
        for key in (*SINGLE_OVERWRITES.values(), *MAP_OVERWRITES.values())
    ),
    "image_pull_secrets",
    "node_selector",
    "node_tolerations",
    "pod_labels",
    "pod_annotations",
    "volumes",
)

Frozen = Mapping[str, Any]


def freeze(value: Any) -> Any:
    """Plain data made read-only: mappings become mapping proxies, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Frozen data back to plain dicts and lists (what serializers take)."""
    if isinstance(value, Mapping):
        return {str(k): thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    return value


@dataclass(frozen=True)
class KubernetesSpec:
    """One runner's ``kubernetes:`` block with its defaults applied.

    ``executor`` holds the ``[runners.kubernetes]`` settings as given (TOML key names, read-only
    plain data); it takes no part in hashing.
    """

    runner_namespace: str
    job_namespace: str
    runner_service_account: str
    token_secret: str
    gitlab_url: str | None = None
    concurrent: int | None = None
    runner_resources: Frozen = field(default_factory=lambda: freeze({}), hash=False)
    feature_flags: tuple[tuple[str, bool], ...] = ()
    executor: Frozen = field(default_factory=lambda: freeze({}), hash=False)

    def setting(self, key: str) -> Any:
        """A ``[runners.kubernetes]`` setting, ``None`` when unset (``namespace`` included)."""
        if key == "namespace":
            return self.job_namespace
        return self.executor.get(key)

    def flag(self, name: str) -> bool:
        """Whether feature flag ``name`` is on (flags are off unless set)."""
        return dict(self.feature_flags).get(name, False)

    def volumes(self, kind: str) -> tuple[Frozen, ...]:
        found: tuple[Frozen, ...] = self.executor.get("volumes", {}).get(kind, ())
        return found


def spec_from_data(runner_name: str, data: Mapping[str, Any]) -> KubernetesSpec:
    """The :class:`KubernetesSpec` of a schema-valid ``kubernetes:`` block."""
    return KubernetesSpec(
        runner_namespace=data["runner_namespace"],
        job_namespace=data["job_namespace"],
        runner_service_account=data.get("runner_service_account", runner_name),
        token_secret=data.get("token_secret", f"{runner_name}-token"),
        gitlab_url=data.get("gitlab_url"),
        concurrent=data.get("concurrent"),
        runner_resources=freeze(data.get("runner_resources", {})),
        feature_flags=tuple(sorted(data.get("feature_flags", {}).items())),
        executor=freeze({key: data[key] for key in EXECUTOR_KEYS if key in data}),
    )


Problem = tuple[Sequence[str | int], str]
"""Where in the ``kubernetes:`` block (a data path) and what is wrong."""

#: Helm's limit for release names; the runner name is the release name.
_RELEASE_NAME_MAX = 53
_DNS_LABEL_MAX = 63
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def check_spec(runner_name: str, data: Mapping[str, Any]) -> Iterator[Problem]:
    """What the schema cannot say about a schema-valid ``kubernetes:`` block.

    Each problem would make Kubernetes refuse an object, or make every job fail, once
    deployed: names Kubernetes rejects, a request above its limit, an allow-list regex RE2
    rejects, two volumes with one name, mounted Secret keys the rendered Secret lacks, and
    settings that need more than a namespaced Role.
    """
    yield from _check_name(runner_name)
    yield from _check_requests(data)
    yield from _check_regexes(data)
    yield from _check_volumes(data)
    if data.get("feature_flags", {}).get("FF_SUSPENDABLE_ENVIRONMENTS"):
        yield (
            ["feature_flags", "FF_SUSPENDABLE_ENVIRONMENTS"],
            "suspendable environments need the cluster-scoped permission to get namespaces, "
            "which a Role in the job namespace cannot grant; cigen renders namespaced Roles only",
        )


def is_dns_label(name: str) -> bool:
    """Whether ``name`` is a DNS-1123 label (a namespace name, a Helm release name)."""
    return len(name) <= _DNS_LABEL_MAX and _DNS_LABEL.fullmatch(name) is not None


def _check_name(runner_name: str) -> Iterator[Problem]:
    if not is_dns_label(runner_name) or len(runner_name) > _RELEASE_NAME_MAX:
        yield (
            [],
            f"runner name {runner_name!r} names the Helm release and Kubernetes objects (the "
            "Role, and unless set the ServiceAccount and token Secret), so it must be lower-case "
            "letters, digits and '-', start and end with a letter or digit, and be at most "
            f"{_RELEASE_NAME_MAX} characters",
        )


def _check_requests(data: Mapping[str, Any]) -> Iterator[Problem]:
    from cigen.runners.quantity import parse_quantity

    for key in RESOURCE_KEYS:
        if not key.endswith("_request") or key not in data:
            continue
        limit_key = key.removesuffix("_request") + "_limit"
        if limit_key not in data:
            continue
        request, limit = parse_quantity(data[key]), parse_quantity(data[limit_key])
        if request is not None and limit is not None and request > limit:
            yield (
                [key],
                f"{key} {data[key]!r} is above {limit_key} {data[limit_key]!r}; Kubernetes "
                "refuses such a pod, so every job would fail. Lower the request or raise the limit",
            )


def _check_regexes(data: Mapping[str, Any]) -> Iterator[Problem]:
    from cigen.expressions import ExpressionRuntimeError, Regex

    for key in EXECUTOR_KEYS:
        if key.endswith("_overwrite_allowed") and key in data:
            try:
                Regex(data[key]).search("")
            except ExpressionRuntimeError:
                yield (
                    [key],
                    f"{data[key]!r} is not a regular expression the runner (Go RE2) accepts",
                )


def _check_volumes(data: Mapping[str, Any]) -> Iterator[Problem]:
    volumes = data.get("volumes", {})
    seen: dict[str, str] = {}
    for kind in VOLUME_KINDS:
        for index, volume in enumerate(volumes.get(kind, ())):
            where: list[str | int] = ["volumes", kind, index, "name"]
            name = volume["name"]
            if name in seen:
                yield (
                    where,
                    f"two volumes are named {name!r} ({seen[name]} and {kind}); the pod would "
                    "be refused. Give each volume its own name",
                )
            seen.setdefault(name, kind)
            create = volume.get("create")
            if kind == "secret" and create is not None and "items" in volume:
                missing = [key for key in volume["items"] if key not in create["keys"]]
                if missing:
                    yield (
                        ["volumes", kind, index, "items"],
                        f"items name key(s) {', '.join(map(repr, missing))} that the rendered "
                        "Secret does not have (create.keys); a missing key makes the job pod "
                        "fail to start. Add them to create.keys",
                    )


@dataclass(frozen=True)
class Refusal:
    """Why a runner does not take a ``KUBERNETES_*`` job variable's value.

    ``fails``: the runner fails the job when it starts it; otherwise it ignores the variable
    and the job runs with the runner's own setting. ``limit`` is the setting that decides,
    ``reason`` says what happens, ``passes`` what to do instead (lower case, imperative).
    """

    fails: bool
    limit: str
    reason: str
    passes: str


def overwrite_setting(variable: str) -> str | None:
    """The ``[runners.kubernetes]`` setting job variable ``variable`` overrides, if any."""
    if variable in RESOURCE_OVERWRITES:
        return RESOURCE_OVERWRITES[variable]
    if variable in SINGLE_OVERWRITES:
        return SINGLE_OVERWRITES[variable]
    for prefix, setting in MAP_OVERWRITES.items():
        if variable.startswith(prefix):
            return setting
    return None


def overwrite_refusal(spec: KubernetesSpec, variable: str, value: str) -> Refusal | None:
    """What the runner of ``spec`` does with job variable ``variable`` = ``value``
    (``executors/kubernetes/overwrites.go``): ``None`` when it takes the value, or when
    ``variable`` overrides nothing."""
    setting = overwrite_setting(variable)
    if setting is None:
        return None
    if variable in RESOURCE_OVERWRITES:
        return _resource_refusal(spec, setting, value)
    allowed_key = f"{setting}_overwrite_allowed"
    allowed = spec.setting(allowed_key)
    if allowed is None:
        return Refusal(
            False,
            allowed_key,
            f"ignores it: {allowed_key} is not set, so the runner allows no override of {setting}",
            f"set {allowed_key} on the runner or drop the variable",
        )
    if variable in SINGLE_OVERWRITES and value == "":
        return None  # an empty value overrides nothing
    from cigen.expressions import Regex

    if not Regex(allowed).search(value):
        return Refusal(
            True,
            allowed_key,
            f"fails the job: the value does not match {allowed_key} {allowed!r}",
            f"use a value matching {allowed!r}",
        )
    if setting in ("pod_labels", "pod_annotations", "node_selector") and "=" not in value:
        return Refusal(
            True,
            setting,
            "fails the job: the value is not key=value",
            f"use key=value, matching {allowed!r}",
        )
    return None


def _resource_refusal(spec: KubernetesSpec, setting: str, value: str) -> Refusal | None:
    from cigen.runners.quantity import parse_quantity

    cap_key = f"{setting}_overwrite_max_allowed"
    cap = spec.setting(cap_key)
    if cap is None:
        current = spec.setting(setting)
        gets = f"{setting} {current}" if current is not None else f"no {setting}"
        return Refusal(
            False,
            cap_key,
            f"ignores it: {cap_key} is not set, so the job gets {gets}",
            f"set {cap_key} on the runner or drop the variable",
        )
    requested = parse_quantity(value)
    if requested is None:
        return Refusal(
            True,
            setting,
            "fails the job: the value is not a Kubernetes quantity",
            f"use a quantity such as 500m, 2 or 4Gi, at most {cap}",
        )
    limit = parse_quantity(cap)
    if limit is not None and requested > limit:
        return Refusal(
            True,
            cap_key,
            f"fails the job: the value is above {cap_key} {cap}",
            f"use at most {cap}",
        )
    return None
