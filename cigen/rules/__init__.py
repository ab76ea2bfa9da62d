"""The lint rules: one module per rule, in an explicit, typed registry.

Each rule module has ``CODE`` (``CIGnnn``), ``NAME`` (kebab-case), ``SEVERITY``, ``SUMMARY``, a
module docstring with "Example" (fails) and "Use instead" (passes) blocks, and a pure
``check(ctx)``. Codes are grouped by phase: ``CIG0xx`` loading and schema, ``CIG1xx``
assembly (include, extends, !reference), ``CIG2xx`` jobs, stages and needs, ``CIG3xx`` runners.
A code is never reused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from cigen.context import LintContext
from cigen.diagnostics import Diagnostic, Severity
from cigen.rules import (
    default_conflict,
    dependencies_unknown_job,
    duplicate_key,
    extends_cycle,
    extends_too_deep,
    extends_unknown,
    include_cycle,
    include_inputs,
    include_invalid,
    include_limit,
    include_not_followed,
    include_not_found,
    include_outside_root,
    internal_error,
    invalid_expression,
    job_keyword_conflict,
    job_without_script,
    kaniko_cache_repo_varies,
    kaniko_large_base_image,
    needs_cycle,
    needs_later_stage,
    needs_unknown_job,
    no_runner,
    no_visible_job,
    only_with_rules,
    privileged_docker,
    reference_unknown,
    runner_protected_only,
    schema,
    secret_literal,
    tags_unresolved_variable,
    trigger_artifact,
    unknown_stage,
    unknown_tag,
    yaml_syntax,
)


class Rule(Protocol):
    """What a rule module provides."""

    @property
    def CODE(self) -> str: ...
    @property
    def NAME(self) -> str: ...
    @property
    def SEVERITY(self) -> Severity: ...
    @property
    def SUMMARY(self) -> str: ...

    def check(self, ctx: LintContext) -> Iterable[Diagnostic]: ...


_ALL: tuple[Rule, ...] = (
    internal_error,
    yaml_syntax,
    schema,
    duplicate_key,
    unknown_tag,
    include_not_found,
    include_outside_root,
    include_cycle,
    include_not_followed,
    include_limit,
    include_invalid,
    include_inputs,
    extends_unknown,
    extends_cycle,
    extends_too_deep,
    reference_unknown,
    default_conflict,
    unknown_stage,
    needs_unknown_job,
    needs_later_stage,
    dependencies_unknown_job,
    only_with_rules,
    job_without_script,
    job_keyword_conflict,
    needs_cycle,
    trigger_artifact,
    no_visible_job,
    no_runner,
    runner_protected_only,
    tags_unresolved_variable,
    invalid_expression,
    secret_literal,
    privileged_docker,
    kaniko_large_base_image,
    kaniko_cache_repo_varies,
)

#: Every rule by code, in reporting order.
RULES: dict[str, Rule] = {rule.CODE: rule for rule in _ALL}
_BY_NAME: dict[str, Rule] = {rule.NAME: rule for rule in _ALL}


def lookup(code_or_name: str) -> Rule | None:
    """A rule by its code (``CIG202``) or name (``needs-unknown-job``)."""
    return RULES.get(code_or_name.upper()) or _BY_NAME.get(code_or_name.lower())
