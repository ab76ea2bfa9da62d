"""The one grammar of variable references: ``$VAR``, ``${VAR}`` and ``%VAR%``.

GitLab's ``ExpandVariables::VARIABLES_REGEXP`` (``lib/expand_variables.rb``): a name is a
letter or underscore followed by letters, digits and underscores, referenced as ``$NAME``,
``${NAME}`` or ``%NAME%``, tried left to right. Expansion is one pass: a value that holds
another reference stays as it is, as in ``ExpandVariables.expand_existing``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
#: One reference; the name is in group 1, 2 or 3.
REFERENCE = re.compile(rf"\$({NAME})|\$\{{({NAME})\}}|%({NAME})%")


def name_of(found: re.Match[str]) -> str:
    """The variable name of one :data:`REFERENCE` match."""
    return found.group(1) or found.group(2) or found.group(3)


def names(text: str) -> tuple[str, ...]:
    """The variable names ``text`` refers to, in order, each once."""
    return tuple(dict.fromkeys(name_of(found) for found in REFERENCE.finditer(text)))


def has_reference(text: str) -> bool:
    return REFERENCE.search(text) is not None


#: Characters an expansion may reach (GitLab's ``MAX_NODE_SIZE`` of 1 MB for a configuration
#: value); past it the text stays as written, as with unknown variables.
MAX_EXPANDED = 1024 * 1024


class _TooLarge(Exception):
    pass


def substitute(text: str, replace: Callable[[str], str | None]) -> str:
    """``text`` with each reference replaced by ``replace(name)``; ``None`` keeps it as written.

    A result over :data:`MAX_EXPANDED` characters (many references to a long value) is not
    built: ``text`` comes back as written.
    """
    if "$" not in text and "%" not in text:
        return text
    budget = [MAX_EXPANDED - len(text)]

    def sub(found: re.Match[str]) -> str:
        value = replace(name_of(found))
        if value is None:
            return found.group(0)
        budget[0] -= len(value)
        if budget[0] < 0:
            raise _TooLarge
        return value

    try:
        return REFERENCE.sub(sub, text)
    except _TooLarge:
        return text


def expand(text: str, variables: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """``text`` with the known variables expanded (one pass), and the names left unknown."""
    unknown: dict[str, None] = {}

    def replace(name: str) -> str | None:
        if name in variables:
            return variables[name]
        unknown[name] = None
        return None

    return substitute(text, replace), tuple(unknown)
