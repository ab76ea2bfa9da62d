"""Assemble a configuration the way GitLab does (semantics doc section 2.1).

Order: load -> input interpolation -> includes (depth first, deep-merged, the including file
last) -> ``extends`` -> ``!reference`` -> jobs with ``default:``/``inherit:`` and global
variables. Whatever cannot be resolved becomes an :class:`~cigen.model.Event`; nothing here
reports diagnostics or raises for a mistake in the configuration.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from cigen.diagnostics import Mark, Severity
from cigen.model import (
    DEFAULT_KEYS,
    FLATTENED_KEYS,
    GLOBAL_DEFAULTS,
    GLOBAL_KEYS,
    Document,
    Event,
    Job,
    Pipeline,
    looks_like_job,
    with_edge_stages,
)
from cigen.project import Missing, Outside, Project, is_wildcard
from cigen.records import dataclass, field
from cigen.regex import lazy_pattern
from cigen.resolve.budget import Budget
from cigen.resolve.external import Request, Source, Unavailable, unlocked
from cigen.resolve.inputs import NOT_A_HASH, InputProblem, bind, interpolate
from cigen.resolve.merge import deep_merge, merge_into
from cigen.variables import expand
from cigen.yaml.load import (
    InvalidReference,
    Loaded,
    Reference,
    YMap,
    YSeq,
    load_text,
    scalar_text,
    to_plain,
)

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
    #: the problems of each ``spec:`` header checked (by id, with the header)
    headers: dict[int, tuple[YMap, tuple[InputProblem, ...]]] = field(default_factory=dict)
    #: mappings found plain when included files merge (``merge.merge_into``)
    plain: dict[int, tuple[YMap, bool]] = field(default_factory=dict)

    #: Errors of the include level being expanded, held back until its end: GitLab raises a
    #: nested file's error at once but reports its own level's file errors after loading all
    #: of them (``Mapper::Verifier``, then ``Processor#validate_external_files!``).
    levels: list[list[Event]] = field(default_factory=list)

    def event(self, kind: str, mark: Mark, message: str, **extra: Any) -> None:
        self.events.append(Event(kind, mark, message, **extra))

    def own(self, kind: str, mark: Mark, message: str, **extra: Any) -> None:
        """An error of one included file of the current level (see :attr:`levels`)."""
        target = self.levels[-1] if self.levels else self.events
        target.append(Event(kind, mark, message, **extra))


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
        if not isinstance(body, YMap):
            body = loaded.body
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
            with_edge_stages(None),
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
    location: str = "",
) -> Any:
    """The file's body with its inputs interpolated (``Interpolation::Interpolator``: the
    given inputs, the ``spec`` header, the inputs, then each ``$[[ ]]`` block), or None when
    an included file's inputs fail (GitLab stops there)."""
    kind, problems = _header_problems(state, loaded, given, given_mark)
    values: dict[str, Any] | None = None
    header = loaded.header
    if not problems:
        kind = "include-inputs"
        header, problems, followed = _spec_includes(state, loaded.header)
        if not followed:
            return loaded.body  # inputs declared in a file not followed: unknown here
        found, more = bind(header, given if given else None, given_mark, root_file=root_file)
        values, problems = found, [*problems, *more]
    if problems:
        # ``Interpolator#error_message``: the first three errors, comma-separated
        gitlab = ", ".join(p.gitlab for p in problems[:3])
        _input_events(state, problems, gitlab, location, kind)
        if not root_file:
            return None  # GitLab stops at an input error; the file's content would only add noise
    context = _component_context(loaded.header, component)
    if values is None and context is None and loaded.header is None:
        return loaded.body  # no header: GitLab leaves the content as it is
    values = values if values is not None else {}
    if root_file and header is not None:
        spec = header.get("spec")
        declared = spec.get("inputs") if isinstance(spec, dict) else None
        for name in declared or ():
            values.setdefault(name, f"$[[ inputs.{name} ]]")
    body, problems = interpolate(loaded.body, values, given_mark, context)
    if problems:
        # ``Template`` stops at the first block it cannot interpolate
        _input_events(state, problems, problems[0].gitlab, location)
    return body


#: ``Header::Mapper::Matcher``'s file classes.
_HEADER_KINDS = ("local", "remote", "project")


