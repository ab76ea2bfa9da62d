""" "Did you mean ...?": the closest known name to a misspelt one (``difflib``)."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, choices: Iterable[str], *, cutoff: float = 0.75) -> str | None:
    """The known name most like ``word``, when one is close enough; never ``word`` itself.

    Case-only differences count as close (``Build`` for ``build``).
    """
    import difflib

    pool = sorted({c for c in choices if c != word})
    if not pool:
        return None
    folded = {c.lower(): c for c in reversed(pool)}
    if word.lower() in folded:
        return folded[word.lower()]
    found = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str], *, cutoff: float = 0.75) -> str:
    """``" (did you mean 'x'?)"`` or ``""``, to append to a message."""
    match = closest(word, choices, cutoff=cutoff)
    return f" (did you mean {match!r}?)" if match is not None else ""
