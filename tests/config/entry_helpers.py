"""Run one entry function on YAML text, the way the entry tree calls it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cigen.config.node import Check
from cigen.diagnostics import Mark
from cigen.yaml.load import load_text


def run(
    entry: Callable[..., Any], text: str, loc: str = "x", **options: Any
) -> tuple[Any, list[str], list[tuple[int, int]]]:
    """``entry`` on the value of the document's ``x:`` key: (model, messages, positions)."""
    loaded = load_text("ci.yml", text)
    assert loaded.ok, loaded.problems
    body = loaded.body
    c = Check()
    found = entry(c, body["x"], body.value_mark("x"), loc, **options)
    return found, [e.message for e in c.errors], [(e.mark.line, e.mark.col) for e in c.errors]


def at(line: int, col: int) -> Mark:
    return Mark("ci.yml", line, col)
