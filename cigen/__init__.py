"""cigen: write and check GitLab CI pipelines."""

from __future__ import annotations

__version__ = "0.1.0"
