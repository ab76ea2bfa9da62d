"""``.cigen.yaml``: project settings, validated by ``schemas/config.schema.json``.

Precedence: the dataclass defaults, then the file, then command-line flags (applied by the
CLI with :func:`dataclasses.replace`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cigen.diagnostics import Diagnostic, Severity
from cigen.errors import CigenError
from cigen.records import dataclass, field

CONFIG_NAMES = (".cigen.yaml", ".cigen.yml")


@dataclass(frozen=True)
class Config:
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    runners: str | None = None
    schema: Path | None = None  # deprecated and ignored (the CLI says so)
    variables: Mapping[str, str] = field(default_factory=dict)
    source: Path | None = None
    root: Path | None = None
    """The project root the files named here must stay inside (set by the CLI)."""


def find_config(start: Path, root: Path) -> Path | None:
    """The nearest ``.cigen.yaml`` from ``start`` up to ``root`` (inclusive)."""
    folder = start if start.is_dir() else start.parent
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            if (candidate / name).is_file():
                return candidate / name
        if candidate == root:
            break
    return None


def _canonical(names: Iterable[str], where: str, source: Path) -> frozenset[str]:
    from cigen.rules import lookup

    out: set[str] = set()
    for name in names:
        rule = lookup(name)
        if rule is None:
            raise CigenError(f"{source}: {where}: unknown rule {name!r} (see `cigen rules`)")
        out.add(rule.CODE)
    return frozenset(out)


def load_config(path: Path, *, root: Path | None = None, explicit: bool = False) -> Config:
    """Read and validate a config file inside ``root`` (default: its folder; ``explicit``:
    named on the command line); any problem is a :class:`CigenError` (exit 2)."""
    from cigen.project import read_file
    from cigen.yaml.load import load_text, to_plain

    data = read_file(
        path,
        root=root if root is not None else path.parent,
        what="the cigen configuration",
        explicit=explicit,
    )
    assert data is not None
    loaded = load_text(path.name, data)
    if not loaded.ok:
        problem = next(p for p in loaded.problems if p.fatal)
        raise CigenError(f"{path}:{problem.mark.line}:{problem.mark.col}: {problem.message}")
    raw = loaded.body if loaded.body is not None else {}
    _validate(raw, path)
    plain: dict[str, Any] = to_plain(raw)
    severity = {}
    for name, level in plain.get("severity", {}).items():
        (code,) = _canonical([name], "severity", path)
        severity[code] = Severity.parse(level)
    schema = plain.get("schema")
    return Config(
        select=_canonical(plain.get("select", []), "select", path),
        ignore=_canonical(plain.get("ignore", []), "ignore", path),
        severity=severity,
        runners=plain.get("runners"),
        schema=(path.parent / schema) if schema else None,
        variables={k: _text(v) for k, v in plain.get("variables", {}).items()},
        source=path,
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _validate(raw: Any, path: Path) -> None:
    import jsonschema

    from cigen.project import quoting
    from cigen.resources import own_schema
    from cigen.yaml.load import YMap, YSeq

    validator = jsonschema.Draft202012Validator(own_schema("config.schema.json"))
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.path))):
        node: Any = raw
        mark = getattr(raw, "mark", None)
        for part in error.absolute_path:
            if isinstance(node, YMap) and part in node:
                mark, node = node.value_mark(part), node[part]
            elif isinstance(node, YSeq) and isinstance(part, int):
                mark, node = node.item_mark(part), node[part]
        where = f":{mark.line}:{mark.col}" if mark is not None else ""
        field_path = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise CigenError(f"{path}{where}: {field_path}: {quoting(error.message, error.instance)}")


def apply(config: Config, diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Filter by ``select``/``ignore`` and apply severity overrides."""
    from dataclasses import replace

    out: list[Diagnostic] = []
    for diag in diags:
        if config.select and diag.code not in config.select and diag.code != "CIG000":
            continue
        if diag.code in config.ignore and diag.code != "CIG000":
            continue
        level = config.severity.get(diag.code)
        out.append(replace(diag, severity=level) if level is not None else diag)
    return out
