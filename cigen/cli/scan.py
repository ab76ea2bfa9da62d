"""``cigen scan``: lint every project of a GitLab group or instance; ``cigen scan merge``."""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from cigen.errors import CigenError


def register(cli: click.Group) -> None:
    """Add ``scan`` and its subcommands to ``cli``."""
    cli.add_command(scan)


class _ScanGroup(click.Group):
    """``cigen scan [OPTIONS]`` runs a scan; ``cigen scan merge FILES`` merges shards."""

    DEFAULT = "run"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = [self.DEFAULT, *args]
        return super().parse_args(ctx, args)


@click.group(cls=_ScanGroup)
def scan() -> None:
    """Lint the CI configuration of every project of a GitLab group or instance.

    \b
    cigen scan --group platform --include-subgroups --report-html report.html
    cigen scan --shard 2/4 -o shard-2.jsonl ...   (one job of a parallel: 4 pipeline)
    cigen scan merge shard-*.jsonl -o scan.jsonl --report-md report.md
    """


def _report_options(func: Any) -> Any:
    options = [
        click.option(
            "--report-md",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Write the summary report as Markdown.",
        ),
        click.option(
            "--report-html",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Write the summary report as HTML.",
        ),
        click.option(
            "--per-project-dir",
            type=click.Path(path_type=Path, file_okay=False),
            help="Write each linted project's findings into DIR as <project path>.codequality.json "
            "(GitLab Code Quality) and <project path>.sarif (SARIF 2.1.0); '/' and other "
            "characters unsafe in a file name are written %XX.",
        ),
        click.option(
            "--per-project-format",
            type=click.Choice(["codequality", "sarif"]),
            multiple=True,
            help="With --per-project-dir: only this format (repeatable; default: both).",
        ),
        click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@scan.command(name="run")
@click.option("--group", "group", metavar="PATH", help="Scan the projects of this group.")
@click.option("--include-subgroups", is_flag=True, help="With --group: also its subgroups.")
@click.option("--instance", is_flag=True, help="Scan every project the token can see.")
@click.option(
    "--projects",
    "projects_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Scan the projects listed in FILE (one id or full path per line, # comments).",
)
@click.option("--include-archived", is_flag=True, help="Also scan archived projects.")
@click.option(
    "--shard",
    metavar="I/N",
    help="Scan shard I of N (default: $CI_NODE_INDEX/$CI_NODE_TOTAL, else 1/1).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Records file, JSON lines (default: scan.jsonl, or shard-I.jsonl when sharded). "
    "An existing file is resumed: unchanged projects are kept.",
)
@click.option("--fresh", is_flag=True, help="Start over instead of resuming --output.")
@click.option(
    "--follow-includes/--no-follow-includes",
    default=True,
    show_default=True,
    help="Read includes of other projects, templates and components through the API, and "
    "configurations kept in another project (ci_config_path FILE@GROUP/PROJECT[:REF]).",
)
@click.option(
    "--follow-remote",
    is_flag=True,
    help="Also fetch remote includes (include: remote: URL) and configurations at a URL, "
    "without the token, each URL once per scan, within --deadline (off by default).",
)
@click.option(
    "--allow-http",
    is_flag=True,
    help="With --follow-remote: accept plain http:// URLs too (default: https only).",
)
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option(
    "--deadline",
    type=click.FloatRange(min=1),
    help="Stop starting projects after this many seconds (they are recorded as not scanned).",
)
@click.option("--retries", type=click.IntRange(0, 20), default=5, show_default=True)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30,
    show_default=True,
    help="Seconds to wait for each HTTP answer.",
)
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules (comma list).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules (comma list).")
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="A variable known at pipeline creation (repeatable).",
)
@click.option("--gitlab-config-section", help="python-gitlab configuration section to use.")
@_report_options
def run(
    group: str | None,
    include_subgroups: bool,
    instance: bool,
    projects_file: Path | None,
    include_archived: bool,
    shard: str | None,
    output: Path | None,
    fresh: bool,
    follow_includes: bool,
    follow_remote: bool,
    allow_http: bool,
    workers: int,
    deadline: float | None,
    retries: int,
    timeout: float,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    variables: tuple[str, ...],
    gitlab_config_section: str | None,
    report_md: Path | None,
    report_html: Path | None,
    per_project_dir: Path | None,
    per_project_format: tuple[str, ...],
    exit_zero: bool,
) -> int:
    """Scan a group (--group), the instance (--instance) or listed projects (--projects)."""
    from cigen.cli.main import _parse_vars
    from cigen.gitlab_api import connect
    from cigen.lint.settings import Config
    from cigen.scan.client import Deadline, Listing, ScanClient
    from cigen.scan.project import LintSetup
    from cigen.scan.records import parse_shard
    from cigen.scan.run import ScanSettings, run_scan

    gc.enable()  # a long run over many projects: let the collector work
    _here(output, "--output", report_md, "--report-md", report_html, "--report-html")
    _here(per_project_dir, "--per-project-dir")
    _check_per_project(per_project_dir, per_project_format)
    chosen = [name for name, on in (("--group", group), ("--instance", instance)) if on]
    if projects_file is not None:
        chosen.append("--projects")
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --group, --instance and --projects")
    if include_subgroups and group is None:
        raise click.UsageError("--include-subgroups needs --group")
    if follow_remote and not follow_includes:
        raise click.UsageError("--follow-remote needs includes followed (no --no-follow-includes)")
    if allow_http and not follow_remote:
        raise click.UsageError("--allow-http needs --follow-remote")
    listing = Listing(
        group=group,
        subgroups=include_subgroups,
        instance=instance,
        projects=_project_list(projects_file) if projects_file is not None else (),
        archived=include_archived,
    )
    index, total = parse_shard(shard, os.environ)
    if output is None:
        output = Path("scan.jsonl" if total == 1 else f"shard-{index}.jsonl")
    config = Config(
        select=_codes(select, "--select"),
        ignore=_codes(ignore, "--ignore"),
        variables=_parse_vars(variables),
    )
    setup = LintSetup(config, Path())
    session = connect(
        env=dict(os.environ),
        config_section=gitlab_config_section,
        timeout=timeout,
        deadline=None,  # the scan's own Deadline bounds it (and each answer is bounded)
        needs="the read_api scope whose user is a Maintainer of the projects (runners)",
    )
    client = ScanClient(session, deadline=Deadline(deadline), workers=workers, retries=retries)
    with session.gl:
        result = run_scan(
            client,
            ScanSettings(
                listing,
                (index, total),
                workers,
                fresh,
                follow_includes,
                follow_remote,
                allow_http,
            ),
            setup,
            output,
        )
    _reports(result.records, report_md, report_html)
    _per_project(result.records, per_project_dir, per_project_format)
    click.echo(
        f"cigen scan: shard {index}/{total}: {len(result.records)} of {result.listed} projects "
        f"({result.scanned} scanned, {result.kept} unchanged and kept, {result.not_scanned} not "
        f"scanned) in {result.seconds:.1f} s, {result.requests} API calls, "
        f"{result.waited:.1f} s waiting for GitLab; records in {output}",
        err=True,
    )
    if result.not_scanned:
        click.echo(
            f"cigen scan: warning: the deadline passed; {result.not_scanned} projects were not "
            "scanned: run the same command again to resume",
            err=True,
        )
    return 0 if exit_zero else _exit_code(result.records)


