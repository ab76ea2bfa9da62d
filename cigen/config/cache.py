"""GitLab's cache entries (cache.rb, caches.rb, key.rb, files.rb, prefix.rb).

Stub until helper config-a lands: accepts every value and returns it unchanged.
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import Check
from cigen.diagnostics import Mark


def caches(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value
