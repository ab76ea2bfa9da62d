"""``cigen plan --format mermaid|dot``: the planned pipeline as a picture.

Stages are columns in the order of ``stages:`` (GitLab's pipeline graph,
``app/assets/javascripts/ci/pipeline_details``, shows only stages that have jobs), ``needs:``
are edges (``lib/gitlab/ci/config/entry/needs.rb``), manual / delayed / allow_failure jobs are
styled (``lib/gitlab/ci/config/entry/job.rb``: ``when``, ``start_in``, ``allow_failure``).
Goldens live in ``tests/golden/plan/``; rewrite them with ``CIGEN_UPDATE_GOLDEN=1`` and review
the diff. The DOT is rendered with Graphviz's ``dot`` when it is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cigen.cli.main import main
from cigen.pipeline import draw

GOLDEN = Path(__file__).parent / "golden" / "plan"
UPDATE = os.environ.get("CIGEN_UPDATE_GOLDEN") == "1"

CI = """\
stages: [build, test, deploy, unused]
build:
  stage: build
  tags: [docker]
  script: [make]
unit:
  stage: test
  needs: [build]
  script: [make test]
'lint "quick" <fast> #1':
  stage: test
  needs: []
  allow_failure: true
  script: [make lint]
gpu:
  stage: test
  tags: [gpu]
  script: [make gpu]
canary:
  stage: deploy
  when: delayed
  start_in: 10 minutes
  script: [./canary]
deploy:
  stage: deploy
  needs: [unit, build, {job: gone, optional: true}]
  when: manual
  script: [./deploy]
gone:
  stage: test
  script: [x]
  rules:
    - if: $NEVER
"""

RUNNERS = """\
runners:
  - name: docker-1
    tags: [docker]
  - name: shared
    run_untagged: true
"""


def _plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str, ci: str = CI) -> str:
    (tmp_path / ".gitlab-ci.yml").write_text(ci)
    (tmp_path / "runners.yml").write_text(RUNNERS)
    assert main(["plan", str(tmp_path / ".gitlab-ci.yml"), *args]) == 0
    return capsys.readouterr().out


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.is_file(), f"missing golden {path}; create it with CIGEN_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("pipeline.mmd", ("--format", "mermaid")),
        ("pipeline-runners.mmd", ("--format", "mermaid", "--runners", "RUNNERS")),
        ("pipeline.dot", ("--format", "dot")),
        ("pipeline-runners.dot", ("--format", "dot", "--runners", "RUNNERS")),
    ],
)
def test_golden(tmp_path, capsys, name: str, args: tuple[str, ...]) -> None:
    args = tuple(str(tmp_path / "runners.yml") if a == "RUNNERS" else a for a in args)
    _golden(name, _plan(tmp_path, capsys, *args))


def test_mermaid_columns_follow_stages_and_edges_follow_needs(tmp_path, capsys) -> None:
    out = _plan(tmp_path, capsys, "--format", "mermaid")
    stages = re.findall(r'subgraph s\d+\["([^"]*)"\]', out)
    assert stages == ["build", "test", "deploy"]  # the empty stage has no column
    nodes = dict(re.findall(r'(j\d+)\["([^"<]*)', out))
    edges = {(nodes[a], nodes[b]) for a, b in re.findall(r"(j\d+) --> (j\d+)", out)}
    # the optional need on a job rules left out draws nothing
    assert edges == {("build", "unit"), ("unit", "deploy"), ("build", "deploy")}
    assert "gone" not in out


def test_mermaid_labels_escape_quotes_markup_and_entities(tmp_path, capsys) -> None:
    out = _plan(tmp_path, capsys, "--format", "mermaid")
    assert '"lint #quot;quick#quot; #lt;fast#gt; #35;1<br/>allowed to fail"' in out
    for line in out.splitlines():
        if '["' in line:
            assert line.count('"') == 2, line


def test_runners_label_each_job_and_mark_stuck(tmp_path, capsys) -> None:
    out = _plan(tmp_path, capsys, "--format", "mermaid", "--runners", str(tmp_path / "runners.yml"))
    assert 'j0["build<br/>runner: docker-1"]' in out
    gpu = re.search(r'(j\d+)\["gpu<br/>STUCK: no runner"\]', out)
    assert gpu is not None
    assert f"class {gpu.group(1)} stuck" in out


def test_dot_styles_manual_delayed_allow_failure(tmp_path, capsys) -> None:
    out = _plan(tmp_path, capsys, "--format", "dot")
    assert re.search(r'label="deploy\\nmanual\\nallowed to fail", style="rounded,dashed"', out)
    assert re.search(r'label="canary\\ndelayed 10 minutes", style="rounded,dotted"', out)
    assert 'label="lint \\"quick\\" <fast> #1\\nallowed to fail", color=' in out


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_no_pipeline_is_drawn_as_the_reason(tmp_path, capsys, fmt: str) -> None:
    ci = "workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\njob:\n  script: [x]\n"
    out = _plan(tmp_path, capsys, "--format", fmt, ci=ci)
    assert "no pipeline: Pipeline filtered out by workflow rules" in out
    assert "j0" not in out


def test_draw_escapes_backslashes_and_newlines_in_dot() -> None:
    data = {"created": True, "jobs": [{"name": 'a\\b\n"c"', "stage": "s\\"}]}
    out = draw.dot(data)
    assert 'label="a\\\\b\\n\\"c\\""' in out
    assert 'label="s\\\\";' in out
    assert "a\\b #quot;c#quot;" in draw.mermaid(data)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("name", ["pipeline.dot", "pipeline-runners.dot"])
def test_graphviz_renders_the_dot_golden(tmp_path, name: str) -> None:
    svg = tmp_path / "out.svg"
    done = subprocess.run(
        ["dot", "-Tsvg", "-o", str(svg), str(GOLDEN / name)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    text = svg.read_text(encoding="utf-8")
    for job in ("build", "unit", "canary", "deploy", "gpu"):
        assert f">{job}</text>" in text
    assert text.count('class="cluster"') == 3


def test_readme_shows_the_current_mermaid_golden() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    golden = (GOLDEN / "pipeline-runners.mmd").read_text(encoding="utf-8")
    assert f"```mermaid\n{golden}```" in readme
