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

    LAZY = ("generate", "presets", "scaffold", "runners", "scan")

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            if cmd_name == "runners":
                from cigen.cli.runners import register
            elif cmd_name == "scan":
                from cigen.cli.scan import register
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


def _planned(
    path: Path, root: Path | None, variables: tuple[str, ...], context: dict[str, Any]
) -> Any:
    from cigen.lint.engine import include_rules_for, load_pipeline
    from cigen.pipeline.plan import seeded

    config = _load_config(path, root, None)
    known = {**config.variables, **_parse_vars(variables)}
    ctx = _context(context, known, _project_files(path, root))
    pipeline = load_pipeline(
        path,
        root=root,
        include_rules=include_rules_for(ctx, known),
        variables=known,
        cache=_include_cache(),
    )
    if pipeline.config is None:
        problems = [p for f in pipeline.files.values() for p in f.problems if p.fatal]
        if problems:
            mark = problems[0].mark
            raise CigenError(
                f"{mark.path}:{mark.line}:{mark.col}: cannot plan: {problems[0].message}"
            )
        raise CigenError(f"{path}: cannot plan: the file is not a mapping of CI keywords")
    return pipeline, ctx, seeded(pipeline, ctx), config


def _say_refused(result: Any) -> None:
    """GitLab's words first (for an invalid configuration only its first error, as
    ``Chain::Config::Process`` shows), then cigen's own detail, marked as such."""
    if not result.detail:
        click.echo("no pipeline: GitLab refuses to create it:")
        for error in result.errors:
            click.echo(f"  {visible(str(error))}")
        return
    click.echo(f"no pipeline: {visible(result.message)}")
    click.echo(f"cigen's detail, not GitLab's output ({len(result.detail)} error(s) in all):")
    first, *rest = result.detail
    click.echo(f"  {visible(str(first))}  <- the error GitLab shows")
    for line in rest:
        click.echo(f"  {visible(str(line))}")


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path(".gitlab-ci.yml"))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), help="Project root.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json", "mermaid", "dot")),
    default="text",
    show_default=True,
    help="mermaid: a flowchart for Markdown (GitLab renders it); dot: a Graphviz graph.",
)
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE")
@click.option("--runners", "runners_source", metavar="FILE|gitlab", help="Runner inventory.")
@context_options
def plan(
    path: Path,
    root: Path | None,
    fmt: str,
    variables: tuple[str, ...],
    runners_source: str | None,
    **context: Any,
) -> int:
    """Show the pipeline GitLab would create for a ref: jobs, stages, when."""
    import json

    from cigen.pipeline.plan import plan_data

    pipeline, ctx, result, config = _planned(path, root, variables, context)
    runners_by_job = None
    runners = _runner_inventory(runners_source, config, {})
    if runners is not None:
        runners_by_job = _runners_by_job(pipeline, runners, ctx.protected, config.variables)
    data = plan_data(result, runners_by_job)
    # filtered out (nothing to run) is a clean answer; a refused pipeline is an error (exit 1)
    code = EXIT_FINDINGS if result.status == "refused" else EXIT_CLEAN
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return code
    if fmt in ("mermaid", "dot"):
        from cigen.pipeline import draw

        click.echo(draw.mermaid(data) if fmt == "mermaid" else draw.dot(data), nl=False)
        return code
    if result.status == "filtered":
        click.echo(f"no pipeline: {visible(result.message)}")
        if not result.workflow.created:
            click.echo(f"  {visible(result.workflow.reason)}")
        return code
    if result.status == "refused":
        _say_refused(result)
        return code
    for item in data["jobs"]:
        line = f"{visible(item['stage']):<16} {visible(item['name']):<40} {item['when']}"
        if "runners" in item:
            line += "  -> " + (visible(", ".join(item["runners"])) or "NO RUNNER (stuck)")
        click.echo(line)
    return EXIT_CLEAN


