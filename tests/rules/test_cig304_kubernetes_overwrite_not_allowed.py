"""CIG304 kubernetes-overwrite-not-allowed: ``KUBERNETES_*`` job variables against the runner
that takes the job, as gitlab-runner's ``executors/kubernetes/overwrites.go`` checks them
(``createOverwrites``: ``evaluateMaxResourceOverwrite``, ``evaluateOverwrite``,
``evaluateMapOverwrite``). Cases at exact line:col."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_diagnostics

from cigen.lint.engine import LintResult
from cigen.runners.inventory import load_inventory

INVENTORY = """\
runners:
  - name: ml-runner
    tags: [gpu]
    kubernetes:
      runner_namespace: ml-runner
      job_namespace: ml-ci
      memory_limit: 64Gi
      memory_limit_overwrite_max_allowed: 128Gi
      cpu_limit_overwrite_max_allowed: "32"
      service_memory_limit_overwrite_max_allowed: 4Gi
      namespace_overwrite_allowed: '^ml-'
      node_selector_overwrite_allowed: '^nvidia\\.com/gpu\\.product=[A-Za-z0-9._-]+$'
      pod_labels_overwrite_allowed: '.*'
  - name: small
    tags: [small]
    kubernetes:
      runner_namespace: small-runner
      job_namespace: small-ci
  - name: plain
    tags: [plain]
  - name: paused-gpu
    tags: [gpu, paused]
    paused: true
    kubernetes:
      runner_namespace: p-runner
      job_namespace: p-ci
