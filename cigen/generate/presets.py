"""Presets: find them, load and validate them, and check a job's parameters against them.

A preset is one YAML file (shape: ``schemas/preset.schema.json``). The built-in ones ship in
``presets/`` (found through :func:`cigen.resources.preset_folder`); a project adds its own, or
replaces a built-in one, with ``presets/NAME.yaml`` beside its cigen.yml. Adding a preset is
adding a file: nothing here knows a preset by name.

A preset renders one job (``job:``) or several (``jobs:``, each a :class:`Part` named by a
suffix added to the cigen.yml job's name), and with ``for_each:`` it renders them once per item
of a list parameter (:class:`ForEach`). A list parameter whose schema has ``x-cigen-holds: P``
lists folders that each hold the file named by parameter ``P``; the string ``auto`` finds them
(:mod:`cigen.generate.build` checks and discovers the folders).

A preset file may define ``variants``: presets of their own name made from it with some
parameters fixed (``build-image`` gives ``kaniko``, ``buildkit`` and ``buildah``, each with its
``builder``). A parameter whose schema has ``x-cigen-build-job: {replaces: [...]}`` names a job
of the same cigen.yml whose preset ``builds_image``: given, it stands for the listed parameters
(which the job then must not give), and the job needs that build job
(:mod:`cigen.generate.build` checks the name and adds the need).

The editor schema ``schemas/cigen.schema.json`` types ``with:`` per built-in preset; that part of
it is written from the preset files by :func:`editor_schema`
(``python -m cigen.generate.presets --write-schema``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cigen.diagnostics import Mark
from cigen.errors import CigenError
from cigen.generate.spec import (
    SpecErrors,
    describe,
    did_you_mean,
    error_mark,
    first_error,
    locate,
    make_validator,
    parse_yaml,
    problem,
    specific,
    where,
)
from cigen.records import dataclass, field, replace
from cigen.yaml.load import YMap, YSeq, to_plain

__all__ = [
    "ForEach",
    "Param",
    "Part",
    "Preset",
    "builtin_presets",
    "editor_schema",
    "load_catalog",
    "parse_preset",
    "project_presets",
    "resolve_params",
]

SCHEMA_RESOURCE = "preset.schema.json"
SUFFIX = ".yaml"
#: Top-level cigen.yml values that serve as defaults for parameters of the same name.
GLOBAL_PARAMS = ("registry",)
#: Names templates see besides the parameters: the name of the (main) job being rendered.
JOB_NAME = "job_name"
#: Param-schema key: the list parameter names folders that each hold the file named by the
#: parameter given as its value (``x-cigen-holds: config_name``); ``auto`` finds the folders.
HOLDS = "x-cigen-holds"
#: The value of such a parameter that asks for discovery.
AUTO = "auto"
#: Param-schema keys starting so are cigen's own: not copied into the editor schema.
OWN_KEY_PREFIX = "x-cigen-"
#: Param-schema key: the parameter names a build job of the same cigen.yml
#: (``{replaces: [other parameters]}``).
BUILD_JOB = "x-cigen-build-job"
#: Param-schema key: the parameter is needed unless the parameter named as its value is given
#: (``x-cigen-unless-given: install``); both are optional with a null default.
UNLESS_GIVEN = "x-cigen-unless-given"
#: The editor schema of cigen.yml, part of which :func:`editor_schema` writes.
CIGEN_SCHEMA = "cigen.schema.json"


@dataclass(frozen=True)
class Param:
    """One preset parameter: its JSON Schema, and whether a job must give it."""

    name: str
    schema: Mapping[str, Any]
    required: bool

    @property
    def description(self) -> str:
        return str(self.schema.get("description", ""))

    @property
    def has_default(self) -> bool:
        return "default" in self.schema

    @property
    def default(self) -> Any:
        return self.schema.get("default")

    @property
    def types(self) -> tuple[str, ...]:
        """The JSON types the schema allows (empty when it names none)."""
        kind = self.schema.get("type", ())
        return (kind,) if isinstance(kind, str) else tuple(str(k) for k in kind)

    @property
    def holds(self) -> str | None:
        """For a folder list: the parameter naming the file each folder holds."""
        value = self.schema.get(HOLDS)
        return value if isinstance(value, str) else None

    @property
    def replaces(self) -> tuple[str, ...] | None:
        """For a build-job reference: the parameters it stands for (else ``None``)."""
        value = self.schema.get(BUILD_JOB)
        if not isinstance(value, Mapping):
            return None
        return tuple(str(name) for name in value.get("replaces") or ())

    @property
    def unless_given(self) -> str | None:
        """The parameter whose value makes this one unneeded (else ``None``)."""
        value = self.schema.get(UNLESS_GIVEN)
        return value if isinstance(value, str) else None

    @property
    def type_text(self) -> str:
        names = list(self.types) or ["any"]
        if "array" in names and isinstance(self.schema.get("items"), Mapping):
            item = self.schema["items"].get("type")
            if isinstance(item, str):
                names = [f"array of {item}" if n == "array" else n for n in names]
        return " | ".join(str(n) for n in names)


@dataclass(frozen=True)
class Part:
    """One job of a preset: named ``<name><suffix>``, in ``stage`` (a template string)."""

    suffix: str
    stage: str
    job: Mapping[str, Any]

    @property
    def main(self) -> bool:
        """The main job (no suffix) gets the GitLab keys written beside ``preset:``."""
        return not self.suffix


@dataclass(frozen=True)
class ForEach:
    """``for_each``: render the preset's jobs once per item of list parameter ``param``."""

    param: str
    name: str


