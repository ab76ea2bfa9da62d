"""Command line: the only module that touches argv, stdout, stderr and exit codes.

Exit codes: 0 clean, 1 error-level findings (or a stale file for ``--check``), 2 usage or
configuration error, 3 internal crash. Heavy imports happen inside the commands that need them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from cigen import __version__
from cigen.errors import CigenError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_CRASH = 0, 1, 2, 3
FORMATS = ("text", "json", "codequality", "sarif")


def _parse_vars(values: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="--var")
        out[name] = value
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="cigen")
def cli() -> None:
    """Write and check GitLab CI pipelines."""


def _load_config(path: Path, root: Path | None, explicit: Path | None) -> Any:
    from cigen.config import Config, find_config, load_config
    from cigen.project import find_root

    if explicit is not None:
        return load_config(explicit)
    found = find_config(path, find_root(path, root))
    return load_config(found) if found is not None else Config()


def _runner_inventory(source: str | None, config: Any, opts: dict[str, Any]) -> Any:
    """Runners from ``--runners`` (a file or ``gitlab``), else from the config file."""
    if source is None and config.runners is not None:
        source = config.runners
        if source != "gitlab" and config.source is not None:
            source = str(config.source.parent / source)
    if source is None:
        return None
    if source == "gitlab":
        from cigen.gitlab_api import fetch_inventory

        return fetch_inventory(
            env=dict(os.environ),
            project=opts.get("project"),
            config_section=opts.get("gitlab_config_section"),
        )
    from cigen.runners import load_inventory

    return load_inventory(Path(source))


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path(".gitlab-ci.yml"))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), help="Project root.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--schema", type=click.Path(path_type=Path, dir_okay=False), help="GitLab CI schema file."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: nearest .cigen.yaml).",
)
@click.option("--runners", "runners_source", metavar="FILE|gitlab", help="Runner inventory.")
@click.option("--project", help="GitLab project id or path (default: $CI_PROJECT_ID).")
@click.option("--gitlab-config-section", help="python-gitlab configuration section to use.")
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="A variable known at pipeline creation (repeatable).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to a file instead of stdout.",
)
def lint(
    path: Path,
    root: Path | None,
    fmt: str,
    schema: Path | None,
    config_path: Path | None,
    runners_source: str | None,
    project: str | None,
    gitlab_config_section: str | None,
    variables: tuple[str, ...],
    output: Path | None,
) -> int:
    """Check a CI configuration the way GitLab assembles it."""
    from dataclasses import replace

    from cigen.engine import lint as run_lint
    from cigen.reporters import REPORTERS
    from cigen.reporters.text import summary
    from cigen.rules import RULES

    config = _load_config(path, root, config_path)
    extra = _parse_vars(variables)
    if extra:
        config = replace(config, variables={**config.variables, **extra})
    if schema is not None:
        config = replace(config, schema=schema)
    runners = _runner_inventory(
        runners_source, config, {"project": project, "gitlab_config_section": gitlab_config_section}
    )
    result = run_lint(path, root=root, config=config, runners=runners)
    report = REPORTERS[fmt](list(result.diagnostics), rules=RULES, tool_version=__version__)
    if output is not None:
        from cigen.writer import write_atomic

        write_atomic(output, report)
    else:
        click.echo(report, nl=False)
    if fmt == "text":
        click.echo(summary(result.diagnostics), err=True)
    return result.exit_code


@cli.command(name="rules")
@click.argument("rule", required=False)
def rules_cmd(rule: str | None) -> int:
    """List the rules, or show one rule's documentation."""
    from cigen.rules import RULES, lookup

    if rule is None:
        for item in RULES.values():
            click.echo(f"{item.CODE}  {item.NAME:<28} {item.SEVERITY.label:<8} {item.SUMMARY}")
        return EXIT_CLEAN
    found = lookup(rule)
    if found is None:
        raise CigenError(f"unknown rule {rule!r}; `cigen rules` lists them")
    click.echo(f"{found.CODE} {found.NAME} ({found.SEVERITY.label})\n")
    click.echo((found.__doc__ or "").strip())
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and map every outcome to an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="cigen", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except CigenError as exc:
        click.echo(f"cigen: error: {exc}", err=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("CIGEN_DEBUG"):
            raise
        click.echo(
            f"cigen: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in cigen; please report it (set CIGEN_DEBUG=1 for a traceback).",
            err=True,
        )
        return EXIT_CRASH
    return result if isinstance(result, int) else EXIT_CLEAN
