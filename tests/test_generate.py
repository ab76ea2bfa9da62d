"""``cigen generate``: golden output per preset, gates, merging, errors, writing and --check.

Commands run through a fresh click group built with ``register()``; the helper maps outcomes to
exit codes the way ``cigen.cli.main`` does. Golden files live in ``tests/golden/generate/``;
rewrite them with ``CIGEN_UPDATE_GOLDEN=1 pytest tests/test_generate.py`` and review the diff.
Every golden file is also linted: GitLab's CI schema (CIG002) and every other rule must find
nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from helpers import invoke

from cigen.cli.generate import generate_text, lint_generated
from cigen.runners.inventory import load_inventory
from cigen.yaml.load import load_text, to_plain

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "generate"
UPDATE = os.environ.get("CIGEN_UPDATE_GOLDEN") == "1"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def parse(text: str) -> Any:
    loaded = load_text(".gitlab-ci.yml", text)
    assert loaded.problems == ()
    return to_plain(loaded.body)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing golden {path}; create it with CIGEN_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; review, then regenerate"


# --- golden output, one or more per preset ---------------------------------------------------

CASES = {
    "kaniko-defaults": """
registry: harbor.example.local
jobs:
  build: {preset: kaniko, with: {image: team/trainer}}
""",
    "build-image-defaults": """
registry: harbor.example.local
jobs:
  build: {preset: build-image, with: {image: team/trainer}}
""",
    "kaniko-options": """
registry: 10.152.183.59
variables: {IMAGE_NAME: team/trainer}
jobs:
  build:
    preset: kaniko
    with:
      image: ${IMAGE_NAME}
      image_tags: ['${CI_COMMIT_SHORT_SHA}', stable]
      builder_image: registry.example.com/mirror/kaniko:v1.28.3-debug
      latest: always
      context: ${CI_PROJECT_DIR}/app
      dockerfile: ${CI_PROJECT_DIR}/app/Dockerfile.gpu
      registry_certificate: /etc/harbor/certs/harbor.example.local.crt
      cache_repo: 10.152.183.59/shared/kaniko-cache
      build_args: {PYTHON_VERSION: "3.12", BASE: nvidia/cuda:12.4.1-runtime-ubuntu22.04}
      extra_flags: [--target=runtime, --reproducible]
      tags: [harbor, big]
""",
    "kaniko-no-cache": """
jobs:
  build:
    preset: kaniko
    with:
      registry: 'registry.local:5000'
      image: team/tool
      cache: false
      latest: never
      tags: null
""",
    "build-image-buildkit": """
registry: harbor.example.local
jobs:
  build:
    preset: build-image
    with:
      image: team/trainer
      builder: buildkit
      auth: variables
      registry_certificate: /etc/harbor/certs/harbor.example.local.crt
      build_args: {PYTHON_VERSION: "3.12"}
      extra_flags: [--opt=target=runtime]
""",
    "buildkit": """
registry: harbor.example.local
jobs:
  build: {preset: buildkit, with: {image: team/trainer, image_tags: [v1, v1.2]}}
""",
    "buildah": """
registry: harbor.example.local
jobs:
  build:
    preset: buildah
    with:
      image: team/trainer
      image_tags: ['${CI_COMMIT_SHORT_SHA}', v1]
      registry_certificate: /etc/harbor/certs/ca.crt
      auth: variables
      user_variable: REGISTRY_USER
      password_variable: REGISTRY_TOKEN
      docker_config: /tmp/docker
      build_args: {A: b}
""",
    "build-image-buildah-no-cache": """
registry: harbor.example.local
jobs:
  build:
    preset: build-image
    with: {image: team/trainer, builder: buildah, cache: false, latest: never}
""",
    "run-image-from": """
registry: harbor.example.local
jobs:
  build: {preset: kaniko, with: {image: team/trainer}}
  train:
    preset: run-image
    with: {from: build, script: [python train.py], tags: [gpu]}
    needs: [{job: prepare, artifacts: false}]
  prepare: {preset: python, stage: build, with: {script: [python prepare.py]}}
  evaluate:
    preset: run-image
    with: {from: build, script: [python evaluate.py]}
    gate: {flag: RUN_EVALUATE}
""",
    "run-image": """
registry: harbor.example.local
jobs:
  train:
    preset: run-image
    with:
      image: team/trainer
      tag: ${CI_COMMIT_SHORT_SHA}
      script: [python train.py, python evaluate.py]
      tags: [gpu]
    gate: {branches: [main, somebranch]}
""",
    "run-image-flag": """
registry: harbor.example.local
jobs:
  nightly:
    preset: run-image
    with: {image: team/trainer, script: [python nightly.py]}
    gate: {flag: RUN_NIGHTLY, default: true}
    artifacts: {paths: [reports/]}
""",
    "gate-branches-and-flag": """
registry: harbor.example.local
jobs:
  train:
    preset: run-image
    with: {image: team/trainer, script: [python train.py]}
    gate: {branches: [main, /^release-.*$/], flag: RUN_TRAIN}
    when: manual
  evaluate:
    preset: run-image
    with: {image: team/trainer, script: [python evaluate.py]}
    gate: {branches: [main], flag: RUN_TRAIN}
""",
    "gate-only": """
