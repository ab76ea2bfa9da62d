"""Dataclasses without their import cost: the one way cigen declares a record type.

``cigen lint`` runs in pre-commit hooks, so its start-up time counts, and the standard
:func:`dataclasses.dataclass` is the largest part of it: on Python 3.11 it compiles six small
functions from source for every frozen class (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``, ``__delattr__``), about 40% of a lint of a small pipeline with
the hundred record types the configuration model declares.

:func:`dataclass` here accepts what cigen uses (``@dataclass``, ``frozen=True``,
``slots=True``, :func:`dataclasses.field` with ``default``, ``default_factory``, ``repr``,
``compare``; ``InitVar``, ``KW_ONLY`` and ``init=False`` are refused) and builds classes that
behave like the standard ones: the same ``__init__`` signature and ``__post_init__``,
``__repr__``, ``__eq__`` and ``__hash__`` over the compared fields, ``FrozenInstanceError`` on
assignment, ``__match_args__``, ``__slots__``, copying and pickling, and real
:class:`dataclasses.Field` objects in ``__dataclass_fields__``, so :func:`dataclasses.replace`,
:func:`dataclasses.fields` and :func:`dataclasses.asdict` work. The methods are closures, not
compiled. ``__init__``, the one whose speed counts per instance, is made when the first instance
is: the code of an ``__init__`` of the same shape (field count, fields with a factory,
``__post_init__``), compiled once per shape and given the fields' names, each field put by its
slot's own descriptor where it has one.
Type checkers see :func:`dataclasses.dataclass` itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, field, fields, replace
from operator import attrgetter
from types import CodeType, FunctionType, MemberDescriptorType
from typing import TYPE_CHECKING, Any, ClassVar, cast, get_origin

__all__ = ["dataclass", "field", "fields", "replace"]

#: The marker :mod:`dataclasses` puts on a regular field (``replace`` and ``fields`` read it).
_REGULAR: Any = dataclasses.__dict__["_FIELD"]
_FACTORY = object()  # the default of an ``__init__`` parameter whose field has a factory


#: How a string annotation (``from __future__ import annotations``) names what is skipped or
#: refused.
_CLASS_VAR = ("ClassVar", "typing.ClassVar")
_REFUSED = ("InitVar", "KW_ONLY", "dataclasses.InitVar", "dataclasses.KW_ONLY")


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(_CLASS_VAR)
    return annotation is ClassVar or get_origin(annotation) is ClassVar


def _collect(cls: type) -> dict[str, Field[Any]]:
    """The fields of ``cls``: those of its dataclass bases, then its own annotations (read from
    the class's own ``__annotations__``, as :func:`inspect.get_annotations` does)."""
    found: dict[str, Field[Any]] = {}
    for base in reversed(cls.__mro__[1:]):
        inherited = base.__dict__.get("__dataclass_fields__")
        if inherited:
            found.update(inherited)
    own = cls.__dict__
    for name, annotation in own.get("__annotations__", {}).items():
        if _is_class_var(annotation):
            continue
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if text.startswith(_REFUSED):
            raise TypeError(f"{cls.__name__}.{name}: InitVar and KW_ONLY are not supported")
        default = own.get(name, MISSING)
        if isinstance(default, Field):
            spec: Field[Any] = default
            if not spec.init:
                raise TypeError(f"{cls.__name__}.{name}: field(init=False) is not supported")
        else:  # what dataclasses.field(default=default) makes, without its checks
            spec = Field(default, MISSING, True, True, None, True, None, MISSING)  # type: ignore[arg-type]
        spec.name = name
        spec.type = annotation
        spec._field_type = _REGULAR  # type: ignore[attr-defined]
        found[name] = spec
    return found


def _tuple_of(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _lazy_init(
    box: list[type], qualname: str, specs: list[Field[Any]], frozen: bool, post_init: bool
) -> Any:
    """An ``__init__`` that makes the real one (:func:`_init`) when the first instance is made,
    and puts it in its place: a run pays only for the record types it uses. ``box`` holds the
    class (a slotted one is only made after its methods)."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        cls: Any = box[0]
        real = _init(cls, specs, frozen, post_init)
        type.__setattr__(cls, "__init__", real)
        real(self, *args, **kwargs)

    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__


#: ``__init__`` code by shape: (number of fields, the indexes of those with a
#: ``default_factory``, whether it calls ``__post_init__``). The body is
#: ``__dc_put_0(self, a0); __dc_put_1(self, a1); ...`` with canonical names (a field with a
#: factory: ``__dc_put_1(self, __dc_make_1() if a1 is __dc_factory else a1)``), compiled once
#: per shape and given each record type's parameter names with :meth:`types.CodeType.replace`:
#: compiling each type's own ``__init__`` from source was a tenth of a lint's time.
_TEMPLATES: dict[tuple[int, tuple[int, ...], bool], CodeType] = {}


def _template(count: int, factories: tuple[int, ...], post_init: bool) -> CodeType:
    code = _TEMPLATES.get((count, factories, post_init))
    if code is None:
        params = "".join(f", a{index}" for index in range(count))
        body = [
            f"  __dc_put_{index}(__dc_self, "
            + (
                f"__dc_make_{index}() if a{index} is __dc_factory else a{index})"
                if index in factories
                else f"a{index})"
            )
            for index in range(count)
        ]
        if post_init:
            body.append("  __dc_self.__post_init__()")
        source = f"def __init__(__dc_self{params}):\n" + ("\n".join(body) or "  pass") + "\n"
        space: dict[str, Any] = {}
        exec(source, space)
        code = _TEMPLATES[count, factories, post_init] = space["__init__"].__code__
    return code


def _setter(cls: type, name: str, frozen: bool) -> Callable[[Any, Any], None]:
    """What puts field ``name``'s value (``self``, ``value``) on an instance, as the
    ``__init__`` :mod:`dataclasses` compiles would: the slot's own descriptor when the field is
    a slot of ``cls`` that nothing else stands before (a frozen class, or one that keeps
    ``object.__setattr__``), about twice as fast as ``object.__setattr__``, which looks it up
    by name first; else ``object.__setattr__`` on a frozen class, an assignment on another."""
    slot = getattr(cls, name, None)
    direct = frozen or getattr(cls, "__setattr__") is object.__setattr__  # noqa: B009
    if direct and type(slot) is MemberDescriptorType and slot.__objclass__ in cls.__mro__:
        return slot.__set__
    if frozen:
        return lambda self, value: object.__setattr__(self, name, value)
    return lambda self, value: setattr(self, name, value)


def _init(cls: type, specs: list[Field[Any]], frozen: bool, post_init: bool) -> Any:
    """``__init__``: the shared code for its shape (:func:`_template`), with the fields' names
    as parameters, their defaults, and a global per field that puts its value
    (:func:`_setter`)."""
    space: dict[str, Any] = {"__dc_factory": _FACTORY}
    defaults: list[Any] = []
    factories: list[int] = []
    for index, spec in enumerate(specs):
        space[f"__dc_put_{index}"] = _setter(cls, spec.name, frozen)
        if spec.default_factory is not MISSING:
            space[f"__dc_make_{index}"] = spec.default_factory
            factories.append(index)
            defaults.append(_FACTORY)
        elif spec.default is not MISSING:
            defaults.append(spec.default)
        elif defaults:
            raise TypeError(f"non-default argument {spec.name!r} follows default argument")
    code = _template(len(specs), tuple(factories), post_init)
    names = ("__dc_self", *(spec.name for spec in specs))
    qualname = f"{cls.__qualname__}.__init__"
    if hasattr(code, "co_qualname"):  # Python 3.11 on
        code = cast(Any, code).replace(co_varnames=names, co_qualname=qualname)
    else:  # pragma: no cover - Python 3.10
        code = code.replace(co_varnames=names)
    function = FunctionType(code, space, "__init__", tuple(defaults) or None)
    function.__qualname__ = qualname
    return function


def _methods(
    box: list[type], qualname: str, specs: list[Field[Any]], frozen: bool, slotted: bool
) -> dict[str, Any]:
    """The methods :mod:`dataclasses` would write, as closures (the frozen ones only for a
    frozen class, ``__getstate__`` and ``__setstate__`` only for a frozen slotted one); ``box``
    holds the class."""
    shown = tuple(spec.name for spec in specs if spec.repr)
    compared = _tuple_of(tuple(spec.name for spec in specs if spec.compare))

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    methods: dict[str, Any] = {"__repr__": __repr__, "__eq__": __eq__}
    if frozen:
        methods.update(_frozen_methods(box, specs, slotted))
    prefix = qualname + "."
    for name, function in methods.items():
        function.__qualname__ = prefix + name
    return methods


def _frozen_methods(box: list[type], specs: list[Field[Any]], slotted: bool) -> dict[str, Any]:
    names = tuple(spec.name for spec in specs)
    hashed = _tuple_of(
        tuple(spec.name for spec in specs if (spec.compare if spec.hash is None else spec.hash))
    )

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        cls: Any = box[0]
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        cls: Any = box[0]
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    methods = {"__hash__": __hash__, "__setattr__": __setattr__, "__delattr__": __delattr__}
    if slotted:

        def __getstate__(self: Any) -> list[Any]:
            return [getattr(self, name) for name in names]

        def __setstate__(self: Any, state: list[Any]) -> None:
            for name, value in zip(names, state, strict=False):
                object.__setattr__(self, name, value)

        methods["__getstate__"] = __getstate__
        methods["__setstate__"] = __setstate__
    return methods


def _slotted(cls: type, names: list[str]) -> dict[str, Any]:
    """The namespace of ``cls`` rebuilt with ``__slots__`` for its fields (a class cannot gain
    slots later)."""
    inherited = {slot for base in cls.__mro__[1:] for slot in base.__dict__.get("__slots__", ())}
    space = dict(cls.__dict__)
    space["__slots__"] = tuple(name for name in names if name not in inherited)
    space["__qualname__"] = cls.__qualname__
    for name in (*names, "__dict__", "__weakref__"):
        space.pop(name, None)
    return space


def _build(cls: type, frozen: bool, slots: bool) -> type:
    found = _collect(cls)
    specs = list(found.values())
    own = cls.__dict__
    qualname = cls.__qualname__
    space: dict[str, Any] | None = None
    if slots:  # the class is made again, with its methods in its namespace
        space = _slotted(cls, [spec.name for spec in specs])
    else:
        for spec in specs:  # class attributes keep plain defaults, as with dataclasses
            if spec.name in own and isinstance(own[spec.name], Field):
                if spec.default is MISSING:
                    delattr(cls, spec.name)
                else:
                    setattr(cls, spec.name, spec.default)
    box = [cls]
    added: dict[str, Any] = {"__dataclass_fields__": found}  # dataclasses' own attribute
    if "__init__" not in own:
        added["__init__"] = _lazy_init(box, qualname, specs, frozen, hasattr(cls, "__post_init__"))
    # dataclasses' __hash__ table (unsafe_hash=False, eq=True): keep a hash the class writes;
    # otherwise frozen classes hash their compared fields, mutable ones are unhashable.
    class_hash = own.get("__hash__", MISSING)
    explicit_hash = not (class_hash is MISSING or (class_hash is None and "__eq__" in own))
    slotted = slots or "__slots__" in own
    for name, method in _methods(box, qualname, specs, frozen, slotted).items():
        if name == "__hash__" and explicit_hash:
            continue
        if name not in own or (name == "__hash__" and own[name] is None):
            added[name] = method
    if not frozen and not explicit_hash:
        added["__hash__"] = None
    if "__match_args__" not in own:
        added["__match_args__"] = tuple(spec.name for spec in specs)
    if space is None:
        for name, value in added.items():
            setattr(cls, name, value)
        return cls
    space.update(added)
    box[0] = rebuilt = type(cls)(cls.__name__, cls.__bases__, space)
    return rebuilt


def _dataclass(cls: type | None = None, /, *, frozen: bool = False, slots: bool = False) -> Any:
    if cls is None:
        return lambda cls: _build(cls, frozen, slots)
    return _build(cls, frozen, slots)


if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass  # noqa: TID251 - the one import of it
else:
    dataclass = _dataclass