@cli.command()
@click.argument("job")
@click.argument("path", type=click.Path(path_type=Path), default=Path(".gitlab-ci.yml"))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), help="Project root.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE")
@context_options
def explain(
    job: str, path: Path, root: Path | None, variables: tuple[str, ...], **context: Any
) -> int:
    """Say which rule or only/except clause decides whether JOB runs, and why.

    JOB is a job or one of its parallel instances (`"build: [amd64]"`, `"rspec 1/3"`). Shown:
    the instance, the clause that decided, and the variables its rules saw with where each came
    from (predefined, top-level, workflow, job, matrix, --var).
    """
    from cigen.pipeline.plan import variable_origins

    pipeline, ctx, result, _config = _planned(path, root, variables, context)
    click.echo(f"workflow: {visible(result.workflow.reason)}")
    if result.status == "refused":
        click.echo(f"no pipeline: {visible(result.message)}")
        return EXIT_FINDINGS
    if not result.workflow.created:
        return EXIT_CLEAN
    found = [p for p in (*result.jobs, *result.excluded) if job in (p.name, p.definition)]
    if not found:
        raise CigenError(f"no job named {job!r} in {path}")
    for planned in found:
        decision = planned.decision
        state = f"runs ({decision.when})" if decision.included else "does not run"
        click.echo(f"{visible(planned.name)}: {state}; decided by {visible(decision.decided_by)}")
        if planned.name != planned.definition:
            click.echo(
                f"  instance {planned.instance.index if planned.instance else '?'}"
                f" of {visible(repr(planned.definition))}"
            )
        click.echo(f"  {visible(decision.reason)}")
        origins = variable_origins(pipeline, ctx, result, planned)
        read = dict(decision.variables_read)
        click.echo("  variables read:" if read else "  no variable read")
        for name, value in read.items():
            shown = "undefined" if value is None else repr(value)
            origin = origins.get(name, ("", "not defined"))[1] if value is not None else ""
            line = f"    ${name} = {shown}" + (f"  ({origin})" if origin else "")
            click.echo(visible(line))
        own = {k: v for k, v in origins.items() if v[1] != "predefined" and k not in read}
        if own:
            click.echo("  other variables it saw:")
            for name, (value, origin) in own.items():
                click.echo(visible(f"    ${name} = {value!r}  ({origin})"))
    return EXIT_CLEAN


def _include_cache(explicit: Path | None = None) -> Path:
    """The folder of fetched include content (``--cache-dir``, else the environment's)."""
    from cigen.resolve.external import default_cache

    return explicit if explicit is not None else default_cache(os.environ)


@cli.command(name="fetch")
@click.argument("path", type=click.Path(path_type=Path), default=Path(".gitlab-ci.yml"))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), help="Project root.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 when .cigen.lock is stale (a ref moved, an include changed).",
)
@click.option(
    "--remote", "with_remote", is_flag=True, help="Also fetch remote: includes (HTTPS, no token)."
)
@click.option("--allow-http", is_flag=True, help="Accept remote includes over plain HTTP.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Include cache (default: $CIGEN_CACHE_DIR, else $XDG_CACHE_HOME/cigen/includes).",
)
@click.option("--gitlab-config-section", help="python-gitlab configuration section to use.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE")
def fetch_cmd(
    path: Path,
    root: Path | None,
    check: bool,
    with_remote: bool,
    allow_http: bool,
    cache_dir: Path | None,
    gitlab_config_section: str | None,
    variables: tuple[str, ...],
) -> int:
    """Fetch the project, template, component (and, with --remote, remote) includes once.

    Their content goes into the include cache and what each resolved to (commit, sha256) into
    .cigen.lock at the project root: commit it. `cigen lint` then follows these includes
    offline. GitLab settings as for `--runners gitlab`: GITLAB_URL (or CI_SERVER_URL) and
    GITLAB_TOKEN, or --gitlab-config-section.
    """
    from cigen.resolve.external import LOCK_NAME
    from cigen.resolve.fetch import changes

    config = _load_config(path, root, None)
    known = {**config.variables, **_parse_vars(variables)}
    result, old = _fetch_includes(
        path,
        root,
        known,
        cache=_include_cache(cache_dir),
        section=gitlab_config_section,
        remote=with_remote,
        allow_http=allow_http,
    )
    if check:
        stale = changes(old, result.lock)
        if stale:
            click.echo(f"{LOCK_NAME} is stale; run `cigen fetch` and commit it:")
            for line in stale:
                click.echo(f"  {line}")
            return EXIT_FINDINGS
        click.echo(f"{LOCK_NAME} is up to date ({len(result.lock.entries)} includes)")
        return EXIT_FINDINGS if result.errors else EXIT_CLEAN
    _write_lock(result, old)
    from cigen.resolve.fetch import described

    for line in described(result.lock):
        click.echo(f"  {line}")
    click.echo(f"{len(result.lock.entries)} includes locked in {LOCK_NAME}")
    return EXIT_FINDINGS if result.errors else EXIT_CLEAN


