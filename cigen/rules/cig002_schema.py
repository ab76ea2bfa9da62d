"""A key or value GitLab's configuration validation refuses.

## What it does
Validates the configuration the way GitLab 18.9 does, after includes, ``extends`` and
``!reference`` are resolved: GitLab's entry classes (``lib/gitlab/ci/config/entry/**``: every
job, trigger job, ``default``, ``workflow``, ``rules``, ``cache``, ``artifacts``, ...) and
the checks of ``lib/gitlab/ci/yaml_processor.rb``. The message is GitLab's own text, as CI Lint
shows it; the position is the key or value it is about, in the file where it is written.

Like GitLab, a ``null`` value counts as unset, and a job whose own keys are wrong is not
checked further until they are fixed.

Which code a refusal gets: every check of GitLab's validation is reported under this rule,
except those an older rule already owned, which keep their code (``CIG201``-``CIG204``,
``CIG206``-``CIG210``). New GitLab checks never get codes of their own; cigen's own advice about
configurations GitLab accepts does (as warnings or info), so ``--ignore schema`` never hides
advice, and an error always means GitLab refuses the configuration.

## Why is this bad?
GitLab refuses the whole configuration: no pipeline is created.

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
from cigen.rules._common import from_model
from cigen.schema import validate
from cigen.yaml.load import YMap

CODE = "CIG002"
NAME = "schema"
SEVERITY = Severity.ERROR
SUMMARY = "a key or value GitLab's configuration validation refuses"


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
            from cigen.config.header import header
            from cigen.config.node import Check

            c = Check()
            header(c, loaded.header, loaded.header.mark)
            for error in c.errors:
                yield at(error.mark, CODE, NAME, SEVERITY, error.text)
    yield from from_model(ctx, CODE, NAME, SEVERITY)
