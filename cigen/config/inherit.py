"""inherit entry (inherit.rb, inherit/*).

Stub until helper config-c lands: accepts every value and returns it unchanged.
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import Check
from cigen.diagnostics import Mark


def inherit(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value
