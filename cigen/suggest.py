""" "Did you mean ...?": the closest known name to a misspelt one (``difflib``)."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, choices: Iterable[str], *, cutoff: float = 0.75) -> str | None:
    """The known name most like ``word``, when one is close enough; never ``word`` itself.

    Case-only differences count as close (``Build`` for ``build``).
    """
    pool = set(choices)
    pool.discard(word)
    if not pool:
        return None
    lower = word.lower()
    same = [name for name in pool if name.lower() == lower]
    if same:
        return min(same)  # of names that differ in case only, the first in sorted order
    # difflib picks by score, then by the greater name: the order of the pool does not count
    reach = _within_reach(word, pool, cutoff)
    if not reach:
        return None
    import difflib

    found = difflib.get_close_matches(word, reach, n=1, cutoff=cutoff)
    return found[0] if found else None


def _within_reach(word: str, pool: Iterable[str], cutoff: float) -> list[str]:
    """The names of ``pool`` that pass the two quick bounds ``get_close_matches`` tries
    before measuring, computed as difflib does (``2 * matches / total length``) but cheaper:
    ``real_quick_ratio`` (the shorter length as matches) and ``quick_ratio`` (the characters
    the two have in common, with repeats), here counted by ``str.count`` per character of
    ``word`` rather than one character at a time, and only for names that pass a looser
    bound first: each character of ``word`` that the name has at all, with its repeats in
    ``word`` (never fewer than ``quick_ratio``'s matches), summed in C."""
    size = len(word)
    letters = set(word)
    counts = {char: word.count(char) for char in letters}
    repeats = counts.__getitem__
    out = []
    for name in pool:
        total = len(name) + size
        if 2.0 * min(len(name), size) / total < cutoff:
            continue
        if 2.0 * sum(map(repeats, letters.intersection(name))) / total < cutoff:
            continue
        matches = 0
        for char, count in counts.items():
            found = name.count(char)
            matches += found if found < count else count
        if 2.0 * matches / total >= cutoff:
            out.append(name)
    return out


def did_you_mean(word: str, choices: Iterable[str], *, cutoff: float = 0.75) -> str:
    """``" (did you mean 'x'?)"`` or ``""``, to append to a message."""
    match = closest(word, choices, cutoff=cutoff)
    return f" (did you mean {match!r}?)" if match is not None else ""
