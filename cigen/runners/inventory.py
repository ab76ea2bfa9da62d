"""Runner inventory: the runners a project can use, and whether one can take a job.

The inventory is a YAML file validated by ``schemas/runners.schema.json``::

    runners:
      - name: harbor-builder      # required, unique
        tags: [harbor]            # default []
        run_untagged: false       # default: true when tags is empty, else false
        paused: false             # default false
        protected: false          # true: only jobs of protected refs (access_level ref_protected)
        namespace: team-ci        # optional placement facts, kept and shown
        node_selector: {gpu: "true"}
        id: 42                    # optional, from the API
        description: "..."        # optional; GitLab's natural key for the runner (default: name)
        scope: {project: team/ml} # where it is registered: instance, {group: ..}, {project: ..}
        access_level: not_protected   # or ref_protected (same as protected: true)
        locked: true
        maximum_timeout: 3600     # seconds, at least 600
        kubernetes: {...}         # see cigen.runners.kubernetes

:func:`load_inventory` reads and checks it, :func:`dump_inventory` turns runners back into the
same shape (plain data; serializing is someone else's job), and :func:`can_take` is GitLab's
matching predicate (``Ci::Runner#match_build_if_online?`` without the "online" part).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cigen.errors import CigenError
from cigen.records import dataclass, field
from cigen.runners.kubernetes import KubernetesSpec

__all__ = [
    "Runner",
    "Scope",
    "assumes_protected_ref",
    "can_take",
    "check_inventory",
    "dump_inventory",
    "load_inventory",
    "make_runner",
    "runner_from_data",
    "runners_schema",
]

SCHEMA_RESOURCE = "runners.schema.json"


@dataclass(frozen=True)
class Scope:
    """Where a runner is registered: ``kind`` is ``instance``, ``group`` or ``project``;
    ``owner`` the group's or project's numeric id or full path (``None`` for instance)."""

    kind: str
    owner: int | str | None = None

    @property
    def runner_type(self) -> str:
        """GitLab's ``runner_type``: ``instance_type``, ``group_type`` or ``project_type``."""
        return f"{self.kind}_type"

    def __str__(self) -> str:
        return self.kind if self.owner is None else f"{self.kind} {self.owner}"


@dataclass(frozen=True)
class Runner:
    """One GitLab runner, reduced to what decides which jobs it picks up.

    ``tags`` is the set GitLab matches against (case-sensitive); ``tag_order`` keeps the order
    the tags were written in, for display. Build runners with :func:`make_runner` to get the
    inventory defaults (``run_untagged`` true exactly when there are no tags).
    """

    name: str
    tags: frozenset[str]
    run_untagged: bool
    paused: bool = False
    protected: bool = False
    namespace: str | None = None
    node_selector: tuple[tuple[str, str], ...] = ()
    id: int | None = None
    description: str | None = None
    tag_order: tuple[str, ...] = field(default=(), compare=False)
    scope: Scope | None = None
    locked: bool = False
    maximum_timeout: int | None = None
    kubernetes: KubernetesSpec | None = None

    @property
    def access_level(self) -> str:
        """GitLab's ``access_level`` for :attr:`protected`."""
        return "ref_protected" if self.protected else "not_protected"

    @property
    def gitlab_description(self) -> str:
        """The description GitLab knows the runner by: ``description``, else the name."""
        return self.description if self.description is not None else self.name

    def __post_init__(self) -> None:
        tags = frozenset(self.tags)
        object.__setattr__(self, "tags", tags)
        if not self.tag_order:
            object.__setattr__(self, "tag_order", tuple(sorted(tags)))
        elif frozenset(self.tag_order) != tags or len(self.tag_order) != len(tags):
            raise ValueError(
                f"runner {self.name!r}: tag_order {list(self.tag_order)} does not list "
                f"the tags {sorted(tags)} exactly once each"
            )


