"""Click commands: ``generate``, ``presets list|show``, ``scaffold jupyter``.

:func:`register` adds them to the main group. Commands return exit codes (0 done, 1 findings in
the generated pipeline or a stale file with ``--check``) and raise
:class:`~cigen.errors.CigenError` for exit 2. Heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from cigen.errors import CigenError
from cigen.records import dataclass, field
from cigen.terminal import visible

__all__ = ["Generated", "generate_text", "lint_generated", "register"]

DEFAULT_CONFIG = Path("cigen.yml")
DEFAULT_OUTPUT = Path(".gitlab-ci.yml")


def register(cli: click.Group) -> None:
    """Add ``generate``, ``presets`` and ``scaffold`` to ``cli``."""
    cli.add_command(generate)
    cli.add_command(presets)
    cli.add_command(scaffold)


# --- generate ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    """The generated file's text, and what it came from."""

    text: str
    spec: Any
    presets: tuple[str, ...]
    origins: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def generate_root(config: Path) -> Path:
    """The project of ``cigen generate``: the git work tree holding cigen.yml; outside git,
    the current folder when it holds cigen.yml, else cigen.yml's folder. What it reads and
    writes (``-o``, the ``--check`` target, ``--runners``) must lie inside."""
    from cigen.project import find_root, inside

    root = find_root(config, None)
    here = Path.cwd().resolve()
    if not (root / ".git").exists() and inside(here, root):
        return here
    return root


def generate_text(config: Path, *, source: str | None = None) -> Generated:
    """Read cigen.yml at ``config`` and build the pipeline text (not linted, not written).

    ``source`` is how the header names cigen.yml (default: the path as given).
    """
    from cigen.generate.build import compose
    from cigen.generate.output import output_text
    from cigen.generate.presets import load_catalog
    from cigen.generate.spec import load_spec

    label = config.as_posix()
    root = generate_root(config)
    spec = load_spec(config, label, root=root)
    label_folder = (Path(label).parent / "presets").as_posix()
    catalog = load_catalog(spec.folder / "presets", label_folder, root=root)
    composed = compose(spec, catalog)
    used = tuple(dict.fromkeys(job.preset for job in spec.jobs))
    text = output_text(composed.data, source or label, list(used))
    return Generated(text, spec, used, composed.origins, composed.warnings)


def lint_generated(text: str, runners: tuple[Any, ...] | None) -> tuple[Any, ...]:
    """Lint ``text`` as ``.gitlab-ci.yml`` in a scratch folder; the findings, sorted."""
    from cigen.lint.engine import lint

    with tempfile.TemporaryDirectory(prefix="cigen-generate-") as tmp:
        root = Path(tmp)
        target = root / DEFAULT_OUTPUT.name
        target.write_text(text, encoding="utf-8")
        return lint(target, root=root, runners=runners).diagnostics


#: The rule whose findings name jobs no runner takes (``cigen.rules.cig301_no_runner``).
NO_RUNNER = "CIG301"


def paused_only_as_warnings(
    diags: tuple[Any, ...], text: str, runners: tuple[Any, ...] | None
) -> tuple[Any, ...]:
    """The findings, with each job that only paused runners could take made a warning.

    A paused runner is a passing state, so ``generate`` still writes the file; such jobs are
    found by linting again with every runner unpaused.
    """
    from dataclasses import replace

    from cigen.diagnostics import Severity

    if runners is None or not any(d.code == NO_RUNNER for d in diags):
        return diags
    unpaused = tuple(replace(runner, paused=False) for runner in runners)
    still = {(d.path, d.line, d.col, d.job) for d in lint_generated(text, unpaused)}
    out = []
    for diag in diags:
        if diag.code == NO_RUNNER and (diag.path, diag.line, diag.col, diag.job) not in still:
            diag = replace(
                diag,
                severity=Severity.WARNING,
                message=f"{diag.message} (a warning here: pausing a runner is temporary)",
            )
        out.append(diag)
    return tuple(out)


def _source_label(config: Path, output: Path | None) -> str:
    base = output.parent if output is not None else Path()
    try:
        rel = os.path.relpath(config.resolve(), base.resolve())
    except ValueError:  # pragma: no cover - another drive on Windows
        rel = str(config.resolve())
    return Path(rel).as_posix()


def _report(diags: tuple[Any, ...], generated: Generated) -> str:
    from cigen import __version__
    from cigen.reporters.text import render
    from cigen.rules import RULES

    report = render(list(diags), rules=RULES, tool_version=__version__)
    where = {job.name: job for job in generated.spec.jobs}
    origins = {**{name: name for name in where}, **generated.origins}
    hints = []
    for name in dict.fromkeys(d.job for d in diags if d.job in origins):
        job = where[origins[name]]
        mark = job.mark
        of = "" if name == job.name else f" of cigen.yml job {job.name!r}"
        hint = f"job {name!r} (preset {job.preset}{of}) is at {mark.path}:{mark.line}:{mark.col}"
        hints.append(f"  {visible(hint)}\n")
    return report + "".join(hints)


