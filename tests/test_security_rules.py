"""The security rules: secret-literal, privileged-docker, kaniko-large-base-image and
kaniko-cache-repo-varies, with exact positions (``path, line, column, code``).

The rules are passed to :func:`cigen.lint.engine.lint` as ``extra_rules``, so these tests hold
whether or not they are in the registry yet (a registered rule reported twice is one finding).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from helpers import write_files
from test_rule_docs import split_block, yaml_blocks

from cigen.diagnostics import Severity
from cigen.lint.engine import LintResult, lint
from cigen.rules import (
    cig501_secret_literal,
    cig502_privileged_docker,
    cig503_kaniko_large_base_image,
    cig504_kaniko_cache_repo_varies,
)

CI = ".gitlab-ci.yml"
MINE: tuple[Any, ...] = (
    cig501_secret_literal,
    cig502_privileged_docker,
    cig503_kaniko_large_base_image,
    cig504_kaniko_cache_repo_varies,
)
CODES = {rule.CODE for rule in MINE}
KANIKO_IMAGE = '  image:\n    name: gcr.io/kaniko-project/executor:debug\n    entrypoint: [""]\n'

Found = set[tuple[str, int, int, str]]


def run(root: Path, files: dict[str, str | bytes]) -> LintResult:
    write_files(root, files)
    return lint(root / CI, root=root, extra_rules=MINE)


def found(root: Path, files: dict[str, str | bytes]) -> Found:
    result = run(root, files)
    return {(d.path, d.line, d.col, d.code) for d in result.diagnostics if d.code in CODES}


def kaniko(command: str, *, name: str = "build", extra: str = "") -> str:
    """A Kaniko job whose one script line is ``command`` (on line 6 of the file)."""
    return f"{name}:\n{KANIKO_IMAGE}  script:\n    - {command}\n{extra}"


# --- identity and documentation (checked here until the registry lists these rules) ---------


@pytest.mark.parametrize("rule", MINE, ids=lambda r: r.NAME)
def test_identity(rule: Any) -> None:
    assert rule.CODE in {"CIG501", "CIG502", "CIG503", "CIG504"}
    assert rule.SEVERITY in (Severity.INFO, Severity.WARNING)
    doc = rule.__doc__ or ""
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in doc


def _doc_blocks(heading: str) -> list[Any]:
    return [
        pytest.param(rule, block, id=f"{rule.CODE}-{index}")
        for rule in MINE
        for index, block in enumerate(yaml_blocks(rule.__doc__ or "", heading))
    ]


@pytest.mark.parametrize(("rule", "block"), _doc_blocks("Example"))
def test_documented_example_triggers(tmp_path: Path, rule: Any, block: str) -> None:
    files, _ = split_block(block)
    result = run(tmp_path, dict(files))
    assert [d for d in result.diagnostics if d.code == rule.CODE], result.diagnostics


@pytest.mark.parametrize(("rule", "block"), _doc_blocks("Use instead"))
def test_documented_fix_is_clean(tmp_path: Path, rule: Any, block: str) -> None:
    files, _ = split_block(block)
    result = run(tmp_path, dict(files))
    assert not [d for d in result.diagnostics if d.code == rule.CODE], result.diagnostics
    assert not [d for d in result.diagnostics if d.severity is Severity.ERROR]


# --- secret-literal CIG501 -------------------------------------------------------------------


def test_secret_literal_seed_jupyter(tmp_path: Path) -> None:
    ci = (
        "notebook:\n"
        "  image:\n"
        "    name: compiled-jupyter-image\n"
        "  variables:\n"
        '    JUPYTER_TOKEN: "some-interactive-secure-token"\n'
        "  stage: test\n"
        "  script: [jupyter server]\n"
    )
    result = run(tmp_path, {CI: ci})
    ours = [d for d in result.diagnostics if d.code == "CIG501"]
    assert [(d.path, d.line, d.col, d.severity, d.job) for d in ours] == [
        (CI, 5, 20, Severity.WARNING, "notebook")
    ]
    assert "some-interactive-secure-token" not in ours[0].message
    assert "JUPYTER_TOKEN" in ours[0].message


def test_secret_literal_names_and_values(tmp_path: Path) -> None:
    ci = (
        "variables:\n"
        "  DB_PASSWORD: hunter2\n"  # 2
        "  TOKEN_TTL: 3600\n"
        "  PASSWORD_FILE: /run/secrets/db\n"
        "  SECRET_NAME: my-k8s-secret\n"
        "  API_TOKEN: $CI_JOB_TOKEN\n"
        '  AUTH_HEADER_TOKEN: "Bearer ${API_TOKEN}"\n'
        "  AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMIK7MDENG\n"  # 8
        "  DOCKER_AUTH_CONFIG: '{\"auths\": {}}'\n"  # 9
        "  SKIP_PASSWORD: 'true'\n"
        "  EMPTY_SECRET: ''\n"
        "  PIN_PASSWORD: 123456\n"  # 12
        "  MASKED_TOKEN: {value: glpat-xxxxxxxxxxxxxxxxxxxx, description: x}\n"  # 13
        "  DESCRIBED_TOKEN: {description: set it in the settings}\n"
        "  GIT_DEPTH: 10\n"
        "  MONKEY: banana\n"
        "  api-key: abc\n"  # 17
        "  VIDEO_TOKEN: GST_VIDEO_FORMATS_ALL_STR\n"
        "  ADMIN_PASSWORD: HUNTER2\n"  # 19
        "build:\n"
        "  script: [make]\n"
    )
    assert found(tmp_path, {CI: ci}) == {
        (CI, 2, 16, "CIG501"),
        (CI, 8, 26, "CIG501"),
        (CI, 9, 23, "CIG501"),
        (CI, 12, 17, "CIG501"),
        (CI, 13, 25, "CIG501"),
        (CI, 17, 12, "CIG501"),
        (CI, 19, 19, "CIG501"),
    }


def test_secret_literal_once_for_inherited_and_extended_values(tmp_path: Path) -> None:
    ci = (
        "variables:\n"
        "  REGISTRY_PASSWORD: s3cret\n"  # 2, inherited by every job
        ".deploy:\n"
        "  variables:\n"
        "    DEPLOY_TOKEN: abc123\n"  # 5, extended by two jobs
        "a:\n  extends: .deploy\n  script: [x]\n"
        "b:\n  extends: .deploy\n  script: [x]\n"
    )
    assert found(tmp_path, {CI: ci}) == {(CI, 2, 22, "CIG501"), (CI, 5, 19, "CIG501")}


def test_secret_literal_in_rules_workflow_and_includes(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        CI: (
            "include: ci/vars.yml\n"
            "workflow:\n"
            "  rules:\n"
            "    - if: $CI_COMMIT_TAG\n"
            "      variables:\n"
            "        RELEASE_TOKEN: abc\n"  # 6
            "    - when: always\n"
            "deploy:\n"
            "  script: [x]\n"
            "  rules:\n"
            '    - if: $CI_COMMIT_BRANCH == "main"\n'
            "      variables: {SSH_PASSPHRASE: correct-horse}\n"  # 12
        ),
        "ci/vars.yml": "variables:\n  NPM_TOKEN: npm_abcdef\n",
    }
    assert found(tmp_path, files) == {
        (CI, 6, 24, "CIG501"),
        (CI, 12, 35, "CIG501"),
        ("ci/vars.yml", 2, 14, "CIG501"),
    }


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("JUPYTER_TOKEN", True),
        ("jupyter_token", True),
        ("GITLAB_TOKEN", True),
        ("ACCESSTOKEN", True),
        ("CI_REGISTRY_PASSWORD", True),
        ("MYSQL_ROOT_PASSWD", True),
        ("GPG_PASSPHRASE", True),
        ("API_SECRET", True),
        ("OPENAI_APIKEY", True),
        ("SMTP_PASS", True),
        ("GCP_CREDENTIALS", True),
        ("BASIC_AUTH", True),
        ("API_KEY", True),
        ("SSH_PRIVATE_KEY", True),
        ("JWT_SIGNING_KEY", True),
        ("DOCKER_AUTH_CONFIG", True),
        ("TOKEN_TTL", False),
        ("PASSWORD_FILE", False),
        ("SECRET_NAME", False),
        ("KEY", False),
        ("CACHE_KEY", False),
        ("AUTHOR", False),
        ("PASSENGER", False),
        ("TOKENIZER_MODEL", False),
        ("", False),
        ("__", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert cig501_secret_literal.is_secret_name(name) is secret


# --- privileged-docker CIG502 ----------------------------------------------------------------


def test_privileged_docker_positions(tmp_path: Path) -> None:
    ci = (
        "services: [docker:dind]\n"  # 1:12
        "default:\n"
        "  services:\n"
        "    - name: mirror.example.com/library/docker:24.0-dind-rootless\n"  # 4:13
        "      alias: docker\n"
        "build:\n"
        "  image: docker:27\n"
        "  services:\n"
        "    - postgres:16\n"
        "    - docker:27\n"
        "    - docker:27-dind\n"  # 11:7
        "    - dind:latest\n"
        "  script: [docker build .]\n"
        ".template:\n"
        "  services: [docker.io/library/docker:DIND]\n"  # 15:14
        "test:\n"
        "  image: docker:dind\n"
        "  script: [make]\n"
    )
    result = run(tmp_path, {CI: ci})
    ours = sorted((d.line, d.col, d.job) for d in result.diagnostics if d.code == "CIG502")
    assert ours == [(1, 12, None), (4, 13, None), (11, 7, "build"), (15, 14, ".template")]
    assert all(d.severity is Severity.WARNING for d in result.diagnostics if d.code == "CIG502")
    assert any("Kaniko" in d.message for d in result.diagnostics if d.code == "CIG502")


@pytest.mark.parametrize(
    ("image", "dind"),
    [
        ("docker:dind", True),
        ("docker:27.3-dind", True),
        ("docker:dind-rootless", True),
        ("registry.example.com:5000/mirror/docker:dind", True),
        ("docker:dind@sha256:0123", True),
        ("docker", False),
        ("docker:27", False),
        ("docker/compose:dind", False),
        ("registry.example.com:5000/docker", False),
        ("", False),
    ],
)
def test_dind_images(image: str, dind: bool) -> None:
    assert cig502_privileged_docker.is_dind(image) is dind


# --- kaniko-large-base-image CIG503 ------------------------------------------------------------

SEED_KANIKO = """build:
  tags:
     - harbor
  stage: build
  image:
    name: gcr.io/kaniko-project/executor:debug
    entrypoint: [""]
  script:
    - >-
      /kaniko/executor
      --context "${CI_PROJECT_DIR}"
      --dockerfile "${CI_PROJECT_DIR}/Dockerfile"
      --destination "10.152.183.59/${IMAGE_NAME}:${CI_COMMIT_SHORT_SHA}"
      --destination "10.152.183.59/${IMAGE_NAME}:latest"
      --registry-certificate 10.152.183.59=/etc/harbor/certs/harbor.example.local.crt
      --cache=true
      --cache-repo="10.152.183.59/kaniko-cache/cache"
