"""``schemas/cigen.schema.json``, the editor schema of cigen.yml: ``with:`` typed per preset.

Its per-preset part is written from ``presets/*.yaml`` by
``python -m cigen.generate.presets --write-schema``; a preset changed without rewriting it fails
here. The schema must accept every cigen.yml the project ships or pins (the example, the golden
inputs, the presets' examples) and reject what cigen would reject in ``with:``. cigen itself
keeps checking ``with:`` against the presets it loads (project ones included), not this part.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import invoke
from test_generate import CASES

from cigen.generate.presets import builtin_presets, editor_schema, main, schema_text

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO / "schemas" / "cigen.schema.json"
REGENERATE = "python -m cigen.generate.presets --write-schema"


def committed() -> Any:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(committed())
    return [error.message for error in validator.iter_errors(document)]


def job(preset: str, with_: Any = None, **top: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"preset": preset}
    if with_ is not None:
        entry["with"] = with_
    return {**top, "jobs": {"j": entry}}


# --- the committed file is what the presets give -------------------------------------------------


def test_the_committed_schema_is_generated_from_the_builtin_presets() -> None:
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    expected = schema_text(editor_schema(builtin_presets(), committed()))
    assert text == expected, (
        "schemas/cigen.schema.json does not match presets/*.yaml; regenerate it with: "
        f"{REGENERATE} (and commit it)"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(committed())


def test_every_builtin_preset_has_a_rule_with_its_parameters() -> None:
    rules = committed()["$defs"]["job"]["allOf"]
    by_name = {rule["if"]["properties"]["preset"]["const"]: rule["then"] for rule in rules}
    presets = builtin_presets()
    assert sorted(by_name) == sorted(presets)
    for name, preset in presets.items():
        with_ = by_name[name]["properties"]["with"]
        assert with_["additionalProperties"] is False
        assert list(with_["properties"]) == [p.name for p in preset.params]
        for param in preset.params:
            shown = with_["properties"][param.name]
            assert shown["description"] == param.description
            assert shown.get("type") == param.schema.get("type")
            assert ("default" in shown) == param.has_default
            assert not [key for key in shown if key.startswith("x-cigen-")]
        needed = [p.name for p in preset.params if p.required and p.name != "registry"]
        standing_in = {name for p in preset.params for name in (p.replaces or ())}
        assert with_.get("required", []) == [n for n in needed if n not in standing_in]
        if standing_in & set(needed):  # a build job (from:) or the image it stands for
            assert {"required": ["from"]} in with_["anyOf"]


def test_an_edited_preset_makes_the_schema_stale() -> None:
    presets = builtin_presets()
    kaniko = presets["kaniko"]
    from dataclasses import replace

    params = tuple(
        replace(p, schema={**p.schema, "description": "changed"}) if p.name == "cache" else p
        for p in kaniko.params
    )
    changed = {**presets, "kaniko": replace(kaniko, params=params)}
    assert editor_schema(changed, committed()) != committed()
    assert editor_schema(presets, committed()) == committed()
    assert editor_schema(presets) == committed()  # the shipped schema is the default base


# --- what it accepts -----------------------------------------------------------------------------


def test_the_example_validates() -> None:
    document = yaml.safe_load((REPO / "examples" / "cigen.yml").read_text(encoding="utf-8"))
    assert errors(document) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_golden_input_validates(case: str) -> None:
    assert errors(yaml.safe_load(CASES[case])) == []


def test_every_preset_example_validates() -> None:
    for preset in builtin_presets().values():
        for example in preset.examples:
            assert errors({"registry": "r", "jobs": yaml.safe_load(example)}) == [], example


def test_a_project_preset_keeps_with_open() -> None:
    assert errors(job("mine", {"anything": [1, {"x": None}]})) == []


def test_registry_may_come_from_the_top_or_from_with() -> None:
    assert errors(job("kaniko", {"image": "a"}, registry="r")) == []
    assert errors(job("kaniko", {"image": "a", "registry": "r"})) == []


def test_monorepo_folders_may_be_left_out_or_auto() -> None:
    spec = {"cigen_spec": "./cigen"}
    assert errors(job("monorepo", spec)) == []
    assert errors(job("monorepo", {**spec, "folders": "auto"})) == []
    assert errors(job("monorepo", {**spec, "folders": ["a", "b/c"]})) == []


@pytest.mark.parametrize("preset", ["child-pipeline", "monorepo"])
def test_a_generator_needs_cigen_spec_or_install(preset: str) -> None:
    """The editor says what ``cigen generate`` says: cigen is installed from ``cigen_spec`` or
    by the ``install`` commands (``x-cigen-unless-given``), and needs one of them."""
    given = {"config": "c.yml"} if preset == "child-pipeline" else {}
    assert errors(job(preset, {**given, "cigen_spec": "$CIGEN_PIP_SPEC"})) == []
    assert errors(job(preset, {**given, "install": ["pip install ./cigen"]})) == []
    assert errors(job(preset, given or None)) != []
    assert errors(job(preset, {**given, "cigen_spec": None})) != []  # null is not given
    if given:
        (message,) = errors(job(preset, given))
        assert "is not valid under any of the given schemas" in message


# --- what it rejects -----------------------------------------------------------------------------


def test_a_wrong_parameter_type_is_rejected() -> None:
    assert errors(job("kaniko", {"image": 5}, registry="r")) == ["5 is not of type 'string'"]
    assert errors(job("kaniko", {"image": "a", "cache": "yes"}, registry="r")) == [
        "'yes' is not of type 'boolean'"
    ]


def test_an_unknown_parameter_is_rejected() -> None:
    (message,) = errors(job("kaniko", {"image": "a", "imagee": "b"}, registry="r"))
    assert "'imagee' was unexpected" in message


def test_a_value_breaking_a_parameter_pattern_is_rejected() -> None:
    (message,) = errors(job("monorepo", {"folders": "everything", "cigen_spec": "c"}))
    assert "does not match '^auto$'" in message
    (message,) = errors(job("monorepo", {"folders": ["../up"], "cigen_spec": "c"}))
    assert "'../up' does not match" in message


def test_a_missing_required_parameter_is_rejected() -> None:
    assert errors(job("python", {"image": "python:3.13"})) == ["'script' is a required property"]
    assert errors(job("python")) == ["'with' is a required property"]
    assert errors(job("kaniko", {"image": "a"})) == ["'registry' is a required property"]
    assert errors(job("run-image", registry="r")) == ["'with' is a required property"]


# --- cigen's own check of with: is not this part --------------------------------------------------


def test_cigen_reports_with_errors_itself_at_the_parameter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cigen.yml").write_text(
        "registry: r\njobs:\n  b:\n    preset: kaniko\n    with: {image: 5}\n", encoding="utf-8"
    )
    code, _, err = invoke("generate")
    assert code == 2
    assert "cigen.yml:5:19: jobs.b.with.image: parameter 'image' of preset 'kaniko':" in err


def test_a_project_preset_replacing_a_builtin_one_is_not_judged_by_the_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    preset = (
        "name: kaniko\nsummary: s\ndescription: d\nstage: build\nrequired: [target]\n"
        "params:\n  target: {type: integer, description: t}\n"
        "job:\n  script: ['make {{ target }}']\n"
    )
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "kaniko.yaml").write_text(preset, encoding="utf-8")
    cigen_yml = "jobs:\n  b:\n    preset: kaniko\n    with: {target: 3}\n"
    (tmp_path / "cigen.yml").write_text(cigen_yml, encoding="utf-8")
    assert errors(yaml.safe_load(cigen_yml)) != []  # the editor knows only the built-in one
    code, out, err = invoke("generate")
    assert (code, err) == (0, "")
    assert "make 3" in out


# --- the maintenance command ----------------------------------------------------------------------


def test_check_schema_passes_on_the_committed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check-schema", str(SCHEMA_PATH)]) == 0
    assert main(["--check-schema"]) == 0  # the default is the schema cigen reads
    assert capsys.readouterr().out == ""


def test_write_schema_rewrites_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = committed()
    stale["$defs"]["job"]["allOf"] = []
    stale.pop("allOf")
    path = tmp_path / "cigen.schema.json"
    path.write_text(schema_text(stale), encoding="utf-8")
    assert main(["--check-schema", str(path)]) == 1
    assert f"{path}: out of date; run: {REGENERATE}" in capsys.readouterr().out
    assert main(["--write-schema", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: written\n"
    assert path.read_text(encoding="utf-8") == SCHEMA_PATH.read_text(encoding="utf-8")
    assert main(["--write-schema", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: unchanged\n"


def test_the_hand_written_parts_are_kept() -> None:
    base = committed()
    base["properties"]["registry"]["description"] = "hand-written"
    assert editor_schema(builtin_presets(), base)["properties"]["registry"] == {
        **committed()["properties"]["registry"],
        "description": "hand-written",
    }