@click.command()
@click.option(
    "-c",
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The cigen.yml to read.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the pipeline to FILE (atomically, inside the project) instead of stdout.",
)
@click.option("--force", is_flag=True, help="Replace FILE even if cigen did not write it.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 with a diff if FILE (default .gitlab-ci.yml) is out of date.",
)
@click.option(
    "--runners",
    "runners_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Runner inventory (default: runners: in cigen.yml).",
)
def generate(
    config: Path, output: Path | None, force: bool, check: bool, runners_path: Path | None
) -> int:
    """Write .gitlab-ci.yml from cigen.yml (presets, gates, GitLab job keys).

    The result is linted, and matched against the runner inventory when there is one, before
    anything is written; error-level findings exit 1 and write nothing.
    """
    from cigen.diagnostics import Severity
    from cigen.generate.output import stale_diff, write_output
    from cigen.generate.spec import SpecErrors
    from cigen.project import confine

    target = output if output is not None else (DEFAULT_OUTPUT if check else None)
    try:
        generated = generate_text(config, source=_source_label(config, target))
    except SpecErrors as exc:
        for message in exc.messages:
            click.echo(f"cigen: error: {message}", err=True)
        if len(exc.messages) > 1:
            click.echo(
                f"cigen: {len(exc.messages)} errors in {config.as_posix()}; nothing was written",
                err=True,
            )
        return 2
    for warning in generated.warnings:
        click.echo(f"cigen: warning: {visible(str(warning))}", err=True)
    spec = generated.spec
    root = generate_root(config)
    inventory_path = runners_path if runners_path is not None else spec.runners
    runners = None
    if inventory_path is not None:
        from cigen.runners.inventory import load_inventory

        runners = load_inventory(inventory_path, root=root)
    diags = paused_only_as_warnings(
        lint_generated(generated.text, runners), generated.text, runners
    )
    errors = [d for d in diags if d.severity is Severity.ERROR]
    if errors:
        click.echo(
            f"cigen: the generated pipeline has {len(errors)} error(s); nothing was written",
            err=True,
        )
        click.echo(_report(diags, generated), err=True, nl=False)
        return 1
    if diags:
        click.echo(_report(diags, generated), err=True, nl=False)
    if check:
        assert target is not None
        diff = stale_diff(target, generated.text, root=root)
        if diff is None:
            return 0
        click.echo(visible(diff, keep_lines=True), nl=False)
        name = target.as_posix()
        click.echo(f"cigen: {name} is out of date; run: cigen generate -o {name}", err=True)
        return 1
    if output is None:
        click.echo(generated.text, nl=False)
        return 0
    changed = write_output(confine(output, root, "-o"), generated.text, force=force, root=root)
    state = "wrote" if changed else "unchanged:"
    click.echo(f"cigen: {state} {output.as_posix()}", err=True)
    return 0


# --- presets -----------------------------------------------------------------------------------


_config_option = click.option(
    "-c",
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="cigen.yml whose presets/ folder holds the project's presets.",
)


def _catalog(config: Path) -> dict[str, Any]:
    from cigen.generate.presets import load_catalog
    from cigen.project import find_root

    label_folder = (Path(config.as_posix()).parent / "presets").as_posix()
    return load_catalog(config.parent / "presets", label_folder, root=find_root(config, None))


@click.group()
def presets() -> None:
    """List the presets, or document one."""


@presets.command(name="list")
@_config_option
def presets_list(config: Path) -> int:
    """One line per preset: name, summary, and where a project preset comes from."""
    catalog = _catalog(config)
    width = max((len(name) for name in catalog), default=0)
    for name, preset in catalog.items():
        origin = ""
        if not preset.builtin:
            replaces = ", replaces the built-in" if preset.overrides_builtin else ""
            origin = f"  [{preset.source}{replaces}]"
        click.echo(visible(f"{name:<{width}}  {preset.summary}{origin}"))
    return 0