def _fetch_includes(
    path: Path,
    root: Path | None,
    variables: dict[str, str],
    *,
    cache: Path,
    section: str | None,
    remote: bool = False,
    allow_http: bool = False,
) -> tuple[Any, Any]:
    """Resolve the external includes online (errors on stderr): the result and the lock it
    replaces."""
    from cigen.gitlab_api import connect
    from cigen.resolve.external import LOCK_NAME
    from cigen.resolve.fetch import DEADLINE, Fetcher, fetch, previous_lock

    env = dict(os.environ)

    def session() -> Any:  # the API's deadline is what is left of the fetch's
        return connect(env=env, config_section=section, deadline=fetcher.remaining())

    fetcher = Fetcher(session, remote=remote, allow_http=allow_http, deadline=DEADLINE)
    result = fetch(path, root=root, fetcher=fetcher, cache=cache, variables=variables)
    for error in result.errors:
        click.echo(f"cigen: {error}", err=True)
    return result, previous_lock(result.pipeline.root / LOCK_NAME)


def _write_lock(result: Any, old: Any) -> None:
    """Write ``.cigen.lock`` when what it records changed."""
    from cigen.resolve.external import LOCK_NAME

    text = result.lock.dump()
    if old is None or old.dump() != text:
        from cigen.atomic import write_atomic

        write_atomic(result.pipeline.root / LOCK_NAME, text)


def _runners_by_job(
    pipeline: Any, runners: Any, protected: bool | None, variables: Any
) -> dict[str, list[str]]:
    from cigen.runners.match import JobTags, match
    from cigen.runners.tags import tagged_jobs

    jobs = list(tagged_jobs(pipeline, variables))
    found = match([JobTags(j.name, j.tags, j, protected) for j in jobs], runners)
    out: dict[str, list[str]] = {}
    for tagged, result in zip(jobs, found, strict=True):
        usable = list(result.eligible) + (list(result.protected_only) if protected else [])
        out.setdefault(tagged.job.name, []).extend(r.name for r in usable)
        if tagged.name != tagged.job.name:  # a parallel:matrix instance: its own tags
            out.setdefault(tagged.name, []).extend(r.name for r in usable)
    return out


@cli.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path(".gitlab-ci.yml"))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), help="Project root.")
@click.option("--job", "job", metavar="NAME", help="Show only this job.")
@click.option(
    "--provenance", is_flag=True, help="Comment each key with the file:line it came from."
)
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the YAML to a file (inside the project root) instead of stdout.",
)
def expand(
    path: Path,
    root: Path | None,
    job: str | None,
    provenance: bool,
    variables: tuple[str, ...],
    output: Path | None,
) -> int:
    """Show the configuration as GitLab assembles it.

    Includes, extends, !reference and default: applied, hidden jobs dropped; the output is a
    configuration `cigen lint` accepts again.
    """
    from cigen.lint.engine import load_pipeline
    from cigen.pipeline.expand import expand as assemble
    from cigen.yaml.dump import dump

    config = _load_config(path, root, None)
    known = {**config.variables, **_parse_vars(variables)}
    pipeline = load_pipeline(path, root=root, variables=known, cache=_include_cache())
    problem = _assembly_problem(pipeline)
    if problem is not None:
        raise CigenError(f"cannot expand: {problem}; `cigen lint` shows every problem")
    try:
        result = assemble(pipeline, job=job, provenance=provenance)
    except KeyError:
        visible = ", ".join(sorted(pipeline.jobs)[:10]) or "none"
        raise CigenError(f"no visible job named {job!r}; jobs: {visible}") from None
    header = f"{pipeline.entry} as GitLab assembles it (cigen expand)"
    text = dump(result.data, header_comment=header, notes=result.notes)
    if output is not None:
        from cigen.atomic import write_atomic
        from cigen.project import confine

        write_atomic(confine(output, pipeline.root, "-o"), text)
    else:
        click.echo(text, nl=False)
    return EXIT_CLEAN


def _assembly_problem(pipeline: Any) -> str | None:
    """Why a configuration cannot be assembled: a fatal YAML problem or an assembly error."""
    for loaded in pipeline.files.values():
        for item in loaded.problems:
            if item.fatal:
                mark = item.mark
                return f"{mark.path}:{mark.line}:{mark.col}: {item.message}"
    if pipeline.config is None:
        return f"{pipeline.entry}: the file is not a mapping of CI keywords"
    event = pipeline.assembly_error
    if event is not None:
        return f"{event.mark.path}:{event.mark.line}:{event.mark.col}: {event.message}"
    return None


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
