"""Command line: the only module that touches argv, stdout, stderr and exit codes.

Exit codes: 0 clean, 1 error-level findings (or a stale file for ``--check``), 2 usage or
configuration error, 3 internal crash. Heavy imports happen inside the commands that need them.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from cigen import __version__
from cigen.errors import CigenError
from cigen.terminal import visible

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


def context_options(func: Any) -> Any:
    """Pipeline context flags shared by lint, plan and explain."""
    options = [
        click.option(
            "--ref", help="Branch or tag the pipeline runs for (default: the default branch)."
        ),
        click.option("--tag", "is_tag", is_flag=True, help="The ref is a tag."),
        click.option(
            "--source",
            default="push",
            show_default=True,
            help="Pipeline source: push, web, schedule, api, trigger, pipeline, "
            "parent_pipeline, merge_request_event, ...",
        ),
        click.option("--default-branch", default="main", show_default=True),
        click.option(
            "--protected/--unprotected",
            default=None,
            help="Whether the ref is protected (default: only the default branch).",
        ),
        click.option(
            "--changed",
            multiple=True,
            metavar="FILE",
            help="A changed file, for rules:changes (repeatable).",
        ),
        click.option("--mr-target", help="Target branch of a merge-request pipeline."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _context(opts: dict[str, Any], variables: dict[str, str], project_files: Any = None) -> Any:
    from cigen.pipeline.plan import make_context

    return make_context(
        ref=opts["ref"],
        tag=opts["is_tag"],
        source=opts["source"],
        default_branch=opts["default_branch"],
        protected=opts["protected"],
        changed=opts["changed"] or None,
        variables=variables,
        project_files=project_files,
        mr_target=opts["mr_target"],
    )


def _project_files(path: Path, root: Path | None) -> tuple[str, ...] | None:
    """The project's files for ``rules:exists`` / ``include:rules:exists``: git's list in a
    work tree, else the files on disk (None, so assumed to match, past the walk's bound)."""
    from cigen.project import Project, find_root

    project = Project(find_root(path, root))
    files = project.files()
    return None if project.truncated else tuple(files)


def _has_context(opts: dict[str, Any]) -> bool:
    return bool(
        opts["ref"]
        or opts["is_tag"]
        or opts["source"] != "push"
        or opts["changed"]
        or opts["protected"] is not None
        or opts["mr_target"]
    )


class _Cli(click.Group):
    """The command group; generation and runner commands are imported only when asked for."""

    LAZY = (
        "generate",
        "presets",
        "scaffold",
        "runners",
        "scan",
        "rules",
        "plan",
        "explain",
        "fetch",
        "expand",
    )

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            if cmd_name == "runners":
                from cigen.cli.runners import register
            elif cmd_name == "scan":
                from cigen.cli.scan import register
            elif cmd_name in ("rules", "plan", "explain", "fetch", "expand"):
                from cigen.cli.pipeline import register
            else:
                from cigen.cli.generate import register

            register(self)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # click would turn it into exit 1
            raise _ClosedPipe from None


class _ClosedPipe(Exception):
    """The reader of standard output went away (``cigen plan | head``)."""


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="cigen")
def cli() -> None:
    """Write and check GitLab CI pipelines."""


def _load_config(path: Path, root: Path | None, explicit: Path | None) -> Any:
    from dataclasses import replace

    from cigen.lint.settings import Config, find_config, load_config
    from cigen.project import find_root

    project_root = find_root(path, root)
    if explicit is not None:
        config = load_config(explicit, root=project_root)
    else:
        found = find_config(path, project_root)
        config = load_config(found, root=project_root) if found is not None else Config()
    _confine(config, project_root)
    return replace(config, root=project_root)


def _confine(config: Any, root: Path) -> None:
    """Files a config file names must be inside the project root (symlinks followed)."""
    if config.source is None:
        return
    if config.runners in (None, "gitlab"):
        return
    target = config.source.parent / config.runners
    real = Path(os.path.realpath(target))
    if real != root and root not in real.parents:
        raise CigenError(
            f"{config.source}: runners: {target} is outside the project root {root}; "
            "name a file inside the project"
        )


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
    from cigen.runners.inventory import load_inventory

    root = config.root if config.root is not None else Path.cwd()
    return load_inventory(Path(source), root=root)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path(".gitlab-ci.yml"))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), help="Project root.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--schema", type=click.Path(path_type=Path, dir_okay=False), hidden=True)
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
    help="Write the report to a file (inside the project root) instead of stdout.",
)
@click.option(
    "--fetch",
    "fetch_first",
    is_flag=True,
    help="Run `cigen fetch` first (network), then lint with the includes it fetched.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are error findings.")
