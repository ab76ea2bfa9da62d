"""The one grammar of variable references: ``$VAR``, ``${VAR}`` and ``%VAR%``.

GitLab's ``ExpandVariables::VARIABLES_REGEXP`` (``lib/expand_variables.rb``): a name is a
letter or underscore followed by letters, digits and underscores.
"""

from __future__ import annotations

import re

NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
#: One reference; the name is in group 1, 2 or 3.
REFERENCE = re.compile(rf"\$({NAME})|\$\{{({NAME})\}}|%({NAME})%")


def names(text: str) -> list[str]:
    """The variable names ``text`` refers to, in order."""
    return [m.group(1) or m.group(2) or m.group(3) for m in REFERENCE.finditer(text)]
