"""Pipeline simulation: which jobs a given pipeline would contain, and why.

Pure functions over plain data (the configuration after includes/extends/!reference/default have
been applied). Semantics follow ``gitlab-ci-semantics.md`` sections 4 (``rules``,
``workflow:rules``), 6 (``only``/``except``) and 7 (predefined variables), which in turn follow
GitLab's ``Gitlab::Ci::Build::Rules``, ``Gitlab::Ci::Build::Policy`` and
``Gitlab::Ci::Pipeline::Seed::Build``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace as _with
from types import MappingProxyType
from typing import Final

from cigen import expressions
from cigen.expressions import ExpressionError
from cigen.model import DEFAULT_STAGES, EDGE_STAGES
from cigen.pipeline.parallel import (
    Instance,
    expand_dependencies,
    expand_need,
    group_name,
    instances,
    interpolate_matrix,
)
from cigen.records import dataclass, field
from cigen.regex import lazy_pattern
from cigen.yaml.load import scalar_text

__all__ = [
    "ClauseError",
    "JobDecision",
    "PipelineContext",
    "Plan",
    "PlannedJob",
    "RulesResult",
    "WorkflowDecision",
    "brace_expand",
    "changes_satisfied",
    "evaluate_job",
    "evaluate_rules",
    "evaluate_workflow",
    "exists_satisfied",
    "expand_existing",
    "expand_variables_nested",
    "fnmatch",
    "job_variable_layers",
    "job_variables",
    "normalize_variables",
    "plan",
    "predefined_variables",
    "slugify",
]

BLANK_SHA: Final = "0" * 40
DEFAULT_ONLY_REFS: Final = ("branches", "tags")
# Performance caps after which GitLab assumes a glob matches (section 4.2 / 4.3).
CHANGES_MAX_PATTERN_COMPARISONS: Final = 50_000
EXISTS_MAX_PATTERN_COMPARISONS: Final = 50_000
NO_JOBS_MESSAGE: Final = (
    "Pipeline will not run for the selected trigger. "
    "The rules configuration prevented any jobs from being added to the pipeline."
)

WORKFLOW_FILTERED_MESSAGE: Final = "Pipeline filtered out by workflow rules."
INVALID_REASON: Final = "not evaluated: the configuration is invalid"

_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})


class ClauseError(Exception):
    """``Rules::Rule::Clause::ParseError``: a rule clause that cannot be evaluated at all
    (e.g. ``rules:changes:compare_to is not a valid ref``). GitLab fails the pipeline."""


# --------------------------------------------------------------------------------------------
# Context and predefined variables (section 7)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineContext:
    """The pipeline being simulated.

    ``ref`` is the branch or tag name; for merge request pipelines it is the MR *source branch*.
    ``changed_files`` is None when unknown (GitLab then treats ``changes`` as satisfied);
    ``project_files`` is the repository file list for ``rules:exists`` (None = unknown, treated
    as satisfied). ``compare_to_changes`` maps a ``changes:compare_to`` ref to the files changed
    between it and the pipeline commit (None = unknown; a ref missing from a given mapping is an
    invalid ref). ``variables`` are pipeline variables (``--var K=V``) with the highest
    precedence.
    """

    ref: str = "main"
    is_tag: bool = False
    source: str = "push"
    default_branch: str = "main"
    protected: bool = False
    changed_files: tuple[str, ...] | None = None
    project_files: tuple[str, ...] | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    project_path: str = "group/project"
    project_id: int = 1
    server_url: str = "https://gitlab.example.com"
    commit_sha: str = ""
    before_sha: str | None = None
    commit_message: str = ""
    commit_author: str = ""
    pipeline_iid: int = 1
    user_login: str | None = None
    merge_request_iid: int | None = None
    merge_request_target_branch: str | None = None
    merge_request_event_type: str = "detached"
    merge_request_title: str = ""
    merge_request_description: str = ""
    merge_request_labels: tuple[str, ...] = ()
    merge_request_draft: bool = False
    merge_request_approved: bool | None = None
    merge_request_target_protected: bool = False
    open_merge_requests: tuple[str, ...] = ()
    compare_to_changes: Mapping[str, tuple[str, ...]] | None = None
    kubernetes_active: bool = False
    deploy_freeze: bool = False
    schedule_description: str | None = None
    registry: str | None = None

    @property
    def is_merge_request(self) -> bool:
        """A merge request pipeline (or a child pipeline of one)."""
        if self.source == "merge_request_event":
            return True
        return self.source == "parent_pipeline" and self.merge_request_iid is not None

    @property
    def is_branch(self) -> bool:
        """``Ci::Pipeline#branch?``: neither a tag nor a merge request pipeline."""
        return not self.is_tag and not self.is_merge_request

    @property
    def modified_paths(self) -> tuple[str, ...] | None:
        """``Ci::Pipeline#modified_paths``: known only for MR pipelines and branch pushes."""
        if self.is_merge_request:
            return self.changed_files
        if self.is_tag:
            return None
        if self.source in ("push", "external_pull_request_event", "parent_pipeline"):
            return self.changed_files
        return None

    @property
    def sha(self) -> str:
        return self.commit_sha or _sha1_hex(self.ref)


def _sha1_hex(text: str) -> str:
    """The SHA-1 of ``text`` in hex: a stand-in commit id. CPython's own SHA-1 module when
    present: loading :mod:`hashlib` loads OpenSSL, a noticeable part of a lint's start."""
    try:
        from _sha1 import sha1  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - another Python implementation
        from hashlib import sha1
    digest: str = sha1(text.encode()).hexdigest()
    return digest


_SLUG_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_SLUG_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def slugify(text: str) -> str:
    """``Gitlab::Utils.slugify``: lowercase, non ``[a-z0-9]`` to ``-``, 63 chars, trim ``-``."""
    slug = "".join(char if char in _SLUG_CHARACTERS else "-" for char in text.lower())
    return slug[:63].strip("-")


