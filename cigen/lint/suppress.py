"""Apply ``# cigen: ignore[...]`` comments to findings, and report the ones that matched none.

Runs in the engine after the rules: a pure step from (findings, the loaded files' directives)
to (kept findings, ``unused-suppression`` findings). The directives were scanned from each
file's text when it was loaded (:mod:`cigen.yaml.directives`), so no file is read again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from cigen.diagnostics import Diagnostic, at
from cigen.records import dataclass
from cigen.yaml.directives import Directive
from cigen.yaml.load import Loaded


@dataclass(frozen=True)
class Suppressed:
    kept: tuple[Diagnostic, ...]
    unused: tuple[Diagnostic, ...]


def _describe(code: str) -> str:
    from cigen.rules import RULES

    return f"{code} {RULES[code].NAME}"


def apply_suppressions(
    diags: Iterable[Diagnostic],
    files: Mapping[str, Loaded],
    ran: Callable[[str], bool],
) -> Suppressed:
    """Drop the findings a directive names; ``ran(code)`` says whether a rule was run."""
    from cigen.rules import cig005_unused_suppression as rule
    from cigen.rules import lookup

    unused: list[Diagnostic] = []
    by_file: dict[str, dict[str, Directive]] = {}
    by_line: dict[tuple[str, int], dict[str, Directive]] = {}
    wanted: dict[tuple[Directive, str], bool] = {}  # (directive, code) -> used
    for path, loaded in files.items():
        for directive in loaded.directives:
            if not directive.names:
                unused.append(
                    _finding(
                        directive,
                        f"this {directive.kind} comment names no rule; write "
                        f"# cigen: {directive.kind}[CODE] with the codes to silence",
                    )
                )
                continue
            if directive.misplaced:
                unused.append(
                    _finding(
                        directive,
                        "ignore-file works only in the comment block at the top "
                        "of the file; move it there",
                    )
                )
                continue
            for name in directive.names:
                found = lookup(name)
                if found is None:
                    unused.append(
                        _finding(
                            directive,
                            f"no rule is named {name!r}; `cigen rules` lists the codes and names",
                        )
                    )
                    continue
                wanted[(directive, found.CODE)] = False
                if directive.kind == "ignore-file":
                    by_file.setdefault(path, {})[found.CODE] = directive
                else:
                    by_line.setdefault((path, directive.target), {})[found.CODE] = directive
    kept: list[Diagnostic] = []
    for diag in diags:
        match = by_line.get((diag.path, diag.line), {}).get(diag.code)
        if match is None:
            match = by_file.get(diag.path, {}).get(diag.code)
        if match is None:
            kept.append(diag)
        else:
            wanted[(match, diag.code)] = True
    for (directive, code), used in wanted.items():
        if used or not ran(code):
            continue
        where = "in this file" if directive.kind == "ignore-file" else f"on line {directive.target}"
        unused.append(
            _finding(
                directive,
                f"the suppression of {_describe(code)} matches no finding {where}; remove it",
            )
        )
    silenced = [d for d in unused if rule.CODE in by_file.get(d.path, {})]
    return Suppressed(tuple(kept), tuple(d for d in unused if d not in silenced))


def _finding(directive: Directive, message: str) -> Diagnostic:
    from cigen.rules import cig005_unused_suppression as rule

    return at(directive.mark, rule.CODE, rule.NAME, rule.SEVERITY, message)
