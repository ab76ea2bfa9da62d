"""Child pipelines: presets with several jobs, the child-pipeline and monorepo presets, CIG211.

The golden output of the presets is pinned in ``test_generate.py`` (``child-pipeline*.yml``,
``monorepo.yml``); here are the rules of composition (names, which keys go where, gates,
stages), the preset format for several jobs (``jobs:``, ``for_each:``), an end-to-end run of
a generator job's command, and the trigger-artifact rule's severities.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import invoke, lint_tree

from cigen.cli.main import main
from cigen.diagnostics import Severity
from cigen.errors import CigenError
from cigen.generate.build import compose
from cigen.generate.presets import builtin_presets, load_catalog, parse_preset
from cigen.generate.render import render, slug
from cigen.generate.spec import load_spec


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def children(folder: Path, *names: str) -> None:
    """Give each folder ``names`` below ``folder`` a cigen.yml, as the monorepo preset needs."""
    for name in names:
        write(folder, f"{name}/cigen.yml", "jobs:\n  unit: {preset: python, with: {script: [x]}}\n")


def composed(folder: Path, text: str) -> Any:
    spec = load_spec(write(folder, "cigen.yml", text), "cigen.yml")
    return compose(spec, load_catalog(folder / "presets"))


def error_of(folder: Path, text: str) -> str:
    with pytest.raises(CigenError) as info:
        composed(folder, text)
    return str(info.value)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- child-pipeline -------------------------------------------------------------------------


def test_a_generator_and_a_trigger_job(tmp_path: Path) -> None:
    result = composed(
        tmp_path,
        "jobs:\n  deploy: {preset: child-pipeline, with: {config: c.yml, cigen_spec: ./cigen}}\n",
    )
    data = result.data
    assert list(data) == ["workflow", "stages", "deploy-generate", "deploy"]
    assert data["stages"] == ["build", "test"]
    generator, trigger = data["deploy-generate"], data["deploy"]
    assert generator["stage"] == "build"
    assert generator["script"] == [
        'python -m pip install "./cigen"',
        'cigen generate -c "c.yml" -o "child-pipeline.yml"',
    ]
    assert generator["artifacts"] == {"paths": ["child-pipeline.yml"]}
    assert trigger == {
        "stage": "test",
        "needs": ["deploy-generate"],
        "trigger": {
            "include": [{"artifact": "child-pipeline.yml", "job": "deploy-generate"}],
            "strategy": "depend",
        },
    }
    assert result.origins == {"deploy-generate": "deploy", "deploy": "deploy"}


def test_keys_beside_preset_go_to_the_trigger_job_and_gating_keys_to_both(tmp_path: Path) -> None:
    data = composed(
        tmp_path,
        """
jobs:
  docs:
    preset: child-pipeline
    stage: deploy
    with: {config: docs/cigen.yml, generator_stage: test, strategy: null, cigen_spec: ./cigen}
    variables: {TARGET: staging}
    when: manual
    rules: [{if: $CI_COMMIT_TAG}]
""",
    ).data
    generator, trigger = data["docs-generate"], data["docs"]
    assert data["stages"] == ["test", "deploy"]
    assert (generator["stage"], trigger["stage"]) == ("test", "deploy")
    assert generator["rules"] == trigger["rules"] == [{"if": "$CI_COMMIT_TAG"}]
    assert trigger["variables"] == {"TARGET": "staging"} and "variables" not in generator
    assert trigger["when"] == "manual" and "when" not in generator
    assert "strategy" not in trigger["trigger"]


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        ("{branches: [main]}", {"rules": [{"if": '$CI_COMMIT_REF_NAME == "main"'}]}),
        ("{branches: [main], style: only}", {"only": ["main"]}),
        ("{flag: RUN_DOCS}", {"rules": [{"if": '$RUN_DOCS == "true"'}]}),
    ],
)
def test_a_gate_applies_to_every_job(tmp_path: Path, gate: str, expected: dict[str, Any]) -> None:
    data = composed(
        tmp_path,
        "jobs:\n  docs:\n    preset: child-pipeline\n    with: {config: c.yml, "
        "cigen_spec: ./cigen}\n"
        f"    gate: {gate}\n",
    ).data
    for name in ("docs-generate", "docs"):
        assert {key: data[name][key] for key in expected} == expected
    if "flag" in gate:
        assert data["variables"] == {"RUN_DOCS": "false"}


def test_a_stage_missing_from_stages_names_the_job(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        "stages: [test]\njobs:\n  deploy:\n    preset: child-pipeline\n    with: {config: c.yml, "
        "cigen_spec: ./cigen}\n",
    )
    assert message == (
        "cigen.yml:4:13: jobs.deploy: stage 'build' of its job 'deploy-generate' (from preset "
        "'child-pipeline') is not in stages (test); add it to stages: or give the job a stage:"
    )


def test_a_job_name_written_twice(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        """
jobs:
  deploy: {preset: child-pipeline, with: {config: c.yml, cigen_spec: ./cigen}}
  deploy-generate: {preset: python, with: {script: [x]}}
