"""The root of GitLab's entry tree: global keys, ``default``, ``workflow`` and the jobs.

Follows ``lib/gitlab/ci/config/entry/root.rb``, ``jobs.rb``, ``job.rb``, ``bridge.rb``,
``hidden.rb``, ``processable.rb``, ``default.rb``, ``stages.rb``, ``stage.rb`` and
``commands.rb``: the same keys, the same order of checks (a node whose own checks fail does not
check its children), and GitLab's message text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cigen.config import (
    artifacts,
    cache,
    environment,
    image,
    include,
    inherit,
    jobmisc,
    needs,
    parallel,
    rules,
    trigger,
    variables,
)
from cigen.config.node import (
    Check,
    allowed_keys,
    blank,
    disallowed_keys,
    is_array_of_strings,
    is_array_of_strings_or_string,
    is_boolean,
    is_duration,
    is_hash,
    is_string,
    mutually_exclusive_keys,
    nested_leaves,
    type_name,
    within_duration,
)
from cigen.diagnostics import Mark
from cigen.model import with_edge_stages
from cigen.records import dataclass, field
from cigen.resolve.inputs import _type_ok as input_type_ok  # the one check of an input's type
from cigen.yaml.load import YMap

#: ``Root::ALLOWED_KEYS``.
ROOT_KEYS = (
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
)
#: Root entries that are never jobs (``reserved: true``); ``default`` and ``workflow`` are jobs
#: when they look like one.
RESERVED_KEYS = frozenset(ROOT_KEYS) - {"default", "workflow"}
#: ``Processable::PROCESSABLE_ALLOWED_KEYS``.
PROCESSABLE_KEYS = (
    "extends",
    "stage",
    "only",
    "except",
    "rules",
    "variables",
    "inherit",
    "allow_failure",
    "when",
    "needs",
    "resource_group",
    "environment",
    "interruptible",
)
#: ``Job::ALLOWED_KEYS``.
JOB_KEYS = (
    "tags",
    "script",
    "image",
    "services",
    "start_in",
    "artifacts",
    "cache",
    "dependencies",
    "before_script",
    "after_script",
    "hooks",
    "coverage",
    "retry",
    "parallel",
    "timeout",
    "inputs",
    "release",
    "id_tokens",
    "publish",
    "pages",
    "manual_confirmation",
    "run",
    # GitLab's EE edition (every GitLab.com project, every licensed instance) adds these
    # (ee/lib/ee/gitlab/ci/config/entry/job.rb, EE_ALLOWED_KEYS); CE would call them unknown,
    # and an error CE-only users might see is better missed than one EE users get wrongly.
    "dast_configuration",
    "identity",
    "secrets",
)
BRIDGE_KEYS = ("trigger", "parallel")
DEFAULT_KEYS = (
    "before_script",
    "after_script",
    "hooks",
    "cache",
    "image",
    "services",
    "interruptible",
    "timeout",
    "retry",
    "tags",
    "artifacts",
    "id_tokens",
    "identity",  # EE (ee/lib/ee/gitlab/ci/config/entry/default.rb)
)
_JOB_ALLOWED = frozenset((*JOB_KEYS, *PROCESSABLE_KEYS))
_BRIDGE_ALLOWED = frozenset((*BRIDGE_KEYS, *PROCESSABLE_KEYS))
JOB_WHEN = ("on_success", "on_failure", "always", "manual", "delayed")
BRIDGE_WHEN = ("on_success", "on_failure", "always", "manual")
MAX_NESTING_LEVEL = 10
MAX_NAME_LENGTH = 255

Entry = Callable[[Check, Any, Mark, str], Any]
#: ``raw_name`` when a job's key is a YAML string (the usual case).
STRING_KEY: Any = object()


@dataclass(frozen=True, slots=True)
class Job:
    """A job or a trigger job (``bridge``) as GitLab's entry tree reads it, before ``default:``."""

    name: str
    kind: str  # "job" or "bridge"
    mark: Mark  # where the job's name is written
    node: YMap
    stage: str
    stage_mark: Mark
    when: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)  # typed child entries by key

    def value(self, key: str) -> Any:
        return self.values.get(key)


