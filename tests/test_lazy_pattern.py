"""cigen's own patterns declared with ``lazy_pattern`` compile on first use, once."""

from __future__ import annotations

import re
import subprocess
import sys

from cigen.regex import lazy_pattern


def test_a_lazy_pattern_compiles_once_with_its_flags() -> None:
    pattern = lazy_pattern(r"ab+", re.IGNORECASE)
    first = pattern()
    assert first is pattern()
    assert first.flags & re.IGNORECASE
    assert first.fullmatch("ABb")
    assert not first.fullmatch("ba")


def test_importing_the_config_model_compiles_no_date_pattern() -> None:
    """The ISO 8601 patterns (only a release's ``released_at`` needs them) are compiled by
    the first date checked, not at import."""
    code = (
        "import cigen.config.artifacts as a\n"
        "print(a._iso_ext.cache_info().currsize)\n"
        "print(a.iso8601_datetime('2024-01-31T10:00:00Z'))\n"
        "print(a._iso_ext.cache_info().currsize)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["0", "True", "1"]
