"""Findings: the one type that leaves the lint core.

A :class:`Diagnostic` is frozen; severity overrides produce a new value with
:func:`dataclasses.replace`. Positions are 1-based and paths are POSIX paths relative to the
project root.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from cigen.records import dataclass


class Severity(enum.IntEnum):
    """How bad a finding is; only ``ERROR`` makes ``cigen lint`` exit 1."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True, slots=True)
class Mark:
    """A place in a file: POSIX path relative to the root, 1-based line and column."""

    path: str
    line: int
    col: int

    def __post_init__(self) -> None:
        if self.line < 1 or self.col < 1:
            raise ValueError(f"positions are 1-based, got {self.line}:{self.col}")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, with its own path and position."""

    path: str
    line: int
    col: int
    code: str
    name: str
    severity: Severity
    message: str
    job: str | None = None
    anchor: str = ""
    #: Content of an include that was not followed could explain it (a missing name or key):
    #: the engine then reports it at info level with a note (:func:`cigen.lint.engine.explain`).
    explainable: bool = False

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.col, self.code, self.message)


def at(
    mark: Mark,
    code: str,
    name: str,
    severity: Severity,
    message: str,
    *,
    job: str | None = None,
    anchor: str = "",
    explainable: bool = False,
) -> Diagnostic:
    """Build a diagnostic located at ``mark``."""
    return Diagnostic(
        mark.path, mark.line, mark.col, code, name, severity, message, job, anchor, explainable
    )


def fingerprint(diag: Diagnostic, ordinal: int = 0) -> str:
    """A fingerprint that ignores line and column, so moving a finding keeps it the same."""
    import hashlib

    parts = (diag.path, diag.code, diag.job or "", diag.anchor, diag.message, str(ordinal))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def portable(diag: Diagnostic) -> Diagnostic:
    """``diag`` with text that is valid Unicode: the bytes of a file name that is not UTF-8
    (lone surrogates) written as ``\\xNN`` (:func:`cigen.terminal.unicode_text`)."""
    from dataclasses import replace

    from cigen.terminal import unicode_text

    fields = (diag.path, diag.message, diag.job or "", diag.anchor)
    clean = tuple(unicode_text(text) for text in fields)
    if clean == fields:
        return diag
    path, message, job, anchor = clean
    return replace(diag, path=path, message=message, job=job or diag.job, anchor=anchor)


def fingerprints(diags: Sequence[Diagnostic]) -> list[str]:
    """Fingerprints for a list, with an ordinal separating findings that would collide."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for diag in diags:
        base = fingerprint(diag)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.append(base if count == 0 else fingerprint(diag, count))
    return out


def sort_unique(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by place, with exact duplicates removed."""
    return sorted(set(diags), key=lambda d: d.sort_key)
