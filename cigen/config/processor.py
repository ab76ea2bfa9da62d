"""GitLab's checks across jobs, after the entry tree: ``lib/gitlab/ci/yaml_processor.rb``,
``yaml_processor/dag.rb`` and the normalizer (``lib/gitlab/ci/config/normalizer.rb``,
``normalizer/*``, ``interpolation/matrix_interpolator.rb``).

First the normalizer turns each ``parallel`` job into its instances (``rspec 1/3``,
``rspec: [aws, app1]``), replaces ``$[[ matrix.NAME ]]`` in ``needs`` with the instance's
values, and rewrites ``needs`` and ``dependencies`` naming a parallel job to name its
instances (only those a ``needs:parallel:matrix`` selects). Then, job by job in order: the
stage must be declared; each dependency and need must exist (an ``optional`` need may be
missing) and be in the same or an earlier stage; needs may not repeat; a child pipeline's
``artifact`` job is a dependency too; an ``on_stop`` job must stop the same environment; a
pages job takes ``publish`` in one place. Last, ``needs`` may not loop.

GitLab stops at the first of these errors (it raises), so :func:`process` reports one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from cigen.config.node import ConfigError, ruby_string
from cigen.config.root import Job, Root
from cigen.diagnostics import Mark
from cigen.records import dataclass, field, replace
from cigen.regex import lazy_pattern
from cigen.yaml.load import YMap, YSeq

#: ``Ci::BuildNeed::MAX_JOB_NAME_LENGTH``.
MAX_NEED_NAME = 255
#: ``MatrixInterpolator::MATRIX_EXPRESSION_REGEXP`` (RE2: ``\s`` is ASCII white space).
MATRIX_EXPRESSION = lazy_pattern(r"\$\[\[[\t\n\f\r ]*matrix\.([a-zA-Z0-9_-]+)[\t\n\f\r ]*\]\]")

# The lint rules that report each kind of error (the rest are CIG002, "schema").
STAGE_RULE = "CIG201"
UNKNOWN_NEED_RULE = "CIG202"
LATER_NEED_RULE = "CIG203"
DEPENDENCY_RULE = "CIG204"
NEEDS_GRAPH_RULE = "CIG210"
CHILD_PIPELINE_RULE = "CIG211"


@dataclass(frozen=True, slots=True)
class NeedRef:
    """One need of an instance after the normalizer: the instance name it points at."""

    name: str
    mark: Mark
    optional: bool = False
    artifacts: bool = True


@dataclass(frozen=True, slots=True)
class DependencyRef:
    """One ``dependencies`` entry after the normalizer."""

    name: str
    mark: Mark


@dataclass(frozen=True, slots=True)
class Instance:
    """One job of the pipeline as GitLab creates it: a job, or one instance of a parallel job.

    ``needs`` is ``None`` when the job has no ``needs:`` (stage ordering); ``variables`` holds
    the instance's ``parallel:matrix`` values.
    """

    name: str
    job: Job
    needs: tuple[NeedRef, ...] | None = None
    dependencies: tuple[DependencyRef, ...] | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    index: int | None = None  # 1-based instance number of a parallel job
    total: int | None = None

    @property
    def stage(self) -> str:
        return self.job.stage


@dataclass(frozen=True, slots=True)
class Normalized:
    """The normalizer's output: instances by name (GitLab's order) and its errors."""

    instances: Mapping[str, Instance]
    errors: tuple[tuple[str, Mark], ...] = ()


# --- parallel instances ------------------------------------------------------------------------

Rows = Iterable[Sequence[tuple[str, Sequence[str]]]]


def matrix_combinations(rows: Rows) -> Iterator[dict[str, str]]:
    """``MatrixStrategy.expand``: every combination of each row, rows in order."""
    for row in rows:
        names = [name for name, _ in row]
        for combination in itertools.product(*(values for _, values in row)):
            yield dict(zip(names, combination, strict=True))


def matrix_name(job: str, variables: Mapping[str, str]) -> str:
    """``MatrixStrategy#name``: ``job: [value, value]``."""
    return f"{job}: [{', '.join(variables.values())}]"


