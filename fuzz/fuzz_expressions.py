"""Fuzz the ``rules:if`` expression parser and evaluator.

``parse`` may raise only ``ExpressionError``; ``truthful`` never raises; a parsed expression
prints back (``inspect``) and lists its variables. Half of the inputs are raw text, half a
soup of GitLab's lexemes. Run: ``python fuzz/fuzz_expressions.py -runs=20000``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from cigen.expressions import ExpressionError, inspect, parse, truthful, variables_read

LEXEMES = [
    "$VAR",
    "$CI_COMMIT_BRANCH",
    "$EMPTY",
    '"main"',
    "'rel'",
    '""',
    "/^ma.*$/",
    "/x/i",
    "/(/",
    "/a\\/b/m",
    "null",
    "true",
    "false",
    "==",
    "!=",
    "=~",
    "!~",
    "&&",
    "||",
    "!",
    "(",
    ")",
    "$[[ inputs.name ]]",
    " ",
    "  ",
    "\t",
    "\n",
    "=",
    "&",
    "|",
    "~",
    '"',
    "'",
    "/",
    "$",
    "é",
    "\x00",
]
VARIABLES = {"VAR": "main", "CI_COMMIT_BRANCH": "/ma.*/", "EMPTY": "", "BAD": "/(/"}
INPUTS = {"name": "main"}


def soup(fdp: atheris.FuzzedDataProvider) -> str:
    count = fdp.ConsumeIntInRange(0, 40)
    return "".join(fdp.PickValueInList(LEXEMES) for _ in range(count))


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = soup(fdp) if fdp.ConsumeBool() else fdp.ConsumeUnicodeNoSurrogates(200)
    try:
        expression = parse(text)
    except ExpressionError:
        pass
    else:
        inspect(expression)
        variables_read(expression)
    assert truthful(text, VARIABLES, INPUTS) in (True, False)
    assert truthful(text, {}) in (True, False)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
