"""GitLab's own spec examples, ported as data: every case must agree with GitLab.

Each file in ``cases/`` names the GitLab spec it comes from (``source``) and the entry it tests
(``entry``: a name in :data:`cigen.config.entries.ENTRIES`, or ``pipeline`` for a whole
``.gitlab-ci.yml``). A case gives the configuration and GitLab's exact error messages (``[]``:
valid). Errors compare as a set unless the case says ``ordered: true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cigen.config.entries import ENTRIES
from cigen.config.node import Check
from cigen.lint.engine import load_pipeline
from cigen.yaml.load import YMap, load_text

CASES = Path(__file__).parent / "cases"


def _cases() -> Iterator[Any]:
    for path in sorted(CASES.glob("*.yaml")):
        loaded = load_text(path.name, path.read_bytes())
        assert loaded.ok, f"{path.name}: {loaded.problems}"
        spec = loaded.body
        assert isinstance(spec, YMap), path.name
        for case in spec["cases"]:
            marks = []
            if case.get("skip"):
                marks.append(pytest.mark.skip(reason=str(case["skip"])))
            if case.get("xfail"):
                marks.append(pytest.mark.xfail(reason=str(case["xfail"]), strict=True))
            yield pytest.param(spec, case, id=f"{path.stem}::{case['name']}", marks=marks)


def _entry_errors(spec: YMap, case: YMap) -> list[str]:
    entry = ENTRIES[str(case.get("entry") or spec["entry"])]  # a case may name another entry
    c = Check()
    value = case["config"]
    if value is not None:
        # ``location: ""``: the entry has no key, as GitLab's specs build it (``described_class
        # .new(config)``): its messages name its class, its children only their own keys.
        loc = spec["location"] if "location" in spec else spec["entry"]
        entry(c, value, case.value_mark("config"), str(loc or ""))
    return [e.message for e in c.errors]


def _pipeline_errors(case: YMap, tmp_path: Path) -> list[str]:
    config = case["config"]
    text = config if isinstance(config, str) else _dump(config)
    (tmp_path / ".gitlab-ci.yml").write_text(text, encoding="utf-8")
    for name, content in (case.get("files") or {}).items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(content), encoding="utf-8")
    pipeline = load_pipeline(tmp_path / ".gitlab-ci.yml", root=tmp_path)
    # What GitLab reports: its one include/extends/!reference/inputs error when assembling
    # the configuration fails (``Pipeline.assembly_error``), else the entry tree's errors.
    assert pipeline.config is not None
    return list(pipeline.gitlab_errors)


def _dump(value: Any) -> str:
    from cigen.yaml.dump import dump
    from cigen.yaml.load import to_plain

    return str(dump(to_plain(value)))


@pytest.mark.parametrize(("spec", "case"), list(_cases()))
def test_gitlab_spec_case(spec: YMap, case: YMap, tmp_path: Path) -> None:
    if spec["entry"] == "pipeline":
        found = _pipeline_errors(case, tmp_path)
    else:
        found = _entry_errors(spec, case)
    expected = [str(e) for e in case.get("errors") or []]
    if case.get("ordered"):
        assert found == expected
    else:
        assert sorted(set(found)) == sorted(set(expected)), f"{spec['source']}: {case['name']}"


def test_cases_name_their_source() -> None:
    for path in sorted(CASES.glob("*.yaml")):
        body = load_text(path.name, path.read_bytes()).body
        source = str(body.get("source", ""))
        # GitLab's spec the cases come from, or (``*_code.yaml``) the GitLab file they follow
        assert source.startswith("spec/") or (
            path.stem.endswith("_code") and source.startswith("lib/")
        ), path.name
