"""Helpers shared by rule modules (not a rule)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.suggest import closest, did_you_mean
from cigen.yaml.load import YMap


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


def written_images(ctx: LintContext, key: str) -> Iterator[tuple[Any, str | None]]:
    """``(image, job)`` for each image ``key`` (``image`` or ``services``) writes, once, read
    with GitLab's image and services entries (:mod:`cigen.config.image`): at the top level, in
    ``default:``, in each job, and in hidden keys (templates other configurations may extend).
    ``job`` is ``None`` for the top level and ``default:``."""
    from cigen.config import image
    from cigen.config.node import Check
    from cigen.config.root import RESERVED_KEYS

    pipeline = ctx.pipeline
    model, config = pipeline.checked_model, pipeline.config
    if model is None or config is None:
        return
    entry = image.image if key == "image" else image.services
    default = model.values.get("default")
    places: list[tuple[Any, str | None]] = [(model.values.get(key), None)]
    places.append((default.get(key) if isinstance(default, dict) else None, None))
    for name, value in config.items():
        if name in RESERVED_KEYS or name == "default" or not isinstance(value, YMap):
            continue
        job = model.jobs.get(name)
        if job is not None:
            places.append((job.value(key), name))
        elif value.get(key) is not None:  # a template, or a job with errors of its own
            check = Check(memo=pipeline.entry_memo)  # a template a job extends: checked then
            found = check.reuse(entry, value[key], value.value_mark(key), f"jobs:{name}")
            places.append((found, name))
    seen: set[Mark] = set()
    for found, job_name in places:
        for item in (found,) if key == "image" else found or ():
            if item is None:
                continue
            written = item.image if key == "services" else item
            if written.where not in seen:
                seen.add(written.where)
                yield written, job_name


def cross_job_errors(ctx: LintContext) -> tuple[Any, ...]:
    """GitLab's checks across jobs (:attr:`cigen.model.Pipeline.cross_job_errors`: every
    error, in GitLab's order, each as if the previous ones were fixed; computed once).

    GitLab reaches them only with a valid entry tree; while it has errors (reported by their
    own rules) the same checks run over the jobs that did validate
    (``Pipeline.checked_model``), to say what GitLab reports next; a job left out
    for its own errors still counts as existing. Nothing without an entry tree or after an
    assembly error."""
    pipeline = ctx.pipeline
    if pipeline.assembly_failed:
        return ()
    return pipeline.cross_job_errors


def from_cross_job(
    ctx: LintContext, code: str, name: str, severity: Severity, *, explainable: bool
) -> Iterator[Diagnostic]:
    """The cross-job errors rule ``code`` reports; ``explainable``: a not-followed include may
    define the missing job (the engine's one policy decides what that does to the level)."""
    for error in cross_job_errors(ctx):
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