@dataclass(frozen=True, slots=True)
class Root:
    """The validated configuration: its errors, warnings and typed parts."""

    errors: tuple[Any, ...]
    warnings: tuple[Any, ...]
    jobs: Mapping[str, Job]
    hidden: frozenset[str]
    stages: tuple[str, ...]
    stages_mark: Mark | None
    values: Mapping[str, Any]  # typed root entries by key (default, workflow, variables, ...)

    @property
    def valid(self) -> bool:
        return not self.errors


# --- small entries ----------------------------------------------------------------------------


def commands(c: Check, value: Any, mark: Mark, loc: str) -> tuple[str, ...] | None:
    """``Entry::Commands``: a string or strings nested up to 10 levels."""
    if isinstance(value, str):
        return (value,)
    lines = nested_leaves(value, MAX_NESTING_LEVEL, str)
    if lines is None:
        c.add(
            loc,
            "config",
            "should be a string or a nested array of strings up to "
            f"{MAX_NESTING_LEVEL} levels deep",
            mark,
        )
        return None
    return tuple(lines)


def stages(c: Check, value: Any, mark: Mark, loc: str) -> tuple[str, ...] | None:
    """``Entry::Stages``: strings nested up to 10 levels."""
    names = nested_leaves(value, MAX_NESTING_LEVEL, str)
    if names is None:
        c.add(
            loc,
            "config",
            "should be an array of strings or a nested array of strings up to "
            f"{MAX_NESTING_LEVEL} levels deep",
            mark,
        )
        return None
    return tuple(names)


def stage(c: Check, value: Any, mark: Mark, loc: str) -> str | None:
    if not is_string(value):
        c.add(loc, "config", type_name(str), mark)
        return None
    return str(value)


def boolean(c: Check, value: Any, mark: Mark, loc: str) -> bool | None:
    if not is_boolean(value):
        c.add(loc, "config", "should be a boolean value", mark)
        return None
    return bool(value)


def _children(c: Check, node: YMap, loc: str, entries: Mapping[str, Entry]) -> dict[str, Any]:
    """Build and check each child entry that has a value (``nil`` is unspecified), in the
    order of ``entries``. A hash or an array is checked through :meth:`Check.reuse`'s memo
    (written out here: most children of GitLab's jobs are values other jobs have too)."""
    out: dict[str, Any] = {}
    memo = c.memo
    if entries is JOB_ENTRIES or entries is BRIDGE_ENTRIES:
        # jobs made from the same templates have the same keys: their entries found once
        keys = (entries is JOB_ENTRIES, *node)
        present = _PRESENT.get(keys)
        if present is None:
            if len(_PRESENT) >= _MAX_PRESENT:
                _PRESENT.clear()
            present = _PRESENT[keys] = [(k, e) for k, e in entries.items() if k in node]
    else:
        present = [(k, e) for k, e in entries.items() if k in node]
    vmarks = node.vmarks
    errors, warnings = c.errors, c.warnings
    for key, entry in present:
        value = node[key]
        if value is None:
            continue
        where = vmarks.get(key) or node.value_mark(key)
        if memo is None or not isinstance(value, (dict, list)):
            out[key] = entry(c, value, where, f"{loc}:{key}" if loc else key)
            continue
        memo_key = (entry, id(value), id(where))
        hit = memo.get(memo_key)
        if hit is not None:
            out[key] = hit[0]
            continue
        counts = len(errors), len(warnings)
        found = out[key] = entry(c, value, where, f"{loc}:{key}" if loc else key)
        if len(errors) == counts[0] and len(warnings) == counts[1]:
            memo[memo_key] = (found, value, where)
    return out


#: the keys of a job's or a trigger job's entries it writes, in the entries' order, by its
#: kind (a job or not) and its keys
_PRESENT: dict[tuple[Any, ...], list[tuple[str, Entry]]] = {}
_MAX_PRESENT = 4096


# --- default ----------------------------------------------------------------------------------

