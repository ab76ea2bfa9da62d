"""The entry framework: GitLab's validators and messages, at a position in the file.

GitLab validates a configuration with a tree of entry classes
(``lib/gitlab/config/entry/node.rb``, ``validatable.rb``, ``validators.rb``): each node checks
itself, and only a node without errors builds and checks its children. Every message is
``"#{location} #{Attribute} #{text}"`` lowercased (``Entry::Validator#messages``), where the
location is the path of keys (``jobs:rspec:cache``). Here an entry is a plain function
``entry(c, value, mark, loc)`` that appends :class:`ConfigError` values to a :class:`Check` and
returns its typed value (``None`` when invalid).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

from cigen.diagnostics import Mark
from cigen.records import dataclass, field
from cigen.regex import lazy_pattern
from cigen.variables import REFERENCE
from cigen.yaml.load import YMap, YSeq

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ConfigError:
    """One of GitLab's configuration errors: its exact text and where it is written."""

    message: str
    mark: Mark
    rule: str = "CIG002"  # the lint rule that reports it (cross-job checks have their own)
    where: str = ""  # the entry's location (``jobs:rspec:cache``), to tell which job it is in
    hint: str = ""  # what to do, shown after GitLab's message

    @property
    def text(self) -> str:
        """GitLab's message, then what to do."""
        return f"{self.message}; {self.hint}" if self.hint else self.message


@dataclass(slots=True)
class Check:
    """The errors and warnings of one validation run, in GitLab's order."""

    errors: list[ConfigError] = field(default_factory=list)
    warnings: list[ConfigError] = field(default_factory=list)
    #: what entries returned without adding an error or a warning, by the entry and the
    #: identity of the value and its position, shared by the checks of one run (:meth:`reuse`)
    memo: dict[Any, tuple[Any, ...]] | None = field(default=None, repr=False, compare=False)

    def reuse(
        self, entry: Callable[[Check, Any, Mark, str], T], value: Any, mark: Mark, loc: str
    ) -> T:
        """``entry(self, value, mark, loc)``, or what it returned before for this very value
        at this very position. Only a result that added nothing is kept: it then depends on
        the value and its position alone (no result holds ``loc``), so a job whose ``rules``
        or ``cache`` is the same object as another's (``extends``, ``!reference``, anchors)
        is checked once. The value is kept alive with the result, so its ``id`` stays its own."""
        memo = self.memo
        if memo is None or not isinstance(value, (dict, list)):
            return entry(self, value, mark, loc)
        key = (entry, id(value), id(mark))
        hit = memo.get(key)
        if hit is not None:
            return hit[0]  # type: ignore[no-any-return]
        errors, warnings = len(self.errors), len(self.warnings)
        found = entry(self, value, mark, loc)
        if len(self.errors) == errors and len(self.warnings) == warnings:
            memo[key] = (found, value, mark)
        return found

    def child(self) -> Check:
        """A new, empty check sharing this one's :attr:`memo`."""
        return Check(memo=self.memo)

    def add(
        self,
        loc: str,
        attribute: str,
        text: str,
        mark: Mark,
        *,
        hint: str = "",
        rule: str = "CIG002",
        where: str = "",
    ) -> None:
        """``errors.add(attribute, text)`` on the entry at ``loc``; ``hint`` says what to do,
        ``rule`` is the lint rule that reports it, ``where`` the location when not ``loc``."""
        error = ConfigError(message(loc, attribute, text), mark, rule, where or loc, hint)
        self.errors.append(error)

    def base(self, loc: str, text: str, mark: Mark, **options: str) -> None:
        """``errors.add(:base, text)``: the text without an attribute word."""
        self.add(loc, "base", text, mark, **options)

    def literal(self, loc: str, text: str, mark: Mark) -> None:
        """An error GitLab writes without its validator (``UnknownStrategy#errors``):
        ``"#{location} #{text}"``, not lowercased."""
        self.errors.append(ConfigError(f"{loc} {text}", mark, where=loc))

    def warn(self, loc: str, text: str, mark: Mark) -> None:
        """``add_warning(text)``: ``"#{location} #{text}"``, not lowercased."""
        self.warnings.append(ConfigError(f"{loc} {text}", mark))

    def extend(self, other: Check) -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)

    def mark_count(self) -> int:
        return len(self.errors)

    def failed_since(self, count: int) -> bool:
        return len(self.errors) > count


_FIX_JOB_NAME = lazy_pattern(r"jobs ([a-z\s]+) config should implement")


