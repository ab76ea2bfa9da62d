"""The lint rules: one module per rule, in an explicit, typed registry.

Each rule module has ``CODE`` (``CIGnnn``), ``NAME`` (kebab-case), ``SEVERITY``, ``SUMMARY``, a
module docstring with "Example" (fails) and "Use instead" (passes) blocks, and a pure
``check(ctx)``. Codes are grouped by phase: ``CIG0xx`` loading and schema, ``CIG1xx``
assembly (include, extends, !reference), ``CIG2xx`` jobs, stages and needs, ``CIG3xx`` runners,
``CIG4xx`` expressions, ``CIG5xx`` security, ``CIG6xx`` the shell in scripts. A rule module
with ``DEFAULT_ENABLED = False`` runs only when ``select`` names it.
A code is never reused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from cigen.diagnostics import Diagnostic, Severity
from cigen.lint.context import LintContext
from cigen.rules import (
    cig000_internal_error,
    cig001_yaml_syntax,
    cig002_schema,
    cig003_duplicate_key,
    cig004_unknown_tag,
    cig005_unused_suppression,
    cig101_include_not_found,
    cig102_include_outside_root,
    cig103_include_cycle,
    cig104_include_not_followed,
    cig105_include_limit,
    cig106_include_invalid,
    cig107_include_inputs,
    cig111_extends_unknown,
    cig112_extends_cycle,
    cig113_extends_too_deep,
    cig121_reference_unknown,
    cig131_default_conflict,
    cig201_unknown_stage,
    cig202_needs_unknown_job,
    cig203_needs_later_stage,
    cig204_dependencies_unknown_job,
    cig206_only_with_rules,
    cig207_job_without_script,
    cig208_no_visible_job,
    cig209_job_keyword_conflict,
    cig210_needs_cycle,
    cig211_trigger_artifact,
    cig301_no_runner,
    cig302_runner_protected_only,
    cig303_tags_unresolved_variable,
    cig304_kubernetes_overwrite_not_allowed,
    cig401_invalid_expression,
    cig501_secret_literal,
    cig502_privileged_docker,
    cig503_kaniko_large_base_image,
    cig504_kaniko_cache_repo_varies,
    cig505_kaniko_archived_image,
    cig510_script_injection,
    cig601_shellcheck,
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
    cig000_internal_error,
    cig001_yaml_syntax,
    cig002_schema,
    cig003_duplicate_key,
    cig004_unknown_tag,
    cig005_unused_suppression,
    cig101_include_not_found,
    cig102_include_outside_root,
    cig103_include_cycle,
    cig104_include_not_followed,
    cig105_include_limit,
    cig106_include_invalid,
    cig107_include_inputs,
    cig111_extends_unknown,
    cig112_extends_cycle,
    cig113_extends_too_deep,
    cig121_reference_unknown,
    cig131_default_conflict,
    cig201_unknown_stage,
    cig202_needs_unknown_job,
    cig203_needs_later_stage,
    cig204_dependencies_unknown_job,
    cig206_only_with_rules,
    cig207_job_without_script,
    cig209_job_keyword_conflict,
    cig210_needs_cycle,
    cig211_trigger_artifact,
    cig208_no_visible_job,
    cig301_no_runner,
    cig302_runner_protected_only,
    cig303_tags_unresolved_variable,
    cig304_kubernetes_overwrite_not_allowed,
    cig401_invalid_expression,
    cig501_secret_literal,
    cig502_privileged_docker,
    cig503_kaniko_large_base_image,
    cig504_kaniko_cache_repo_varies,
    cig505_kaniko_archived_image,
    cig510_script_injection,
    cig601_shellcheck,
)

#: Every rule by code, in reporting order.
RULES: dict[str, Rule] = {rule.CODE: rule for rule in _ALL}
_BY_NAME: dict[str, Rule] = {rule.NAME: rule for rule in _ALL}


def lookup(code_or_name: str) -> Rule | None:
    """A rule by its code (``CIG202``) or name (``needs-unknown-job``)."""
    return RULES.get(code_or_name.upper()) or _BY_NAME.get(code_or_name.lower())