""",
    )
    assert message.startswith(
        "cigen.yml:4:3: jobs.deploy-generate: the job name 'deploy-generate' is written twice, "
        "by jobs.deploy and by jobs.deploy-generate; rename one"
    )


# --- installing cigen in the generator: cigen_spec or install ----------------------------------

NEEDS_SPEC = (
    "preset {preset!r} needs parameter 'cigen_spec' (What `pip` installs cigen from in the "
    "generator {jobs}; cigen is not on PyPI.) or 'install'; add under with: cigen_spec: a pip "
    "requirement on one line, such as cigen @ git+https://gitlab.example.com/tools/cigen.git"
    "@v0.1.0, or $CIGEN_PIP_SPEC (a CI/CD variable)"
)


def test_without_cigen_spec_or_install_the_error_is_at_the_with_mapping(tmp_path: Path) -> None:
    """cigen is not on PyPI: a bare ``pip install cigen`` would fail in the job, so generate
    stops at the cigen.yml job instead (at ``with:``, else at the preset's name)."""
    message = error_of(
        tmp_path, "jobs:\n  deploy:\n    preset: child-pipeline\n    with: {config: c}\n"
    )
    assert message == "cigen.yml:4:11: " + NEEDS_SPEC.format(preset="child-pipeline", jobs="job")
    children(tmp_path, "a")
    message = error_of(tmp_path, "jobs:\n  apps: {preset: monorepo}\n")
    assert message == "cigen.yml:2:18: " + NEEDS_SPEC.format(preset="monorepo", jobs="jobs")


def test_cigen_spec_is_installed_with_pip_and_a_variable_is_checked_first(tmp_path: Path) -> None:
    base = "jobs:\n  d: {preset: child-pipeline, with: {config: c.yml, "
    script = composed(tmp_path, base + "cigen_spec: 'cigen @ git+https://h/c.git@v1'}}\n").data[
        "d-generate"
    ]["script"]
    assert script[0] == 'python -m pip install "cigen @ git+https://h/c.git@v1"'
    script = composed(tmp_path, base + "cigen_spec: $CIGEN_PIP_SPEC}}\n").data["d-generate"][
        "script"
    ]
    assert script[0].startswith('test -n "$CIGEN_PIP_SPEC" || { echo "cigen_spec expands to ')
    assert script[0].endswith('" >&2; exit 1; }')
    assert script[1] == 'python -m pip install "$CIGEN_PIP_SPEC"'
    script = composed(tmp_path, base + "install: [pip install ./c]}}\n").data["d-generate"][
        "script"
    ]
    assert script[0] == "pip install ./c"
    assert "python -m pip install" not in " ".join(script)


@pytest.mark.parametrize(
    ("schema", "other"),
    [
        ("{type: [string, 'null'], default: null, x-cigen-unless-given: nope", "b"),
        ("{type: [string, 'null'], default: null, x-cigen-unless-given: a", "b"),
        ("{type: [string, 'null'], default: null, x-cigen-unless-given: b", "{type: string"),
        ("{type: string, default: x, x-cigen-unless-given: b", "b"),
    ],
)
def test_unless_given_names_another_optional_nullable_parameter(schema: str, other: str) -> None:
    from cigen.generate.presets import parse_preset

    if other == "b":
        other = "{type: [string, 'null'], default: null"
    preset = (
        f"name: p\nsummary: s\ndescription: d\nstage: s\nparams:\n  a: {schema}, description: d}}\n"
        f"  b: {other}, description: d}}\njob: {{script: [x]}}\n"
    )
    with pytest.raises(CigenError, match=r"^p.yaml:6:\d+: params.a.x-cigen-unless-given: names "):
        parse_preset(preset.encode(), "p.yaml", "p", builtin=False)


# --- monorepo -------------------------------------------------------------------------------


def test_one_pair_per_folder_started_by_its_changes(tmp_path: Path) -> None:
    children(tmp_path, "svc/api", "web")
    result = composed(
        tmp_path,
        "jobs:\n  apps:\n    preset: monorepo\n"
        "    with: {folders: [svc/api, web], changes: [lib/**/*], cigen_spec: ./cigen}\n",
    )
    data = result.data
    assert list(data)[2:] == [
        "apps-svc-api-generate",
        "apps-svc-api",
        "apps-web-generate",
        "apps-web",
    ]
    for folder, name in (("svc/api", "apps-svc-api"), ("web", "apps-web")):
        generator, trigger = data[f"{name}-generate"], data[name]
        rules = [{"changes": [f"{folder}/**/*", "lib/**/*"]}]
        assert generator["rules"] == trigger["rules"] == rules
        assert generator["artifacts"] == {"paths": [f"{folder}/child-pipeline.yml"]}
        assert generator["script"][1] == (
            f'cigen generate -c "{folder}/cigen.yml" -o "{folder}/child-pipeline.yml"'
        )
        assert trigger["trigger"]["include"] == [
            {"artifact": f"{folder}/child-pipeline.yml", "job": f"{name}-generate"}
        ]
        assert trigger["needs"] == [f"{name}-generate"]
        assert trigger["variables"] == {"CHILD_FOLDER": folder}
    assert set(result.origins.values()) == {"apps"}


def test_folders_giving_the_same_job_name(tmp_path: Path) -> None:
    children(tmp_path, "a/b", "a-b")
    message = error_of(
        tmp_path,
        "jobs:\n  apps:\n    preset: monorepo\n    with:\n      folders: [a/b, a-b]\n      "
        "cigen_spec: ./cigen\n",
    )
    assert message == (
        "cigen.yml:5:22: jobs.apps.with.folders: 'a-b' and 'a/b' give the same job name apps-'a-b'"
    ) or message.startswith("cigen.yml:5:22: jobs.apps.with.folders: 'a-b' and 'a/b'")


def test_a_folder_without_letters_gives_no_name(tmp_path: Path) -> None:
    children(tmp_path, "ok", "-")
    message = error_of(
        tmp_path,
        "jobs:\n  apps:\n    preset: monorepo\n    with: {folders: [ok, '-'], "
        "cigen_spec: ./cigen}\n",
    )
    assert message.startswith("cigen.yml:4:26: jobs.apps.with.folders: '-' gives no job name")


def test_a_gate_cannot_replace_the_folder_rules(tmp_path: Path) -> None:
    children(tmp_path, "a")
    message = error_of(
        tmp_path,
        "jobs:\n  apps:\n    preset: monorepo\n    with: {folders: [a], "
        "cigen_spec: ./cigen}\n    gate: {flag: X}\n",
    )
    assert message == (
        "cigen.yml:5:5: jobs.apps: gate cannot be combined with preset 'monorepo', which writes "
        "rules: (gate writes rules:); keep one of the two"
    )


# --- monorepo: the folders exist, or are found ----------------------------------------------------


def test_a_listed_folder_without_a_cigen_yml_exits_2_at_the_folder(project: Path) -> None:
    children(project, "svc/api")
    (project / "web").mkdir()
    write(
        project,
        "cigen.yml",
        "jobs:\n  apps:\n    preset: monorepo\n    with:\n      folders: [svc/api, web]\n      "
        "cigen_spec: ./cigen\n",
    )
    code, out, err = invoke("generate", "-o", ".gitlab-ci.yml")
    assert (code, out) == (2, "")
    assert err == (
        "cigen: error: cigen.yml:5:26: jobs.apps.with.folders: folder 'web' holds no cigen.yml "
        "(web/cigen.yml)\n"
    )
    assert not (project / ".gitlab-ci.yml").exists()


def test_a_listed_folder_that_does_not_exist_exits_2_at_the_folder(project: Path) -> None:
    write(
        project,
        "ci/cigen.yml",
        "jobs:\n  apps:\n    preset: monorepo\n    with:\n      folders:\n        - svc/api\n"
        "      cigen_spec: ./cigen\n",
    )
    code, _, err = invoke("generate", "-c", "ci/cigen.yml")
    assert code == 2
    assert err == (
        "cigen: error: ci/cigen.yml:6:11: jobs.apps.with.folders: folder 'svc/api' does not "
        "exist (folders are relative to ci/)\n"
    )
    children(project, "ci/svc/api")  # relative to the folder of the top cigen.yml
    code, out, err = invoke("generate", "-c", "ci/cigen.yml")
    assert (code, err) == (0, "")
    assert 'cigen generate -c "svc/api/cigen.yml"' in out


def test_config_name_is_the_file_each_folder_must_hold(tmp_path: Path) -> None:
    children(tmp_path, "a")
    text = (
        "jobs:\n  apps:\n    preset: monorepo\n    with: {folders: [a], config_name: ci.yml, "
        "cigen_spec: ./cigen}\n"
    )
    message = error_of(tmp_path, text)
    assert (
        message == "cigen.yml:4:22: jobs.apps.with.folders: folder 'a' holds no ci.yml (a/ci.yml)"
    )
    write(tmp_path, "a/ci.yml", "jobs: {}\n")
    assert "apps-a" in composed(tmp_path, text).data


@pytest.mark.parametrize(
    "entry",
    [
        "{preset: monorepo, with: {cigen_spec: ./cigen}}",
        "{preset: monorepo, with: {folders: auto, cigen_spec: ./cigen}}",
    ],
)
def test_without_folders_every_folder_holding_a_cigen_yml_is_found(
    tmp_path: Path, entry: str
) -> None:
    children(tmp_path, "web", "svc/api", "svc/api/v2", "a-b", ".git", ".hidden/x", "node/.cache")
    write(tmp_path, "docs/README.md", "no cigen.yml here\n")
    write(tmp_path, "svc/other/cigen.yaml", "jobs: {}\n")  # not config_name
    (tmp_path / "svc" / "file-not-folder").mkdir()
    write(tmp_path, "svc/file-not-folder/cigen.yml/x", "a folder named cigen.yml\n")
    result = composed(tmp_path, f"jobs:\n  apps: {entry}\n")
    triggers = [
        name for name in result.data if name.startswith("apps-") and "-generate" not in name
    ]
    assert [result.data[name]["variables"]["CHILD_FOLDER"] for name in triggers] == [
        "a-b",
        "svc/api",
        "svc/api/v2",
        "web",
    ]


def test_discovery_uses_config_name(tmp_path: Path) -> None:
    children(tmp_path, "a")
    write(tmp_path, "b/ci.yml", "jobs: {}\n")
    text = "jobs:\n  apps: {preset: monorepo, with: {config_name: ci.yml, cigen_spec: ./cigen}}\n"
    assert [n for n in composed(tmp_path, text).data if n.startswith("apps-")] == [
        "apps-b-generate",
        "apps-b",
    ]


def test_discovery_finding_nothing_is_an_error(tmp_path: Path) -> None:
    children(tmp_path, ".hidden")
    message = error_of(
        tmp_path, "jobs:\n  apps:\n    preset: monorepo\n    with: {cigen_spec: ./cigen}\n"
    )
    assert message == (
        "cigen.yml:3:13: jobs.apps.with.folders: auto found no folder below the folder of "
        "cigen.yml holding a cigen.yml file; add one, or list the folders"
    )
    message = error_of(
        tmp_path, "jobs:\n  apps: {preset: monorepo, with: {folders: auto, cigen_spec: ./cigen}}\n"
    )
    assert message.startswith("cigen.yml:2:44: jobs.apps.with.folders: auto found no folder")


def test_discovery_finding_an_unusable_folder_name_is_an_error(tmp_path: Path) -> None:
    children(tmp_path, "ok", "has space")
    message = error_of(tmp_path, "jobs:\n  apps: {preset: monorepo, with: {cigen_spec: ./cigen}}\n")
    assert message.startswith(
        "cigen.yml:2:18: jobs.apps.with.folders: auto found the folder 'has space', which cannot "
        "be used: 'has space' is not a folder relative to this cigen.yml, such as services/api"
    )
    assert message.endswith("; rename it, or list the folders")


def test_check_notices_a_new_folder(project: Path) -> None:
    children(project, "svc/api")
    write(project, "cigen.yml", "jobs:\n  apps: {preset: monorepo, with: {cigen_spec: ./cigen}}\n")
    assert invoke("generate", "-o", ".gitlab-ci.yml")[0] == 0
    assert invoke("generate", "--check") == (0, "", "")
    children(project, "svc/web")
    code, out, err = invoke("generate", "--check")
    assert code == 1
    assert "+apps-svc-web-generate:" in out
    assert ".gitlab-ci.yml is out of date" in err
    children(project, ".scratch")  # hidden: not a child pipeline
    assert invoke("generate", "-o", ".gitlab-ci.yml")[0] == 0
    assert invoke("generate", "--check") == (0, "", "")


def test_for_each_needs_a_list(tmp_path: Path) -> None:
    write(
        tmp_path,
        "presets/each.yaml",
        "name: each\nsummary: s\ndescription: d\nstage: test\n"
        "params:\n  items: {type: [array, string], default: x, description: d}\n"
        "for_each: {param: items, as: item}\njob:\n  script: ['echo {{ item }}']\n",
    )
    message = error_of(tmp_path, "jobs:\n  e: {preset: each}\n")
    assert message == (
        "cigen.yml:2:15: jobs.e.with.items: preset 'each' repeats its jobs per item, but got 'x', "
        "not a list"
    )
    assert list(composed(tmp_path, "jobs:\n  e: {preset: each, with: {items: [a]}}\n").data) == [
        "workflow",
        "stages",
        "e-a",
    ]


# --- end to end: generate the parent, run its generator's command, lint both ------------------


@pytest.mark.parametrize(
    ("parent", "generator", "child_config"),
    [
        (
            "{preset: child-pipeline, with: {config: ci/child/cigen.yml, cigen_spec: ./cigen}}",
            "child-generate",
            "ci/child/cigen.yml",
        ),
        (
            "{preset: monorepo, with: {folders: [ci/child], cigen_spec: ./cigen}}",
            "child-ci-child-generate",
            "ci/child/cigen.yml",
        ),
    ],
)
def test_the_generator_command_writes_a_child_pipeline_that_lints_clean(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    parent: str,
    generator: str,
    child_config: str,
) -> None:
    write(project, "cigen.yml", f"jobs:\n  child: {parent}\n")
    write(project, child_config, "jobs:\n  unit: {preset: python, with: {script: [pytest]}}\n")
    assert main(["generate", "-o", ".gitlab-ci.yml"]) == 0
    assert main(["lint"]) == 0
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    job = pipeline[generator]
    command = shlex.split(job["script"][-1])
    assert command[:2] == ["cigen", "generate"]
    capsys.readouterr()
    assert main(command[1:]) == 0  # what the generator job runs
    (artifact,) = job["artifacts"]["paths"]
    child = (project / artifact).read_text(encoding="utf-8")
    source = Path(os.path.relpath(child_config, Path(artifact).parent)).as_posix()
    assert child.startswith(f"# Generated by cigen from {source} — do not edit")
    assert "unit:" in child
    assert main(["lint", artifact]) == 0


def test_lint_reports_a_generator_that_does_not_keep_the_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        project,
        "cigen.yml",
        "jobs:\n  child: {preset: child-pipeline, with: {config: c.yml, cigen_spec: ./cigen}}\n",
    )
    assert main(["generate", "-o", "parent.yml"]) == 0
    text = (project / "parent.yml").read_text(encoding="utf-8")
    write(
        project,
        ".gitlab-ci.yml",
        text.replace("      - child-pipeline.yml\n", "      - other.yml\n"),
    )
    capsys.readouterr()
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert (
        "CIG211 trigger-artifact child-generate's artifacts:paths (other.yml) do not keep it" in out
    )