def parallel_names(job: str, parallel: Any) -> list[tuple[str, dict[str, str]]]:
    """The instances a ``parallel`` value makes: ``(name, matrix variables)`` in order."""
    if parallel.total is not None:
        total = parallel.total
        return [(f"{job} {index}/{total}", {}) for index in range(1, total + 1)]
    rows = (row.variables for row in parallel.matrix or ())
    return [(matrix_name(job, v), v) for v in matrix_combinations(rows)]


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


# --- $[[ matrix.NAME ]] in needs ----------------------------------------------------------------


def printed_variable(value: str, expand: bool | None) -> str:
    """A job variable as the interpolator prints it: its ``value_with_data`` hash, as Ruby 3.3
    writes it (``{:value=>"x"}``, ``{:value=>"x", :raw=>true}``)."""
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    text = f":value=>{quoted}"
    if expand is not None:
        text += f", :raw=>{'false' if expand else 'true'}"
    return "{" + text + "}"


def _job_variables(job: Job) -> dict[str, str]:
    """``job_variables`` as the interpolator prints them."""
    return {v.name: printed_variable(v.value, v.expand) for v in job.value("variables") or ()}


def interpolate_text(value: str, variables: Mapping[str, str]) -> tuple[str, list[str]]:
    """``MatrixInterpolator`` on one string: each ``$[[ matrix.NAME ]]`` replaced by the value
    of ``NAME``, and the errors for names with none (those stay as written)."""
    result = value
    errors: list[str] = []
    if "$[[" not in value:
        return result, errors
    for match in MATRIX_EXPRESSION().finditer(value):
        name = match.group(1)
        if name not in variables:
            errors.append(f"'{name}' does not exist in matrix configuration")
            continue
        result = result.replace(match.group(0), variables[name])
    return result, errors


class _Interpolator:
    """``MatrixInterpolator``: replaces known names, collects the unknown ones."""

    __slots__ = ("errors", "variables")

    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables = variables
        self.errors: list[tuple[str, Mark]] = []

    def text(self, value: str, mark: Mark) -> str:
        result, errors = interpolate_text(value, self.variables)
        self.errors.extend((error, mark) for error in errors)
        return result

    def row(self, row: Sequence[tuple[str, Sequence[str]]], mark: Mark) -> Row:
        return tuple((var, tuple(self.text(v, mark) for v in values)) for var, values in row)


Row = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class _JobNeed:
    """A ``job`` need while normalizing: its name and ``parallel:matrix`` rows as text."""

    name: str
    mark: Mark
    optional: bool
    artifacts: bool
    rows: tuple[Row, ...] | None


def _kind_order(needs: Sequence[Any]) -> list[Any]:
    """The needs grouped by kind, kinds in order of first appearance (``group_by``)."""
    kinds = list(dict.fromkeys(n.kind for n in needs))
    if len(kinds) < 2:
        return list(needs)
    return [n for kind in kinds for n in needs if n.kind == kind]


def _rows(need: Any) -> tuple[Row, ...] | None:
    if need.parallel is None or need.parallel.matrix is None:
        return None
    return tuple(
        tuple((var, tuple(values)) for var, values in row.variables) for row in need.parallel.matrix
    )


def job_name_marks(node: YMap) -> dict[Mark, Mark]:
    """For each ``{job: ...}`` need of a job (in ``needs`` and ``rules:needs``): the position
    of the need -> the position of its job name, which errors point at."""
    out: dict[Mark, Mark] = {}
    stack: list[Any] = [node.get("needs"), node.get("rules")]
    while stack:
        value = stack.pop()
        if isinstance(value, YMap):
            if isinstance(value.get("job"), str):
                out[value.mark] = value.value_mark("job")
            stack.extend(value.get(key) for key in ("needs", "rules") if key in value)
        elif isinstance(value, YSeq):
            for index, item in enumerate(value):
                if isinstance(item, YMap) and isinstance(item.get("job"), str):
                    out[value.item_mark(index)] = item.value_mark("job")
                stack.append(item)
    return out