def humanize(attribute: str) -> str:
    """ActiveModel's ``human_attribute_name``: ``allow_failure`` -> ``Allow failure``."""
    if attribute == "base":
        return ""
    text = attribute.removesuffix("_id").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def message(loc: str, attribute: str, text: str) -> str:
    """GitLab's full message for ``errors.add(attribute, text)`` on the entry at ``loc``."""
    word = humanize(attribute)
    full = f"{word} {text}" if word else text
    out = f"{loc} {full}".lower()
    return _FIX_JOB_NAME().sub(
        lambda m: f"jobs {m.group(1).replace(' ', '_')} config should implement", out
    )


def location(parent: str, key: str) -> str:
    return f"{parent}:{key}" if parent else key


# --- Ruby's view of values -------------------------------------------------------------------


def is_hash(value: Any) -> bool:
    return isinstance(value, dict)


def is_array(value: Any) -> bool:
    return isinstance(value, list)


def is_string(value: Any) -> bool:
    """``validate_string``: a String or Symbol (YAML gives strings)."""
    return isinstance(value, str)


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


def is_alphanumeric(value: Any) -> bool:
    return is_string(value) or is_integer(value)


def is_scalar(value: Any) -> bool:
    """``ScalarValidator``: String, Symbol, Integer, Float, true or false."""
    return isinstance(value, (str, int, float))


def blank(value: Any) -> bool:
    """Ruby's ``blank?``: nil, false, empty or whitespace-only strings, empty collections."""
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return not value
    return False


def type_name(kind: type) -> str:
    """``TypeValidator``'s default message: ``should be a string`` / ``should be an integer``."""
    names = {str: "string", int: "integer", dict: "hash", list: "array", bool: "boolean"}
    name = names.get(kind, kind.__name__.lower())
    return f"should be {'an' if name[0] in 'aeiou' else 'a'} {name}"


def has_type(value: Any, kind: type) -> bool:
    if kind is int:
        return is_integer(value)
    if kind is str:
        return is_string(value)
    return isinstance(value, kind)


def is_array_of_strings(value: Any) -> bool:
    # isinstance over the items in C (no Python step per item)
    return isinstance(value, list) and all(map(isinstance, value, _STRINGS))


_STRINGS = itertools.repeat(str)  # endless: ``str`` for every item


def is_array_of_strings_or_string(value: Any) -> bool:
    return is_string(value) or is_array_of_strings(value)


def flatten(value: Any) -> list[Any]:
    """Ruby's ``Array(value).flatten``."""
    if not isinstance(value, list):
        return [value]
    out: list[Any] = []
    stack: list[Any] = [iter(value)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def nested_leaves(value: Any, max_level: int, kind: type) -> list[Any] | None:
    """``NestedArrayHelpers#validate_nested_array`` with a type check for leaves: the leaves
    of ``value`` in order (:func:`flatten`) when it is an array of ``kind`` values nested at
    most ``max_level`` deep; ``None`` when it is not."""
    if not isinstance(value, list):
        return None
    if all(map(isinstance, value, itertools.repeat(kind))):  # flat (the usual case), in C
        return list(value)
    out: list[Any] = []
    stack = [(iter(value), max_level - 1)]  # the items of a list, and the level they are at
    while stack:
        items, level = stack[-1]
        for item in items:
            if isinstance(item, kind):
                out.append(item)
            elif level > 0 and isinstance(item, list):
                stack.append((iter(item), level - 1))
                break
            else:
                return None
        else:
            stack.pop()
    return out


def flat_items(value: Any, mark: Mark) -> list[tuple[Any, Mark]]:
    """``[config].flatten`` (``ComposableArray``) with the position of each item."""
    if not isinstance(value, list):
        return [(value, mark)]
    out: list[tuple[Any, Mark]] = []
    _flat_items(value, mark, out)
    return out


def _flat_items(value: list[Any], mark: Mark, out: list[tuple[Any, Mark]]) -> None:
    marks = value.imarks if isinstance(value, YSeq) else ()
    if len(marks) < len(value):  # a plain list, or a sequence without every position
        marks = [item_mark(value, index, mark) for index in range(len(value))]
    for item, where in zip(value, marks, strict=False):  # imarks may run longer
        if isinstance(item, list):
            _flat_items(item, where, out)
        else:
            out.append((item, where))


def rule_list(
    c: Check, value: Any, mark: Mark, loc: str, item: Callable[[Check, Any, Mark, str], T | None]
) -> tuple[T, ...] | None:
    """A non-empty array of rules (``Entry::Rules``, ``Entry::Include::Rules``): nested arrays
    flattened, null items skipped (unspecified), each built by ``item`` at ``loc:rule``."""
    count = len(c.errors)
    if blank(value):
        c.add(loc, "config", "can't be blank", mark)
    if not isinstance(value, list):
        c.add(loc, "config", type_name(list), mark)
    if len(c.errors) > count:
        return None
    out: list[T] = []
    at = location(loc, "rule")
    for found, where in flat_items(value, mark):
        built = None if found is None else c.reuse(item, found, where, at)
        if built is not None:
            out.append(built)
    return None if len(c.errors) > count else tuple(out)


def ruby_length(value: Any) -> int:
    """What ActiveModel's ``LengthValidator`` measures: ``length``, else ``to_s.length``."""
    if isinstance(value, (str, list, dict)):
        return len(value)
    return len(ruby_text(value))


def keys_of(value: Any) -> list[str]:
    return [str(k) for k in value] if isinstance(value, dict) else []


def key_mark(value: Any, key: str, default: Mark) -> Mark:
    return value.key_mark(key) if isinstance(value, YMap) and key in value else default


def value_mark(value: Any, key: str, default: Mark) -> Mark:
    return value.value_mark(key) if isinstance(value, YMap) and key in value else default


def item_mark(value: Any, index: int, default: Mark) -> Mark:
    return value.item_mark(index) if isinstance(value, YSeq) else default


def ruby_text(value: Any) -> str:
    """How Ruby's ``to_s`` / string interpolation prints a YAML value in a message."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return "[" + ", ".join(ruby_inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        return ruby_inspect(value)
    return str(value)


def ruby_inspect(value: Any) -> str:
    """Ruby's ``inspect`` of a YAML value (keys are symbols after GitLab's deep_symbolize)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return ruby_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(ruby_inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_symbol(k)} {ruby_inspect(v)}" for k, v in value.items())
        return "{" + inner + "}"
    return str(value)


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f", "\v": "\\v", "\a": "\\a"}
_ESCAPES.update({"\b": "\\b", "\x1b": "\\e", '"': '\\"', "\\": "\\\\"})


