"""Artifacts, reports, coverage, release, pages and publish entries.

Stub until helper config-a lands: accepts every value and returns it unchanged.
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import Check
from cigen.diagnostics import Mark


def artifacts(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def coverage(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def release(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def publish(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def pages(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value
