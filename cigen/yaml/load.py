"""Load YAML the way GitLab (Ruby Psych on libyaml, YAML 1.1) does, keeping every position.

Parsing is done by libyaml through PyYAML's C binding when it is available (the pure-Python
parser otherwise), at the event level; this module composes the events into plain Python data:

* mappings are :class:`YMap` (a ``dict``) with the position of every key and value,
* sequences are :class:`YSeq` (a ``list``) with the position of every item,
* ``!reference [a, b]`` is a :class:`Reference` (a ``YSeq`` of strings),
* scalars are ``str``, ``int``, ``float``, ``bool`` or ``None``, resolved with Psych's YAML 1.1
  rules (``yes``/``On``/``tRuE`` are booleans, ``0755`` is octal, ``1:30`` is 90, ...).

Why libyaml 0.2 and not ruamel.yaml's C extension: ruamel's clib bundles libyaml 0.1.7, whose
scanner rejects ``!reference [.a:b, rules]`` (a colon inside a flow plain scalar), which GitLab's
own pipeline uses hundreds of times; Psych links a current libyaml that accepts it. ruamel's
pure-Python round-trip loader accepts it but is about 35 times slower on GitLab's pipeline.

GitLab behaviours reproduced (``docs/gitlab-ci-semantics.md`` 2.2, 2.5):

* merge keys ``<<`` apply at their position in the mapping (keys written before ``<<`` are
  overwritten, keys after it win; in ``<<: [*a, *b]`` the earlier alias wins);
* duplicate keys: the last one wins (reported as a warning);
* a duplicate anchor redefines it for later aliases;
* unknown tags are ignored (reported as a warning); dates and timestamps are refused.

Bounds: files over :data:`MAX_BYTES`, nesting deeper than :data:`MAX_DEPTH`, and alias expansion
over :data:`MAX_EXPANDED_NODES` nodes end the load with a problem instead of running away.
"""

from __future__ import annotations

import _thread
import re
from collections.abc import Sequence
from typing import Any, cast

import yaml

from cigen.diagnostics import Mark
from cigen.records import dataclass, field
from cigen.regex import lazy_pattern
from cigen.yaml.directives import Directive
from cigen.yaml.directives import scan as scan_directives

#: GitLab's default ``max_yaml_size_bytes`` (docs: instance limits).
MAX_BYTES = 2 * 1024 * 1024
#: GitLab's default ``max_yaml_depth``.
MAX_DEPTH = 100
#: Budget for aliases expanded in one file ("billion laughs").
MAX_EXPANDED_NODES = 2_000_000

_Loader: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


class YMap(dict[str, Any]):
    """A mapping that remembers where each key and value was written."""

    __slots__ = ("kmarks", "mark", "rawkeys", "vmarks")

    def __init__(self, mark: Mark) -> None:
        self.mark = mark
        self.kmarks: dict[str, Mark] = {}
        self.vmarks: dict[str, Mark] = {}
        #: keys YAML typed as something else than a string (``10:``, ``true:``, ``~:``), by
        #: their text; ``None`` when every key is a string
        self.rawkeys: dict[str, Any] | None = None

    def put(self, key: str, value: Any, kmark: Mark, vmark: Mark) -> None:
        self[key] = value
        self.kmarks[key] = kmark
        self.vmarks[key] = vmark

    def put_all(self, other: YMap) -> None:
        """:meth:`put` every entry of ``other`` with its positions, as a loop over ``other``
        calling ``put(key, value, other.key_mark(key), other.value_mark(key))`` would."""
        if other.kmarks.keys() == other.keys() == other.vmarks.keys():
            self.update(other)  # every entry has its marks: copy the three tables whole
            self.kmarks.update(other.kmarks)
            self.vmarks.update(other.vmarks)
            return
        for key, value in other.items():
            self.put(key, value, other.key_mark(key), other.value_mark(key))

    def key_mark(self, key: str) -> Mark:
        return self.kmarks.get(key, self.mark)

    def value_mark(self, key: str) -> Mark:
        vmarks = self.vmarks
        if key in vmarks:  # two lookups, each cheaper than a call of ``get``
            mark = vmarks[key]
            if mark is not None:
                return mark
        return self.kmarks.get(key, self.mark)

    def typed_key(self, key: str) -> tuple[bool, Any]:
        """``(True, key)`` for a string key; ``(False, value)`` for a key YAML typed as a
        number, a boolean or null."""
        if self.rawkeys is not None and key in self.rawkeys:
            return False, self.rawkeys[key]
        return True, key


