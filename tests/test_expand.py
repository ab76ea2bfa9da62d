"""``cigen expand``: the configuration as GitLab assembles it, and its provenance notes.

Assembly follows GitLab's ``lib/gitlab/ci/config/extendable`` (extends: deep merge, parents
first), ``lib/gitlab/ci/config/yaml/tags/reference`` (!reference), ``lib/gitlab/ci/config/entry/
default.rb`` with ``inherit.rb`` (default: copied into jobs unless ``inherit:default`` says no;
bridges get none) and ``lib/gitlab/ci/config/external/processor.rb`` (includes merged first).
The output must lint again: the bundled examples and the real-project corpus are round-tripped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import write_files

from cigen.cli.main import main
from cigen.diagnostics import Severity
from cigen.lint.engine import lint, load_pipeline
from cigen.pipeline.expand import expand
from cigen.yaml.dump import dump
from cigen.yaml.load import MAX_BYTES

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "expand"
REAL = REPO.parent / "shared" / "corpus" / "real"

FILES = {
    ".gitlab-ci.yml": (
        "include: ci/base.yml\n"  # 1
        "stages: [build, test, deploy]\n"  # 2
        "variables:\n"  # 3
        "  GLOBAL: g\n"  # 4
        "default:\n"  # 5
        "  image: alpine:3.20\n"  # 6
        "  retry: 1\n"  # 7
        "build:\n"  # 8
        "  extends: .compile\n"  # 9
        "  before_script:\n"  # 10
        "    - !reference [.setup, script]\n"  # 11
        "    - echo ready\n"  # 12
        "  variables:\n"  # 13
        "    OWN: o\n"  # 14
        "lonely:\n"  # 15
        "  inherit:\n"  # 16
        "    default: [retry]\n"  # 17
        "    variables: false\n"  # 18
        "  script: [echo alone]\n"  # 19
        "child:\n"  # 20
        "  stage: deploy\n"  # 21
        "  trigger:\n"  # 22
        "    include: child.yml\n"  # 23
    ),
    "ci/base.yml": (
        ".setup:\n"  # 1
        "  script: [apk add make]\n"  # 2
        ".compile:\n"  # 3
        "  stage: build\n"  # 4
        "  script: [make]\n"  # 5
        "  retry: 2\n"  # 6
    ),
}


def _expanded(tmp_path: Path, files: dict[str, str] = FILES, **options: object) -> str:
    write_files(tmp_path, files)
    pipeline = load_pipeline(tmp_path / ".gitlab-ci.yml", root=tmp_path)
    result = expand(pipeline, **options)  # type: ignore[arg-type]
    return dump(result.data, notes=result.notes)


@pytest.mark.parametrize("provenance", [False, True], ids=["plain", "provenance"])
def test_golden(tmp_path: Path, provenance: bool) -> None:
    text = _expanded(tmp_path, provenance=provenance)
    golden = GOLDEN / f"{'provenance' if provenance else 'plain'}.yaml"
    if os.environ.get("CIGEN_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="\n")
    assert text == golden.read_text(encoding="utf-8")


def test_assembly(tmp_path: Path) -> None:
    write_files(tmp_path, FILES)
    data = expand(load_pipeline(tmp_path / ".gitlab-ci.yml", root=tmp_path)).data
    assert list(data) == ["stages", "variables", "build", "lonely", "child"]
    assert data["build"] == {
        "stage": "build",
        "script": ["make"],
        "retry": 2,  # the parent's retry wins over default:
        "before_script": ["apk add make", "echo ready"],  # !reference, flattened
        "variables": {"GLOBAL": "g", "OWN": "o"},
        "image": "alpine:3.20",
    }
    assert data["lonely"] == {
        "inherit": {"default": ["retry"], "variables": False},
        "script": ["echo alone"],
        "retry": 1,
    }
    assert "image" not in data["child"] and "retry" not in data["child"]  # bridges: no default


def test_provenance_names_file_line_and_route(tmp_path: Path) -> None:
    write_files(tmp_path, FILES)
    notes = expand(load_pipeline(tmp_path / ".gitlab-ci.yml", root=tmp_path), provenance=True).notes
    assert notes[("build",)] == ".gitlab-ci.yml:8"
    assert notes[("build", "script")] == "ci/base.yml:5 via extends .compile"
    assert notes[("build", "retry")] == "ci/base.yml:6 via extends .compile"
    assert notes[("build", "before_script")] == ".gitlab-ci.yml:10 via !reference [.setup, script]"
    assert notes[("build", "image")] == ".gitlab-ci.yml:6 via default"
    assert notes[("build", "variables")] == ".gitlab-ci.yml:13 and the global variables"
    assert notes[("lonely", "retry")] == ".gitlab-ci.yml:7 via default"
    assert notes[("lonely", "script")] == ".gitlab-ci.yml:19"
    assert notes[("variables",)] == ".gitlab-ci.yml:3"


def test_one_job(tmp_path: Path) -> None:
    assert _expanded(tmp_path, job="lonely") == (
        "lonely:\n  inherit:\n    default:\n      - retry\n    variables: false\n"
        "  script:\n    - echo alone\n  retry: 1\n"
    )


def _round_trip(source: Path, root: Path, target: Path) -> None:
    """Expanded output lints without errors when the source did, and expands to itself."""
    pipeline = load_pipeline(source, root=root)
    first = dump(expand(pipeline).data)
    if len(first.encode()) > MAX_BYTES:
        pytest.skip("the assembled configuration is over GitLab's size limit for one file")
    target.mkdir(parents=True, exist_ok=True)
    (target / ".gitlab-ci.yml").write_text(first, encoding="utf-8")
    before = {d.code for d in lint(source, root=root).diagnostics if d.severity is Severity.ERROR}
    result = lint(target / ".gitlab-ci.yml", root=target)
    after = {d.code for d in result.diagnostics if d.severity is Severity.ERROR}
    assert after <= before, [d for d in result.diagnostics if d.severity is Severity.ERROR][:5]
    if not pipeline.incomplete:  # parents in includes not followed keep ``extends:`` open
        assert dump(expand(result.pipeline).data) == first


def test_round_trip_own_cases(tmp_path: Path) -> None:
    write_files(tmp_path / "src", FILES)
    _round_trip(tmp_path / "src" / ".gitlab-ci.yml", tmp_path / "src", tmp_path / "out")


@pytest.mark.parametrize(
    "example", [".gitlab-ci.yml", "examples/k8s/.gitlab-ci.yml"], ids=["own", "k8s"]
)
def test_round_trip_bundled(tmp_path: Path, example: str) -> None:
    source = REPO / example
    _round_trip(source, source.parent, tmp_path)


PROJECTS = sorted(p.name for p in REAL.iterdir() if p.is_dir()) if REAL.is_dir() else []


@pytest.mark.parametrize("project", PROJECTS or [pytest.param(None, id="corpus-absent")])
def test_round_trip_real_projects(corpus_dir: Path, tmp_path: Path, project: str) -> None:
    root = corpus_dir / "real" / project
    _round_trip(root / ".gitlab-ci.yml", root, tmp_path)


def test_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(tmp_path, {**FILES, ".git/HEAD": ""})
    monkeypatch.chdir(tmp_path)
    assert main(["expand", "--provenance"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# .gitlab-ci.yml as GitLab assembles it (cigen expand)\n")
    assert main(["expand", "--provenance"]) == 0
    assert capsys.readouterr().out == out  # byte-stable
    assert main(["expand", "--job", "nope"]) == 2
    assert "no visible job named 'nope'" in capsys.readouterr().err
    assert main(["expand", "-o", "out.yml", "--job", "build"]) == 0
    assert (tmp_path / "out.yml").read_text(encoding="utf-8").count("\nbuild:\n") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [\n", ".gitlab-ci.yml:2:1: YAML syntax error"),
        ("- 1\n", "not a mapping of CI keywords"),
        ("a:\n  extends: .b\n.b:\n  extends: a\n  script: [x]\n", "circular dependency"),
    ],
    ids=["syntax", "not-mapping", "extends-cycle"],
)
def test_cli_refuses_what_cannot_be_assembled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    write_files(tmp_path, {".gitlab-ci.yml": text})
    assert main(["expand", str(tmp_path / ".gitlab-ci.yml"), "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot expand" in err and message in err


def test_inherited_global_variables_keep_what_a_job_variable_may_hold(tmp_path: Path) -> None:
    """``description``/``options`` belong to global variables only (entry/variables.rb)."""
    text = (
        "variables:\n  A:\n    value: '1'\n    description: the a\n"
        "  B:\n    value: '2'\n    expand: false\n    options: ['2', '3']\n"
        "build:\n  script: [x]\n"
    )
    write_files(tmp_path, {".gitlab-ci.yml": text})
    data = expand(load_pipeline(tmp_path / ".gitlab-ci.yml", root=tmp_path)).data
    assert data["variables"]["A"] == {"value": "1", "description": "the a"}
    assert data["build"]["variables"] == {"A": "1", "B": {"value": "2", "expand": False}}
