"""parallel, matrix and matrix variables entries (cigen/config/parallel.py; GitLab:
lib/gitlab/ci/config/entry/product/parallel.rb, matrix.rb, variables.rb). The spec examples
are in cases/parallel.yaml, cases/matrix.yaml and cases/matrix_variables.yaml."""

from __future__ import annotations

from cigen.config import parallel
from cigen.config.parallel import MatrixRow, Parallel
from config.entry_helpers import at, run


def test_number_is_a_total() -> None:
    found, errors, _ = run(parallel.parallel, "x: 5\n")
    assert (found, errors) == (Parallel(at(1, 4), total=5), [])
    assert found.jobs == 5


def test_matrix_rows_as_text() -> None:
    found, errors, _ = run(
        parallel.parallel,
        "x:\n  matrix:\n    - {A: [1, b], B: c}\n    - {C: [x, y, z]}\n",
    )
    assert errors == []
    assert found.matrix == (
        MatrixRow((("A", ("1", "b")), ("B", ("c",))), at(3, 7)),
        MatrixRow((("C", ("x", "y", "z")),), at(4, 7)),
    )
    assert found.matrix[0].as_dict() == {"A": ("1", "b"), "B": ("c",)}
    assert found.jobs == 5


def test_null_matrix_is_unspecified() -> None:
    assert run(parallel.parallel, "x: {matrix: null}\n")[:2] == (Parallel(at(1, 4)), [])


def test_floats_are_never_integers() -> None:
    for text in ("2.0", ".nan", ".inf"):
        assert run(parallel.parallel, f"x: {text}\n")[1] == ["x config must be an integer"]


def test_trigger_job_takes_only_a_matrix() -> None:
    found, errors, _ = run(parallel.matrix_only, "x: 0\n")
    assert found is None
    assert errors == [
        "x config must be greater than or equal to 1",
        'x config cannot use "parallel: <number>".',
    ]
    assert run(parallel.matrix_only, "x: {matrix: [{A: a}]}\n")[1] == []


def test_matrix_builds_unknown_key_position() -> None:
    _, errors, marks = run(parallel.parallel, "x: {matrix: [{A: a}], foo: 1}\n")
    assert (errors, marks) == (["x config contains unknown keys: foo"], [(1, 23)])


def test_matrix_row_values_must_be_strings_or_integers() -> None:
    message = "x:matrix:variables config should be a hash of key value pairs, value can be an array"
    for row in ("{A: null}", "{A: 1.5}", "{A: [[a]]}", "{A: {b: c}}", "{A: [true]}"):
        found, errors, _ = run(parallel.parallel, f"x: {{matrix: [{row}]}}\n")
        assert (found, errors) == (None, [message]), row


def test_empty_row_needs_one_item() -> None:
    found, errors, marks = run(parallel.parallel, "x:\n  matrix:\n    - {}\n")
    assert found is None
    assert (errors, marks) == (["x:matrix:variables config requires at least 1 items"], [(3, 7)])


def test_too_many_jobs_is_reported_before_the_rows() -> None:
    # matrix.rb counts every row, an invalid one too (its values as Ruby's Array(value)).
    values = ", ".join(str(i) for i in range(201))
    _, errors, marks = run(parallel.parallel, f"x:\n  matrix:\n    - {{A: [{values}], B: null}}\n")
    # B: null has no value, so the (invalid) row generates no job
    assert errors == [
        "x:matrix:variables config should be a hash of key value pairs, value can be an array"
    ]
    _, errors, marks = run(
        parallel.parallel, f"x:\n  matrix:\n    - {{A: [{values}], B: {{c: d}}}}\n"
    )
    assert errors == [
        "x:matrix config generates too many jobs (maximum is 200)",
        "x:matrix:variables config should be a hash of key value pairs, value can be an array",
    ]
    assert marks == [(3, 5), (3, 7)]


def test_empty_value_list_generates_no_job() -> None:
    found, errors, _ = run(parallel.parallel, "x: {matrix: [{A: []}]}\n")
    assert errors == [] and found.jobs == 0


def test_matrix_refused_where_only_numbers_are_allowed() -> None:
    # parallel_spec.rb "when :matrix is not allowed" (no GitLab context has this metadata)
    found, errors, _ = run(parallel.parallel, "x: {matrix: [{A: a}]}\n", allowed=("numeric",))
    assert (found, errors) == (None, ['x config cannot use "parallel: matrix".'])