@dataclass(frozen=True)
class Preset:
    """A loaded, validated preset. ``job`` is the main job's template (plain data, never
    mutated); ``parts`` are all the jobs it renders, the main one included."""

    name: str
    summary: str
    description: str
    stage: str
    order: int
    params: tuple[Param, ...]
    job: Mapping[str, Any]
    examples: tuple[str, ...]
    source: str
    builtin: bool
    overrides_builtin: bool = False
    parts: tuple[Part, ...] = ()
    for_each: ForEach | None = None
    builds_image: bool = False
    #: For a variant: the preset it is made from, and the parameter values it fixes.
    base: str | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)
    variants: tuple[Preset, ...] = ()

    def __post_init__(self) -> None:
        if not self.parts:
            object.__setattr__(self, "parts", (Part("", self.stage, self.job),))

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def params_schema(self) -> dict[str, Any]:
        """The JSON Schema of this preset's ``with:`` mapping."""
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": {p.name: dict(p.schema) for p in self.params},
            "required": [p.name for p in self.params if p.required],
        }


# --- finding and loading -----------------------------------------------------------------------


def builtin_presets() -> dict[str, Preset]:
    """The presets shipped with cigen, by name."""
    from cigen.resources import preset_folder, shipped

    found: dict[str, Preset] = {}
    folder = preset_folder()
    for entry in sorted(folder.iterdir(), key=lambda e: str(e.name)):
        name = str(entry.name)
        if name.endswith(SUFFIX) and entry.is_file():
            stem = name[: -len(SUFFIX)]
            data = shipped("cigen.presets", name)
            _add(found, parse_preset(data, f"<built-in>/{name}", stem, builtin=True))
    return found


def _add(found: dict[str, Preset], preset: Preset) -> None:
    """Add a preset and its variants; a name given twice in one folder is an error."""
    for item in (preset, *preset.variants):
        other = found.get(item.name)
        if other is not None:
            raise CigenError(
                f"{item.source}: preset name {item.name!r} is also used by {other.source}; "
                "rename one"
            )
        found[item.name] = item


def project_presets(
    folder: Path, label_folder: str, *, root: Path | None = None
) -> dict[str, Preset]:
    """The presets in a project's ``presets/`` folder (none if it does not exist), each read
    inside the project ``root`` (default: the folder) by :func:`cigen.project.read_file`."""
    from cigen.project import read_file

    if not folder.is_dir():
        return {}
    found: dict[str, Preset] = {}
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        label = f"{label_folder}/{path.name}" if label_folder else path.name
        data = read_file(path, root=root or folder, what="preset", label=label)
        assert data is not None
        stem = path.name[: -len(SUFFIX)]
        _add(found, parse_preset(data, label, stem, builtin=False))
    return found


def load_catalog(
    project_folder: Path | None, label_folder: str = "presets", *, root: Path | None = None
) -> dict[str, Preset]:
    """Built-in presets, then the project's, which add to them or replace them by name."""
    catalog = builtin_presets()
    if project_folder is not None:
        for name, preset in project_presets(project_folder, label_folder, root=root).items():
            catalog[name] = replace(preset, overrides_builtin=name in catalog)
    return dict(sorted(catalog.items()))


