"""``cigen rules``, ``plan``, ``explain``, ``fetch`` and ``expand``: imported only when one of
them is asked for (:class:`cigen.cli.main._Cli`), so that ``cigen lint`` does not build them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from cigen.cli.main import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    _context,
    _include_cache,
    _load_config,
    _parse_vars,
    _project_files,
    _runner_inventory,
    context_options,
)
from cigen.errors import CigenError
from cigen.terminal import visible

_commands = click.Group()  # what the commands below are declared on; register() moves them


def register(cli: click.Group) -> None:
    """Add the commands of this module to ``cli``."""
    for command in _commands.commands.values():
        cli.add_command(command)


@_commands.command(name="rules")
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


@_commands.command()
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


@_commands.command()
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


@_commands.command(name="fetch")
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


@_commands.command()
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
