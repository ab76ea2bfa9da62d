"""The one expected failure type.

A :class:`CigenError` is a usage or configuration problem (unreadable path, bad flag value,
invalid ``.cigen.yaml`` or runner inventory, unreachable GitLab API). The CLI turns it into a
one-line message and exit code 2. Problems *in the linted pipeline* are never exceptions: they are
:class:`cigen.diagnostics.Diagnostic` values.
"""

from __future__ import annotations


class CigenError(Exception):
    """A user-facing error: printed as one line, exit code 2."""

    exit_code = 2