def parse_preset(data: bytes, label: str, expected_name: str, *, builtin: bool) -> Preset:
    """Load and check one preset file; every problem is a :class:`CigenError` at a position."""
    from cigen.resources import own_schema

    body = parse_yaml(data, label)
    if not isinstance(body, YMap):
        raise CigenError(f"{label}:1:1: a preset is a mapping (see preset.schema.json)")
    if "job" in body and "jobs" in body:
        raise CigenError(
            f"{where(body.key_mark('jobs'))}: a preset has job: (one job) or jobs: (several), "
            "not both"
        )
    if "job" not in body and "jobs" not in body:
        raise CigenError(f"{where(body.mark)}: missing key 'job' (or 'jobs' for several jobs)")
    error = first_error(make_validator(own_schema(SCHEMA_RESOURCE)), body)
    if error is not None:
        raise CigenError(f"{where(error_mark(body, error))}: {describe(error)}")
    if body["name"] != expected_name:
        raise CigenError(
            f"{where(body.value_mark('name'))}: the preset is named {body['name']!r} but its "
            f"file is {expected_name}{SUFFIX}; the two must match"
        )
    required = list(body.get("required") or [])
    params_node: YMap = body["params"]
    for index, name in enumerate(required):
        if name not in params_node:
            mark = locate(body, ["required", index])
            raise CigenError(f"{where(mark)}: required parameter {name!r} is not in params")
    params = tuple(
        Param(name, to_plain(node), name in required) for name, node in params_node.items()
    )
    for param in params:
        _check_param(body, param)
        if not builtin:
            _check_patterns(body, param)
        _check_holds(body, param, params)
    parts = _parts(body)
    for_each = _for_each(body, params)
    for index, part in enumerate(parts):
        base: list[str | int] = ["job"] if "job" in body else ["jobs", index, "job"]
        _check_templates(part.job, body, base)
        if "jobs" in body and "stage" in body["jobs"][index]:
            _check_templates(part.stage, body, ["jobs", index, "stage"])
    for param in params:
        _check_build_job(body, param, params)
        _check_unless_given(body, param, params)
    job = next(part.job for part in parts if part.main)
    preset = Preset(
        name=body["name"],
        summary=body["summary"],
        description=body["description"].strip(),
        stage=body["stage"],
        order=int(body.get("order", 500)),
        params=params,
        job=job,
        examples=tuple(body.get("examples") or ()),
        source=label,
        builtin=builtin,
        parts=parts,
        for_each=for_each,
        builds_image=bool(body.get("builds_image", False)),
    )
    return replace(preset, variants=_variants(body, preset))


def _variants(body: YMap, base: Preset) -> tuple[Preset, ...]:
    """The presets of ``variants:``: ``base`` with some parameter values fixed."""
    node = body.get("variants")
    if node is None:
        return ()
    out: list[Preset] = []
    for name, variant in node.items():
        fixed = to_plain(variant["with"])
        for key, value in fixed.items():
            param = base.param(key)
            mark = variant["with"].key_mark(key)
            if param is None:
                raise CigenError(
                    f"{where(mark)}: variants.{name}.with: {key!r} is not a parameter of this "
                    f"preset (parameters: {', '.join(p.name for p in base.params)})"
                )
            error = first_error(make_validator(dict(param.schema)), value)
            if error is not None:
                raise CigenError(
                    f"{where(variant['with'].value_mark(key))}: variants.{name}.with.{key}: "
                    f"{problem(error)}"
                )
        if name == base.name:
            raise CigenError(
                f"{where(node.key_mark(name))}: variants: {name!r} is the preset's own name"
            )
        shown = ", ".join(f"{k}: {v}" for k, v in fixed.items())
        out.append(
            replace(
                base,
                name=name,
                summary=variant["summary"],
                description=(
                    f"The preset {base.name!r} with {shown} (`cigen presets show {base.name}`)."
                    f"\n\n{base.description}"
                ),
                params=tuple(p for p in base.params if p.name not in fixed),
                examples=tuple(variant.get("examples") or ()),
                base=base.name,
                fixed=fixed,
            )
        )
    return tuple(out)


