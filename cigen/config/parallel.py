"""``parallel:`` entries: ``lib/gitlab/ci/config/entry/product/parallel.rb``, ``matrix.rb`` and
``variables.rb``.

``parallel`` is a number of copies (1 to 200) or ``{matrix: [...]}``, a list of hashes whose
values are a string or a list of strings; all the matrix rows together may generate at most
200 jobs. A trigger job (bridge) only takes the matrix form; a ``needs:parallel`` only the
matrix form too (``needs`` refuses the number itself).
"""

from __future__ import annotations

import math
from typing import Any

from cigen.config.node import (
    Check,
    ConfigError,
    allowed_keys,
    is_alphanumeric,
    is_hash,
    is_integer,
    item_mark,
    location,
    required_keys,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.yaml.load import scalar_text

#: ``Product::Parallel::PARALLEL_LIMIT``.
PARALLEL_LIMIT = 200
NUMERIC = "numeric"
MATRIX = "matrix"


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One hash of ``parallel:matrix``: each variable with its values, as text."""

    variables: tuple[tuple[str, tuple[str, ...]], ...]
    mark: Mark

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        return dict(self.variables)

    @property
    def jobs(self) -> int:
        """How many jobs the row generates (the product of the value counts)."""
        return math.prod(len(values) for _, values in self.variables)


@dataclass(frozen=True, slots=True)
class Parallel:
    """``parallel: N`` (``total``) or ``parallel: {matrix: ...}`` (``matrix``)."""

    mark: Mark
    total: int | None = None
    matrix: tuple[MatrixRow, ...] | None = None

    @property
    def jobs(self) -> int:
        """How many jobs it generates."""
        if self.total is not None:
            return self.total
        return sum(row.jobs for row in self.matrix or ())


def is_number(value: Any) -> bool:
    """Ruby ``Numeric`` (YAML integers and floats, not booleans)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parallel(
    c: Check,
    value: Any,
    mark: Mark,
    loc: str,
    *,
    allowed: tuple[str, ...] | None = None,
) -> Parallel | None:
    """``Product::Parallel``: ``ParallelBuilds`` for a number, ``MatrixBuilds`` for a hash.

    ``allowed`` is the ``allowed_strategies`` metadata (``None``: both)."""
    if is_number(value):
        return _builds(c, value, mark, loc, allowed)
    if is_hash(value):
        return _matrix_builds(c, value, mark, loc, allowed)
    c.errors.append(ConfigError(f"{loc} should be an integer or a hash", mark, where=loc))
    return None


def matrix_only(c: Check, value: Any, mark: Mark, loc: str) -> Parallel | None:
    """A trigger job's ``parallel`` (``allowed_strategies: [:matrix]``)."""
    return parallel(c, value, mark, loc, allowed=(MATRIX,))


def _builds(
    c: Check, value: int | float, mark: Mark, loc: str, allowed: tuple[str, ...] | None
) -> Parallel | None:
    count = len(c.errors)
    # ActiveModel numericality, only_integer: a Float is never an integer ("2.0" has a dot).
    if not is_integer(value):
        c.add(loc, "config", "must be an integer", mark)
    elif value < 1:
        c.add(loc, "config", "must be greater than or equal to 1", mark)
    elif value > PARALLEL_LIMIT:
        c.add(loc, "config", f"must be less than or equal to {PARALLEL_LIMIT}", mark)
    if allowed is not None and NUMERIC not in allowed:
        c.add(loc, "config", 'cannot use "parallel: <number>".', mark)
    if len(c.errors) > count:
        return None
    return Parallel(mark, total=int(value))


def _matrix_builds(
    c: Check, value: Any, mark: Mark, loc: str, allowed: tuple[str, ...] | None
) -> Parallel | None:
    count = len(c.errors)
    allowed_keys(c, loc, value, (MATRIX,), mark)
    required_keys(c, loc, value, (MATRIX,), mark)
    if allowed is not None and MATRIX not in allowed:
        c.add(loc, "config", 'cannot use "parallel: matrix".', mark)
    if len(c.errors) > count:
        return None
    rows = value.get(MATRIX)
    if rows is None:
        return Parallel(mark)
    found = matrix(c, rows, value_mark(value, MATRIX, mark), location(loc, MATRIX))
    return None if found is None else Parallel(mark, matrix=found)


def matrix(c: Check, value: Any, mark: Mark, loc: str) -> tuple[MatrixRow, ...] | None:
    """``Product::Matrix``: an array of hashes generating at most 200 jobs together."""
    if not (isinstance(value, list) and all(is_hash(row) for row in value)):
        c.add(loc, "config", "should be an array of hashes", mark)
        return None
    count = len(c.errors)
    kids = Check()
    rows = tuple(
        matrix_row(kids, row, item_mark(value, index, mark), location(loc, "variables"))
        for index, row in enumerate(value)
    )
    # The composed check counts every row, valid or not, before the rows' own messages.
    if sum(row.jobs for row in rows) > PARALLEL_LIMIT:
        c.add(loc, "config", f"generates too many jobs (maximum is {PARALLEL_LIMIT})", mark)
    c.extend(kids)
    return None if len(c.errors) > count else rows


def matrix_row(c: Check, value: Any, mark: Mark, loc: str) -> MatrixRow:
    """``Product::Variables``: names with a value or an array of values (strings or
    integers); at least one name. The row's value is read even when it is invalid, because the
    matrix counts its jobs either way."""
    if not _array_value_variables(value):
        c.add(loc, "config", "should be a hash of key value pairs, value can be an array", mark)
    if len(value) < 1:
        c.add(loc, "config", "requires at least 1 items", mark)
    pairs = ((str(k), tuple(scalar_text(v) for v in _array(item))) for k, item in value.items())
    return MatrixRow(tuple(pairs), mark)


def _array_value_variables(value: dict[str, Any]) -> bool:
    """``validate_array_value_variables``: no nil value; ``values.flatten(1)`` alphanumeric."""
    for item in value.values():
        if item is None:
            return False
        items = item if isinstance(item, list) else [item]
        if not all(is_alphanumeric(v) for v in items):
            return False
    return True


def _array(value: Any) -> list[Any]:
    """Ruby's ``Array(value)``: nil is empty, a hash its pairs, a scalar one item."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [[k, v] for k, v in value.items()]
    return [value]
