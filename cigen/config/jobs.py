"""The jobs of a validated configuration as GitLab creates them: the one job model rules read.

Each visible job of the entry tree (:class:`cigen.config.root.Job`, its own typed values) with
what it takes from ``default:`` (and the deprecated top-level ``image``, ``services``,
``cache``, ``before_script``, ``after_script``; ``default:`` wins), the global ``variables``
(its own win), both as ``inherit:`` allows (``lib/gitlab/ci/config/entry/processable.rb``,
``inherit/default.rb``, ``inherit/variables.rb``; trigger jobs take nothing from ``default:``),
and its instances after the normalizer (:func:`cigen.config.processor.normalize`: ``parallel``
instance names, ``needs`` naming instances).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import compress
from typing import Any

from cigen.config.processor import Instance, NeedRef, Normalized, normalize
from cigen.config.root import Job, Root
from cigen.config.variables import Variable
from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.yaml.load import YMap, YSeq

#: Deprecated top-level keys that act as ``default:`` values (``Root``'s ``inherit!``).
GLOBAL_DEFAULTS = ("image", "services", "cache", "before_script", "after_script")


@dataclass(frozen=True, slots=True)
class PipelineJob:
    """One visible job: its entry, its effective typed values, its instances."""

    entry: Job
    values: Mapping[str, Any]  # typed values: the job's own, then those it takes from default:
    inherited: frozenset[str]  # keys whose value came from ``default:``
    variables: tuple[Variable, ...]  # the global variables it takes, then its own
    instances: tuple[Instance, ...]  # one, or one per ``parallel`` instance
    sources: Mapping[str, YMap]  # where each inherited value is written (``default:``, root)

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def kind(self) -> str:
        """``job`` or ``bridge`` (a trigger job)."""
        return self.entry.kind

    @property
    def mark(self) -> Mark:
        """Where the job's name is written."""
        return self.entry.mark

    @property
    def stage(self) -> str:
        return self.entry.stage

    def value(self, key: str) -> Any:
        return self.values.get(key)

    def own_mark(self, key: str) -> Mark:
        """Where the job writes ``key``'s value; the job's name when it comes from elsewhere."""
        node = self.entry.node
        if key in self.inherited or key not in node:
            return self.entry.mark
        return node.value_mark(key)

    def lines(self, key: str) -> Iterator[tuple[str, Mark]]:
        """``(line, position)`` of a commands value (``script``, ``before_script``, ...): the
        typed lines, each at the item it is written in (nested lists flattened)."""
        found = self.value(key)
        if not found:
            return
        node = self.sources.get(key, self.entry.node)
        written, mark = node.get(key), node.value_mark(key)
        if (
            written.__class__ is YSeq
            and len(written) == len(written.imarks)
            and written == list(found)
        ):  # a list of the lines themselves (no nested list equals a line): each at its item
            yield from zip(found, written.imarks, strict=True)
            return
        marks: list[Mark] = []
        _item_marks(written, mark, marks)
        if len(marks) != len(found):  # pragma: no cover - the typed value is these items
            marks = [mark] * len(found)
        yield from zip(found, marks, strict=True)

    def variable_values(self) -> dict[str, str]:
        """``name -> value`` of the job's variables."""
        return {v.name: v.value for v in self.variables}

    @property
    def needs(self) -> tuple[NeedRef, ...] | None:
        """The ``needs`` of the first instance (instance names expanded); ``None`` without
        ``needs:`` (the job waits for earlier stages)."""
        return self.instances[0].needs if self.instances else None

    def rules_needs(self) -> Iterator[NeedRef]:
        """The same-pipeline needs of its ``rules:needs``."""
        for rule in self.value("rules") or ():
            for need in rule.needs or ():
                if need.kind == "job":
                    yield NeedRef(need.job, need.mark, need.optional, need.artifacts)


def _item_marks(value: Any, mark: Mark, out: list[Mark]) -> None:
    """The position of each item of ``value`` flattened, appended to ``out``: the marks
    :func:`cigen.config.node.flat_items` gives with the items."""
    if not isinstance(value, list):
        out.append(mark)
        return
    seq = value if isinstance(value, YSeq) else None
    for index, item in enumerate(value):
        where = mark if seq is None else seq.item_mark(index)
        if isinstance(item, list):
            _item_marks(item, where, out)
        else:
            out.append(where)


