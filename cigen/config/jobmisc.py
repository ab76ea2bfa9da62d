"""Small job entries: hooks, timeout, retry, tags, id_tokens, allow_failure, inputs.

Stub until helper config-a lands: accepts every value and returns it unchanged.
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import Check
from cigen.diagnostics import Mark


def hooks(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def timeout(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def retry(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def tags(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def id_tokens(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def allow_failure(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value


def job_inputs(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return value
