"""Assertions shared by the lint tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cigen.lint.engine import LintResult, lint

Files = Mapping[str, "str | bytes"]


def write_files(root: Path, files: Files) -> None:
    """Write each ``relative path -> text (or bytes)`` below ``root``."""
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def lint_tree(root: Path, files: Files, **options: Any) -> LintResult:
    """Write ``files`` into ``root`` and lint ``root/.gitlab-ci.yml`` with ``root`` as root."""
    write_files(root, files)
    return lint(root / ".gitlab-ci.yml", root=root, **options)


def _key(diag: Any) -> tuple[int, int, str]:
    return (diag.line, diag.col, diag.code)


def found_positions(result: Any, *, path: str | None = None) -> set[tuple[int, int, str]]:
    """``(line, col, code)`` of every finding (of one file when ``path`` is given)."""
    return {_key(d) for d in result.diagnostics if path is None or d.path == path}


def _describe(result: Any, keys: Iterable[tuple[int, int, str]]) -> list[str]:
    wanted = set(keys)
    out = []
    for diag in result.diagnostics:
        if _key(diag) in wanted or (diag.line, diag.col, diag.name) in wanted:
            out.append(
                f"    {diag.path}:{diag.line}:{diag.col} {diag.code} {diag.name} "
                f"[{diag.severity.label}] {diag.message}"
            )
    return out


def assert_diagnostics(result: Any, expected: Iterable[tuple[int, int, str]]) -> None:
    """The findings are exactly ``expected``: a set of ``(line, col, code or name)``.

    Each expected entry may name the rule by code (``CIG202``) or by name
    (``needs-unknown-job``); the failure message lists what is missing and what is extra.
    """
    wanted = set(expected)
    by_name = {(d.line, d.col, d.name): _key(d) for d in result.diagnostics}
    normalized = {by_name.get(item, item) for item in wanted}
    actual = found_positions(result)
    missing = sorted(normalized - actual)
    extra = sorted(actual - normalized)
    if not missing and not extra:
        return
    lines = ["findings differ from the expected ones"]
    if missing:
        lines.append("  missing (line, col, code):")
        lines.extend(f"    {item}" for item in missing)
    if extra:
        lines.append("  unexpected:")
        lines.extend(_describe(result, extra))
    lines.append("  all findings:")
    lines.extend(
        f"    {d.path}:{d.line}:{d.col} {d.code} {d.name} [{d.severity.label}] {d.message}"
        for d in result.diagnostics
    )
    raise AssertionError("\n".join(lines))


def invoke(*args: str) -> tuple[int, str, str]:
    """Run a generation command as ``cigen.cli.main`` would: (exit code, stdout, stderr)."""
    import click
    from click.testing import CliRunner

    from cigen.cli.generate import register
    from cigen.errors import CigenError

    group = click.Group("cigen")
    register(group)
    result = CliRunner().invoke(group, list(args), standalone_mode=False)
    err = result.stderr
    exc = result.exception
    if exc is None:
        code = result.return_value
    elif isinstance(exc, CigenError):
        code, err = 2, err + f"cigen: error: {exc}\n"
    elif isinstance(exc, click.ClickException):
        code, err = 2, err + exc.format_message() + "\n"
    else:
        raise exc
    assert isinstance(code, int)
    return code, result.stdout, err