def ruby_string(text: str) -> str:
    """Ruby's ``String#inspect``: quoted, with Ruby's escapes (``\\n``, ``\\e``, ``\\#{``)."""
    out = []
    for index, char in enumerate(text):
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == "#" and text[index + 1 : index + 2] in ("{", "$", "@"):
            out.append("\\#")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _symbol(key: Any) -> str:
    text = str(key)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*[?!]?", text):
        return f"{text}:"
    return f'"{text}":'


# --- key validators (validators.rb) -----------------------------------------------------------


def allowed_keys(
    c: Check, loc: str, value: Any, allowed: Collection[str], mark: Mark, attribute: str = "config"
) -> bool:
    """``AllowedKeysValidator``: ``contains unknown keys: a, b`` at the first unknown key.
    ``allowed``: a frozenset when it is long."""
    if not isinstance(value, dict):
        return True
    if isinstance(allowed, frozenset) and value.keys() <= allowed:
        return True
    unknown = [k for k in value if k not in allowed]  # the keys are strings: keys_of's text
    if unknown:
        unknown = [k for k in keys_of(value) if k not in allowed]
        c.add(
            loc,
            attribute,
            "contains unknown keys: " + ", ".join(unknown),
            key_mark(value, unknown[0], mark),
        )
        return False
    return True


def disallowed_keys(
    c: Check,
    loc: str,
    value: Any,
    keys: Sequence[str],
    mark: Mark,
    text: str = "contains disallowed keys",
    *,
    ignore_nil: bool = False,
    **options: str,
) -> bool:
    """``DisallowedKeysValidator``: the present keys of ``keys``, in the configuration's order."""
    if not isinstance(value, dict):
        return True
    present = [k for k in value if k in keys and not (ignore_nil and value[k] is None)]
    if present:
        where = key_mark(value, present[0], mark)
        c.add(loc, "config", f"{text}: " + ", ".join(present), where, **options)
        return False
    return True


def required_keys(c: Check, loc: str, value: Any, keys: Sequence[str], mark: Mark) -> bool:
    """``RequiredKeysValidator``: ``missing required keys: a, b``."""
    present = keys_of(value)
    missing = [k for k in keys if k not in present]
    if missing:
        c.add(loc, "config", "missing required keys: " + ", ".join(missing), mark)
        return False
    return True


def only_one_of_keys(c: Check, loc: str, value: Any, keys: Sequence[str], mark: Mark) -> bool:
    """``OnlyOneOfKeysValidator``: exactly one of ``keys`` is present."""
    present = keys_of(value)
    if sum(1 for k in keys if k in present) != 1:
        c.add(loc, "config", "must use exactly one of these keys: " + ", ".join(keys), mark)
        return False
    return True


