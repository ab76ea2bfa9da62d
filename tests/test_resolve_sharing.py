"""The resolver shares what it does not change, and gives every job what GitLab gives it.

A value that ``extends`` (``lib/gitlab/ci/config/extendable/entry.rb``) copies into several
jobs is one object here; its ``!reference`` tags (``lib/gitlab/ci/config/yaml/tags/
reference.rb``) are put in place once, yet every job is charged for its copy, marked as holding
a broken reference, or told again about an invalid one, as when each job was walked on its
own. ``include:rules`` (``lib/gitlab/ci/config/external/rules.rb``) read the project's files
for ``exists:`` only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import write_files

import cigen.resolve.budget as budget_module
from cigen.diagnostics import Mark
from cigen.lint.engine import _project_include_rules, load_pipeline
from cigen.model import Pipeline
from cigen.project import Project
from cigen.resolve.budget import Budget, TooLarge
from cigen.yaml.load import Reference, YMap, YSeq

CI = ".gitlab-ci.yml"


def _load(root: Path, text: str) -> Pipeline:
    write_files(root, {CI: text})
    return load_pipeline(root / CI, root=root)


def _config(pipeline: Pipeline, job: str) -> Any:
    return pipeline.jobs[job].config


def test_a_shared_reference_is_put_in_place_for_every_job(tmp_path: Path) -> None:
    pipeline = _load(
        tmp_path,
        ".s:\n  script: [a, b]\n.v:\n  A: '1'\n"
        ".t:\n  image: alpine\n  script:\n    - make\n    - !reference [.s, script]\n"
        "  variables:\n    A: !reference [.v, A]\n"
        "j1:\n  extends: .t\n  stage: build\nj2:\n  extends: .t\n  stage: test\n",
    )
    for job in ("j1", "j2"):
        assert _config(pipeline, job)["script"] == ["make", "a", "b"]
        assert _config(pipeline, job)["image"] == "alpine"
        assert _config(pipeline, job)["variables"] == {"A": "1"}
    # one resolved (and flattened) list, shared by both jobs
    assert _config(pipeline, "j1")["script"] is _config(pipeline, "j2")["script"]
    assert pipeline.config is not None
    assert pipeline.config[".t"]["script"] == ["make", ["a", "b"]]
    assert pipeline.config[".t"]["script"].item_mark(0).line == 8
    assert not pipeline.tainted


def test_a_shared_broken_reference_marks_every_job(tmp_path: Path) -> None:
    pipeline = _load(
        tmp_path,
        ".t:\n  script:\n    - !reference [.nope, script]\n    - make\n"
        "j1:\n  extends: .t\nj2:\n  extends: .t\n",
    )
    assert pipeline.tainted == {".t", "j1", "j2"}
    assert [(e.kind, e.mark.line) for e in pipeline.events] == [("reference-unknown", 3)]
    assert _config(pipeline, "j1")["script"] == _config(pipeline, "j2")["script"] == ["make"]


def test_an_invalid_reference_is_reported_for_each_key_holding_it(tmp_path: Path) -> None:
    pipeline = _load(
        tmp_path,
        ".u:\n  script:\n    - !reference []\n    - make\nk1:\n  extends: .u\nk2:\n  extends: .u\n",
    )
    messages = [e.message for e in pipeline.events]
    assert messages == ["!reference [] is not valid: it must list one or more keys"] * 3
    assert pipeline.tainted == {".u", "k1", "k2"}


def test_a_reference_needs_text_keys_that_are_not_empty(tmp_path: Path) -> None:
    # ``Tags::Reference``: each key must be a non-empty text; a key YAML types as a number
    # (or an empty text) makes the reference invalid, reported where it is written
    pipeline = _load(
        tmp_path,
        ".a:\n  '1': [x]\n  s: [y]\n"
        "j1:\n  script: !reference [.a, 1]\n"
        "j2:\n  script: !reference [.a, '']\n"
        "j3:\n  script: !reference [.a, s]\n",
    )
    assert [(e.mark.line, e.message) for e in pipeline.events] == [
        (5, "!reference [.a, 1] is not valid: it must list one or more keys"),
        (7, "!reference [.a, ] is not valid: it must list one or more keys"),
    ]
    assert pipeline.tainted == {"j1", "j2"}
    assert _config(pipeline, "j3")["script"] == ["y"]


def test_a_shared_reference_is_charged_for_every_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = ".big:\n  script:\n" + "".join(f"    - x{i}\n" for i in range(50))
    shared = ".t:\n  script:\n    - !reference [.big, script]\n"
    jobs = "".join(f"j{i}:\n  extends: .t\n" for i in range(100))
    write_files(tmp_path, {CI: big + shared + jobs})
    assert len(load_pipeline(tmp_path / CI, root=tmp_path).jobs) == 100
    monkeypatch.setattr(budget_module, "MAX_VALUES", 2_000)
    with pytest.raises(TooLarge, match=r"^\.gitlab-ci\.yml:55:7: !reference \[\.big, script\]"):
        load_pipeline(tmp_path / CI, root=tmp_path)  # ~50 values a job: past 2,000 by j40


def test_unchanged_values_are_shared_not_copied(tmp_path: Path) -> None:
    pipeline = _load(
        tmp_path,
        "variables:\n  G: '1'\ndefault:\n  before_script: [[a], b]\n"
        "j1:\n  script: [x, y]\nj2:\n  script: [z]\nj3:\n  script: [[n], m]\n"
        "  variables:\n    OWN: '2'\n",
    )
    assert pipeline.config is not None
    assert _config(pipeline, "j1")["script"] is pipeline.config["j1"]["script"]
    assert _config(pipeline, "j3")["script"] == ["n", "m"]
    # the global variables, the same for every job without its own
    assert _config(pipeline, "j1")["variables"] is _config(pipeline, "j2")["variables"]
    assert _config(pipeline, "j1")["variables"] == {"G": "1"}
    assert _config(pipeline, "j3")["variables"] == {"G": "1", "OWN": "2"}
    # a default flattened once, shared by the jobs inheriting it
    assert _config(pipeline, "j1")["before_script"] == ["a", "b"]
    assert _config(pipeline, "j1")["before_script"] is _config(pipeline, "j2")["before_script"]
    assert pipeline.jobs["j1"].inherited == {"before_script"}


def test_the_budget_finds_references_as_it_measures() -> None:
    mark = Mark(CI, 1, 1)
    ref = Reference(mark)
    ref.push(".a", mark)
    inner = YSeq(mark)
    inner.push(ref, mark)
    outer = YMap(mark)
    outer.put("k", inner, mark, mark)
    outer.put("s", "text", mark, mark)
    budget = Budget()
    assert budget.holds_reference(outer)
    assert budget.holds_reference(ref)
    assert not budget.holds_reference({"a": ["b", {"c": 1}]})
    deep: Any = [ref]
    for _ in range(500):  # past the recursion, measured by the loop
        deep = [deep]
    assert budget.holds_reference(deep)
    assert budget.depth(deep) == 502
    nested: Any = {"k": "v"}
    for _ in range(500):
        nested = {"k": nested, "s": "t"}
    assert not budget.holds_reference(nested)
    assert budget.size(nested) == (3 + 500 * 4, 2 + 500 * 3)  # values, characters
    with pytest.raises(TooLarge, match=r"^\.gitlab-ci\.yml:1:1: this nests deeper than 100"):
        budget.charge(mark, lambda: "this", "x", nested)
    assert not budget.holds_reference([[[["x"]]]] * 3)


def test_include_rules_read_the_project_files_only_for_exists(tmp_path: Path) -> None:
    write_files(tmp_path, {"a.yml": "x: 1\n", CI: "j:\n  script: [x]\n"})
    project = Project(tmp_path)
    decide = _project_include_rules(project, None)
    assert decide([{"if": "$CI_COMMIT_BRANCH == 'main'"}])
    assert not decide([{"if": "$CI_COMMIT_BRANCH == 'other'"}])
    assert project._files is None  # nothing asked for the files yet
    assert decide([[{"exists": ["a.yml"]}]])
    assert project._files is not None
    assert not decide([{"exists": ["b.yml"]}])
    assert decide([{"if": "$CI_COMMIT_BRANCH == 'other'"}, {"exists": ["*.yml"]}])


def test_a_mapping_merged_with_itself_is_kept_unless_its_keys_are_typed() -> None:
    """A file included twice deep-merges its mappings with themselves: the result is the
    mapping itself, except that a copy holds only text keys (``YMap.rawkeys`` is dropped)."""
    from cigen.resolve.merge import deep_merge

    mark = Mark(CI, 1, 1)
    inner = YMap(mark)
    inner.put("a", "1", mark, mark)
    outer = YMap(mark)
    outer.put("job", inner, mark, mark)
    outer.put("list", ["x"], mark, mark)
    assert deep_merge(outer, outer) is outer
    inner.rawkeys = {"a": 1}
    merged = deep_merge(outer, outer)
    assert merged is not outer
    assert merged == outer
    assert merged["job"].rawkeys is None
    assert merged["list"] is outer["list"]


def test_merge_into_keeps_a_plain_mapping_merged_with_itself_and_copies_a_typed_one() -> None:
    """``merge_into`` is ``deep_merge`` in place: a mapping merged with itself stays, unless
    a mapping in it has typed keys (then the copy ``deep_merge`` makes); what it found plain
    is remembered and asked again the same way."""
    from cigen.resolve.merge import merge_into

    mark = Mark(CI, 1, 1)
    plain_job, typed_job = YMap(mark), YMap(mark)
    plain_job.put("a", "1", mark, mark)
    typed_job.put("10", "x", mark, mark)
    typed_job.rawkeys = {"10": 10}
    right = YMap(mark)
    right.put("plain", plain_job, mark, mark)
    right.put("typed", typed_job, mark, mark)
    memo: dict[int, tuple[YMap, bool]] = {}
    for plain in (None, memo, memo):  # without a memo, filling it, then from it
        left = YMap(mark)
        left.put("plain", plain_job, mark, mark)
        left.put("typed", typed_job, mark, mark)
        merge_into(left, right, plain)
        assert left["plain"] is plain_job
        assert left["typed"] is not typed_job
        assert left["typed"] == typed_job
        assert left["typed"].rawkeys is None
    assert memo == {id(plain_job): (plain_job, True), id(typed_job): (typed_job, False)}


def test_a_file_included_twice_shares_its_jobs(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            CI: "include: [a.yml, b.yml]\n",
            "a.yml": "include: common.yml\n",
            "b.yml": "include: common.yml\n",
            "common.yml": "job:\n  script: [x]\n  variables: {A: '1'}\n",
        },
    )
    pipeline = load_pipeline(tmp_path / CI, root=tmp_path)
    assert pipeline.config is not None
    assert "include" not in pipeline.config
    loaded = pipeline.files["common.yml"].body
    assert pipeline.config["job"] is loaded["job"]
    assert pipeline.config.key_mark("job").path == "common.yml"


def test_a_broken_reference_drops_its_key_or_item_and_keeps_the_rest_in_place(
    tmp_path: Path,
) -> None:
    pipeline = _load(
        tmp_path,
        "job:\n  variables:\n    A: '1'\n    B: !reference [.nope, x]\n    C: '3'\n"
        "  script:\n    - a\n    - !reference [.nope, y]\n    - c\n    - !reference [.nope, z]\n",
    )
    config = _config(pipeline, "job")
    assert list(config["variables"]) == ["A", "C"]
    assert config["variables"].key_mark("C").line == 5
    assert config["script"] == ["a", "c"]
    assert [config["script"].item_mark(i).line for i in range(2)] == [7, 9]
    assert pipeline.tainted == {"job"}


def test_jobs_with_a_templates_variables_share_them_merged_with_the_global_ones(
    tmp_path: Path,
) -> None:
    pipeline = _load(
        tmp_path,
        "variables:\n  G: '1'\n  O: g\n.t:\n  variables:\n    O: t\n    T: '2'\n"
        "a:\n  extends: .t\n  script: [x]\nb:\n  extends: .t\n  script: [y]\n"
        "c:\n  extends: .t\n  script: [z]\n  variables:\n    C: '3'\n",
    )
    a, b, c = (_config(pipeline, name)["variables"] for name in "abc")
    assert a is b
    assert list(a.items()) == [("G", "1"), ("O", "t"), ("T", "2")]
    assert a.key_mark("O").line == 6  # the template's, which wins
    assert c is not a
    assert dict(c) == {"G": "1", "O": "t", "T": "2", "C": "3"}


def test_included_files_merge_in_order_keeping_the_first_position(tmp_path: Path) -> None:
    """``Config::External::Processor``: included files deep-merged in turn, the including
    file last; a key keeps the place it first had."""
    write_files(
        tmp_path,
        {
            CI: "include: [a.yml, b.yml]\nb_job:\n  script: [own]\nvariables:\n  V: own\n",
            "a.yml": "variables:\n  V: a\n  A: a\na_job:\n  script: [a]\n  tags: [x]\n",
            "b.yml": "a_job:\n  script: [b]\nb_job:\n  script: [b]\n  stage: test\n",
        },
    )
    pipeline = load_pipeline(tmp_path / CI, root=tmp_path)
    config = pipeline.config
    assert config is not None
    assert list(config) == ["variables", "a_job", "b_job"]
    assert dict(config["variables"]) == {"V": "own", "A": "a"}
    assert dict(config["a_job"]) == {"script": ["b"], "tags": ["x"]}
    assert dict(config["b_job"]) == {"script": ["own"], "stage": "test"}
    assert config.key_mark("b_job").path == CI
    assert config.key_mark("a_job").path == "b.yml"


def test_a_deep_value_and_a_deep_reference_in_different_branches_stay_within_depth(
    tmp_path: Path,
) -> None:
    """The value (61 levels) plus what is put in place (52) could pass GitLab's 100 levels,
    so the result is measured: 61 levels, within the limit."""
    deep = "{m: " * 60 + "x" + "}" * 60
    text = (
        f".a:\n  k: {{n: {'{m: ' * 50}x{'}' * 50}}}\n"
        f".b:\n  deep: {deep}\n  shallow: !reference [.a, k]\n.c: !reference [.nope]\n"
        "job:\n  script: [x]\n"
    )
    pipeline = _load(tmp_path, text)
    assert pipeline.config is not None
    assert list(pipeline.config) == [".a", ".b", "job"]  # .c dropped, the rest in place
    assert pipeline.config[".b"]["shallow"] is pipeline.config[".a"]["k"]
    assert pipeline.config.key_mark("job").line == 7
    assert pipeline.tainted == {".c"}
