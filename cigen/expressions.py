"""GitLab CI/CD variable expressions (``rules:if``, ``workflow:rules:if``, ``only:variables``).

This is a faithful re-implementation of GitLab's ``Gitlab::Ci::Pipeline::Expression`` (lexer,
shunting-yard parser and lexeme evaluation) as described in ``gitlab-ci-semantics.md`` section 5.
The quirks are deliberate, because ``cigen`` must agree with GitLab, not with intuition:

* The lexer tries lexemes in a fixed order at each position and takes the first that matches (no
  longest match). It stops with "Too many tokens!" once it has read ``max_tokens`` tokens (100),
  so at most 99 tokens are accepted.
* String literals have no escapes; regex literals need at least two characters between the
  slashes, accept the flags ``i``/``s``/``m``/``U`` (RE2 meanings) and ``\\/`` for a slash.
* Regexes are RE2 (``google-re2``): a pattern RE2 rejects is a syntax error as a literal and a
  plain string (substring fallback) when it comes from a variable or string literal.
* The parser is GitLab's shunting-yard: it accepts some odd token orders that GitLab accepts too
  (``$A $B ==`` parses as ``$A == $B``).
* ``&&`` and ``||`` return operands with Ruby truthiness (only ``nil``/``false`` are falsy), and a
  ``rules:if`` matches when the final value is *present* (not nil/false/blank).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Final, TypeAlias

from cigen.records import dataclass, field
from cigen.regex import compile_re2, lazy_pattern

__all__ = [
    "And",
    "Boolean",
    "Equals",
    "Expression",
    "ExpressionError",
    "ExpressionRuntimeError",
    "ExpressionSyntaxError",
    "Input",
    "Matches",
    "Not",
    "NotEquals",
    "NotMatches",
    "Null",
    "Or",
    "PatternLiteral",
    "Regex",
    "StringLiteral",
    "Token",
    "Value",
    "Variable",
    "apply_operator",
    "build_pattern",
    "compile_regex",
    "evaluate",
    "fabricate_regex",
    "has_ruby_regexp_syntax",
    "input_names",
    "inspect",
    "is_present",
    "parse",
    "ruby_to_s",
    "scan_token",
    "tokenize",
    "truthful",
    "validate",
    "variables_read",
]

MAX_TOKENS: Final = 100


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ExpressionError(Exception):
    """A problem with an expression; ``offset`` is the 0-based position of the problem."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at offset {self.offset})"


class ExpressionSyntaxError(ExpressionError):
    """What GitLab reports as ``invalid expression syntax`` (lexer, parser, operator errors)."""


class ExpressionRuntimeError(ExpressionError):
    """An error while evaluating; GitLab then treats the expression as false."""


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Regex:
    """An RE2 regular expression value (``Gitlab::UntrustedRegexp``); equality is by source."""

    source: str

    def search(self, text: str) -> bool:
        """Unanchored search: true when the pattern matches anywhere in ``text``."""
        compiled = compile_re2(self.source)
        if compiled is None:  # pragma: no cover - Regex values are only built from valid sources
            raise ExpressionRuntimeError("Invalid regular expression!")
        return compiled.search(text) is not None

    def __str__(self) -> str:
        return f"/{self.source}/"


Value: TypeAlias = str | bool | int | float | Regex | None
"""An evaluated operand. Variables are strings; ``int``/``float`` only come from typed inputs."""


def compile_regex(source: str) -> Regex:
    """A :class:`Regex` for an RE2 source; :class:`ExpressionSyntaxError` if RE2 rejects it."""
    if compile_re2(source) is None:
        raise ExpressionSyntaxError("Invalid regular expression!")
    return Regex(source)


# Gitlab::UntrustedRegexp::RubySyntax::PATTERN; Ruby's ^ and $ are line anchors.
_RUBY_SYNTAX: Final = lazy_pattern(r"^/(?P<regexp>.*)/(?P<flags>[ismU]*)$", re.MULTILINE)


