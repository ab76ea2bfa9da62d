"""The resolved pipeline: frozen records the lint rules read.

The resolver never emits diagnostics; what it could not resolve is recorded as
:class:`Event` values, which the ``CIG1xx`` rules turn into findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cigen.diagnostics import Mark, Severity
from cigen.records import dataclass, field
from cigen.yaml.load import Loaded, YMap

if TYPE_CHECKING:
    from cigen.config.jobs import PipelineJob
    from cigen.config.node import ConfigError
    from cigen.config.processor import Normalized
    from cigen.config.root import Root

#: Top-level keys that are never jobs (``default`` and ``workflow`` are, when they look like one).
GLOBAL_KEYS = frozenset(
    {
        "default",
        "include",
        "before_script",
        "image",
        "services",
        "after_script",
        "variables",
        "stages",
        "cache",
        "workflow",
        "spec",
    }
)
#: Lists GitLab flattens (nested lists come from anchors and ``!reference``); GitLab's own
#: pipeline relies on this for services, cache and needs (semantics 2.7).
FLATTENED_KEYS = frozenset(
    {
        "script",
        "before_script",
        "after_script",
        "rules",
        "stages",
        "services",
        "cache",
        "needs",
        "pre_get_sources_script",
    }
)
#: Keys that make a top-level mapping a job (``default``/``workflow`` included, semantics 2.9).
JOB_MARKERS = ("script", "run", "trigger", "needs")
#: ``stages`` when a configuration declares none (semantics 3.2).
DEFAULT_STAGES = ("build", "test", "deploy")
#: The stages every pipeline has, first and last, whatever ``stages`` says.
EDGE_STAGES = (".pre", ".post")


def with_edge_stages(declared: Sequence[str] | None) -> tuple[str, ...]:
    """The pipeline's stages (``Config::Stages#inject_edge_stages!``): the declared ones, or
    :data:`DEFAULT_STAGES` when none are, between ``.pre`` and ``.post``. A declared empty list
    stays empty: GitLab adds no edges to it, so no job has a stage to be in."""
    if declared is None:
        declared = DEFAULT_STAGES
    elif not declared:
        return ()
    return (".pre", *[s for s in declared if s not in EDGE_STAGES], ".post")


#: Keys ``default:`` may set (semantics 2.8); ``timeout`` is accepted by GitLab's source.
DEFAULT_KEYS = (
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "identity",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
)
#: Deprecated top-level keys that act as ``default:`` values.
GLOBAL_DEFAULTS = ("image", "services", "cache", "before_script", "after_script")


def looks_like_job(value: Any) -> bool:
    """A mapping GitLab treats as a job: it holds script, run, trigger or needs."""
    return isinstance(value, dict) and any(key in value for key in JOB_MARKERS)


#: Resolver events after which GitLab refuses the configuration before its entry tree.
_ASSEMBLY = ("include-", "extends-", "reference-", "default-conflict")
_EXPLAINABLE = frozenset({"extends-unknown", "reference-unknown"})


@dataclass(frozen=True, slots=True)
class Event:
    """Something the resolver could not do, to be reported by the rule that owns ``kind``."""

    kind: str
    mark: Mark
    message: str
    job: str | None = None
    subject: str = ""  # the name it is about (an include target, a parent, a reference)
    severity: Severity | None = None  # a lower level than the rule's own, when it is one
    cycle: bool = False  # part of a cycle: more content could not explain it
    #: GitLab's own message for it, as ``Gitlab::Ci::YamlProcessor`` reports it (CI Lint's
    #: text); empty when GitLab raises no error for it (a warning of cigen's own).
    gitlab: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """One configuration document as GitLab validates it (after input interpolation)."""

    path: str
    body: Any


@dataclass(frozen=True, slots=True)
class Job:
    """A visible job after includes, ``extends``, ``!reference`` and ``default:``."""

    name: str
    config: YMap
    mark: Mark
    kind: str  # "build" or "trigger"
    inherited: frozenset[str] = frozenset()  # keys that came from ``default:``

    @property
    def stage(self) -> str:
        stage = self.config.get("stage")
        return stage if isinstance(stage, str) else "test"

    @property
    def stage_mark(self) -> Mark:
        return self.config.value_mark("stage") if "stage" in self.config else self.mark


@dataclass(frozen=True)
class Pipeline:
    """Everything the rules need to know about one linted configuration."""

    root: Path
    entry: str
    files: Mapping[str, Loaded]
    documents: tuple[Document, ...]
    config: YMap | None
    jobs: Mapping[str, Job]
    stages: tuple[str, ...]
    stages_mark: Mark | None
    events: tuple[Event, ...] = field(default=())
    unfollowed: tuple[Event, ...] = field(default=())
    tainted: frozenset[str] = frozenset()  # top-level keys holding a broken !reference
    partial: frozenset[str] = frozenset()  # keys extending an unknown key (maybe external)

    def events_of(self, kind: str) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.kind == kind)

    @property
    def assembly_failed(self) -> bool:
        """True when GitLab would stop before validating the entry tree: an include, ``extends``,
        ``!reference`` or ``default:`` error (a missing name an unfollowed include may define
        does not count)."""
        return self.assembly_error is not None

    @property
    def assembly_error(self) -> Event | None:
        """The first event that makes GitLab stop before validating the entry tree."""
        for event in self.events:
            if not event.kind.startswith(_ASSEMBLY) or event.severity is not None:
                continue
            explainable = event.kind in _EXPLAINABLE and not event.cycle
            if not (explainable and self.incomplete):
                return event
        return None

    @property
    def gitlab_errors(self) -> tuple[str, ...]:
        """The errors GitLab would report for this configuration, in its words: the assembly
        error (GitLab stops at the first include, ``extends``, ``!reference`` or input error),
        else the entry tree's and the cross-job checks' errors."""
        error = self.assembly_error
        if error is not None:
            return (error.gitlab or error.message,)
        model = self.model
        return () if model is None else tuple(e.message for e in model.errors)

    @cached_property
    def entry_memo(self) -> dict[Any, Any]:
        """What GitLab's entries returned for this run's values without an error
        (:meth:`cigen.config.node.Check.reuse`): the entry tree, the jobs checked on their own
        and rules that check templates share it, so a value is checked once."""
        return {}

    @cached_property
    def entry_tree(self) -> Root | None:
        """GitLab's entry tree of :attr:`config` (:func:`cigen.config.root.root`), before the
        cross-job checks; built once (``None`` without a config)."""
        if self.config is None:
            return None
        from cigen.config.root import root

        return root(self.config, self.typed_key, self.entry_memo)

    @cached_property
    def model(self) -> Root | None:
        """GitLab's entry tree of :attr:`config` validated as :func:`cigen.config.validate`
        does, once: the cross-job error GitLab reports is the first of
        :attr:`cross_job_errors` (``None`` without a config)."""
        tree = self.entry_tree
        if tree is None or tree.errors:
            return tree
        from cigen.config import with_cross_job

        # a valid tree holds every visible key as a job (:attr:`unchecked_jobs` is empty), so
        # its cross-job errors are the ones GitLab's processor finds
        return with_cross_job(tree, self.cross_job_errors)

    def typed_key(self, name: str) -> tuple[bool, Any]:
        """A top-level key of :attr:`config` as YAML typed it in the file that writes it
        (``(False, 10)`` for ``10:``, ``(True, name)`` for a string)."""
        assert self.config is not None
        mark = self.config.key_mark(name)
        loaded = self.files.get(mark.path)
        body = loaded.body if loaded is not None else None
        if isinstance(body, YMap) and name in body and body.key_mark(name) == mark:
            return body.typed_key(name)
        return True, name

    @cached_property
    def checked_tree(self) -> Root | None:
        """:attr:`entry_tree`, with each job checked on its own when GitLab's ``jobs`` entry
        stopped at its own errors (:func:`cigen.config.jobs.checked_jobs`; the tree itself
        otherwise, its jobs checked once): the jobs every later step reads."""
        tree = self.entry_tree
        if tree is None or self.config is None:
            return None
        from cigen.config.jobs import checked_jobs

        return checked_jobs(tree, self.config, self.entry_memo)

    @cached_property
    def checked_model(self) -> Root | None:
        """:attr:`model`, or :attr:`checked_tree` when its jobs were checked on their own:
        what rules read jobs from."""
        tree = self.checked_tree
        return self.model if tree is self.entry_tree else tree

    @cached_property
    def normalized(self) -> Normalized | None:
        """GitLab's normalizer over the jobs of :attr:`checked_tree`
        (:func:`cigen.config.processor.normalize`: ``parallel`` instances), run once for the
        cross-job checks and the job model."""
        tree = self.checked_tree
        if tree is None:
            return None
        from cigen.config.processor import normalize

        return normalize(tree.jobs)

    @cached_property
    def unchecked_jobs(self) -> frozenset[str]:
        """Visible keys that are jobs but not in :attr:`checked_tree` (left out for errors of
        their own, or for a script an unfollowed include may hold): they exist, so needing
        them is no error."""
        tree, config = self.checked_tree, self.config
        if tree is None or config is None:
            return frozenset()
        from cigen.config.root import ROOT_KEYS

        return frozenset(
            name
            for name in config
            if name not in tree.jobs and name not in ROOT_KEYS and not name.startswith(".")
        )

    @cached_property
    def cross_job_errors(self) -> tuple[ConfigError, ...]:
        """GitLab's checks across jobs (:func:`cigen.config.processor.errors`) over the jobs
        of :attr:`checked_tree`, every error in GitLab's order, each as if the previous ones
        were fixed; computed once. GitLab reaches them only with a valid entry tree; while it
        has errors, they say what GitLab reports next."""
        tree = self.checked_tree
        if tree is None:
            return ()
        from cigen.config.processor import errors

        return tuple(errors(tree, self.unchecked_jobs, self.normalized))

    @cached_property
    def model_jobs(self) -> Mapping[str, PipelineJob]:
        """The visible jobs of :attr:`checked_model` as GitLab creates them (``default:`` and
        global variables taken, parallel instances named): the one job model rules read."""
        tree = self.checked_tree
        if tree is None or self.config is None:
            return {}
        from cigen.config.jobs import pipeline_jobs

        return pipeline_jobs(tree, self.config, self.normalized)

    @property
    def incomplete(self) -> bool:
        """True when some include was not followed, so missing names may live there."""
        return bool(self.unfollowed)