class YSeq(list[Any]):
    """A sequence that remembers where each item was written."""

    __slots__ = ("imarks", "mark")

    def __init__(self, mark: Mark) -> None:
        self.mark = mark
        self.imarks: list[Mark] = []

    def push(self, value: Any, mark: Mark) -> None:
        self.append(value)
        self.imarks.append(mark)

    def push_all(self, other: YSeq) -> None:
        """:meth:`push` every item of ``other`` with its position (``other.item_mark``)."""
        if len(other.imarks) == len(other):
            self.extend(other)
            self.imarks.extend(other.imarks)
            return
        for index, value in enumerate(other):
            self.push(value, other.item_mark(index))

    def item_mark(self, index: int) -> Mark:
        if 0 <= index < len(self.imarks):
            return self.imarks[index]
        return self.mark


class Reference(YSeq):
    """A ``!reference [key, subkey, ...]`` tag: the path of strings to look up."""

    __slots__ = ()

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(str(part) for part in self)

    def text(self) -> str:
        return "!reference [" + ", ".join(self.path) + "]"


class InvalidReference(Reference):
    """``!reference`` on a scalar or a mapping (``written``: the text or the mapping). GitLab
    refuses it once it resolves references (``Tags::Base#resolve``: "... is not valid")."""

    __slots__ = ("written",)

    def __init__(self, mark: Mark, written: Any) -> None:
        super().__init__(mark)
        self.written = written

    def text(self) -> str:
        if isinstance(self.written, str):
            return f"!reference {self.written}".rstrip()
        return "!reference {...}"


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """Something wrong in the YAML itself; ``fatal`` problems mean no data was produced."""

    kind: str  # "syntax", "duplicate-key", "unknown-tag"
    mark: Mark
    message: str
    fatal: bool = False


@dataclass(frozen=True)
class Loaded:
    """One file: its optional ``spec:`` header and its configuration body."""

    path: str
    header: YMap | None
    body: Any
    problems: tuple[LoadProblem, ...] = field(default=())
    directives: tuple[Directive, ...] = field(default=())  # ``# cigen: ignore[...]`` comments
    text: str = field(default="", repr=False, compare=False)  # the decoded text, when parsed

    @property
    def ok(self) -> bool:
        return not any(p.fatal for p in self.problems)


# --- Psych's YAML 1.1 scalar resolution (lib/psych/scalar_scanner.rb) -------------------------