def has_ruby_regexp_syntax(text: str) -> bool:
    """``Gitlab::UntrustedRegexp::RubySyntax.matches_syntax?``: written ``/re/flags`` (valid
    or not)."""
    return _RUBY_SYNTAX().search(text) is not None


def fabricate_regex(text: str) -> Regex:
    """``Gitlab::UntrustedRegexp::RubySyntax.fabricate!``: ``/re/flags`` (``^``/``$`` are Ruby
    line anchors) compiled by RE2 with the flags as an inline prefix. Raises
    :class:`ExpressionSyntaxError` when the shape is wrong or RE2 rejects the pattern."""
    match = _RUBY_SYNTAX().search(text)
    if match is None:
        raise ExpressionSyntaxError("Invalid regular expression!")
    flags = match.group("flags")
    source = match.group("regexp")
    if flags:
        source = f"(?{flags}){source}"
    return compile_regex(source)


def build_pattern(text: str) -> Regex:
    """``Lexeme::Pattern.build``: ``\\/`` becomes ``/``, then :func:`fabricate_regex`.

    Raises :class:`ExpressionSyntaxError` ("Invalid regular expression!") when ``text`` does not
    have the ``/…/flags`` shape or RE2 rejects the pattern.
    """
    return fabricate_regex(text.replace("\\/", "/"))


# ActiveSupport String#blank?: /\A[[:space:]]*\z/ (Unicode White_Space).
_blank: Final = lazy_pattern(
    "[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*"
)


def is_present(value: object) -> bool:
    """ActiveSupport ``present?``: not nil, not false, not an empty or whitespace-only string."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return _blank().fullmatch(value) is None
    return True


def _ruby_truthy(value: object) -> bool:
    return not (value is None or value is False)


def ruby_to_s(value: object) -> str:
    """Ruby ``to_s`` of an operand (``nil`` -> ``""``, ``true`` -> ``"true"``)."""
    from cigen.yaml.load import scalar_text

    return scalar_text(value)


# --------------------------------------------------------------------------------------------
# AST
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variable:
    """``$NAME``: the variable's value, or nil when undefined."""

    name: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class StringLiteral:
    """``"text"`` or ``'text'`` (no escapes)."""

    value: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class PatternLiteral:
    """``/pattern/flags``, already compiled."""

    regex: Regex
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Null:
    """``null``."""

    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Boolean:
    """``true`` / ``false``."""

    value: bool
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Input:
    """``$[[ inputs.NAME ]]`` (spec:inputs rules)."""

    name: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Equals:
    left: Expression
    right: Expression
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class NotEquals:
    left: Expression
    right: Expression
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Matches:
    left: Expression
    right: Expression
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class NotMatches:
    left: Expression
    right: Expression
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    left: Expression
    right: Expression
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    left: Expression
    right: Expression
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    """``!X`` (GitLab 18.11): true iff X is blank."""

    operand: Expression
    offset: int = field(default=0, compare=False)


Leaf: TypeAlias = Variable | StringLiteral | PatternLiteral | Null | Boolean | Input
Binary: TypeAlias = Equals | NotEquals | Matches | NotMatches | And | Or
Expression: TypeAlias = Leaf | Binary | Not

_BINARY_CLASSES: Final[dict[str, type[Binary]]] = {
    "==": Equals,
    "!=": NotEquals,
    "=~": Matches,
    "!~": NotMatches,
    "&&": And,
    "||": Or,
}
_BINARY_NAMES: Final[dict[type[Binary], str]] = {
    Equals: "equals",
    NotEquals: "not_equals",
    Matches: "matches",
    NotMatches: "not_matches",
    And: "and",
    Or: "or",
}
_OPERATOR_SYMBOLS: Final[dict[type[Binary], str]] = {v: k for k, v in _BINARY_CLASSES.items()}


# --------------------------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------------------------