def _parts(body: YMap) -> tuple[Part, ...]:
    """The jobs of a preset: ``job`` alone, or ``jobs`` with exactly one main (suffix-less) job."""
    if "job" in body:
        return (Part("", body["stage"], to_plain(body["job"])),)
    items: YSeq = body["jobs"]
    parts: list[Part] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        suffix = item.get("suffix", "")
        if suffix in seen:
            mark = locate(body, ["jobs", index, "suffix"]) if suffix else items.item_mark(index)
            what = f"suffix {suffix!r}" if suffix else "no suffix (the main job)"
            raise CigenError(
                f"{where(mark)}: jobs[{index}]: {what} is also used by jobs[{seen[suffix]}]; "
                "each job of a preset needs its own suffix"
            )
        seen[suffix] = index
        parts.append(Part(suffix, item.get("stage", body["stage"]), to_plain(item["job"])))
    if "" not in seen:
        raise CigenError(
            f"{where(body.value_mark('jobs'))}: jobs: one job must have no suffix: the main job, "
            "named like the cigen.yml job"
        )
    return tuple(parts)


def _for_each(body: YMap, params: tuple[Param, ...]) -> ForEach | None:
    names = {p.name for p in params}
    if JOB_NAME in names:
        raise CigenError(
            f"{where(body['params'].key_mark(JOB_NAME))}: params.{JOB_NAME}: the name is "
            "reserved (templates see the job's name under it)"
        )
    node = body.get("for_each")
    if node is None:
        return None
    found = next((p for p in params if p.name == node["param"]), None)
    if found is None or "array" not in found.types:
        problem = "is not a parameter" if found is None else "is not a list parameter (type: array)"
        raise CigenError(
            f"{where(node.value_mark('param'))}: for_each.param: {node['param']!r} {problem}"
        )
    if node["as"] in names or node["as"] == JOB_NAME:
        raise CigenError(
            f"{where(node.value_mark('as'))}: for_each.as: {node['as']!r} is already the name of "
            f"{'the job' if node['as'] == JOB_NAME else 'a parameter'}; choose another"
        )
    return ForEach(node["param"], node["as"])


def _check_patterns(body: YMap, param: Param) -> None:
    """A project preset's patterns run on RE2 (linear time): one RE2 refuses is an error."""
    from cigen.regex import unsupported_patterns

    bad = next(unsupported_patterns(dict(param.schema)), None)
    if bad is not None:
        raise CigenError(
            f"{where(body['params'][param.name].mark)}: params.{param.name}: pattern "
            f"{bad[:60]!r} is not a regular expression RE2 can run; cigen matches the patterns "
            "of project presets in linear time (no lookarounds or backreferences)"
        )


def _check_param(body: YMap, param: Param) -> None:
    from jsonschema.exceptions import SchemaError

    node = body["params"][param.name]
    try:
        validator_class = type(make_validator({}))
        validator_class.check_schema(dict(param.schema))
    except SchemaError as exc:
        mark = locate(node, list(exc.absolute_path))
        raise CigenError(
            f"{where(mark)}: params.{param.name} is not a valid JSON Schema: {exc.message}"
        ) from None
    if param.required and param.has_default:
        raise CigenError(
            f"{where(body.key_mark('required'))}: parameter {param.name!r} is required and has "
            "a default; keep one of the two"
        )
    if param.has_default:
        error = first_error(make_validator(dict(param.schema)), param.default)
        if error is not None:
            raise CigenError(
                f"{where(node.value_mark('default'))}: the default of parameter "
                f"{param.name!r} does not fit its own schema: {describe(error)}"
            )


def _check_holds(body: YMap, param: Param, params: tuple[Param, ...]) -> None:
    """``x-cigen-holds`` names a string parameter, and sits on a list parameter."""
    if HOLDS not in param.schema:
        return
    node = body["params"][param.name]
    target = next((p for p in params if p.name == param.holds), None)
    problem = ""
    if "array" not in param.types:
        problem = "belongs to a list parameter (type: array)"
    elif (
        target is None or target.types != ("string",) or not (target.required or target.has_default)
    ):
        problem = (
            "names a string parameter (required or with a default) giving the file each "
            "folder holds"
        )
    if problem:
        raise CigenError(
            f"{where(node.value_mark(HOLDS))}: params.{param.name}.{HOLDS}: {problem}, "
            f"got {param.schema[HOLDS]!r}"
        )