def make_runner(
    name: str,
    tags: Iterable[str] = (),
    *,
    run_untagged: bool | None = None,
    paused: bool = False,
    protected: bool = False,
    namespace: str | None = None,
    node_selector: Mapping[str, str] | None = None,
    id: int | None = None,
    description: str | None = None,
    scope: Scope | None = None,
    locked: bool = False,
    maximum_timeout: int | None = None,
    kubernetes: KubernetesSpec | None = None,
) -> Runner:
    """Build a :class:`Runner` with the inventory defaults.

    Duplicate tags are dropped (first occurrence kept). ``run_untagged`` defaults to true when
    the runner has no tags and to false otherwise, as legacy ``gitlab-runner register`` does.
    """
    order = tuple(dict.fromkeys(tags))
    return Runner(
        name=name,
        tags=frozenset(order),
        tag_order=order,
        run_untagged=(not order) if run_untagged is None else run_untagged,
        paused=paused,
        protected=protected,
        namespace=namespace,
        node_selector=tuple((node_selector or {}).items()),
        id=id,
        description=description,
        scope=scope,
        locked=locked,
        maximum_timeout=maximum_timeout,
        kubernetes=kubernetes,
    )


def can_take(runner: Runner, job_tags: frozenset[str], protected_ref: bool | None) -> bool:
    """Whether ``runner`` can pick up a job with ``job_tags`` (GitLab ``RunnerMatcher#matches?``).

    All of: the runner is not paused; a protected runner only takes jobs of protected refs;
    an untagged job needs ``run_untagged``; every job tag is a runner tag (exact, case-sensitive
    string equality). ``protected_ref=None`` means "not known": a protected runner then counts as
    able, and :func:`assumes_protected_ref` tells the caller that the answer relied on it.
    """
    if runner.paused:
        return False
    if runner.protected and protected_ref is False:
        return False
    if not job_tags and not runner.run_untagged:
        return False
    return job_tags <= runner.tags


def assumes_protected_ref(runner: Runner, protected_ref: bool | None) -> bool:
    """True when :func:`can_take` treated ``runner`` as able only because the ref was unknown."""
    return runner.protected and protected_ref is None


def runners_schema() -> dict[str, Any]:
    """The inventory JSON Schema, read from the ``cigen.schemas`` package data."""
    from cigen.resources import own_schema

    return own_schema(SCHEMA_RESOURCE)


def load_inventory(
    path: Path, *, root: Path | None = None, explicit: bool = False
) -> tuple[Runner, ...]:
    """Read, validate and default a runner inventory file.

    The file is read by :func:`cigen.project.read_file` inside ``root`` (default: its folder;
    ``explicit``: named on the command line). Every problem (unreadable file, YAML syntax,
    schema violation, duplicate runner names) is a :class:`CigenError` whose message starts
    with the path, and the line when it is known.
    """
    from cigen.project import read_file
    from cigen.yaml.load import load_text, to_plain

    raw = read_file(
        path,
        root=root if root is not None else path.parent,
        what="runner inventory",
        explicit=explicit,
    )
    assert raw is not None
    loaded = load_text(path.name, raw)
    fatal = [p for p in loaded.problems if p.fatal or p.kind == "duplicate-key"]
    if fatal:
        mark, message = fatal[0].mark, fatal[0].message
        if message.startswith("the file is not UTF-8"):
            raise CigenError(f"{path}: cannot read runner inventory: not UTF-8 text ({message})")
        message = message.removeprefix("YAML syntax error: ")
        raise CigenError(
            f"{path}:{mark.line}:{mark.col}: YAML syntax error in runner inventory: {message}"
        )
    data = to_plain(loaded.body)
    text = raw.decode("utf-8", "replace")

    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {_kind(data)}"
        raise CigenError(
            f"{path}: a runner inventory is a mapping with a 'runners' list, got {got}"
        )
    _validate(path, text, data)
    _report(path, text, list(_semantic_problems(data)))
    return tuple(runner_from_data(item) for item in data["runners"])


def dump_inventory(runners: Sequence[Runner]) -> dict[str, list[dict[str, object]]]:
    """The inventory file's data for ``runners`` (``load_inventory`` reads it back unchanged).

    Defaults are written out (``run_untagged``, ``paused``, ``protected``) so the exported file
    says what each runner does; optional facts appear only when set.
    """
    items: list[dict[str, object]] = []
    for runner in runners:
        item: dict[str, object] = {"name": runner.name}
        if runner.id is not None:
            item["id"] = runner.id
        if runner.description is not None:
            item["description"] = runner.description
        item["tags"] = list(runner.tag_order)
        item["run_untagged"] = runner.run_untagged
        item["paused"] = runner.paused
        item["protected"] = runner.protected
        if runner.namespace is not None:
            item["namespace"] = runner.namespace
        if runner.node_selector:
            item["node_selector"] = dict(runner.node_selector)
        items.append(item)
    return {"runners": items}