@scan.command(name="merge")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the merged records (JSON lines) here.",
)
@_report_options
def merge(
    files: tuple[Path, ...],
    output: Path | None,
    report_md: Path | None,
    report_html: Path | None,
    per_project_dir: Path | None,
    per_project_format: tuple[str, ...],
    exit_zero: bool,
) -> int:
    """Combine shard records (shard-*.jsonl) into the result of one scan, and report it."""
    from cigen.scan.records import merge as merge_records
    from cigen.scan.records import write_records

    _here(output, "--output", report_md, "--report-md", report_html, "--report-html")
    _here(per_project_dir, "--per-project-dir")
    _check_per_project(per_project_dir, per_project_format)
    records = merge_records(files)
    if output is not None:
        write_records(output, records)
    _reports(records, report_md, report_html)
    _per_project(records, per_project_dir, per_project_format)
    click.echo(f"cigen scan merge: {len(records)} projects from {len(files)} files", err=True)
    return 0 if exit_zero else _exit_code(records)


def _reports(records: Mapping[int, Any], md: Path | None, html: Path | None) -> None:
    if md is None and html is None:
        return
    from cigen.atomic import write_atomic
    from cigen.scan.report import render_html, render_markdown, summarize

    summary = summarize(records)
    if md is not None:
        write_atomic(md, render_markdown(summary))
    if html is not None:
        if not html.parent.exists():
            html.parent.mkdir(parents=True)
        write_atomic(html, render_html(summary))


def _check_per_project(folder: Path | None, formats: Sequence[str]) -> None:
    if folder is None and formats:
        raise click.UsageError("--per-project-format needs --per-project-dir")


def _per_project(records: Mapping[int, Any], folder: Path | None, formats: Sequence[str]) -> None:
    if folder is None:
        return
    from cigen.scan.outputs import SUFFIXES, write_per_project

    written = write_per_project(records, folder, tuple(dict.fromkeys(formats or SUFFIXES)))
    click.echo(f"cigen scan: {written} per-project reports in {folder}", err=True)


def _exit_code(records: Mapping[int, Any]) -> int:
    """1 when some project has an error finding, else 0."""
    for record in records.values():
        if any(f.get("severity") == "error" for f in record.get("findings", ())):
            return 1
    return 0


def _codes(values: Sequence[str], option: str) -> frozenset[str]:
    from cigen.rules import lookup

    codes: set[str] = set()
    for value in values:
        for item in value.split(","):
            if not item.strip():
                continue
            rule = lookup(item.strip())
            if rule is None:
                raise click.BadParameter(f"{item.strip()!r}: no such rule", param_hint=option)
            codes.add(rule.CODE)
    return frozenset(codes)


def _here(*named: Path | str | None) -> None:
    """Each path given (``path, option`` pairs) must lie inside the current folder once
    resolved, as --projects must (exit 2 otherwise)."""
    from cigen.project import confine

    for path, option in zip(named[::2], named[1::2], strict=True):
        if isinstance(path, Path):
            confine(path, Path.cwd(), str(option))


def _project_list(path: Path) -> tuple[str, ...]:
    """Project ids or full paths, one per line; blank lines and ``#`` comments skipped."""
    from cigen.project import read_file

    data = read_file(path, root=Path.cwd(), what="the project list", label=f"--projects {path}")
    assert data is not None
    names = []
    for raw in data.decode("utf-8", "replace").splitlines():
        text = raw.split("#", 1)[0].strip()
        if text:
            names.append(text)
    if not names:
        raise CigenError(f"--projects {path}: no project listed (one id or full path per line)")
    return tuple(dict.fromkeys(names))
