"""Images that flow from a build job to the jobs that run them, and the checks around them.

A build job (the build-image preset and its kaniko, buildkit and buildah variants) passes the
exact image it pushed on as a dotenv report (GitLab's ``artifacts:reports:dotenv``); a job with
``from: <build job>`` needs it and runs that image. Pipelines GitLab would refuse are found by
simulating pipeline creation (``lib/gitlab/ci/pipeline/seed/build.rb`` raises the "does not
exist in the pipeline" error for a need on a job the rules left out).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cigen.cli.main import main
from cigen.errors import CigenError
from cigen.generate.render import image_variable


def generate(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, str]:
    (tmp_path / "cigen.yml").write_text(text, encoding="utf-8")
    capsys.readouterr()
    code = main(["generate", "-c", str(tmp_path / "cigen.yml")])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("job", "variable"),
    [
        ("build", "BUILD_IMAGE"),
        ("build-notebook", "BUILD_NOTEBOOK_IMAGE"),
        ("2nd.build", "_2ND_BUILD_IMAGE"),
        ("--", "IMAGE"),
    ],
)
def test_image_variable_names(job: str, variable: str) -> None:
    assert image_variable(job) == variable


ERRORS = {
    "from names no job": (
        "registry: r\njobs:\n  build: {preset: kaniko, with: {image: a}}\n"
        "  t: {preset: run-image, with: {from: biuld, script: [x]}}\n",
        "cigen.yml:4:39: jobs.t.with.from: 'biuld' is not a job of this file; did you mean "
        "'build'? (jobs that build an image: build)",
    ),
    "from names a job that builds nothing": (
        "registry: r\njobs:\n  p: {preset: python, with: {script: [x]}}\n"
        "  t: {preset: run-image, with: {from: p, script: [x]}}\n",
        "cigen.yml:4:39: jobs.t.with.from: 'p' is a python job, which builds no image (jobs "
        "that build an image: none)",
    ),
    "from names the job itself": (
        "registry: r\njobs:\n  t: {preset: jupyter, with: {from: t}}\n",
        "cigen.yml:3:37: jobs.t.with.from: 't' names this job itself",
    ),
    "from and image": (
        "registry: r\njobs:\n  build: {preset: kaniko, with: {image: a}}\n"
        "  t: {preset: run-image, with: {from: build, image: a, script: [x]}}\n",
        "cigen.yml:4:46: jobs.t.with: image cannot be given with from: the job runs the exact "
        "image that job 'build' pushed; drop image",
    ),
    "neither from nor image": (
        "registry: r\njobs:\n  t: {preset: run-image, with: {script: [x]}}\n",
        "cigen.yml:3:15: preset 'run-image' needs parameter 'image' (Repository path inside the "
        "registry, without host or tag, such as `team/trainer`.); add it under with: (or from: "
        "a build job)",
    ),
    "two build jobs, one variable": (
        "registry: r\njobs:\n  build-a: {preset: kaniko, with: {image: a}}\n"
        "  build_a: {preset: buildah, with: {image: b}}\n",
        "cigen.yml:4:3: jobs.build_a: passes its image on as BUILD_A_IMAGE, as job 'build-a' "
        "does; rename one of the two",
    ),
    "latest as an image tag": (
        "registry: r\njobs:\n  b: {preset: kaniko, with: {image: a, image_tags: [latest]}}\n",
        "cigen.yml:3:53: jobs.b.with.image_tags.0: parameter 'image_tags' of preset 'kaniko':",
    ),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_about_build_jobs(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expected = ERRORS[case]
    code, err = generate(tmp_path, capsys, text)
    assert code == 2
    assert f"{(tmp_path / 'cigen.yml').as_posix()}:{expected.split(':', 1)[1]}" in err


def test_a_job_pulling_what_a_build_job_pushes_is_told_to_use_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = generate(
        tmp_path,
        capsys,
        "registry: r\njobs:\n  build: {preset: buildkit, with: {image: team/a}}\n"
        "  t:\n    preset: run-image\n    with: {image: team/a, script: [x]}\n"
        "  other: {preset: run-image, with: {image: team/b, script: [x]}}\n",
    )
    assert code == 0
    assert (
        ":6:19: jobs.t: pulls by tag the image that job 'build' builds (registry 'r', image "
        "'team/a'), which may be another pipeline's (a build pushes latest only from the default "
        "branch); with: {from: build} runs the exact image this pipeline built, after the build"
    ) in err
    assert "jobs.other" not in err


def test_a_run_job_gated_wider_than_its_build_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = generate(
        tmp_path,
        capsys,
        "registry: r\njobs:\n  build:\n    preset: kaniko\n    with: {image: a}\n"
        "    gate: {branches: [main]}\n"
        "  train:\n    preset: run-image\n    with: {from: build, script: [x]}\n"
        "  nightly:\n    preset: run-image\n    with: {from: build, script: [x]}\n"
        "    gate: {branches: [main], flag: RUN}\n",
    )
    assert code == 0
    assert (
        ":8:13: in a push to feature/cigen-check, GitLab would refuse the pipeline: 'train' job "
        "needs 'build' job, but 'build' does not exist in the pipeline."
    ) in err
    assert err.endswith("; give the two jobs the same gate\n")
    assert "'nightly' job needs" not in err  # its gate is narrower than the build's


def test_the_plan_runs_the_build_before_the_job_that_needs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    text = (
        "registry: r\njobs:\n  build: {preset: buildah, with: {image: a}}\n"
        "  train: {preset: run-image, with: {from: build, script: [x]}}\n"
    )
    (tmp_path / "cigen.yml").write_text(text, encoding="utf-8")
    out = tmp_path / ".gitlab-ci.yml"
    assert main(["generate", "-c", str(tmp_path / "cigen.yml"), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["plan", str(out), "--format", "json", "--ref", "feature"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [job["name"] for job in data["jobs"]] == ["build", "train"]
    assert data["errors"] == []


def test_a_build_image_reference_needs_a_nullable_string_parameter() -> None:
    from cigen.generate.presets import parse_preset

    preset = (
        "name: p\nsummary: s\ndescription: d\nstage: s\nparams:\n"
        "  src: {type: [string, 'null'], default: x, x-cigen-build-job: {replaces: []},\n"
        "        description: d}\n"
        "job: {script: [x]}\n"
    )
    with pytest.raises(CigenError, match=r"belongs to an optional string parameter"):
        parse_preset(preset.encode(), "p.yaml", "p", builtin=False)
    bad = preset.replace("default: x", "default: null").replace("[]", "[nope]")
    with pytest.raises(CigenError, match=r"replaces other parameters of this preset, not 'nope'"):
        parse_preset(bad.encode(), "p.yaml", "p", builtin=False)
    bad = preset.replace("default: x", "default: null").replace("{replaces: []}", "yes")
    with pytest.raises(CigenError, match=r"is a mapping such as"):
        parse_preset(bad.encode(), "p.yaml", "p", builtin=False)


# --- image references cigen can see are wrong: warnings, and the file is still written --------


def test_an_image_built_from_an_undefined_variable_is_a_warning_at_the_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GitLab expands an undefined variable to nothing (``ExpandVariables``,
    ``lib/expand_variables.rb``): ``registry: $HARBOR_HOST`` pushes and pulls ``/team/a:...``.
    Variables of cigen.yml, a job's own, and GitLab's predefined ones are defined."""
    (tmp_path / "cigen.yml").write_text(
        "registry: $HARBOR_HOST\n"
        "variables: {TEAM: ml}\n"
        "jobs:\n"
        "  build:\n"
        "    preset: kaniko\n"
        "    with: {image: $TEAM/a, image_tags: ['${CI_COMMIT_SHORT_SHA}', $VERSION]}\n"
        "  run:\n"
        "    preset: run-image\n"
        "    with: {image: $TEAM/b, tag: '${OWN}', script: [x]}\n"
        "    variables: {OWN: v1}\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    out = tmp_path / "out.yml"
    assert main(["generate", "-c", str(tmp_path / "cigen.yml"), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert out.is_file()
    label = (tmp_path / "cigen.yml").as_posix()
    warnings = [line for line in err.splitlines() if line.startswith("cigen: warning:")]
    assert warnings == [
        f"cigen: warning: {label}:1:11: registry: '$HARBOR_HOST' uses the variable HARBOR_HOST, "
        "which cigen.yml does not define and GitLab does not predefine: unless it is set, the "
        "image is '/$TEAM/a:${CI_COMMIT_SHORT_SHA}'; define HARBOR_HOST under variables: in "
        "cigen.yml, or pass it as a CI/CD variable (Settings > CI/CD > Variables)",
        f"cigen: warning: {label}:6:67: jobs.build.with.image_tags.1: '$VERSION' uses the "
        "variable VERSION, which cigen.yml does not define and GitLab does not predefine: unless "
        "it is set, the image is '/$TEAM/a:'; define VERSION under variables: in cigen.yml, or "
        "pass it as a CI/CD variable (Settings > CI/CD > Variables)",
    ]


def test_defined_and_predefined_variables_give_no_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = generate(
        tmp_path,
        capsys,
        "registry: $HOST\nvariables: {HOST: h.example.com}\njobs:\n"
        "  b: {preset: buildah, with: {image: $CI_PROJECT_PATH, cache_repo: $HOST/c/c}}\n"
        "  j: {preset: jupyter, with: {from: b}}\n",
    )
    assert (code, err) == (0, "")


def test_a_registry_written_again_in_the_image_is_a_warning_at_the_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = generate(
        tmp_path,
        capsys,
        "registry: harbor.example.com\njobs:\n"
        "  b: {preset: kaniko, with: {image: harbor.example.com/app}}\n"
        "  r: {preset: run-image, with: {image: localhost/team/app, tag: v1, script: [x]}}\n"
        "  ok: {preset: run-image, with: {image: team/my.app, script: [x]}}\n",
    )
    assert code == 0
    assert err.splitlines() == [
        f"cigen: warning: {(tmp_path / 'cigen.yml').as_posix()}:{line}"
        for line in (
            "3:37: jobs.b.with.image: 'harbor.example.com/app' starts with the registry host "
            "'harbor.example.com', and the preset writes registry 'harbor.example.com' before "
            "it: the image is 'harbor.example.com/harbor.example.com/app:${CI_COMMIT_SHORT_SHA}'"
            "; give the host only in registry and image without it ('app')",
            "4:40: jobs.r.with.image: 'localhost/team/app' starts with the registry host "
            "'localhost', and the preset writes registry 'harbor.example.com' before it: the "
            "image is 'harbor.example.com/localhost/team/app:v1'; give the host only in "
            "registry and image without it ('team/app')",
        )
    ]


@pytest.mark.parametrize(
    ("build", "run", "warned"),
    [
        ("{image: a}", "{image: a, tag: v1, script: [x]}", "4:48"),
        ("{image: a, latest: never}", "{image: a, script: [x]}", "4:15"),
        ("{image: a, image_tags: [v1]}", "{image: a, tag: v1, script: [x]}", None),
        ("{image: a}", "{image: a, tag: $CI_COMMIT_SHORT_SHA, script: [x]}", None),
    ],
)
def test_a_tag_the_build_never_pushes_is_a_warning_at_the_tag(
    build: str, run: str, warned: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The build's destinations are its ``image_tags`` and ``latest`` unless ``never``."""
    code, err = generate(
        tmp_path,
        capsys,
        f"registry: r\njobs:\n  build: {{preset: kaniko, with: {build}}}\n"
        f"  t: {{preset: run-image, with: {run}}}\n",
    )
    assert code == 0
    (line,) = err.splitlines()
    if warned is None:  # pushed: only the advice to use from
        assert "pulls by tag the image that job 'build' builds" in line
        return
    tag = "v1" if "v1" in run else "latest"
    latest = "" if "never" in build else ", and latest from the default branch"
    assert line.endswith(
        f":{warned}: jobs.t: asks for tag {tag!r} of the image that job 'build' builds, which "
        f"that job never pushes (it pushes ${{CI_COMMIT_SHORT_SHA}}{latest}), so the pull fails "
        "unless something else pushed it; with: {from: build} runs the exact image this "
        f"pipeline built, or add {tag!r} to the image_tags of job 'build'"
    )


def test_an_undefined_variable_in_a_builder_image_or_a_preset_default_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "mine.yaml").write_text(
        "name: mine\nsummary: s\ndescription: d\nstage: test\nparams:\n"
        "  image: {type: string, default: $BASE/tool, description: d}\n"
        "job: {image: '{{ image }}', script: [x]}\n",
        encoding="utf-8",
    )
    code, err = generate(
        tmp_path,
        capsys,
        "registry: r\njobs:\n"
        "  b: {preset: buildah, with: {image: a, builder_image: $MIRROR/buildah:v1.44.0}}\n"
        "  m: {preset: mine}\n",
    )
    assert code == 0
    first, second = err.splitlines()
    assert first.endswith(
        ":3:56: jobs.b.with.builder_image: '$MIRROR/buildah:v1.44.0' uses the variable MIRROR, "
        "which cigen.yml does not define and GitLab does not predefine: unless it is set, the "
        "image is '/buildah:v1.44.0'; define MIRROR under variables: in cigen.yml, or pass it "
        "as a CI/CD variable (Settings > CI/CD > Variables)"
    )
    assert second.endswith(
        ":4:15: jobs.m: the default image of preset 'mine': '$BASE/tool' uses the variable BASE"
        ", which cigen.yml does not define and GitLab does not predefine: unless it is set, the "
        "image is '/tool'; define BASE under variables: in cigen.yml, or pass it as a CI/CD "
        "variable (Settings > CI/CD > Variables)"
    )