def test_a_lint_finding_in_a_generator_job_points_at_its_cigen_yml_job(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, "runners.yml", "runners:\n  - {name: gpu, tags: [gpu]}\n")
    write(
        project,
        "cigen.yml",
        "runners: runners.yml\njobs:\n  child:\n    preset: child-pipeline\n"
        "    with: {config: c.yml, tags: [tpu], cigen_spec: ./cigen}\n",
    )
    assert main(["generate"]) == 1
    err = capsys.readouterr().err
    assert "CIG301" in err
    assert (
        "job 'child-generate' (preset child-pipeline of cigen.yml job 'child') is at cigen.yml:4:5"
        in err
    )


# --- the preset format for several jobs ---------------------------------------------------------

HEAD = "name: pair\nsummary: A pair\ndescription: Two jobs.\nstage: test\n"
PARAMS = "params:\n  items: {type: array, default: [a], description: Items.}\n"
PAIR = (
    HEAD
    + PARAMS
    + "jobs:\n  - suffix: -first\n    stage: build\n    job: {script: ['echo {{ job_name }}']}\n"
    + "  - job: {script: [x]}\n"
)
BROKEN = {
    "job and jobs": (
        PAIR + "job: {script: [x]}\n",
        "7:1",
        "has job: (one job) or jobs: (several), not both",
    ),
    "neither": (HEAD + PARAMS, "1:1", "missing key 'job' (or 'jobs' for several jobs)"),
    "no main job": (
        PAIR.replace("  - job: {script: [x]}", "  - {suffix: -second, job: {script: [x]}}"),
        "8:3",
        "one job must have no suffix",
    ),
    "two main jobs": (
        PAIR + "  - job: {script: [y]}\n",
        "12:5",
        "jobs[2]: no suffix (the main job) is also used by jobs[1]",
    ),
    "same suffix": (
        PAIR + "  - {suffix: -first, job: {script: [y]}}\n",
        "12:14",
        "jobs[2]: suffix '-first' is also used by jobs[0]",
    ),
    "bad suffix": (PAIR.replace("-first", "first"), "8:13", "is not empty, or a suffix such as"),
    "stage in a job": (
        PAIR.replace("{script: [x]}", "{script: [x], stage: s}"),
        "11:10",
        "not allowed",
    ),
    "for_each unknown": (
        PAIR + "for_each: {param: things, as: item}\n",
        "12:19",
        "for_each.param: 'things' is not a parameter",
    ),
    "for_each not a list": (
        PAIR.replace("type: array, default: [a]", "type: string, default: a")
        + "for_each: {param: items, as: item}\n",
        "12:19",
        "is not a list parameter",
    ),
    "for_each as a param": (
        PAIR + "for_each: {param: items, as: items}\n",
        "12:30",
        "for_each.as: 'items' is already the name of a parameter",
    ),
    "for_each as job_name": (
        PAIR + "for_each: {param: items, as: job_name}\n",
        "12:30",
        "is already the name of the job",
    ),
    "param named job_name": (
        PAIR.replace("  items:", "  job_name:"),
        "6:3",
        "params.job_name: the name is reserved",
    ),
    "template in a job": (
        PAIR.replace("{{ job_name }}", "{{ job_name }"),
        "10:20",
        "jobs.0.job.script.0: template syntax error",
    ),
    "template in a stage": (
        PAIR.replace("stage: build", "stage: '{{ x'"),
        "9:12",
        "jobs.0.stage: template syntax error",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_multi_job_presets_are_reported_at_their_line(case: str) -> None:
    text, position, words = BROKEN[case]
    with pytest.raises(CigenError) as info:
        parse_preset(text.encode(), "presets/pair.yaml", "pair", builtin=False)
    message = str(info.value)
    assert message.startswith(f"presets/pair.yaml:{position}: "), message
    assert words in message


def test_a_project_preset_with_several_jobs_per_item(tmp_path: Path) -> None:
    write(
        tmp_path,
        "presets/pair.yaml",
        PAIR.replace("stage: build", "stage: '{{ items | length }}-{{ item }}'")
        + "for_each: {param: items, as: item}\n",
    )
    result = composed(
        tmp_path,
        "stages: [test, 2-a, 2-b.c]\njobs:\n  p: {preset: pair, with: {items: [a, b.c]}}\n",
    )
    data = result.data
    assert list(data)[2:] == ["p-a-first", "p-a", "p-b.c-first", "p-b.c"]
    assert data["p-a-first"] == {"stage": "2-a", "script": ["echo p-a"]}
    assert data["p-b.c-first"] == {"stage": "2-b.c", "script": ["echo p-b.c"]}
    assert data["p-a"] == {"stage": "test", "script": ["x"]}


def test_single_job_presets_have_one_main_part() -> None:
    for preset in builtin_presets().values():
        main_parts = [part for part in preset.parts if part.main]
        assert len(main_parts) == 1 and main_parts[0].job == preset.job


def test_presets_show_lists_the_jobs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "show", "child-pipeline"]) == 0
    out = capsys.readouterr().out
    assert "\njobs: NAME-generate (stage {{ generator_stage }}), NAME (stage test)\n" in out
    assert main(["presets", "show", "monorepo"]) == 0
    out = capsys.readouterr().out
    assert (
        "jobs: NAME-<folder>-generate (stage {{ generator_stage }}), NAME-<folder> (stage test)\n"
        in out
    )
    assert "      once per item of folders\n" in out
    assert main(["presets", "show", "kaniko"]) == 0
    assert "\njobs:" not in capsys.readouterr().out


