"""``variables:`` entries: ``lib/gitlab/ci/config/entry/variables.rb`` and ``variable.rb``.

A variable is a scalar (``SimpleVariable``) or a hash (``ComplexVariable``) whose keys must be
among the value data the context allows: the root allows ``value``, ``description``,
``expand`` and ``options``; a job ``value`` and ``expand``; rules and services none, so there a
hash is refused with "must be a string". A null value is read as an empty hash
(``ComposableHash``), which only a context with value data accepts.
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import (
    Check,
    ConfigError,
    blank,
    is_alphanumeric,
    is_array_of_strings,
    is_boolean,
    is_hash,
    is_scalar,
    key_mark,
    location,
    optional_attribute,
    type_name,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.yaml.load import scalar_text

#: ``Root`` variables: ``allowed_value_data``.
ROOT_DATA = ("value", "description", "expand", "options")
#: ``Processable`` variables.
JOB_DATA = ("value", "expand")


@dataclass(frozen=True, slots=True)
class Variable:
    """One variable: its text value (Ruby's ``to_s``) and the data written with it."""

    name: str
    value: str
    mark: Mark  # where the name is written
    value_mark: Mark
    description: str | None = None
    options: tuple[str, ...] | None = None
    expand: bool | None = None

    @property
    def raw(self) -> bool:
        """``raw: true`` when ``expand: false``."""
        return self.expand is False


def variables(
    c: Check, value: Any, mark: Mark, loc: str, *, allowed_value_data: tuple[str, ...] = ()
) -> tuple[Variable, ...] | None:
    """``Entry::Variables``: a hash of variables, each checked in order."""
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)
        return None
    if not value:
        return ()
    count = len(c.errors)
    out: list[Variable] = []
    memo = c.memo
    kmark, vmark, default = value.kmarks.get, value.vmarks.get, value.mark  # the loader's
    add = out.append
    for name, item in value.items():
        if isinstance(item, (str, int, float)):  # a scalar: ``SimpleVariable`` (no checks)
            # the one record of a run for the same name and text written at the same place
            # (jobs share their templates' variables)
            where = kmark(name, default)
            at = vmark(name) or where
            text = item if isinstance(item, str) else scalar_text(item)
            if memo is None:
                add(Variable(name, text, where, at))
                continue
            key = (name, text, id(where), id(at))  # the memo's only key of four items
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = (Variable(name, text, where, at), where, at)  # marks kept
            add(hit[0])
            continue
        found = variable(
            c,
            name,
            {} if item is None else item,
            value.value_mark(name),
            location(loc, name),
            key_mark=value.key_mark(name),
            allowed_value_data=allowed_value_data,
        )
        if found is not None:
            out.append(found)
    return None if len(c.errors) > count else tuple(out)


def root_variables(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Variable, ...] | None:
    return variables(c, value, mark, loc, allowed_value_data=ROOT_DATA)


def job_variables(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Variable, ...] | None:
    return variables(c, value, mark, loc, allowed_value_data=JOB_DATA)


def plain_variables(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Variable, ...] | None:
    """Variables without value data (``rules:variables``, a service's ``variables``)."""
    return variables(c, value, mark, loc)


def variable(
    c: Check,
    name: str,
    value: Any,
    mark: Mark,
    loc: str,
    *,
    key_mark: Mark | None = None,
    allowed_value_data: tuple[str, ...] = (),
) -> Variable | None:
    """``Entry::Variable``: ``SimpleVariable`` for a scalar, ``ComplexVariable`` for a hash.

    The ``key`` must be alphanumeric in GitLab; YAML keys reach cigen as strings, so it is.
    """
    where = key_mark or mark
    if is_scalar(value):
        return Variable(name, scalar_text(value), where, mark)
    if not is_hash(value):
        # UnknownStrategy: GitLab's message has no location.
        c.errors.append(
            ConfigError("variable definition must be either a string or a hash", mark, where=loc)
        )
        return None
    return _complex(c, name, value, mark, loc, where, allowed_value_data)


def _complex(
    c: Check,
    name: str,
    value: Any,
    mark: Mark,
    loc: str,
    where: Mark,
    allowed: tuple[str, ...],
) -> Variable | None:
    count = len(c.errors)
    text = value.get("value")
    description = value.get("description")
    expand = value.get("expand")
    options = value.get("options")
    for key, valid, message in _DATA_CHECKS:
        optional_attribute(c, loc, value, key, valid, message, mark, f"config_{key}")
    if allowed:
        extra = [str(k) for k in value if k not in allowed]
        if extra:
            c.add(
                loc,
                "config",
                "uses invalid data keys: " + ", ".join(extra),
                key_mark(value, extra[0], mark),
            )
    else:
        c.add(loc, "config", "must be a string", mark)
    if not blank(options) and _excludes(options, text):
        c.add(loc, "config", "value must be present in options", value_mark(value, "value", mark))
    if len(c.errors) > count:
        return None
    return Variable(
        name,
        scalar_text(text),
        where,
        value_mark(value, "value", mark),
        description=None if description is None else scalar_text(description),
        options=None if options is None else tuple(options),
        expand=expand,
    )


_DATA_CHECKS = (
    ("value", is_scalar, "must be a scalar"),
    ("description", is_alphanumeric, "must be an alphanumeric string"),
    ("expand", is_boolean, "should be a boolean value"),
    ("options", is_array_of_strings, "should be an array of strings"),
)


def _excludes(options: Any, value: Any) -> bool:
    """``options.exclude?(value)``; for a string ``options`` a substring test. Where Ruby
    raises (a non-string in a string, a number's ``exclude?``) GitLab fails with a server error
    rather than a message, so nothing is reported."""
    if isinstance(options, list):
        return not any(ruby_equal(option, value) for option in options)
    if isinstance(options, dict):
        return True  # GitLab's keys are symbols; a value is never one
    if isinstance(options, str) and isinstance(value, str):
        return value not in options
    return False


def ruby_equal(left: Any, right: Any) -> bool:
    """Ruby's ``==`` between YAML values: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right)