#: Python's ASCII ``\s``: the whitespace the lexer skips between tokens (``str.lstrip``).
_WHITESPACE: Final = " \t\n\r\f\v"
#: ASCII ``\w``: the characters of a variable name (``str.lstrip``), and what ``\b`` tells
#: from others.
_WORD_CHARS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
_WORD: Final = frozenset(_WORD_CHARS)

_INPUT_SOURCE: Final = r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]"

# (kind, literal, or regex source with the ASCII flag) in GitLab's Lexer::LEXEMES order. Each
# is matched against the text *from* the current position (Ruby StringScanner: the scan
# position acts as the start of the string). :func:`scan_token` goes straight to the lexemes
# the first character can start; tests/test_expressions.py tries them one by one, in order.
_LEXEMES: Final[tuple[tuple[str, str, bool], ...]] = (
    ("paren_open", "(", False),
    ("paren_close", ")", False),
    ("input", _INPUT_SOURCE, True),
    ("variable", r"\$(\w+)", True),
    ("string", r"\"(.*?)\"|'(.*?)'", True),
    ("pattern", r"/(?:[^/]|\\/)+[^\\]/[ismU]*", True),
    ("null", "null", False),
    ("boolean", r"\b(?:true|false)\b", True),
    ("operator", "==", False),
    ("operator", "=~", False),
    ("operator", "!=", False),
    ("operator", "!~", False),
    ("operator", "&&", False),
    ("operator", "||", False),
    ("not", "!", False),
)
_INPUT: Final = lazy_pattern(_INPUT_SOURCE, re.ASCII)
_PATTERN: Final = lazy_pattern(_LEXEMES[5][1], re.ASCII)
_OPERATORS: Final = frozenset(("==", "=~", "!=", "!~", "&&", "||"))

_PRECEDENCE: Final[dict[str, int]] = {
    "!": 1,
    "==": 10,
    "!=": 10,
    "=~": 10,
    "!~": 10,
    "&&": 11,
    "||": 12,
    ")": 900,
    "(": 901,
}


@dataclass(frozen=True, slots=True)
class Token:
    """A lexed token: ``kind`` is one of paren_open, paren_close, input, variable, string,
    pattern, null, boolean, operator, not; ``text`` is the matched source text."""

    kind: str
    text: str
    offset: int

    @property
    def lexeme(self) -> str:
        """GitLab's lexeme name (``variable``, ``string``, ``equals``, ``parenthesis_open`` …)."""
        if self.kind == "operator":
            return _BINARY_NAMES[_BINARY_CLASSES[self.text]]
        return {
            "paren_open": "parenthesis_open",
            "paren_close": "parenthesis_close",
        }.get(self.kind, self.kind)


def scan_token(text: str, pos: int = 0) -> Token | None:
    """The token GitLab's lexer reads at ``pos`` (whitespace not skipped), or None: the first
    of :data:`_LEXEMES` that matches the text *from* ``pos`` (Ruby's StringScanner: the
    position acts as the start of the text, so ``\\b`` sees no character before it). Each
    first character starts the lexemes of one kind only, so the lexer looks at those alone."""
    return _scan(text[pos:] if pos else text, pos)


def _scan(rest: str, pos: int) -> Token | None:
    """:func:`scan_token` on the text from ``pos`` on (``rest``)."""
    first = rest[:1]
    if first == "(":
        return Token("paren_open", "(", pos)
    if first == ")":
        return Token("paren_close", ")", pos)
    if first == "$":
        if rest.startswith("$[["):
            found = _INPUT().match(rest)
            return None if found is None else Token("input", found.group(), pos)
        end = len(rest) - len(rest[1:].lstrip(_WORD_CHARS))  # after the name's last character
        return Token("variable", rest[:end], pos) if end > 1 else None
    if first == '"' or first == "'":
        end = rest.find(first, 1)
        if end < 0 or "\n" in rest[1:end]:  # ``.`` is no newline
            return None
        return Token("string", rest[: end + 1], pos)
    if first == "/":
        found = _PATTERN().match(rest)
        return None if found is None else Token("pattern", found.group(), pos)
    if first == "n":
        return Token("null", "null", pos) if rest.startswith("null") else None
    if first == "t" or first == "f":
        word = "true" if first == "t" else "false"
        after = rest[len(word) : len(word) + 1]
        if rest.startswith(word) and after not in _WORD:  # ``\b``; "" is the end
            return Token("boolean", word, pos)
        return None
    if rest[:2] in _OPERATORS:
        return Token("operator", rest[:2], pos)
    if first == "!":
        return Token("not", "!", pos)
    return None


