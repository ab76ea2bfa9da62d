"""Helpers shared by rule modules (not a rule)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.model import Job
from cigen.suggest import closest, did_you_mean
from cigen.yaml.load import YMap, YSeq


def from_events(
    ctx: LintContext,
    kind: str,
    code: str,
    name: str,
    severity: Severity,
    *,
    explainable: bool = False,
    suggest_from: tuple[str, ...] = (),
) -> Iterator[Diagnostic]:
    """Turn the resolver's events of one kind into findings.

    ``explainable``: the missing name may be defined in an include that was not followed (a
    cycle never is); the engine decides what that means for the level.
    ``suggest_from``: names to offer the closest of for the event's subject ("did you mean").
    """
    for event in ctx.pipeline.events_of(kind):
        message = event.message
        if suggest_from and event.subject:
            message = with_hint(message, did_you_mean(event.subject, suggest_from))
        yield at(
            event.mark,
            code,
            name,
            severity if event.severity is None else event.severity,
            message,
            job=event.job,
            anchor=event.subject,
            explainable=explainable and not event.cycle,
        )


#: Rules whose findings say something is missing (a script, a visible job).
_MISSING_CONTENT = frozenset({"CIG207", "CIG208"})


def from_model(ctx: LintContext, code: str, name: str, severity: Severity) -> Iterator[Diagnostic]:
    """GitLab's configuration errors that rule ``code`` reports, from the validated model.

    Content of an include that was not followed could explain a missing ``script``/``trigger``
    or visible job (an included job of the same name is merged in), and any error in a job
    extending an unknown key: those findings are ``explainable``.
    """
    pipeline = ctx.pipeline
    model = pipeline.model
    if model is None or pipeline.assembly_failed:
        return  # GitLab reports the assembly error alone
    names: list[str] | None = None
    for error in model.errors:
        if error.rule != code:
            continue
        if names is None:
            names = sorted(pipeline.config or (), key=len, reverse=True)
        job = job_of(error.where, names)
        if job is not None and job in pipeline.tainted:
            continue  # a broken !reference there is reported by reference-unknown
        explainable = code in _MISSING_CONTENT or (job is not None and job in pipeline.partial)
        text = error.text
        if _UNKNOWN_KEYS in error.message:
            text = with_hint(text, _keyword_hint(error.message))
        shown = None if job is None or job.startswith(".") else job
        yield at(error.mark, code, name, severity, text, job=shown, explainable=explainable)


_UNKNOWN_KEYS = "contains unknown keys: "


def with_hint(message: str, hint: str) -> str:
    """``message`` with ``hint`` placed before its first "; what to do" part."""
    if not hint:
        return message
    head, sep, tail = message.partition("; ")
    return f"{head}{hint}{sep}{tail}"


def _keyword_hint(message: str) -> str:
    """ " (did you mean 'script'?)" for the unknown keys GitLab's message lists."""
    listed = message.split(_UNKNOWN_KEYS, 1)[1].split(";", 1)[0]
    vocabulary = keywords()
    pairs = []
    for key in (k.strip() for k in listed.split(", ")):
        match = closest(key, vocabulary)
        if match is not None:
            pairs.append(f"{match!r} for {key!r}" if "," in listed else repr(match))
    return f" (did you mean {', '.join(pairs)}?)" if pairs else ""


@cache
def keywords() -> frozenset[str]:
    """Every keyword GitLab's entry tree knows (the ``*_KEYS`` tables of :mod:`cigen.config`)."""
    import importlib
    import pkgutil

    import cigen.config

    found: set[str] = set()
    for info in pkgutil.iter_modules(cigen.config.__path__):
        module = importlib.import_module(f"cigen.config.{info.name}")
        for name, value in vars(module).items():
            if name.endswith("_KEYS") and isinstance(value, (tuple, frozenset, set)):
                found.update(v for v in value if isinstance(v, str))
    return frozenset(found)