DEFAULT_ENTRIES: dict[str, Entry] = {
    "before_script": commands,
    "after_script": commands,
    "hooks": jobmisc.hooks,
    "cache": cache.caches,
    "image": image.image,
    "services": image.services,
    "interruptible": boolean,
    "timeout": jobmisc.timeout,
    "retry": jobmisc.retry,
    "tags": jobmisc.tags,
    "artifacts": artifacts.artifacts,
    "id_tokens": jobmisc.id_tokens,
}


def default(c: Check, value: Any, mark: Mark, loc: str) -> dict[str, Any] | None:
    """``Entry::Default``."""
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)
        return None
    if not allowed_keys(c, loc, value, DEFAULT_KEYS, mark):
        return None
    return _children(c, value, loc, DEFAULT_ENTRIES)


# --- jobs -------------------------------------------------------------------------------------


def job_kind(name: str, value: Any) -> str | None:
    """``Jobs.find_type``: hidden, job or bridge (in that order), or ``None``."""
    if name.startswith("."):
        return "hidden"
    if isinstance(value, dict):
        if "script" in value or "run" in value:
            return "job"
        if "trigger" in value or "needs" in value:
            return "bridge"
    return None


def _policy(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    """``only:`` and ``except:`` (:mod:`cigen.config.policy`, imported by the first use: most
    pipelines use ``rules:``)."""
    from cigen.config.policy import policy

    return policy(c, value, mark, loc)


def _processable_entries(kind: str) -> dict[str, Entry]:
    """Processable's entries, then the job's or the bridge's, in GitLab's declaration order."""
    shared: dict[str, Entry] = {
        "stage": stage,
        "only": _policy,
        "except": _policy,
        "rules": rules.job_rules,
        "variables": variables.job_variables,
        "inherit": inherit.inherit,
        "environment": environment.environment,
        "interruptible": boolean,
    }
    if kind == "bridge":
        return {
            **shared,
            "trigger": trigger.trigger,
            "needs": needs.bridge_needs,
            "parallel": parallel.matrix_only,
        }
    return {
        **shared,
        "before_script": commands,
        "script": commands,
        "after_script": commands,
        "hooks": jobmisc.hooks,
        "cache": cache.caches,
        "image": image.image,
        "services": image.services,
        "timeout": jobmisc.timeout,
        "retry": jobmisc.retry,
        "tags": jobmisc.tags,
        "artifacts": artifacts.artifacts,
        "needs": needs.job_needs,
        "coverage": artifacts.coverage,
        "release": artifacts.release,
        "parallel": parallel.parallel,
        "allow_failure": jobmisc.allow_failure,
        "id_tokens": jobmisc.id_tokens,
        "publish": artifacts.publish,
        "pages": artifacts.pages,
        "inputs": jobmisc.job_inputs,
    }


JOB_ENTRIES = _processable_entries("job")
BRIDGE_ENTRIES = _processable_entries("bridge")


def _processable_checks(
    c: Check, name: str, node: YMap, mark: Mark, loc: str, raw_name: Any = STRING_KEY
) -> None:
    """``Processable``'s own validations. ``raw_name``: the job's key as YAML typed it when it
    is not a string: GitLab's name is then an Integer, a boolean or ``nil``, not a Symbol."""
    if not node:  # blank: the job is a hash
        c.add(loc, "config", "can't be blank", mark)
    # ``presence``: a Symbol is blank when empty (``:" "`` is not); nil and false are blank
    if (name == "" and raw_name is STRING_KEY) or raw_name is None or raw_name is False:
        c.add(loc, "name", "can't be blank", mark)
    if raw_name is not STRING_KEY:
        what = (
            "null"
            if raw_name is None
            else "a boolean"
            if isinstance(raw_name, bool)
            else "a number"
        )
        hint = f"YAML 1.1 reads this key as {what}: quote the job name"
        c.add(loc, "name", "should be a symbol", mark, hint=hint)  # ``type: Symbol``
    if len(name) > MAX_NAME_LENGTH:
        c.add(loc, "name", f"is too long (maximum is {MAX_NAME_LENGTH} characters)", mark)
    if "trigger" in node:  # the validator's own test, without a call
        for pair in (("script", "trigger"), ("run", "trigger")):
            if pair[0] in node:
                mutually_exclusive_keys(c, loc, node, pair, mark, rule="CIG209")
    rules_value = node.get("rules")
    if rules_value is not None and ("only" in node or "except" in node or "start_in" in node):
        disallowed_keys(
            c,
            loc,
            node,
            ("only", "except", "start_in"),
            mark,
            "key may not be used with `rules`",
            ignore_nil=True,
            hint="express it as a rule instead",
            rule="CIG206",
        )
    extends = node.get("extends")
    if extends is not None and not is_array_of_strings_or_string(extends):
        c.add(
            loc, "extends", "should be an array of strings or a string", node.value_mark("extends")
        )
    if rules_value is not None and not _rules_shape(c, rules_value):
        c.add(
            loc,
            "rules",
            "should be an array containing hashes and arrays of hashes",
            node.value_mark("rules"),
        )
    group = node.get("resource_group")
    if group is not None and not is_string(group):
        c.add(loc, "resource_group", type_name(str), node.value_mark("resource_group"))


def _rules_shape(c: Check, value: Any) -> bool:
    """Whether ``rules`` holds hashes in arrays nested at most 10 deep; known for a value a
    job checked before (jobs share their templates' rules)."""
    memo = c.memo
    if memo is None:
        return nested_leaves(value, MAX_NESTING_LEVEL, dict) is not None
    key = (_rules_shape, id(value))
    found = memo.get(key)
    if found is not None:
        return bool(found[0])
    ok = nested_leaves(value, MAX_NESTING_LEVEL, dict) is not None
    memo[key] = (ok, value, None)  # the value kept alive with its result
    return ok


def _when_checks(c: Check, node: YMap, loc: str, allowed: tuple[str, ...]) -> None:
    when = node.get("when")
    if when is None:
        return
    where = node.value_mark("when")
    if not is_string(when):
        c.add(loc, "when", type_name(str), where)
    if when not in allowed:
        hint = "to never run a job, use a rule with when: never" if when == "never" else ""
        c.add(
            loc, "when", "should be one of: " + ", ".join(allowed), where, hint=hint, rule="CIG209"
        )


def _job_checks(c: Check, name: str, node: YMap, mark: Mark, loc: str) -> None:
    """``Job``'s own validations (after Processable's)."""
    allowed_keys(c, loc, node, _JOB_ALLOWED, mark)
    if "run" in node:  # the validator's own test, without a call
        for pair in (("script", "run"), ("before_script", "run"), ("after_script", "run")):
            mutually_exclusive_keys(c, loc, node, pair, mark, rule="CIG209")
    if "run" not in node and blank(node.get("script")):
        c.add(
            loc,
            "script",
            "can't be blank",
            node.value_mark("script"),
            hint="give the job commands to run",
            rule="CIG207",
        )
    if "when" in node:
        _when_checks(c, node, loc, JOB_WHEN)
    deps = node.get("dependencies")
    if deps is not None and not is_array_of_strings(deps):
        c.add(loc, "dependencies", "should be an array of strings", node.value_mark("dependencies"))
    allow = node.get("allow_failure")
    if allow is not None and not (is_hash(allow) or is_boolean(allow)):
        c.add(
            loc,
            "allow_failure",
            "should be a hash or a boolean value",
            node.value_mark("allow_failure"),
        )
    run = node.get("run")
    if run is not None and not isinstance(run, list):
        # ``json_schema: run_steps``: the schema file is not in the reference, only its root
        # type (an array, job_spec.rb) is certain; json_schemer's text for it
        c.add(loc, "run", "value at root is not an array", node.value_mark("run"))
    confirmation = node.get("manual_confirmation")
    if confirmation is not None and not is_string(confirmation):
        c.add(loc, "manual_confirmation", type_name(str), node.value_mark("manual_confirmation"))
    start_in = node.get("start_in")
    delayed = node.get("when") == "delayed"
    if delayed or start_in is not None:
        start_mark = node.value_mark("start_in" if "start_in" in node else "when")
        if delayed:
            if not is_duration(start_in):
                c.add(loc, "start_in", "should be a duration", start_mark)
            if not within_duration(start_in, "1 week"):
                c.add(loc, "start_in", "should not exceed the limit", start_mark)
        if (node.get("rules") is not None or not delayed) and not blank(start_in):
            c.add(loc, "start_in", "must be blank", start_mark)
    publish = node.get("publish")
    if publish is not None and not blank(publish) and not _pages_job(name, node):
        c.add(loc, "publish", "can only be used within a `pages` job", node.value_mark("publish"))


def _pages_job(name: str, node: YMap) -> bool:
    if not blank(node.get("pages")):
        return True
    return name == "pages" and node.get("pages") is not False


def _bridge_checks(c: Check, node: YMap, mark: Mark, loc: str) -> None:
    allowed_keys(c, loc, node, _BRIDGE_ALLOWED, mark)
    _when_checks(c, node, loc, BRIDGE_WHEN)
    allow = node.get("allow_failure")
    if allow is not None and not is_boolean(allow):
        c.add(loc, "allow_failure", "should be a boolean value", node.value_mark("allow_failure"))


def _job_composed(c: Check, node: YMap, loc: str, values: Mapping[str, Any]) -> None:
    """``Job``'s composed validations: ``dependencies`` must be part of ``needs``; ``inputs``."""
    deps = node.get("dependencies")
    found = values.get("needs")
    if isinstance(deps, list) and deps and isinstance(found, tuple) and found:
        names = needs.job_names(found)
        if names is None:
            if any(n.kind == needs.CROSS_DEPENDENCY for n in found):
                c.add(
                    loc,
                    "needs",
                    "corresponding to dependencies must be from the same pipeline",
                    node.value_mark("needs"),
                )
        else:
            missing = [d for d in deps if d not in names]
            if missing:
                c.add(
                    loc,
                    "dependencies",
                    f"the {', '.join(map(str, missing))} should be part of needs",
                    node.value_mark("dependencies"),
                    rule="CIG204",  # dependencies-unknown-job reports it, at each name
                )
    _inputs_composed(c, node, loc, values.get("inputs"))


#: ``Ci::Inputs::Builder``'s input types and the article of their name in its messages.
_INPUT_TYPES = {
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
}
MAX_JOB_INPUTS = 50


def _inputs_composed(c: Check, node: YMap, loc: str, found: Any) -> None:
    """``Job``'s ``inputs`` checks: at most 50, and each default of its declared type (the
    ``ci_job_inputs`` feature flag is taken as enabled: cigen accepts the keyword)."""
    given = node.get("inputs")
    if given is None:
        return
    where = node.value_mark("inputs")
    if isinstance(given, dict) and len(given) > MAX_JOB_INPUTS:
        c.add(loc, "inputs", f"has too many entries (maximum {MAX_JOB_INPUTS})", where)
        return
    for item in found or ():
        kind = item.type
        wanted = _INPUT_TYPES.get(kind)
        if wanted and not input_type_ok(kind, item.default):
            c.add(loc, "inputs", f"`{item.name}`: default value is not {wanted}", item.mark)


def _bridge_composed(c: Check, node: YMap, mark: Mark, loc: str, values: Mapping[str, Any]) -> None:
    pipelines = needs.bridge_pipelines(values.get("needs"))
    # ``trigger_defined?``: a trigger is written, valid or not (its own errors say what is wrong)
    if node.get("trigger") is None and not pipelines:
        c.add(
            loc,
            "config",
            "should contain either a trigger or a needs:pipeline",
            mark,
            hint="a job with needs but no script is a trigger job to GitLab; add script: or "
            "trigger:",
            rule="CIG207",
        )
    if len(pipelines) > 1:
        c.add(loc, "config", "should contain at most one bridge need", mark)


def job(
    c: Check,
    name: str,
    value: Any,
    mark: Mark,
    loc: str,
    kind: str,
    workflow_rules: bool,
    *,
    raw_name: Any = STRING_KEY,
    child_loc: str | None = None,
) -> Job | None:
    """A job or bridge entry: own checks, then children, then composed checks.

    ``raw_name``: the key as YAML typed it when not a string; ``child_loc``: the location the
    children's messages start with when not ``loc`` (GitLab's specs build a job without a key:
    its own messages say ``job``, its children's only their key)."""
    assert isinstance(value, YMap)
    count = len(c.errors)  # the job's own checks add errors only
    _processable_checks(c, name, value, mark, loc, raw_name)
    if kind == "job":
        _job_checks(c, name, value, mark, loc)
    else:
        _bridge_checks(c, value, mark, loc)
    if len(c.errors) > count:
        return None
    errors, warnings = c.errors, c.warnings
    kids = len(errors), len(warnings)  # where the children's errors and warnings start
    entries = JOB_ENTRIES if kind == "job" else BRIDGE_ENTRIES
    values = _children(c, value, loc if child_loc is None else child_loc, entries)
    composed = len(errors), len(warnings)
    if kind == "job":
        _job_composed(c, value, loc, values)
    else:
        _bridge_composed(c, value, mark, loc, values)
    if not workflow_rules:
        _multiple_pipelines_warning(c, value, loc)
    # the composed checks' errors and warnings come before the children's
    if len(errors) != kids[0] or len(warnings) != kids[1]:
        for found, start, end in ((errors, kids[0], composed[0]), (warnings, kids[1], composed[1])):
            if start < end < len(found):
                found[start:] = found[end:] + found[start:end]
    stage_value = value.get("stage")
    when = value.get("when")
    return Job(
        name,
        kind,
        mark,
        value,
        stage_value if isinstance(stage_value, str) else "test",
        value.value_mark("stage") if "stage" in value else mark,
        when if isinstance(when, str) else None,
        values,
    )


def processable(c: Check, name: str, value: YMap, mark: Mark, loc: str) -> dict[str, Any] | None:
    """``Processable``'s checks and entries alone (with ``tags``), as its spec builds it."""
    own = Check()
    _processable_checks(own, name, value, mark, loc)
    if own.errors:
        c.extend(own)
        return None
    shared = ("stage", "only", "except", "rules", "variables", "inherit", "environment")
    entries = {key: JOB_ENTRIES[key] for key in (*shared, "interruptible", "tags")}
    kids = Check()
    values = _children(kids, value, "", entries)
    composed = Check()
    _multiple_pipelines_warning(composed, value, loc)
    c.extend(composed)
    c.extend(kids)
    return values


def _multiple_pipelines_warning(c: Check, node: YMap, loc: str) -> None:
    """``Processable#validate_against_warnings``: a last rule of only ``when:`` (not never)."""
    found = node.get("rules")
    if not isinstance(found, list) or not found:
        return
    last = _last_leaf(found)  # ``rules_value.last`` (flattened): nil when they hold no rule
    if isinstance(last, dict) and list(last) == ["when"] and last["when"] != "never":
        c.warn(
            loc,
            "may allow multiple pipelines to run for a single action due to `rules:when` "
            "clause with no `workflow:rules` - read more: "
            "https://docs.gitlab.com/ee/ci/jobs/job_troubleshooting.html"
            "#job-may-allow-multiple-pipelines-to-run-for-a-single-action-warning",
            node.value_mark("rules"),
        )


def _last_leaf(value: list[Any]) -> Any:
    """The last item of ``flatten(value)`` (:data:`_NO_LEAF` when there is none), read from
    the end."""
    for item in reversed(value):
        if not isinstance(item, list):
            return item
        found = _last_leaf(item)
        if found is not _NO_LEAF:
            return found
    return _NO_LEAF


_NO_LEAF: Any = object()


TypedKey = Callable[[str], tuple[bool, Any]]


def hidden(c: Check, value: Any, mark: Mark, loc: str) -> None:
    """``Entry::Hidden``: any value but a blank one (``validates :config, presence: true``)."""
    if blank(value):
        c.add(
            loc,
            "config",
            "can't be blank",
            mark,
            hint="give the hidden key a value or remove it",
            rule="CIG209",
        )


def jobs(
    c: Check,
    config: Mapping[str, Any],
    marks: Mapping[str, Mark],
    mark: Mark,
    workflow_rules: bool,
    typed_key: TypedKey,
) -> dict[str, Job]:
    """``Entry::Jobs``: every job must be a job, a bridge or hidden; one must be visible.
    ``typed_key``: a job's key as YAML typed it (``(True, name)`` for a string)."""
    own = Check()
    kinds = {name: job_kind(name, value) for name, value in config.items()}
    for name, kind in kinds.items():
        if kind is None:
            own.base(
                "jobs",
                f"{name} config should implement the script:, run:, or trigger: keyword",
                marks[name],
                hint="add script: (or run: or trigger:), or hide a template with a leading dot",
                rule="CIG207",
                where=f"jobs:{name}",
            )
    if not any(kind in ("job", "bridge") for kind in kinds.values()):
        own.add(
            "jobs",
            "config",
            "should contain at least one visible job",
            mark,
            hint="name a job without a leading dot",
            rule="CIG208",
        )
    if own.errors:
        c.extend(own)
        return {}
    out: dict[str, Job] = {}
    for name, value in config.items():
        loc = f"jobs:{name}"
        kind = kinds[name]
        if kind == "hidden":
            hidden(c, value, marks[name], loc)
            continue
        assert kind is not None
        is_string_key, raw = typed_key(name)
        raw_name = STRING_KEY if is_string_key else raw
        if (name == "" and is_string_key) or raw is None or raw is False:
            loc = f"jobs:{kind}"  # ``Node#location``: a blank key is named after its class
        found = job(c, name, value, marks[name], loc, kind, workflow_rules, raw_name=raw_name)
        if found is not None:
            out[name] = found
    return out


# --- root -------------------------------------------------------------------------------------

ROOT_ENTRIES: dict[str, Entry] = {
    "default": default,
    "include": include.includes,
    "before_script": commands,
    "image": image.image,
    "services": image.services,
    "after_script": commands,
    "variables": variables.root_variables,
    "stages": stages,
    "cache": cache.caches,
    "workflow": rules.workflow,
}


def root(
    config: YMap, typed_key: TypedKey | None = None, memo: dict[Any, Any] | None = None
) -> Root:
    """Validate a resolved configuration (after includes, ``extends`` and ``!reference``).
    ``typed_key``: a top-level key as YAML typed it (default: as ``config`` was loaded);
    ``memo``: the results of this run's checks, to reuse (:meth:`Check.reuse`)."""
    c = Check(memo={} if memo is None else memo)
    job_config: dict[str, Any] = {}
    marks: dict[str, Mark] = {}
    globals_: dict[str, Any] = {}
    for key, value in config.items():
        if key in RESERVED_KEYS or (key in ROOT_KEYS and job_kind(key, value) is None):
            globals_[key] = value
        else:
            job_config[key] = value
            marks[key] = config.key_mark(key)
    values: dict[str, Any] = {}
    for key, entry in ROOT_ENTRIES.items():
        value = globals_.get(key)
        if key in ("default", "workflow") and value is None:
            value = YMap(config.mark)
        if value is None:
            continue
        where = config.value_mark(key) if key in config else config.mark
        values[key] = entry(c, value, where, key)
    workflow = globals_.get("workflow")
    workflow_rules = isinstance(workflow, dict) and workflow.get("rules") is not None
    found = jobs(c, job_config, marks, config.mark, workflow_rules, typed_key or config.typed_key)
    declared = values.get("stages")
    return Root(
        errors=tuple(c.errors),
        warnings=tuple(c.warnings),
        jobs=found,
        hidden=frozenset(name for name in job_config if name.startswith(".")),
        stages=with_edge_stages(declared if isinstance(declared, tuple) else None),
        stages_mark=config.value_mark("stages") if "stages" in config else None,
        values=values,
    )