def _spec_includes(
    state: _State, header: YMap | None
) -> tuple[YMap | None, list[InputProblem], bool]:
    """The header with the inputs its ``spec:include`` files declare merged in
    (``External::Header::Processor``: local, remote and project files holding only ``inputs``;
    no input declared twice), its error, and False when such a file is not followed."""
    spec = header.get("spec") if header is not None else None
    if not isinstance(spec, YMap) or not _present(spec.get("include")):
        return header, [], True
    assert header is not None
    mark = spec.value_mark("include")
    merged = YMap(mark)
    inline = spec.get("inputs")
    seen: list[str] = []
    for item, where in _header_locations(spec["include"], mark):
        found = _header_file(state, item, where)
        if isinstance(found, InputProblem):
            return _with_inputs(header, YMap(mark)), [found], True
        if found is None:
            return None, [], False
        inputs = found.get("inputs")
        if isinstance(inputs, YMap):
            seen.extend(inputs)
            merged = deep_merge(merged, inputs)
    if isinstance(inline, YMap):
        seen.extend(inline)
        merged = deep_merge(merged, inline)
    counts = Counter(seen)
    twice = [key for key, count in counts.items() if count > 1]
    if twice:
        text = (
            f"Duplicate input keys found: {', '.join(twice)}. Input keys must be unique across "
            "all included files and inline specifications."
        )
        cigen = f"inputs declared more than once: {', '.join(twice)}; declare each input once"
        return _with_inputs(header, YMap(mark)), [InputProblem(mark, cigen, text)], True
    return _with_inputs(header, merged), [], True


def _with_inputs(header: YMap, inputs: YMap) -> YMap:
    spec = YMap(header.mark)
    spec.put("inputs", inputs, inputs.mark, inputs.mark)
    out = YMap(header.mark)
    out.put("spec", spec, header.mark, header.mark)
    return out


def _header_locations(value: Any, mark: Mark) -> Iterator[tuple[Any, Mark]]:
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        if item is not None:
            yield item, value.item_mark(index) if isinstance(value, YSeq) else mark


def _header_file(state: _State, item: Any, where: Mark) -> YMap | InputProblem | None:
    """One ``spec:include`` file's content, its error, or None when it is not followed."""
    cigen = "a spec:include file GitLab cannot use"
    if not isinstance(item, (str, YMap)):
        return InputProblem(where, cigen, "Each include must be a hash or a string")
    if isinstance(item, str):
        kinds = ["remote" if _is_url(item) else "local"]
        item_map = YMap(where)
        item_map.put(kinds[0], item, where, where)
        item = item_map
    kinds = [kind for kind in _HEADER_KINDS if _matching(item, kind)]
    subkeys = "`, `".join(_HEADER_KINDS)
    if not kinds:
        text = (
            f"`{_to_json(item)}` does not have a valid subkey for header include. Valid "
            f"subkeys are: `{subkeys}`"
        )
        return InputProblem(where, cigen, text)
    if len(kinds) > 1:
        return InputProblem(where, cigen, f"Each include must use only one of: `{subkeys}`")
    kind = kinds[0]
    if not _count(state, where):
        return InputProblem(where, "too many includes", LIMIT_MESSAGE)
    raw = item.get("file") if kind == "project" else item[kind]
    location = raw.lstrip("/") if isinstance(raw, str) and kind != "remote" else raw
    problem = _location_error(_Entry(kind, str(raw), where, raw=raw), location)
    if problem is not None:
        return InputProblem(where, problem[0], problem[1])
    if kind != "local":
        target = item.get("project") if kind == "project" else raw
        _not_followed_at(
            state, where, f"{kind} spec:include {target!r} is not followed: its inputs are unknown"
        )
        return None
    try:
        loaded = state.project.load(state.project.normalize(location))
    except (Outside, Missing):
        text = f"Local file `{location}` does not exist!"
        return InputProblem(where, f"spec:include file {location!r} does not exist", text)
    if not loaded.text.strip() and loaded.ok:
        return InputProblem(where, f"{location!r} is empty", f"Local file `{location}` is empty!")
    body = loaded.body
    if not loaded.ok or not isinstance(body, YMap):
        text = f"`{location}`: Invalid configuration format"
        return InputProblem(where, f"{location!r} is not a mapping of inputs", text)
    unknown = [key for key in body if key != "inputs"]
    if unknown:
        listed = ", ".join(f":{key}" for key in unknown)
        text = f"Header include file `{location}` contains unknown keys: [{listed}]"
        return InputProblem(where, f"{location!r} may only hold inputs:", text)
    return body


def _not_followed_at(state: _State, mark: Mark, message: str) -> None:
    state.unfollowed.append(Event("include-not-followed", mark, message))


def _header_problems(
    state: _State, loaded: Loaded, given: Any, mark: Mark
) -> tuple[str, list[InputProblem]]:
    """The given inputs' shape (``include-inputs``) and the ``spec:`` header
    (``include-header``: ``Header::Root``, keyed ``header``), with the event kind; a header
    is checked once however often its file is included (:attr:`_State.headers`)."""
    if given is not None and not isinstance(given, dict):
        cigen = "inputs: must be a mapping of input names to values"
        return "include-inputs", [InputProblem(mark, cigen, NOT_A_HASH)]
    if loaded.header is None:
        return "include-inputs", []
    known = state.headers.get(id(loaded.header))
    if known is None:
        from cigen.config.header import header
        from cigen.config.node import Check

        c = Check()
        header(c, loaded.header, loaded.header.mark)
        found = tuple(InputProblem(e.mark, e.text, e.message) for e in c.errors)
        known = state.headers[id(loaded.header)] = (loaded.header, found)
    return "include-header", list(known[1])


