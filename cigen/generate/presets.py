"""Presets: find them, load and validate them, and check a job's parameters against them.

A preset is one YAML file (shape: ``schemas/preset.schema.json``). The built-in ones ship in
``presets/`` (found through :func:`cigen.resources.preset_folder`); a project adds its own, or
replaces a built-in one, with ``presets/NAME.yaml`` beside its cigen.yml. Adding a preset is
adding a file: nothing here knows a preset by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cigen.diagnostics import Mark
from cigen.errors import CigenError
from cigen.generate.spec import (
    describe,
    error_mark,
    first_error,
    locate,
    make_validator,
    parse_yaml,
    problem,
    where,
)
from cigen.yamlload import YMap, to_plain

__all__ = [
    "Param",
    "Preset",
    "builtin_presets",
    "load_catalog",
    "parse_preset",
    "project_presets",
    "resolve_params",
]

SCHEMA_RESOURCE = "preset.schema.json"
SUFFIX = ".yaml"
#: Top-level cigen.yml values that serve as defaults for parameters of the same name.
GLOBAL_PARAMS = ("registry",)


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
    def type_text(self) -> str:
        kind = self.schema.get("type", "any")
        names = [kind] if isinstance(kind, str) else list(kind)
        if "array" in names and isinstance(self.schema.get("items"), Mapping):
            item = self.schema["items"].get("type")
            if isinstance(item, str):
                names = [f"array of {item}" if n == "array" else n for n in names]
        return " | ".join(str(n) for n in names)


@dataclass(frozen=True)
class Preset:
    """A loaded, validated preset. ``job`` is the template (plain data, never mutated)."""

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
    from cigen.resources import preset_folder

    found: dict[str, Preset] = {}
    folder = preset_folder()
    for entry in sorted(folder.iterdir(), key=lambda e: str(e.name)):
        name = str(entry.name)
        if name.endswith(SUFFIX) and entry.is_file():
            stem = name[: -len(SUFFIX)]
            found[stem] = parse_preset(entry.read_bytes(), f"<built-in>/{name}", stem, builtin=True)
    return found


def project_presets(folder: Path, label_folder: str) -> dict[str, Preset]:
    """The presets in a project's ``presets/`` folder (none if it does not exist)."""
    if not folder.is_dir():
        return {}
    found: dict[str, Preset] = {}
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        if not path.is_file():
            continue
        label = f"{label_folder}/{path.name}" if label_folder else path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CigenError(f"{label}: cannot read preset: {exc.strerror or exc}") from None
        stem = path.name[: -len(SUFFIX)]
        found[stem] = parse_preset(data, label, stem, builtin=False)
    return found


def load_catalog(project_folder: Path | None, label_folder: str = "presets") -> dict[str, Preset]:
    """Built-in presets, then the project's, which add to them or replace them by name."""
    from dataclasses import replace

    catalog = builtin_presets()
    if project_folder is not None:
        for name, preset in project_presets(project_folder, label_folder).items():
            catalog[name] = replace(preset, overrides_builtin=name in catalog)
    return dict(sorted(catalog.items()))


def parse_preset(data: bytes, label: str, expected_name: str, *, builtin: bool) -> Preset:
    """Load and check one preset file; every problem is a :class:`CigenError` at a position."""
    from cigen.resources import own_schema

    body = parse_yaml(data, label)
    if not isinstance(body, YMap):
        raise CigenError(f"{label}:1:1: a preset is a mapping (see preset.schema.json)")
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
    job = to_plain(body["job"])
    _check_templates(job, body)
    return Preset(
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


def _check_templates(job: Any, body: YMap) -> None:
    """Every template string compiles (syntax only; names are checked when rendering)."""
    import jinja2

    from cigen.generate.render import environment

    env = environment()
    for path, text in _strings(job, ()):
        if "{{" in text or "{%" in text or "{#" in text:
            try:
                env.parse(text)
            except jinja2.TemplateSyntaxError as exc:
                mark = locate(body, ["job", *path])
                dotted = ".".join(str(p) for p in ("job", *path))
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
            raise CigenError(
                f"{where(mark)}: {prefix}: unknown parameter {name!r} of preset "
                f"{preset.name!r} (parameters: {', '.join(p.name for p in preset.params)})"
            )
    values: dict[str, Any] = {}
    origin: dict[str, Mark] = {}
    for param in preset.params:
        if param.name in given:
            values[param.name] = given[param.name]
        elif param.name in globals_ and globals_[param.name][0] is not None:
            values[param.name], origin[param.name] = globals_[param.name]
        elif param.has_default:
            values[param.name] = param.default
        elif param.required:
            hint = (
                f"set {param.name}: at the top of cigen.yml or under with:"
                if param.name in GLOBAL_PARAMS
                else "add it under with:"
            )
            raise CigenError(
                f"{where(job_node.value_mark('preset'))}: preset {preset.name!r} needs "
                f"parameter {param.name!r} ({_first_sentence(param.description)}); {hint}"
            )
        else:
            values[param.name] = None
    error = first_error(make_validator(preset.params_schema()), values)
    if error is not None:
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
        raise CigenError(
            f"{where(mark)}: {dotted}: parameter {name!r} of preset {preset.name!r}: "
            f"{problem(error)}{about}"
        )
    return values


def _first_sentence(text: str) -> str:
    line = " ".join(text.split())
    end = line.find(". ")
    return line if end < 0 else line[: end + 1]