"""
SEED_DOCKERFILE = """# note: better to use smaller base image, this is just for demo
FROM pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime

RUN pip install --no-cache-dir numpy
"""


def test_large_base_seed(tmp_path: Path) -> None:
    result = run(tmp_path, {CI: SEED_KANIKO, "Dockerfile": SEED_DOCKERFILE})
    ours = [d for d in result.diagnostics if d.code in CODES]
    assert [(d.path, d.line, d.col, d.code, d.severity) for d in ours] == [
        (CI, 9, 7, "CIG503", Severity.INFO)
    ]
    assert "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime" in ours[0].message
    assert "Dockerfile" in ours[0].message and "line 2" in ours[0].message


def test_large_base_small_image_is_fine(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        CI: SEED_KANIKO,
        "Dockerfile": "FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\n",
    }
    assert found(tmp_path, files) == set()


@pytest.mark.parametrize(
    ("command", "files"),
    [
        pytest.param(
            '/kaniko/executor --context "$CI_PROJECT_DIR/docker" --dockerfile Dockerfile.gpu',
            {"docker/Dockerfile.gpu": "FROM tensorflow/tensorflow:2.16.1-gpu\n"},
            id="dockerfile-in-context",
        ),
        pytest.param(
            "/kaniko/executor -c $CI_PROJECT_DIR/docker -f=Dockerfile",
            {"docker/Dockerfile": "FROM nvcr.io/nvidia/pytorch:24.01-py3\n"},
            id="short-flags",
        ),
        pytest.param(
            "/kaniko/executor --context=dir://${CI_PROJECT_DIR} --no-push",
            {"Dockerfile": "FROM huggingface/transformers-pytorch-gpu\n"},
            id="default-dockerfile",
        ),
        pytest.param(
            "/kaniko/executor --dockerfile docker/Dockerfile --no-push",
            {"docker/Dockerfile": "FROM docker.io/jupyter/datascience-notebook:latest\n"},
            id="relative-to-working-folder",
        ),
        pytest.param(
            "executor --dockerfile $CI_PROJECT_DIR/Dockerfile --no-push",
            {"Dockerfile": "FROM harbor.example.com/dockerhub/pytorch/pytorch:2.6.0\n"},
            id="executor-on-path-and-mirror",
        ),
        pytest.param(
            "/kaniko/executor --no-push",
            {"Dockerfile": "ARG BASE=tensorflow/tensorflow:latest-gpu\nFROM ${BASE}\n"},
            id="arg-default",
        ),
        pytest.param(
            "/kaniko/executor --no-push",
            {
                "Dockerfile": (
                    "FROM nvcr.io/nvidia/pytorch:24.01-py3 AS base\n"
                    "RUN make \\\n  all\n"
                    "FROM base AS final\n"
                )
            },
            id="stage-alias",
        ),
        pytest.param(
            "/kaniko/executor --dockerfile $DOCKERFILE --no-push",
            {"ci/Dockerfile": "from --platform=linux/amd64 rocm/pytorch AS x\n"},
            id="job-variable",
        ),
    ],
)
def test_large_base_found(tmp_path: Path, command: str, files: dict[str, str]) -> None:
    extra = "  variables:\n    DOCKERFILE: ci/Dockerfile\n"
    assert found(tmp_path, {CI: kaniko(command, extra=extra), **files}) == {(CI, 6, 7, "CIG503")}


@pytest.mark.parametrize(
    ("command", "files"),
    [
        pytest.param(
            "/kaniko/executor --no-push --build-arg BASE=nvidia/cuda:12.4.1-base-ubuntu22.04",
            {"Dockerfile": "ARG BASE=pytorch/pytorch\nFROM ${BASE}\n"},
            id="build-arg-overrides",
        ),
        pytest.param(
            "/kaniko/executor --no-push",
            {"Dockerfile": "FROM pytorch/pytorch AS build\nFROM python:3.12-slim\n"},
            id="only-a-build-stage",
        ),
        pytest.param(
            "/kaniko/executor --dockerfile $UNKNOWN/Dockerfile --no-push",
            {"Dockerfile": "FROM pytorch/pytorch\n"},
            id="unknown-variable",
        ),
        pytest.param(
            "/kaniko/executor --dockerfile /kaniko/Dockerfile --no-push",
            {"Dockerfile": "FROM pytorch/pytorch\n"},
            id="absolute-outside-project-dir",
        ),
        pytest.param(
            "/kaniko/executor --context git://github.com/x/y --dockerfile y/Dockerfile",
            {"Dockerfile": "FROM pytorch/pytorch\n"},
            id="remote-context",
        ),
        pytest.param(
            "/kaniko/executor --no-push",
            {"Dockerfile": "FROM ${BASE}\n"},
            id="unknown-arg",
        ),
        pytest.param(
            "/kaniko/executor --no-push",
            {"Dockerfile": b"\x00\xff\xfeFROM\x00 pytorch\n" * 50},
            id="binary",
        ),
        pytest.param("/kaniko/executor --no-push", {}, id="no-dockerfile"),
    ],
)
def test_large_base_not_reported(
    tmp_path: Path, command: str, files: dict[str, str | bytes]
) -> None:
    assert found(tmp_path, {CI: kaniko(command), **files}) == set()


def test_large_base_needs_a_kaniko_job(tmp_path: Path) -> None:
    ci = "build:\n  image: docker:27\n  script:\n    - docker build -f Dockerfile .\n"
    assert found(tmp_path, {CI: ci, "Dockerfile": "FROM pytorch/pytorch\n"}) == set()


def test_large_base_never_reads_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM pytorch/pytorch\n", encoding="utf-8")
    root.mkdir()
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "Dockerfile.link").symlink_to(outside / "Dockerfile")
    ci = "".join(
        kaniko(command, name=f"job{index}")
        for index, command in enumerate(
            [
                "/kaniko/executor --dockerfile ../outside/Dockerfile --no-push",
                "/kaniko/executor --dockerfile $CI_PROJECT_DIR/../outside/Dockerfile --no-push",
                f"/kaniko/executor --dockerfile {outside}/Dockerfile --no-push",
                "/kaniko/executor --context $CI_PROJECT_DIR/linked --no-push",
                "/kaniko/executor --dockerfile linked/Dockerfile --no-push",
                "/kaniko/executor --dockerfile Dockerfile.link --no-push",
                "/kaniko/executor --context $CI_PROJECT_DIR/.. -f outside/Dockerfile",
            ]
        )
    )
    assert found(root, {CI: ci}) == set()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_large_base_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    (tmp_path / "folder").mkdir()
    ci = kaniko("/kaniko/executor --no-push") + kaniko(
        "/kaniko/executor --dockerfile folder --no-push", name="other"
    )
    assert found(tmp_path, {CI: ci}) == set()


def test_large_base_reads_a_bounded_prefix(tmp_path: Path) -> None:
    big = "FROM pytorch/pytorch\n" + "RUN true\n" * 200_000  # about 1.8 MB
    late = "RUN true\n" * 150_000 + "FROM pytorch/pytorch\n"  # the FROM after the first MiB
    files: dict[str, str | bytes] = {
        CI: kaniko("/kaniko/executor -f big --no-push")
        + kaniko("/kaniko/executor -f late --no-push", name="late"),
        "big": big,
        "late": late,
    }
    assert found(tmp_path, files) == {(CI, 6, 7, "CIG503")}


@pytest.mark.parametrize(
    ("image", "pattern"),
    [
        ("pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime", "pytorch/pytorch"),
        ("docker.io/pytorch/pytorch", "pytorch/pytorch"),
        ("index.docker.io/tensorflow/tensorflow:latest", "tensorflow/tensorflow"),
        ("nvcr.io/nvidia/pytorch:24.01-py3", "nvcr.io/nvidia/pytorch"),
        ("huggingface/transformers-pytorch-gpu:4.41", "huggingface/transformers-*"),
        ("jupyter/tensorflow-notebook", "jupyter/*-notebook"),
        ("quay.io/jupyter/pytorch-notebook:cuda12", "quay.io/jupyter/*-notebook"),
        ("PyTorch/PyTorch@sha256:abc", "pytorch/pytorch"),
        ("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", None),
        ("python:3.12", None),
        ("library/python", None),
        ("evil.example.com/nvcr.io/nvidia/pytorch", None),
        ("mypytorch/pytorch", None),
    ],
)
def test_large_base_patterns(image: str, pattern: str | None) -> None:
    assert cig503_kaniko_large_base_image.large_base(image) == pattern


# --- kaniko-cache-repo-varies CIG504 ----------------------------------------------------------


def test_cache_repo_seed_is_constant(tmp_path: Path) -> None:
    assert found(tmp_path, {CI: SEED_KANIKO}) == set()


@pytest.mark.parametrize(
    ("flags", "variable"),
    [
        ('--cache=true --cache-repo "harbor.example.com/$IMAGE_NAME/cache"', "IMAGE_NAME"),
        ("--cache --cache-repo=$CI_REGISTRY_IMAGE/cache", "CI_REGISTRY_IMAGE"),
        ("--cache=true --cache-repo=harbor/${CI_PROJECT_PATH}/cache", "CI_PROJECT_PATH"),
        ("--cache=true --cache-repo harbor/cache-$CI_PROJECT_ID", "CI_PROJECT_ID"),
        ("--cache=true --cache-repo harbor/$CI_PROJECT_NAMESPACE/c", "CI_PROJECT_NAMESPACE"),
        ("--cache=true --cache-repo harbor/c:$CI_COMMIT_REF_SLUG", "CI_COMMIT_REF_SLUG"),
        ("--cache=true --cache-repo harbor/$APP_IMAGE/cache", "APP_IMAGE"),
        ("--cache=true --cache-repo $CACHE_REPO", "CI_PROJECT_NAME"),
    ],
)
def test_cache_repo_varies(tmp_path: Path, flags: str, variable: str) -> None:
    extra = "  variables:\n    CACHE_REPO: harbor/$CI_PROJECT_NAME-cache\n"
    command = f"/kaniko/executor --context $CI_PROJECT_DIR --destination x/y:z {flags}"
    result = run(tmp_path, {CI: kaniko(command, extra=extra)})
    ours = [d for d in result.diagnostics if d.code == "CIG504"]
    assert [(d.path, d.line, d.col, d.severity) for d in ours] == [(CI, 6, 7, Severity.WARNING)]
    assert f"${variable}" in ours[0].message


@pytest.mark.parametrize(
    "flags",
    [
        "--cache=true --cache-repo=$HARBOR_HOST/kaniko-cache/cache",
        "--cache=true --cache-repo $CACHE_REPO",
        "--cache=false",
        "--cache --cache=false",
        "",
        "--cache=true --cache-repo=harbor/kaniko-cache/cache ; echo $CI_PROJECT_PATH",
    ],
)
def test_cache_repo_constant(tmp_path: Path, flags: str) -> None:
    extra = "variables:\n  CACHE_REPO: harbor.example.com/kaniko-cache/cache\n"
    command = f"/kaniko/executor --destination harbor/$IMAGE_NAME:1 {flags}"
    assert found(tmp_path, {CI: kaniko(command) + extra}) == set()


def test_cache_without_repo(tmp_path: Path) -> None:
    command = "/kaniko/executor --destination harbor/$IMAGE_NAME:1 --cache=true"
    result = run(tmp_path, {CI: kaniko(command)})
    ours = [d for d in result.diagnostics if d.code == "CIG504"]
    assert [(d.line, d.col) for d in ours] == [(6, 7)]
    assert "no --cache-repo" in ours[0].message


def test_cache_repo_in_a_literal_block_and_before_script(tmp_path: Path) -> None:
    ci = (
        "build:\n"
        "  image: registry.example.com/mirror/kaniko:debug\n"
        "  before_script:\n"
        "    - echo start\n"
        "  script:\n"
        "    - echo one\n"
        "    - |\n"  # 7:7
        "      set -e\n"
        "      executor \\\n"
        "        --destination harbor/app:1 \\\n"
        "        --cache=true --cache-repo harbor/$CI_PROJECT_PATH_SLUG\n"
        "other:\n"
        "  image: alpine\n"
        "  before_script:\n"
        "    - /kaniko/executor --cache=true --cache-repo=h/$CI_JOB_ID\n"  # 15:7
        "  script: [true]\n"
    )
    assert found(tmp_path, {CI: ci}) == {(CI, 7, 7, "CIG504"), (CI, 15, 7, "CIG504")}


def test_unbalanced_quotes_do_not_crash(tmp_path: Path) -> None:
    command = "/kaniko/executor --cache=true --cache-repo \"h/$CI_PROJECT_ID --dockerfile 'x"
    result = run(tmp_path, {CI: kaniko(command)})
    assert not [d for d in result.diagnostics if d.code == "CIG000"]
    assert {(d.line, d.code) for d in result.diagnostics if d.code in CODES} == {(6, "CIG504")}


def test_secret_literal_reads_names_and_identifiers_as_its_patterns_say() -> None:
    """CIG501 splits names at runs of ``_.-`` and tells a variable-like value
    (``[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+``) without compiling either pattern: both agree with
    the patterns on random texts."""
    import random
    import re

    identifier = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
    words = re.compile(r"[_.\-]+")
    pieces = ["A", "B", "Z", "a", "0", "9", "_", "__", ".", "-", " ", "É", "KEY", "TOKEN"]
    generator = random.Random(501)
    for _ in range(5000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 8)))
        assert cig501_secret_literal._is_identifier(text) == bool(identifier.fullmatch(text))
        upper = text.upper()
        split = [word for word in words.split(upper) if word]
        expected = bool(split) and (
            upper in cig501_secret_literal.SECRET_NAMES
            or split[-1].endswith(cig501_secret_literal.SECRET_SUFFIXES)
            or split[-1] in cig501_secret_literal.SECRET_WORDS
            or (
                split[-1] == "KEY"
                and len(split) > 1
                and split[-2] in cig501_secret_literal.KEY_QUALIFIERS
            )
        )
        assert cig501_secret_literal.is_secret_name(text) == expected, text
