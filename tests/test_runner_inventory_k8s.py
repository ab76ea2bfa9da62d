"""The inventory's setup keys: scope, access_level, locked, maximum_timeout and ``kubernetes:``;
what the loader refuses, at which line; Kubernetes quantities."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from cigen.errors import CigenError
from cigen.runners.inventory import Scope, load_inventory
from cigen.runners.quantity import parse_quantity

REPO = Path(__file__).resolve().parents[1]

BASE = """\
runners:
  - name: ml
    tags: [gpu]
    kubernetes:
      runner_namespace: ml-runner
      job_namespace: ml-ci
"""


def load(tmp_path: Path, text: str) -> tuple[object, ...]:
    path = tmp_path / "runners.yml"
    path.write_text(text, encoding="utf-8")
    return load_inventory(path)


def error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "runners.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CigenError) as info:
        load_inventory(path)
    return str(info.value)[len(str(path)) :]


def test_the_example_inventory_loads_with_its_setup() -> None:
    runners = {r.name: r for r in load_inventory(REPO / "examples" / "runners.yml")}
    ml, harbor = runners["ml-runner"], runners["harbor-runner"]
    assert ml.scope == Scope("project", "team/trainer")
    assert ml.scope.runner_type == "project_type" and str(ml.scope) == "project team/trainer"
    assert (ml.locked, ml.maximum_timeout, ml.access_level) == (True, 14400, "not_protected")
    assert harbor.scope == Scope("group", "team")
    assert ml.kubernetes is not None
    assert ml.kubernetes.runner_service_account == "ml-runner"
    assert ml.kubernetes.token_secret == "ml-runner-token"
    assert ml.kubernetes.setting("namespace") == "ml-ci"
    assert ml.kubernetes.setting("memory_limit_overwrite_max_allowed") == "128Gi"
    assert ml.kubernetes.setting("pod_cpu_limit") is None
    # the matcher still sees the placement facts
    assert ml.namespace == "ml-ci"
    assert ml.node_selector == (("nvidia.com/gpu.present", "true"),)
    assert runners["team-runner"].kubernetes is None and runners["team-runner"].scope is None


def test_defaults_and_explicit_names(tmp_path: Path) -> None:
    (runner,) = load(tmp_path, BASE)
    assert runner.gitlab_description == "ml"
    assert runner.access_level == "not_protected" and runner.locked is False
    text = BASE.replace(
        "    kubernetes:\n", "    scope: instance\n    description: GPU box\n    kubernetes:\n"
    )
    text += "      runner_service_account: sa\n      token_secret: tok\n"
    text += "      feature_flags: {FF_B: true, FF_A: false}\n"
    (runner,) = load(tmp_path, text)
    assert runner.scope == Scope("instance") and str(runner.scope) == "instance"
    assert runner.gitlab_description == "GPU box"
    assert runner.kubernetes.runner_service_account == "sa"
    assert runner.kubernetes.token_secret == "tok"
    assert runner.kubernetes.feature_flags == (("FF_A", False), ("FF_B", True))
    assert runner.kubernetes.flag("FF_B") and not runner.kubernetes.flag("FF_C")


def test_access_level_sets_protected(tmp_path: Path) -> None:
    (runner,) = load(
        tmp_path,
        BASE.replace("    tags: [gpu]\n", "    tags: [gpu]\n    access_level: ref_protected\n"),
    )
    assert runner.protected and runner.access_level == "ref_protected"
    (runner,) = load(
        tmp_path,
        BASE.replace(
            "    tags: [gpu]\n",
            "    tags: [gpu]\n    protected: true\n    access_level: ref_protected\n",
        ),
    )
    assert runner.protected


RUNNER, K8S = "    tags: [gpu]\n", "      job_namespace: ml-ci\n"

REFUSED = [
    (
        RUNNER,
        "scope: everywhere",
        ":4: runners[0].scope: expected instance, {group: <id or "
        "path>} or {project: <id or path>}, got 'everywhere'",
    ),
    (RUNNER, "scope: {project: team/a, group: team}", ":4: runners[0].scope: expected instance"),
    (
        RUNNER,
        "maximum_timeout: 60",
        ":4: runners[0].maximum_timeout: 60 is less than the minimum of 600",
    ),
    (RUNNER, "access_level: protected", ":4: runners[0].access_level: 'protected' is not one of"),
    (
        RUNNER,
        "protected: true\n    access_level: not_protected",
        ":5: runners[0].access_level: "
        "access_level not_protected contradicts protected: true; give only one of the two",
    ),
    (
        RUNNER,
        "namespace: other",
        ":4: runners[0].namespace: with a kubernetes block, set "
        "namespace there (kubernetes.job_namespace) instead",
    ),
    (
        K8S,
        "cpu_limit: 2",
        ":7: runners[0].kubernetes.cpu_limit: expected a string, got integer 2 (quote it",
    ),
    (
        K8S,
        "cpu_limit: two",
        ":7: runners[0].kubernetes.cpu_limit: 'two' is not a Kubernetes "
        "quantity such as 500m, 2 or 64Gi",
    ),
    (K8S, "namespace: x", ":7: runners[0].kubernetes.namespace: unknown key 'namespace'"),
    (K8S, "pod_cpu_limit: '1'", ":7: runners[0].kubernetes.pod_cpu_limit: unknown key"),
    (
        K8S,
        "cpu_request: '2'\n      cpu_limit: 1500m",
        ":7: runners[0].kubernetes.cpu_request: "
        "cpu_request '2' is above cpu_limit '1500m'; Kubernetes refuses such a pod",
    ),
    (
        K8S,
        "node_selector_overwrite_allowed: '(unclosed'",
        ":7: runners[0].kubernetes."
        "node_selector_overwrite_allowed: '(unclosed' is not a regular expression the runner "
        "(Go RE2) accepts",
    ),
    (
        K8S,
        "node_tolerations: {gpu: Sometimes}",
        ":7: runners[0].kubernetes.node_tolerations.gpu: 'Sometimes' is not one of",
    ),
    (
        K8S,
        "feature_flags: {FF_SUSPENDABLE_ENVIRONMENTS: true}",
        ":7: runners[0].kubernetes."
        "feature_flags.FF_SUSPENDABLE_ENVIRONMENTS: suspendable environments need the "
        "cluster-scoped permission",
    ),
    (
        K8S,
        "volumes:\n        pvc: [{name: data, mount_path: /a}]\n"
        "        empty_dir: [{name: data, mount_path: /b}]",
        ":9: runners[0].kubernetes.volumes."
        "empty_dir[0].name: two volumes are named 'data' (pvc and empty_dir)",
    ),
    (
        K8S,
        "volumes:\n        secret:\n          - name: s\n            mount_path: /s\n"
        "            items: {a: a, b: b}\n            create: {keys: [a]}",
        ":11: runners[0]."
        "kubernetes.volumes.secret[0].items: items name key(s) 'b' that the rendered Secret does "
        "not have",
    ),
    (
        K8S,
        "volumes:\n        pvc: [{name: data, mount_path: relative}]",
        ":8: runners[0].kubernetes.volumes.pvc[0].mount_path: 'relative' does not match",
    ),
]


@pytest.mark.parametrize(("after", "insert", "expected"), REFUSED)
def test_what_the_loader_refuses(tmp_path: Path, after: str, insert: str, expected: str) -> None:
    indent = after[: len(after) - len(after.lstrip())]
    message = error(tmp_path, BASE.replace(after, f"{after}{indent}{insert}\n"))
    assert message.startswith(expected), message


def test_what_the_loader_refuses_without_a_setting(tmp_path: Path) -> None:
    message = error(tmp_path, BASE.replace(K8S, ""))
    assert message.startswith(":4: runners[0].kubernetes: missing required key 'job_namespace'")
    message = error(tmp_path, BASE.replace("ml-ci", "ML_CI"))
    assert message.startswith(
        ":6: runners[0].kubernetes.job_namespace: 'ML_CI' is not a Kubernetes"
    )
    message = error(tmp_path, BASE.replace("  - name: ml\n", "  - name: ML_Runner\n"))
    assert message.startswith(
        ":4: runners[0].kubernetes: runner name 'ML_Runner' names the Helm release and Kubernetes"
    )


def test_a_description_twice_in_one_scope_is_refused(tmp_path: Path) -> None:
    text = (
        "runners:\n"
        "  - {name: a, tags: [x], scope: {project: team/app}, description: box}\n"
        "  - {name: b, tags: [x], scope: {project: team/app}}\n"
        "  - {name: c, tags: [x], scope: {project: team/other}, description: box}\n"
        "  - {name: d, tags: [x], scope: {project: team/app}, description: b}\n"
    )
    message = error(tmp_path, text)
    assert message == (
        ":5: runners[3].description: runners[1] has the same description in the same scope "
        "(project team/app); GitLab finds runners by description, so make them differ"
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", Fraction(2)),
        ("500m", Fraction(1, 2)),
        ("0.5", Fraction(1, 2)),
        (".5", Fraction(1, 2)),
        ("1.", Fraction(1)),
        ("64Gi", Fraction(64 * 2**30)),
        ("1Ki", Fraction(1024)),
        ("128M", Fraction(128 * 10**6)),
        ("1e3", Fraction(1000)),
        ("1E-3", Fraction(1, 1000)),
        ("100n", Fraction(1, 10**7)),
        ("5u", Fraction(5, 10**6)),
        ("-1k", Fraction(-1000)),
        ("+2", Fraction(2)),
        ("", None),
        ("1.5.2", None),
        ("1 Gi", None),
        ("1gi", None),
        ("Gi", None),
        ("1e999", None),
    ],
)
def test_quantities(text: str, value: Fraction | None) -> None:
    assert parse_quantity(text) == value


def test_quantities_compare_exactly() -> None:
    one_gi, mebis = parse_quantity("1Gi"), parse_quantity("1024Mi")
    assert one_gi is not None and one_gi == mebis
    assert (parse_quantity("128Gi") or 0) > (parse_quantity("128G") or 0)