@click.option(
    "--statistics", is_flag=True, help="Count the findings per rule (on stderr, after the report)."
)
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only, no summary line.")
@click.option(
    "--select",
    "selected",
    multiple=True,
    metavar="RULE[,RULE...]",
    help="Run only these rules (codes or names; repeatable); opt-in rules such as CIG601 "
    "shellcheck run only when selected. Replaces select: of .cigen.yaml.",
)
@context_options
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
    fetch_first: bool,
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    selected: tuple[str, ...],
    **context: Any,
) -> int:
    """Check a CI configuration the way GitLab assembles it.

    With a pipeline context (--ref, --tag, --source, ...), include:rules are evaluated for it
    and the runner check covers only the jobs that will run.
    """
    from dataclasses import replace

    from cigen.lint.engine import lint as run_lint
    from cigen.reporters import REPORTERS
    from cigen.reporters.text import summary
    from cigen.rules import RULES

    config = _load_config(path, root, config_path)
    extra = _parse_vars(variables)
    if extra:
        config = replace(config, variables={**config.variables, **extra})
    if schema is not None or config.schema is not None:
        click.echo(
            "cigen: warning: --schema / schema: is ignored: cigen validates as GitLab does (its "
            "entry classes), not with a JSON schema; remove it",
            err=True,
        )
    if selected:
        config = replace(config, select=_rule_codes(selected))
    runners = _runner_inventory(
        runners_source, config, {"project": project, "gitlab_config_section": gitlab_config_section}
    )
    if fetch_first:
        from cigen.cli.pipeline import _fetch_includes, _write_lock

        _write_lock(
            *_fetch_includes(
                path,
                root,
                dict(config.variables),
                cache=_include_cache(),
                section=gitlab_config_section,
            )
        )
    kwargs: dict[str, Any] = {}
    if _has_context(context):
        from cigen.lint.engine import include_rules_for, load_pipeline
        from cigen.pipeline.plan import Simulation, simulate

        ctx = _context(context, dict(config.variables), _project_files(path, root))
        kwargs["include_rules"] = include_rules_for(ctx, config.variables)
        kwargs["protected_ref"] = ctx.protected
        pipeline = load_pipeline(
            path,
            root=root,
            include_rules=kwargs["include_rules"],
            variables=config.variables,
            cache=_include_cache(),
        )
        kwargs["simulation"] = Simulation(simulate(pipeline, ctx))
        kwargs["pipeline"] = pipeline  # resolved once, for the plan and for the lint
    result = run_lint(
        path, root=root, config=config, runners=runners, cache=_include_cache(), **kwargs
    )
    report = REPORTERS[fmt](list(result.diagnostics), rules=RULES, tool_version=__version__)
    if output is not None:
        from cigen.atomic import write_atomic
        from cigen.project import confine

        write_atomic(confine(output, config.root, "-o"), report)
    else:
        if fmt == "text":
            from cigen.reporters.color import colorize, wanted

            if wanted(os.environ, sys.stdout.isatty()):
                report = colorize(report, result.diagnostics)
        click.echo(report, nl=False, color=True)
    if statistics:
        from cigen.reporters.summary import statistics as per_rule

        click.echo(per_rule(result.diagnostics), err=True, nl=False)
    if fmt == "text" and not quiet:
        click.echo(summary(result.diagnostics), err=True)
    return EXIT_CLEAN if exit_zero else result.exit_code


def _rule_codes(names: Sequence[str]) -> frozenset[str]:
    """Rule codes from ``--select`` values (codes or names, comma-separated)."""
    from cigen.rules import lookup

    codes: set[str] = set()
    for item in (part.strip() for value in names for part in value.split(",")):
        rule = lookup(item) if item else None
        if rule is None:
            raise click.BadParameter(
                f"unknown rule {item!r} (see `cigen rules`)", param_hint="--select"
            )
        codes.add(rule.CODE)
    return frozenset(codes)


def _include_cache(explicit: Path | None = None) -> Path:
    """The folder of fetched include content (``--cache-dir``, else the environment's)."""
    from cigen.resolve.external import default_cache

    return explicit if explicit is not None else default_cache(os.environ)


#: Exit code when standard output was closed early: 128 + SIGPIPE, what a shell reports for a
#: program the closed pipe killed.
EXIT_CLOSED_PIPE = 141
#: Longest error message shown (a message quoting a huge value is cut).
MAX_MESSAGE = 2000


def _tell(text: str, *, lines: bool = False) -> None:
    """A message on stderr: secrets masked, control characters (newlines too, unless
    ``lines``) escaped, length capped. Nothing happens if stderr is gone too."""
    import contextlib

    from cigen.redact import environment_secrets, scrub

    text = scrub(text, environment_secrets(os.environ))
    if not lines and len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + " [...]"
    with contextlib.suppress(OSError):
        click.echo(visible(text, keep_lines=lines), err=True)


def _quiet_stdout() -> None:
    """Point standard output at the null device, so the exit flush cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and map every outcome to an exit code.

    0 clean, 1 error findings, 2 a usage, configuration or environment error (a full disk
    included), 3 a bug in cigen (also with ``CIGEN_DEBUG=1``, which adds a traceback with
    secrets masked), 130 interrupted, 141 standard output closed early (quietly).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    # One short run over acyclic data: the collector would only walk the parsed tree again and
    # again (growth bends above 20k jobs); reference counting frees what is dropped.
    gc.disable()
    try:
        code = _run(args)
        if code not in (EXIT_CLOSED_PIPE,):
            sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_CLOSED_PIPE
    except OSError as exc:
        _tell(f"cigen: error: cannot write the output: {exc.strerror or exc}")
        _quiet_stdout()
        return EXIT_USAGE
    finally:
        gc.enable()


def _run(args: list[str]) -> int:
    try:
        result = cli.main(args=args, prog_name="cigen", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # shell completion exits from inside click
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
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
        _tell(f"cigen: error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except _ClosedPipe:
        _quiet_stdout()
        return EXIT_CLOSED_PIPE
    except OSError as exc:  # every read is a CigenError: this is output that could not go out
        if isinstance(exc, BrokenPipeError):
            _quiet_stdout()
            return EXIT_CLOSED_PIPE
        _tell(f"cigen: error: cannot write the output: {exc.strerror or exc}")
        _quiet_stdout()
        return EXIT_USAGE
    except Exception as exc:
        if os.environ.get("CIGEN_DEBUG"):
            import traceback

            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            _tell(text.rstrip("\n"), lines=True)
        _tell(f"cigen: internal error: {type(exc).__name__}: {exc}")
        _tell("This is a bug in cigen; please report it (set CIGEN_DEBUG=1 for a traceback).")
        return EXIT_CRASH
    return result if isinstance(result, int) else EXIT_CLEAN
