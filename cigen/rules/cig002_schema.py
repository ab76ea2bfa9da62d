"""A key or value GitLab's configuration validation refuses.

## What it does
Validates the configuration the way GitLab 18.9 does, after includes, ``extends`` and
``!reference`` are resolved: GitLab's entry classes (``lib/gitlab/ci/config/entry/**``: every
job, trigger job, ``default``, ``workflow``, ``rules``, ``cache``, ``artifacts``, ...) and
the checks of ``lib/gitlab/ci/yaml_processor.rb``. The message is GitLab's own text, as CI Lint
shows it; the position is the key or value it is about, in the file where it is written.

Like GitLab, a ``null`` value counts as unset, and a job whose own keys are wrong is not
checked further until they are fixed. A file's ``spec:`` header is checked here too
(``lib/gitlab/ci/config/header/**``); the includes themselves are checked as GitLab reads them
(CIG101-CIG107), and ``include:`` by the entry tree only when it names no file to include, as in
GitLab. The editor schema (``ci.json``) decides nothing.

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

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.rules._common import from_events, from_model
from cigen.yaml.load import YMap

CODE = "CIG002"
NAME = "schema"
SEVERITY = Severity.ERROR
SUMMARY = "a key or value GitLab's configuration validation refuses"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    pipeline = ctx.pipeline
    for document in pipeline.documents:
        body = document.body
        if not isinstance(body, YMap) and (body is not None or document.path == pipeline.entry):
            yield at(
                getattr(body, "mark", None) or Mark(document.path, 1, 1),
                CODE,
                NAME,
                SEVERITY,
                "Invalid configuration format: the file must be a mapping of keys to values",
            )
    # a file's ``spec:`` header (``lib/gitlab/ci/config/header/**``), checked as the resolver
    # interpolates the file; ``include:`` itself is the entry tree's ``Entry::Includes``
    yield from from_events(ctx, "include-header", CODE, NAME, SEVERITY)
    yield from from_model(ctx, CODE, NAME, SEVERITY)
