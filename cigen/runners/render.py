"""Kubernetes manifests and Helm values for the runners of an inventory (``cigen runners render``).

Per runner with a ``kubernetes:`` block, three kinds of files below ``<runner name>/``:

``kubernetes.yaml``
    the runner namespace and the job namespace, the runner manager's ServiceAccount (and the
    job pods' one when ``service_account`` is set), a Role in the job namespace with exactly
    the permissions the executor's table asks for with the runner's settings (:mod:`rbac`) and
    its RoleBinding to the manager's ServiceAccount, and the PersistentVolumeClaims the jobs
    mount when ``create`` asks for them.
``secrets/<name>.yaml``
    one file per Secret: the runner token Secret in the runner namespace, with both keys the
    Helm chart mounts (``runner-token``, ``runner-registration-token``), and the Secrets jobs
    mount when ``create`` asks for them. Values are empty unless a value is passed in ``kept``
    (values already filled in, or the token ``cigen runners apply`` stores); they are written
    with mode 0600.
``values.yaml``
    values for the gitlab-runner Helm chart 0.86.0: ``gitlabUrl``, the existing ServiceAccount
    and token Secret (the chart creates no RBAC of its own), and ``runners.config``, the
    runner's ``[[runners]]`` TOML. Nothing the chart ignores or refuses with ``glrt-`` tokens
    (``runners.tags``, ``runUntagged``, ``locked``, ``protected``, ``maximumTimeout``): those
    live in GitLab and ``cigen runners apply`` sets them.

Everything here is pure: the same runners and inputs give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cigen.runners.inventory import Runner
from cigen.runners.kubernetes import EXECUTOR_KEYS, VOLUME_KINDS, KubernetesSpec, thaw

__all__ = [
    "CHART",
    "CHART_VERSION",
    "TOKEN_KEY",
    "RenderedFile",
    "helm_values",
    "kubernetes_objects",
    "render",
    "render_runner",
    "render_secrets",
    "runner_toml",
    "secret_objects",
    "secret_path",
    "stream",
    "token_secret_path",
]

CHART = "gitlab/gitlab-runner"
CHART_VERSION = "0.86.0"
TOKEN_KEY = "runner-token"
REGISTRATION_TOKEN_KEY = "runner-registration-token"
MANAGED_BY = {"app.kubernetes.io/managed-by": "cigen"}


@dataclass(frozen=True)
class RenderedFile:
    """One output file: ``path`` relative to the output folder, ``secret`` files get 0600."""

    path: str
    text: str
    secret: bool = False


def render(
    runners: Iterable[Runner],
    *,
    source: str,
    gitlab_url: str | None,
    kept: Mapping[str, Mapping[str, str]] | None = None,
) -> list[RenderedFile]:
    """The files of every runner with a ``kubernetes:`` block, runner by runner.

    ``gitlab_url`` is used for runners whose block names none; ``kept`` maps a Secret file's
    path to values to keep in it (keys the runner does not render are dropped).
    """
    files: list[RenderedFile] = []
    for runner in runners:
        if runner.kubernetes is not None:
            files += render_runner(runner, source=source, gitlab_url=gitlab_url, kept=kept)
    return files


def render_runner(
    runner: Runner,
    *,
    source: str,
    gitlab_url: str | None,
    kept: Mapping[str, Mapping[str, str]] | None = None,
) -> list[RenderedFile]:
    """The files of one runner (see the module documentation)."""
    from cigen.yaml.dump import dump

    spec = _spec(runner)
    url = spec.gitlab_url or gitlab_url
    if not url:
        from cigen.errors import CigenError

        raise CigenError(
            f"runner {runner.name!r}: no GitLab URL for the Helm values: set "
            "kubernetes.gitlab_url in the inventory, pass --gitlab-url, or set GITLAB_URL"
        )
    header = _header(source)
    files = [
        RenderedFile(
            f"{runner.name}/kubernetes.yaml",
            _documents(kubernetes_objects(runner), header),
        )
    ]
    files += render_secrets(runner, source=source, kept=kept)
    install = (
        f"Install: helm install {runner.name} {CHART} --version {CHART_VERSION} "
        f"--namespace {spec.runner_namespace} -f values.yaml"
    )
    files.append(
        RenderedFile(
            f"{runner.name}/values.yaml", dump(helm_values(runner, url), f"{header}\n{install}")
        )
    )
    return files


def render_secrets(
    runner: Runner, *, source: str, kept: Mapping[str, Mapping[str, str]] | None = None
) -> list[RenderedFile]:
    """The Secret files of one runner; values from ``kept`` (by file path) fill them in."""
    from cigen.yaml.dump import dump

    header = _header(source)
    files = []
    for secret in secret_objects(runner):
        path = secret_path(runner, secret["metadata"]["name"])
        values = (kept or {}).get(path, {})
        data = secret["stringData"]
        secret["stringData"] = {key: values.get(key, value) for key, value in data.items()}
        note = (
            "Fill in the empty values before applying; cigen keeps the values filled in "
            f"when it renders again.{_TOKEN_NOTE if path == token_secret_path(runner) else ''}"
        )
        files.append(RenderedFile(path, dump(secret, f"{header}\n{note}"), secret=True))
    return files


def secret_path(runner: Runner, secret_name: str) -> str:
    """Where the Secret ``secret_name`` of ``runner`` is rendered (relative path)."""
    return f"{runner.name}/secrets/{secret_name}.yaml"


_TOKEN_NOTE = " runner-token is written by `cigen runners apply -o DIR` when it creates the runner."


def token_secret_path(runner: Runner) -> str:
    """Where the runner's token Secret is rendered, relative to the output folder."""
    return secret_path(runner, _spec(runner).token_secret)