"""

Lint = Callable[..., LintResult]


@pytest.fixture
def lint(lint_files: Lint, tmp_path: Path) -> Callable[[str], LintResult]:
    inventory = tmp_path / "inventory" / "runners.yml"
    inventory.parent.mkdir()
    inventory.write_text(INVENTORY, encoding="utf-8")
    runners = load_inventory(inventory)

    def run(ci: str, **options: Any) -> LintResult:
        result = lint_files({".gitlab-ci.yml": ci}, runners=runners, **options)
        mine = tuple(d for d in result.diagnostics if d.code == "CIG304")
        return dataclasses.replace(result, diagnostics=mine)

    return run


def messages(result: LintResult) -> list[str]:
    return [d.message for d in result.diagnostics]


def test_value_above_the_cap_fails_the_job(lint: Callable[[str], LintResult]) -> None:
    result = lint(
        "train:\n"
        "  tags: [gpu]\n"
        "  variables:\n"
        "    KUBERNETES_MEMORY_LIMIT: 256Gi\n"
        "    KUBERNETES_CPU_LIMIT: '32'\n"
        "  script: [x]\n"
    )
    assert_diagnostics(result, {(4, 30, "CIG304")})
    assert messages(result) == [
        "job 'train' sets KUBERNETES_MEMORY_LIMIT to '256Gi', but runner ml-runner fails the "
        "job: the value is above memory_limit_overwrite_max_allowed 128Gi; use at most 128Gi"
    ]
    assert result.diagnostics[0].severity.label == "warning"


@pytest.mark.parametrize("value", ["128Gi", "131072Mi", "96Gi", "1Gi", "'0.125Ti'"])
def test_values_up_to_the_cap_pass(lint: Callable[[str], LintResult], value: str) -> None:
    ci = f"t:\n  tags: [gpu]\n  variables: {{KUBERNETES_MEMORY_LIMIT: {value}}}\n  script: [x]\n"
    assert_diagnostics(lint(ci), set())


def test_without_a_cap_the_runner_ignores_the_variable(lint: Callable[[str], LintResult]) -> None:
    result = lint(
        "a:\n  tags: [gpu]\n  variables:\n    KUBERNETES_MEMORY_REQUEST: 8Gi\n  script: [x]\n"
        "b:\n  tags: [small]\n  variables:\n    KUBERNETES_CPU_LIMIT: '2'\n  script: [x]\n"
    )
    assert_diagnostics(result, {(4, 32, "CIG304"), (9, 27, "CIG304")})
    assert messages(result) == [
        "job 'a' sets KUBERNETES_MEMORY_REQUEST to '8Gi', but runner ml-runner ignores it: "
        "memory_request_overwrite_max_allowed is not set, so the job gets no memory_request; "
        "set memory_request_overwrite_max_allowed on the runner or drop the variable",
        "job 'b' sets KUBERNETES_CPU_LIMIT to '2', but runner small ignores it: "
        "cpu_limit_overwrite_max_allowed is not set, so the job gets no cpu_limit; "
        "set cpu_limit_overwrite_max_allowed on the runner or drop the variable",
    ]


def test_not_a_quantity(lint: Callable[[str], LintResult]) -> None:
    result = lint(
        "t:\n  tags: [gpu]\n  variables:\n    KUBERNETES_CPU_LIMIT: lots\n  script: [x]\n"
    )
    assert_diagnostics(result, {(4, 27, "CIG304")})
    assert (
        "the value is not a Kubernetes quantity; use a quantity such as 500m" in messages(result)[0]
    )


def test_global_variables_and_their_overrides(lint: Callable[[str], LintResult]) -> None:
    result = lint(
        "variables:\n"
        "  KUBERNETES_MEMORY_LIMIT: 200Gi\n"
        "a:\n  tags: [gpu]\n  script: [x]\n"
        "b:\n  tags: [gpu]\n  variables: {KUBERNETES_MEMORY_LIMIT: 100Gi}\n  script: [x]\n"
        "c:\n  tags: [gpu]\n  inherit: {variables: false}\n  script: [x]\n"
    )
    assert_diagnostics(result, {(2, 28, "CIG304")})
    assert [d.job for d in result.diagnostics] == ["a"]


def test_long_form_raw_and_expanded_values(lint: Callable[[str], LintResult]) -> None:
    result = lint(
        "variables:\n"
        "  BIG: 300Gi\n"
        "a:\n  tags: [gpu]\n  variables:\n"
        # a job variable takes value and expand only (processable.rb allowed_value_data)
        "    KUBERNETES_MEMORY_LIMIT: {value: 129Gi, expand: true}\n  script: [x]\n"
        "b:\n  tags: [gpu]\n  variables:\n    KUBERNETES_MEMORY_LIMIT: $BIG\n  script: [x]\n"
        "c:\n  tags: [gpu]\n  variables:\n    KUBERNETES_MEMORY_LIMIT: $FROM_SETTINGS\n"
        "  script: [x]\n"
        "d:\n  tags: [gpu]\n  variables:\n"
        "    KUBERNETES_MEMORY_LIMIT: {value: $BIG, expand: false}\n  script: [x]\n"
    )
    assert_diagnostics(result, {(6, 38, "CIG304"), (11, 30, "CIG304"), (21, 38, "CIG304")})
    by_job = {d.job: d.message for d in result.diagnostics}
    assert "to '300Gi'" in by_job["b"]
    assert "to '$BIG'" in by_job["d"] and "not a Kubernetes quantity" in by_job["d"]


def test_namespace_overwrite_regex(lint: Callable[[str], LintResult]) -> None:
    result = lint(
        "a:\n  tags: [gpu]\n  variables: {KUBERNETES_NAMESPACE_OVERWRITE: prod}\n  script: [x]\n"
        "b:\n  tags: [gpu]\n  variables: {KUBERNETES_NAMESPACE_OVERWRITE: ml-ci-2}\n"
        "  script: [x]\n"
        "c:\n  tags: [gpu]\n  variables: {KUBERNETES_NAMESPACE_OVERWRITE: ''}\n  script: [x]\n"
        "d:\n  tags: [small]\n  variables: {KUBERNETES_SERVICE_ACCOUNT_OVERWRITE: deployer}\n"
        "  script: [x]\n"
    )
    assert_diagnostics(result, {(3, 47, "CIG304"), (15, 53, "CIG304")})
    assert messages(result) == [
        "job 'a' sets KUBERNETES_NAMESPACE_OVERWRITE to 'prod', but runner ml-runner fails the "
        "job: the value does not match namespace_overwrite_allowed '^ml-'; use a value "
        "matching '^ml-'",
        "job 'd' sets KUBERNETES_SERVICE_ACCOUNT_OVERWRITE to 'deployer', but runner small "
        "ignores it: service_account_overwrite_allowed is not set, so the runner allows no "
        "override of service_account; set service_account_overwrite_allowed on the "
        "runner or drop the variable",
    ]


def test_map_overwrites_match_the_whole_key_value(lint: Callable[[str], LintResult]) -> None:
    result = lint(
        "ok:\n  tags: [gpu]\n  variables:\n"
        "    KUBERNETES_NODE_SELECTOR_GPU: nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3\n"
        "  script: [x]\n"
        "zone:\n  tags: [gpu]\n  variables:\n"
        "    KUBERNETES_NODE_SELECTOR_ZONE: topology.kubernetes.io/zone=a\n"
        "  script: [x]\n"
        "label:\n  tags: [gpu]\n  variables:\n    KUBERNETES_POD_LABELS_TEAM: ml\n"
        "  script: [x]\n"
        "taint:\n  tags: [gpu]\n  variables:\n    KUBERNETES_NODE_TOLERATIONS_1: 'x:NoSchedule'\n"
        "  script: [x]\n"
    )
    assert_diagnostics(result, {(9, 36, "CIG304"), (14, 33, "CIG304"), (19, 36, "CIG304")})
    zone, label, taint = messages(result)
    assert zone.endswith(
        "does not match node_selector_overwrite_allowed "
        "'^nvidia\\\\.com/gpu\\\\.product=[A-Za-z0-9._-]+$'; use a value matching "
        "'^nvidia\\\\.com/gpu\\\\.product=[A-Za-z0-9._-]+$'"
    )
    assert "the value is not key=value; use key=value, matching '.*'" in label
    assert "ignores it: node_tolerations_overwrite_allowed is not set" in taint


def test_service_variables_are_capped_by_the_service_limits(
    lint: Callable[[str], LintResult],
) -> None:
    result = lint(
        "t:\n  tags: [gpu]\n  services:\n"
        "    - name: postgres:16\n"
        "      variables:\n"
        "        KUBERNETES_SERVICE_MEMORY_LIMIT: 8Gi\n"
        "        KUBERNETES_MEMORY_LIMIT: 999Gi\n"
        "    - redis:7\n"
        "  script: [x]\n"
    )
    assert_diagnostics(result, {(6, 42, "CIG304")})
    assert (
        "above service_memory_limit_overwrite_max_allowed 4Gi; use at most 4Gi"
        in messages(result)[0]
    )


def test_only_runners_that_take_the_job_and_know_kubernetes(
    lint: Callable[[str], LintResult],
) -> None:
    ci = (
        "plain:\n  tags: [plain]\n  variables: {KUBERNETES_CPU_LIMIT: '99'}\n  script: [x]\n"
        "nobody:\n  tags: [tpu]\n  variables: {KUBERNETES_CPU_LIMIT: '99'}\n  script: [x]\n"
        "paused:\n  tags: [gpu, paused]\n  variables: {KUBERNETES_CPU_LIMIT: '99'}\n"
        "  script: [x]\n"
        "other:\n  tags: [gpu]\n  variables: {KUBERNETES_CPU: '99', OTHER: x}\n  script: [x]\n"
    )
    assert_diagnostics(lint(ci), set())


def test_several_runners_each_say_what_they_refuse(lint_files: Lint, tmp_path: Path) -> None:
    inventory = tmp_path / "runners.yml"
    inventory.write_text(
        INVENTORY.replace("    tags: [small]\n", "    tags: [gpu, small]\n"), encoding="utf-8"
    )
    runners = load_inventory(inventory)
    ci = "t:\n  tags: [gpu]\n  variables: {KUBERNETES_MEMORY_LIMIT: 100Gi}\n  script: [x]\n"
    result = lint_files({".gitlab-ci.yml": ci}, runners=runners)
    found = [d for d in result.diagnostics if d.code == "CIG304"]
    assert [(d.line, d.col) for d in found] == [(3, 40)]
    assert "runner small ignores it" in found[0].message
    assert "ml-runner" not in found[0].message


def test_matrix_instances_are_each_checked(lint: Callable[[str], LintResult]) -> None:
    result = lint(
        "t:\n  tags: [gpu]\n  parallel:\n    matrix:\n      - SIZE: [a, b]\n"
        "  variables: {KUBERNETES_MEMORY_LIMIT: 1Ti}\n  script: [x]\n"
    )
    assert_diagnostics(result, {(6, 40, "CIG304")})
    assert [d.message.split(" sets")[0] for d in result.diagnostics] == [
        "job 't: [a]'",
        "job 't: [b]'",
    ]


def test_no_runner_inventory_or_no_kubernetes_runner_checks_nothing(
    lint_files: Lint, tmp_path: Path
) -> None:
    ci = "t:\n  variables: {KUBERNETES_MEMORY_LIMIT: 1Ti}\n  script: [x]\n"
    assert not [d for d in lint_files({".gitlab-ci.yml": ci}).diagnostics if d.code == "CIG304"]
    inventory = tmp_path / "runners.yml"
    inventory.write_text("runners:\n  - {name: any}\n", encoding="utf-8")
    result = lint_files({".gitlab-ci.yml": ci}, runners=load_inventory(inventory))
    assert not [d for d in result.diagnostics if d.code == "CIG304"]
