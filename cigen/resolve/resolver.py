"""Assemble a configuration the way GitLab does (semantics doc section 2.1).

Order: load -> input interpolation -> includes (depth first, deep-merged, the including file
last) -> ``extends`` -> ``!reference`` -> jobs with ``default:``/``inherit:`` and global
variables. Whatever cannot be resolved becomes an :class:`~cigen.model.Event`; nothing here
reports diagnostics or raises for a mistake in the configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from cigen.diagnostics import Mark, Severity
from cigen.model import (
    DEFAULT_KEYS,
    DEFAULT_STAGES,
    FLATTENED_KEYS,
    GLOBAL_DEFAULTS,
    GLOBAL_KEYS,
    Document,
    Event,
    Job,
    Pipeline,
    looks_like_job,
)
from cigen.project import Missing, Outside, Project, is_wildcard
from cigen.records import dataclass, field
from cigen.resolve.budget import Budget
from cigen.resolve.external import Request, Source, Unavailable, unlocked
from cigen.resolve.inputs import bind, interpolate
from cigen.resolve.merge import deep_merge
from cigen.variables import expand
from cigen.yaml.load import Loaded, Reference, YMap, YSeq, load_text

MAX_INCLUDES = 150
#: ``extends``: more than this many ancestors with a further ``extends`` fails.
MAX_EXTENDS_ANCESTORS = 10
MAX_FLATTEN_DEPTH = 10
#: ``!reference`` chains and expansion are bounded (GitLab: only cycles are errors; a runaway
#: chain is a hostile input).
MAX_REFERENCE_DEPTH = 50
MAX_REFERENCE_EXPANSION = 200_000

#: Decides an ``include:rules`` list: True include, False skip.
IncludeRules = Callable[[Any], bool]


@dataclass
class _State:
    project: Project
    include_rules: IncludeRules | None
    variables: dict[str, str]
    events: list[Event] = field(default_factory=list)
    unfollowed: list[Event] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    count: int = 0
    limit_hit: bool = False
    tainted: set[str] = field(default_factory=set)  # top-level keys with a broken !reference
    partial: set[str] = field(default_factory=set)  # keys extending an unknown key (maybe external)
    external: Source | None = None  # project/template/component/remote includes (lock + cache)
    files: dict[str, Loaded] = field(default_factory=dict)  # external files read, by name
    budget: Budget = field(default_factory=Budget)  # what extends/!reference/default copy

    def event(self, kind: str, mark: Mark, message: str, **extra: Any) -> None:
        self.events.append(Event(kind, mark, message, **extra))


def resolve(
    project: Project,
    entry: str,
    *,
    include_rules: IncludeRules | None = None,
    variables: dict[str, str] | None = None,
    external: Source | None = None,
) -> Pipeline:
    """Resolve ``entry`` (a repository path) into a :class:`Pipeline`; ``external`` provides
    the content of project, template, component and remote includes (None: not followed)."""
    state = _State(project, include_rules, dict(variables or {}), external=external)
    loaded = project.load(entry)
    config: YMap | None = None
    if loaded.ok and isinstance(loaded.body, YMap):
        body = _interpolated(state, loaded, None, loaded.body.mark, root_file=True)
        state.documents.append(Document(entry, body))
        config = _expand_includes(state, entry, body, (entry,))
    elif loaded.ok:
        state.documents.append(Document(entry, loaded.body))
    if config is None:
        return Pipeline(
            project.root,
            entry,
            {**project.loaded, **state.files},
            tuple(state.documents),
            None,
            {},
            (".pre", *DEFAULT_STAGES, ".post"),
            None,
            tuple(state.events),
            tuple(state.unfollowed),
        )
    config = _resolve_extends(state, config)
    config = _resolve_references(state, config)
    stages, stages_mark = _stages(config)
    jobs = _jobs(state, config)
    return Pipeline(
        project.root,
        entry,
        {**project.loaded, **state.files},
        tuple(state.documents),
        config,
        jobs,
        stages,
        stages_mark,
        tuple(state.events),
        tuple(state.unfollowed),
        frozenset(state.tainted),
        frozenset(state.partial),
    )


# --- includes ---------------------------------------------------------------------------------


def _interpolated(
    state: _State,
    loaded: Loaded,
    given: Any,
    given_mark: Mark,
    *,
    root_file: bool = False,
    component: dict[str, str] | None = None,
) -> Any:
    values, problems = bind(
        loaded.header, given if isinstance(given, dict) else None, given_mark, root_file=root_file
    )
    for problem in problems:
        state.event("include-inputs", problem.mark, problem.message)
    if problems and not root_file:
        return None  # GitLab stops at an input error; the file's content would only add noise
    context = _component_context(loaded.header, component)
    if values is None and context is None:
        return loaded.body
    values = values if values is not None else {}
    if root_file and loaded.header is not None:
        spec = loaded.header.get("spec")
        declared = spec.get("inputs") if isinstance(spec, dict) else None
        for name in declared or ():
            values.setdefault(name, f"$[[ inputs.{name} ]]")
    body, problems = interpolate(loaded.body, values, given_mark, context)
    for problem in problems:
        state.event("include-inputs", problem.mark, problem.message)
    return body


def _component_context(header: Any, component: dict[str, str] | None) -> dict[str, str] | None:
    """The ``$[[ component.x ]]`` values a component declares in ``spec:component``
    (``lib/gitlab/ci/config/header/component.rb``: name, sha, version, reference)."""
    if component is None or not isinstance(header, dict):
        return None
    spec = header.get("spec")
    wanted = spec.get("component") if isinstance(spec, dict) else None
    if not isinstance(wanted, list):
        return None
    return {name: component[name] for name in wanted if name in component}


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str  # local, project, remote, template, component, artifact, invalid
    target: str
    mark: Mark
    inputs: Any = None
    rules: Any = None
    item: Any = None  # the include's mapping, when it is one


def _entries(value: Any, mark: Mark) -> Iterator[_Entry]:
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        where = value.item_mark(index) if isinstance(value, YSeq) else mark
        if isinstance(item, str):
            kind = "remote" if re.match(r"https?://", item) else "local"
            yield _Entry(kind, item, where)
        elif isinstance(item, YMap):
            for kind in ("local", "project", "remote", "template", "component", "artifact"):
                if kind in item:
                    target = item[kind]
                    if kind == "project":
                        files = item.get("file")
                        target = f"{item[kind]}:{files}"
                    yield _Entry(
                        kind,
                        str(target),
                        item.value_mark(kind),
                        item.get("inputs"),
                        item.get("rules"),
                        item,
                    )
                    break
            else:
                yield _Entry("invalid", "", where)
        else:
            yield _Entry("invalid", "", where)


@dataclass(frozen=True, slots=True)
class _Origin:
    """The project an external file comes from: its local includes are read there."""

    project: str
    ref: str  # as the include named it, for file names in findings
    commit: str


def _expand_includes(
    state: _State, path: str, body: YMap, chain: tuple[str, ...], origin: _Origin | None = None
) -> YMap:
    content = YMap(body.mark)
    if "include" in body:
        for entry in _entries(body["include"], body.value_mark("include")):
            for included in _follow(state, entry, chain, origin):
                content = deep_merge(content, included)
    rest = YMap(body.mark)
    for key, value in body.items():
        if key != "include":
            rest.put(key, value, body.key_mark(key), body.value_mark(key))
    merged: YMap = deep_merge(content, rest)
    return merged


def _count(state: _State, mark: Mark) -> bool:
    state.count += 1
    if state.count > MAX_INCLUDES:
        if not state.limit_hit:
            state.event(
                "include-limit",
                mark,
                f"Maximum of {MAX_INCLUDES} nested includes are allowed; GitLab counts every "
                "include, nested and repeated: merge some included files",
            )
        state.limit_hit = True
        return False
    return True


def _follow(
    state: _State, entry: _Entry, chain: tuple[str, ...], origin: _Origin | None = None
) -> Iterator[YMap]:
    if state.limit_hit:
        return
    if entry.kind == "invalid":
        state.event(
            "include-invalid",
            entry.mark,
            "an include entry must be a path or a mapping with local:, project:, remote:, "
            "template: or component:",
        )
        return
    if entry.rules is not None:
        # GitLab checks the rules' shape first (External::Rules): a bad one fails the pipeline.
        from cigen.config.include import external_rules_error

        item = entry.item
        where = item.value_mark("rules") if isinstance(item, YMap) else entry.mark
        error = external_rules_error(entry.rules, where)
        if error is not None and error.rule != "CIG401":  # invalid-expression reports those
            state.event("include-invalid", error.mark, error.message)
            return
    if entry.rules is not None and state.include_rules is not None:
        if not state.include_rules(entry.rules):
            return
    if entry.kind != "local" or origin is not None:
        yield from _follow_external(state, entry, chain, origin)
        return
    target, unknown = expand(entry.target, state.variables)
    if unknown:
        if _count(state, entry.mark):
            state.unfollowed.append(
                Event(
                    "include-not-followed",
                    entry.mark,
                    f"local include {entry.target!r} uses ${unknown[0]}, which is only known "
                    "when GitLab creates the pipeline; it is not followed",
                    subject=entry.target,
                )
            )
        return
    if is_wildcard(target):
        if target.startswith("/"):
            state.event(
                "include-not-found",
                entry.mark,
                f"wildcard include {target!r} starts with '/', so GitLab matches nothing "
                "(repository paths have no leading slash); drop the '/'",
                severity=Severity.WARNING,
            )
            return
        matches = state.project.glob(target)
        matches = [m for m in matches if m.endswith((".yml", ".yaml"))]
        if not matches:
            state.event(
                "include-not-found",
                entry.mark,
                f"wildcard include {target!r} matches no .yml/.yaml file; GitLab silently "
                "includes nothing",
                severity=Severity.WARNING,
            )
        paths = matches
    else:
        if not target.endswith((".yml", ".yaml")):
            state.event(
                "include-invalid",
                entry.mark,
                f"included file {target!r} does not have a YAML extension (.yml or .yaml)",
            )
            return
        paths = [target]
    for repo_path in paths:
        if not _count(state, entry.mark):
            return
        try:
            rel = state.project.normalize(repo_path)
            loaded = state.project.load(rel)
        except Outside:
            state.event(
                "include-outside-root",
                entry.mark,
                f"include {repo_path!r} points outside the project; GitLab reads local "
                "includes from the repository root only",
            )
            continue
        except Missing as exc:
            state.event(
                "include-not-found",
                entry.mark,
                f"local file {repo_path!r} does not exist in the project; fix the path "
                "(paths are relative to the repository root)"
                if exc.absent
                else f"local file {repo_path!r} cannot be read ({exc.reason}); GitLab "
                "includes only regular files of the repository",
            )
            continue
        yield from _include_loaded(state, entry, rel, loaded, chain, None)


def _include_loaded(
    state: _State,
    entry: _Entry,
    name: str,
    loaded: Loaded,
    chain: tuple[str, ...],
    origin: _Origin | None,
    component: dict[str, str] | None = None,
) -> Iterator[YMap]:
    """The content of one included file (``name``), its own includes expanded."""
    if name in chain:
        cycle = " -> ".join((*chain[chain.index(name) :], name))
        state.event(
            "include-cycle",
            entry.mark,
            f"include cycle: {cycle}; GitLab stops only at the {MAX_INCLUDES}-include "
            "limit: remove one of these includes",
        )
        return
    if not loaded.ok:
        return  # the file's own syntax findings are reported by yaml-syntax
    if loaded.body is None:
        state.event(
            "include-not-found",
            entry.mark,
            f"included file {name!r} is empty; GitLab rejects empty includes",
        )
        return
    body = _interpolated(state, loaded, entry.inputs, entry.mark, component=component)
    if body is None:
        return
    state.documents.append(Document(name, body))
    if not isinstance(body, YMap):
        return  # the schema check reports a document that is not a mapping
    yield _expand_includes(state, name, body, (*chain, name), origin)


def _not_followed(state: _State, entry: _Entry, message: str) -> None:
    state.unfollowed.append(
        Event("include-not-followed", entry.mark, message, subject=entry.target)
    )


def _requests(state: _State, entry: _Entry, origin: _Origin | None) -> list[Request] | str:
    """The external files ``entry`` asks for, or why they cannot be named before GitLab
    creates the pipeline."""
    item = entry.item if isinstance(entry.item, dict) else {}
    if entry.kind == "artifact":
        return (
            f"artifact include {entry.target!r} is a file a job creates while the pipeline "
            "runs; it is not followed"
        )
    raw: dict[str, Any] = {"target": entry.target}
    files: list[Any] = []
    if entry.kind == "project":
        raw = {"target": item.get("project"), "ref": item.get("ref")}
        listed = item.get("file")
        files = list(listed) if isinstance(listed, list) else [listed]
    elif entry.kind == "local":
        assert origin is not None
        files = [entry.target]
    values: dict[str, str] = {}
    for name, value in (*raw.items(), *((f"file{i}", f) for i, f in enumerate(files))):
        if value is None:
            continue
        if not isinstance(value, str):
            return f"{entry.kind} include {entry.target!r} is not valid; it is not followed"
        expanded, unknown = expand(value, state.variables)
        if unknown:
            return (
                f"{entry.kind} include {entry.target!r} uses ${unknown[0]}, which is only known "
                "when GitLab creates the pipeline; it is not followed"
            )
        values[name] = expanded
    paths = [values[f"file{i}"].lstrip("/") for i in range(len(files)) if f"file{i}" in values]
    if entry.kind == "local":
        assert origin is not None
        if any(is_wildcard(p) for p in paths):
            return (
                f"wildcard local include {entry.target!r} in project {origin.project} is not "
                "followed (cigen fetch reads named files only)"
            )
        return [Request("project", origin.project, origin.commit, p) for p in paths]
    if entry.kind == "project":
        if "target" not in values or not paths:
            return f"project include {entry.target!r} needs project: and file:; it is not followed"
        ref = values.get("ref", "")
        return [Request("project", values["target"], ref, p) for p in paths]
    integrity = item.get("integrity") if entry.kind == "remote" else None
    if isinstance(integrity, str):
        return [Request("remote", values["target"], integrity=integrity)]
    return [Request(entry.kind, values["target"])]


def _follow_external(
    state: _State, entry: _Entry, chain: tuple[str, ...], origin: _Origin | None
) -> Iterator[YMap]:
    requests = _requests(state, entry, origin)
    if isinstance(requests, str):
        if _count(state, entry.mark):
            _not_followed(state, entry, requests)
        return
    for request in requests:
        if not _count(state, entry.mark):
            return
        if state.external is None:
            _not_followed(state, entry, unlocked(request))
            continue
        got = state.external.get(request)
        if isinstance(got, Unavailable):
            _not_followed(state, entry, got.message)
            continue
        name, inner = _located(request, got.entry, origin)
        loaded = state.files.get(name)
        if loaded is None:
            loaded = state.files[name] = load_text(name, got.data, size=len(got.data))
        component = None
        if request.kind == "component":
            spec = loaded.header.get("spec") if isinstance(loaded.header, dict) else None
            if isinstance(spec, dict) and "include" in spec:
                state.event(
                    "include-invalid",
                    entry.mark,
                    f"Component `{request.target}` cannot use `spec:include`. This keyword is "
                    "not supported in components",
                )
                continue
            component = {
                "name": request.target.rpartition("@")[0].rpartition("/")[2],
                "sha": got.entry.commit,
                "version": got.entry.version,
                "reference": request.target.rpartition("@")[2],
            }
        yield from _include_loaded(state, entry, name, loaded, chain, inner, component)


def _located(request: Request, entry: Any, origin: _Origin | None) -> tuple[str, _Origin | None]:
    """The name findings give a fetched file (project, ref and path), and the origin its own
    local includes are read from (GitLab reads them in the project the file came from)."""
    if request.kind == "project":
        label = request.ref or "HEAD"
        if origin is not None and request.ref == origin.commit:
            label = origin.ref
        return f"{request.target}@{label}:{request.file}", _Origin(
            request.target, label, entry.commit
        )
    if request.kind == "component":
        version = entry.version or request.target.rpartition("@")[2]
        return f"{entry.project}@{version}:{entry.file}", _Origin(
            entry.project, version, entry.commit
        )
    if request.kind == "template":
        return f"template:{request.target}", origin
    return request.target, origin


# --- extends ----------------------------------------------------------------------------------


def _parents(value: YMap) -> list[tuple[str, Mark]]:
    raw = value["extends"]
    mark = value.value_mark("extends")
    if isinstance(raw, str):
        return [(raw, mark)]
    if isinstance(raw, YSeq):
        return [(str(p), raw.item_mark(i)) for i, p in enumerate(raw) if isinstance(p, str)]
    return []


def _resolve_extends(state: _State, config: YMap) -> YMap:
    done: dict[str, Any] = {}
    height: dict[str, int] = {}
    active: list[str] = []
    reported_cycles: set[frozenset[str]] = set()

    def visit(name: str) -> Any:
        if name in done:
            return done[name]
        value = config[name]
        if not isinstance(value, YMap) or "extends" not in value:
            done[name] = value
            height[name] = 0
            return value
        active.append(name)
        merged: Any = None
        best = 0
        for parent, mark in _parents(value):
            if parent not in config:
                state.partial.add(name)
                state.event(
                    "extends-unknown",
                    mark,
                    f"{name}: unknown key in `extends` ({parent}); define it or fix the name",
                    job=name,
                    subject=parent,
                )
                continue
            if not isinstance(config[parent], YMap):
                state.event(
                    "extends-unknown",
                    mark,
                    f"{name}: invalid base hash in `extends` ({parent}): it is not a mapping",
                    job=name,
                    subject=parent,
                )
                continue
            if parent in active:
                cycle = frozenset(active[active.index(parent) :])
                if cycle not in reported_cycles:
                    reported_cycles.add(cycle)
                    path = " -> ".join((*active[active.index(parent) :], parent))
                    state.event(
                        "extends-cycle",
                        mark,
                        f"{name}: circular dependency detected in `extends` ({path}); "
                        "break the cycle",
                        job=name,
                    )
                continue
            if len(active) > MAX_EXTENDS_ANCESTORS + 1:
                # GitLab fails past 11 levels anyway; stop here so chains stay bounded
                height[name] = MAX_EXTENDS_ANCESTORS + 2
                continue
            resolved = visit(parent)
            if parent in state.partial:
                state.partial.add(name)
            best = max(best, height.get(parent, 0))
            if merged is not None:
                state.budget.charge(mark, f"`extends` of {name}", merged, resolved)
                merged = deep_merge(merged, resolved)
            else:
                merged = resolved
        active.pop()
        height[name] = max(height.get(name, 0), best + 1)
        if merged is not None:
            state.budget.charge(value.value_mark("extends"), f"`extends` of {name}", merged, value)
        result = deep_merge(merged, value) if merged is not None else value
        done[name] = result
        return result

    out = YMap(config.mark)
    for name in config:
        out.put(name, visit(name), config.key_mark(name), config.value_mark(name))
    extended = {
        parent
        for value in config.values()
        if isinstance(value, YMap) and "extends" in value
        for parent, _mark in _parents(value)
    }
    for name, levels in height.items():
        if levels > MAX_EXTENDS_ANCESTORS + 1 and name not in extended:
            value = config[name]
            state.event(
                "extends-too-deep",
                value.value_mark("extends"),
                f"{name}: nesting too deep in `extends` ({levels} levels; GitLab allows 11); "
                "flatten the chain",
                job=name,
            )
    return out


# --- !reference -------------------------------------------------------------------------------


def _resolve_references(state: _State, config: YMap) -> YMap:
    cache: dict[tuple[str, ...], Any] = {}
    active: list[tuple[str, ...]] = []
    broken = [False]  # set when the top-level key being walked holds a broken reference
    sizes: dict[int, tuple[Any, int]] = {}
    holds: dict[int, bool] = {}  # id of a mapping or list in ``config`` -> holds a !reference
    missing = object()

    def lookup(ref: Reference) -> Any:
        path = ref.path
        if not path or not all(isinstance(p, str) and p for p in ref):
            state.event(
                "reference-unknown",
                ref.mark,
                f"{ref.text()} is not valid: it must list one or more keys",
            )
            return missing
        if path in cache:
            return cache[path]
        if path in active:
            state.event(
                "reference-unknown",
                ref.mark,
                f"{ref.text()} is part of a circular chain; break the cycle",
                cycle=True,
            )
            return missing
        node: Any = config
        for part in path:
            if not isinstance(node, dict) or part not in node:
                node = missing
                break
            node = node[part]
        if node is missing or node is None or node is False:
            state.event(
                "reference-unknown",
                ref.mark,
                f"{ref.text()} could not be found; check the key names",
                subject=path[0],
            )
            cache[path] = missing
            return missing
        if len(active) >= MAX_REFERENCE_DEPTH:
            state.event(
                "reference-unknown",
                ref.mark,
                f"{ref.text()} starts a chain of more than {MAX_REFERENCE_DEPTH} references; "
                "shorten it",
                cycle=True,
            )
            return missing
        active.append(path)
        value = walk(node)
        active.pop()
        if _expanded_size(value, sizes) > MAX_REFERENCE_EXPANSION:
            state.event(
                "reference-unknown",
                ref.mark,
                f"{ref.text()} expands to more than {MAX_REFERENCE_EXPANSION:,} values "
                "(references that repeat references); reduce the nesting",
                cycle=True,
            )
            value = missing
        cache[path] = value
        return value

    def walk(value: Any) -> Any:
        if isinstance(value, Reference):
            found = lookup(value)  # ``missing`` drops the key or item; reference-unknown reports it
            if found is missing:
                broken[0] = True
            else:
                state.budget.charge(value.mark, value.text(), found)
            return found
        if isinstance(value, YMap):
            if not _has_reference(value, holds):
                return value
            out = YMap(value.mark)
            for key, item in value.items():
                found = walk(item)
                if found is not missing:
                    out.put(key, found, value.key_mark(key), value.value_mark(key))
            return out
        if isinstance(value, YSeq):
            if not _has_reference(value, holds):
                return value
            seq = YSeq(value.mark)
            for index, item in enumerate(value):
                found = walk(item)
                if found is not missing:
                    seq.push(found, value.item_mark(index))
            return seq
        return value

    out = YMap(config.mark)
    for name, value in config.items():
        broken[0] = False
        found = walk(value)
        state.budget.check_depth(config.key_mark(name), name, found)
        if broken[0]:
            state.tainted.add(name)
        if found is not missing:
            out.put(name, found, config.key_mark(name), config.value_mark(name))
    return out


def _expanded_size(value: Any, sizes: dict[int, tuple[Any, int]]) -> int:
    """Values in ``value`` counted with repetition (shared parts count each time they appear),
    computed in time linear in the distinct parts."""
    if not isinstance(value, (dict, list)):
        return 1
    known = sizes.get(id(value))
    if known is not None:
        return known[1]
    items = value.values() if isinstance(value, dict) else value
    total = 1
    for item in items:
        total += _expanded_size(item, sizes)
        if total > MAX_REFERENCE_EXPANSION:
            break
    sizes[id(value)] = (value, total)  # keeps value alive so its id is not reused
    return total


def _has_reference(value: Any, holds: dict[int, bool]) -> bool:
    """Whether ``value`` holds a ``!reference``; each container is looked at once (``holds``
    remembers the answer by id for the parts of the configuration, which outlive the walk)."""
    if isinstance(value, Reference):
        return True
    if not isinstance(value, (dict, list)):
        return False
    known = holds.get(id(value))
    if known is None:
        items = value.values() if isinstance(value, dict) else value
        known = holds[id(value)] = any(_has_reference(v, holds) for v in items)
    return known


# --- jobs -------------------------------------------------------------------------------------


def flatten(value: Any, depth: int = 0) -> list[Any]:
    """Flatten nested lists as GitLab does for ``script``, ``rules`` and ``stages``."""
    out: list[Any] = []
    for item in value:
        if isinstance(item, list) and depth < MAX_FLATTEN_DEPTH:
            out.extend(flatten(item, depth + 1))
        else:
            out.append(item)
    return out


def _flat_seq(value: YSeq) -> YSeq:
    seq = YSeq(value.mark)
    for index, item in enumerate(value):
        mark = value.item_mark(index)
        if isinstance(item, YSeq):
            inner = _flat_seq(item)
            for j, sub in enumerate(inner):
                seq.push(sub, inner.item_mark(j))
        else:
            seq.push(item, mark)
    return seq


def _stages(config: YMap) -> tuple[tuple[str, ...], Mark | None]:
    raw = config.get("stages")
    if isinstance(raw, YSeq):
        names = [s for s in _flat_seq(raw) if isinstance(s, str) and s not in (".pre", ".post")]
        return (".pre", *names, ".post"), config.value_mark("stages")
    return (".pre", *DEFAULT_STAGES, ".post"), None


def _inherit(job: YMap, kind: str) -> bool | list[str]:
    inherit = job.get("inherit")
    if not isinstance(inherit, dict):
        return True
    value = inherit.get(kind, True)
    if isinstance(value, list):
        return [str(v) for v in value]
    return value is not False


def _allowed(rule: bool | list[str], key: str) -> bool:
    return key in rule if isinstance(rule, list) else rule


def _jobs(state: _State, config: YMap) -> dict[str, Job]:
    defaults = YMap(config.mark)
    default_block = config.get("default")
    default_is_job = looks_like_job(default_block)
    for key in GLOBAL_DEFAULTS:
        if key in config and config[key] is not None:
            defaults.put(key, config[key], config.key_mark(key), config.value_mark(key))
    if isinstance(default_block, YMap) and not default_is_job:
        for key in DEFAULT_KEYS:
            if key in default_block:
                if key in defaults:
                    state.event(
                        "default-conflict",
                        default_block.key_mark(key),
                        f"{key} is defined in top-level and `default:` entry; keep only the "
                        "`default:` one",
                    )
                defaults.put(
                    key,
                    default_block[key],
                    default_block.key_mark(key),
                    default_block.value_mark(key),
                )
    variables = config.get("variables")
    global_vars = variables if isinstance(variables, YMap) else None

    jobs: dict[str, Job] = {}
    for name, value in config.items():
        if name.startswith("."):
            continue
        if name in GLOBAL_KEYS and not (name in ("default", "workflow") and looks_like_job(value)):
            continue
        mark = config.key_mark(name)
        if not isinstance(value, YMap):
            continue  # the schema check reports a job that is not a mapping
        if "script" in value or "run" in value:
            kind = "build"
        elif "trigger" in value or _needs_pipeline(value.get("needs")):
            kind = "trigger"
        elif state.unfollowed and name in state.partial:
            kind = "build"  # its script may come from a parent in an include not followed
        else:
            if name in state.tainted:
                continue  # its script may be the broken !reference, reported already
            # GitLab's entry tree reports it (cigen.config.root.jobs)
            continue
        job_config, inherited = _job_config(value, defaults, global_vars, kind, state.budget)
        jobs[name] = Job(name, job_config, mark, kind, inherited)
    return jobs


def _needs_pipeline(needs: Any) -> bool:
    """``needs: {pipeline: ...}`` (or a list item with ``pipeline:``) makes a trigger job."""
    if isinstance(needs, dict):
        return "pipeline" in needs
    return isinstance(needs, list) and any(isinstance(n, dict) and "pipeline" in n for n in needs)


def _job_config(
    value: YMap, defaults: YMap, global_vars: YMap | None, kind: str, budget: Budget
) -> tuple[YMap, frozenset[str]]:
    out = YMap(value.mark)
    inherited: set[str] = set()
    out.put_all(value)
    for key, item in value.items():
        if key in FLATTENED_KEYS and isinstance(item, YSeq):
            out[key] = _flat_seq(item)
    inherit_default = _inherit(value, "default")
    if kind == "build":
        for key, item in defaults.items():
            if out.get(key) is None and _allowed(inherit_default, key):
                budget.charge(value.mark, f"`default:{key}` for this job", item)
                if key in FLATTENED_KEYS and isinstance(item, YSeq):
                    item = _flat_seq(item)
                out.put(key, item, defaults.key_mark(key), defaults.value_mark(key))
                inherited.add(key)
    inherit_vars = _inherit(value, "variables")
    if global_vars:
        own = value.get("variables")
        if own is None or isinstance(own, YMap):
            budget.charge(value.mark, "the global `variables:` for this job", global_vars)
            merged = YMap(own.mark if isinstance(own, YMap) else global_vars.mark)
            if inherit_vars is True:
                merged.put_all(global_vars)
            else:
                for key, item in global_vars.items():
                    if _allowed(inherit_vars, key):
                        merged.put(
                            key, item, global_vars.key_mark(key), global_vars.value_mark(key)
                        )
            if isinstance(own, YMap):
                merged.put_all(own)
            if merged:
                out.put(
                    "variables",
                    merged,
                    value.key_mark("variables") if own is not None else global_vars.mark,
                    value.value_mark("variables") if own is not None else global_vars.mark,
                )
    return out, frozenset(inherited)