def checked_jobs(root: Root, config: YMap, memo: dict[Any, Any] | None = None) -> Root:
    """``root``, or, when GitLab's ``jobs`` entry stopped at its own errors (a key that is no
    job, which content of an include not followed may explain, or no visible job), ``root``
    with each job and trigger job checked on its own: what GitLab reads once those errors are
    fixed. Rules read jobs through this, so that one such key does not hide every job.
    ``memo``: the results of this run's checks, to reuse (:meth:`Check.reuse`)."""
    from cigen.config.node import Check
    from cigen.config.root import RESERVED_KEYS, job, job_kind
    from cigen.records import replace

    if root.jobs:
        return root
    workflow = config.get("workflow")
    workflow_rules = isinstance(workflow, dict) and workflow.get("rules") is not None
    found: dict[str, Job] = {}
    if memo is None:
        memo = {}  # entries checked once per value (:meth:`Check.reuse`)
    check = Check(memo=memo)  # each job's errors are left to the entry tree: dropped after it
    for name, value in config.items():
        if name in RESERVED_KEYS or name[:1] == ".":  # hidden keys are no jobs
            continue
        kind = job_kind(name, value)
        if kind != "job" and kind != "bridge":
            continue
        mark = config.key_mark(name)
        entry = job(check, name, value, mark, f"jobs:{name}", kind, workflow_rules)
        if entry is not None:
            found[name] = entry
        check.errors.clear()
        check.warnings.clear()
    return replace(root, jobs=found) if found else root


def pipeline_jobs(
    root: Root, config: YMap, normalized: Normalized | None = None
) -> dict[str, PipelineJob]:
    """Every visible job of ``root`` (the ones whose own checks passed; see
    :func:`checked_jobs`), in order; ``config`` is what ``root`` was built from;
    ``normalized``: :func:`~cigen.config.processor.normalize` of ``root.jobs``, when the
    caller has it already."""
    if normalized is None:
        normalized = normalize(root.jobs)
    defaults: dict[str, Any] = {k: root.values[k] for k in GLOBAL_DEFAULTS if k in root.values}
    sources: dict[str, YMap] = dict.fromkeys(defaults, config)
    found = root.values.get("default")
    block = config.get("default")
    if isinstance(found, Mapping) and isinstance(block, YMap):
        for key, value in found.items():
            if value is not None:
                defaults[key] = value
                sources[key] = block
    globals_: tuple[Variable, ...] = tuple(root.values.get("variables") or ())
    global_order = [v.name for v in globals_]
    global_names = set(global_order)
    by_job: dict[str, list[Instance]] = {}
    for instance in normalized.instances.values():
        by_job.setdefault(instance.job.name, []).append(instance)
    out: dict[str, PipelineJob] = {}
    #: the variables jobs take, by the identity of their own variables and their inherit:
    #: (both held by the jobs while this runs, so an id is not reused)
    shared: dict[tuple[int, int], tuple[Variable, ...]] = {}
    for name, job in root.jobs.items():
        inherit = job.value("inherit")
        values = dict(job.values)
        taken_defaults: list[str] = []  # in the order of ``defaults``
        if job.kind == "job":
            written = job.node.get
            taken_defaults = [
                key
                for key in defaults
                if written(key) is None and (inherit is None or inherit.inherits_default(key))
            ]
            for key in taken_defaults:
                values[key] = defaults[key]
        own = job.value("variables") or ()
        # jobs whose variables and inherit: are the same objects (a template's) take the same
        key = (id(own), id(inherit))
        variables = shared.get(key)
        if variables is None:
            names = {v.name for v in own}
            inherited = global_names if inherit is None else inherit.variables_taken(global_names)
            if inherited is global_names and names.isdisjoint(global_names):
                taken = globals_  # every global variable, as the filter below keeps them all
            elif not inherited:
                taken = ()
            else:  # those the job does not set itself, judged by name in C, in their order
                allowed = inherited - names
                taken = tuple(compress(globals_, map(allowed.__contains__, global_order)))
            variables = shared[key] = (*taken, *own)
        out[name] = PipelineJob(
            job,
            values,
            frozenset(taken_defaults),
            variables,
            tuple(by_job.get(name, ())),
            {key: sources[key] for key in taken_defaults},
        )
    return out
