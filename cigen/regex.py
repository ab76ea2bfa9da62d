"""Regular expressions written in a project, run in linear time: the one place for them.

A pattern from the repository (``rules:if``, an input's ``regex:``, a preset parameter's
``pattern``, a schema given with ``--schema``) runs on RE2 (``google-re2``), as GitLab runs
them (``Gitlab::UntrustedRegexp``): no backtracking, so no input can make matching slow.
:func:`compile_re2` compiles one (``None`` when RE2 refuses it, for instance a lookahead);
:func:`linear_validator` gives a jsonschema validator class whose ``pattern``,
``patternProperties`` and ``additionalProperties`` keywords match with RE2.

cigen's own patterns (fixed, written here) run on :mod:`re`; one that a typical lint never runs
is declared with :func:`lazy_pattern`, so start-up does not compile it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["compile_re2", "lazy_pattern", "linear_validator", "re2_search"]


def lazy_pattern(source: str, flags: int = 0) -> Callable[[], re.Pattern[str]]:
    """cigen's own pattern ``source``, compiled the first time the returned function is
    called (then kept): a module-level pattern costs start-up time only in the runs using it."""
    return functools.cache(functools.partial(re.compile, source, flags))


@functools.cache
def _options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False
    return options


@functools.lru_cache(maxsize=2048)
def compile_re2(source: str) -> Any:
    """The compiled RE2 expression, or ``None`` when RE2 rejects the pattern."""
    import re2

    try:
        return re2.compile(source, _options())
    except re2.error:
        return None
    except (TypeError, ValueError, UnicodeEncodeError):  # NUL bytes, lone surrogates
        return None


def re2_search(pattern: str, text: str) -> bool | None:
    """Whether ``pattern`` is found in ``text``; ``None`` when RE2 cannot run it."""
    compiled = compile_re2(pattern)
    if compiled is None:
        return None
    try:
        return compiled.search(text) is not None
    except UnicodeEncodeError:  # a lone surrogate (a non-UTF-8 file name) is no UTF-8 text
        return compiled.search(text.encode("utf-8", "replace").decode("utf-8")) is not None


@functools.cache
def linear_validator(base: type[Any]) -> type[Any]:
    """``base`` (a jsonschema validator class) matching ``pattern``, ``patternProperties``
    and ``additionalProperties`` with RE2. Schemas are checked for patterns RE2 cannot run
    when they are loaded (:func:`unsupported_patterns`); should one get here anyway, a
    ``pattern`` fails and a ``patternProperties`` key matches nothing."""
    import jsonschema
    from jsonschema.exceptions import ValidationError

    def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not re2_search(patrn, instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    def pattern_properties(
        validator: Any, patterns: Mapping[str, Any], instance: Any, schema: Any
    ) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        for patrn, subschema in patterns.items():
            for key, value in instance.items():
                if re2_search(patrn, key):
                    yield from validator.descend(value, subschema, path=key, schema_path=patrn)

    def additional_properties(
        validator: Any, allowed: Any, instance: Any, schema: Any
    ) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        known = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        extras = [
            key
            for key in instance
            if key not in known and not any(re2_search(p, key) for p in patterns)
        ]
        if validator.is_type(allowed, "object"):
            for extra in extras:
                yield from validator.descend(instance[extra], allowed, path=extra)
        elif not allowed and extras:
            shown = ", ".join(repr(extra) for extra in sorted(extras, key=str))
            verb = "was" if len(extras) == 1 else "were"
            yield ValidationError(
                f"Additional properties are not allowed ({shown} {verb} unexpected)"
            )

    extend: Any = jsonschema.validators.extend
    return extend(  # type: ignore[no-any-return]
        base,
        validators={
            "pattern": pattern,
            "patternProperties": pattern_properties,
            "additionalProperties": additional_properties,
        },
    )


def unsupported_patterns(schema: Any) -> Iterator[str]:
    """The ``pattern`` and ``patternProperties`` expressions of a schema RE2 cannot run."""
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str) and compile_re2(value) is None:
                yield value
            elif key == "patternProperties" and isinstance(value, Mapping):
                yield from (p for p in value if compile_re2(str(p)) is None)
            yield from unsupported_patterns(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from unsupported_patterns(item)