def _job_needs(needs: Sequence[Any], interpolator: _Interpolator | None) -> list[_JobNeed]:
    """The ``job`` needs, every string of ``needs`` through ``interpolator`` when given."""
    out: list[_JobNeed] = []
    for need in _kind_order(needs):
        if need.kind != "job":
            for text in (need.pipeline, need.job, need.project, need.ref):
                if interpolator is not None and isinstance(text, str):
                    interpolator.text(text, need.mark)
            continue
        name, rows = need.job, _rows(need)
        if interpolator is not None:
            name = interpolator.text(name, need.mark)
            if rows is not None:
                rows = tuple(interpolator.row(row, need.mark) for row in rows)
        out.append(_JobNeed(name, need.mark, need.optional, need.artifacts, rows))
    return out


Parallelized = Mapping[str, list[tuple[str, dict[str, str]]]]


def normalize(jobs: Mapping[str, Job]) -> Normalized:
    """``Config::Normalizer#normalize_jobs`` and its errors (each message once)."""
    parallelized: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for name, job in jobs.items():
        parallel = job.value("parallel")
        if parallel is not None:
            parallelized[name] = parallel_names(name, parallel)
    instances: dict[str, Instance] = {}
    errors: dict[str, Mark] = {}
    #: needs read alike (no ``$[[``) expanded, by the identity of the typed needs: jobs whose
    #: needs are one value (a template's) share them, and the checks of a shared tuple of
    #: needs in a stage are made once (:class:`_Validator`)
    expanded: dict[int, tuple[NeedRef, ...]] = {}
    if not parallelized:
        # GitLab leaves the jobs as they are: no $[[ matrix.* ]] in needs is replaced.
        for name, job in jobs.items():
            needs = job.value("needs")
            written = None
            if needs is not None:
                written = expanded.get(id(needs))
                if written is None:
                    written = expanded[id(needs)] = tuple(
                        NeedRef(n.name, n.mark, n.optional, n.artifacts)
                        for n in _job_needs(needs, None)
                    )
            instances[name] = Instance(name, job, written, _dependencies(job, {}))
        return Normalized(instances)
    #: whether the typed needs may hold ``$[[``, by their identity (jobs share them)
    interpolating: dict[int, bool] = {}
    for name, job in jobs.items():
        # needs without $[[ ... ]] read no variable and expand alike in every instance: once
        # per job, not per instance
        needs = job.value("needs")
        interpolates = interpolating.get(id(needs))
        if interpolates is None:
            interpolates = interpolating[id(needs)] = _interpolates(needs)
        own = _job_variables(job) if interpolates else None
        if name not in parallelized:
            instances[name] = _instance(name, job, own, parallelized, errors, expanded)
            continue
        total = len(parallelized[name])
        alike = None
        if not interpolates:
            alike = _instance(name, job, own, parallelized, errors, expanded)
        for index, (instance, variables) in enumerate(parallelized[name], start=1):
            found = alike
            if found is None:
                merged = {**(own or {}), **variables}
                found = _instance(instance, job, merged, parallelized, errors, expanded)
            instances[instance] = Instance(
                instance,
                job,
                found.needs,
                found.dependencies,
                variables,
                index,
                total,
            )
    return Normalized(instances, tuple(errors.items()))


def _interpolates(needs: Sequence[Any] | None) -> bool:
    """True when a string of a job's typed ``needs`` may hold ``$[[ matrix.NAME ]]``."""
    for need in needs or ():
        for text in (need.pipeline, need.job, need.project, need.ref):
            if isinstance(text, str) and "$[[" in text:
                return True
        for row in _rows(need) or ():
            if any("$[[" in value for _, values in row for value in values):
                return True
    return False


