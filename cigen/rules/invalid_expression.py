"""An ``if:`` expression GitLab cannot parse.

## What it does
Parses every ``rules:if`` (job rules, ``workflow:rules``, ``include:rules``) and every
``only:variables``/``except:variables`` expression with GitLab's own lexer and grammar: no
barewords or numbers, no ``${VAR}``, string literals without escapes, regular expressions of at
least two characters that RE2 accepts, balanced parentheses, at most 100 tokens.

## Why is this bad?
GitLab rejects the configuration: "invalid expression syntax".

## Example
```yaml
build:
  script: [make]
  rules:
    - if: $CI_COMMIT_BRANCH == main
```

## Use instead
```yaml
build:
  script: [make]
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cigen.context import LintContext
from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.yamlload import YMap, YSeq

CODE = "CIG401"
NAME = "invalid-expression"
SEVERITY = Severity.ERROR
SUMMARY = "an if: expression GitLab cannot parse"


def _expressions(value: Any, key: str = "") -> Iterator[tuple[str, Mark]]:
    if isinstance(value, YMap):
        for name, item in value.items():
            if name == "if" and key == "rules" and isinstance(item, str):
                yield item, value.value_mark(name)
            elif name == "variables" and key in ("only", "except") and isinstance(item, YSeq):
                for index, text in enumerate(item):
                    if isinstance(text, str):
                        yield text, item.item_mark(index)
            else:
                yield from _expressions(item, name)
    elif isinstance(value, YSeq):
        for item in value:
            yield from _expressions(item, key)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    from cigen.expressions import validate

    seen: set[Mark] = set()
    sources: list[Any] = [ctx.pipeline.config]
    sources.extend(
        doc.body.get("include") for doc in ctx.pipeline.documents if isinstance(doc.body, YMap)
    )
    for source in sources:
        for text, mark in _expressions(
            source, "include" if source is not ctx.pipeline.config else ""
        ):
            if mark in seen:
                continue
            seen.add(mark)
            error = validate(text)
            if error is not None:
                yield at(
                    mark,
                    CODE,
                    NAME,
                    SEVERITY,
                    f"invalid expression syntax in {text!r}: {error.message} at character "
                    f'{error.offset + 1}; quote strings and compare with literals like "main"',
                    anchor=text,
                )