registry: harbor.example.local
jobs:
  train:
    preset: run-image
    with: {image: team/trainer, script: [python train.py]}
    gate: {branches: [main, somebranch], style: only}
  nightly:
    preset: run-image
    with: {image: team/trainer, script: [python nightly.py]}
    gate: {branches: [main], flag: RUN_NIGHTLY, default: true, style: only}
  weekly:
    preset: run-image
    with: {image: team/trainer, script: [python weekly.py]}
    gate: {flag: RUN_WEEKLY, style: only}
""",
    "workflow-merge-requests": """
registry: harbor.example.local
workflow: merge_requests
jobs:
  train:
    preset: run-image
    with: {image: team/trainer, script: [python train.py]}
    gate: {flag: RUN_TRAIN}
""",
    "workflow-none": """
registry: harbor.example.local
workflow: none
jobs:
  train:
    preset: run-image
    with: {image: team/trainer, script: [python train.py]}
    gate: {branches: [main]}
""",
    "jupyter": """
registry: harbor.example.local
jobs:
  notebook:
    preset: jupyter
    with: {image: team/jupyter}
    when: manual
""",
    "jupyter-options": """
registry: harbor.example.local
jobs:
  notebook:
    preset: jupyter
    with:
      image: team/jupyter
      tag: v2
      token_variable: LAB_TOKEN
      port: 9999
      root_dir: ${CI_PROJECT_DIR}/notebooks
      timeout: 8h
      idle_timeout: null
      namespace: team-ci
      tags: [gpu]
    variables: {EXTRA: "1"}
""",
    "jupyter-from": """
registry: harbor.example.local
jobs:
  build-notebook:
    preset: kaniko
    with: {image: team/jupyter, dockerfile: '${CI_PROJECT_DIR}/jupyter.Dockerfile'}
  notebook:
    preset: jupyter
    with: {from: build-notebook, timeout: null, idle_timeout: 1800}
    when: manual
""",
    "scan": """
jobs:
  ci-scan: {preset: scan, with: {group: platform, shards: 4}}
""",
    "scan-pages": """
jobs:
  pages:
    preset: scan
    with:
      include_subgroups: false
      shards: 8
      workers: 8
      deadline: 1800
      run_if: $SCAN == "yes"
      install: [pip install cigen==0.1.0]
      tags: [docker]
""",
    "child-pipeline": """
jobs:
  deploy:
    preset: child-pipeline
    with:
      config: ci/deploy/cigen.yml
      cigen_spec: cigen @ git+https://gitlab.example.com/tools/cigen.git@v0.1.0
""",
    "child-pipeline-options": """