def _instance(
    name: str,
    job: Job,
    variables: Mapping[str, str] | None,
    parallelized: Parallelized,
    errors: dict[str, Mark],
    alike: dict[int, tuple[NeedRef, ...]],
) -> Instance:
    """``Normalizer#normalize_job``: interpolate and expand ``needs``, expand dependencies;
    ``variables`` is ``None`` when no string of ``needs`` holds ``$[[`` (nothing to replace);
    ``alike``: the needs expanded without variables, by the identity of the typed needs."""
    needs = job.value("needs")
    expanded: tuple[NeedRef, ...] | None = None
    if needs is not None and variables is None:
        expanded = alike.get(id(needs))
        if expanded is None:
            found = _job_needs(needs, None)
            expanded = tuple(ref for need in found for ref in _expand_need(need, parallelized))
            alike[id(needs)] = expanded
    elif needs is not None:
        interpolator = _Interpolator(variables or {})
        found = _job_needs(needs, interpolator)
        if interpolator.errors:
            for text, mark in interpolator.errors:
                errors.setdefault(f"{job.name} job: {text}", mark)
            found = _job_needs(needs, None)
        expanded = tuple(ref for need in found for ref in _expand_need(need, parallelized))
    return Instance(name, job, needs=expanded, dependencies=_dependencies(job, parallelized))


def _expand_need(need: _JobNeed, parallelized: Parallelized) -> list[NeedRef]:
    """``expand_parallelized_needs`` for one need."""
    if need.name not in parallelized:
        return [NeedRef(need.name, need.mark, need.optional, need.artifacts)]
    if need.rows is not None:
        names = [matrix_name(need.name, v) for v in matrix_combinations(need.rows)]
    else:
        names = [instance for instance, _ in parallelized[need.name]]
    return [NeedRef(n, need.mark, need.optional, need.artifacts) for n in names]


def _dependencies(job: Job, parallelized: Parallelized) -> tuple[DependencyRef, ...] | None:
    """``expand_parallelized_job_names`` on ``dependencies``."""
    found = job.node.get("dependencies")
    if not isinstance(found, list):
        return None
    out: list[DependencyRef] = []
    for index, item in enumerate(found):
        mark = found.item_mark(index) if isinstance(found, YSeq) else job.mark
        name = str(item)
        if name in parallelized:
            out.extend(DependencyRef(instance, mark) for instance, _ in parallelized[name])
        else:
            out.append(DependencyRef(name, mark))
    return tuple(out)


# --- the logical validations (YamlProcessor#run_logical_validations!) -------------------------


def _error(
    message: str, mark: Mark, rule: str = "CIG002", *, job: Job | None = None, hint: str = ""
) -> ConfigError:
    where = f"jobs:{job.name}" if job is not None else ""
    return ConfigError(message, mark, rule, where, hint)


def _name_mark(job: Job, mark: Mark) -> Mark:
    """Where the job name of the need written at ``mark`` is (only looked up for errors)."""
    return job_name_marks(job.node).get(mark, mark)


def _did_you_mean(name: str, known: Iterable[str], hint: str) -> str:
    """``hint``, after the closest of ``known`` to ``name`` when one is close."""
    from cigen.suggest import closest

    match = closest(name, known)
    return hint if match is None else f"did you mean {match!r}? If not, {hint}"