_NULL_WORDS = frozenset({"~", "null"})
_TRUE_WORDS = frozenset({"yes", "true", "on"})
_FALSE_WORDS = frozenset({"no", "false", "off"})
# Psych's patterns, compiled when first needed: most plain scalars are settled by the
# shortcuts in :func:`resolve_plain` without them.
_NULL = lazy_pattern(r"^(?:~|null)$", re.IGNORECASE)
_BOOL_TRUE = lazy_pattern(r"^(?:yes|true|on)$", re.IGNORECASE)
_BOOL_FALSE = lazy_pattern(r"^(?:no|false|off)$", re.IGNORECASE)
_INT = lazy_pattern(
    r"^(?:[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)"
    r"|[-+]?0x[0-9a-fA-F_,]+)$"
)
_BASE60_INT = lazy_pattern(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$")
_FLOAT = lazy_pattern(r"^(?:[-+]?(?:[0-9][0-9_,]*)?\.[0-9]*(?:[eE][-+][0-9]+)?)$")
_BASE60_FLOAT = lazy_pattern(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$")
_INF = lazy_pattern(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = lazy_pattern(r"^\.(?:nan|NaN|NAN)$")
_DATE = lazy_pattern(r"^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$")
_TIME = lazy_pattern(
    r"^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$"
)
#: Every character the number patterns above can match (``$`` also matches before a final
#: newline): a text with another one is no number. The letters are those of ``0x``, ``0b``,
#: hexadecimal digits, exponents, ``.inf`` and ``.nan``: a number with one has ``0x``, ``0b``
#: or ``.`` in it.
_NUMBER_CHARS = frozenset("0123456789_,.:+-xbeEiInNfFaAcCdDB\n")
_DIGITS_CHARS = frozenset("0123456789_,.:+-\n")
_OCTAL_DIGITS = frozenset("01234567")


class _DateScalar(Exception):
    pass


def _base60(text: str) -> float:
    sign = -1 if text.startswith("-") else 1
    total = 0.0
    for part in text.lstrip("+-").split(":"):
        total = total * 60 + float(part.replace("_", ""))
    return sign * total


def resolve_plain(text: str) -> Any:
    """The value Psych gives a plain (unquoted, untagged) scalar."""
    if not text:
        return None
    first = text[0]
    if first not in "~nNyYtToOfF0123456789+-.":
        return text
    if first in "~nNyYtToOfF":
        # only null and the booleans start so; ASCII text without a final newline can be
        # compared as lowercase words (the regexes' IGNORECASE and ``$`` say more otherwise)
        if text.isascii() and text[-1] != "\n":
            word = text.lower()
            if word in _NULL_WORDS:
                return None
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
                return False
            return text
        if _NULL().match(text):
            return None
        if _BOOL_TRUE().match(text):
            return True
        if _BOOL_FALSE().match(text):
            return False
        return text
    # a number, date or time has a digit first, after at most a sign, or is ``.5``, ``.e+1``,
    # ``.inf``, ``.nan``: ``.rules:x``, ``./run.sh``, ``--force`` are text (no pattern below
    # can match them)
    if first in ".+-" and text[1:2] not in (
        "0123456789eEiInN\n" if first == "." else "0123456789."
    ):
        return text
    # a date or a time starts with a four-digit year and a dash (``-2024-`` for a time)
    if (
        (text[4:5] == "-" and text[:4].isdigit()) or (text[5:6] == "-" and text[1:5].isdigit())
    ) and (_DATE().match(text) or _TIME().match(text)):
        raise _DateScalar(text)
    if not _DIGITS_CHARS.issuperset(text) and (
        not _NUMBER_CHARS.issuperset(text)
        or ("0x" not in text and "0b" not in text and "." not in text)
    ):
        return text  # ``31d``, ``1 day``, ``4Gi``
    if text.isdigit() and (first != "0" or len(text) == 1):
        return int(text)  # what the decimal branch of _INT gives, the common case
    if _INT().match(text):
        digits = text.replace("_", "").replace(",", "")
        try:
            return int(digits, 8) if _octal(digits) else int(digits, 0)
        except ValueError:
            return text
    if _BASE60_INT().match(text):
        return int(_base60(text))
    if _FLOAT().match(text) and text not in (".", "+.", "-."):
        try:
            return float(text.replace("_", "").replace(",", ""))
        except ValueError:
            return text
    if _BASE60_FLOAT().match(text):
        return _base60(text)
    if _INF().match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN().match(text):
        return float("nan")
    return text


def _octal(digits: str) -> bool:
    """Whether ``digits`` start as an octal number (``[-+]?0[0-7]``)."""
    if digits[:1] in ("-", "+"):
        digits = digits[1:]
    return digits[:1] == "0" and digits[1:2] in _OCTAL_DIGITS


_CORE = "tag:yaml.org,2002:"


def _resolve_scalar(tag: str, text: str, plain: bool) -> Any:
    """The value of a scalar written with ``tag`` (the core schema's tags, ``!`` and unknown
    tags; ``!reference`` is the composer's)."""
    if tag == "!":
        return text
    if tag == _CORE + "str":
        return text
    if tag == _CORE + "null":
        return None
    if tag == _CORE + "bool":
        return bool(_BOOL_TRUE().match(text))
    if tag == _CORE + "int":
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return text
    if tag == _CORE + "float":
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return resolve_plain(text) if plain else text


# --- events -----------------------------------------------------------------------------------
# PyYAML's C parser makes each event an instance of a class of :mod:`yaml.events`, whose Python
# ``__init__`` stores every field in the instance's ``__dict__``: about a third of what getting
# the events costs. It finds those classes by name in its module's globals when it makes an
# event, so while the composer reads a file they are the classes below: exceptions' C
# constructor keeps the same positional arguments as a tuple (``args``), for a fraction of the
# cost. The composer reads the fields from ``args``, in the parser's order:
#
# * ``_Scalar``: anchor, tag, implicit, value, start mark, end mark, style
# * ``_MapStart``, ``_SeqStart``: anchor, tag, implicit, start mark, end mark, flow style
# * ``_Alias``: anchor, start mark, end mark
# * ``_DocStart``: start mark, end mark, explicit, version, tags
# * the others: start mark, end mark, ...
#
# A parser that makes :mod:`yaml.events` instances all the same (the pure-Python one, or a C
# parser that no longer looks its classes up so) has them converted (:func:`_converted`).
# One composition swaps them at a time (``_EVENTS_LOCK``); cigen has no other reader of
# PyYAML's events (code reading them in another thread meanwhile would get these classes).


class _Event(BaseException):
    __slots__ = ()


class _StreamStart(_Event):
    __slots__ = ()


class _StreamEnd(_Event):
    __slots__ = ()


class _DocStart(_Event):
    __slots__ = ()


class _DocEnd(_Event):
    __slots__ = ()


class _Alias(_Event):
    __slots__ = ()


class _Scalar(_Event):
    __slots__ = ()


class _SeqStart(_Event):
    __slots__ = ()


class _SeqEnd(_Event):
    __slots__ = ()


class _MapStart(_Event):
    __slots__ = ()


class _MapEnd(_Event):
    __slots__ = ()


#: The parser module's global names of the event classes, with the classes the composer reads.
_EVENT_CLASSES: dict[str, type[_Event]] = {
    "StreamStartEvent": _StreamStart,
    "StreamEndEvent": _StreamEnd,
    "DocumentStartEvent": _DocStart,
    "DocumentEndEvent": _DocEnd,
    "AliasEvent": _Alias,
    "ScalarEvent": _Scalar,
    "SequenceStartEvent": _SeqStart,
    "SequenceEndEvent": _SeqEnd,
    "MappingStartEvent": _MapStart,
    "MappingEndEvent": _MapEnd,
}
#: The fields of each :mod:`yaml.events` class in the order of ``args`` above.
_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "StreamStartEvent": ("start_mark", "end_mark", "encoding"),
    "StreamEndEvent": ("start_mark", "end_mark"),
    "DocumentStartEvent": ("start_mark", "end_mark", "explicit", "version", "tags"),
    "DocumentEndEvent": ("start_mark", "end_mark", "explicit"),
    "AliasEvent": ("anchor", "start_mark", "end_mark"),
    "ScalarEvent": ("anchor", "tag", "implicit", "value", "start_mark", "end_mark", "style"),
    "SequenceStartEvent": ("anchor", "tag", "implicit", "start_mark", "end_mark", "flow_style"),
    "SequenceEndEvent": ("start_mark", "end_mark"),
    "MappingStartEvent": ("anchor", "tag", "implicit", "start_mark", "end_mark", "flow_style"),
    "MappingEndEvent": ("start_mark", "end_mark"),
}


#: Held while the parser makes the composer's event classes (:meth:`_Composer.documents`).
_EVENTS_LOCK = _thread.allocate_lock()


def _parser_globals() -> dict[str, Any] | None:
    """The globals the C parser looks its event classes up in (None without it)."""
    module = getattr(_Loader, "__module__", "")
    if module == "yaml.cyaml":
        import sys

        parser = sys.modules.get("yaml._yaml")
        if parser is not None and all(name in vars(parser) for name in _EVENT_CLASSES):
            return vars(parser)
    return None


def _converted(get_event: Any) -> Any:
    """``get_event`` for a parser that makes :mod:`yaml.events` instances: each converted."""

    def next_event() -> _Event:
        event = get_event()
        name = event.__class__.__name__
        return _EVENT_CLASSES[name](*(getattr(event, f) for f in _EVENT_FIELDS[name]))

    return next_event


# --- composition ------------------------------------------------------------------------------


class _Abort(Exception):
    def __init__(self, problem: LoadProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


#: First characters of the plain scalars Psych may read as something else than a string.
_SPECIAL = frozenset("~nNyYtToOfF0123456789+-.")
# a position the parser reports is never before line 1, column 1: the composer builds its
# marks without :class:`Mark`'s check (the same value, about a third cheaper per event)
_new_mark = Mark.__new__
_set_path = cast(Any, Mark).path.__set__
_set_line = cast(Any, Mark).line.__set__
_set_col = cast(Any, Mark).col.__set__


def _bad_key(mark: Mark) -> _Abort:
    return _Abort(
        LoadProblem(
            "syntax",
            mark,
            "a mapping key must be a plain value, not a mapping or a list",
            fatal=True,
        )
    )


class _Composer:
    """Composes libyaml's events into :class:`YMap`/:class:`YSeq` values, recursively: one
    call per collection (at most :data:`MAX_DEPTH` deep), its state in local variables, and
    an inlined path for the untagged, unanchored scalars that most events are."""

    def __init__(self, path: str, text: str, comments: Sequence[int] = ()) -> None:
        self.path = path
        self.text = text
        self.comments = comments  # sorted offsets of ``# cigen:`` directives, usually none
        self.in_scalar: set[int] = set()  # those that turned out to be scalar text
        self.problems: list[LoadProblem] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.expanded = 0
        self.next_event: Any = None
        #: the values of the plain scalars :func:`resolve_plain` was asked about, by their text
        self.resolved: dict[str, Any] = {}

    def mark(self, ymark: Any) -> Mark:
        mark = _new_mark(Mark)
        _set_path(mark, self.path)
        _set_line(mark, ymark.line + 1)
        _set_col(mark, ymark.column + 1)
        return mark

    def _text_directives(self, start: Any, end: Any) -> None:
        """Directive offsets inside a quoted or block scalar's span are its text."""
        from bisect import bisect_left

        index = bisect_left(self.comments, start.index)
        while index < len(self.comments) and self.comments[index] < end.index:
            self.in_scalar.add(self.comments[index])
            index += 1

    def documents(self) -> list[tuple[Any, Mark]]:
        """Each document's value and position. One thread at a time: the parser's event
        classes are those of the composer until it is done (``cigen scan`` lints projects in
        threads)."""
        with _EVENTS_LOCK:
            return self._documents()

    def _documents(self) -> list[tuple[Any, Mark]]:
        parser = _parser_globals()
        saved = {name: parser[name] for name in _EVENT_CLASSES} if parser is not None else {}
        if parser is not None:
            parser.update(_EVENT_CLASSES)
        loader = _Loader(self.text)
        try:
            get_event = loader.get_event
            if get_event().__class__ is not _StreamStart:
                get_event = _converted(get_event)
            self.next_event = get_event
            docs: list[tuple[Any, Mark]] = []
            while True:
                event = get_event()
                kind = type(event)
                if kind is _StreamEnd:
                    return docs
                if kind is _DocStart:
                    self.anchors = {}
                    start = self.mark(event.args[0])
                    docs.append((self.node(get_event(), 0)[0], start))
                    get_event()  # the document's end
        finally:
            loader.dispose()
            if parser is not None:
                parser.update(saved)

    def node(self, event: Any, depth: int) -> tuple[Any, Mark, int]:
        """``(value, position, node count)`` of the node ``event`` starts, ``depth``
        collections deep; the count includes what aliases in it expand to."""
        kind = type(event)
        if kind is _MapStart:
            return self.mapping(event, depth)
        if kind is _SeqStart:
            return self.sequence(event, depth)
        if kind is _Scalar:
            return (*self.scalar(*event.args), 1)
        if kind is not _Alias:  # pragma: no cover - the parser emits nothing else in a document
            mark = self.mark(event.args[0])
            raise _Abort(LoadProblem("syntax", mark, "unexpected YAML event", fatal=True))
        anchor, start, _ = event.args
        return self.alias(anchor, self.mark(start))

    def plain(self, text: str, mark: Mark) -> Any:
        """:func:`resolve_plain`, a date ending the load."""
        try:
            value = self.resolved[text] = resolve_plain(text)
        except _DateScalar:
            raise _Abort(
                LoadProblem(
                    "syntax",
                    mark,
                    f"the unquoted date {text!r} makes GitLab refuse the whole "
                    "file (Tried to load unspecified class: Date); quote it",
                    fatal=True,
                )
            ) from None
        return value

    def scalar(
        self, anchor: Any, tag: Any, implicit: Any, text: str, start: Any, end: Any, style: Any
    ) -> tuple[Any, Mark]:
        """A scalar event's value and position (its fields in the parser's order)."""
        mark = self.mark(start)
        if self.comments and style:
            self._text_directives(start, end)
        if tag is not None and tag != "!" and tag != "!reference" and not tag.startswith(_CORE):
            self.problems.append(
                LoadProblem(
                    "unknown-tag",
                    mark,
                    f"unknown YAML tag {tag!r} is ignored by GitLab; "
                    "quote the value if the '!' is part of it",
                )
            )
        value: Any
        if tag is None:
            value = text if style else self.plain(text, mark)
        elif tag == "!reference":
            value = InvalidReference(mark, text)
        else:
            try:
                value = _resolve_scalar(tag, text, not style)
            except _DateScalar:
                value = self.plain(text, mark)  # raises the same refusal
        if anchor:
            self.anchors[anchor] = (value, 1)
        return value, mark

    def alias(self, anchor: str, mark: Mark) -> tuple[Any, Mark, int]:
        if anchor not in self.anchors:
            raise _Abort(
                LoadProblem("syntax", mark, f"found undefined alias {anchor!r}", fatal=True)
            )
        value, size = self.anchors[anchor]
        self.expanded += size
        if self.expanded > MAX_EXPANDED_NODES:
            raise _Abort(
                LoadProblem(
                    "syntax",
                    mark,
                    "aliases expand to more than "
                    f"{MAX_EXPANDED_NODES:,} nodes (an alias bomb?); "
                    "reduce the alias nesting",
                    fatal=True,
                )
            )
        return value, mark, size

    def check(self, tag: Any, mark: Mark, depth: int) -> None:
        """Refuse a collection nested too deeply; report an unknown tag on one."""
        if depth >= MAX_DEPTH:
            raise _Abort(
                LoadProblem(
                    "syntax",
                    mark,
                    f"nesting is deeper than GitLab's limit of {MAX_DEPTH} levels",
                    fatal=True,
                )
            )
        if tag not in (None, "!", "!reference") and not tag.startswith(_CORE):
            self.problems.append(
                LoadProblem("unknown-tag", mark, f"unknown YAML tag {tag!r} is ignored by GitLab")
            )

    def sequence(self, event: Any, depth: int) -> tuple[Any, Mark, int]:
        anchor, tag, _, start, _, _ = event.args
        path = self.path
        mark = _new_mark(Mark)
        _set_path(mark, path)
        _set_line(mark, start.line + 1)
        _set_col(mark, start.column + 1)
        if tag is not None or depth >= MAX_DEPTH:
            self.check(tag, mark, depth)
        node = Reference(mark) if tag == "!reference" else YSeq(mark)
        next_event, comments, resolved = self.next_event, self.comments, self.resolved
        push, push_mark = node.append, node.imarks.append
        size = 1
        depth += 1
        while True:
            event = next_event()
            kind = type(event)
            if kind is _Scalar:
                item_anchor, tag, _, text, start, end, style = event.args
                if tag is None and item_anchor is None:
                    item_mark = _new_mark(Mark)
                    _set_path(item_mark, path)
                    _set_line(item_mark, start.line + 1)
                    _set_col(item_mark, start.column + 1)
                    if style:
                        if comments:
                            self._text_directives(start, end)
                        value: Any = text
                    elif text and text[0] not in _SPECIAL:
                        value = text
                    elif text in resolved:
                        value = resolved[text]
                    else:
                        value = self.plain(text, item_mark)
                else:
                    value, item_mark = self.scalar(item_anchor, tag, _, text, start, end, style)
                size += 1
            elif kind is _SeqEnd:
                break
            elif kind is _MapStart:
                value, item_mark, count = self.mapping(event, depth)
                size += count
            elif kind is _SeqStart:
                value, item_mark, count = self.sequence(event, depth)
                size += count
            else:
                value, item_mark, count = self.node(event, depth)
                size += count
            push(value)
            push_mark(item_mark)
        if anchor:
            self.anchors[anchor] = (node, size)
        return node, mark, size

    def mapping(self, event: Any, depth: int) -> tuple[Any, Mark, int]:
        anchor, tag, _, start, _, _ = event.args
        path = self.path
        mark = _new_mark(Mark)
        _set_path(mark, path)
        _set_line(mark, start.line + 1)
        _set_col(mark, start.column + 1)
        if tag is not None or depth >= MAX_DEPTH:
            self.check(tag, mark, depth)
        node = YMap(mark)
        next_event, comments, resolved = self.next_event, self.comments, self.resolved
        kmarks, vmarks = node.kmarks, node.vmarks
        #: keys YAML typed as something else than a string, by their text
        rawkeys: dict[str, Any] | None = None
        #: the keys written in it so far, at their last position, once a merge brought other
        #: keys in (until then, ``kmarks`` holds exactly these)
        explicit: dict[str, Mark] | None = None
        duplicates: list[LoadProblem] = []
        key: Any
        value: Any
        size = 1
        depth += 1
        while True:
            # the key
            event = next_event()
            kind = type(event)
            if kind is _Scalar:
                item_anchor, item_tag, _, key, start, end, style = event.args
                if item_tag is None and item_anchor is None:
                    kmark = _new_mark(Mark)
                    _set_path(kmark, path)
                    _set_line(kmark, start.line + 1)
                    _set_col(kmark, start.column + 1)
                    if not style:
                        if not key or key[0] in _SPECIAL:
                            key = resolved[key] if key in resolved else self.plain(key, kmark)
                    elif comments:
                        self._text_directives(start, end)
                else:
                    key, kmark = self.scalar(item_anchor, item_tag, _, key, start, end, style)
                    if isinstance(key, YSeq):  # ``!reference``
                        raise _bad_key(kmark)
                size += 1
            elif kind is _MapEnd:
                break
            else:
                key, kmark, count = self.node(event, depth)
                if isinstance(key, (YMap, YSeq)):
                    raise _bad_key(kmark)
                size += count
            # its value
            event = next_event()
            kind = type(event)
            if kind is _Scalar:
                item_anchor, item_tag, _, value, start, end, style = event.args
                if item_tag is None and item_anchor is None:
                    vmark = _new_mark(Mark)
                    _set_path(vmark, path)
                    _set_line(vmark, start.line + 1)
                    _set_col(vmark, start.column + 1)
                    if not style:
                        if not value or value[0] in _SPECIAL:
                            value = (
                                resolved[value] if value in resolved else self.plain(value, vmark)
                            )
                    elif comments:
                        self._text_directives(start, end)
                else:
                    value, vmark = self.scalar(item_anchor, item_tag, _, value, start, end, style)
                size += 1
            else:
                if kind is _MapStart:
                    value, vmark, count = self.mapping(event, depth)
                elif kind is _SeqStart:
                    value, vmark, count = self.sequence(event, depth)
                else:
                    value, vmark, count = self.node(event, depth)
                size += count
                if key == "<<" and _merges(value):
                    if explicit is None:
                        explicit = dict(kmarks)
                    if rawkeys is not None:
                        rawkeys.pop("<<", None)
                    # entries take effect in the order they are written: a merge overwrites
                    # the keys before it, the keys after it win over what it brought
                    for source in [value] if isinstance(value, YMap) else reversed(value):
                        node.put_all(source)
                    continue
            if type(key) is str:
                text = key
                if rawkeys is not None:
                    rawkeys.pop(text, None)  # the last of duplicate keys wins
            else:
                text = _key_text(key)
                if rawkeys is None:
                    rawkeys = {}
                rawkeys[text] = key
            if text in kmarks:
                first = kmarks[text] if explicit is None else explicit.get(text)
                if first is not None:
                    duplicates.append(
                        LoadProblem(
                            "duplicate-key",
                            kmark,
                            f"duplicate key {text!r} (first at line {first.line}); GitLab "
                            "keeps only this last value: remove or rename one of them",
                        )
                    )
            if explicit is not None:
                explicit[text] = kmark
            node[text] = value
            kmarks[text] = kmark
            vmarks[text] = vmark
        node.rawkeys = rawkeys
        if duplicates:
            self.problems.extend(duplicates)
        result = InvalidReference(mark, node) if tag == "!reference" else node
        if anchor:
            self.anchors[anchor] = (result, size)
        return result, mark, size


def _merges(value: Any) -> bool:
    """Whether ``<<: value`` is a merge: a mapping, or a list of mappings."""
    return isinstance(value, YMap) or (
        isinstance(value, YSeq) and all(isinstance(v, YMap) for v in value)
    )


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return ""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _decode(path: str, data: bytes) -> tuple[str | None, LoadProblem | None]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, LoadProblem(
            "syntax",
            Mark(path, line, col),
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
            fatal=True,
        )


def _error_problem(path: str, exc: yaml.YAMLError, text: str = "") -> LoadProblem:
    if isinstance(exc, yaml.reader.ReaderError):
        # an unacceptable character: the reader knows only its offset in the text
        before = text[: exc.position]
        line = before.count("\n") + 1
        col = exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return LoadProblem(
            "syntax",
            Mark(path, line, col),
            f"YAML syntax error: special character {char!r} (U+{ord(char):04X}) is not allowed "
            "in YAML; remove it or escape it in a double-quoted string",
            fatal=True,
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else str(problem)
    return LoadProblem("syntax", Mark(path, line, col), f"YAML syntax error: {text}", fatal=True)


def load_text(path: str, data: bytes | str, *, size: int | None = None) -> Loaded:
    """Parse one file's content into its header and body, never raising for bad input.

    ``size`` is the file's full size when only its beginning was read.
    """
    size = len(data) if size is None else size
    if size > MAX_BYTES:
        return Loaded(
            path,
            None,
            None,
            (
                LoadProblem(
                    "syntax",
                    Mark(path, 1, 1),
                    f"the file is {size:,} bytes, over GitLab's default limit of "
                    f"{MAX_BYTES:,} bytes for one CI file; split it with include:",
                    fatal=True,
                ),
            ),
        )
    if isinstance(data, bytes):
        text, problem = _decode(path, data)
        if problem is not None or text is None:
            return Loaded(path, None, None, (problem,) if problem else ())
    else:
        text = data.removeprefix("\ufeff")
    directives = scan_directives(path, text)
    composer = _Composer(path, text, [d.offset for d in directives])
    docs: list[tuple[Any, Mark]] = []
    try:
        docs = composer.documents()
    except _Abort as exc:
        return Loaded(path, None, None, (*composer.problems, exc.problem), directives)
    except yaml.YAMLError as exc:
        return Loaded(
            path, None, None, (*composer.problems, _error_problem(path, exc, text)), directives
        )
    except RecursionError:  # pragma: no cover - composition is iterative; parser is a C loop
        return Loaded(
            path,
            None,
            None,
            (LoadProblem("syntax", Mark(path, 1, 1), "the file nests too deeply", fatal=True),),
        )
    if composer.in_scalar:
        directives = tuple(d for d in directives if d.offset not in composer.in_scalar)
    problems = list(composer.problems)
    header: YMap | None = None
    body: Any = None
    if len(docs) == 1:
        body = docs[0][0]
    elif len(docs) == 2 and isinstance(docs[0][0], YMap) and "spec" in docs[0][0]:
        header, body = docs[0][0], docs[1][0]
        extra = [k for k in header if k != "spec"]
        if extra:
            problems.append(
                LoadProblem(
                    "syntax",
                    header.key_mark(extra[0]),
                    f"the header document may only contain spec:, found {extra[0]!r}",
                    fatal=True,
                )
            )
    elif len(docs) >= 2:
        problems.append(
            LoadProblem(
                "syntax",
                docs[1][1],
                "a CI file holds one YAML document, or a spec: header document followed by "
                "'---' and the configuration",
                fatal=True,
            )
        )
    return Loaded(path, header, body, tuple(problems), directives, text)


def scalar_text(value: Any) -> str:
    """A YAML scalar as GitLab (Ruby's ``to_s``) turns it into text: ``true``, ``""`` for null."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def to_plain(value: Any) -> Any:
    """Drop position bookkeeping: plain dicts and lists (``!reference`` becomes a list)."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value