stages: [prepare, children]
jobs:
  docs:
    preset: child-pipeline
    stage: children
    with:
      config: docs/cigen.yml
      output: generated/docs.yml
      generator_stage: prepare
      image: registry.local/python:3.12
      install: [pip install --index-url https://pypi.example.com/simple cigen==0.1.0]
      tags: [docker]
      strategy: mirror
    rules: [{if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH}]
    variables: {DOCS_ENV: staging}
""",
    "monorepo": """
jobs:
  apps:
    preset: monorepo
    with: {folders: [services/api, web], changes: [presets/**/*], cigen_spec: $CIGEN_PIP_SPEC}
""",
    "monorepo-auto": """
jobs:
  apps: {preset: monorepo, with: {cigen_spec: ./tools/cigen}}
""",
    "python": """
stages: [test, build]
jobs:
  tests: {preset: python, with: {install: ['.[dev]'], script: [python -m pytest]}}
  wheel:
    preset: python
    stage: build
    with:
      image: python:3.13
      install: [build]
      script: [python -m build --wheel]
      tags: [docker]
    artifacts: {paths: [dist/*.whl]}
""",
}


#: Files besides cigen.yml that a case needs: the folders a monorepo job names or finds.
CHILD = "jobs:\n  unit: {preset: python, with: {script: [pytest]}}\n"
CASE_FILES = {
    "monorepo": {"services/api/cigen.yml": CHILD, "web/cigen.yml": CHILD},
    "monorepo-auto": {
        "services/api/cigen.yml": CHILD,
        "services/api/v2/cigen.yml": CHILD,
        "services/api/src/app.py": "",
        "web/cigen.yml": CHILD,
        "docs/README.md": "",
        ".git/cigen.yml": CHILD,
        ".hidden/app/cigen.yml": CHILD,
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_preset_output_is_pinned_and_lints_clean(case: str, tmp_path: Path) -> None:
    for name, text in CASE_FILES.get(case, {}).items():
        write(tmp_path, name, text)
    config = write(tmp_path, "cigen.yml", CASES[case])
    text = generate_text(config, source="cigen.yml").text
    check_golden(f"{case}.yml", text)
    assert lint_generated(text, None) == ()
    assert generate_text(config, source="cigen.yml").text == text  # deterministic


def test_every_builtin_preset_has_a_golden_case() -> None:
    from cigen.generate.presets import builtin_presets

    used = {
        job["preset"]
        for text in CASES.values()
        for job in to_plain(load_text("c", text).body)["jobs"].values()
    }
    assert set(builtin_presets()) <= used


def test_example_is_the_kubernetes_pipeline() -> None:
    config = REPO / "examples" / "cigen.yml"
    generated = generate_text(config, source="cigen.yml")
    check_golden("example.yml", generated.text)
    runners = load_inventory(REPO / "examples" / "runners.yml")
    assert generated.spec.runners == REPO / "examples" / "runners.yml"
    assert lint_generated(generated.text, runners) == ()
    assert generated.warnings == ()
    data = parse(generated.text)
    assert data["stages"] == ["build", "run", "notebook"]
    assert data["variables"] == {"IMAGE_NAME": "team/trainer", "RUN_NIGHTLY": "false"}
    build = data["build"]
    assert build["image"] == {
        "name": "ghcr.io/osscontainertools/kaniko:v1.28.3-debug",
        "entrypoint": [""],
    }
    assert build["tags"] == ["harbor"]
    (executor,) = [line for line in build["script"] if line.startswith("/kaniko/executor")]
    for part in (
        '--context "${CI_PROJECT_DIR}"',
        '--dockerfile "${CI_PROJECT_DIR}/Dockerfile"',
        '--destination "harbor.example.local/${IMAGE_NAME}:${CI_COMMIT_SHORT_SHA}"',
        '${LATEST:+--destination="$LATEST"}',
        '--registry-certificate "harbor.example.local=/etc/harbor/certs/harbor.example.local.crt"',
        "--cache=true",
        '--cache-repo "harbor.example.local/kaniko-cache/cache"',
        "--digest-file /kaniko/image-digest",
    ):
        assert part in executor
    assert (
        'LATEST=""; if [ "${CI_COMMIT_BRANCH:-}" = "$CI_DEFAULT_BRANCH" ]; then '
        'LATEST="harbor.example.local/${IMAGE_NAME}:latest"; fi'
    ) in build["script"]
    assert build["artifacts"] == {"reports": {"dotenv": ".cigen-image.env"}}
    assert build["script"][-1] == (
        'DIGEST="$(cat /kaniko/image-digest)" && test -n "$DIGEST" && echo '
        '"BUILD_IMAGE=harbor.example.local/${IMAGE_NAME}@${DIGEST}" > '
        '"${CI_PROJECT_DIR}/.cigen-image.env"'
    )
    assert data["train"]["rules"] == [
        {"if": '$CI_COMMIT_REF_NAME == "main" || $CI_COMMIT_REF_NAME == "somebranch"'}
    ]
    assert data["train"]["tags"] == ["gpu"]
    assert data["train"]["image"] == {"name": "${BUILD_IMAGE}", "entrypoint": [""]}
    assert data["train"]["needs"] == [{"job": "build", "artifacts": True}]
    assert data["nightly"]["rules"] == [{"if": '$RUN_NIGHTLY == "true"'}]
    assert "tags" not in data["nightly"]
    notebook = data["notebook"]
    assert notebook["image"]["name"] == "${BUILD_NOTEBOOK_IMAGE}"
    assert notebook["needs"] == [{"job": "build-notebook", "artifacts": True}]
    assert notebook["variables"] == {"JUPYTER_TOKEN": "$NOTEBOOK_TOKEN"}
    assert notebook["when"] == "manual"
    assert notebook["stage"] == "notebook"
    assert notebook["timeout"] == "4h"


def test_example_through_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO / "examples")
    code, out, err = invoke("generate")
    assert (code, err) == (0, "")
    assert out == generate_text(Path("cigen.yml")).text
    assert out.startswith("# Generated by cigen from cigen.yml — do not edit")


# --- composition ---------------------------------------------------------------------------


def build_data(folder: Path, text: str) -> Any:
    return parse(generate_text(write(folder, "cigen.yml", text)).text)


def test_stages_follow_the_presets_order_not_the_job_order(tmp_path: Path) -> None:
    data = build_data(
        tmp_path,
        """
registry: r
jobs:
  notebook: {preset: jupyter, with: {image: a}}
  train: {preset: run-image, with: {image: a, script: [x]}}
  lint: {preset: run-image, with: {image: a, script: [x]}, stage: check}
  build: {preset: kaniko, with: {image: a}}
""",
    )
    assert data["stages"] == ["build", "run", "check", "notebook"]
    assert list(data)[2:] == ["notebook", "train", "lint", "build"]


def test_given_stages_are_kept(tmp_path: Path) -> None:
    data = build_data(
        tmp_path,
        """
registry: r
stages: [build, test, run]
jobs:
  train: {preset: run-image, with: {image: a, script: [x]}}
""",
    )
    assert data["stages"] == ["build", "test", "run"]


def test_pass_through_keys_merge_over_the_preset(tmp_path: Path) -> None:
    data = build_data(
        tmp_path,
        """
registry: r
jobs:
  notebook:
    preset: jupyter
    with: {image: team/jupyter, tags: [gpu]}
    image: {name: other/image:1}
    variables: {EXTRA: "yes"}
    tags: null
    retry: 2
""",
    )
    job = data["notebook"]
    assert job["image"] == {"name": "other/image:1", "entrypoint": [""]}
    assert job["variables"] == {"JUPYTER_TOKEN": "$NOTEBOOK_TOKEN", "EXTRA": "yes"}
    assert "tags" not in job
    assert job["retry"] == 2
    assert list(job)[-1] == "retry"


def test_flag_gate_keeps_a_job_level_when(tmp_path: Path) -> None:
    data = build_data(
        tmp_path,
        """
registry: r
jobs:
  deploy:
    preset: run-image
    with: {image: a, script: [x]}
    gate: {flag: DEPLOY}
    when: manual
""",
    )
    assert data["deploy"]["when"] == "manual"
    assert data["deploy"]["rules"] == [{"if": '$DEPLOY == "true"'}]
    assert data["variables"] == {"DEPLOY": "false"}


def test_flag_default_is_declared_once(tmp_path: Path) -> None:
    data = build_data(
        tmp_path,
        """
registry: r
variables: {A: "1"}
jobs:
  one: {preset: run-image, with: {image: a, script: [x]}, gate: {flag: F}}
  two: {preset: run-image, with: {image: a, script: [x]}, gate: {flag: F, default: true}}
  three: {preset: run-image, with: {image: a, script: [x]}, gate: {flag: G}}
""",
    )
    assert data["variables"] == {"A": "1", "F": "true", "G": "false"}


def test_flag_default_from_variables_wins(tmp_path: Path) -> None:
    data = build_data(
        tmp_path,
        """
registry: r
variables: {F: "true"}
jobs:
  one: {preset: run-image, with: {image: a, script: [x]}, gate: {flag: F}}
""",
    )
    assert data["variables"] == {"F": "true"}


# --- what a parameter value cannot do -----------------------------------------------------------

INJECTIONS = ["x\nfoo: bar", "a: b", "!reference [x]", "{{ 7*7 }}", "*alias", "- item"]


@pytest.mark.parametrize("value", INJECTIONS, ids=repr)
def test_a_value_in_a_free_text_parameter_stays_one_string(value: str, tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "cigen.yml",
        "registry: r\njobs:\n  train:\n    preset: run-image\n    with:\n"
        f"      image: a\n      script: [{_quoted(value)}, after]\n",
    )
    text = generate_text(config, source="cigen.yml").text
    data = parse(text)
    assert data["train"]["script"] == [value, "after"]
    assert list(data) == ["workflow", "stages", "train"]
    assert list(data["train"]) == ["stage", "image", "script"]
    assert "49" not in text


@pytest.mark.parametrize("value", INJECTIONS, ids=repr)
def test_a_value_inside_a_template_is_inserted_once_and_quoted(value: str, tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "cigen.yml",
        "registry: r\njobs:\n  build:\n    preset: kaniko\n    with:\n"
        f"      image: a\n      build_args: {{ARG: {_quoted(value)}}}\n",
    )
    data = parse(generate_text(config).text)
    (script,) = [line for line in data["build"]["script"] if "--build-arg" in line]
    assert f'--build-arg "ARG={value}"' in script
    assert list(data["build"]) == ["stage", "image", "tags", "script", "artifacts"]
    assert "49" not in script


@pytest.mark.parametrize("value", INJECTIONS, ids=repr)
def test_a_value_breaking_a_parameter_pattern_is_rejected(value: str, project: Path) -> None:
    write(
        project,
        "cigen.yml",
        "registry: r\njobs:\n  build:\n    preset: kaniko\n"
        f"    with: {{image: {_quoted(value)}}}\n",
    )
    code, out, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert code == 2
    assert "cigen.yml:5:19: jobs.build.with.image: parameter 'image' of preset 'kaniko'" in err
    assert out == ""
    assert not (project / ".gitlab-ci.yml").exists()


def test_shell_quoting_keeps_variables_and_stops_command_substitution(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "cigen.yml",
        "registry: r\njobs:\n  build:\n    preset: kaniko\n    with:\n      image: a\n"
        '      build_args: {A: "$(id) `id` \\"q\\" ${HOME} $USER \\\\"}\n',
    )
    script = "\n".join(parse(generate_text(config).text)["build"]["script"])
    assert '--build-arg "A=\\$(id) \\`id\\` \\"q\\" ${HOME} $USER \\\\"' in script


def test_pass_through_values_are_not_templates(tmp_path: Path) -> None:
    data = build_data(
        tmp_path,
        """
registry: r
jobs:
  train:
    preset: run-image
    with: {image: a, script: [x]}
    variables: {X: "{{ 7*7 }}", Y: "{% if true %}y{% endif %}"}
""",
    )
    assert data["train"]["variables"] == {"X": "{{ 7*7 }}", "Y": "{% if true %}y{% endif %}"}


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# --- errors in cigen.yml: exit 2 with the line --------------------------------------------------

ERRORS = {
    "unknown preset": (
        "registry: r\njobs:\n  build: {preset: kanikoo, with: {image: a}}\n",
        "cigen.yml:3:19: jobs.build.preset: unknown preset 'kanikoo'; did you mean 'kaniko'? "
        "(available: build-image, buildah, buildkit, child-pipeline, jupyter, kaniko, monorepo, "
        "python, run-image",
    ),
    "unknown parameter": (
        "registry: r\njobs:\n  build:\n    preset: kaniko\n    with: {image: a, imag: b}\n",
        "cigen.yml:5:22: jobs.build.with: unknown parameter 'imag' of preset 'kaniko'; did you "
        "mean 'image'? (parameters: registry, image, builder_image,",
    ),
    "wrong type": (
        "registry: r\njobs:\n  build:\n    preset: kaniko\n    with: {image: a, tags: harbor}\n",
        "cigen.yml:5:28: jobs.build.with.tags: parameter 'tags' of preset 'kaniko': expected a "
        "list or null, got a string ('harbor')",
    ),
    "wrong item type": (
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [1]}\n",
        "cigen.yml:5:31: jobs.t.with.script.0: parameter 'script' of preset 'run-image': "
        "expected a string, got an integer (1)",
    ),
    "missing parameter": (
        "registry: r\njobs:\n  build:\n    preset: kaniko\n",
        "cigen.yml:4:13: preset 'kaniko' needs parameter 'image'",
    ),
    "missing registry": (
        "jobs:\n  build:\n    preset: kaniko\n    with: {image: a}\n",
        "cigen.yml:3:13: preset 'kaniko' needs parameter 'registry'",
    ),
    "unknown top-level key": (
        "registry: r\nregistri: x\njobs:\n  build: {preset: kaniko, with: {image: a}}\n",
        "cigen.yml:2:1: unknown key 'registri'; did you mean 'registry'? (allowed: registry, "
        "runners, stages, workflow, variables, jobs)",
    ),
    "unknown job key": (
        "registry: r\njobs:\n  build:\n    preset: kaniko\n    scrpit: [x]\n",
        "cigen.yml:5:5: jobs.build: unknown key 'scrpit'; did you mean 'script'? (allowed: preset, "
        "with, gate,",
    ),
    "bad when": (
        "registry: r\njobs:\n  build:\n    preset: kaniko\n    when: later\n",
        "cigen.yml:5:11: jobs.build.when: 'later' is not allowed (allowed: 'on_success'",
    ),
    "reserved job name": (
        "registry: r\njobs:\n  variables: {preset: kaniko, with: {image: a}}\n",
        "cigen.yml:3:3: jobs: the name 'variables' is reserved by GitLab",
    ),
    "jobs not a mapping": (
        "registry: r\njobs: [build]\n",
        "cigen.yml:2:7: jobs: expected a mapping, got a list",
    ),
    "missing jobs": ("registry: r\n", "cigen.yml:1:1: missing key 'jobs'"),
    "empty file": ("", "cigen.yml:1:1: cigen.yml is a mapping with a 'jobs' key, got an empty"),
    "yaml syntax": (
        "registry: r\njobs: {build: {preset: kaniko}\n",
        "cigen.yml:3:1: YAML syntax error",
    ),
    "duplicate key": (
        "registry: r\nregistry: s\njobs:\n  build: {preset: kaniko, with: {image: a}}\n",
        "cigen.yml:2:1: duplicate key 'registry'",
    ),
    "gate and rules": (
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    gate: {branches: [main]}\n    rules: [{when: always}]\n",
        "cigen.yml:7:5: jobs.t: gate cannot be combined with rules:",
    ),
    "gate without branches or flag": (
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    gate: {style: only}\n",
        "cigen.yml:6:11: jobs.t.gate: fits none of the allowed forms: missing key 'branches'; or "
        "missing key 'flag'",
    ),
    "gate default without flag": (
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    gate: {branches: [main], default: true}\n",
        "cigen.yml:6:11: jobs.t.gate:",
    ),
    "bad flag name": (
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    gate: {flag: RUN-IT}\n",
        "cigen.yml:6:18: jobs.t.gate.flag: 'RUN-IT' is not a variable name: letters, digits and "
        "`_`, not starting with a digit",
    ),
    "stage not listed": (
        "registry: r\nstages: [build]\njobs:\n  t:\n    preset: run-image\n"
        "    with: {image: a, script: [x]}\n",
        "cigen.yml:5:13: jobs.t: stage 'run' (from preset 'run-image') is not in stages (build)",
    ),
    "flag defaults disagree": (
        "registry: r\njobs:\n  a:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    gate: {flag: F, default: true}\n  b:\n    preset: run-image\n"
        "    with: {image: a, script: [x]}\n    gate: {flag: F, default: false}\n",
        "cigen.yml:10:30: jobs.b.gate.default: false contradicts the default true given at line 6",
    ),
    "flag default against variables": (
        "registry: r\nvariables: {F: 'false'}\njobs:\n  a:\n    preset: run-image\n"
        "    with: {image: a, script: [x]}\n    gate: {flag: F, default: true}\n",
        "cigen.yml:7:30: jobs.a.gate.default: true contradicts variables.F = 'false' at line 2",
    ),
    "reference tag": (
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    before_script: !reference [.x, script]\n",
        "cigen.yml:6:20: !reference is not supported in cigen.yml",
    ),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_invalid_cigen_yml_exits_2_with_its_line(case: str, project: Path) -> None:
    text, expected = ERRORS[case]
    write(project, "cigen.yml", text)
    code, out, err = invoke("generate", "-o", "out.yml")
    assert code == 2, err
    assert f"cigen: error: {expected}" in err
    assert out == ""
    assert not (project / "out.yml").exists()


def test_missing_cigen_yml_exits_2(project: Path) -> None:
    code, _, err = invoke("generate")
    assert code == 2
    assert "cigen.yml: cannot read cigen.yml" in err


def test_config_option_names_another_file(project: Path) -> None:
    write(project, "ci/pipeline.yml", "registry: r\njobs:\n  b: {preset: kanikox}\n")
    code, _, err = invoke("generate", "-c", "ci/pipeline.yml")
    assert code == 2
    assert "ci/pipeline.yml:3:15: jobs.b.preset: unknown preset 'kanikox'" in err


# --- lint before writing --------------------------------------------------------------------


def test_lint_errors_exit_1_and_write_nothing(project: Path) -> None:
    write(
        project,
        "cigen.yml",
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    needs: [nope]\n",
    )
    code, out, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert code == 1
    assert "the generated pipeline has 1 error(s); nothing was written" in err
    assert "CIG202" in err
    assert "job 't' (preset run-image) is at cigen.yml:4:5" in err
    assert out == ""
    assert not (project / ".gitlab-ci.yml").exists()


def test_lint_errors_print_nothing_on_stdout(project: Path) -> None:
    write(
        project,
        "cigen.yml",
        "registry: r\njobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x]}\n"
        "    needs: [nope]\n",
    )
    code, out, _ = invoke("generate")
    assert (code, out) == (1, "")


def test_jobs_no_runner_can_take_exit_1(project: Path) -> None:
    write(
        project,
        "cigen.yml",
        "registry: r\nrunners: runners.yml\n"
        "jobs:\n  t:\n    preset: run-image\n    with: {image: a, script: [x], tags: [tpu]}\n",
    )
    write(project, "runners.yml", "runners:\n  - {name: gpu, tags: [gpu]}\n")
    code, _, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert code == 1
    assert "CIG301" in err
    assert not (project / ".gitlab-ci.yml").exists()
    write(project, "other.yml", "runners:\n  - {name: tpu, tags: [tpu]}\n")
    code, _, err = invoke("generate", "-o", ".gitlab-ci.yml", "--runners", "other.yml")
    assert code == 0, err
    assert (project / ".gitlab-ci.yml").is_file()


def test_bad_runner_inventory_exits_2(project: Path) -> None:
    write(
        project,
        "cigen.yml",
        "registry: r\nrunners: missing.yml\njobs:\n  b: {preset: kaniko, with: {image: a}}\n",
    )
    code, _, err = invoke("generate")
    assert code == 2
    assert "missing.yml" in err


# --- writing -------------------------------------------------------------------------------

SIMPLE = "registry: r\njobs:\n  build: {preset: kaniko, with: {image: a}}\n"


def test_output_file_is_what_stdout_shows(project: Path) -> None:
    write(project, "cigen.yml", SIMPLE)
    code, shown, _ = invoke("generate")
    assert code == 0
    code, out, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert (code, out) == (0, "")
    assert "wrote .gitlab-ci.yml" in err
    assert (project / ".gitlab-ci.yml").read_text(encoding="utf-8") == shown
    assert sorted(p.name for p in project.iterdir()) == [".gitlab-ci.yml", "cigen.yml"]


def test_header_names_the_source_relative_to_the_output(project: Path) -> None:
    write(project, "ci/cigen.yml", SIMPLE)
    (project / "out").mkdir()
    code, _, err = invoke("generate", "-c", "ci/cigen.yml", "-o", "out/.gitlab-ci.yml")
    assert code == 0, err
    text = (project / "out" / ".gitlab-ci.yml").read_text(encoding="utf-8")
    assert text.startswith("# Generated by cigen from ../ci/cigen.yml — do not edit")


def test_refuses_to_replace_a_hand_written_file(project: Path) -> None:
    write(project, "cigen.yml", SIMPLE)
    hand = write(project, ".gitlab-ci.yml", "build:\n  script: [make]\n")
    code, _, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert code == 2
    assert "was not generated by cigen" in err and "--force" in err
    assert hand.read_text(encoding="utf-8") == "build:\n  script: [make]\n"
    code, _, _ = invoke("generate", "-o", ".gitlab-ci.yml", "--force")
    assert code == 0
    assert hand.read_text(encoding="utf-8").startswith("# Generated by cigen")


def test_replaces_a_file_cigen_generated(project: Path) -> None:
    write(project, "cigen.yml", SIMPLE)
    old = write(project, ".gitlab-ci.yml", "# Generated by cigen from cigen.yml\nold: {}\n")
    code, _, _ = invoke("generate", "-o", ".gitlab-ci.yml")
    assert code == 0
    assert (
        old.read_text(encoding="utf-8") == generate_text(Path("cigen.yml"), source="cigen.yml").text
    )


def test_write_is_atomic(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "cigen.yml", SIMPLE)
    old = write(project, ".gitlab-ci.yml", "# Generated by cigen\nold: {}\n")

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("cigen.atomic.os.replace", broken_replace)
    code, _, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert code == 2
    assert "No space left on device" in err
    assert old.read_text(encoding="utf-8") == "# Generated by cigen\nold: {}\n"
    assert sorted(p.name for p in project.iterdir()) == [".gitlab-ci.yml", "cigen.yml"]


# --- --check --------------------------------------------------------------------------------


def test_check_is_0_when_fresh_and_writes_nothing(project: Path) -> None:
    write(project, "cigen.yml", SIMPLE)
    assert invoke("generate", "-o", ".gitlab-ci.yml")[0] == 0
    before = (project / ".gitlab-ci.yml").stat().st_mtime_ns
    code, out, err = invoke("generate", "--check")
    assert (code, out, err) == (0, "", "")
    assert (project / ".gitlab-ci.yml").stat().st_mtime_ns == before


def test_check_is_1_with_a_diff_when_stale(project: Path) -> None:
    write(project, "cigen.yml", SIMPLE)
    assert invoke("generate", "-o", "ci.yml")[0] == 0
    write(project, "cigen.yml", SIMPLE.replace("image: a", "image: b"))
    stale = (project / "ci.yml").read_text(encoding="utf-8")
    code, out, err = invoke("generate", "--check", "-o", "ci.yml")
    assert code == 1
    assert "--- ci.yml (current)" in out and "+++ ci.yml (generated)" in out
    assert '-        --destination "r/a:${CI_COMMIT_SHORT_SHA}" \\' in out
    assert '+        --destination "r/b:${CI_COMMIT_SHORT_SHA}" \\' in out
    assert "ci.yml is out of date" in err
    assert (project / "ci.yml").read_text(encoding="utf-8") == stale


def test_check_of_a_missing_file_is_1_and_creates_nothing(project: Path) -> None:
    write(project, "cigen.yml", SIMPLE)
    code, out, _ = invoke("generate", "--check")
    assert code == 1
    assert "--- .gitlab-ci.yml (missing)" in out
    assert not (project / ".gitlab-ci.yml").exists()


# --- project presets ----------------------------------------------------------------------

HELLO = """\
name: hello
summary: Say hello
description: Prints a greeting.
stage: greet
order: 50
required: [who]
params:
  who: {type: string, pattern: '^[a-z]+$', description: Whom to greet.}
  times: {type: integer, default: 1, minimum: 1, description: How many times.}
job:
  script:
    - echo "hello {{ who }}" {{ times }}
"""


def test_a_project_preset_beside_cigen_yml(project: Path) -> None:
    write(project, "presets/hello.yaml", HELLO)
    write(
        project,
        "cigen.yml",
        "registry: r\njobs:\n  build: {preset: kaniko, with: {image: a}}\n"
        "  hi: {preset: hello, with: {who: world, times: 2}}\n",
    )
    code, out, err = invoke("generate")
    assert code == 0, err
    data = parse(out)
    assert data["stages"] == ["greet", "build"]
    assert data["hi"] == {"stage": "greet", "script": ['echo "hello world" 2']}
    assert "Presets: kaniko, hello." in out


def test_a_project_preset_replaces_a_builtin_one(project: Path) -> None:
    write(project, "presets/run-image.yaml", HELLO.replace("name: hello", "name: run-image"))
    write(project, "cigen.yml", "jobs:\n  hi: {preset: run-image, with: {who: you}}\n")
    code, out, err = invoke("generate")
    assert code == 0, err
    assert parse(out)["hi"]["script"] == ['echo "hello you" 1']


def test_a_broken_project_preset_is_reported_at_its_line(project: Path) -> None:
    write(project, "presets/hello.yaml", HELLO.replace("stage: greet", "stage: [greet]"))
    write(project, "cigen.yml", "jobs:\n  hi: {preset: hello, with: {who: you}}\n")
    code, _, err = invoke("generate")
    assert code == 2
    assert "presets/hello.yaml:4:8: stage: expected a string, got a list" in err


def test_a_template_naming_an_unknown_value_is_an_error(project: Path) -> None:
    write(project, "presets/hello.yaml", HELLO.replace("{{ times }}", "{{ time }}"))
    write(project, "cigen.yml", "jobs:\n  hi: {preset: hello, with: {who: you}}\n")
    code, _, err = invoke("generate")
    assert code == 2
    assert "preset 'hello' (presets/hello.yaml): script[0]: 'time' is undefined" in err


def test_warnings_are_shown_and_the_file_is_written(project: Path) -> None:
    write(
        project,
        "cigen.yml",
        "registry: r\nrunners: runners.yml\njobs:\n  t:\n    preset: run-image\n"
        "    with: {image: a, script: [x], tags: [gpu]}\n",
    )
    write(project, "runners.yml", "runners:\n  - {name: gpu, tags: [gpu], protected: true}\n")
    code, _, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert code == 0
    assert "CIG302" in err
    assert (project / ".gitlab-ci.yml").is_file()


def test_an_unchanged_file_is_left_alone(project: Path) -> None:
    write(project, "cigen.yml", SIMPLE)
    assert invoke("generate", "-o", ".gitlab-ci.yml")[0] == 0
    before = (project / ".gitlab-ci.yml").stat().st_mtime_ns
    code, _, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert code == 0
    assert "unchanged: .gitlab-ci.yml" in err
    assert (project / ".gitlab-ci.yml").stat().st_mtime_ns == before


def test_output_that_is_a_directory_exits_2(project: Path) -> None:
    write(project, "cigen.yml", SIMPLE)
    (project / "out").mkdir()
    code, _, err = invoke("generate", "-o", "out")
    assert code == 2
    assert "is a directory" in err


# --- every problem at once, in words ---------------------------------------------------------

MANY = """registry: r
jobs:
  build:
    preset: kanico
    with: {image: a}
  t:
    preset: run-image
    tag: [gpu]
    with: {image: a, script: [x]}
  u:
    preset: buildah
    with: {image: a, registry_cert: /x}
  v:
    preset: run-image
    with: {image: "a b", script: [x], tags: yes}
  w:
    preset: build-image
    with: {image: a, builder: kanico}
"""


def test_every_error_of_cigen_yml_is_shown_at_once(project: Path) -> None:
    write(project, "cigen.yml", MANY)
    code, out, err = invoke("generate", "-o", "out.yml")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "cigen: error: cigen.yml:4:13: jobs.build.preset: unknown preset 'kanico'; did you mean "
        "'kaniko'? (available: build-image, buildah, buildkit, child-pipeline, jupyter, kaniko, "
        "monorepo, python, run-image, scan; a project adds its own in presets/NAME.yaml beside "
        "cigen.yml)",
        "cigen: error: cigen.yml:8:5: jobs.t: unknown key 'tag'; did you mean 'tags'? (allowed: "
        + err.split("did you mean 'tags'? (allowed: ")[1].split("\n")[0],
        "cigen: error: cigen.yml:12:22: jobs.u.with: unknown parameter 'registry_cert' of preset "
        "'buildah'; did you mean 'registry_certificate'? (parameters: registry, image, "
        "builder_image, image_tags, latest, context, dockerfile, registry_certificate, cache, "
        "cache_repo, build_args, extra_flags, auth, docker_config, user_variable, "
        "password_variable, tags)",
        "cigen: error: cigen.yml:15:19: jobs.v.with.image: parameter 'image' of preset "
        "'run-image': 'a b' is not a repository path without host or tag, such as team/trainer "
        "(Repository path inside the registry, without host or tag, such as `team/trainer`.)",
        "cigen: error: cigen.yml:15:45: jobs.v.with.tags: parameter 'tags' of preset "
        "'run-image': expected a list or null, got a boolean (true) (Runner tags; without tags "
        "the job goes to a runner that runs untagged jobs.)",
        "cigen: error: cigen.yml:18:31: jobs.w.with.builder: parameter 'builder' of preset "
        "'build-image': 'kanico' is not allowed; did you mean 'kaniko'? (allowed: 'kaniko', "
        "'buildkit', 'buildah') (The build tool: `kaniko` (the maintained fork), `buildkit` "
        "(rootless) or `buildah`.)",
        "cigen: 6 errors in cigen.yml; nothing was written",
    ]
    assert "^" not in err  # words, never a regular expression
    assert not (project / "out.yml").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "registry: r\njobs:\n  build:\n\tpreset: kaniko\n",
            "cigen.yml:4:1: YAML syntax error: while scanning for the next token, found character "
            "that cannot start any token (a tab: YAML indents with spaces only; use spaces)",
        ),
        (
            "registry: r\nvariables: {RUN: yes}\njobs:\n  b: {preset: kaniko, with: {image: a}}\n",
            "cigen.yml:2:18: variables.RUN: fits none of the allowed forms: expected a string, got "
            'a boolean (true) (in quotes it is the string: "true");',
        ),
        (
            "registry: 'harbor.example.local/team'\n"
            "jobs:\n  b: {preset: kaniko, with: {image: a}}\n",
            "cigen.yml:1:11: registry: 'harbor.example.local/team' is not a registry host with an "
            "optional port, such as harbor.example.local or 10.0.0.5:5000",
        ),
        (
            "registry: r\nworkflow: branch\njobs:\n  b: {preset: kaniko, with: {image: a}}\n",
            "cigen.yml:2:11: workflow: 'branch' is not allowed; did you mean 'branches'?",
        ),
        (
            'registry: r\njobs:\n  b: {preset: kaniko, with: {image: a, context: "a\\nb"}}\n',
            "jobs.b.with.context: parameter 'context' of preset 'kaniko': 'a\\nb' is not a path "
            "on one line",
        ),
    ],
)
def test_messages_say_what_to_write(project: Path, text: str, expected: str) -> None:
    write(project, "cigen.yml", text)
    code, _, err = invoke("generate")
    assert code == 2
    assert expected in err


def test_a_problem_outside_the_jobs_stops_before_the_jobs(project: Path) -> None:
    write(
        project,
        "cigen.yml",
        "registry: 'a b'\njobs:\n  b: {preset: kaniko, with: {image: a}}\n  c: {preset: nope}\n",
    )
    code, _, err = invoke("generate")
    assert code == 2
    assert "registry: 'a b' is not a registry host" in err
    assert "nope" not in err  # checked once the top of the file is right


def test_a_paused_runner_is_a_warning_and_the_file_is_written(project: Path) -> None:
    write(
        project,
        "cigen.yml",
        "registry: r\nrunners: runners.yml\njobs:\n  t:\n    preset: run-image\n"
        "    with: {image: a, script: [x], tags: [gpu]}\n",
    )
    write(project, "runners.yml", "runners:\n  - {name: gpu, tags: [gpu], paused: true}\n")
    code, _, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert code == 0, err
    assert "CIG301" in err and "(a warning here: pausing a runner is temporary)" in err
    assert (project / ".gitlab-ci.yml").is_file()
    # a job that no runner, paused or not, can take still stops the write
    write(project, "runners.yml", "runners:\n  - {name: tpu, tags: [tpu], paused: true}\n")
    code, _, err = invoke("generate", "-o", "other.yml")
    assert code == 1
    assert "pausing a runner is temporary" not in err
    assert not (project / "other.yml").exists()


def test_the_readme_reference_example_generates_cleanly(project: Path) -> None:
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## cigen.yml reference\n", 1)[1].split("\n## ", 1)[0]
    example = re.findall(r"^```yaml\n(.*?)^```", section, re.S | re.M)[0]
    write(project, "cigen.yml", example)
    write(
        project,
        "runners.yml",
        "runners:\n  - {name: b, tags: [harbor]}\n  - {name: g, tags: [gpu]}\n",
    )
    code, out, err = invoke("generate")
    assert (code, err) == (0, "")
    data = parse(out)
    assert data["train"]["needs"] == [{"job": "build", "artifacts": True}]
    assert data["train"]["rules"] == [
        {"if": '$CI_COMMIT_REF_NAME == "main" && $RUN_TRAIN == "true"'}
    ]
    assert data["workflow"]["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