def _input_events(
    state: _State,
    problems: list[InputProblem],
    gitlab: str,
    location: str,
    kind: str = "include-inputs",
) -> None:
    """One event per problem; each carries GitLab's one message for the file (an included
    file's is prefixed with its location, ``File::Base``)."""
    text = f"`{location}`: {gitlab}" if location else gitlab
    for problem in problems:
        state.own(kind, problem.mark, problem.message, gitlab=text)


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
    kind: str  # local, project, remote, template, component, artifact
    target: str
    mark: Mark
    inputs: Any = None
    rules: Any = None
    item: Any = None  # the include's mapping, when it is one
    raw: Any = None  # the location as written (``target`` is its text)


#: ``Mapper::Matcher``'s file classes, in its order (the subkeys its messages list).
INCLUDE_KINDS = ("local", "project", "remote", "template", "artifact", "component")
_URL = lazy_pattern(r"(?:https?|ssh|git)://\S+\Z", re.IGNORECASE)
#: ``File::Base::YAML_ALLOWLIST_EXTENSION``, on the file's base name.
_YAML_NAME = lazy_pattern(r".+\.(?:yml|yaml)\Z", re.IGNORECASE | re.DOTALL)


def _is_url(text: str) -> bool:
    """Whether an include's text is a remote address (``_URL``: it has ``://`` in it)."""
    return "://" in text and _URL().match(text) is not None


def _yaml_name(name: str) -> bool:
    """Whether a file's base name has a YAML extension (``_YAML_NAME``); the usual lowercase
    one is told without the pattern."""
    if name.endswith((".yml", ".yaml")) and name not in (".yml", ".yaml"):
        return True
    return _YAML_NAME().match(name) is not None


def _present(value: Any) -> bool:
    """Ruby's ``present?``: not nil, false, blank text or an empty collection."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, dict)):
        return bool(value)
    return True


def _entries(state: _State, value: Any, mark: Mark) -> list[_Entry]:
    """The includes of one file, checked in ``External::Mapper``'s order: each a hash or a
    string (``Normalizer``), ``rules`` (``Filter``), exactly one location key (``Matcher``).
    Those errors end GitLab's processing at once; the entries kept are followed."""
    raw = value if isinstance(value, list) else [value]
    items: list[tuple[Any, Mark]] = []
    for index, item in enumerate(raw):
        where = value.item_mark(index) if isinstance(value, YSeq) else mark
        if item is None:
            continue  # ``compact``
        if isinstance(item, (str, YMap)):
            items.append((item, where))
        else:
            state.event(
                "include-invalid",
                where,
                "an include entry must be a path or a mapping with local:, project:, remote:, "
                "template: or component:",
                gitlab="Each include must be a hash or a string",
            )
    kept: list[tuple[Any, Mark]] = []
    for item, where in items:
        rules = item.get("rules") if isinstance(item, YMap) else None
        if rules is not None:
            # GitLab checks the rules' shape first (External::Rules): a bad one fails the pipeline
            from cigen.config.include import external_rules_error

            error = external_rules_error(rules, item.value_mark("rules"))
            if error is not None:
                if error.rule != "CIG401":  # invalid-expression reports those
                    state.event("include-invalid", error.mark, error.message, gitlab=error.message)
                else:
                    state.event("include-rules", error.mark, error.message, gitlab=error.message)
                continue
            if state.include_rules is not None and not state.include_rules(rules):
                continue
        kept.append((item, where))
    found: list[_Entry] = []
    for item, where in kept:
        if isinstance(item, str):
            kind = "remote" if _is_url(item) else "local"
            found.append(_Entry(kind, item, where, raw=item))
            continue
        kinds = [kind for kind in INCLUDE_KINDS if _matching(item, kind)]
        if len(kinds) == 1:
            kind = kinds[0]
            target = item[kind]
            if kind == "project":
                target = f"{item[kind]}:{item.get('file')}"
            found.append(
                _Entry(
                    kind,
                    scalar_text(target) if not isinstance(target, (list, dict)) else str(target),
                    item.value_mark(kind),
                    item.get("inputs"),
                    item.get("rules"),
                    item,
                    item[kind],
                )
            )
            continue
        subkeys = "`, `".join(INCLUDE_KINDS)
        if kinds:
            message = f"Each include must use only one of: `{subkeys}`"
            advice = f"this include uses {', '.join(kinds)}: split it into one include each"
        else:
            message = (
                f"`{_to_json(item)}` does not have a valid subkey for include. Valid subkeys "
                f"are: `{subkeys}`"
            )
            advice = (
                "an include entry must be a path or a mapping with local:, project: (with "
                "file:), remote:, template:, artifact: or component:"
            )
        state.event("include-invalid", where, advice, gitlab=message, subject="include")
    return found