def tokenize(text: str, max_tokens: int = MAX_TOKENS) -> tuple[Token, ...]:
    """GitLab's ``Lexer#tokens``: raises :class:`ExpressionSyntaxError` on an unknown lexeme or
    when ``max_tokens`` tokens have been read (GitLab's loop runs ``max_tokens`` times)."""
    tokens: list[Token] = []
    pos = 0
    for _ in range(max_tokens):
        rest = text[pos:] if pos else text
        found = rest.lstrip(_WHITESPACE)
        pos += len(rest) - len(found)
        if not found:
            return tuple(tokens)
        token = _scan(found, pos)
        if token is None:
            raise ExpressionSyntaxError("Unknown lexeme found!", pos)
        tokens.append(token)
        pos += len(token.text)
    raise ExpressionSyntaxError("Too many tokens!", pos)


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


def _build_value(token: Token) -> Expression:
    text = token.text
    if token.kind == "variable":
        return Variable(text[1:], token.offset)
    if token.kind == "string":
        return StringLiteral(text[1:-1], token.offset)
    if token.kind == "pattern":
        try:
            return PatternLiteral(build_pattern(text), token.offset)
        except ExpressionError as exc:
            raise ExpressionSyntaxError(exc.message, token.offset) from None
    if token.kind == "null":
        return Null(token.offset)
    if token.kind == "boolean":
        return Boolean(text == "true", token.offset)
    if token.kind == "input":
        m = _INPUT().match(text)
        assert m is not None
        return Input(m.group(1), token.offset)
    raise AssertionError(token.kind)  # pragma: no cover


def _precedence(token: Token) -> int:
    return _PRECEDENCE[token.text]


def _consumes(token: Token, top: Token | None) -> bool:
    """``Lexeme::Base.consume?``: pop ``top`` while this token's precedence >= top's."""
    return top is not None and _precedence(token) >= _precedence(top)


def _to_rpn(tokens: tuple[Token, ...]) -> list[Token]:
    output: list[Token] = []
    operators: list[Token] = []
    for token in tokens:
        kind = token.kind
        if kind == "operator":
            while _consumes(token, operators[-1] if operators else None):
                output.append(operators.pop())
            operators.append(token)
        elif kind in ("paren_open", "not"):
            operators.append(token)
        elif kind == "paren_close":
            while _consumes(token, operators[-1] if operators else None):
                output.append(operators.pop())
            if not operators:
                raise ExpressionSyntaxError("Unmatched parenthesis", token.offset)
            if operators[-1].kind == "paren_open":
                operators.pop()
        else:
            output.append(token)
    output.extend(reversed(operators))
    return output


def _parse_tokens(tokens: tuple[Token, ...]) -> Expression:
    results: list[Expression] = []
    for token in _to_rpn(tokens):
        if token.kind == "operator":
            right = results.pop() if results else None
            left = results.pop() if results else None
            if left is None:
                raise ExpressionSyntaxError("Invalid left operand", token.offset)
            if right is None:
                raise ExpressionSyntaxError("Invalid right operand", token.offset)
            results.append(_BINARY_CLASSES[token.text](left, right, token.offset))
        elif token.kind == "not":
            if not results:
                raise ExpressionSyntaxError("Invalid operand", token.offset)
            results.append(Not(results.pop(), token.offset))
        elif token.kind == "paren_open":
            raise ExpressionSyntaxError(
                "Unprocessable token found in parse tree: parenthesis_open", token.offset
            )
        else:
            results.append(_build_value(token))
    if len(results) > 1:
        raise ExpressionSyntaxError("Unreachable nodes in parse tree", _offset(results[1]))
    if not results:
        raise ExpressionSyntaxError("Empty parse tree", 0)
    return results[0]


