"""Run a lint: load and resolve a configuration, run the rules, return sorted findings.

The one place that ties the steps together (load -> resolve -> rules -> diagnostics); it
reads files through :class:`~cigen.project.Project` and never prints.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cigen.diagnostics import Diagnostic, Mark, Severity, at, sort_unique
from cigen.errors import CigenError
from cigen.lint.context import LintContext
from cigen.lint.settings import Config, apply
from cigen.model import Pipeline
from cigen.project import Missing, Outside, Project, find_root
from cigen.records import dataclass, field, replace
from cigen.resolve.external import LockedSource, Source, check_cache, read_lock
from cigen.resolve.resolver import IncludeRules, resolve


@dataclass(frozen=True)
class LintResult:
    pipeline: Pipeline
    diagnostics: tuple[Diagnostic, ...]
    root: Path = field(default=Path())

    @property
    def exit_code(self) -> int:
        return 1 if any(d.severity is Severity.ERROR for d in self.diagnostics) else 0


def include_rules_for(
    context: Any = None, variables: Mapping[str, str] | None = None
) -> IncludeRules:
    """Decide ``include:rules`` for a pipeline context.

    Without a context this is GitLab's CI Lint default: a push to the default branch. Only
    pre-pipeline variables (predefined ones and ``--var``) are visible, as in GitLab. The
    context and its variables are made once, at the first decision.
    """

    @functools.cache
    def setting() -> tuple[Any, dict[str, str]]:
        from cigen.pipeline.simulate import PipelineContext, predefined_variables

        ctx = context if context is not None else PipelineContext(variables=dict(variables or {}))
        known = {**predefined_variables(ctx), **dict(variables or {}), **dict(ctx.variables)}
        return ctx, known

    def decide(rules: Any) -> bool:
        from cigen.pipeline.simulate import evaluate_rules

        ctx, known = setting()
        result = evaluate_rules(rules, default_when="always", variables=known, ctx=ctx)
        return result.when != "never"

    return decide


def _project_include_rules(project: Project, variables: Mapping[str, str] | None) -> IncludeRules:
    """CI Lint's default context, with ``exists:`` checked against the project's files (listed
    only when a rule asks)."""
    deciders: dict[bool, IncludeRules] = {}

    def decide(rules: Any) -> bool:
        asks = _asks_exists(rules)
        chosen = deciders.get(asks)
        if chosen is None:
            from cigen.pipeline.simulate import PipelineContext

            known = None
            if asks:
                files = tuple(project.files())
                known = None if project.truncated else files
            ctx = PipelineContext(variables=dict(variables or {}), project_files=known)
            chosen = deciders[asks] = include_rules_for(ctx, variables)
        return chosen(rules)

    return decide


def _asks_exists(rules: Any) -> bool:
    """Whether a rule of ``rules`` (a rule, or lists of them at any depth) has ``exists:``,
    the one clause that reads the project's files."""
    if isinstance(rules, dict):
        return "exists" in rules
    return isinstance(rules, list) and any(_asks_exists(rule) for rule in rules)


def load_pipeline(
    path: Path,
    *,
    root: Path | None = None,
    include_rules: IncludeRules | None = None,
    variables: Mapping[str, str] | None = None,
    cache: Path | None = None,
    source: Source | None = None,
) -> Pipeline:
    """Resolve the configuration at ``path``; an unreadable path is a :class:`CigenError`.

    External includes come from ``source``, else from the project's ``.cigen.lock`` and the
    include ``cache`` folder, offline (none followed when the project has no lock)."""
    if path.is_dir():
        path = path / ".gitlab-ci.yml"
    if not path.exists():
        raise CigenError(f"{path}: no such file")
    project_root = find_root(path, root)
    project = Project(project_root)
    if include_rules is None:
        include_rules = _project_include_rules(project, variables)
    entry = project.relative(path)
    if source is None:
        lock = read_lock(project.root)
        if lock is not None:
            if lock.entries and cache is not None:
                check_cache(cache)
            source = LockedSource(lock, cache)
    try:
        return resolve(
            project,
            entry,
            include_rules=include_rules,
            variables=dict(variables or {}),
            external=source,
        )
    except Outside:
        raise CigenError(f"{path} is outside the project root {project_root}") from None
    except Missing as exc:
        raise CigenError(f"{path}: cannot read ({exc})") from None


def run_rules(
    ctx: LintContext, rules: Iterable[Any], config: Config | None = None
) -> list[Diagnostic]:
    """Every rule's findings; a rule that raises becomes one ``internal-error`` finding."""
    config = config or Config()
    found: list[Diagnostic] = []
    for rule in rules:
        if config.select and rule.CODE not in config.select and rule.CODE != "CIG000":
            continue
        if not getattr(rule, "DEFAULT_ENABLED", True) and rule.CODE not in config.select:
            continue  # an opt-in rule
        if rule.CODE in config.ignore:
            continue
        try:
            found.extend(rule.check(ctx))
        except Exception as exc:
            mark = Mark(ctx.pipeline.entry, 1, 1)
            found.append(
                at(
                    mark,
                    "CIG000",
                    "internal-error",
                    Severity.ERROR,
                    f"rule {rule.CODE} {rule.NAME} crashed ({type(exc).__name__}: {exc}); "
                    "the result is incomplete, please report this",
                )
            )
    return sort_unique(apply(config, explain(ctx, found)))


def explain(ctx: LintContext, found: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The one policy for findings an unfollowed include could explain: while some include was
    not followed, an ``explainable`` finding above info becomes info, with a note naming the
    includes."""
    if not ctx.pipeline.incomplete:
        return list(found)
    hint = ctx.unfollowed_hint()
    return [
        replace(d, severity=Severity.INFO, message=d.message + hint)
        if d.explainable and d.severity > Severity.INFO
        else d
        for d in found
    ]


def suppressed(
    pipeline: Pipeline, diags: Iterable[Diagnostic], config: Config | None = None
) -> list[Diagnostic]:
    """The findings left after the files' ``# cigen: ignore[...]`` comments, plus an
    ``unused-suppression`` finding for each comment that silenced nothing."""
    from cigen.lint.suppress import apply_suppressions

    config = config or Config()

    def ran(code: str) -> bool:
        from cigen.rules import RULES

        opt_in = code in RULES and not getattr(RULES[code], "DEFAULT_ENABLED", True)
        if opt_in and code not in config.select:
            return False
        return (not config.select or code in config.select) and code not in config.ignore

    result = apply_suppressions(diags, pipeline.files, ran)
    return sort_unique([*result.kept, *apply(config, result.unused)])


def lint(
    path: Path,
    *,
    root: Path | None = None,
    config: Config | None = None,
    runners: tuple[Any, ...] | None = None,
    include_rules: IncludeRules | None = None,
    protected_ref: bool | None = None,
    simulation: Any = None,
    extra_rules: Iterable[Any] = (),
    pipeline: Pipeline | None = None,
    cache: Path | None = None,
) -> LintResult:
    """Lint the configuration at ``path`` (or ``pipeline``, when it is already resolved)."""
    from cigen.rules import RULES

    config = config or Config()
    if pipeline is None:
        pipeline = load_pipeline(
            path, root=root, include_rules=include_rules, variables=config.variables, cache=cache
        )
    ctx = LintContext(
        pipeline=pipeline,
        runners=runners,
        variables=dict(config.variables),
        protected_ref=protected_ref,
        simulation=simulation,
    )
    diagnostics = suppressed(
        pipeline, run_rules(ctx, (*RULES.values(), *extra_rules), config), config
    )
    return LintResult(pipeline, tuple(diagnostics), pipeline.root)
