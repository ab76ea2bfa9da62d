"""rules, rule and workflow entries (rules.rb, rules/*, workflow.rb).

Stub until helper config-b lands: accepts every value and returns it unchanged.
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import Check
from cigen.diagnostics import Mark


def workflow(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def rules(
    c: Check,
    value: Any,
    mark: Mark,
    loc: str,
    *,
    allowed_when: tuple[str, ...],
    allowed_keys: tuple[str, ...],
) -> Any:
    return value
