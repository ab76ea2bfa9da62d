"""``only:`` / ``except:`` entries: ``lib/gitlab/ci/config/entry/policy.rb``.

A policy is an array of refs (``RefsPolicy``) or a hash of ``refs``, ``variables``,
``changes`` and ``kubernetes`` (``ComplexPolicy``). A ref written ``/.../flags`` is a regular
expression and must compile with RE2 (``Gitlab::UntrustedRegexp::RubySyntax``); each
``variables`` entry must parse as an expression.
"""

from __future__ import annotations

from typing import Any

from cigen import expressions
from cigen.config.node import (
    Check,
    ConfigError,
    allowed_keys,
    blank,
    is_array_of_strings,
    is_hash,
    optional_attribute,
    ruby_text,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass

#: ``Policy::DEFAULT_ONLY``: what a job without ``only:`` (and without rules) runs for.
DEFAULT_ONLY_REFS = ("branches", "tags")
_KEYS = ("refs", "kubernetes", "variables", "changes")
_REFS_MESSAGE = "should be an array of strings or regular expressions using re2 syntax"


@dataclass(frozen=True, slots=True)
class Policy:
    """``None`` for what the policy does not say."""

    mark: Mark
    refs: tuple[str, ...] | None = None
    variables: tuple[str, ...] | None = None
    changes: tuple[str, ...] | None = None
    kubernetes: str | None = None

    def with_default_refs(self) -> Policy:
        """``Policy#value`` of ``only:``: ``DEFAULT_ONLY`` deep-merged under the policy."""
        if self.refs is not None:
            return self
        return Policy(self.mark, DEFAULT_ONLY_REFS, self.variables, self.changes, self.kubernetes)


def is_ref_or_regexp(value: Any) -> bool:
    """``validate_string_or_regexp``: a string; one written ``/re/flags`` must compile."""
    if not isinstance(value, str):
        return False
    if not expressions.has_ruby_regexp_syntax(value):
        return True
    try:
        expressions.fabricate_regex(value)
    except expressions.ExpressionError:
        return False
    return True


def _refs(value: Any) -> bool:
    return isinstance(value, list) and all(is_ref_or_regexp(v) for v in value)


def policy(c: Check, value: Any, mark: Mark, loc: str) -> Policy | None:
    """``Entry::Policy`` (``only:`` or ``except:``)."""
    if isinstance(value, list):
        if not _refs(value):
            c.add(loc, "config", _REFS_MESSAGE, mark)
            return None
        return Policy(mark, refs=tuple(value))
    if not is_hash(value):
        c.errors.append(
            ConfigError(f"{loc} has to be either an array of conditions or a hash", mark, where=loc)
        )
        return None
    count = len(c.errors)
    if blank(value):
        c.add(loc, "config", "can't be blank", mark)
    allowed_keys(c, loc, value, _KEYS, mark)
    variables = value.get("variables")
    if isinstance(variables, list):
        for statement in variables:
            # A non-string makes GitLab fail with a server error, not a message.
            if isinstance(statement, str) and expressions.validate(statement) is not None:
                # reported by invalid-expression, with the reason, at the statement
                c.add(
                    loc,
                    "variables",
                    "Invalid expression syntax",
                    value.value_mark("variables"),
                    rule="CIG401",
                )
    refs = value.get("refs")
    if refs is not None and not _refs(refs):
        c.add(loc, "refs", _REFS_MESSAGE, value.value_mark("refs"))
    kubernetes = value.get("kubernetes")
    if kubernetes is not None and ruby_text(kubernetes) != "active":
        c.add(
            loc,
            "kubernetes",
            f"unknown value: {ruby_text(kubernetes)}",
            value.value_mark("kubernetes"),
        )
    for key in ("variables", "changes"):
        text = "should be an array of strings"
        optional_attribute(c, loc, value, key, is_array_of_strings, text, mark)
    if len(c.errors) > count:
        return None
    return Policy(
        mark,
        refs=_strings(refs),
        variables=_strings(variables),
        changes=_strings(value.get("changes")),
        kubernetes=kubernetes,
    )


def _strings(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)