def _check_build_job(body: YMap, param: Param, params: tuple[Param, ...]) -> None:
    """``x-cigen-build-job`` sits on an optional string parameter and replaces known ones."""
    if BUILD_JOB not in param.schema:
        return
    node = body["params"][param.name]
    value = param.schema[BUILD_JOB]
    names = {p.name for p in params}
    problem = ""
    if not isinstance(value, Mapping) or not isinstance(value.get("replaces", []), list):
        problem = "is a mapping such as {replaces: [registry, image]}"
    elif param.required or param.default is not None or "string" not in param.types:
        problem = "belongs to an optional string parameter whose default is null"
    else:
        unknown = [n for n in value.get("replaces", []) if n not in names or n == param.name]
        if unknown:
            problem = f"replaces other parameters of this preset, not {unknown[0]!r}"
    if problem:
        raise CigenError(
            f"{where(node.value_mark(BUILD_JOB))}: params.{param.name}.{BUILD_JOB}: {problem}"
        )


def _check_unless_given(body: YMap, param: Param, params: tuple[Param, ...]) -> None:
    """``x-cigen-unless-given`` names another parameter; both are optional, null by default."""
    if UNLESS_GIVEN not in param.schema:
        return
    other = next((p for p in params if p.name == param.unless_given), None)
    if (
        other is None
        or other is param
        or any(p.required or p.default is not None or "null" not in p.types for p in (param, other))
    ):
        node = body["params"][param.name]
        raise CigenError(
            f"{where(node.value_mark(UNLESS_GIVEN))}: params.{param.name}.{UNLESS_GIVEN}: names "
            "another parameter of this preset, and both are optional with a null default "
            f"(type including null), got {param.schema[UNLESS_GIVEN]!r}"
        )


def _check_templates(job: Any, body: YMap, base: list[str | int]) -> None:
    """Every template string compiles (syntax only; names are checked when rendering)."""
    import jinja2

    from cigen.generate.render import environment

    env = environment()
    for path, text in _strings(job, ()):
        if "{{" in text or "{%" in text or "{#" in text:
            try:
                env.parse(text)
            except jinja2.TemplateSyntaxError as exc:
                mark = locate(body, [*base, *path])
                dotted = ".".join(str(p) for p in (*base, *path))
                raise CigenError(
                    f"{where(mark)}: {dotted}: template syntax error: {exc.message}"
                ) from None


def _strings(value: Any, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, Mapping):
        return [s for key, item in value.items() for s in _strings(item, (*path, key))]
    if isinstance(value, list):
        return [s for index, item in enumerate(value) for s in _strings(item, (*path, index))]
    return []


# --- the editor schema -------------------------------------------------------------------------