def _offset(node: Expression) -> int:
    if isinstance(node, (Not, Variable, StringLiteral, PatternLiteral, Null, Boolean, Input)):
        return node.offset
    return _offset(node.left)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expression | ExpressionError:
    try:
        tokens = tokenize(text)
        if not tokens:
            raise ExpressionSyntaxError("Empty expression", 0)
        return _parse_tokens(tokens)
    except ExpressionError as exc:
        return exc


def parse(text: str) -> Expression:
    """Parse an expression; raises :class:`ExpressionError` for invalid syntax. Cached."""
    result = _parse_cached(text)
    if isinstance(result, ExpressionError):
        raise ExpressionSyntaxError(result.message, result.offset)
    return result


def validate(text: str) -> ExpressionError | None:
    """The syntax error GitLab would report for ``text``, or None when it is valid."""
    result = _parse_cached(text)
    return result if isinstance(result, ExpressionError) else None


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def _equal(left: Value, right: Value) -> bool:
    """``LogicalOperator#compare_with_coercion``: Ruby ``==``, except that a boolean compared
    with a string compares ``true.to_s``/``false.to_s`` with the string."""
    if isinstance(left, bool) or isinstance(right, bool):
        if isinstance(left, bool) and isinstance(right, bool):
            return left is right
        if isinstance(left, str) or isinstance(right, str):
            return ruby_to_s(left) == ruby_to_s(right)
        return False
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, Regex) or isinstance(right, Regex):
        return isinstance(left, Regex) and isinstance(right, Regex) and left == right
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    return left == right


def _as_regexp(value: Value) -> Regex | str:
    """``Lexeme::Pattern.build_and_evaluate``: a string that looks like ``/re/flags`` and
    compiles becomes a regex; any other string stays a string (substring fallback)."""
    if isinstance(value, Regex):
        return value
    if not isinstance(value, str):
        # Ruby raises NoMethodError (gsub on a non-string) here.
        raise ExpressionRuntimeError(f"Cannot use {ruby_to_s(value)!r} as a regular expression")
    try:
        return build_pattern(value)
    except ExpressionError:
        return value


def _matches(text: Value, regexp: Value) -> bool:
    pattern = _as_regexp(regexp)
    subject = ruby_to_s(text)
    if isinstance(pattern, Regex):
        return pattern.search(subject)
    # String#scan(str): the *left* text is looked up inside the right string.
    return subject in pattern


def apply_operator(op: str, left: Value, right: Value) -> Value:
    """Apply a binary operator (``==``, ``!=``, ``=~``, ``!~``, ``&&``, ``||``) to evaluated
    operands, as the GitLab lexeme classes do."""
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if op == "=~":
        if not _ruby_truthy(right):
            return False
        return _matches(left, right)
    if op == "!~":
        if not _ruby_truthy(right):
            return True
        return not _matches(left, right)
    if op == "&&":
        return right if _ruby_truthy(left) else left
    if op == "||":
        return left if _ruby_truthy(left) else right
    raise ValueError(f"unknown operator {op!r}")


def _eval(node: Expression, variables: Mapping[str, str], inputs: Mapping[str, Value]) -> Value:
    if isinstance(node, Variable):
        return variables.get(node.name)
    if isinstance(node, StringLiteral):
        return node.value
    if isinstance(node, PatternLiteral):
        return node.regex
    if isinstance(node, Null):
        return None
    if isinstance(node, Boolean):
        return node.value
    if isinstance(node, Input):
        return inputs.get(node.name)
    if isinstance(node, Not):
        return not is_present(_eval(node.operand, variables, inputs))
    left = _eval(node.left, variables, inputs)
    if isinstance(node, And):
        return _eval(node.right, variables, inputs) if _ruby_truthy(left) else left
    if isinstance(node, Or):
        return left if _ruby_truthy(left) else _eval(node.right, variables, inputs)
    right = _eval(node.right, variables, inputs)
    try:
        return apply_operator(_OPERATOR_SYMBOLS[type(node)], left, right)
    except ExpressionError as exc:
        raise ExpressionRuntimeError(exc.message, node.offset) from None