class _Validator:
    """The checks of one configuration, over its normalized instances. Each check yields the
    error GitLab's ``error!`` raises; GitLab stops at the first, :func:`errors` goes on as if
    each were fixed in turn."""

    __slots__ = ("clean", "instances", "positions", "ranks", "stages", "unchecked")

    def __init__(
        self,
        instances: Mapping[str, Instance],
        stages: Sequence[str],
        unchecked: frozenset[str] = frozenset(),
    ) -> None:
        self.instances = instances
        self.stages = stages
        self.unchecked = unchecked
        self.positions: dict[str, int] = {}
        for index, stage in enumerate(stages):
            self.positions.setdefault(stage, index)
        #: each instance's stage position (``None`` for an undeclared stage)
        self.ranks = {name: self.positions.get(i.job.stage) for name, i in instances.items()}
        #: checks that found no error: ``(id of what they read, stage)``
        self.clean: set[tuple[int, str]] = set()

    def job(self, name: str, instance: Instance) -> Iterator[ConfigError]:
        """``validate_job!``."""
        job = instance.job
        if instance.stage not in self.positions:
            available = ", ".join(self.stages)
            hint = "add it to stages or fix the name"
            if "stage" not in job.node:
                hint = "set stage: or add 'test' to stages"
            else:
                hint = _did_you_mean(instance.stage, self.stages, hint)
            yield _error(
                f"{name} job: chosen stage {instance.stage} does not exist; available stages "
                f"are {available}",
                job.stage_mark,
                STAGE_RULE,
                job=job,
                hint=hint,
            )
        # the instances of a parallel job share their dependencies, their needs (unless
        # $[[ matrix.* ]] makes them differ) and their job: what passed for one passes for all
        # (the instance name is only part of a message), so it is checked once
        dependencies, needs, clean = instance.dependencies, instance.needs, self.clean
        if dependencies and (id(dependencies), instance.stage) not in clean:
            checks = (
                error
                for dependency in dependencies
                for error in self.dependency(name, instance, dependency.name, dependency.mark)
            )
            yield from self.once((id(dependencies), instance.stage), checks)
        if needs is not None and (id(needs), instance.stage) not in clean:
            yield from self.once((id(needs), instance.stage), self.needs(name, instance, needs))
        if (id(job), job.stage) not in clean:
            yield from self.once((id(job), job.stage), self.job_checks(name, instance))

    def once(self, key: tuple[int, str], checks: Iterator[ConfigError]) -> Iterator[ConfigError]:
        """The errors of ``checks``; ``key`` (the checked value and the stage) is remembered
        as clean when there are none."""
        clean = True
        for error in checks:
            clean = False
            yield error
        if clean:
            self.clean.add(key)

    def job_checks(self, name: str, instance: Instance) -> Iterator[ConfigError]:
        """The checks that read the job alone: ``rules:needs``, a child pipeline's artifact
        job, ``on_stop``, ``pages:publish``."""
        job = instance.job
        for rule in job.value("rules") or ():
            if rule.needs is not None:
                refs = tuple(
                    NeedRef(n.job, n.mark, n.optional, n.artifacts)
                    for n in rule.needs
                    if n.kind == "job"
                )
                yield from self.needs(name, instance, refs or None)
        yield from self.child_pipeline(name, instance)
        yield from self.on_stop(name, instance)
        yield from self.pages_publish(name, job)

    def needs(
        self, name: str, instance: Instance, needs: Sequence[NeedRef] | None
    ) -> Iterator[ConfigError]:
        """``validate_needs_specification!``."""
        if needs is None:
            return
        ranks = self.ranks
        own = self.positions.get(instance.stage)
        for need in needs:
            if own is not None and len(need.name) <= MAX_NEED_NAME:
                other = ranks.get(need.name)
                if other is not None and other <= own:
                    continue  # an existing job of the same or an earlier stage: no error
            yield from self.dependency(
                name, instance, need.name, need.mark, "need", optional=need.optional
            )
        if len({need.name for need in needs}) == len(needs):
            return
        seen: set[str] = set()
        repeated: dict[str, Mark] = {}
        for need in needs:
            if need.name in seen:
                repeated.setdefault(need.name, need.mark)
            seen.add(need.name)
        if repeated:
            yield _error(
                f"{name} has the following needs duplicated: {', '.join(repeated)}.",
                _name_mark(instance.job, next(iter(repeated.values()))),
                NEEDS_GRAPH_RULE,
                job=instance.job,
                hint="list each job once",
            )

    def dependency(
        self,
        name: str,
        instance: Instance,
        dependency: str,
        mark: Mark,
        kind: str = "dependency",
        *,
        optional: bool = False,
    ) -> Iterator[ConfigError]:
        """``validate_job_dependency!``: at most one error."""
        job = instance.job
        needed = self.instances.get(dependency)
        if needed is None:
            if optional or self._unchecked(dependency):
                return
            unknown = UNKNOWN_NEED_RULE if kind == "need" else DEPENDENCY_RULE
            hint = "define that job or fix the name"
            if kind == "need":
                hint += ", or mark the need optional: true"
            hint = _did_you_mean(dependency, self.instances, hint)
            yield _error(
                f"{name} job: undefined {kind}: {dependency}",
                _name_mark(job, mark) if kind == "need" else mark,
                unknown,
                job=job,
                hint=hint,
            )
            return
        if kind == "need" and len(dependency) > MAX_NEED_NAME:
            yield _error(
                f"{name} job: need `{dependency}` name is too long (maximum is {MAX_NEED_NAME} "
                "characters)",
                _name_mark(job, mark),
                job=job,
                hint="shorten the job name or its matrix values",
            )
            return
        own = self.positions.get(instance.stage)
        other = self.positions.get(needed.stage)
        if other is None or own is None or other > own:
            rule = LATER_NEED_RULE if kind == "need" else DEPENDENCY_RULE
            yield _error(
                f"{name} job: {kind} {dependency} is not defined in current or prior stages",
                _name_mark(job, mark) if kind == "need" else mark,
                rule,
                job=job,
                hint=f"{dependency} is in stage {needed.stage}: move one of the two jobs",
            )

    def _unchecked(self, name: str) -> bool:
        """Whether ``name`` (or the job its parallel instance name belongs to) is a job left
        out of the model for errors of its own: it exists, whatever else is wrong with it."""
        if not self.unchecked:
            return False
        if name in self.unchecked:
            return True
        base = parallel_base(name)
        return base is not None and base in self.unchecked

    def child_pipeline(self, name: str, instance: Instance) -> Iterator[ConfigError]:
        """``validate_dynamic_child_pipeline_dependencies!``: an ``artifact`` include's job."""
        trigger = instance.job.value("trigger")
        includes = getattr(trigger, "include", None)
        if not isinstance(includes, list):
            return  # Ruby's Array() of a string or hash holds no include hash
        for item in includes:
            if isinstance(item, dict) and isinstance(item.get("job"), str):
                mark = item.value_mark("job") if isinstance(item, YMap) else instance.job.mark
                for error in self.dependency(name, instance, item["job"], mark):
                    yield replace(error, rule=CHILD_PIPELINE_RULE)

    def on_stop(self, name: str, instance: Instance) -> Iterator[ConfigError]:
        """``validate_job_environment!``: the ``on_stop`` job stops the same environment."""
        environment = instance.job.value("environment")
        stop = getattr(environment, "on_stop", None)
        if environment is None or stop is None:
            return
        job = instance.job
        mark = environment.on_stop_mark or environment.mark
        stopper = self.instances.get(stop)
        other = None if stopper is None else stopper.job.value("environment")
        if stopper is None:
            message, hint = "is not defined", "define that job or fix the name"
        elif other is None:
            message = "does not have environment defined"
            hint = f"give {stop} environment: {{name: {environment.name}, action: stop}}"
        elif other.name != environment.name:
            message = "have different environment name"
            hint = f"{stop} stops {other.name}, not {environment.name}"
        elif other.action != "stop":
            message, hint = (
                "needs to have action stop defined",
                f"set environment:action: stop in {stop}",
            )
        else:
            return
        yield _error(f"{name} job: on_stop job {stop} {message}", mark, job=job, hint=hint)

    def pages_publish(self, name: str, job: Job) -> Iterator[ConfigError]:
        """``validate_job_pages_publish!``: ``publish`` in one place only."""
        pages = job.node.get("pages")
        if not isinstance(pages, dict) or job.node.get("publish") is None:
            return
        if "publish" in pages:
            yield _error(
                f"{name} job: use either {name}:publish or {name}:pages:publish",
                job.node.value_mark("publish"),
                job=job,
                hint="keep one of the two",
            )


