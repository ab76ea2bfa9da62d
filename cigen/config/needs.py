"""needs entries (needs.rb, need.rb).

Stub until helper config-b lands: accepts every value and returns it unchanged.
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import Check
from cigen.diagnostics import Mark


def job_needs(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def bridge_needs(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def job_names(found: Any) -> set[str] | None:
    """The job names a validated ``needs`` value lists (``None`` when unknown)."""
    return None


def bridge_pipelines(found: Any) -> list[Any]:
    """The ``needs:pipeline`` entries of a trigger job's validated ``needs``."""
    if isinstance(found, list):
        return [n for n in found if isinstance(n, dict) and "pipeline" in n]
    return []