@presets.command(name="show")
@click.argument("name")
@_config_option
@click.option("--schema", "as_schema", is_flag=True, help="Print the parameters' JSON Schema.")
def presets_show(name: str, config: Path, as_schema: bool) -> int:
    """Document preset NAME: what it does, its parameters with types and defaults, examples."""
    catalog = _catalog(config)
    preset = catalog.get(name)
    if preset is None:
        from cigen.generate.spec import did_you_mean

        raise CigenError(
            f"unknown preset {name!r}{did_you_mean(name, catalog)} "
            f"(available: {', '.join(catalog)})"
        )
    if as_schema:
        click.echo(json.dumps(preset.params_schema(), indent=2, ensure_ascii=False))
        return 0
    origin = "built-in" if preset.builtin else preset.source
    if preset.overrides_builtin:
        origin += " (replaces the built-in preset)"
    lines = [
        f"{preset.name}: {preset.summary}",
        f"source: {origin}",
        f"stage: {preset.stage}",
        *_jobs_lines(preset),
        "",
        preset.description,
        "",
        "Parameters (under with:):",
    ]
    from cigen.generate.presets import GLOBAL_PARAMS

    for param in preset.params:
        facts = [param.type_text]
        if param.name in GLOBAL_PARAMS:
            facts.append(f"default: {param.name}: at the top of cigen.yml")
        elif param.required:
            facts.append("required")
        elif param.has_default:
            facts.append(f"default: {json.dumps(param.default, ensure_ascii=False)}")
        lines.append(f"  {param.name} ({', '.join(facts)})")
        lines.extend(f"      {line}" for line in _wrap(param.description, 84))
        enum = param.schema.get("enum")
        if enum:
            lines.append(f"      one of: {', '.join(json.dumps(v) for v in enum)}")
    if preset.examples:
        lines += ["", "Examples (in jobs: of cigen.yml):"]
        for example in preset.examples:
            lines.extend(f"  {line}" for line in example.rstrip("\n").splitlines())
            lines.append("")
    click.echo(visible("\n".join(lines).rstrip("\n"), keep_lines=True))
    return 0


def _jobs_lines(preset: Any) -> list[str]:
    """For a preset with several jobs or ``for_each``: the names and stages it writes."""
    if len(preset.parts) == 1 and preset.for_each is None:
        return []
    base = "NAME" if preset.for_each is None else f"NAME-<{preset.for_each.name}>"
    shown = ", ".join(f"{base}{part.suffix} (stage {part.stage})" for part in preset.parts)
    lines = [f"jobs: {shown}"]
    if preset.for_each is not None:
        lines.append(f"      once per item of {preset.for_each.param}")
    return lines


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False) or [""]


# --- scaffold ----------------------------------------------------------------------------------


_IMAGE_REF = re.compile(r"[A-Za-z0-9._/:@${}-]+\Z")
_PACKAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~]*\Z")
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@click.group()
def scaffold() -> None:
    """Write starter files that go with a preset."""


def _checked(value: str, pattern: re.Pattern[str], option: str, what: str) -> str:
    if not pattern.match(value):
        raise click.BadParameter(f"{value!r} is not {what}", param_hint=option)
    return value


@scaffold.command(name="jupyter")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("jupyter.Dockerfile"),
    show_default=True,
    help="Where to write the Dockerfile (never over an existing file without --force).",
)
@click.option("--force", is_flag=True, help="Replace an existing file.")
@click.option(
    "--base-image",
    default="python:3.12-slim",
    show_default=True,
    help="The FROM image; Python is installed when it has none (such as nvidia/cuda:...).",
)
@click.option(
    "--package",
    "packages",
    multiple=True,
    default=("numpy", "pandas"),
    show_default=True,
    help="pip package to install besides jupyter_server and ipykernel (repeatable).",
)
@click.option("--port", type=click.IntRange(1024, 65535), default=8888, show_default=True)
@click.option(
    "--namespace",
    default=None,
    help="Kubernetes namespace the CI jobs run in, for the printed kubectl command.",
)
@click.option(
    "--token-variable",
    default="NOTEBOOK_TOKEN",
    show_default=True,
    help="CI/CD variable holding the token (the jupyter preset's token_variable).",
)
def scaffold_jupyter(
    output: Path,
    force: bool,
    base_image: str,
    packages: tuple[str, ...],
    port: int,
    namespace: str | None,
    token_variable: str,
) -> int:
    """Write a Dockerfile for the jupyter preset and print how to connect to the server."""
    from cigen.atomic import write_atomic, write_new
    from cigen.generate.scaffold import jupyter_dockerfile, jupyter_instructions

    _checked(base_image, _IMAGE_REF, "--base-image", "an image reference")
    for package in packages:
        _checked(package, _PACKAGE, "--package", "a pip requirement")
    if namespace is not None:
        _checked(namespace, _NAMESPACE, "--namespace", "a Kubernetes namespace")
    _checked(token_variable, _VARIABLE, "--token-variable", "a variable name")
    if token_variable == "JUPYTER_TOKEN":
        raise click.BadParameter("must not be JUPYTER_TOKEN itself", param_hint="--token-variable")
    from cigen.project import confine

    output = confine(output, Path.cwd(), "-o")
    text = jupyter_dockerfile(base_image, packages, port)
    if force:
        write_atomic(output, text)
    else:
        write_new(output, text)
    click.echo(jupyter_instructions(output.as_posix(), port, namespace, token_variable))
    return 0