def runner_from_data(item: Mapping[str, Any]) -> Runner:
    """The :class:`Runner` of one schema-valid inventory entry, defaults applied."""
    from cigen.runners.kubernetes import spec_from_data

    selector = item.get("node_selector")
    namespace = item.get("namespace")
    spec = None
    if "kubernetes" in item:
        spec = spec_from_data(item["name"], item["kubernetes"])
        namespace = spec.job_namespace
        selector = item["kubernetes"].get("node_selector")
    protected = item.get("protected", item.get("access_level") == "ref_protected")
    return make_runner(
        item["name"],
        item.get("tags", ()),
        run_untagged=item.get("run_untagged"),
        paused=item.get("paused", False),
        protected=protected,
        namespace=namespace,
        node_selector=selector,
        id=item.get("id"),
        description=item.get("description"),
        scope=_scope(item.get("scope")),
        locked=item.get("locked", False),
        maximum_timeout=item.get("maximum_timeout"),
        kubernetes=spec,
    )


def _scope(data: Any) -> Scope | None:
    if data is None:
        return None
    if data == "instance":
        return Scope("instance")
    ((kind, owner),) = data.items()
    return Scope(kind, owner)


Problem = tuple[Sequence[str | int], str]


def _semantic_problems(data: Mapping[str, Any]) -> Iterator[Problem]:
    """What the schema cannot say: unique names, and facts that must agree."""
    from cigen.runners.kubernetes import check_spec

    first_index: dict[str, int] = {}
    owners: dict[tuple[str, str], int] = {}
    for index, item in enumerate(data["runners"]):
        here: list[str | int] = ["runners", index]
        name = item["name"]
        if name in first_index:
            yield (
                [*here, "name"],
                f"duplicate runner name {name!r} (also runners[{first_index[name]}]); "
                "runner names must be unique",
            )
        first_index.setdefault(name, index)
        level = item.get("access_level")
        if (
            "protected" in item
            and level is not None
            and item["protected"] != (level == "ref_protected")
        ):
            yield (
                [*here, "access_level"],
                f"access_level {level} contradicts protected: "
                f"{str(item['protected']).lower()}; give only one of the two",
            )
        scope = _scope(item.get("scope"))
        if scope is not None:
            key = (str(scope), item.get("description", name))
            if key in owners:
                yield (
                    [*here, "description" if "description" in item else "name"],
                    f"runners[{owners[key]}] has the same description in the same scope "
                    f"({scope}); GitLab finds runners by description, so make them differ",
                )
            owners.setdefault(key, index)
        spec = item.get("kubernetes")
        if spec is None:
            continue
        for placement in ("namespace", "node_selector"):
            if placement in item:
                instead = "job_namespace" if placement == "namespace" else placement
                yield (
                    [*here, placement],
                    f"with a kubernetes block, set {placement} there (kubernetes.{instead}) "
                    "instead",
                )
        for where, message in check_spec(name, spec):
            yield ([*here, "kubernetes", *where], message)


def check_inventory(data: Mapping[str, Any]) -> None:
    """Refuse (:class:`CigenError`) inventory data that :func:`load_inventory` would reject:
    what cigen writes (``runners export``) it can always read back."""
    import jsonschema

    schema = runners_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = next(iter(validator.iter_errors(data)), None)
    if error is not None:
        where = _dotted(_error_path(error)) or "top level"
        raise CigenError(
            f"the inventory cigen would write is not valid: {where}: {_describe(error)}"
        )
    for where_path, message in _semantic_problems(data):
        where = _dotted(list(where_path))
        raise CigenError(f"the inventory cigen would write is not valid: {where}: {message}")


def _validate(path: Path, text: str, data: dict[str, Any]) -> None:
    import jsonschema

    schema = runners_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    errors = list(validator.iter_errors(data))
    _report(path, text, [(_error_path(error), _describe(error)) for error in errors])