# --- rendering helpers --------------------------------------------------------------------------


def test_a_whole_list_parameter_is_spliced_into_a_list() -> None:
    template = {
        "changes": ["{{ folder }}/**/*", "{{ extra }}", "{{ none }}"],
        "tags": "{{ extra }}",
    }
    out = render(template, {"folder": "a", "extra": ["b", "c"], "none": None}, where="t")
    assert out == {"changes": ["a/**/*", "b", "c"], "tags": ["b", "c"]}
    nested = render({"x": [["{{ extra }}"]]}, {"extra": ["b"]}, where="t")
    assert nested == {"x": [["b"]]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("services/api", "services-api"),
        ("a b//c", "a-b-c"),
        ("./x/", "x"),
        ("v1.2_x", "v1.2_x"),
        ("--", ""),
    ],
)
def test_slug(value: str, expected: str) -> None:
    assert slug(value) == expected


# --- trigger-artifact severities -------------------------------------------------------------

GEN = "generate:\n  stage: build\n  script: [x]\n  artifacts: {paths: [c.yml]}\n"
TRIGGER = (
    "child:\n  stage: test\n  trigger:\n    include:\n      - {artifact: c.yml, job: generate}\n"
)


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        (GEN + TRIGGER.replace("stage: test", "stage: build"), Severity.WARNING),
        (GEN + TRIGGER.replace("stage: test", "stage: build\n  needs: []"), Severity.WARNING),
        (GEN + TRIGGER.replace("job: generate", "job: gen"), Severity.ERROR),
        (
            "include: [{template: T.gitlab-ci.yml}]\n"
            + GEN
            + TRIGGER.replace("job: generate", "job: gen"),
            Severity.INFO,
        ),
        (
            "include: [{template: T.gitlab-ci.yml}]\n"
            + GEN.replace("  artifacts: {paths: [c.yml]}\n", "")
            + TRIGGER,
            Severity.INFO,
        ),
        (
            "include: [{template: T.gitlab-ci.yml}]\n"
            + GEN.replace("[c.yml]", "[d.yml]")
            + TRIGGER,
            Severity.ERROR,
        ),
    ],
    ids=[
        "same-stage",
        "needs-without-it",
        "unknown",
        "unknown-after-unfollowed",
        "no-artifacts-after-unfollowed",
        "other-paths-after-unfollowed",
    ],
)
def test_trigger_artifact_severity(tmp_path: Path, text: str, severity: Severity) -> None:
    result = lint_tree(tmp_path, {".gitlab-ci.yml": text})
    levels = {d.severity for d in result.diagnostics if d.code == "CIG211"}
    assert levels == {severity}, [str(d) for d in result.diagnostics]


