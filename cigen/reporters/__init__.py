"""Output formats: each reporter is a pure function from findings to text.

``render(diags, *, rules, tool_version) -> str``; the registry feeds ``--format``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from cigen.diagnostics import Diagnostic


class Reporter(Protocol):
    def __call__(
        self,
        diags: Sequence[Diagnostic],
        *,
        rules: Mapping[str, Any],
        tool_version: str,
    ) -> str: ...


#: ``--format`` value -> module of this package with its ``render``.
_MODULES = {"text": "text", "json": "json_report", "codequality": "codequality", "sarif": "sarif"}


class _Registry(Mapping[str, Reporter]):
    """The reporters by format name; a reporter's module is imported when it is asked for
    (a lint prints one format: the others, and the ``json`` module, cost nothing)."""

    def __getitem__(self, name: str) -> Reporter:
        render: Reporter = importlib.import_module(f"cigen.reporters.{_MODULES[name]}").render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


REPORTERS: Mapping[str, Reporter] = _Registry()
