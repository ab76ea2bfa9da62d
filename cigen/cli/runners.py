"""``cigen runners``: which runner takes which job, and the runners themselves as code.

``cigen runners [PATH]`` lists, per runner, the jobs it can take (the default subcommand);
``export`` prints an inventory; ``render`` writes Kubernetes manifests and Helm values;
``apply`` creates and updates the runners in GitLab; ``diff`` reports drift.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from cigen.errors import CigenError
from cigen.terminal import visible

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
DEFAULT_INVENTORY = Path("runners.yml")


def register(cli: click.Group) -> None:
    """Add ``runners`` and its subcommands to ``cli``."""
    cli.add_command(runners)


class _RunnersGroup(click.Group):
    """A group whose first argument may also be the pipeline path of the default command."""

    DEFAULT = "jobs"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = [self.DEFAULT, *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RunnersGroup)
def runners() -> None:
    """Which runner takes which job, and the runners as code.

    `cigen runners [PATH]` lists, per runner, the jobs of PATH (default .gitlab-ci.yml) it can
    take, and the jobs no runner can take. The subcommands keep runners.yml, the Kubernetes
    cluster and GitLab in step: render the manifests and Helm values, apply the inventory to
    GitLab, diff it against GitLab, export GitLab's runners as an inventory.
    """


_inventory_argument = click.argument(
    "inventory",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_INVENTORY,
)
_gitlab_section = click.option(
    "--gitlab-config-section", help="python-gitlab configuration section to use."
)


@runners.command(name="jobs")
@click.argument("path", type=click.Path(path_type=Path), default=Path(".gitlab-ci.yml"))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), help="Project root.")
@click.option("--runners", "runners_source", metavar="FILE|gitlab", help="Runner inventory.")
@click.option("--project", help="GitLab project id or path (default: $CI_PROJECT_ID).")
@_gitlab_section
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE")
def jobs(
    path: Path,
    root: Path | None,
    runners_source: str | None,
    project: str | None,
    gitlab_config_section: str | None,
    fmt: str,
    variables: tuple[str, ...],
) -> int:
    """Per runner, the jobs of PATH it can take, and the jobs no runner can take.

    The default subcommand: `cigen runners [PATH]` is `cigen runners jobs [PATH]`.
    """
    import json

    from cigen.cli.main import _load_config, _parse_vars, _runner_inventory
    from cigen.lint.engine import load_pipeline
    from cigen.runners.match import JobTags, match
    from cigen.runners.tags import tagged_jobs

    opts = {"project": project, "gitlab_config_section": gitlab_config_section}
    config = _load_config(path, root, None)
    known = {**config.variables, **_parse_vars(variables)}
    inventory = _runner_inventory(runners_source, config, opts)
    if inventory is None:
        raise CigenError(
            "no runner inventory: pass --runners FILE|gitlab or set runners: in .cigen.yaml"
        )
    pipeline = load_pipeline(path, root=root, variables=known)
    tagged = list(tagged_jobs(pipeline, known))
    found = match([JobTags(j.name, j.tags, j, None) for j in tagged], inventory)
    per_runner: dict[str, list[str]] = {r.name: [] for r in inventory}
    stuck: list[dict[str, Any]] = []
    for job, result in zip(tagged, found, strict=True):
        takers = list(result.eligible) + list(result.protected_only)
        for runner in takers:
            per_runner[runner.name].append(job.name)
        if not takers:
            stuck.append({"job": job.name, "tags": list(job.tags)})
    if fmt == "json":
        data = {
            "runners": [
                {
                    "name": r.name,
                    "tags": list(r.tag_order or sorted(r.tags)),
                    "paused": r.paused,
                    "protected": r.protected,
                    "namespace": r.namespace,
                    "jobs": per_runner[r.name],
                }
                for r in inventory
            ],
            "unmatched": stuck,
        }
        click.echo(json.dumps(data, indent=2))
    else:
        for runner in inventory:
            flags = [
                f for f, on in (("paused", runner.paused), ("protected", runner.protected)) if on
            ]
            where = f" ns={runner.namespace}" if runner.namespace else ""
            tags = ", ".join(runner.tag_order or sorted(runner.tags))
            head = visible(f"{runner.name} [{tags}]{where}")
            click.echo(head + (f" ({', '.join(flags)})" if flags else ""))
            for name in per_runner[runner.name]:
                click.echo(f"  {visible(name)}")
        click.echo("no runner can take:" if stuck else "every job has a runner")
        for item in stuck:
            click.echo(visible(f"  {item['job']} [{', '.join(item['tags'])}]"))
    return EXIT_FINDINGS if stuck else EXIT_CLEAN


@runners.command()
@click.option("--runners", "runners_source", metavar="FILE|gitlab", help="Runner inventory.")
@click.option("--project", help="GitLab project id or path (default: $CI_PROJECT_ID).")
@_gitlab_section
def export(
    runners_source: str | None, project: str | None, gitlab_config_section: str | None
) -> int:
    """Print an inventory in the runners.yml format.

    `cigen runners export --runners gitlab > runners.yml` snapshots the runners GitLab has for
    the project, so a pre-commit hook can lint offline.
    """
    from cigen.cli.main import _runner_inventory
    from cigen.lint.settings import Config
    from cigen.runners.inventory import check_inventory, dump_inventory
    from cigen.yaml.dump import dump

    opts = {"project": project, "gitlab_config_section": gitlab_config_section}
    inventory = _runner_inventory(runners_source, Config(), opts)
    if inventory is None:
        raise CigenError("runners export needs --runners FILE|gitlab")
    data = dump_inventory(inventory)
    check_inventory(data)  # never write a file cigen could not read back
    click.echo(dump(data, "Runner inventory exported by cigen"), nl=False)
    return EXIT_CLEAN


@runners.command()
@_inventory_argument
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the files below this folder (default: print them; Secrets without values).",
)
@click.option(
    "--gitlab-url",
    help="GitLab URL for runners whose inventory entry names none "
    "(default: $GITLAB_URL, else $CI_SERVER_URL).",
)
@click.option("--force", is_flag=True, help="Replace files that cigen did not write.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 when a manifest or values file below -o DIR is not current "
    "(Secret files are not compared: they hold local values).",
)
def render(
    inventory: Path, out_dir: Path | None, gitlab_url: str | None, force: bool, check: bool
) -> int:
    """Kubernetes manifests and Helm values for the runners of INVENTORY.

    For each runner with a kubernetes block: <name>/kubernetes.yaml (namespaces,
    ServiceAccounts, a least-privilege Role and its RoleBinding in the job namespace, PVCs),
    <name>/secrets/*.yaml (the token Secret and the Secrets jobs mount, mode 0600; values
    already filled in are kept) and <name>/values.yaml for the gitlab-runner Helm chart.
    """
    from cigen.runners.files import kept_values, write_files
    from cigen.runners.render import render as render_files
    from cigen.runners.render import stream

    if check and out_dir is None:
        raise click.UsageError("--check compares with the files below -o DIR: give -o DIR")
    runners_found = _named_inventory(inventory)
    url = gitlab_url or os.environ.get("GITLAB_URL") or os.environ.get("CI_SERVER_URL")
    if not any(runner.kubernetes is not None for runner in runners_found):
        raise CigenError(f"{inventory}: no runner has a kubernetes block; nothing to render")
    source = inventory.as_posix()
    if out_dir is None:
        click.echo(stream(render_files(runners_found, source=source, gitlab_url=url)), nl=False)
        return EXIT_CLEAN
    if check:
        return _render_check(out_dir, render_files(runners_found, source=source, gitlab_url=url))
    kept = kept_values(out_dir, runners_found)
    files = render_files(runners_found, source=source, gitlab_url=url, kept=kept)
    changed = write_files(out_dir, files, force=force)
    for path in changed:
        click.echo(f"wrote {(out_dir / path).as_posix()}")
    click.echo(f"{len(files) - len(changed)} of {len(files)} files already up to date", err=True)
    return EXIT_CLEAN


def _render_check(out_dir: Path, files: Sequence[Any]) -> int:
    from cigen.generate.output import stale_diff

    stale = 0
    for item in files:
        if item.secret:
            continue
        diff = stale_diff(out_dir / item.path, item.text)
        if diff is not None:
            stale += 1
            click.echo(diff, nl=False)
    if stale:
        click.echo(
            f"{stale} rendered file(s) are not current: run cigen runners render -o "
            f"{out_dir.as_posix()}",
            err=True,
        )
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _session(gitlab_config_section: str | None) -> Any:
    from cigen.gitlab_api import MANAGE_NEEDS, connect

    return connect(env=dict(os.environ), config_section=gitlab_config_section, needs=MANAGE_NEEDS)


def _named_inventory(inventory: Path) -> tuple[Any, ...]:
    """The inventory named on the command line, read inside its project."""
    from cigen.project import find_root
    from cigen.runners.inventory import load_inventory

    return load_inventory(inventory, root=find_root(inventory, None), explicit=True)


def _managed(inventory: Path) -> tuple[Any, ...]:
    from cigen.runners.sync import managed

    found = _named_inventory(inventory)
    if not managed(found):
        raise CigenError(
            f"{inventory}: no runner has a scope (instance, {{group: ...}} or {{project: ...}}), "
            "so there is nothing to compare with GitLab"
        )
    return found


def _plan(runners_found: Sequence[Any], session: Any) -> tuple[dict[Any, int], tuple[Any, ...]]:
    from cigen.gitlab_api import live_runners
    from cigen.runners.sync import managed, plan

    scopes = [runner.scope for runner in managed(runners_found) if runner.scope is not None]
    owners, live = live_runners(session, scopes)
    return owners, plan(runners_found, live)


@runners.command()
@_inventory_argument
@_gitlab_section
def diff(inventory: Path, gitlab_config_section: str | None) -> int:
    """Compare INVENTORY with the runners GitLab has; exit 1 on drift.

    Reports runners missing in GitLab, runners of a managed scope GitLab has but the inventory
    does not, and tags or flags that differ. Needs GITLAB_URL and GITLAB_TOKEN (or a
    python-gitlab config section).
    """
    from cigen.runners.sync import diff_line

    runners_found = _managed(inventory)
    session = _session(gitlab_config_section)
    with session.gl:
        _owners, actions = _plan(runners_found, session)
    drift = [action for action in actions if action.drift]
    for action in drift:
        click.echo(diff_line(action))
    in_step = len(actions) - len(drift)
    click.echo(
        f"{len(drift)} difference(s); {in_step} runner(s) in step"
        if drift
        else f"in step: {in_step} runner(s) match GitLab",
        err=True,
    )
    return EXIT_FINDINGS if drift else EXIT_CLEAN


@runners.command()
@_inventory_argument
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The `runners render` folder: each new runner's token is written into its Secret file.",
)
@click.option("--show-token", is_flag=True, help="Print each new runner's token (once).")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@click.option("--yes", is_flag=True, help="Apply without asking.")
@_gitlab_section
def apply(
    inventory: Path,
    out_dir: Path | None,
    show_token: bool,
    dry_run: bool,
    yes: bool,
    gitlab_config_section: str | None,
) -> int:
    """Create the runners of INVENTORY that GitLab lacks and update the tags and flags of the
    others (POST /user/runners, PUT /runners/:id).

    Runners are found by description within their scope, never created twice. The plan is
    printed first; without --yes cigen asks, and without a terminal it changes nothing. A new
    runner's token, which GitLab shows once, goes into its Secret file below -o DIR (mode 0600)
    or, with --show-token, to the output; never anywhere else.
    """
    from cigen.gitlab_api import create_runner, update_runner
    from cigen.runners.files import store_token

    runners_found = _managed(inventory)
    session = _session(gitlab_config_section)
    with session.gl:
        owners, actions = _plan(runners_found, session)
        for action in actions:
            click.echo(str(action))
        creates = [a for a in actions if a.kind == "create"]
        updates = [a for a in actions if a.kind == "update"]
        if out_dir is not None:
            _note_missing_tokens(actions, out_dir)
        ambiguous = any(a.kind == "ambiguous" for a in actions)
        _check_token_destination(creates, out_dir, show_token)
        if not creates and not updates:
            click.echo("nothing to change")
            return EXIT_FINDINGS if ambiguous else EXIT_CLEAN
        if dry_run:
            click.echo("dry run: nothing changed")
            return EXIT_CLEAN
        if not yes and not _confirmed(len(creates), len(updates)):
            return EXIT_FINDINGS
        for action in creates:
            runner_id, token = create_runner(session, action.runner, owners)
            click.echo(f"created {action.runner.name} #{runner_id}")
            if out_dir is not None and action.runner.kubernetes is not None:
                path = store_token(out_dir, action.runner, token, source=inventory.as_posix())
                click.echo(f"  token written to {path.as_posix()} (mode 0600)")
            if show_token:
                click.echo(f"  token: {token}")
        for action in updates:
            (live,) = action.live
            update_runner(session, live.id, {c.field: c.wanted for c in action.changes})
            click.echo(f"updated {action.runner.name} #{live.id}")
    return EXIT_FINDINGS if ambiguous else EXIT_CLEAN


def _note_missing_tokens(actions: Sequence[Any], out_dir: Path) -> None:
    """Say which runners GitLab has whose token is not in their Secret file below ``out_dir``:
    GitLab never shows a token again, so it must be reset."""
    from cigen.runners.files import kept_values
    from cigen.runners.render import TOKEN_KEY, token_secret_path

    for action in actions:
        runner = action.runner
        if action.kind not in ("ok", "update") or runner.kubernetes is None:
            continue
        path = token_secret_path(runner)
        if TOKEN_KEY not in kept_values(out_dir, [runner]).get(path, {}):
            (live,) = action.live
            where = (out_dir / path).as_posix()
            click.echo(
                f"note: {runner.name} #{live.id} exists in GitLab but {where} "
                f"has no {TOKEN_KEY}; GitLab shows a token only once, so reset it (POST "
                f"/runners/{live.id}/reset_authentication_token) and put the new one there"
            )


def _check_token_destination(creates: Sequence[Any], out_dir: Path | None, show: bool) -> None:
    """Refuse, before changing anything, to create a runner whose token would be lost."""
    if show:
        return
    lost = [a.runner.name for a in creates if out_dir is None or a.runner.kubernetes is None]
    if lost:
        raise CigenError(
            f"GitLab shows a new runner's token only once, and it would be lost for "
            f"{', '.join(lost)}: pass -o DIR (the `cigen runners render` folder; runners need a "
            "kubernetes block) to write it into the token Secret, or --show-token to print it"
        )


def _confirmed(creates: int, updates: int) -> bool:
    if not sys.stdin.isatty():
        raise CigenError(
            "not changing GitLab without confirmation: no terminal to ask on. Run with --yes "
            "to apply the plan above, or --dry-run to only print it"
        )
    question = f"Create {creates} and update {updates} runner(s) in GitLab?"
    if click.confirm(question, default=False):
        return True
    click.echo("nothing changed")
    return False
