"""Fuzz the assembled-size budget (``cigen/resolve/budget.py``) against its definition, and the
resolver under it.

1. ``Budget.size`` and ``Budget.depth`` of a random shared structure (a DAG, as ``extends``,
   ``!reference`` and YAML aliases build) equal the counts of a plain recursive walk;
2. a random configuration of templates that extend and reference each other resolves, or stops
   with :class:`~cigen.resolve.budget.TooLarge` (exit 2) under a small budget: never another
   exception. Run: ``python fuzz/fuzz_budget.py -runs=20000``.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

import atheris

with atheris.instrument_imports():
    import cigen.resolve.budget as budget_module
    from cigen.errors import CigenError
    from cigen.lint.engine import load_pipeline
    from cigen.resolve.budget import Budget


def naive(value: Any) -> tuple[int, int, int]:
    if isinstance(value, dict):
        parts = [naive(v) for v in value.values()]
        keys = sum(len(str(k)) for k in value)
        return (
            1 + len(value) + sum(p[0] for p in parts),
            keys + sum(p[1] for p in parts),
            1 + max((p[2] for p in parts), default=0),
        )
    if isinstance(value, list):
        parts = [naive(v) for v in value]
        return (
            1 + sum(p[0] for p in parts),
            sum(p[1] for p in parts),
            1 + max((p[2] for p in parts), default=0),
        )
    return 1, len(value) if isinstance(value, str) else 1, 0


def shared(provider: atheris.FuzzedDataProvider) -> Any:
    pool: list[Any] = ["x", 1, "abc"]
    for _ in range(provider.ConsumeIntInRange(0, 7)):
        picks = [pool[provider.ConsumeIntInRange(0, len(pool) - 1)] for _ in range(3)]
        if provider.ConsumeBool():
            pool.append({f"k{n}": item for n, item in enumerate(picks)})
        else:
            pool.append(picks)
    return pool[-1]


def configuration(provider: atheris.FuzzedDataProvider) -> str:
    count = provider.ConsumeIntInRange(1, 8)
    lines: list[str] = []
    for i in range(count):
        lines.append(f".t{i}:")
        kind = provider.ConsumeIntInRange(0, 3)
        other = provider.ConsumeIntInRange(0, count - 1)
        if kind == 0:
            lines.append(f"  extends: [.t{other}, .t{provider.ConsumeIntInRange(0, count - 1)}]")
        elif kind == 1:
            lines.append(
                f"  script: [!reference [.t{other}, script], !reference [.t{other}, script]]"
            )
        elif kind == 2:
            lines.append(f"  variables: {{V{i}: x, W: !reference [.t{other}, variables]}}")
        lines.append(f"  script: [s{i}]")
    for j in range(provider.ConsumeIntInRange(0, 20)):
        lines += [f"j{j}:", f"  extends: .t{provider.ConsumeIntInRange(0, count - 1)}"]
        if provider.ConsumeBool():
            lines.append(f"  parallel: {provider.ConsumeIntInRange(1, 200)}")
    return "\n".join(["default: {before_script: [a, b]}", "variables: {G: g}", *lines, ""])


def one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    value = shared(provider)
    budget = Budget()
    assert (*budget.size(value), budget.depth(value)) == naive(value)
    text = configuration(provider)
    budget_module.MAX_VALUES = provider.ConsumeIntInRange(100, 20_000)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / ".gitlab-ci.yml").write_text(text, encoding="utf-8")
        with contextlib.suppress(CigenError):  # TooLarge or another exit-2 error, no crash
            load_pipeline(root / ".gitlab-ci.yml", root=root)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