def test_a_trigger_job_has_no_artifacts(tmp_path: Path) -> None:
    text = "other:\n  stage: build\n  trigger: {include: x.yml}\n" + TRIGGER.replace(
        "job: generate", "job: other"
    )
    result = lint_tree(tmp_path, {".gitlab-ci.yml": text})
    (found,) = [d for d in result.diagnostics if d.code == "CIG211"]
    assert found.message.startswith("other is a trigger job, which keeps no artifacts")
    assert (found.line, found.col, found.job) == (8, 20, "child")  # at the artifact: value


# --- the README's example --------------------------------------------------------------------


def _readme_blocks(section: str) -> list[str]:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    body = readme.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```yaml\n(.*?)^```", body, re.S | re.M)


def test_the_readme_shows_what_the_preset_writes(tmp_path: Path) -> None:
    spec, shown, monorepo = _readme_blocks("Child pipelines")[:3]
    data = composed(tmp_path, spec).data
    assert {name: data[name] for name in ("deploy-generate", "deploy")} == yaml.safe_load(shown)
    children(tmp_path, "services/api", "web")
    names = list(composed(tmp_path, monorepo).data)[2:]
    assert names == [
        "apps-services-api-generate",
        "apps-services-api",
        "apps-web-generate",
        "apps-web",
    ]