def editor_schema(
    catalog: Mapping[str, Preset], base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """cigen.schema.json with ``with:`` typed per preset of ``catalog`` (the built-in ones).

    ``base`` is the schema to start from (default: the one cigen ships); its hand-written parts
    are kept and its generated parts replaced:

    * ``$defs.job.allOf``: per preset, ``if preset is NAME then with: <its parameters>`` (types,
      descriptions, defaults, required ones, no others); a preset not in ``catalog`` (a
      project's) keeps ``with:`` open;
    * ``allOf`` at the top: without ``registry:`` (a :data:`GLOBAL_PARAMS` value) at the top,
      the presets that require it need it under ``with:``.

    cigen itself validates cigen.yml without these parts (:func:`cigen.generate.spec.load_spec`)
    and checks ``with:`` against the presets it loads, project ones included.
    """
    import copy

    from cigen.resources import own_schema

    schema = copy.deepcopy(dict(base if base is not None else own_schema(CIGEN_SCHEMA)))
    presets = [catalog[name] for name in sorted(catalog)]
    job: dict[str, Any] = schema["$defs"]["job"]
    job["$comment"] = (
        "allOf is written from the built-in presets by `python -m cigen.generate.presets "
        "--write-schema`; a project preset (presets/NAME.yaml beside cigen.yml) is not described "
        "there, and cigen checks with: against the presets it loads."
    )
    job["allOf"] = [_preset_rule(preset) for preset in presets]
    rules = [rule for name in GLOBAL_PARAMS if (rule := _global_rule(name, presets)) is not None]
    if rules:
        schema["allOf"] = rules
    else:  # pragma: no cover - the built-in presets take a registry
        schema.pop("allOf", None)
    return schema


def schema_text(schema: Mapping[str, Any]) -> str:
    """A schema as written in ``schemas/``: JSON indented by two, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _is_preset(name: str) -> dict[str, Any]:
    return {"properties": {"preset": {"const": name}}, "required": ["preset"]}


def _standing_in(preset: Preset) -> dict[str, str]:
    """``{parameter: the build-job parameter that stands in for it}``."""
    return {name: p.name for p in preset.params for name in (p.replaces or ())}


def _preset_rule(preset: Preset) -> dict[str, Any]:
    standing_in = _standing_in(preset)
    needed = [p.name for p in preset.params if p.required and p.name not in GLOBAL_PARAMS]
    required = [name for name in needed if name not in standing_in]
    either = {standing_in[name]: name for name in needed if name in standing_in}
    with_: dict[str, Any] = {
        "type": "object",
        "description": (
            f"Parameters of the preset {preset.name!r}: {preset.summary} "
            f"(`cigen presets show {preset.name}`)."
        ),
        "additionalProperties": False,
        "properties": {
            p.name: {k: v for k, v in p.schema.items() if not k.startswith(OWN_KEY_PREFIX)}
            for p in preset.params
        },
    }
    if required:
        with_["required"] = required
    choices: list[dict[str, Any]] = []
    if either:
        # a build job, or the parameters it stands for
        choices.append(
            {
                "anyOf": [{"required": [ref]} for ref in either]
                + [{"required": [name for name in needed if name in standing_in]}]
            }
        )
    for param in preset.params:
        if param.unless_given is not None:
            # this parameter, or the one that makes it unneeded
            choices.append({"anyOf": [_given(param.name), _given(param.unless_given)]})
    if len(choices) == 1:
        with_.update(choices[0])
    elif choices:  # pragma: no cover - no built-in preset has both
        with_["allOf"] = choices
    then: dict[str, Any] = {"properties": {"with": with_}}
    if required or choices:
        then["required"] = ["with"]
    return {"if": _is_preset(preset.name), "then": then}


def _given(name: str) -> dict[str, Any]:
    """The schema of a ``with:`` that gives parameter ``name`` a value other than null."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


def _global_rule(name: str, presets: Sequence[Preset]) -> dict[str, Any] | None:
    needing = [p.name for p in presets if any(q.name == name and q.required for q in p.params)]
    if not needing:  # pragma: no cover - the built-in presets take a registry
        return None
    by_name = {preset.name: preset for preset in presets}
    per_preset = []
    for preset in needing:
        ref = _standing_in(by_name[preset]).get(name)
        need: dict[str, Any] = {"required": [name]}
        if ref is not None:
            need = {"anyOf": [need, {"required": [ref]}]}
        per_preset.append(
            {"if": _is_preset(preset), "then": {"required": ["with"], "properties": {"with": need}}}
        )
    return {
        "if": {"not": {"required": [name]}},
        "then": {"properties": {"jobs": {"additionalProperties": {"allOf": per_preset}}}},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cigen.generate.presets --write-schema|--check-schema [PATH]``."""
    import argparse
    from importlib import resources

    parser = argparse.ArgumentParser(
        prog="python -m cigen.generate.presets",
        description="Write (or check) the per-preset part of cigen.yml's editor schema.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write-schema", action="store_true", help="rewrite the schema file")
    action.add_argument(
        "--check-schema", action="store_true", help="exit 1 if the schema file is out of date"
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=Path(str(resources.files("cigen.schemas"))) / CIGEN_SCHEMA,
        help="the schema file (default: schemas/cigen.schema.json of this checkout)",
    )
    args = parser.parse_args(argv)
    from cigen.atomic import write_atomic
    from cigen.project import read_file

    path: Path = args.path
    data = read_file(path, root=path.parent, what="the editor schema", explicit=True)
    assert data is not None
    old = data.decode("utf-8")
    new = schema_text(editor_schema(builtin_presets(), json.loads(old)))
    if args.check_schema:
        if old != new:
            print(f"{path}: out of date; run: python -m cigen.generate.presets --write-schema")
            return 1
        return 0
    if old != new:
        write_atomic(path, new)
    print(f"{path}: {'written' if old != new else 'unchanged'}")
    return 0


# --- parameters --------------------------------------------------------------------------------


def resolve_params(
    preset: Preset,
    given: Mapping[str, Any],
    *,
    with_node: YMap | None,
    job_node: YMap,
    job_name: str,
    globals_: Mapping[str, tuple[Any, Mark]],
) -> dict[str, Any]:
    """Every parameter's value: given under ``with:``, else a cigen.yml global, else the default.

    Unknown, missing or ill-typed parameters are a :class:`CigenError` at the cigen.yml line.
    """
    prefix = f"jobs.{job_name}.with"
    for name in given:
        if preset.param(name) is None:
            mark = with_node.key_mark(name) if with_node is not None else job_node.mark
            if name in preset.fixed:
                raise CigenError(
                    f"{where(mark)}: {prefix}: preset {preset.name!r} fixes {name} to "
                    f"{preset.fixed[name]!r}; to choose it, use preset {preset.base!r}"
                )
            names = [p.name for p in preset.params]
            raise CigenError(
                f"{where(mark)}: {prefix}: unknown parameter {name!r} of preset "
                f"{preset.name!r}{did_you_mean(name, names)} (parameters: {', '.join(names)})"
            )
    replaced = _replaced(preset, given, with_node, prefix)
    values: dict[str, Any] = {}
    origin: dict[str, Mark] = {}
    for param in preset.params:
        if param.name in given:
            values[param.name] = given[param.name]
        elif param.name in globals_ and globals_[param.name][0] is not None:
            values[param.name], origin[param.name] = globals_[param.name]
        elif param.has_default:
            values[param.name] = param.default
        elif param.required and param.name not in replaced:
            hint = (
                f"set {param.name}: at the top of cigen.yml or under with:"
                if param.name in GLOBAL_PARAMS
                else "add it under with:"
            )
            builds = [p.name for p in preset.params if param.name in (p.replaces or ())]
            if builds:
                hint += f" (or {builds[0]}: a build job)"
            raise CigenError(
                f"{where(job_node.value_mark('preset'))}: preset {preset.name!r} needs "
                f"parameter {param.name!r} ({_first_sentence(param.description)}); {hint}"
            )
        else:
            values[param.name] = None
    for param in preset.params:
        other = param.unless_given
        if other is not None and values[param.name] is None and values.get(other) is None:
            mark = with_node.mark if with_node is not None else job_node.value_mark("preset")
            raise CigenError(
                f"{where(mark)}: preset {preset.name!r} needs parameter {param.name!r} "
                f"({_first_sentence(param.description)}) or {other!r}; add under with: "
                f"{param.name}: {param.schema.get('x-cigen-form', param.type_text)}"
            )
    schema = preset.params_schema()
    schema["required"] = [name for name in schema["required"] if name not in replaced]
    checked = {k: v for k, v in values.items() if not (k in replaced and v is None)}
    messages = []
    for error in make_validator(schema).iter_errors(checked):
        error = specific(error)
        path: Sequence[str | int] = list(error.absolute_path)
        name = str(path[0]) if path else ""
        if name in origin:
            mark = origin[name]
        elif with_node is not None and name in with_node:
            mark = error_mark(with_node, error)
        else:
            mark = job_node.mark
        culprit = preset.param(name)
        about = f" ({_first_sentence(culprit.description)})" if culprit is not None else ""
        dotted = ".".join(str(p) for p in (prefix, *path))
        messages.append(
            f"{where(mark)}: {dotted}: parameter {name!r} of preset {preset.name!r}: "
            f"{problem(error)}{about}"
        )
    if messages:
        raise SpecErrors(tuple(messages))
    return {**values, **preset.fixed}


def _replaced(
    preset: Preset, given: Mapping[str, Any], with_node: YMap | None, prefix: str
) -> set[str]:
    """The parameters that a given build-job reference stands for (they must not be given)."""
    replaced: set[str] = set()
    for param in preset.params:
        if param.replaces is None or given.get(param.name) is None:
            continue
        for other in param.replaces:
            if other in given:
                assert with_node is not None
                raise CigenError(
                    f"{where(with_node.key_mark(other))}: {prefix}: {other} cannot be given with "
                    f"{param.name}: the job runs the exact image that job "
                    f"{given[param.name]!r} pushed; drop {other}, or drop {param.name} to run "
                    "an image of your choice"
                )
        replaced.update(param.replaces)
    return replaced


def _first_sentence(text: str) -> str:
    line = " ".join(text.split())
    end = line.find(". ")
    return line if end < 0 else line[: end + 1]


if __name__ == "__main__":  # pragma: no cover - tested through main()
    raise SystemExit(main())