def predefined_variables(ctx: PipelineContext) -> dict[str, str]:
    """Pre-pipeline and pipeline predefined variables this kind of pipeline has (section 7)."""
    scheme, sep, rest = ctx.server_url.partition("://")
    bare = rest if sep and scheme and _SLUG_LETTERS.issuperset(scheme) else ctx.server_url
    host = bare.split("/", 1)[0]  # without a ``[a-z]+://`` scheme
    protocol = ctx.server_url.split("://", 1)[0] if "://" in ctx.server_url else "https"
    hostname, _, port = host.partition(":")
    port = port or ("443" if protocol == "https" else "80")
    namespace, _, project_name = ctx.project_path.rpartition("/")
    title, _, description = ctx.commit_message.partition("\n")
    sha = ctx.sha
    out: dict[str, str] = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_SERVER": "yes",
        "CI_SERVER_URL": ctx.server_url,
        "CI_SERVER_HOST": hostname,
        "CI_SERVER_FQDN": host,
        "CI_SERVER_PORT": port,
        "CI_SERVER_PROTOCOL": protocol,
        "CI_API_V4_URL": f"{ctx.server_url}/api/v4",
        "CI_PROJECT_ID": str(ctx.project_id),
        "CI_PROJECT_PATH": ctx.project_path,
        "CI_PROJECT_PATH_SLUG": slugify(ctx.project_path),
        "CI_PROJECT_NAME": project_name,
        "CI_PROJECT_TITLE": project_name,
        "CI_PROJECT_NAMESPACE": namespace,
        "CI_PROJECT_ROOT_NAMESPACE": ctx.project_path.split("/", 1)[0],
        "CI_PROJECT_URL": f"{ctx.server_url}/{ctx.project_path}",
        "CI_PROJECT_VISIBILITY": "private",
        "CI_DEFAULT_BRANCH": ctx.default_branch,
        "CI_PIPELINE_SOURCE": ctx.source,
        "CI_PIPELINE_IID": str(ctx.pipeline_iid),
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_SHORT_SHA": sha[:8],
        "CI_COMMIT_BEFORE_SHA": ctx.before_sha or BLANK_SHA,
        "CI_COMMIT_REF_NAME": ctx.ref,
        "CI_COMMIT_REF_SLUG": slugify(ctx.ref),
        "CI_COMMIT_REF_PROTECTED": "true" if ctx.protected else "false",
        "CI_COMMIT_MESSAGE": ctx.commit_message,
        "CI_COMMIT_TITLE": title,
        "CI_COMMIT_DESCRIPTION": description,
        "CI_COMMIT_AUTHOR": ctx.commit_author,
    }
    if ctx.is_tag:
        out["CI_COMMIT_TAG"] = ctx.ref
    elif ctx.is_branch:
        out["CI_COMMIT_BRANCH"] = ctx.ref
    if ctx.source == "trigger":
        out["CI_PIPELINE_TRIGGERED"] = "true"
    if ctx.source == "schedule" and ctx.schedule_description is not None:
        out["CI_PIPELINE_SCHEDULE_DESCRIPTION"] = ctx.schedule_description
    if ctx.open_merge_requests and not ctx.is_tag:
        out["CI_OPEN_MERGE_REQUESTS"] = ",".join(ctx.open_merge_requests[:4])
    if ctx.kubernetes_active:
        out["CI_KUBERNETES_ACTIVE"] = "true"
    if ctx.deploy_freeze:
        out["CI_DEPLOY_FREEZE"] = "true"
    if ctx.registry:
        out["CI_REGISTRY"] = ctx.registry
        out["CI_REGISTRY_IMAGE"] = f"{ctx.registry}/{ctx.project_path.lower()}"
    if ctx.user_login:
        out["GITLAB_USER_LOGIN"] = ctx.user_login
    if ctx.is_merge_request:
        out.update(_merge_request_variables(ctx))
    return out


def _merge_request_variables(ctx: PipelineContext) -> dict[str, str]:
    iid = str(ctx.merge_request_iid if ctx.merge_request_iid is not None else 1)
    merged_result = ctx.merge_request_event_type in ("merged_result", "merge_train")
    target = ctx.merge_request_target_branch or ctx.default_branch
    out = {
        "CI_MERGE_REQUEST_ID": iid,
        "CI_MERGE_REQUEST_IID": iid,
        "CI_MERGE_REQUEST_PROJECT_ID": str(ctx.project_id),
        "CI_MERGE_REQUEST_PROJECT_PATH": ctx.project_path,
        "CI_MERGE_REQUEST_PROJECT_URL": f"{ctx.server_url}/{ctx.project_path}",
        "CI_MERGE_REQUEST_REF_PATH": f"refs/merge-requests/{iid}/head",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": ctx.ref,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED": "true" if ctx.protected else "false",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": ctx.sha if merged_result else "",
        "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": str(ctx.project_id),
        "CI_MERGE_REQUEST_SOURCE_PROJECT_PATH": ctx.project_path,
        "CI_MERGE_REQUEST_SOURCE_PROJECT_URL": f"{ctx.server_url}/{ctx.project_path}",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": target,
        "CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED": (
            "true" if ctx.merge_request_target_protected else "false"
        ),
        "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": (_sha1_hex(target) if merged_result else ""),
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": _sha1_hex(target),
        "CI_MERGE_REQUEST_EVENT_TYPE": ctx.merge_request_event_type,
        "CI_MERGE_REQUEST_TITLE": ctx.merge_request_title,
        "CI_MERGE_REQUEST_DESCRIPTION": ctx.merge_request_description,
        "CI_MERGE_REQUEST_DRAFT": "true" if ctx.merge_request_draft else "false",
        "CI_MERGE_REQUEST_SQUASH_ON_MERGE": "false",
    }
    if ctx.merge_request_labels:
        out["CI_MERGE_REQUEST_LABELS"] = ",".join(ctx.merge_request_labels)
    if ctx.merge_request_approved:
        out["CI_MERGE_REQUEST_APPROVED"] = "true"
    return out


def _job_predefined_variables(
    name: str, job: Mapping[str, object], instance: Instance | None = None
) -> dict[str, str]:
    """Per-job variables visible to the job's own rules
    (``Variables::Builder#predefined_variables_from_job_attr``): ``CI_JOB_MANUAL`` for a
    job-level ``when: manual`` or ``delayed`` (``Ci::Processable::ACTIONABLE_WHEN``),
    ``CI_NODE_INDEX`` only for an instance of a parallel job."""
    out = {
        "CI_JOB_NAME": name,
        "CI_JOB_NAME_SLUG": slugify(name),
        "CI_JOB_GROUP_NAME": group_name(name),
        "CI_JOB_STAGE": _str_or(job.get("stage"), "test"),
    }
    if job.get("when") in ("manual", "delayed"):
        out["CI_JOB_MANUAL"] = "true"
    if instance is not None and instance.index is not None:
        out["CI_NODE_INDEX"] = str(instance.index)
        out["CI_NODE_TOTAL"] = str(instance.total)
    else:
        out["CI_NODE_TOTAL"] = str(_node_total(job.get("parallel")))
    return out


def _expand(value: str, variables: Mapping[str, str]) -> str:
    """``ExpandVariables.expand``: references to undefined variables become empty."""
    from cigen.variables import substitute

    return substitute(value, lambda name: variables.get(name, ""))


def _environment_variables(job: Mapping[str, object], seen: Mapping[str, str]) -> dict[str, str]:
    """``CI_ENVIRONMENT_*`` at seed time (``Build::Context::Build#seed_environment``): the name
    expanded with the job's other variables; action ``start`` unless given; tier and url only
    when the job sets them (an environment that exists already may add its own)."""
    raw = job.get("environment")
    options: Mapping[str, object] = raw if isinstance(raw, Mapping) else {}
    name = raw if isinstance(raw, str) else options.get("name")
    if not isinstance(name, str) or not name:
        return {}
    expanded = _expand(name, expand_variables_nested(seen))
    if not expanded:
        return {}
    out = {
        "CI_ENVIRONMENT_NAME": expanded,
        "CI_ENVIRONMENT_ACTION": _str_or(options.get("action"), "start"),
    }
    if isinstance(options.get("deployment_tier"), str):
        out["CI_ENVIRONMENT_TIER"] = str(options["deployment_tier"])
    if isinstance(options.get("url"), str):
        out["CI_ENVIRONMENT_URL"] = str(options["url"])
    return out


