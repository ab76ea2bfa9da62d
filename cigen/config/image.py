"""Image and services entries (image.rb, imageable.rb, services.rb, service.rb, ports).

Stub until helper config-a lands: accepts every value and returns it unchanged.
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import Check
from cigen.diagnostics import Mark


def image(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def services(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value
