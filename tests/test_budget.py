"""The assembled-size budget (cigen/resolve/budget.py): ``extends`` (GitLab's
``lib/gitlab/ci/config/extendable/entry.rb``, a ``deep_merge`` per ancestor), ``!reference``
(``lib/gitlab/ci/config/yaml/tags/reference.rb``), ``default:`` and global ``variables:``
(``lib/gitlab/ci/config/entry/job.rb``, ``inherit``) are charged for what they copy into jobs,
before they copy it; past the budget the assembly stops with an exit-2 error at the place
that crossed it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import write_files
from hypothesis import given, settings
from hypothesis import strategies as st

import cigen.resolve.budget as budget_module
from cigen.cli.main import main
from cigen.diagnostics import Mark
from cigen.lint.engine import load_pipeline
from cigen.resolve.budget import Budget, TooLarge

CI = ".gitlab-ci.yml"
MARK = Mark(CI, 1, 1)


def naive(value: Any) -> tuple[int, int]:
    """(values, characters), every copy counted: the definition the budget implements."""
    if isinstance(value, dict):
        parts = [naive(v) for v in value.values()]
        keys = sum(len(str(k)) for k in value)
        return 1 + len(value) + sum(p[0] for p in parts), keys + sum(p[1] for p in parts)
    if isinstance(value, list):
        parts = [naive(v) for v in value]
        return 1 + sum(p[0] for p in parts), sum(p[1] for p in parts)
    return 1, len(value) if isinstance(value, str) else 1


def test_size_counts_keys_text_and_every_copy() -> None:
    budget = Budget()
    assert budget.size({"a": "xy", "b": [1, "z"]}) == (7, 6)
    shared = ["ab"]
    assert budget.size([shared, shared, shared]) == (7, 6)
    assert budget.size("hello") == (1, 5)
    assert budget.size(None) == (1, 1)


def _shared_tree(draw: Any) -> Any:
    """Nested dicts and lists whose parts are reused (a DAG, as extends and aliases build)."""
    pool: list[Any] = list(draw(st.lists(st.text(max_size=4) | st.integers(), max_size=4)))
    for _ in range(draw(st.integers(0, 8))):
        picks = draw(st.lists(st.integers(0, max(len(pool) - 1, 0)), max_size=3))
        items = [pool[i] for i in picks if pool]
        if draw(st.booleans()):
            pool.append({f"k{n}": item for n, item in enumerate(items)})
        else:
            pool.append(items)
    return pool[-1] if pool else []


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(st.data())
def test_size_is_the_expanded_size(data: st.DataObject) -> None:
    value = _shared_tree(data.draw)
    assert Budget().size(value) == naive(value)


def test_deep_sharing_is_measured_without_recursion() -> None:
    value: Any = ["x"]
    for _ in range(5000):
        value = [value, value]
    values, _text = Budget().size(value)
    assert values > 2**100  # counted, not walked


def test_charge_stops_past_either_bound() -> None:
    budget = Budget(max_values=10, max_text=100)
    budget.charge(MARK, "this", ["a"] * 8)
    with pytest.raises(TooLarge, match=r"^\.gitlab-ci\.yml:1:1: this makes the assembled"):
        budget.charge(MARK, "this", ["a"])
    text = Budget(max_values=1000, max_text=10)
    text.charge(MARK, "that", "x" * 10)
    with pytest.raises(TooLarge):
        text.charge(MARK, "that", "y")


def _jobs(template: str, job: str, count: int) -> str:
    return template + "".join(job.format(i=i) for i in range(count))


BIG = ".big:\n  variables:\n" + "".join(f"    V{i}: x\n" for i in range(50))
CASES = {
    "extends": (BIG, "j{i}:\n  extends: .big\n  script: x\n", (2, 12)),
    "default": (
        "default:\n  before_script:\n" + "".join(f"    - x{i}\n" for i in range(50)),
        "j{i}:\n  script: x\n",
        (2, 3),
    ),
    "variables": (
        "variables:\n" + "".join(f"  V{i}: x\n" for i in range(50)),
        "j{i}:\n  script: x\n",
        (2, 3),
    ),
    "reference": (
        ".big:\n  script:\n" + "".join(f"    - x{i}\n" for i in range(50)),
        "j{i}:\n  script: !reference [.big, script]\n",
        (2, 11),
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_job_that_crosses_the_budget_is_named(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template, job, (line, col) = CASES[kind]  # where the job's charge is, from its first line
    write_files(tmp_path, {CI: _jobs(template, job, 200)})
    monkeypatch.setattr(budget_module, "MAX_VALUES", 2_000)
    with pytest.raises(TooLarge) as raised:
        load_pipeline(tmp_path / CI, root=tmp_path)
    message = str(raised.value)
    template_lines = template.count("\n")
    # about 2,000 / ~100 values a copy: the job that crosses is one of the first twenty or so
    where, _, rest = message.partition(": ")
    path, job_line, job_col = where.split(":")
    assert path == CI
    index, within = divmod(int(job_line) - template_lines - line, job.count("\n"))
    assert within == 0, message
    assert 10 <= index <= 40, message
    assert int(job_col) == col, message
    assert "larger than cigen analyses" in rest


@pytest.mark.parametrize("kind", sorted(CASES))
def test_under_the_budget_nothing_changes(kind: str, tmp_path: Path) -> None:
    template, job, _where = CASES[kind]
    write_files(tmp_path, {CI: _jobs(template, job, 200)})
    pipeline = load_pipeline(tmp_path / CI, root=tmp_path)
    assert len(pipeline.jobs) == 200


def test_cli_exits_2_and_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    template, job, _where = CASES["extends"]
    write_files(tmp_path, {CI: _jobs(template, job, 200)})
    monkeypatch.setattr(budget_module, "MAX_VALUES", 2_000)
    assert main(["lint", "--root", str(tmp_path), str(tmp_path / CI)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cigen: error: .gitlab-ci.yml:")
    assert "split the pipeline" in err


def test_depth_counts_levels_of_containers() -> None:
    budget = Budget()
    assert budget.depth("x") == 0
    assert budget.depth({"a": [1, {"b": []}]}) == 4
    deep: Any = []
    for _ in range(3000):
        deep = [deep]
    assert budget.depth(deep) == 3001  # measured without recursion


def test_references_nesting_past_gitlabs_depth_stop(tmp_path: Path) -> None:
    """No file nests deeper than 100 levels (GitLab's ``max_yaml_depth``); references that
    put nested values inside nested values would, and are stopped at the key that does."""
    nested = "{m: " * 60 + "!reference [.a, k]" + "}" * 60
    text = f".a:\n  k: {{n: {'{m: ' * 50}x{'}' * 50}}}\n.b:\n  k: {nested}\njob:\n  script: [x]\n"
    write_files(tmp_path, {CI: text})
    with pytest.raises(TooLarge, match=r"^\.gitlab-ci\.yml:3:1: \.b nests deeper than 100 levels"):
        load_pipeline(tmp_path / CI, root=tmp_path)
    shallow = text.replace("{m: " * 60, "{m: " * 30).replace("}" * 60, "}" * 30)
    write_files(tmp_path, {CI: shallow})
    assert list(load_pipeline(tmp_path / CI, root=tmp_path).jobs) == ["job"]


PARALLEL = st.one_of(
    st.none(),
    st.integers(-2, 210),
    st.booleans(),
    st.text(max_size=3),
    st.fixed_dictionaries(
        {
            "matrix": st.lists(
                st.dictionaries(
                    st.sampled_from(["A", "B", "C"]),
                    st.one_of(st.text(max_size=2), st.lists(st.text(max_size=2), max_size=8)),
                    max_size=3,
                )
                | st.integers(),
                max_size=5,
            )
        }
    ),
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(PARALLEL)
def test_parallel_count_is_the_number_of_instances(parallel: Any) -> None:
    """``cigen.pipeline.parallel.count`` (what the budget charges) says how many jobs
    ``instances`` makes (``lib/gitlab/ci/config/entry/product/parallel.rb``, ``matrix.rb``)."""
    from cigen.pipeline.parallel import count, instances

    assert count(parallel) == len(instances("job", parallel))


def test_parallel_instances_are_counted_as_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget_module, "MAX_JOBS", 1_000)
    job = "j{i}:\n  script: [x]\n  parallel: 100\n"
    write_files(tmp_path, {CI: _jobs("", job, 20)})
    with pytest.raises(TooLarge, match=r"^\.gitlab-ci\.yml:33:13: `parallel:` makes the pipeline"):
        load_pipeline(tmp_path / CI, root=tmp_path)  # the 11th job makes 1,100
    write_files(tmp_path, {CI: _jobs("", job, 10)})
    assert len(load_pipeline(tmp_path / CI, root=tmp_path).jobs) == 10