def job_of(where: str, names: list[str]) -> str | None:
    """The top-level key of an entry location; ``names`` longest first, as names may hold ``:``."""
    if not where.startswith("jobs:"):
        return None
    rest = where[5:]
    for name in names:
        if rest == name or rest.startswith(name + ":"):
            return name
    return None


def parallel_base(name: str) -> str | None:
    """The job a parallel instance name belongs to (``job 1/3`` or ``job: [a, b]``), else
    ``None``; what ``^(.+?)(?: \\d+/\\d+|: \\[.*\\])$`` matches, without its quadratic
    backtracking on names full of ``: [``."""
    end = len(name) - 1 if name.endswith("\n") else len(name)  # "$" may match before it
    body = name[:end]
    cut = body.find("\n")
    if cut >= 0:
        body = body[:cut]  # "." stops at a newline
        if cut != end:
            return None
    if body.endswith("]"):
        matrix = body.find(": [", 1)
        if 0 < matrix <= len(body) - 4:
            return body[:matrix]
    head, space, tail = body.rpartition(" ")
    left, slash, right = tail.partition("/")
    if space and head and slash and left.isdecimal() and right.isdecimal():
        return head
    return None


def job_named(ctx: LintContext, name: str) -> Job | None:
    """The job ``name`` refers to, allowing ``job 1/3`` and ``job: [a, b]`` parallel names."""
    jobs = ctx.pipeline.jobs
    if name in jobs:
        return jobs[name]
    base = parallel_base(name)
    if base is not None and base in jobs:
        return jobs[base]
    return None


def stage_positions(ctx: LintContext) -> dict[str, int]:
    return {stage: index for index, stage in enumerate(ctx.pipeline.stages)}


def need_items(job: Job, key: str = "needs") -> Iterator[tuple[str, Mark, bool]]:
    """``(job name, position, optional)`` for each same-pipeline entry of ``needs``.

    Entries with ``pipeline:`` or ``project:`` point at other pipelines and are skipped.
    """
    raw = job.config.get(key)
    if isinstance(raw, YMap) and key == "needs":
        return
    if not isinstance(raw, YSeq):
        return
    for index, item in enumerate(raw):
        mark = raw.item_mark(index)
        if isinstance(item, str):
            yield item, mark, False
        elif isinstance(item, YMap) and "job" in item:
            if "pipeline" in item or "project" in item:
                continue
            name = item["job"]
            if isinstance(name, str):
                yield name, item.value_mark("job"), item.get("optional") is True


def cross_job_errors(ctx: LintContext) -> list[Any] | None:
    """GitLab's checks across jobs (``cigen.config.processor.errors``: every error, in GitLab's
    order), or ``None`` when GitLab would not reach them: no entry tree, an assembly error, or
    errors in the entry tree itself. Computed once per run."""
    shared = ctx.shared
    if "cross_job_errors" not in shared:
        shared["cross_job_errors"] = _cross_job_errors(ctx)
    found: list[Any] | None = shared["cross_job_errors"]
    return found


def _cross_job_errors(ctx: LintContext) -> list[Any] | None:
    from cigen.config import processor

    pipeline = ctx.pipeline
    model = pipeline.model
    if model is None or pipeline.assembly_failed or len(model.errors) > 1:
        return None
    found = list(processor.errors(model))
    # A valid entry tree's model holds at most the first of these (GitLab stops there).
    if model.errors and (not found or model.errors[0] != found[0]):
        return None
    return found


def from_cross_job(
    ctx: LintContext, code: str, name: str, severity: Severity, *, explainable: bool
) -> Iterator[Diagnostic]:
    """The cross-job errors rule ``code`` reports; ``explainable``: a not-followed include may
    define the missing job (the engine's one policy decides what that does to the level)."""
    for error in cross_job_errors(ctx) or ():
        if error.rule != code:
            continue
        job = error.where.removeprefix("jobs:") or None
        yield at(
            error.mark,
            code,
            name,
            severity,
            error.text,
            job=job,
            anchor=error.message,
            explainable=explainable,
        )
