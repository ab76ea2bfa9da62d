"""Places of characters inside scalars (cigen/yaml/scalars.py), checked against the text."""

from __future__ import annotations

import pytest

from cigen.diagnostics import Mark
from cigen.yaml.load import YMap, YSeq, load_text
from cigen.yaml.scalars import SourceText, locate


def _first_item(text: str) -> tuple[SourceText, Mark, str]:
    loaded = load_text("f.yml", text)
    assert isinstance(loaded.body, YMap)
    items = loaded.body["s"]
    assert isinstance(items, YSeq)
    return SourceText(loaded.text), items.item_mark(0), items[0]


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        ("s:\n  - echo $X\n", "$X", (2, 10)),
        ("s:\n  - 'echo $X'\n", "$X", (2, 11)),
        ('s:\n  - "echo $X"\n', "$X", (2, 11)),
        ('s:\n  - "tab\\techo $X"\n', "$X", (2, 5)),  # an escape: the scalar's own mark
        ("s:\n  - |\n    one\n\n      two $X\n", "$X", (5, 11)),
        ("s:\n  - >\n    one\n    two $X\n", "$X", (2, 5)),  # folded: the scalar's mark
        ("s: [a $X]\n", "$X", (1, 7)),
    ],
    ids=["plain", "single", "double", "double-escape", "literal", "folded", "flow"],
)
def test_locate(text: str, needle: str, expected: tuple[int, int]) -> None:
    source, mark, value = _first_item(text)
    found = locate(source, mark, value, value.index(needle), len(needle))
    assert (found.line, found.col) == expected


def test_text_is_kept_only_when_parsed() -> None:
    assert load_text("f", "a: 1\n").text == "a: 1\n"
    assert load_text("f", "a: [\n").text == ""


def test_mark_past_the_end_is_returned_as_is() -> None:
    source = SourceText("a: 1\n")
    mark = Mark("f", 9, 1)
    assert locate(source, mark, "x", 0) is mark