# --- needs that loop (YamlProcessor::Dag, Ruby's TSort) ---------------------------------------


def ruby_inspect_strings(items: Sequence[str]) -> str:
    """Ruby's ``Array#inspect`` of strings: ``["a", "b"]``."""
    return "[" + ", ".join(ruby_string(item) for item in items) + "]"


def cycle(graph: Mapping[str, Sequence[str]]) -> tuple[str, str, str] | None:
    """The error Ruby's ``TSort#tsort`` raises on ``graph``, or ``None``: ``(message, node,
    target)``, where ``node`` needs ``target`` in the cycle reported (the need that closes the
    loop: the last job of the loop needing its first).

    Tarjan's algorithm as TSort runs it (nodes in order, children in order), iteratively so
    that long chains do not exhaust Python's stack: a node that needs itself fails when its
    children are visited ("self-dependency"), a larger loop when its component is complete.
    """
    ids: dict[str, int | None] = {}
    stack: list[str] = []
    # frames: [node, node id, stack length, next child index, lowest id reached]
    frames: list[list[Any]] = []

    def enter(node: str) -> tuple[str, str, str] | None:
        node_id = len(ids)
        ids[node] = node_id
        frames.append([node, node_id, len(stack), 0, node_id])
        stack.append(node)
        children = graph.get(node)
        if children is not None and node in children:
            return f"self-dependency: {node}", node, node
        return None

    for root in graph:
        if root in ids:
            continue
        found = enter(root)
        if found:
            return found
        while frames:
            frame = frames[-1]
            node, node_id, depth, index, lowest = frame
            children = graph.get(node) or ()
            if index < len(children):
                frame[3] = index + 1
                child = children[index]
                if child in ids:
                    child_id = ids[child]
                    if child_id is not None and child_id < lowest:
                        frame[4] = child_id
                    continue
                found = enter(child)
                if found:
                    return found
                continue
            frames.pop()
            if node_id == lowest:
                component = stack[depth:]
                del stack[depth:]
                for member in component:
                    ids[member] = None
                if len(component) != 1:
                    # the need that closes the loop: the last member to need its first
                    closing = next(m for m in reversed(component) if node in graph[m])
                    text = f"topological sort failed: {ruby_inspect_strings(component)}"
                    return text, closing, node
            if frames and lowest < frames[-1][4]:
                frames[-1][4] = lowest
    return None