def _report(path: Path, text: str, problems: Sequence[Problem]) -> None:
    """Raise the first problem by line, with its position, counting the others."""
    if not problems:
        return
    tree = _round_trip(text)
    located = [(_line_of(tree, where), where, message) for where, message in problems]
    located.sort(key=lambda item: (item[0] is None, item[0] or 0, _dotted(item[1])))
    line, where, message = located[0]
    prefix = f"{path}:{line}" if line else str(path)
    more = f" (and {len(located) - 1} more problem(s))" if len(located) > 1 else ""
    raise CigenError(f"{prefix}: {_dotted(where) or 'top level'}: {message}{more}")


def _error_path(error: Any) -> list[str | int]:
    """The data path of ``error``, pointing at the offending key for unknown keys."""
    where: list[str | int] = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = [key for key in error.instance if key not in allowed]
        if extra:
            where.append(str(extra[0]))
    return where


def _describe(error: Any) -> str:
    from cigen.project import excerpt, quoting

    validator = error.validator
    instance = error.instance
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = ", ".join(error.schema.get("properties", {}))
        extra = [str(key) for key in instance if key not in error.schema.get("properties", {})]
        return f"unknown key {', '.join(map(excerpt, extra))} (allowed: {allowed})"
    if validator == "required":
        missing = [key for key in error.validator_value if key not in instance]
        return f"missing required key {', '.join(map(repr, missing))}"
    if validator == "type":
        got = f"expected {_type_words(error.validator_value)}, got {_kind(instance)} "
        got += excerpt(instance)
        if error.validator_value == "string" and isinstance(instance, (bool, int, float)):
            got += " (quote it to keep it a string)"
        return got
    if validator == "const" and list(error.absolute_path)[-1:] == ["run_untagged"]:
        return (
            "a runner without tags must take untagged jobs (run_untagged: true); "
            "GitLab refuses a runner that has neither tags nor run_untagged"
        )
    if validator == "oneOf" and list(error.absolute_path)[-1:] == ["scope"]:
        return (
            f"expected instance, {{group: <id or path>}} or {{project: <id or path>}}, "
            f"got {instance!r}"
        )
    if validator == "pattern" and error.validator_value == _defined_pattern("dnsLabel"):
        return (
            f"{instance!r} is not a Kubernetes name: use lower-case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    if validator == "pattern" and error.validator_value == _defined_pattern("quantity"):
        return f"{instance!r} is not a Kubernetes quantity such as 500m, 2 or 64Gi"
    if validator == "uniqueItems":
        return f"tags must be unique, got {excerpt(instance)}"
    if validator == "maxItems":
        return (
            f"at most {error.validator_value} tags per runner (GitLab's limit), got {len(instance)}"
        )
    if validator == "minLength":
        return "must not be empty"
    if validator == "pattern" and isinstance(instance, str) and "," in instance:
        return f"tag {excerpt(instance)} contains a comma; GitLab would split it into several tags"
    return quoting(str(error.message), instance)


def _defined_pattern(name: str) -> str:
    """The ``pattern`` of the schema's ``$defs`` entry ``name``."""
    pattern: str = runners_schema()["$defs"][name]["pattern"]
    return pattern


def _type_words(expected: object) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "boolean": "true or false",
        "integer": "an integer",
        "null": "nothing",
        "number": "a number",
    }
    if isinstance(expected, str):
        return names.get(expected, expected)
    if isinstance(expected, list):
        return " or ".join(names.get(str(item), str(item)) for item in expected)
    return str(expected)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int):
        return "integer"
    return type(value).__name__


def _dotted(where: Sequence[str | int]) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _round_trip(text: str) -> Any:
    """``text`` loaded in ruamel's round-trip mode, whose nodes know their positions."""
    from ruamel.yaml import YAML

    return YAML().load(text)


def _line_of(tree: Any, where: Sequence[str | int]) -> int | None:
    """1-based line of the node at ``where`` (a key's line for mapping keys), if findable."""
    node = tree
    line: int | None = None
    for part in where:
        positions: Any = getattr(node, "lc", None)
        try:
            if isinstance(part, int) and isinstance(node, list):
                line = int(positions.item(part)[0])
            elif isinstance(part, str) and isinstance(node, dict):
                line = int(positions.key(part)[0])
            else:
                break
            node = node[part]
        except (AttributeError, KeyError, IndexError, TypeError):
            break
    return None if line is None else line + 1


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