def _node_total(parallel: object) -> int:
    if isinstance(parallel, int) and not isinstance(parallel, bool):
        return parallel
    if isinstance(parallel, Mapping):
        matrix = parallel.get("matrix")
        if isinstance(matrix, Sequence) and not isinstance(matrix, str):
            total = 0
            for entry in matrix:
                if not isinstance(entry, Mapping):
                    continue
                combos = 1
                for value in entry.values():
                    if isinstance(value, Sequence) and not isinstance(value, str):
                        combos *= max(len(value), 1)
                total += combos
            return max(total, 1)
    return 1


# --------------------------------------------------------------------------------------------
# Variables helpers
# --------------------------------------------------------------------------------------------


def _str_or(value: object, default: str) -> str:
    return value if isinstance(value, str) else default


def _variables_with_raw(raw: object) -> tuple[dict[str, str], frozenset[str]]:
    values: dict[str, str] = {}
    raw_names: set[str] = set()
    if not isinstance(raw, Mapping):
        return values, frozenset()
    for key, value in raw.items():
        name = str(key)
        if isinstance(value, Mapping):
            values[name] = scalar_text(value.get("value"))
            if value.get("expand") is False:
                raw_names.add(name)
        else:
            values[name] = scalar_text(value)
    return values, frozenset(raw_names)


def normalize_variables(raw: object) -> dict[str, str]:
    """A ``variables:`` mapping as name -> string (``{value: …}`` entries give their value)."""
    return _variables_with_raw(raw)[0]


_expand_existing_re: Final = lazy_pattern(
    r"\$([a-zA-Z_][a-zA-Z0-9_]*)|\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|%([a-zA-Z_][a-zA-Z0-9_]*)%"
)
_collection_re: Final = lazy_pattern(
    r"\$\$|%%|\$(?P<a>[a-zA-Z_][a-zA-Z0-9_]*)|\$\{(?P<b>[a-zA-Z_][a-zA-Z0-9_]*)?\}"
    r"|%(?P<c>[a-zA-Z_][a-zA-Z0-9_]*)%"
)


def expand_existing(value: str, variables: Mapping[str, str]) -> str:
    """``ExpandVariables.expand_existing``: ``$X``, ``${X}``, ``%X%`` of defined variables are
    replaced; references to undefined variables stay as written."""
    if "$" not in value and "%" not in value:
        return value

    def replace(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        found = variables.get(name)
        return m.group(0) if found is None else found

    return _expand_existing_re().sub(replace, value)


def _may_reference(value: str) -> bool:
    """``ExpandVariables.possible_var_reference?``."""
    return "$" in value or "%" in value


def _collection_refs(value: str) -> list[str]:
    return [
        name
        for m in _collection_re().finditer(value)
        if (name := m.group("a") or m.group("b") or m.group("c"))
    ]


def expand_variables_nested(
    variables: Mapping[str, str], raw: frozenset[str] = frozenset()
) -> dict[str, str]:
    """``Collection#sort_and_expand_all``: every value with its references expanded (undefined
    references become empty, ``$$`` stays); a reference cycle leaves everything unexpanded."""
    deps = {
        k: [d for d in _collection_refs(v) if d in variables] if k not in raw else []
        for k, v in variables.items()
    }
    state: dict[str, int] = {}

    def cyclic(start: str) -> bool:
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(deps[start]))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(deps[child])))
        return False

    if any(k not in state and cyclic(k) for k in variables):
        return dict(variables)

    done: dict[str, str] = {}
    for name in _dependency_order(deps):  # references first: no recursion, however deep
        value = variables[name]
        if name not in raw and _collection_re().search(value):
            value = _expanded_once(value, variables, done)
        done[name] = value
    return {k: done[k] for k in variables}


#: Characters one expanded variable value may have (GitLab's ``MAX_NODE_SIZE`` of 1 MB for a
#: configuration value): values that reference values that reference values can double with
#: every step; past this a value stays as written.
MAX_EXPANDED_VALUE = 1024 * 1024


class _TooLarge(Exception):
    """An expansion past :data:`MAX_EXPANDED_VALUE`."""


def _expanded_once(value: str, variables: Mapping[str, str], done: Mapping[str, str]) -> str:
    """``value`` with its references replaced by the expanded values in ``done`` (undefined
    ones by nothing); left as written when that would pass :data:`MAX_EXPANDED_VALUE`."""
    budget = [MAX_EXPANDED_VALUE - len(value)]

    def replace(m: re.Match[str]) -> str:
        ref = m.group("a") or m.group("b") or m.group("c")
        if not ref:
            return m.group(0)
        found = done[ref] if ref in variables else ""
        budget[0] -= len(found)
        if budget[0] < 0:
            raise _TooLarge
        return found

    try:
        return _collection_re().sub(replace, value)
    except _TooLarge:
        return value


