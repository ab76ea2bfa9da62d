"""A value that GitLab's CI schema does not allow.

## What it does
Validates the configuration against GitLab's own CI JSON schema (``ci.json``, read from the
check-jsonschema package, or ``--schema FILE``), after includes, ``extends`` and
``!reference`` are resolved, as GitLab validates it. Each error is reported at the unknown key
or the offending value, in the file where it is written.

Like GitLab, a ``null`` value counts as unset, integer variable values are accepted, and nested
lists in ``script``, ``rules``, ``stages``, ``services`` and ``cache`` are flattened first. A
``pattern`` is not checked on a value that holds a ``$VARIABLE``, which GitLab expands later.

## Why is this bad?
GitLab refuses configurations with unknown keys or values of the wrong type.

## Example
```yaml
build:
  scirpt: [make]
  script: [make]
```

## Use instead
```yaml
build:
  script: [make]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.model import GLOBAL_KEYS
from cigen.schema import normalize, validate, validate_entries
from cigen.yaml.load import YMap

CODE = "CIG002"
NAME = "schema"
SEVERITY = Severity.ERROR
SUMMARY = "a key or value GitLab's CI schema does not allow"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    validator = ctx.schema_validator
    if validator is None:
        return
    pipeline = ctx.pipeline
    memo: dict[str, list[Any]] = {}
    for document in pipeline.documents:
        body = document.body
        if not isinstance(body, YMap):
            mark = getattr(body, "mark", None)
            if body is not None or document.path == pipeline.entry:
                yield at(
                    mark or Mark(document.path, 1, 1),
                    CODE,
                    NAME,
                    SEVERITY,
                    "Invalid configuration format: the file must be a mapping of keys to values",
                )
            continue
        if "include" in body:
            probe = YMap(body.mark)
            probe.put(
                "include", body["include"], body.key_mark("include"), body.value_mark("include")
            )
            for issue in validate(probe, validator, document.path, memo):
                yield at(issue.mark, CODE, NAME, SEVERITY, issue.message, anchor=issue.anchor)
    for document in pipeline.documents:
        loaded = pipeline.files.get(document.path)
        if loaded is not None and loaded.header is not None:
            for issue in validate(normalize(loaded.header), validator, document.path, memo):
                yield at(issue.mark, CODE, NAME, SEVERITY, issue.message, anchor=issue.anchor)
    if pipeline.config is None:
        return
    for issue in validate_entries(pipeline.config, validator, memo):
        if issue.anchor.split(".", 1)[0].split("[", 1)[0] in pipeline.tainted:
            continue  # a broken !reference there is reported by reference-unknown
        yield at(
            issue.mark,
            CODE,
            NAME,
            SEVERITY,
            issue.message,
            job=_job(ctx, issue.job),
            anchor=issue.anchor,
        )


def _job(ctx: LintContext, name: str | None) -> str | None:
    if name is None or name.startswith(".") or name in GLOBAL_KEYS:
        return None
    return name
