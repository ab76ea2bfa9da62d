"""``cigen runners render``: Kubernetes manifests and Helm values from the runner inventory.

Checked against real components and the reference pack (``<repo>/../shared/reference/
gitlab-runner``): every manifest validates with ``kubernetes-validate`` (strict, Kubernetes
schemas shipped offline); the ``runners.config`` TOML parses back (tomllib) and every key is a
key of the runner's ``common/config.go`` structs as listed in ``executor-kubernetes.md``, none
newer than the runner of chart 0.86.0; every Helm value is read by the chart's templates;
the Role equals the executor's permission table (``docs/executors/kubernetes/_index.md``).
Golden files (``tests/golden/runners/``) pin the output for ``examples/runners.yml``; rewrite
them with ``CIGEN_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cigen.cli.main import main
from cigen.errors import CigenError
from cigen.runners.inventory import Runner, load_inventory
from cigen.runners.kubernetes import EXECUTOR_KEYS
from cigen.runners.rbac import PERMISSIONS, role_rules
from cigen.runners.render import (
    RenderedFile,
    helm_values,
    kubernetes_objects,
    render,
    runner_toml,
    secret_objects,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "runners.yml"
GOLDEN = Path(__file__).parent / "golden" / "runners"
UPDATE = os.environ.get("CIGEN_UPDATE_GOLDEN") == "1"
REFERENCE = REPO.parent / "shared" / "reference" / "gitlab-runner"
K8S_VERSIONS = ("1.33.0", "1.37.0")


@pytest.fixture
def reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"runner reference pack not found at {REFERENCE} (expected beside the repo)")
    return REFERENCE


def example_runners() -> tuple[Runner, ...]:
    return tuple(r for r in load_inventory(EXAMPLE) if r.kubernetes is not None)


def rendered_example() -> list[RenderedFile]:
    return render(load_inventory(EXAMPLE), source="runners.yml", gitlab_url=None)


def write_inventory(folder: Path, text: str) -> Path:
    path = folder / "runners.yml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """\
runners:
  - name: small
    tags: [small]
    kubernetes:
      runner_namespace: small-runner
      job_namespace: small-ci