def evaluate(
    expr: Expression,
    variables: Mapping[str, str],
    inputs: Mapping[str, Value] | None = None,
) -> Value:
    """The raw value of ``expr`` (``Statement#evaluate``); may raise :class:`ExpressionError`."""
    return _eval(expr, variables, inputs or {})


def truthful(
    text_or_expr: str | Expression,
    variables: Mapping[str, str],
    inputs: Mapping[str, Value] | None = None,
) -> bool:
    """``Statement#truthful?`` (what ``rules:if`` uses): the value is *present*; any syntax or
    runtime error gives False."""
    try:
        expr = parse(text_or_expr) if isinstance(text_or_expr, str) else text_or_expr
        return is_present(_eval(expr, variables, inputs or {}))
    except ExpressionError:
        return False


# --------------------------------------------------------------------------------------------
# Introspection
# --------------------------------------------------------------------------------------------


def _walk(node: Expression) -> Iterator[Expression]:
    yield node
    if isinstance(node, Not):
        yield from _walk(node.operand)
    elif isinstance(node, (Equals, NotEquals, Matches, NotMatches, And, Or)):
        yield from _walk(node.left)
        yield from _walk(node.right)


def _variable_names(node: Expression) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.name for n in _walk(node) if isinstance(n, Variable)))


@functools.lru_cache(maxsize=4096)
def _variables_read_text(text: str) -> tuple[str, ...]:
    return _variable_names(parse(text))


def variables_read(expr: Expression | str) -> tuple[str, ...]:
    """Names of the variables referenced by ``expr`` (first occurrence order, no duplicates).
    Raises :class:`ExpressionError` when given invalid text."""
    return _variables_read_text(expr) if isinstance(expr, str) else _variable_names(expr)


def _input_names(node: Expression) -> list[str]:
    # Statement#collect_input_names descends through binary operators only (not through `!`).
    if isinstance(node, Input):
        return [node.name]
    if isinstance(node, (Equals, NotEquals, Matches, NotMatches, And, Or)):
        return _input_names(node.left) + _input_names(node.right)
    return []


def input_names(expr: Expression | str) -> tuple[str, ...]:
    """``Statement#input_names``: the ``$[[ inputs.x ]]`` names used; () for invalid syntax."""
    try:
        node = parse(expr) if isinstance(expr, str) else expr
    except ExpressionError:
        return ()
    return tuple(dict.fromkeys(_input_names(node)))


def _ruby_inspect_string(value: str) -> str:
    out = ['"']
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\e"}
    for i, ch in enumerate(value):
        if ch in escapes:
            out.append(escapes[ch])
        elif ch == "#" and i + 1 < len(value) and value[i + 1] in "{$@":
            out.append("\\#")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def inspect(expr: Expression) -> str:
    """GitLab's ``inspect`` of a parse tree, e.g. ``or($A, and($B, equals($C, "x")))``."""
    if isinstance(expr, Variable):
        return f"${expr.name}"
    if isinstance(expr, StringLiteral):
        return _ruby_inspect_string(expr.value)
    if isinstance(expr, PatternLiteral):
        return f"/{expr.regex.source}/"
    if isinstance(expr, Null):
        return "null"
    if isinstance(expr, Boolean):
        return "true" if expr.value else "false"
    if isinstance(expr, Input):
        return f"$[[ inputs.{expr.name} ]]"
    if isinstance(expr, Not):
        return f"not({inspect(expr.operand)})"
    return f"{_BINARY_NAMES[type(expr)]}({inspect(expr.left)}, {inspect(expr.right)})"