def mutually_exclusive_keys(
    c: Check, loc: str, value: Any, keys: Sequence[str], mark: Mark, **options: str
) -> bool:
    """``MutuallyExclusiveKeysValidator``: the present keys, in the configuration's order."""
    if not isinstance(value, dict) or len([k for k in keys if k in value]) < 2:
        return True
    present = [k for k in keys_of(value) if k in keys]  # in the configuration's order
    c.add(
        loc,
        "config",
        "these keys cannot be used together: " + ", ".join(present),
        key_mark(value, present[1], mark),
        **options,
    )
    return False


# --- durations (ChronicDuration, as GitLab configures it: unknown words are errors) ------------

_UNITS: dict[str, float] = {}
for _names, _seconds in (
    (("seconds", "second", "secs", "sec", "s"), 1.0),
    (("minutes", "minute", "mins", "min", "m"), 60.0),
    (("hours", "hour", "hrs", "hr", "h"), 3600.0),
    (("days", "day", "dy", "d"), 86400.0),
    (("weeks", "week", "wks", "wk", "w"), 604800.0),
    (("months", "month", "mos", "mo"), 2592000.0),
    (("years", "year", "yrs", "yr", "y"), 31557600.0),
):
    for _name in _names:
        _UNITS[_name] = _seconds
_JOIN_WORDS = frozenset({"and", "with", "plus"})
_NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "ninety": "90",
    "a": "1",
    "an": "1",
}
_FLOAT = lazy_pattern(r"[0-9]*\.?[0-9]+")
_COLON = lazy_pattern(r"^[0-9]*\.?[0-9]+(?::[0-9]*\.?[0-9]+)+$")
_CHRONO = ("seconds", "minutes", "hours", "days", "months", "years")
MAX_DURATION_TEXT = 1000


def parse_duration(text: str) -> float | None:
    """Seconds in ``text`` as ``ChronicDuration.parse`` reads it, or ``None`` when it is not a
    duration (an unknown word, or a total of zero)."""
    if len(text) > MAX_DURATION_TEXT:
        return None
    res = text.lower()
    res = " ".join(_NUMBER_WORDS.get(w, w) for w in res.split(" "))
    compact = res.replace(" ", "")
    if _COLON().match(compact):
        parts = compact.split(":")[::-1]
        if len(parts) > len(_CHRONO):
            return None
        res = " ".join(f"{v} {_CHRONO[k]}" for k, v in reversed(list(enumerate(parts))))
    res = _FLOAT().sub(lambda m: f" {m.group(0)} ", res)
    words: list[str] = []
    for word in res.split():
        if _FLOAT().fullmatch(word) or (_FLOAT().match(word) and word[0].isdigit()):
            words.append(word)
            continue
        stripped = word.strip(",")
        if stripped in _UNITS:
            words.append(stripped)
        elif stripped not in _JOIN_WORDS:
            return None
    if words and words[0] in _UNITS:
        words.insert(0, "1")
    total = 0.0
    for index, word in enumerate(words):
        number = _FLOAT().fullmatch(word)
        if number:
            unit = words[index + 1] if index + 1 < len(words) else "seconds"
            total += float(word) * _UNITS.get(unit, 1.0)
    return total or None


def is_duration(value: Any) -> bool:
    """``validate_duration``: a String that ChronicDuration parses to a non-zero duration."""
    return isinstance(value, str) and parse_duration(value) is not None


def within_duration(value: Any, limit: str) -> bool:
    """``validate_duration_limit``: at most ``limit``. GitLab compares ``value.from_now <
    limit.from_now``, and the second ``from_now`` reads the clock later, so a value equal to
    the limit passes (job_spec.rb: ``start_in: '1 week'`` is valid)."""
    if not isinstance(value, str):
        return False
    seconds, most = parse_duration(value), parse_duration(limit)
    return seconds is not None and most is not None and seconds <= most


def optional_attribute(
    c: Check, loc: str, value: Any, key: str, valid: Any, text: str, mark: Mark, attribute: str = ""
) -> None:
    """``validates key, <validator>, allow_nil: true`` on a hash entry: ``text`` at the value
    when it is set and ``valid`` refuses it (``attribute``: the name in the message)."""
    found = value.get(key) if isinstance(value, dict) else None
    if found is not None and not valid(found):
        c.add(loc, attribute or key, text, value_mark(value, key, mark))


def contains_variable(value: Any) -> bool:
    """``ExpandVariables::VARIABLES_REGEXP`` finds a ``$VAR``, ``${VAR}`` or ``%VAR%``."""
    return bool(REFERENCE.search(ruby_text(value)))