"""


def minimal_runner(tmp_path: Path, extra: str = "") -> Runner:
    (runner,) = load_inventory(write_inventory(tmp_path, MINIMAL + extra))
    return runner


# --- golden files -----------------------------------------------------------------------------


def test_example_renders_the_golden_files() -> None:
    files = rendered_example()
    assert [f.path for f in files] == [
        "harbor-runner/kubernetes.yaml",
        "harbor-runner/secrets/.gitignore",
        "harbor-runner/secrets/harbor-runner-token.yaml",
        "harbor-runner/secrets/harbor-docker-config.yaml",
        "harbor-runner/secrets/harbor-ca.yaml",
        "harbor-runner/values.yaml",
        "ml-runner/kubernetes.yaml",
        "ml-runner/secrets/.gitignore",
        "ml-runner/secrets/ml-runner-token.yaml",
        "ml-runner/secrets/ml-ci-credentials.yaml",
        "ml-runner/values.yaml",
    ]
    for item in files:
        if item.path.endswith(".gitignore"):
            continue  # a golden .gitignore would hide the golden Secrets from git
        path = GOLDEN / item.path
        if UPDATE:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(item.text, encoding="utf-8")
        assert path.is_file(), f"missing golden {path}; create it with CIGEN_UPDATE_GOLDEN=1"
        assert item.text == path.read_text(encoding="utf-8"), f"{item.path} changed"
    assert [item.secret for item in files] == [
        "/secrets/" in item.path and item.path.endswith(".yaml") for item in files
    ]


def test_rendering_is_deterministic() -> None:
    assert rendered_example() == rendered_example()


# --- Kubernetes manifests ---------------------------------------------------------------------


def manifests(files: list[RenderedFile]) -> Iterator[dict[str, Any]]:
    for item in files:
        if item.path.endswith(".yaml") and not item.path.endswith("values.yaml"):
            yield from yaml.safe_load_all(item.text)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schemas(version: str) -> None:
    import kubernetes_validate

    found = list(manifests(rendered_example()))
    kinds = sorted({doc["kind"] for doc in found})
    assert kinds == [
        "Namespace",
        "PersistentVolumeClaim",
        "Role",
        "RoleBinding",
        "Secret",
        "ServiceAccount",
    ]
    for document in found:
        kubernetes_validate.validate(document, version, strict=True)


def test_kubernetes_validate_rejects_a_broken_manifest() -> None:
    """The validation above can fail: a misspelt field is refused in strict mode."""
    import kubernetes_validate

    role = kubernetes_objects(example_runners()[1])[3]
    assert role["kind"] == "Role"
    broken = {**role, "rules": [{"apiGroups": [""], "resource": ["pods"], "verbs": ["get"]}]}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[0], strict=True)


def test_names_agree_across_manifests_values_and_toml() -> None:
    for runner in example_runners():
        spec = runner.kubernetes
        assert spec is not None
        objects = kubernetes_objects(runner) + secret_objects(runner)
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for item in objects:
            by_kind.setdefault(item["kind"], []).append(item)
        assert [n["metadata"]["name"] for n in by_kind["Namespace"]] == [
            spec.runner_namespace,
            spec.job_namespace,
        ]
        (account,) = by_kind["ServiceAccount"]
        values = helm_values(runner, "https://gitlab.example.com/")
        assert values["serviceAccount"] == {"create": False, "name": account["metadata"]["name"]}
        assert account["metadata"]["namespace"] == spec.runner_namespace
        (binding,) = by_kind["RoleBinding"]
        assert binding["subjects"] == [
            {
                "kind": "ServiceAccount",
                "name": spec.runner_service_account,
                "namespace": spec.runner_namespace,
            }
        ]
        (role,) = by_kind["Role"]
        assert binding["roleRef"]["name"] == role["metadata"]["name"]
        toml = tomllib.loads(values["runners"]["config"])["runners"][0]["kubernetes"]
        assert role["metadata"]["namespace"] == binding["metadata"]["namespace"]
        assert role["metadata"]["namespace"] == toml["namespace"] == spec.job_namespace
        token, *job_secrets = by_kind["Secret"]
        assert values["runners"]["secret"] == token["metadata"]["name"]
        assert token["metadata"]["namespace"] == spec.runner_namespace
        assert token["stringData"] == {"runner-registration-token": "", "runner-token": ""}
        in_job_namespace = {
            (item["kind"], item["metadata"]["name"])
            for item in objects
            if item["metadata"].get("namespace") == spec.job_namespace
        }
        for volume in toml["volumes"].get("pvc", []):
            assert ("PersistentVolumeClaim", volume["name"]) in in_job_namespace
        for volume in toml["volumes"].get("secret", []):
            assert ("Secret", volume["name"]) in in_job_namespace
        assert {s["metadata"]["namespace"] for s in job_secrets} <= {spec.job_namespace}


def test_job_service_account_and_pvc_details(tmp_path: Path) -> None:
    runner = minimal_runner(
        tmp_path,
        "      service_account: trainer\n"
        "      volumes:\n"
        "        pvc:\n"
        "          - name: cache\n"
        "            mount_path: /cache\n"
        "            create: {storage: 10Gi, storage_class: fast}\n"
        "          - name: existing\n"
        "            mount_path: /data\n",
    )
    objects = kubernetes_objects(runner)
    accounts = [
        (o["metadata"]["namespace"], o["metadata"]["name"])
        for o in objects
        if o["kind"] == "ServiceAccount"
    ]
    assert accounts == [("small-runner", "small"), ("small-ci", "trainer")]
    (claim,) = [o for o in objects if o["kind"] == "PersistentVolumeClaim"]
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "10Gi"}},
        "storageClassName": "fast",
    }
    import kubernetes_validate

    for item in objects:
        kubernetes_validate.validate(item, K8S_VERSIONS[0], strict=True)


def test_one_namespace_for_runner_and_jobs_is_rendered_once(tmp_path: Path) -> None:
    text = MINIMAL.replace("job_namespace: small-ci", "job_namespace: small-runner")
    (runner,) = load_inventory(write_inventory(tmp_path, text))
    namespaces = [o for o in kubernetes_objects(runner) if o["kind"] == "Namespace"]
    assert [n["metadata"]["name"] for n in namespaces] == ["small-runner"]


# --- RBAC: the executor's permission table ----------------------------------------------------


def reference_permissions(reference: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(resource, verb, conditions)`` rows of the table in executor-kubernetes.md §4."""
    text = (reference / "executor-kubernetes.md").read_text(encoding="utf-8")
    section = text.split("## 4. RBAC permissions", 1)[1].split("\nNotes from", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("Resource", "") or set(cells[0]) <= {"-"}:
            continue
        resource, verbs = cells
        verbs = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", verbs)  # [text](#anchor) -> text
        for found in re.finditer(r"(\w+)(?: \(([^)]*)\))?(?:, |$)", verbs):
            conditions = tuple(c.strip(" `") for c in (found.group(2) or "").split(", ") if c)
            rows.append((resource, found.group(1), conditions))
    return rows


def test_permission_table_is_the_executors(reference: Path) -> None:
    ours = [
        (f"{p.group}/{p.resource}" if p.group else p.resource, p.verb, p.conditions)
        for p in PERMISSIONS
    ]
    assert ours == reference_permissions(reference)


def test_default_role_is_the_reference_example_minus_what_defaults_never_use(
    reference: Path,
) -> None:
    """The example Role also grants ``events watch`` "so that turning on FF_PRINT_POD_EVENTS
    does not need an RBAC change"; with default flags nothing needs it."""
    documents = list(yaml.safe_load_all((reference / "example" / "rbac.yaml").read_text()))
    (example,) = [d for d in documents if d["kind"] == "Role"]

    def grants(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
        return {
            (group, resource, verb)
            for rule in rules
            for group in rule["apiGroups"]
            for resource in rule["resources"]
            for verb in rule["verbs"]
        }

    runner = example_runners()[1]
    assert runner.kubernetes is not None
    ours = grants(role_rules(runner.kubernetes))
    assert grants(example["rules"]) - ours == {("", "events", "watch")}
    assert ours <= grants(example["rules"])


def test_feature_flags_change_the_role_and_reach_the_toml(tmp_path: Path) -> None:
    runner = minimal_runner(
        tmp_path,
        "      print_pod_warning_events: false\n"
        "      feature_flags:\n"
        "        FF_PRINT_POD_EVENTS: true\n"
        "        FF_USE_LEGACY_KUBERNETES_EXECUTION_STRATEGY: true\n",
    )
    assert runner.kubernetes is not None
    rules = {r["resources"][0]: r["verbs"] for r in role_rules(runner.kubernetes)}
    assert rules["events"] == ["watch"]  # list only for print_pod_warning_events
    assert "pods/attach" not in rules  # attach only without the legacy strategy
    assert "pods/log" not in rules
    assert rules["pods"] == ["create", "delete", "get", "list", "watch"]  # informers
    entry = tomllib.loads(runner_toml(runner))["runners"][0]
    assert entry["environment"] == [
        "FF_PRINT_POD_EVENTS=true",
        "FF_USE_LEGACY_KUBERNETES_EXECUTION_STRATEGY=true",
    ]


# --- the runner's config.toml (runners.config) ------------------------------------------------


def struct_keys(reference: Path, heading: str) -> dict[str, str]:
    """``{TOML key: Go type}`` of the table under ``heading`` in executor-kubernetes.md."""
    text = (reference / "executor-kubernetes.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    keys = {}
    for line in section.splitlines():
        found = re.match(r"\| `([a-z_]+)` \| `([^`]+)` \|", line)
        if found:
            keys[found.group(1)] = found.group(2)
    assert keys, f"no keys under {heading!r}"
    return keys


def newer_keys(reference: Path) -> set[str]:
    """``KubernetesConfig`` keys the runner of chart 0.86.0 (18.9) does not know (§9)."""
    text = (reference / "executor-kubernetes.md").read_text(encoding="utf-8")
    section = text.split("## 9. Keys newer than runner 18.9.0", 1)[1]
    keys: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `KubernetesConfig.") or line.startswith("| `suspend_"):
            keys.update(re.findall(r"`(?:KubernetesConfig\.)?([a-z_]+)`", line.split("|")[1]))
    keys |= {f"{key}_overwrite_max_allowed" for key in keys if key.startswith("pod_")}
    return keys


def type_matches(go_type: str, value: Any) -> bool:
    scalar = go_type.lstrip("*")
    if scalar in ("string", "KubernetesDNSPolicy"):
        return isinstance(value, str)
    if scalar == "bool":
        return isinstance(value, bool)
    if scalar in ("int", "int64", "int32"):
        return isinstance(value, int) and not isinstance(value, bool)
    if scalar == "StringOrArray":
        return isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
    if scalar in ("[]string", "[]DockerPullPolicy"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if scalar == "map[string]string":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if scalar == "KubernetesVolumes":
        return isinstance(value, dict)
    raise AssertionError(f"no check for Go type {go_type}")


VOLUME_STRUCTS = {
    "pvc": "### `KubernetesPVC`",
    "secret": "### `KubernetesSecret`",
    "config_map": "### `KubernetesConfigMap`",
    "empty_dir": "### `KubernetesEmptyDir`",
}


def check_toml(reference: Path, runner: Runner) -> dict[str, Any]:
    config = tomllib.loads(runner_toml(runner))
    assert list(config) == ["runners"]
    (entry,) = config["runners"]  # the chart's template takes exactly one [[runners]]
    # [[runners]] keys used (executor-kubernetes.md §1): name, environment, kubernetes; no url,
    # token or executor (the chart passes them as environment variables, which win).
    assert set(entry) <= {"name", "environment", "kubernetes"}
    allowed = struct_keys(reference, "## 8. Full `KubernetesConfig` field list")
    too_new = newer_keys(reference)
    assert {"pod_cpu_limit", "pod_disruption_budget", "autoscaler"} <= too_new
    for key, value in entry["kubernetes"].items():
        assert key in allowed, f"{key} is not a [runners.kubernetes] key"
        assert key not in too_new, f"{key} needs a runner newer than chart 0.86.0's"
        assert type_matches(allowed[key], value), (key, allowed[key], value)
    volume_kinds = struct_keys(reference, "### `KubernetesVolumes`")
    for kind, items in entry["kubernetes"].get("volumes", {}).items():
        assert kind in volume_kinds
        fields = struct_keys(reference, VOLUME_STRUCTS[kind])
        for item in items:
            for key, value in item.items():
                assert key in fields, f"volumes.{kind}: {key}"
                assert type_matches(fields[key], value), (kind, key, value)
    return config


def test_toml_keys_are_the_executors(reference: Path) -> None:
    for runner in example_runners():
        entry = check_toml(reference, runner)["runners"][0]
        assert entry["name"] == runner.name
    ml = check_toml(reference, example_runners()[1])["runners"][0]["kubernetes"]
    assert ml["node_selector"] == {"nvidia.com/gpu.present": "true"}
    assert ml["node_tolerations"] == {"nvidia.com/gpu": "NoSchedule"}
    assert ml["node_selector_overwrite_allowed"] == r"^nvidia\.com/gpu\.product=[A-Za-z0-9._-]+$"
    assert ml["volumes"]["pvc"] == [
        {"name": "ml-models", "mount_path": "/models", "read_only": True}
    ]
    assert ml["memory_limit_overwrite_max_allowed"] == "128Gi"


def test_the_inventory_offers_only_keys_the_runner_knows(reference: Path) -> None:
    allowed = struct_keys(reference, "## 8. Full `KubernetesConfig` field list")
    assert set(EXECUTOR_KEYS) <= set(allowed)
    assert not set(EXECUTOR_KEYS) & newer_keys(reference)


def test_every_setting_reaches_the_toml_with_its_type(reference: Path, tmp_path: Path) -> None:
    runner = minimal_runner(
        tmp_path,
        "      image: alpine:3\n"
        "      pull_policy: always\n"
        "      allowed_pull_policies: [always, if-not-present]\n"
        "      allowed_images: ['registry.example.com/*']\n"
        "      allowed_services: ['postgres:*']\n"
        "      poll_interval: 5\n"
        "      poll_timeout: 600\n"
        "      privileged: false\n"
        "      allow_privilege_escalation: false\n"
        "      service_account: jobs\n"
        "      automount_service_account_token: false\n"
        "      priority_class_name: ci\n"
        "      print_pod_warning_events: true\n"
        "      namespace_overwrite_allowed: '^small-'\n"
        "      service_account_overwrite_allowed: '^jobs-'\n"
        "      node_tolerations_overwrite_allowed: '.*'\n"
        "      pod_labels_overwrite_allowed: '.*'\n"
        "      pod_annotations_overwrite_allowed: '.*'\n"
        "      image_pull_secrets: [registry]\n"
        "      pod_annotations: {team: ml}\n"
        "      volumes:\n"
        "        config_map:\n"
        "          - {name: conf, mount_path: /etc/conf, items: {a: b.txt}}\n"
        "        empty_dir:\n"
        "          - {name: scratch, mount_path: /scratch, medium: Memory, size_limit: 1Gi}\n"
        "        secret:\n"
        "          - {name: creds, mount_path: /creds, sub_path: x, items: {token: t}}\n",
    )
    settings = check_toml(reference, runner)["runners"][0]["kubernetes"]
    assert len(settings) == 22
    assert settings["volumes"]["empty_dir"] == [
        {"name": "scratch", "mount_path": "/scratch", "medium": "Memory", "size_limit": "1Gi"}
    ]


def test_scalar_keys_come_before_tables() -> None:
    """A plain key written after a sub-table header would land in that table
    (example/README.md: "TOML pitfall")."""
    text = runner_toml(example_runners()[1])
    kubernetes = text.split("[runners.kubernetes]\n", 1)[1]
    first_table = kubernetes.index("\n[")
    assert "node_selector_overwrite_allowed =" in kubernetes[:first_table]


def test_template_braces_survive_helms_tpl(tmp_path: Path) -> None:
    """The chart passes runners.config through `tpl`: a literal "{{" must be escaped."""
    runner = minimal_runner(tmp_path, "      pod_annotations: {note: 'a {{ b }} c'}\n")
    text = runner_toml(runner)
    assert "{{ b }}" not in text
    as_tpl_renders_it = text.replace('{{ "{{" }}', "{{")
    parsed = tomllib.loads(as_tpl_renders_it)["runners"][0]["kubernetes"]
    assert parsed["pod_annotations"] == {"note": "a {{ b }} c"}


# --- Helm values --------------------------------------------------------------------------------


def leaf_paths(data: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaf_paths(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix


def test_every_helm_value_is_read_by_the_chart(reference: Path) -> None:
    chart = reference / "helm-chart"
    templates = "".join(p.read_text() for p in sorted((chart / "templates").iterdir()))
    defaults = yaml.safe_load((chart / "values.yaml").read_text())
    assert yaml.safe_load((chart / "Chart.yaml").read_text())["version"] == "0.86.0"
    for runner in example_runners():
        values = helm_values(runner, "https://gitlab.example.com/")
        for path in leaf_paths(values):
            parts = path.split(".")
            prefixes = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
            read = any(re.search(rf"\.Values\.{re.escape(p)}\b", templates) for p in prefixes)
            node: Any = defaults
            for part in parts:
                node = node.get(part) if isinstance(node, dict) else None
            assert read or node is not None, f"{path} is neither read nor a chart default"


def test_values_leave_out_what_glrt_tokens_ignore() -> None:
    """tags, runUntagged, locked and protected are dropped by the chart's register script for
    glrt- tokens, maximumTimeout makes `register` fail (helm-chart/notes.md §3); no token."""
    for runner in example_runners():
        values = helm_values(runner, "https://gitlab.example.com/")
        assert not {"tags", "runUntagged", "locked", "protected", "maximumTimeout"} & set(
            values["runners"]
        )
        assert not {"runnerToken", "runnerRegistrationToken"} & set(values)
        assert values["rbac"] == {"create": False}
        # The chart injects KUBERNETES_NAMESPACE=<release namespace> unless runners.config
        # matches this regex (templates/_env_vars.tpl); the job namespace must win.
        assert re.search(r"\s*namespace\s*=", values["runners"]["config"])


def test_gitlab_url_comes_from_the_runner_else_the_caller(tmp_path: Path) -> None:
    runner = minimal_runner(tmp_path)
    with pytest.raises(CigenError, match="no GitLab URL for the Helm values"):
        render([runner], source="runners.yml", gitlab_url=None)
    files = render([runner], source="runners.yml", gitlab_url="https://git.example.org")
    values = yaml.safe_load(files[-1].text)
    assert values["gitlabUrl"] == "https://git.example.org"
    ml = helm_values(example_runners()[1], "https://ignored.example.org")
    assert ml["gitlabUrl"] == "https://ignored.example.org"
    ml_files = render([example_runners()[1]], source="r", gitlab_url="https://ignored.example")
    assert yaml.safe_load(ml_files[-1].text)["gitlabUrl"] == "https://gitlab.example.com/"


# --- the CLI: stdout, -o DIR, Secret values kept, modes -----------------------------------------


def test_render_to_stdout_is_one_yaml_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["runners", "render", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    documents = [d for d in yaml.safe_load_all(out) if d is not None]
    assert len(documents) == 18
    assert out.count("# file: ") == 9


def test_render_to_a_folder_keeps_secret_values_and_modes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "k8s"
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    token = out / "ml-runner" / "secrets" / "ml-runner-token.yaml"
    creds = out / "ml-runner" / "secrets" / "ml-ci-credentials.yaml"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    # the user fills in one value in place and loosens a mode; a new render keeps the value
    text = creds.read_text().replace("hf-token: ''", "hf-token: hf_Secr3tValue")
    creds.write_text(text)
    creds.chmod(0o644)
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "hf_Secr3tValue" not in captured.out + captured.err
    again = yaml.safe_load(creds.read_text())
    assert again["stringData"] == {"hf-token": "hf_Secr3tValue", "s3-credentials": ""}
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600  # even though the text was current
    assert "11 of 11 files already up to date" in captured.err


def test_values_given_base64_encoded_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 0
    path = out / "harbor-runner" / "secrets" / "harbor-ca.yaml"
    text = path.read_text().replace(
        "stringData:\n  harbor.example.local.crt: ''\n",
        "data:\n  harbor.example.local.crt: Q0VSVA==\n",
    )
    path.write_text(text)
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 0
    assert yaml.safe_load(path.read_text())["stringData"] == {"harbor.example.local.crt": "CERT"}


def test_a_broken_secret_file_is_reported_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "k8s"
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 0
    path = out / "harbor-runner" / "secrets" / "harbor-ca.yaml"
    path.write_text("data:\n  harbor.example.local.crt: not base64!\n")
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 2
    assert "not base64-encoded" in capsys.readouterr().err
    path.write_text("data: [unclosed\n")
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 2
    assert "cannot read the Secret manifest" in capsys.readouterr().err
    assert path.read_text() == "data: [unclosed\n"


def test_render_refuses_hand_written_files_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "k8s"
    (out / "ml-runner").mkdir(parents=True)
    (out / "ml-runner" / "values.yaml").write_text("gitlabUrl: mine\n")
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 2
    assert "was not generated by cigen" in capsys.readouterr().err
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out), "--force"]) == 0
    assert (
        "gitlabUrl: https://gitlab.example.com/" in (out / "ml-runner" / "values.yaml").read_text()
    )


def test_render_takes_the_gitlab_url_from_option_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = write_inventory(tmp_path, MINIMAL)
    monkeypatch.delenv("GITLAB_URL", raising=False)
    monkeypatch.delenv("CI_SERVER_URL", raising=False)
    assert main(["runners", "render", str(inventory)]) == 2
    assert "no GitLab URL" in capsys.readouterr().err
    monkeypatch.setenv("CI_SERVER_URL", "https://ci.example.org")
    assert main(["runners", "render", str(inventory)]) == 0
    assert "gitlabUrl: https://ci.example.org" in capsys.readouterr().out
    assert main(["runners", "render", str(inventory), "--gitlab-url", "https://o.example"]) == 0
    assert "gitlabUrl: https://o.example" in capsys.readouterr().out


def test_render_without_kubernetes_runners_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = write_inventory(tmp_path, "runners:\n  - name: a\n")
    assert main(["runners", "render", str(inventory)]) == 2
    assert "no runner has a kubernetes block" in capsys.readouterr().err


def test_secret_files_are_kept_out_of_git(tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "k8s"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 0
    listed = subprocess.run(
        ["git", "-C", str(tmp_path), "ls-files", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(listed) == [
        "k8s/harbor-runner/kubernetes.yaml",
        "k8s/harbor-runner/values.yaml",
        "k8s/ml-runner/kubernetes.yaml",
        "k8s/ml-runner/values.yaml",
    ]


def test_check_reports_stale_manifests_and_ignores_secret_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "k8s"
    assert main(["runners", "render", str(EXAMPLE), "--check"]) == 2
    assert "give -o DIR" in capsys.readouterr().err
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out), "--check"]) == 1
    assert "(missing)" in capsys.readouterr().out
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out)]) == 0
    token = out / "ml-runner" / "secrets" / "ml-runner-token.yaml"
    token.write_text(token.read_text().replace("runner-token: ''", "runner-token: glrt-abc"))
    capsys.readouterr()
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out), "--check"]) == 0
    values = out / "ml-runner" / "values.yaml"
    values.write_text(values.read_text().replace("concurrent: 4", "concurrent: 5"))
    assert main(["runners", "render", str(EXAMPLE), "-o", str(out), "--check"]) == 1
    captured = capsys.readouterr()
    assert "-concurrent: 5\n+concurrent: 4\n" in captured.out
    assert "glrt-abc" not in captured.out + captured.err
    assert "1 rendered file(s) are not current" in captured.err