def stream(files: Sequence[RenderedFile]) -> str:
    """All files as one multi-document YAML stream, each introduced by its path."""
    return "".join(f"---\n# file: {item.path}\n{item.text}" for item in files)


def _spec(runner: Runner) -> KubernetesSpec:
    if runner.kubernetes is None:
        raise ValueError(f"runner {runner.name!r} has no kubernetes block")
    return runner.kubernetes


def _header(source: str) -> str:
    from cigen.generate.output import MARKER

    return f'{MARKER} from {source} — do not edit; run "cigen runners render" instead.'


def _documents(objects: Sequence[Mapping[str, Any]], header: str) -> str:
    from cigen.yaml.dump import dump

    return dump(objects[0], header) + "".join("---\n" + dump(item) for item in objects[1:])


def _metadata(name: str, namespace: str | None, runner: Runner | None) -> dict[str, Any]:
    labels = dict(MANAGED_BY)
    if runner is not None:
        labels["app.kubernetes.io/instance"] = runner.name
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = labels
    return metadata


def kubernetes_objects(runner: Runner) -> list[dict[str, Any]]:
    """Namespaces, ServiceAccounts, Role, RoleBinding and PVCs of ``runner``, in apply order."""
    from cigen.runners.rbac import role_rules

    spec = _spec(runner)
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _metadata(namespace, None, None)}
        for namespace in dict.fromkeys((spec.runner_namespace, spec.job_namespace))
    ]
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _metadata(spec.runner_service_account, spec.runner_namespace, runner),
        }
    )
    job_account = spec.setting("service_account")
    if job_account is not None:
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": _metadata(job_account, spec.job_namespace, runner),
            }
        )
    role = f"{runner.name}-jobs"
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _metadata(role, spec.job_namespace, runner),
            "rules": role_rules(spec),
        }
    )
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _metadata(role, spec.job_namespace, runner),
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": spec.runner_service_account,
                    "namespace": spec.runner_namespace,
                }
            ],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        }
    )
    for volume in spec.volumes("pvc"):
        create = volume.get("create")
        if create is None:
            continue
        claim: dict[str, Any] = {
            "accessModes": list(create.get("access_modes", ("ReadWriteOnce",))),
            "resources": {"requests": {"storage": create["storage"]}},
        }
        if "storage_class" in create:
            claim["storageClassName"] = create["storage_class"]
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": _metadata(volume["name"], spec.job_namespace, None),
                "spec": claim,
            }
        )
    return objects


def secret_objects(runner: Runner) -> list[dict[str, Any]]:
    """The token Secret, then the Secrets jobs mount that ``create`` asks for; empty values."""
    spec = _spec(runner)
    secrets = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _metadata(spec.token_secret, spec.runner_namespace, runner),
            "type": "Opaque",
            "stringData": {REGISTRATION_TOKEN_KEY: "", TOKEN_KEY: ""},
        }
    ]
    for volume in spec.volumes("secret"):
        create = volume.get("create")
        if create is not None:
            secrets.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": _metadata(volume["name"], spec.job_namespace, None),
                    "type": "Opaque",
                    "stringData": dict.fromkeys(create["keys"], ""),
                }
            )
    return secrets


def helm_values(runner: Runner, gitlab_url: str) -> dict[str, Any]:
    """Values for the gitlab-runner chart: only keys the chart reads with a ``glrt-`` token."""
    spec = _spec(runner)
    values: dict[str, Any] = {"gitlabUrl": gitlab_url}
    if spec.concurrent is not None:
        values["concurrent"] = spec.concurrent
    values["rbac"] = {"create": False}
    values["serviceAccount"] = {"create": False, "name": spec.runner_service_account}
    if spec.runner_resources:
        values["resources"] = thaw(spec.runner_resources)
    values["runners"] = {"secret": spec.token_secret, "config": runner_toml(runner)}
    return values


#: ``{{`` starts a Helm template action: the chart passes ``runners.config`` through ``tpl``.
_TEMPLATE_OPEN = re.compile(r"\{\{")


def runner_toml(runner: Runner) -> str:
    """The ``[[runners]]`` entry for ``runners.config``, escaped for Helm's ``tpl``.

    Exactly one ``[[runners]]`` table (the chart's ``register --template-config`` takes one)
    holding the name, feature flags as ``environment`` and ``[runners.kubernetes]``; no URL or
    token (the chart passes them as environment variables, which win).
    """
    import tomli_w

    spec = _spec(runner)
    entry: dict[str, Any] = {"name": runner.name}
    if spec.feature_flags:
        entry["environment"] = [
            f"{name}={'true' if on else 'false'}" for name, on in spec.feature_flags
        ]
    settings: dict[str, Any] = {"namespace": spec.job_namespace}
    for key in EXECUTOR_KEYS:
        value = spec.setting(key)
        if value is None:
            continue
        if key == "volumes":
            value = {
                kind: [
                    {k: v for k, v in volume.items() if k != "create"}
                    for volume in spec.volumes(kind)
                ]
                for kind in VOLUME_KINDS
                if spec.volumes(kind)
            }
        settings[key] = thaw(value)
    entry["kubernetes"] = settings
    text = tomli_w.dumps({"runners": [entry]}, indent=2)
    return _TEMPLATE_OPEN.sub('{{ "{{" }}', text)
