"""The composer of :mod:`cigen.yaml.load`: merge keys and duplicate keys with their positions,
and the event classes it has the C parser make while it reads a file (``load.py``, "events").

Psych's behaviours (GitLab reads CI YAML with Psych on libyaml, YAML 1.1): a merge key ``<<``
takes effect where it is written, an explicit key written again keeps the last value, and a
key a merge brought in is no duplicate (``docs/gitlab-ci-semantics.md`` 2.2, 2.5).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cigen.diagnostics import Mark
from cigen.yaml import load
from cigen.yaml.load import Loaded, YMap, YSeq, load_text


def _positions(value: Any, shared: dict[int, int]) -> Any:
    """Everything the loader gives about ``value``: types, values, every mark, typed keys,
    and which collections are one object (what aliases share)."""
    if isinstance(value, (dict, list)):
        if id(value) in shared:
            return ("same as", shared[id(value)])
        shared[id(value)] = len(shared)
    if isinstance(value, YMap):
        return (
            "map",
            value.mark,
            value.rawkeys,
            [
                (k, _positions(v, shared), value.kmarks.get(k), value.vmarks.get(k))
                for k, v in value.items()
            ],
        )
    if isinstance(value, YSeq):
        written = getattr(value, "written", None)
        return (
            type(value).__name__,
            value.mark,
            list(value.imarks),
            [_positions(v, shared) for v in value],
            _positions(written, shared) if written is not None else None,
        )
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__, value)


def _everything(loaded: Loaded) -> Any:
    shared: dict[int, int] = {}
    return (
        _positions(loaded.header, shared),
        _positions(loaded.body, shared),
        loaded.problems,
        loaded.directives,
    )


def _dups(loaded: Loaded) -> list[tuple[int, int, str]]:
    return [
        (p.mark.line, p.mark.col, p.message.split(";")[0])
        for p in loaded.problems
        if p.kind == "duplicate-key"
    ]


def test_keys_after_a_merge_win_and_merged_keys_are_no_duplicates() -> None:
    text = "a: 1\n<<: {a: 2, b: 3, c: 4}\nb: 5\na: 6\nc: 7\nc: 8\n"
    loaded = load_text("f.yml", text)
    body = loaded.body
    assert dict(body) == {"a": 6, "b": 5, "c": 8}
    assert body.key_mark("a") == Mark("f.yml", 4, 1)
    assert body.value_mark("a") == Mark("f.yml", 4, 4)
    assert body.key_mark("b") == Mark("f.yml", 3, 1)
    # ``a`` was written at line 1 (the merge's ``a`` is no written key); ``c`` first came in
    # by the merge, so only its second written occurrence is a duplicate
    assert _dups(loaded) == [
        (4, 1, "duplicate key 'a' (first at line 1)"),
        (6, 1, "duplicate key 'c' (first at line 5)"),
    ]


def test_a_merge_overwrites_the_keys_before_it_and_its_positions_come_along() -> None:
    text = "base: &b\n  x: 1\n  y: 2\njob:\n  x: 0\n  <<: *b\n  z: 3\n"
    body = load_text("f.yml", text).body
    job = body["job"]
    assert dict(job) == {"x": 1, "y": 2, "z": 3}
    assert job.key_mark("x") == Mark("f.yml", 2, 3)  # where the anchored mapping wrote it
    assert job.value_mark("y") == Mark("f.yml", 3, 6)
    assert job.key_mark("z") == Mark("f.yml", 7, 3)


def test_in_a_list_of_merges_the_earlier_one_wins() -> None:
    text = "a: &a {k: 1, m: 1}\nb: &b {k: 2, n: 2}\nc:\n  <<: [*a, *b]\n"
    c = load_text("f.yml", text).body["c"]
    assert dict(c) == {"k": 1, "n": 2, "m": 1}
    assert c.key_mark("k") == Mark("f.yml", 1, 8)


def test_duplicates_of_typed_keys_and_the_last_type_wins() -> None:
    text = "1: a\ntrue: b\n'1': c\n~: d\ntrue: e\n"
    loaded = load_text("f.yml", text)
    body = loaded.body
    assert dict(body) == {"1": "c", "true": "e", "": "d"}
    assert body.typed_key("1") == (True, "1")  # the quoted key came last
    assert body.typed_key("true") == (False, True)
    assert body.typed_key("") == (False, None)
    assert _dups(loaded) == [
        (3, 1, "duplicate key '1' (first at line 1)"),
        (5, 1, "duplicate key 'true' (first at line 2)"),
    ]


def test_a_scalar_merge_value_is_an_ordinary_key() -> None:
    loaded = load_text("f.yml", "<<: 1\n<<: *x\n")
    assert not loaded.ok  # the undefined alias ends the load
    loaded = load_text("f.yml", "<<: 1\nk: v\n<<: two\n")
    assert dict(loaded.body) == {"<<": "two", "k": "v"}
    assert _dups(loaded) == [(3, 1, "duplicate key '<<' (first at line 1)")]


def test_an_alias_of_a_scalar_is_a_key_and_typed_keys_stay_typed_around_a_merge() -> None:
    text = "k: &n 10\nm:\n  1: a\n  <<: {b: 2}\n  *n : c\n"
    loaded = load_text("f.yml", text)
    m = loaded.body["m"]
    assert dict(m) == {"1": "a", "b": 2, "10": "c"}
    assert m.typed_key("1") == (False, 1)
    assert m.typed_key("10") == (False, 10)
    assert m.typed_key("b") == (True, "b")
    assert m.key_mark("10") == Mark("f.yml", 5, 3)
    assert m.value_mark("10") == Mark("f.yml", 5, 8)
    assert loaded.problems == ()


@pytest.mark.parametrize(
    "text",
    [
        "? [a]\n: 1\n",
        "? {a: 1}\n: 1\n",
        "x: &s [1]\n*s : 1\n",
        "!reference [a] : 1\n",
        "!reference a : 1\n",
    ],
)
def test_a_collection_as_a_key_ends_the_load(text: str) -> None:
    loaded = load_text("f.yml", text)
    assert not loaded.ok
    assert loaded.problems[-1].message.startswith("a mapping key must be a plain value")


# --- the event classes ------------------------------------------------------------------------

_SCALARS = [
    "a",
    "1",
    "0755",
    "1:30",
    "yes",
    "~",
    "''",
    '"q # cigen: ignore[x]"',
    "2024",
    "2024-01-02",
    ".inf",
    "!!str 1",
    "!!int 0x1F",
    "!!bool on",
    "!!float 1",
    "!!null ''",
    "!custom v",
    "! x",
    "!reference [a, b]",
    "!reference a",
    "&A v",
    "&B 2",
    "*A",
    "*B",
    "*C",
    "[*A, *B]",
    "[a, 1, {q: 1}, [2]]",
    "{a: 1, b: yes}",
    "x # cigen: ignore[cig001]",
]
_KEYS = ["a", "b", "a", "<<", "1", "true", "~", "&K k", "''", "c", "!!str k"]


@st.composite
def _documents(draw: st.DrawFn) -> str:
    """Block YAML with anchors, aliases, merges, tags, duplicate keys and directives."""
    lines = ["p: &A {a: 1, b: [x, y]}", "q: &B {a: 3, c: 4}", "s: &C [1]"]

    def block(indent: int, kind: str, depth: int) -> None:
        for _ in range(draw(st.integers(1, 3))):
            lead = " " * indent + (draw(st.sampled_from(_KEYS)) + ": " if kind == "map" else "- ")
            nested = draw(st.sampled_from(["", "", "", "map", "seq", "&C map", "!reference seq"]))
            if nested and depth < 3:
                prefix, _, inner = nested.rpartition(" ")
                lines.append(lead + prefix)
                block(indent + 2, inner, depth + 1)
            else:
                lines.append(lead + draw(st.sampled_from(_SCALARS)))

    block(0, "map", 0)
    if draw(st.booleans()):
        lines = ["spec:", "  inputs: {a: 1}", "---", *lines]
    return "\n".join(lines) + "\n"


def _without_event_classes() -> Any:
    """``_parser_globals`` for a parser that keeps making :mod:`yaml.events` instances."""
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents())
def test_events_read_from_converted_parser_events_give_the_same_load(text: str) -> None:
    fast = load_text("f.yml", text)
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(load, "_parser_globals", _without_event_classes)
        converted = load_text("f.yml", text)
        mp.setattr(load, "_Loader", yaml.SafeLoader)  # the pure-Python parser
        pure = load_text("f.yml", text)
    finally:
        mp.undo()
    assert _everything(converted) == _everything(fast)
    if fast.ok:  # the two parsers word syntax errors differently
        assert _everything(pure) == _everything(fast)


def _parser_events(text: str) -> list[type]:
    return [event.__class__ for event in yaml.parse(text, Loader=yaml.CSafeLoader)]


@pytest.mark.parametrize(
    "text", ["a: [1, {b: 2}]\n", "a: [1\n", "a: *nowhere\n", "a: 2024-01-02\n", "- x\n- y\n"]
)
def test_the_parser_makes_its_own_event_classes_again_after_a_load(text: str) -> None:
    load_text("f.yml", text)
    events = _parser_events("a: [1, {b: 2}]\n")
    assert all(cls.__module__ == "yaml.events" for cls in events)
    assert events[0] is yaml.StreamStartEvent
    assert events[-1] is yaml.StreamEndEvent


def test_the_c_parser_makes_the_composers_event_classes() -> None:
    """If PyYAML's C parser stops finding its event classes in its module's globals, loads
    stay right (converted events) but lose the speed: this test says so."""
    parser = load._parser_globals()
    assert parser is not None
    saved = {name: parser[name] for name in load._EVENT_CLASSES}
    parser.update(load._EVENT_CLASSES)
    try:
        kinds = [e.__class__ for e in yaml.parse("a: [1]\n", Loader=yaml.CSafeLoader)]
    finally:
        parser.update(saved)
    assert kinds == [
        load._StreamStart,
        load._DocStart,
        load._MapStart,
        load._Scalar,
        load._SeqStart,
        load._Scalar,
        load._SeqEnd,
        load._MapEnd,
        load._DocEnd,
        load._StreamEnd,
    ]


def test_loads_in_threads_are_those_of_one_thread() -> None:
    """``cigen scan`` lints projects in threads: a load never sees the parser's own event
    classes come back while it composes, nor leaves the composer's in place."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    text = "a: [1, {b: 2, c: [x, y]}]\n" + "".join(f"k{i}: [v, {{w: {i}}}]\n" for i in range(200))
    alone = _everything(load_text("f.yml", text))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        with ThreadPoolExecutor(8) as pool:
            loads = list(pool.map(lambda _: load_text("f.yml", text), range(48)))
    finally:
        sys.setswitchinterval(interval)
    assert all(_everything(loaded) == alone for loaded in loads)
    assert all(cls.__module__ == "yaml.events" for cls in _parser_events("a: 1\n"))