def _matching(item: YMap, kind: str) -> bool:
    """``File::<Kind>#matching?``: its location is present (a project needs ``file``)."""
    if kind == "local":
        local = item.get("local")
        return local is not None and _present(str(scalar_text(local)).lstrip("/"))
    if kind == "project":
        return _present(item.get("file")) and _present(item.get("project"))
    return _present(item.get(kind))


def _to_json(value: Any) -> str:
    """``to_json`` as Rails writes it (compact, ``<``, ``>`` and ``&`` escaped)."""
    import json

    from cigen.yaml.load import to_plain

    text = json.dumps(to_plain(value), ensure_ascii=False, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass(frozen=True, slots=True)
class _Origin:
    """The project an external file comes from: its local includes are read there."""

    project: str
    ref: str  # as the include named it, for file names in findings
    commit: str


def _expand_includes(
    state: _State, path: str, body: YMap, chain: tuple[str, ...], origin: _Origin | None = None
) -> YMap:
    content = YMap(body.mark)  # the included files deep-merged in turn, then the file itself
    located = state.count
    if "include" in body:
        state.levels.append([])
        for entry in _entries(state, body["include"], body.value_mark("include")):
            for included in _follow(state, entry, chain, origin):
                merge_into(content, included, state.plain)
        state.events.extend(state.levels.pop())
    # ``External::Processor#perform``: with no file to include (none given, all skipped by
    # ``rules``, a wildcard matching nothing), the pipeline's ``include:`` stays, for the
    # entry tree to validate (``Entry::Includes``).
    keep = len(chain) == 1 and state.count == located
    rest = YMap(body.mark)
    rest.put_all(body)
    if not keep and "include" in rest:
        del rest["include"], rest.kmarks["include"], rest.vmarks["include"]
    merge_into(content, rest, state.plain)
    return content


def _count(state: _State, mark: Mark) -> bool:
    state.count += 1
    if state.count > MAX_INCLUDES:
        if not state.limit_hit:
            state.event(
                "include-limit",
                mark,
                f"Maximum of {MAX_INCLUDES} nested includes are allowed; GitLab counts every "
                "include, nested and repeated: merge some included files",
                gitlab=LIMIT_MESSAGE,
            )
        state.limit_hit = True
        return False
    return True


#: ``Mapper::Verifier``'s error past the include limit.
LIMIT_MESSAGE = f"Maximum of {MAX_INCLUDES} nested includes are allowed!"


def _location_error(entry: _Entry, location: Any) -> tuple[str, str] | None:
    """``File::<Kind>#validate_location!``: (cigen's message, GitLab's), or None."""
    if not isinstance(location, str) and entry.kind in ("local", "project"):
        location = _ruby_to_s(location)  # ``remove_leading_slashes`` calls ``to_s``
    if not isinstance(location, str):
        shown = scalar_text(location) if not isinstance(location, (list, dict)) else location
        return (
            f"the {entry.kind} include must be a string",
            f"Included file `{_ruby_to_s(shown)}` needs to be a string",
        )
    if entry.kind == "component":
        return None
    if not _yaml_name(location.rpartition("/")[2]):
        return (
            f"included file {location!r} does not have a YAML extension (.yml or .yaml)",
            f"Included file `{location}` does not have YAML extension!",
        )
    if entry.kind == "template" and not location.endswith(".gitlab-ci.yml"):
        return (
            f"template {location!r} is not a GitLab template name (they end in .gitlab-ci.yml)",
            f"Template file `{location}` is not a valid location!",
        )
    if entry.kind == "remote" and not _is_url(location):
        return (
            f"remote include {location!r} is not an http(s) address",
            f"Remote file `{location}` does not have a valid address!",
        )
    return None


def _ruby_to_s(value: Any) -> str:
    """What Ruby's string interpolation shows for a YAML value."""
    if isinstance(value, list):
        return "[" + ", ".join(_ruby_inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{k}: {_ruby_inspect(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    return str(value)


def _psych_inspect(written: Any) -> str:
    """Ruby's ``inspect`` of what Psych's coder holds for a ``!reference`` on a scalar (its
    text) or a mapping (a Hash): ``(scalar.presence || map.presence || seq).inspect``."""
    if isinstance(written, dict) and written:
        pairs = (f"{_ruby_inspect(k)}=>{_psych_value(v)}" for k, v in to_plain(written).items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(written, str) and written.strip():
        return _ruby_inspect(written)
    return "[]"


def _psych_value(value: Any) -> str:
    if isinstance(value, dict):
        return _psych_inspect(value) if value else "{}"
    return _ruby_inspect(value)


def _ruby_inspect(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _ruby_to_s(value)
    from cigen.config.node import ruby_inspect

    return ruby_inspect(value)


def _follow(
    state: _State, entry: _Entry, chain: tuple[str, ...], origin: _Origin | None = None
) -> Iterator[YMap]:
    if state.limit_hit:
        return
    if entry.kind != "local" or origin is not None:
        yield from _follow_external(state, entry, chain, origin)
        return
    if not isinstance(entry.raw, str):
        if _count(state, entry.mark):
            cigen, gitlab = _location_error(entry, entry.raw) or ("", "")
            state.own("include-invalid", entry.mark, cigen, gitlab=gitlab)
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
        paths = [target]
    for repo_path in paths:
        if not _count(state, entry.mark):
            return
        location = repo_path.lstrip("/")  # ``File::Local``: leading slashes removed
        problem = _location_error(entry, location)
        if problem is not None:
            state.own("include-invalid", entry.mark, problem[0], gitlab=problem[1])
            continue
        missing = f"Local file `{location}` does not exist!"
        try:
            rel = state.project.normalize(repo_path)
            loaded = state.project.load(rel)
        except Outside:
            state.own(
                "include-outside-root",
                entry.mark,
                f"include {repo_path!r} points outside the project; GitLab reads local "
                "includes from the repository root only",
                gitlab=missing,
            )
            continue
        except Missing as exc:
            state.own(
                "include-not-found",
                entry.mark,
                f"local file {repo_path!r} does not exist in the project; fix the path "
                "(paths are relative to the repository root)"
                if exc.absent
                else f"local file {repo_path!r} cannot be read ({exc.reason}); GitLab "
                "includes only regular files of the repository",
                gitlab=missing,
            )
            continue
        if not loaded.text.strip() and loaded.ok:
            state.own(
                "include-not-found",
                entry.mark,
                f"included file {rel!r} is empty; GitLab rejects empty includes",
                gitlab=f"Local file `{location}` is empty!",
            )
            continue
        yield from _include_loaded(state, entry, rel, loaded, chain, None, location=location)


def _include_loaded(
    state: _State,
    entry: _Entry,
    name: str,
    loaded: Loaded,
    chain: tuple[str, ...],
    origin: _Origin | None,
    component: dict[str, str] | None = None,
    *,
    location: str = "",
) -> Iterator[YMap]:
    """The content of one included file (``name``; ``location`` as GitLab's messages name it),
    its own includes expanded."""
    location = location or name
    if name in chain:
        cycle = " -> ".join((*chain[chain.index(name) :], name))
        state.event(
            "include-cycle",
            entry.mark,
            f"include cycle: {cycle}; GitLab stops only at the {MAX_INCLUDES}-include "
            "limit: remove one of these includes",
            gitlab=LIMIT_MESSAGE,
        )
        return
    if not loaded.ok:
        # the file's own syntax findings are reported by yaml-syntax; GitLab stops here
        problem = next(p for p in loaded.problems if p.fatal)
        state.own(
            "include-syntax",
            entry.mark,
            problem.message,
            gitlab=f"`{location}`: {problem.message}",
        )
        return
    if loaded.body is None:
        state.own(
            "include-not-found",
            entry.mark,
            f"included file {name!r} holds no configuration (only comments or a header); "
            "GitLab rejects it",
            gitlab=f"Included file `{location}` does not have valid YAML syntax!",
        )
        return
    if not isinstance(loaded.body, YMap):
        state.own(
            "include-invalid",
            entry.mark,
            f"included file {name!r} is not a mapping of keys to values",
            gitlab=f"`{location}`: Invalid configuration format",
        )
        return
    body = _interpolated(
        state, loaded, entry.inputs, entry.mark, component=component, location=location
    )
    if body is None:
        return
    state.documents.append(Document(name, body))
    if not isinstance(body, YMap):
        return
    if not body:
        state.own(
            "include-not-found",
            entry.mark,
            f"included file {name!r} holds no configuration; GitLab rejects it",
            gitlab=f"Included file `{location}` does not have valid YAML syntax!",
        )
        return
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
    if entry.kind != "local" or isinstance(entry.raw, str):
        locations = [entry.raw.lstrip("/") if entry.kind == "local" else entry.raw]
        if entry.kind == "project":
            files = entry.item.get("file") if isinstance(entry.item, YMap) else None
            locations = files if isinstance(files, list) else [files]
            locations = [f.lstrip("/") if isinstance(f, str) else f for f in locations]
        problems = [p for p in (_location_error(entry, f) for f in locations) if p is not None]
        if problems:
            if _count(state, entry.mark):
                cigen, gitlab = problems[0]
                state.own("include-invalid", entry.mark, cigen, gitlab=gitlab, subject=entry.target)
            return
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
                message = (
                    f"Component `{request.target}` cannot use `spec:include`. This keyword is "
                    "not supported in components"
                )
                state.own("include-invalid", entry.mark, message, gitlab=message)
                continue
            component = {
                "name": request.target.rpartition("@")[0].rpartition("/")[2],
                "sha": got.entry.commit,
                "version": got.entry.version,
                "reference": request.target.rpartition("@")[2],
            }
        location = request.file if request.kind == "project" else request.target
        yield from _include_loaded(
            state, entry, name, loaded, chain, inner, component, location=location
        )


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
    # ``Extendable::Entry#extends_keys``: ``Array(extends).map(&:to_s)`` (a number names a key)
    if isinstance(raw, str):
        return [(raw, mark)]
    if isinstance(raw, YSeq):
        return [
            (p if isinstance(p, str) else scalar_text(p), raw.item_mark(i))
            for i, p in enumerate(raw)
            if p is not None and not isinstance(p, (dict, list))
        ]
    if raw is None or isinstance(raw, dict):
        return []
    return [(scalar_text(raw), mark)]


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
        bases: list[Any] = []
        best = 0
        parents = _parents(value)
        for parent, mark in parents:
            if parent not in config:
                # ``Extendable::Entry#extend!``: all unknown keys in one message
                unknown = ", ".join(p for p, _ in parents if p not in config)
                state.partial.add(name)
                state.event(
                    "extends-unknown",
                    mark,
                    f"{name}: unknown key in `extends` ({parent}); define it or fix the name",
                    job=name,
                    subject=parent,
                    gitlab=f"{name}: unknown keys in `extends` ({unknown})",
                )
                continue
            if not isinstance(config[parent], YMap):
                # then the invalid bases in one message
                invalid = ", ".join(
                    p for p, _ in parents if p in config and not isinstance(config[p], YMap)
                )
                state.event(
                    "extends-unknown",
                    mark,
                    f"{name}: invalid base hash in `extends` ({parent}): it is not a mapping",
                    job=name,
                    subject=parent,
                    gitlab=f"{name}: invalid base hashes in `extends` ({invalid})",
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
                        gitlab=f"{parent}: circular dependency detected in `extends`",
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
            bases.append(resolved)
        active.pop()
        height[name] = max(height.get(name, 0), best + 1)
        if not bases:
            done[name] = value
            return value
        # what the merges produce is at most what they merge: charged before any is made
        state.budget.charge(value.value_mark("extends"), f"`extends` of {name}", *bases, value)
        merged = bases[0]
        for base in bases[1:]:
            merged = deep_merge(merged, base)
        result = deep_merge(merged, value)
        done[name] = result
        return result

    out = YMap(config.mark)
    out.put_all(config)
    for name, value in config.items():
        result = visit(name)
        if result is not value:
            out[name] = result
    too_deep = [name for name, levels in height.items() if levels > MAX_EXTENDS_ANCESTORS + 1]
    extended = {
        parent
        for value in (config.values() if too_deep else ())
        if isinstance(value, YMap) and "extends" in value
        for parent, _mark in _parents(value)
    }
    for name in too_deep:
        levels = height[name]
        if name not in extended:
            value = config[name]
            state.event(
                "extends-too-deep",
                value.value_mark("extends"),
                f"{name}: nesting too deep in `extends` ({levels} levels; GitLab allows 11); "
                "flatten the chain",
                job=name,
                gitlab=f"{name}: nesting too deep in `extends`",
            )
    return out


# --- !reference -------------------------------------------------------------------------------

_ONLY_TEXT = frozenset({str})


def _resolve_references(state: _State, config: YMap) -> YMap:
    cache: dict[tuple[str, ...], Any] = {}
    active: list[tuple[str, ...]] = []
    broken = [False]  # set when the top-level key being walked holds a broken reference
    missing = object()
    # A container walked again outside any lookup gives what its first such walk gave (each
    # path it references is cached by then), unless a reference in it is invalid (reported on
    # every walk): ``walked`` keeps that result, by id, with the slice of ``placed`` (each
    # reference put in place outside lookups, in order, with what it found) to charge again.
    walked: dict[int, tuple[Any, int, int]] = {}
    placed: list[tuple[Reference, Any]] = []
    invalid = [0]  # invalid references met so far
    # whether a container is or holds a reference: the budget measured it (or does now)
    sizes, measured = state.budget.sizes, state.budget.measured

    def lookup(ref: Reference) -> Any:
        path = tuple(ref)  # ``ref.path`` when every key is text, the usual case
        if not (_ONLY_TEXT.issuperset(map(type, path)) and "" not in path):
            path = ref.path
        if isinstance(ref, InvalidReference):
            invalid[0] += 1
            state.event(
                "reference-unknown",
                ref.mark,
                "!reference must tag a list of keys, like !reference [.job, script]",
                gitlab=f"!reference {_psych_inspect(ref.written)} is not valid",
            )
            return missing
        if not path or not all(isinstance(p, str) and p for p in ref):
            invalid[0] += 1
            state.event(
                "reference-unknown",
                ref.mark,
                f"{ref.text()} is not valid: it must list one or more keys",
                gitlab=f"!reference {_ruby_to_s(to_plain(ref))} is not valid",
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
                gitlab=f"!reference {_ruby_to_s(list(path))} is part of a circular chain",
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
                gitlab=f"!reference {_ruby_to_s(list(path))} could not be found",
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
        if state.budget.size(value)[0] > MAX_REFERENCE_EXPANSION:
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
        """``value`` with its references put in place: ``value`` itself when it holds none,
        else a copy of the containers on the way to them (the rest shared)."""
        if not isinstance(value, (dict, list)):
            return value
        if not (sizes.get(id(value)) or measured(value))[4]:
            return value  # it neither is nor holds a reference
        return holding(value)

    def holding(value: dict[Any, Any] | list[Any]) -> Any:
        """:func:`walk` of a container that is or holds a reference."""
        if isinstance(value, Reference):
            found = lookup(value)  # ``missing`` drops the key or item; reference-unknown reports it
            if found is missing:
                broken[0] = True
            else:
                state.budget.charge(value.mark, value.text, found)
            if not active:
                placed.append((value, found))
            return found
        if active:
            return copy(value)
        known = walked.get(id(value))
        if known is not None:
            result, start, end = known
            again = placed[start:end]
            for ref, found in again:
                if found is missing:
                    broken[0] = True
                else:
                    state.budget.charge(ref.mark, ref.text, found)
            placed.extend(again)
            return result
        start, seen = len(placed), invalid[0]
        result = copy(value)
        if result is not value and invalid[0] == seen:
            walked[id(value)] = (result, start, len(placed))
        return result

    def copy(value: Any) -> Any:
        """``value`` with what its containers hold walked: itself when nothing changes, else
        a copy (every entry with its position) with the changed entries replaced."""
        if isinstance(value, YMap):
            out: YMap | None = None
            for key, item in value.items():
                if not isinstance(item, (dict, list)):
                    continue
                if not (sizes.get(id(item)) or measured(item))[4]:
                    continue
                found = holding(item)
                if found is item:
                    continue
                if out is None:
                    out = YMap(value.mark)
                    out.put_all(value)
                if found is missing:
                    del out[key], out.kmarks[key], out.vmarks[key]
                else:
                    out[key] = found
            return value if out is None else out
        if isinstance(value, YSeq):
            seq: YSeq | None = None
            dropped: list[int] = []
            for index, item in enumerate(value):
                if not isinstance(item, (dict, list)):
                    continue
                if not (sizes.get(id(item)) or measured(item))[4]:
                    continue
                found = holding(item)
                if found is item:
                    continue
                if seq is None:
                    seq = YSeq(value.mark)
                    seq.push_all(value)
                if found is missing:
                    dropped.append(index)
                else:
                    seq[index] = found
            if seq is None:
                return value
            for index in reversed(dropped):
                del seq[index], seq.imarks[index]
            return seq
        return value

    budget = state.budget
    out = YMap(config.mark)
    out.put_all(config)
    for name, value in config.items():
        broken[0] = False
        start = len(placed)
        found = walk(value)
        if found is not value:
            # references put in place: it may nest deeper than its file (at most as deep as
            # the value plus the deepest value put in place)
            # the value is a container, measured as it was walked; so is each value put in
            # place (``missing`` is none)
            deepest = 0
            for _ref, put in placed[start:]:
                if isinstance(put, (dict, list)):
                    levels = (sizes.get(id(put)) or measured(put))[3]
                    if levels > deepest:
                        deepest = levels
            levels = (sizes.get(id(value)) or measured(value))[3]
            budget.check_depth(config.key_mark(name), name, found, at_most=levels + deepest)
        if broken[0]:
            state.tainted.add(name)
        if found is missing:
            del out[name], out.kmarks[name], out.vmarks[name]
        elif found is not value:
            out[name] = found
    return out


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


def _flat_seq(value: YSeq, flat: dict[int, tuple[YSeq, YSeq]] | None = None) -> YSeq:
    """``value`` with its nested lists flattened, each item keeping its position; ``value``
    itself when it holds no list. ``flat`` remembers the lists seen (by id, with the list so
    that its id stays its own)."""
    if flat is not None:
        known = flat.get(id(value))
        if known is not None:
            return known[1]
    seq = value
    for item in value:
        if isinstance(item, YSeq):
            seq = YSeq(value.mark)
            for index, item in enumerate(value):
                if isinstance(item, YSeq):
                    seq.push_all(_flat_seq(item, flat))
                else:
                    seq.push(item, value.item_mark(index))
            break
    if flat is not None:
        flat[id(value)] = (value, seq)
    return seq


def _stages(config: YMap) -> tuple[tuple[str, ...], Mark | None]:
    raw = config.get("stages")
    if isinstance(raw, YSeq):
        names = [s for s in _flat_seq(raw) if isinstance(s, str)]
        return with_edge_stages(names), config.value_mark("stages")
    return with_edge_stages(None), None


def _inherit(job: YMap, kind: str) -> bool | list[str]:
    inherit = job.get("inherit")
    if not isinstance(inherit, dict):
        return True
    value = inherit.get(kind, True)
    if isinstance(value, list):
        return [str(v) for v in value]
    return value is not False


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
                        gitlab=f"{key} is defined in top-level and `default:` entry",
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
    flat: dict[int, tuple[YSeq, YSeq]] = {}  # lists flattened, shared by the jobs holding them
    inherit = _inherited(defaults, global_vars, flat, state.budget)
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
        job_config, inherited = _job_config(value, inherit, kind, state.budget, flat)
        if "parallel" in job_config:
            from cigen.pipeline.parallel import count

            where = job_config.value_mark("parallel")
            state.budget.count_jobs(where, count(job_config["parallel"]))
        else:
            state.budget.count_jobs(mark, 1)
        jobs[name] = Job(name, job_config, mark, kind, inherited)
    return jobs


def _needs_pipeline(needs: Any) -> bool:
    """``needs: {pipeline: ...}`` (or a list item with ``pipeline:``) makes a trigger job."""
    if isinstance(needs, dict):
        return "pipeline" in needs
    return isinstance(needs, list) and any(isinstance(n, dict) and "pipeline" in n for n in needs)


@dataclass(frozen=True, slots=True)
class _Inherited:
    """What every job may inherit, prepared once: the ``default:`` entries (key, value with
    lists flattened, marks, what a job's charge says and counts: the value as written) and
    the global variables."""

    defaults: tuple[tuple[str, Any, Mark, Mark, str, tuple[int, int, int]], ...]
    variables: YMap | None  # the global variables, every entry with its marks
    #: the global variables as written, measured (what a job's charge counts)
    written: tuple[int, int, int]
    #: a job's own variables (by id, with them) -> merged with the global ones: jobs that
    #: hold the same variables (from one template) share the merged mapping
    merged: dict[int, tuple[YMap, YMap]] = field(default_factory=dict)


def _inherited(
    defaults: YMap, variables: YMap | None, flat: dict[int, tuple[YSeq, YSeq]], budget: Budget
) -> _Inherited:
    entries = []
    for key, item in defaults.items():
        used = _flat_seq(item, flat) if key in FLATTENED_KEYS and isinstance(item, YSeq) else item
        what = _DEFAULT_WHAT.get(key) or _default_what(key)
        kmark, vmark = defaults.key_mark(key), defaults.value_mark(key)
        entries.append((key, used, kmark, vmark, what, budget.measure(item)))
    complete = None
    if variables:
        complete = YMap(variables.mark)
        complete.put_all(variables)
    return _Inherited(tuple(entries), complete, budget.measure(variables if variables else None))


def _job_config(
    value: YMap,
    inherit: _Inherited,
    kind: str,
    budget: Budget,
    flat: dict[int, tuple[YSeq, YSeq]],
) -> tuple[YMap, frozenset[str]]:
    """The job as GitLab builds it: its keys (lists of ``FLATTENED_KEYS`` flattened), the
    ``default:`` keys it inherits and the global variables merged under its own. Values that
    need no change are shared, not copied."""
    out = YMap(value.mark)
    inherited: set[str] = set()
    out.put_all(value)
    for key in FLATTENED_KEYS.intersection(value):
        item = value[key]
        if isinstance(item, YSeq):
            known = flat.get(id(item))  # a list of a template, flattened for another job
            out[key] = known[1] if known is not None else _flat_seq(item, flat)
    if kind == "build" and inherit.defaults:
        inherit_default = _inherit(value, "default")
        if inherit_default is not False:
            for key, item, kmark, vmark, what, measured in inherit.defaults:
                if out.get(key) is None and (inherit_default is True or key in inherit_default):
                    budget.add(value.mark, what, measured)
                    out.put(key, item, kmark, vmark)
                    inherited.add(key)
    global_vars = inherit.variables
    if global_vars is not None:
        own = value.get("variables")
        if own is None or isinstance(own, YMap):
            budget.add(value.mark, "the global `variables:` for this job", inherit.written)
            inherit_vars = _inherit(value, "variables")
            if inherit_vars is True:
                if own is None:
                    merged = global_vars  # the same for every job: shared
                elif id(own) in inherit.merged:
                    merged = inherit.merged[id(own)][1]  # own variables of a template: shared
                else:
                    merged = YMap(own.mark)
                    merged.update(global_vars)
                    merged.kmarks.update(global_vars.kmarks)
                    merged.vmarks.update(global_vars.vmarks)
                    merged.put_all(own)
                    inherit.merged[id(own)] = (own, merged)
            else:
                merged = YMap(own.mark if isinstance(own, YMap) else global_vars.mark)
                names = set(inherit_vars or ())  # False inherits none
                for key in [key for key in global_vars if key in names]:
                    merged.put(
                        key,
                        global_vars[key],
                        global_vars.key_mark(key),
                        global_vars.value_mark(key),
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


def _default_what(key: str) -> str:
    return f"`default:{key}` for this job"


_DEFAULT_WHAT = {key: _default_what(key) for key in (*DEFAULT_KEYS, *GLOBAL_DEFAULTS)}