def acyclic(graph: Mapping[Any, Sequence[Any]]) -> bool:
    """Whether ``graph`` has no loop (a node needing itself is one), by a depth-first walk that
    only marks nodes: cheaper than :func:`cycle`, which is needed only to name a loop.

    Nodes may share their list of needs (the instances of a parallel job do): once the walk
    of one such node is complete, every node it needs is complete and on no loop, so another
    node with the very same list is complete too without reading it again."""
    done: dict[Any, bool] = {}  # node -> its walk is complete (False while on the path)
    walked: set[int] = set()  # the ids of the lists of needs of complete nodes
    for root, needs in graph.items():
        if root in done:
            continue
        if id(needs) in walked:
            done[root] = True
            continue
        done[root] = False
        path = [(root, needs, iter(needs))]
        while path:
            node, needs, children = path[-1]
            for child in children:
                state = done.get(child)
                if state is None:
                    grandchildren = graph.get(child)
                    if not grandchildren or id(grandchildren) in walked:
                        done[child] = True
                        continue
                    done[child] = False
                    path.append((child, grandchildren, iter(grandchildren)))
                    break
                if not state:
                    return False
            else:
                done[node] = True
                walked.add(id(needs))
                path.pop()
    return True


def _circular(instances: Mapping[str, Instance]) -> ConfigError | None:
    """``check_circular_dependencies``.

    Whether there is a loop is asked of a smaller graph first: the instances that share one
    tuple of needs (a parallel job's, jobs of one template) are one node needing the nodes of
    the instances it names. A loop of instances is a loop of their nodes, and a loop of
    nodes leads from an instance to one of the same node, whose needs are the same: a loop
    of instances. Only a loop is then named on the instances themselves."""
    node_of: dict[int, int] = {}  # the identity of a tuple of needs -> its node
    shared: list[Sequence[NeedRef]] = []
    nodes: dict[str, int] = {}  # instance name -> its node
    for name, instance in instances.items():
        needs = instance.needs or ()
        node = node_of.get(id(needs))
        if node is None:
            node = node_of[id(needs)] = len(shared)
            shared.append(needs)
        nodes[name] = node
    small = {
        index: [nodes[n.name] for n in needs if n.name in nodes]
        for index, needs in enumerate(shared)
    }
    if acyclic(small):
        return None
    names: dict[int, list[str]] = {}  # the instances of a parallel job share their needs
    graph: dict[str, list[str]] = {}
    for name, instance in instances.items():
        needs = instance.needs or ()
        names_of = names.get(id(needs))
        if names_of is None:
            names_of = names[id(needs)] = [n.name for n in needs]
        graph[name] = names_of
    found = cycle(graph)
    if found is None:
        return None
    text, source, target = found
    instance = instances[source]
    mark = _name_mark(instance.job, next(n.mark for n in instance.needs or () if n.name == target))
    return ConfigError(
        f"The pipeline has circular dependencies: {text}",
        mark,
        NEEDS_GRAPH_RULE,
        f"jobs:{instance.job.name}",
        "remove one of the needs in the loop",
    )