def _dependency_order(deps: Mapping[str, list[str]]) -> list[str]:
    """Every name after the names it references (``deps`` has no cycle)."""
    order: list[str] = []
    seen: set[str] = set()
    for root in deps:
        if root in seen:
            continue
        seen.add(root)
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(deps[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                order.append(node)
                stack.pop()
            elif child not in seen:
                seen.add(child)
                stack.append((child, iter(deps[child])))
    return order


# --------------------------------------------------------------------------------------------
# Globs: Ruby File.fnmatch(pattern, path, FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB)
# --------------------------------------------------------------------------------------------


def _braces(pattern: str) -> tuple[int, int]:
    """The first top-level ``{`` and its ``}`` (``-1`` for one not there), as Ruby finds them."""
    lbrace = rbrace = -1
    nest = 0
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "{":
            if nest == 0:
                lbrace = i
            nest += 1
        if c == "}" and lbrace >= 0:
            nest -= 1
            if nest == 0:
                rbrace = i
                break
        if c == "\\":
            i += 1
        i += 1
    return lbrace, rbrace


def brace_count(pattern: str, limit: int = CHANGES_MAX_PATTERN_COMPARISONS) -> int:
    """How many patterns :func:`brace_expand` makes of ``pattern``, counted without making
    them and stopping past ``limit`` (``{a,b}{c,d}...`` doubles with every group)."""
    lbrace, rbrace = _braces(pattern)
    if lbrace < 0 and rbrace < 0:
        return 1
    if lbrace < 0 or rbrace < 0:
        return 0
    prefix, suffix = pattern[:lbrace], pattern[rbrace + 1 :]
    total = 0
    for alternative in _alternatives(pattern, lbrace, rbrace):
        total += brace_count(prefix + alternative + suffix, limit)
        if total > limit:
            return total
    return total


def _alternatives(pattern: str, lbrace: int, rbrace: int) -> list[str]:
    """The comma-separated alternatives between the braces at ``lbrace`` and ``rbrace``."""
    out: list[str] = []
    p = lbrace
    while p < rbrace:
        p += 1
        start = p
        depth = 0
        while p < rbrace and not (pattern[p] == "," and depth == 0):
            if pattern[p] == "{":
                depth += 1
            if pattern[p] == "}":
                depth -= 1
            if pattern[p] == "\\":
                p += 1
                if p == rbrace:
                    break
            p += 1
        out.append(pattern[start:p])
    return out


@functools.lru_cache(maxsize=4096)
def brace_expand(pattern: str) -> tuple[str, ...]:
    """Ruby's ``ruby_brace_expand``: ``a{b,c{d,e}}`` -> ``ab``, ``acd``, ``ace``. A ``{`` without
    its closing ``}`` yields no pattern at all (nothing matches)."""
    lbrace, rbrace = _braces(pattern)
    if lbrace >= 0 and rbrace >= 0:
        prefix, suffix = pattern[:lbrace], pattern[rbrace + 1 :]
        out: list[str] = []
        for alternative in _alternatives(pattern, lbrace, rbrace):
            out.extend(brace_expand(prefix + alternative + suffix))
        return tuple(out)
    if lbrace < 0 and rbrace < 0:
        return (pattern,)
    return ()


def _bracket(p: str, pi: int, ch: str) -> int | None:
    """dir.c ``bracket``: index after the closing ``]`` when ``ch`` matches, else None."""
    pend = len(p)
    if pi >= pend:
        return None
    negate = False
    if p[pi] in "!^":
        negate = True
        pi += 1
    ok = False
    while True:
        if pi >= pend:
            return None
        if p[pi] == "]":
            break
        t1 = pi + 1 if p[pi] == "\\" else pi
        if t1 >= pend:
            return None
        pi = t1 + 1
        if pi >= pend:
            return None
        if p[pi] == "-" and (pi + 1 >= pend or p[pi + 1] != "]"):
            t2 = pi + 1
            if t2 < pend and p[t2] == "\\":
                t2 += 1
            if t2 >= pend:
                return None
            pi = t2 + 1
            if ok:
                continue
            if ch in (p[t1], p[t2]):
                ok = True
                continue
            if ord(ch) < ord(p[t1]) or ord(ch) > ord(p[t2]):
                continue
            ok = True
        else:
            if ok:
                continue
            if p[t1] == ch:
                ok = True
    return None if ok == negate else pi + 1


def _fnmatch_segment(p: str, pi: int, s: str, si: int) -> tuple[bool, int, int]:
    """dir.c ``fnmatch_helper`` with FNM_PATHNAME and FNM_DOTMATCH: match one path segment."""
    pend, send = len(p), len(s)

    def p_end(i: int) -> bool:
        return i >= pend or p[i] == "/"

    def s_end(i: int) -> bool:
        return i >= send or s[i] == "/"

    def unescape(i: int) -> int:
        return i + 1 if i < pend and p[i] == "\\" else i

    ptmp = stmp = -1
    while True:
        c = p[pi] if pi < pend else ""
        if c == "*":
            while pi < pend and p[pi] == "*":
                pi += 1
            if p_end(unescape(pi)):
                return True, unescape(pi), si
            if s_end(si):
                return False, pi, si
            ptmp, stmp = pi, si
            continue
        if c == "?":
            if s_end(si):
                return False, pi, si
            pi += 1
            si += 1
            continue
        if c == "[":
            if s_end(si):
                return False, pi, si
            after = _bracket(p, pi + 1, s[si])
            if after is not None:
                pi = after
                si += 1
                continue
        else:
            pi = unescape(pi)
            if s_end(si):
                return p_end(pi), pi, si
            if not p_end(pi) and p[pi] == s[si]:
                pi += 1
                si += 1
                continue
        # failed: retry from the last '*' one character further
        if ptmp >= 0:
            pi = ptmp
            stmp += 1
            si = stmp
            continue
        return False, pi, si


def _fnmatch_one(p: str, s: str) -> bool:
    """dir.c ``fnmatch`` (FNM_PATHNAME): segments, with ``**/`` spanning directories."""
    pi = si = 0
    ptmp = stmp = -1
    pend, send = len(p), len(s)
    while True:
        if p.startswith("**/", pi):
            while p.startswith("**/", pi):
                pi += 3
            ptmp, stmp = pi, si
        ok, pi, si = _fnmatch_segment(p, pi, s, si)
        if ok:
            while si < send and s[si] != "/":
                si += 1
            if pi < pend and si < send:
                pi += 1
                si += 1
                continue
            if pi >= pend and si >= send:
                return True
        if ptmp >= 0:
            while stmp < send and s[stmp] != "/":
                stmp += 1
            if stmp < send:
                pi = ptmp
                stmp += 1
                si = stmp
                continue
        return False


def fnmatch(pattern: str, path: str) -> bool:
    """Ruby ``File.fnmatch?(pattern, path, FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB)``.

    A pattern whose braces make more than :data:`CHANGES_MAX_PATTERN_COMPARISONS` patterns is
    not expanded (callers check :func:`brace_count` first and say so); it counts as a match.
    """
    if brace_count(pattern) > CHANGES_MAX_PATTERN_COMPARISONS:
        return True
    return any(_fnmatch_one(p, path) for p in brace_expand(pattern))


# --------------------------------------------------------------------------------------------
# rules:changes / rules:exists (sections 4.2, 4.3)
# --------------------------------------------------------------------------------------------


def _string_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value if v is not None]
    return []


def _glob_spec(value: object) -> tuple[list[str], Mapping[str, object]]:
    if isinstance(value, Mapping):
        return _string_list(value.get("paths")), value
    return _string_list(value), _EMPTY


@dataclass(frozen=True)
class _ClauseResult:
    satisfied: bool
    note: str


def changes_satisfied(
    spec: object,
    ctx: PipelineContext,
    variables: Mapping[str, str],
) -> _ClauseResult:
    """``Clause::Changes#satisfied_by?``. ``variables`` are expanded (nested) before use."""
    paths, options = _glob_spec(spec)
    expanded_vars: dict[str, str] | None = None

    def expanded() -> Mapping[str, str]:
        nonlocal expanded_vars
        if expanded_vars is None:
            expanded_vars = expand_variables_nested(variables)
        return expanded_vars

    modified: tuple[str, ...] | None
    if "compare_to" in options:
        compare_to = expand_existing(scalar_text(options.get("compare_to")), expanded())
        if ctx.compare_to_changes is None:
            return _ClauseResult(True, f"changes vs {compare_to!r} unknown: treated as matched")
        if compare_to not in ctx.compare_to_changes:
            raise ClauseError("rules:changes:compare_to is not a valid ref")
        modified = tuple(ctx.compare_to_changes[compare_to])
    else:
        modified = ctx.modified_paths
    if modified is None:
        return _ClauseResult(
            True, "changes cannot be computed for this pipeline: always true (section 4.2)"
        )
    if not modified:
        return _ClauseResult(False, "changes: no files changed")
    unique = list(dict.fromkeys(paths))
    if any(_may_reference(g) for g in unique):
        unique = list(dict.fromkeys(expand_existing(g, expanded()) for g in unique))
    globs = unique
    if not globs:
        return _ClauseResult(False, "changes: no paths")
    if len(modified) * sum(brace_count(g) for g in globs) > CHANGES_MAX_PATTERN_COMPARISONS:
        return _ClauseResult(True, "changes: comparison limit exceeded, assumed matched")
    for path in modified:
        for glob in globs:
            if fnmatch(glob, path):
                return _ClauseResult(True, f"changes: {path!r} matches {glob!r}")
    return _ClauseResult(False, f"changes: no changed file matches {globs}")


def _is_exact_glob(glob: str) -> bool:
    return not any(c in glob for c in "*?[{")


def _worktree_paths(files: Iterable[str]) -> list[str]:
    """Files plus every parent directory as ``dir/`` (directories match ``dir/``, 18.2+)."""
    out = set()
    for path in files:
        out.add(path)
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            out.add("/".join(parts[:i]) + "/")
    return sorted(out)


def exists_satisfied(
    spec: object,
    ctx: PipelineContext,
    variables: Mapping[str, str],
) -> _ClauseResult:
    """``Clause::Exists#satisfied_by?`` against ``ctx.project_files``."""
    globs, options = _glob_spec(spec)
    if options.get("project") is not None:
        return _ClauseResult(True, "exists: other project cannot be checked, assumed matched")
    if ctx.project_files is None:
        return _ClauseResult(True, "exists: project file list unknown, assumed matched")
    if not globs:
        return _ClauseResult(False, "exists: no paths")
    expanded = globs
    if any(_may_reference(g) for g in globs):
        expanded_vars = expand_variables_nested(variables)
        expanded = [expand_existing(g, expanded_vars) for g in globs]
    paths = _worktree_paths(ctx.project_files)
    path_set = set(paths)
    comparisons = 0
    for glob in expanded:
        if _is_exact_glob(glob):
            if glob in path_set:
                return _ClauseResult(True, f"exists: {glob!r} found")
            continue
        for path in paths:
            comparisons += brace_count(glob)
            if comparisons > EXISTS_MAX_PATTERN_COMPARISONS:
                return _ClauseResult(True, "exists: comparison limit exceeded, assumed matched")
            if fnmatch(glob, path):
                return _ClauseResult(True, f"exists: {path!r} matches {glob!r}")
    return _ClauseResult(False, f"exists: nothing matches {expanded}")


# --------------------------------------------------------------------------------------------
# rules (section 4.1)
# --------------------------------------------------------------------------------------------


def _flatten(items: object) -> list[object]:
    if not isinstance(items, Sequence) or isinstance(items, str):
        return [items]
    out: list[object] = []
    for item in items:
        if isinstance(item, Sequence) and not isinstance(item, str):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _read_values(text: str, variables: Mapping[str, str]) -> tuple[tuple[str, str | None], ...]:
    try:
        names = expressions.variables_read(text)
    except ExpressionError:
        return ()
    return tuple((n, variables.get(n)) for n in names)


def _describe_values(read: Iterable[tuple[str, str | None]]) -> str:
    parts = [f"${n}={'undefined' if v is None else repr(v)}" for n, v in read]
    return f" [{', '.join(parts)}]" if parts else ""


@dataclass(frozen=True)
class RulesResult:
    """``Gitlab::Ci::Build::Rules::Result`` plus an explanation."""

    when: str
    rule_index: int | None = None
    start_in: str | None = None
    allow_failure: bool | None = None
    variables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    needs: tuple[object, ...] | None = None
    interruptible: bool | None = None
    auto_cancel: Mapping[str, object] | None = None
    errors: tuple[str, ...] = ()
    variables_read: tuple[tuple[str, str | None], ...] = ()
    reason: str = ""

    @property
    def passed(self) -> bool:
        """``Result#pass?``: the job / pipeline is created."""
        return self.when != "never"


def _rule_clauses(
    rule: Mapping[str, object],
    ctx: PipelineContext,
    variables: Mapping[str, str],
    read: dict[str, str | None],
) -> tuple[bool, list[str]]:
    notes: list[str] = []
    for key, value in rule.items():
        if key == "if":
            text = value if isinstance(value, str) else ""
            values = _read_values(text, variables)
            read.update(values)
            error = expressions.validate(text)
            if error is not None:
                notes.append(f"if: {text} is invalid ({error.message}): no match")
                return False, notes
            ok = expressions.truthful(text, variables)
            notes.append(f"if: {text} is {'true' if ok else 'false'}{_describe_values(values)}")
            if not ok:
                return False, notes
        elif key in ("changes", "exists"):
            check = changes_satisfied if key == "changes" else exists_satisfied
            result = check(value, ctx, variables)
            notes.append(result.note)
            if not result.satisfied:
                return False, notes
    if not notes:
        notes.append("no clauses: always matches")
    return True, notes


def evaluate_rules(
    rules: object,
    *,
    default_when: str,
    variables: Mapping[str, str],
    ctx: PipelineContext,
) -> RulesResult:
    """``Gitlab::Ci::Build::Rules#evaluate``: first rule whose clauses all hold decides;
    ``rules`` None gives ``default_when``; no match (or ``[]``) gives ``never``."""
    if rules is None:
        return RulesResult(when=default_when, reason=f"no rules: when {default_when}")
    rule_list = [r for r in _flatten(rules) if r is not None]
    read: dict[str, str | None] = {}
    failures: list[str] = []
    try:
        for index, rule in enumerate(rule_list):
            if not isinstance(rule, Mapping):
                continue
            matched, notes = _rule_clauses(rule, ctx, variables, read)
            if not matched:
                failures.append(f"rules[{index}]: {'; '.join(notes)}")
                continue
            when = _str_or(rule.get("when"), default_when)
            needs = rule.get("needs")
            rule_vars = normalize_variables(rule.get("variables"))
            allow_failure = rule.get("allow_failure")
            interruptible = rule.get("interruptible")
            auto_cancel = rule.get("auto_cancel")
            start_in = rule.get("start_in")
            return RulesResult(
                when=when,
                rule_index=index,
                start_in=None if start_in is None else scalar_text(start_in),
                allow_failure=allow_failure if isinstance(allow_failure, bool) else None,
                variables=MappingProxyType(rule_vars),
                needs=tuple(_flatten(needs)) if needs is not None else None,
                interruptible=interruptible if isinstance(interruptible, bool) else None,
                auto_cancel=auto_cancel if isinstance(auto_cancel, Mapping) else None,
                variables_read=tuple(read.items()),
                reason=f"rules[{index}] matched ({'; '.join(notes)}): when {when}",
            )
    except ClauseError as exc:
        return RulesResult(
            when="never",
            errors=(str(exc),),
            variables_read=tuple(read.items()),
            reason=f"rules error: {exc}",
        )
    if not rule_list:
        reason = "rules: [] has no rule that can match: not added"
    else:
        reason = f"no rule matched ({' | '.join(failures)})"
    return RulesResult(when="never", variables_read=tuple(read.items()), reason=reason)


# --------------------------------------------------------------------------------------------
# only / except (section 6)
# --------------------------------------------------------------------------------------------

_irregular_plurals: Final = lazy_pattern(r"(?:x|ch|ss|sh)$")


def _pluralize(word: str) -> str:
    """Enough of ActiveSupport's ``pluralize`` for pipeline source names."""
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if _irregular_plurals().search(word):
        return word + "es"
    if word.endswith("s"):
        return word + "es"
    return word + "s"


def _ref_pattern_matches(pattern: str, ctx: PipelineContext) -> bool:
    """``Policy::Refs#matches_pattern?``."""
    if ctx.is_tag and pattern == "tags":
        return True
    if ctx.is_branch and pattern == "branches":
        return True
    source = ctx.source.removesuffix("_event")
    if pattern in (source, _pluralize(source)):
        return True
    if ctx.is_branch or ctx.is_tag:
        try:
            regex = expressions.fabricate_regex(pattern)
        except ExpressionError:
            regex = None
        if regex is not None:
            return bool(ctx.ref) and regex.search(ctx.ref)
        return pattern == ctx.ref
    return False


def _refs_satisfied(refs: object, ctx: PipelineContext) -> tuple[bool, str]:
    for pattern in _string_list(refs):
        name, sep, path = pattern.partition("@")
        if sep and ctx.project_path != path:
            continue
        if _ref_pattern_matches(name, ctx):
            return True, f"refs pattern {pattern!r} matches"
    return False, f"no refs pattern of {_string_list(refs)} matches"


def _policy_specs(policy: object) -> dict[str, object]:
    if policy is None:
        return {}
    if isinstance(policy, Mapping):
        return {
            k: v for k, v in policy.items() if k in ("refs", "variables", "changes", "kubernetes")
        }
    return {"refs": policy}


def _spec_satisfied(
    key: str,
    value: object,
    ctx: PipelineContext,
    variables: Mapping[str, str],
    read: dict[str, str | None],
) -> tuple[bool, str]:
    if key == "refs":
        return _refs_satisfied(value, ctx)
    if key == "variables":
        for text in _string_list(value):
            values = _read_values(text, variables)
            read.update(values)
            if expressions.truthful(text, variables):
                return True, f"variables expression {text} is true{_describe_values(values)}"
        return False, "no variables expression is true"
    if key == "changes":
        paths, _ = _glob_spec(value)
        modified = ctx.modified_paths
        if modified is None:
            return True, "changes cannot be computed for this pipeline: always true (section 6.4)"
        for path in modified:
            for glob in paths:
                if fnmatch(glob, path):
                    return True, f"changes: {path!r} matches {glob!r}"
        return False, "changes: no changed file matches"
    if key == "kubernetes":
        active = value == "active" and ctx.kubernetes_active
        return active, f"kubernetes {'active' if active else 'not active'}"
    return True, f"{key}: ignored"  # pragma: no cover - filtered by _policy_specs


# --------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowDecision:
    """Whether ``workflow:rules`` let the pipeline be created."""

    created: bool
    rule_index: int | None
    variables: Mapping[str, str]
    reason: str
    variables_read: tuple[tuple[str, str | None], ...] = ()
    auto_cancel: Mapping[str, object] | None = None
    pipeline_name: str | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobDecision:
    """Whether and how a job is added to the simulated pipeline."""

    name: str
    included: bool
    when: str
    allow_failure: bool
    start_in: str | None
    decided_by: str
    rule_index: int | None
    variables_read: tuple[tuple[str, str | None], ...]
    reason: str
    rule_variables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    needs: tuple[object, ...] | None = None
    interruptible: bool | None = None
    error: str | None = None


def _global_context_variables(
    ctx: PipelineContext, global_variables: Mapping[str, str], predefined: Mapping[str, str]
) -> dict[str, str]:
    out = {k: v for k, v in predefined.items() if not k.startswith(("CI_JOB_", "CI_BUILD_"))}
    out.update(global_variables)
    out.update(ctx.variables)
    return out


def evaluate_workflow(
    workflow: Mapping[str, object] | None,
    global_variables: Mapping[str, object],
    ctx: PipelineContext,
    *,
    predefined: Mapping[str, str] | None = None,
) -> WorkflowDecision:
    """``Chain::EvaluateWorkflowRules``: no ``workflow:rules`` lets every pipeline through;
    otherwise the first matching rule decides (``when: never`` or no match: no pipeline)."""
    predefined = predefined if predefined is not None else predefined_variables(ctx)
    variables = _global_context_variables(ctx, normalize_variables(global_variables), predefined)
    name = workflow.get("name") if isinstance(workflow, Mapping) else None
    if not isinstance(workflow, Mapping) or "rules" not in workflow:
        return WorkflowDecision(
            created=True,
            rule_index=None,
            variables=_EMPTY,
            reason="no workflow:rules: every pipeline source is allowed",
            pipeline_name=expand_existing(name, variables) if isinstance(name, str) else None,
        )
    result = evaluate_rules(
        workflow.get("rules"), default_when="always", variables=variables, ctx=ctx
    )
    created = result.passed
    if result.errors:
        reason = f"workflow:rules error: {'; '.join(result.errors)}"
        created = False
    elif result.rule_index is None or not created:
        reason = f"Pipeline filtered out by workflow rules: {result.reason}"
    else:
        reason = f"workflow:{result.reason}"
    pipeline_name = None
    if isinstance(name, str):
        pipeline_name = expand_existing(name, {**variables, **result.variables})
    return WorkflowDecision(
        created=created,
        rule_index=result.rule_index,
        variables=result.variables if created else _EMPTY,
        reason=reason,
        variables_read=result.variables_read,
        auto_cancel=result.auto_cancel,
        pipeline_name=pipeline_name,
        errors=result.errors,
    )


def job_variable_layers(
    name: str,
    job: Mapping[str, object],
    ctx: PipelineContext,
    pipeline_layers: Sequence[tuple[str, Mapping[str, str]]],
    *,
    predefined: Mapping[str, str] | None = None,
    instance: Instance | None = None,
) -> list[tuple[str, dict[str, str]]]:
    """Where the variables a job's rules see come from, lowest precedence first
    (``Variables::Builder#scoped_variables_for_pipeline_seed``): ``predefined`` (job, then
    pipeline), the inherited ``pipeline_layers`` (``top-level`` then ``workflow``:
    ``Chain::Seed#root_variables``), ``job`` variables, ``matrix`` values, ``--var``; the
    ``CI_ENVIRONMENT_*`` variables last, unless already set."""
    base = _job_predefined_variables(name, job, instance)
    base.update(predefined if predefined is not None else predefined_variables(ctx))
    layers: list[tuple[str, dict[str, str]]] = [("predefined", base)]
    inherit = job.get("inherit")
    inherited = inherit.get("variables", True) if isinstance(inherit, Mapping) else True
    for origin, values in pipeline_layers:
        if inherited is True:
            layers.append((origin, dict(values)))
        elif isinstance(inherited, Sequence) and not isinstance(inherited, str):
            keep = {str(v) for v in inherited}
            layers.append((origin, {k: v for k, v in values.items() if k in keep}))
    layers.append(("job", normalize_variables(job.get("variables"))))
    if instance is not None:
        layers.append(("matrix", dict(instance.matrix)))
    layers.append(("--var", dict(ctx.variables)))
    seen: dict[str, str] = {}
    for _origin, values in layers:
        seen.update(values)
    environment = _environment_variables(job, seen)
    layers.append(("predefined", {k: v for k, v in environment.items() if k not in seen}))
    return layers


def job_variables(
    name: str,
    job: Mapping[str, object],
    ctx: PipelineContext,
    pipeline_variables: Mapping[str, str],
    *,
    predefined: Mapping[str, str] | None = None,
    instance: Instance | None = None,
) -> dict[str, str]:
    """Variables a job's ``rules:if`` sees (section 4.5), merged from
    :func:`job_variable_layers`; ``pipeline_variables`` are the top-level variables already
    overridden by the matched ``workflow:rules`` ones. Raw values."""
    out: dict[str, str] = {}
    layers = job_variable_layers(
        name,
        job,
        ctx,
        [("top-level", pipeline_variables)],
        predefined=predefined,
        instance=instance,
    )
    for _origin, values in layers:
        out.update(values)
    return out


def _static_allow_failure(job: Mapping[str, object], job_when: str) -> bool:
    """``Entry::Job#ignored?``: explicit ``allow_failure`` (``exit_codes`` form => false),
    otherwise true exactly for a job-level ``when: manual``."""
    value = job.get("allow_failure")
    if isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        return False
    return job_when == "manual"


def _only_except(
    job: Mapping[str, object],
    ctx: PipelineContext,
    variables: Mapping[str, str],
    has_workflow_rules: bool,
) -> tuple[bool, str, str, dict[str, str | None]]:
    """(included, decided_by, reason, variables read) for the only/except path."""
    read: dict[str, str | None] = {}
    using_only = "only" in job
    using_except = "except" in job
    only = _policy_specs(job.get("only"))
    if not using_only and not has_workflow_rules:
        only = {"refs": list(DEFAULT_ONLY_REFS)}
        using_only = True
        default_note = "default only: [branches, tags]"
    else:
        default_note = ""
    if not using_only and not using_except:
        return True, "no rules/only/except", "no rules, only or except: always added", read
    notes: list[str] = []
    for key, value in only.items():
        ok, note = _spec_satisfied(key, value, ctx, variables, read)
        clause = default_note or f"only:{key}"
        if not ok:
            return False, clause, f"{clause} not satisfied: {note}", read
        notes.append(f"{clause}: {note}")
    for key, value in _policy_specs(job.get("except")).items():
        ok, note = _spec_satisfied(key, value, ctx, variables, read)
        if ok:
            return False, f"except:{key}", f"except:{key} satisfied: {note}", read
        notes.append(f"except:{key} not satisfied")
    decided_by = default_note or ("only" if only else "except")
    return True, decided_by, "; ".join(notes) or f"{decided_by}: satisfied", read


def evaluate_job(
    name: str,
    job: Mapping[str, object],
    ctx: PipelineContext,
    pipeline_variables: Mapping[str, str],
    has_workflow_rules: bool,
    *,
    predefined: Mapping[str, str] | None = None,
    instance: Instance | None = None,
) -> JobDecision:
    """Decide whether ``job`` is added (``Seed::Build#included?`` + rules attributes).

    ``pipeline_variables`` are the top-level variables already overridden by the matched
    ``workflow:rules`` variables.
    """
    variables = job_variables(
        name, job, ctx, pipeline_variables, predefined=predefined, instance=instance
    )
    job_when = _str_or(job.get("when"), "on_success")
    job_start_in = job.get("start_in")
    static_allow_failure = _static_allow_failure(job, job_when)
    if "rules" in job:
        result = evaluate_rules(
            job.get("rules"), default_when=job_when, variables=variables, ctx=ctx
        )
        error = None
        if result.errors:
            error = f"Failed to parse rule for {name}: {', '.join(result.errors)}"
        allow_failure = (
            result.allow_failure if result.allow_failure is not None else static_allow_failure
        )
        start_in = result.start_in
        if start_in is None and result.when == "delayed" and job_start_in is not None:
            start_in = scalar_text(job_start_in)
        return JobDecision(
            name=name,
            included=result.passed and error is None,
            when=result.when,
            allow_failure=allow_failure,
            start_in=start_in if result.when == "delayed" else None,
            decided_by=f"rules[{result.rule_index}]" if result.rule_index is not None else "rules",
            rule_index=result.rule_index,
            variables_read=result.variables_read,
            reason=result.reason,
            rule_variables=result.variables,
            needs=result.needs,
            interruptible=result.interruptible,
            error=error,
        )
    included, decided_by, reason, read = _only_except(job, ctx, variables, has_workflow_rules)
    when = job_when if included else "never"
    if included and job_when == "never":
        included = False
        reason = f"{reason}; when: never"
    elif included:
        reason = f"{reason}: when {job_when}"
    return JobDecision(
        name=name,
        included=included,
        when=when,
        allow_failure=static_allow_failure,
        start_in=scalar_text(job_start_in) if when == "delayed" and job_start_in else None,
        decided_by=decided_by,
        rule_index=None,
        variables_read=tuple(read.items()),
        reason=reason,
    )


# --------------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedJob:
    name: str
    stage: str
    when: str
    decision: JobDecision
    needs: tuple[str, ...] | None = None
    """Names of the jobs in this pipeline it needs (``needs:``); None: the stage order."""
    job: str = ""
    """The job definition this is an instance of (``parallel``); empty: ``name`` itself."""
    instance: Instance | None = None
    dependencies: tuple[str, ...] | None = None
    """``dependencies:`` with parallel jobs named by instance; None: not given."""

    @property
    def definition(self) -> str:
        return self.job or self.name


@dataclass(frozen=True)
class Plan:
    """The simulated pipeline: included jobs in stage order, excluded jobs, and errors."""

    workflow: WorkflowDecision
    stages: tuple[str, ...]
    jobs: tuple[PlannedJob, ...]
    excluded: tuple[PlannedJob, ...]
    errors: tuple[str, ...]
    filtered: str | None = None
    """GitLab's message when the pipeline is filtered out (no error: nothing to run)."""
    detail: tuple[str, ...] = ()
    """cigen's own detail beyond GitLab's message: for an invalid configuration, every error
    the validator found, positioned (GitLab shows only the first)."""

    @property
    def created(self) -> bool:
        """GitLab would create this pipeline."""
        return self.workflow.created and not self.errors and self.filtered is None

    @property
    def status(self) -> str:
        """``created``; ``filtered`` (``Chain::EvaluateWorkflowRules``, ``Chain::Populate``:
        nothing to run, not an error); ``refused`` (an error stops the chain:
        ``Chain::Seed``'s seed errors, a rule that cannot be evaluated)."""
        if self.errors:
            return "refused"
        return "filtered" if self.filtered is not None else "created"

    @property
    def message(self) -> str | None:
        """Why GitLab creates no pipeline, in GitLab's words (None when it creates one)."""
        if self.errors:
            return "\n".join(self.errors)
        return self.filtered


def _ordered_stages(stages: Sequence[str]) -> list[str]:
    given = [s for s in stages if s not in EDGE_STAGES] if stages else list(DEFAULT_STAGES)
    return [".pre", *dict.fromkeys(given), ".post"]


def _need_names(
    needs: object, parallel: Mapping[str, Sequence[str]] | None = None
) -> Iterator[tuple[str, bool]]:
    """(job name, optional) of each need in this pipeline; a need on a parallel job names its
    instances (``Config::Normalizer#expand_parallelized_needs``)."""
    if needs is None:
        return
    for need in _flatten(needs):
        if isinstance(need, str):
            for name in expand_need(need, None, parallel or {}):
                yield name, False
        elif isinstance(need, Mapping):
            if "pipeline" in need or "project" in need:
                continue
            target = need.get("job", need.get("name"))
            if isinstance(target, str):
                for name in expand_need(target, need.get("parallel"), parallel or {}):
                    yield name, need.get("optional") is True


def _printed_job_variables(raw: object) -> dict[str, str]:
    """The job's own variables as ``MatrixInterpolator`` prints them (``value.to_s`` of
    ``Entry::Variables#value_with_data``): each one's ``{value:, raw:}`` hash as Ruby 3.3
    writes it, ``{:value=>"x"}``, so naming a job variable in ``$[[ matrix.NAME ]]`` makes a
    need no job has, as in GitLab."""
    from cigen.config.processor import printed_variable

    out: dict[str, str] = {}
    if not isinstance(raw, Mapping):
        return out
    for key, value in raw.items():
        options = value if isinstance(value, Mapping) else {"value": value}
        expand = options.get("expand")
        text = scalar_text(options.get("value"))
        out[str(key)] = printed_variable(text, expand if isinstance(expand, bool) else None)
    return out


def _normalized_needs(
    jobs: Mapping[str, Mapping[str, object]],
    expanded: Mapping[str, Sequence[Instance]],
    parallel: Mapping[str, Sequence[str]],
) -> tuple[dict[str, object], list[str]]:
    """Each instance's ``needs`` after ``Config::Normalizer#apply_matrix_interpolation``, and
    the normalizer's errors (``"NAME job: 'VAR' does not exist in matrix configuration"``, each
    once: ``YamlProcessor`` refuses the configuration with them joined by ``", "``). As in
    GitLab, nothing is interpolated when no job is parallel."""
    out: dict[str, object] = {}
    errors: list[str] = []
    for name, found in expanded.items():
        needs = jobs[name].get("needs")
        own = _printed_job_variables(jobs[name].get("variables"))
        for instance in found:
            if needs is None or not parallel:
                out[instance.name] = needs
                continue
            value, problems = interpolate_matrix(needs, {**own, **instance.matrix})
            errors.extend(f"{name} job: {problem}" for problem in problems)
            out[instance.name] = needs if problems else value
    return out, list(dict.fromkeys(errors))


def plan(
    jobs: Mapping[str, Mapping[str, object]],
    stages: Sequence[str],
    workflow: Mapping[str, object] | None,
    global_variables: Mapping[str, object],
    ctx: PipelineContext,
) -> Plan:
    """Simulate pipeline creation: the normalizer's errors refuse it (as the configuration
    does), then workflow, then every job's rules or only/except."""
    predefined = predefined_variables(ctx)
    order = _ordered_stages(stages)
    expanded = {
        name: instances(name, job.get("parallel"))
        for name, job in jobs.items()
        if not name.startswith(".") and isinstance(job, Mapping)
    }
    parallel = {
        name: [i.name for i in found] for name, found in expanded.items() if found[0].name != name
    }
    own_needs, normalizer_errors = _normalized_needs(jobs, expanded, parallel)
    if normalizer_errors:
        invalid = WorkflowDecision(False, None, _EMPTY, INVALID_REASON)
        return Plan(invalid, tuple(order), (), (), (", ".join(normalizer_errors),))
    decision = evaluate_workflow(workflow, global_variables, ctx, predefined=predefined)
    if not decision.created:
        filtered = None if decision.errors else WORKFLOW_FILTERED_MESSAGE
        return Plan(decision, tuple(order), (), (), decision.errors, filtered)
    has_workflow_rules = isinstance(workflow, Mapping) and "rules" in workflow
    pipeline_variables = {**normalize_variables(global_variables), **decision.variables}
    rank = {stage: float(i) for i, stage in enumerate(order)}
    unknown_rank = len(order) - 1.5  # undeclared stages: after the declared ones, before .post
    included: list[tuple[float, int, PlannedJob]] = []
    excluded: list[PlannedJob] = []
    errors: list[str] = []
    position = 0
    for name, found in expanded.items():
        job = jobs[name]
        stage = _str_or(job.get("stage"), "test")
        for instance in found:
            position += 1
            result = evaluate_job(
                instance.name,
                job,
                ctx,
                pipeline_variables,
                has_workflow_rules,
                predefined=predefined,
                instance=instance,
            )
            if result.error:
                errors.append(result.error)
            dependencies = job.get("dependencies")
            planned = PlannedJob(
                instance.name,
                stage,
                result.when,
                result,
                job=name,
                instance=instance,
                dependencies=(
                    None
                    if dependencies is None
                    else tuple(expand_dependencies(dependencies, parallel))
                ),
            )
            if result.included:
                included.append((rank.get(stage, unknown_rank), position, planned))
            else:
                excluded.append(planned)
    included.sort(key=lambda item: (item[0], item[1]))
    present = {item[2].name for item in included}
    with_needs: list[PlannedJob] = []
    for _rank, _position, planned_job in included:
        own = planned_job.decision.needs
        needs = own if own is not None else own_needs.get(planned_job.name)
        edges = (
            None if needs is None else [t for t, _ in _need_names(needs, parallel) if t in present]
        )
        if edges is not None:
            planned_job = _with(planned_job, needs=tuple(dict.fromkeys(edges)))
        with_needs.append(planned_job)
        for target, optional in _need_names(needs, parallel):
            if not optional and target not in present:
                errors.append(
                    f"'{planned_job.name}' job needs '{target}' job, but '{target}' does not "
                    "exist in the pipeline. This might be because of the only, except, or rules "
                    "keywords. To need a job that sometimes does not exist in the pipeline, use "
                    "needs:optional."
                )
    planned_jobs = tuple(with_needs)
    # Chain::Populate: .pre/.post jobs alone are not a pipeline (gitlab#198518)
    filtered = None
    if not errors and all(job.stage in EDGE_STAGES for job in planned_jobs):
        filtered = NO_JOBS_MESSAGE
    return Plan(decision, tuple(order), planned_jobs, tuple(excluded), tuple(errors), filtered)
