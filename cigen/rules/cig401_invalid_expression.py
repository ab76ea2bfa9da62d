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

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.yaml.load import YMap, YSeq

CODE = "CIG401"
NAME = "invalid-expression"
SEVERITY = Severity.ERROR
SUMMARY = "an if: expression GitLab cannot parse"


def _rule_ifs(rules: Any, out: list[tuple[str, Mark]], walked: set[int]) -> None:
    """Append the ``if:`` of each rule of ``rules`` to ``out``; a list in ``walked`` (by
    identity: one a ``!reference`` or an anchor shares) was walked already, its ``if:``
    appended then."""
    if not isinstance(rules, YSeq) or id(rules) in walked:
        return
    walked.add(id(rules))
    for rule in rules:
        if isinstance(rule, YMap) and isinstance(rule.get("if"), str):
            out.append((rule["if"], rule.value_mark("if")))
        elif isinstance(rule, YSeq):
            _rule_ifs(rule, out, walked)


def _expressions(entry: Any, out: list[tuple[str, Mark]], walked: set[int]) -> None:
    """Append the ``if:`` of rules, and only/except variables, in one top-level entry (job,
    template, ``workflow``) or in an ``include`` list to ``out``."""
    if isinstance(entry, YSeq):  # include entries
        for item in entry:
            if isinstance(item, YMap):
                _rule_ifs(item.get("rules"), out, walked)
        return
    if not isinstance(entry, YMap):
        return
    _rule_ifs(entry.get("rules"), out, walked)
    for key in ("only", "except"):
        policy = entry.get(key)
        variables = policy.get("variables") if isinstance(policy, YMap) else None
        if isinstance(variables, YSeq):
            for index, text in enumerate(variables):
                if isinstance(text, str):
                    out.append((text, variables.item_mark(index)))


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    seen: set[tuple[str, int, int]] = set()
    config = ctx.pipeline.config
    sources: list[Any] = list(config.values()) if config is not None else []
    for doc in ctx.pipeline.documents:
        if isinstance(doc.body, YMap):
            include = doc.body.get("include")
            sources.append(include if isinstance(include, YSeq) else None)
    found: list[tuple[str, Mark]] = []
    walked: set[int] = set()
    for source in sources:
        _expressions(source, found, walked)
    from cigen.expressions import validate

    for text, mark in found:
        place = (mark.path, mark.line, mark.col)  # the mark's own hash, without its call
        if place in seen:
            continue
        seen.add(place)
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
