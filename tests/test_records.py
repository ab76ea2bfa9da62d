"""cigen.records.dataclass behaves like dataclasses.dataclass for what cigen declares.

Each case declares the same class twice, once with the standard decorator and once with
cigen's, and compares what a caller can observe: construction, defaults, equality, hashing,
repr, frozenness, slots, ``replace``/``fields``/``asdict``, pattern matching, copying and
pickling.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any, ClassVar

import pytest

from cigen import records


def _pair(**options: Any) -> tuple[Any, Any]:
    """The same class body under both decorators (defined at module level for pickling)."""
    return _STANDARD[tuple(sorted(options.items()))], _OURS[tuple(sorted(options.items()))]


def _declare(decorator: Any, **options: Any) -> type:
    class Point:
        """A point."""

        kinds: ClassVar[tuple[str, ...]] = ("a",)
        x: int
        y: int = 2
        tags: list[str] = dataclasses.field(default_factory=list)
        note: str = dataclasses.field(default="", compare=False, repr=False)

        @property
        def total(self) -> int:
            return self.x + self.y

    Point.__qualname__ = Point.__name__ = f"Point_{decorator.__module__.split('.')[-1]}_" + (
        "_".join(f"{k}{int(v)}" for k, v in sorted(options.items())) or "plain"
    )
    built: type = decorator(**options)(Point) if options else decorator(Point)
    globals()[built.__name__] = built
    return built


_VARIANTS = [{}, {"frozen": True}, {"frozen": True, "slots": True}, {"slots": True}]
_STANDARD = {tuple(sorted(v.items())): _declare(dataclasses.dataclass, **v) for v in _VARIANTS}
_OURS = {tuple(sorted(v.items())): _declare(records.dataclass, **v) for v in _VARIANTS}


@pytest.mark.parametrize("options", _VARIANTS, ids=lambda v: "-".join(v) or "plain")
def test_same_behaviour_as_dataclasses(options: dict[str, bool]) -> None:
    standard, ours = _pair(**options)
    for cls in (standard, ours):
        a = cls(1)
        assert (a.x, a.y, a.tags, a.note, a.total) == (1, 2, [], "", 3)
        assert cls(1, 2, ["t"], "n") == cls(1, 2, ["t"], "z")  # note is not compared
        assert cls(1) != cls(2)
        assert cls(x=1, tags=["t"]).tags == ["t"]
        assert cls(1).tags is not cls(1).tags  # a fresh list each time
        assert cls.kinds == ("a",)
        with pytest.raises(TypeError):
            cls()
        with pytest.raises(TypeError):
            cls(1, 2, [], "", "extra")
    a, b = standard(1, 5, ["t"], "n"), ours(1, 5, ["t"], "n")
    assert repr(b) == repr(a).replace(type(a).__qualname__, type(b).__qualname__)
    assert [f.name for f in dataclasses.fields(b)] == [f.name for f in dataclasses.fields(a)]
    assert dataclasses.asdict(b) == dataclasses.asdict(a)
    assert dataclasses.is_dataclass(b)
    assert dataclasses.replace(b, y=7) == ours(1, 7, ["t"])
    assert type(b).__match_args__ == type(a).__match_args__ == ("x", "y", "tags", "note")
    match b:
        case ours(1, y):
            assert y == 5
        case _:
            pytest.fail("no match")
    assert ("__slots__" in vars(type(b))) == ("__slots__" in vars(type(a)))
    assert hasattr(b, "__dict__") == hasattr(a, "__dict__")
    frozen = options.get("frozen", False)
    if frozen:
        for obj in (a, b):
            with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field"):
                obj.x = 3
            with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field"):
                del obj.x
        small_a, small_b = standard(1, 5, (), "n"), ours(1, 5, (), "n")  # hashable fields
        assert hash(small_b) == hash(small_a)
        assert {small_b: 1}[ours(1, 5, (), "other note")] == 1
    else:
        b.x = 3
        assert b.x == 3
        assert type(b).__hash__ is None  # mutable records are unhashable, as dataclasses makes them
    for clone in (copy.copy(b), copy.deepcopy(b), pickle.loads(pickle.dumps(b))):
        assert clone == b
        assert clone is not b


def test_post_init_inheritance_and_explicit_methods() -> None:
    seen: list[str] = []

    @records.dataclass
    class Base:
        root: str
        items: dict[str, int] = dataclasses.field(default_factory=dict)

        def __post_init__(self) -> None:
            seen.append(self.root)

    @records.dataclass
    class Child(Base):
        extra: int = 0

        def __eq__(self, other: object) -> bool:  # written by the class: kept
            return isinstance(other, Child) and other.extra == self.extra

        __hash__ = object.__hash__  # written by the class: kept

    child = Child("r", {"a": 1}, 4)
    assert (child.root, child.items, child.extra) == ("r", {"a": 1}, 4)
    assert seen == ["r"]
    assert child == Child("other", {}, 4)
    assert hash(child) == object.__hash__(child)
    assert [f.name for f in dataclasses.fields(child)] == ["root", "items", "extra"]
    assert repr(child).endswith("Child(root='r', items={'a': 1}, extra=4)")

    @records.dataclass(frozen=True)
    class Keyed:  # noqa: PLW1641 - the record adds the hash
        key: str

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Keyed) and other.key.lower() == self.key.lower()

    # a frozen record whose class writes __eq__ still hashes its fields, like dataclasses
    assert hash(Keyed("a")) == hash(("a",))
    assert Keyed("A") == Keyed("a")


def test_unsupported_declarations_are_refused() -> None:
    with pytest.raises(TypeError, match="InitVar"):

        @records.dataclass
        class Bad:
            value: dataclasses.InitVar[int]  # type: ignore[valid-type]


def test_refused_field_options() -> None:
    with pytest.raises(TypeError, match="init=False"):

        @records.dataclass
        class Bad:
            value: int = dataclasses.field(init=False, default=0)


def test_edges_follow_dataclasses() -> None:
    # annotations that are objects (no ``from __future__ import annotations``)
    plain = records.dataclass(
        type("Plain", (), {"__annotations__": {"counter": ClassVar[int], "b": int}, "counter": 1})
    )
    assert [f.name for f in dataclasses.fields(plain)] == ["b"]
    assert plain(2).b == 2

    @records.dataclass(frozen=True)
    class Empty:
        pass

    assert Empty() == Empty()
    assert Empty() != 1
    assert hash(Empty()) == hash(())
    assert repr(Empty()).endswith("Empty()")

    @records.dataclass(frozen=True)
    class Written:
        value: int
        __match_args__ = ("value",)

        def __init__(self, value: str) -> None:  # written by the class: kept
            object.__setattr__(self, "value", int(value))

        def __hash__(self) -> int:  # written by the class: kept
            return 7

    assert Written("3").value == 3
    assert hash(Written("3")) == 7

    class Loose(Written):  # a plain subclass may add attributes, as with dataclasses
        pass

    loose = Loose("4")
    loose.extra = 1  # type: ignore[attr-defined]
    del loose.extra  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        loose.value = 5


def test_init_takes_each_types_own_names_from_shared_code() -> None:
    """Two record types with as many fields share one ``__init__`` code shape; each still has
    its own parameter names, defaults and messages, as the ``__init__`` dataclasses compiles."""
    import inspect

    @records.dataclass(frozen=True, slots=True)
    class Left:
        path: str
        line: int = 1

    @records.dataclass(frozen=True)
    class Right:
        name: str
        items: list[str] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class Standard:
        name: str
        items: list[str] = dataclasses.field(default_factory=list)

    assert Left(line=3, path="p") == Left("p", 3)  # the first instance makes __init__
    shown = inspect.signature(Left).parameters
    empty = inspect.Parameter.empty
    assert [(p.name, p.default) for p in shown.values()] == [("path", empty), ("line", 1)]
    Right("n")
    assert list(inspect.signature(Right).parameters) == ["name", "items"]
    assert Right(items=["a"], name="n").items == ["a"]
    assert Right("n").items == [] and Right("n").items is not Right("n").items
    assert type(Left("p")).__init__.__qualname__.endswith("Left.__init__")
    for cls in (Right, Standard):
        with pytest.raises(TypeError, match=r"missing 1 required positional argument: 'name'"):
            cls()
        with pytest.raises(TypeError, match=r"unexpected keyword argument 'path'"):
            cls(path="p")

    @records.dataclass
    class Other:
        name: str
        count: int = 0

    assert Other("o").count == 0
    assert Left.__init__.__code__.co_code == Other.__init__.__code__.co_code  # one shape
    assert Left.__init__.__code__.co_varnames != Other.__init__.__code__.co_varnames

    @records.dataclass
    class Broken:
        first: int = 0
        second: int  # type: ignore[misc]

    with pytest.raises(TypeError, match="non-default argument 'second' follows default"):
        Broken(1, 2)