# --- entry point -----------------------------------------------------------------------------


def errors(
    root: Root, unchecked: frozenset[str] = frozenset(), normalized: Normalized | None = None
) -> Iterator[ConfigError]:
    """Every cross-job error of a valid entry tree, in GitLab's order: the first is the one
    GitLab reports (it stops there), each next one what it reports once the previous ones are
    fixed. ``unchecked``: names of jobs an invalid entry tree left out of ``root.jobs`` (they
    exist, so needing them is no error); ``normalized``: :func:`normalize` of ``root.jobs``,
    when the caller has it already."""
    if normalized is None:
        normalized = normalize(root.jobs)
    if normalized.errors:
        text = ", ".join(message for message, _ in normalized.errors)
        hint = "use a variable of this job's parallel:matrix"
        yield ConfigError(text, normalized.errors[0][1], hint=hint)
    validator = _Validator(normalized.instances, root.stages, unchecked)
    positions, clean = validator.positions, validator.clean
    passed: Instance | None = None  # the last instance found to have nothing new to check
    for name, instance in normalized.instances.items():
        job, needs, dependencies = instance.job, instance.needs, instance.dependencies
        if (
            passed is not None
            and job is passed.job
            and needs is passed.needs
            and dependencies is passed.dependencies
        ):
            continue  # the next instance of a parallel job: the same as the last one
        # an instance whose stage exists and whose needs, dependencies and job passed for an
        # earlier instance of the same job in that stage has nothing new to check
        stage = job.stage
        if (
            stage in positions
            and (id(job), stage) in clean
            and (needs is None or (id(needs), stage) in clean)
            and (not dependencies or (id(dependencies), stage) in clean)
        ):
            passed = instance
            continue
        passed = None
        yield from validator.job(name, instance)
    error = _circular(normalized.instances)
    if error is not None:
        yield error
