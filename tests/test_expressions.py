"""Unit tests for cigen.expressions (GitLab's ``if:`` expression language).

Section numbers refer to ``shared/docs/gitlab-ci-semantics.md``.
"""

from __future__ import annotations

import re

import pytest

from cigen import expressions as ex

# Section 5.6: the variables of the truth table.
TABLE_VARIABLES = {
    "PRESENT_VARIABLE": "my variable",
    "EMPTY_VARIABLE": "",
    "PATH_VARIABLE": "a/path/variable/value",
    "FULL_PATH_VARIABLE": "/a/full/path/variable/value",
    "teststring": "abcde",
    "pattern1": "/^ab.*/",
    "pattern2": "/^at.*/",
    "WS": "   ",
    "FALSE_STR": "false",
    "BR": "main",
    "DEF": "main",
    "A": "x",
    "B": "$A",
    "PLAIN": "foobar",
    "SLASHRX": "/a/",
    "BADRX": "/[/",
    "CI_JOB_NAME": "regex-job1",
    "string1": "regex-job1",
}

INVALID = "invalid"

# Section 5.6 truth table: (expression, rules:if result or INVALID for a syntax error).
TRUTH_TABLE = [
    ('$PRESENT_VARIABLE == "my variable"', True),
    ('"my variable" == $PRESENT_VARIABLE', True),
    ("$PRESENT_VARIABLE == null", False),
    ("$EMPTY_VARIABLE == null", False),
    ('"" == $EMPTY_VARIABLE', True),
    ("$EMPTY_VARIABLE", False),
    ("$UNDEFINED_VARIABLE == null", True),
    ("$PRESENT_VARIABLE", True),
    ("$UNDEFINED_VARIABLE", False),
    ("$PRESENT_VARIABLE =~ /var.*e$/", True),
    ("$PRESENT_VARIABLE =~ /^var.*/", False),
    ("$EMPTY_VARIABLE =~ /var.*/", False),
    ("$UNDEFINED_VARIABLE =~ /var.*/", False),
    ("$PRESENT_VARIABLE =~ /VAR.*/i", True),
    (r"$PATH_VARIABLE =~ /path\/variable/", True),
    (r"$FULL_PATH_VARIABLE =~ /^\/a\/full\/path\/variable\/value$/", True),
    ("$PRESENT_VARIABLE != null", True),
    ("$EMPTY_VARIABLE != null", True),
    ("$UNDEFINED_VARIABLE != null", False),
    ("$PRESENT_VARIABLE !~ /^var.*/", True),
    ("$UNDEFINED_VARIABLE !~ /var.*/", True),
    ("$PRESENT_VARIABLE !~ /VAR.*/i", False),
    ("$PRESENT_VARIABLE && $EMPTY_VARIABLE", False),
    ("$EMPTY_VARIABLE && $PRESENT_VARIABLE", True),
    ("$PRESENT_VARIABLE && $UNDEFINED_VARIABLE", False),
    ("$UNDEFINED_VARIABLE || $PRESENT_VARIABLE", True),
    ('$PRESENT_VARIABLE && null || $EMPTY_VARIABLE == ""', True),
    ('("string" == ("test" || "string"))', False),
    ('("string" == "test" || "string")', True),
    ('(null || ("test" == "string"))', False),
    ('$teststring =~ "abcde"', True),
    ("$teststring =~ $teststring", True),
    ("$teststring =~ $pattern1", True),
    ("$teststring =~ $pattern2", False),
    ("$INVALID = 1", INVALID),
    ('"23" =~ "1234"', True),
    ('"23" =~ /1234/', False),
    ("$CI_JOB_NAME =~ /$string1/", False),
    ('!""', True),
    ('!"false"', False),
    ("$VAR =~ /./", INVALID),
    ("$EMPTY_VARIABLE || $PRESENT_VARIABLE", False),
    ("$WS", False),
    ('$WS == "   "', True),
    ("$FALSE_STR", True),
    ('!$PRESENT_VARIABLE == "x"', False),
    ('!($PRESENT_VARIABLE == "x")', True),
    ("$A && !$UNDEFINED_VARIABLE", True),
    ("$BR == $DEF", True),
    ("$BR == main", INVALID),
    ("$X == 1", INVALID),
    ('${BR} == "main"', INVALID),
    ("$BR =~ /m/", INVALID),
    ("$BR =~ /ma/", True),
    ("$BR =~ $SLASHRX", True),
    ('"oo" =~ $PLAIN', True),
    ("$BR =~ $BADRX", False),
    ('$B == "x"', False),
    ('$B == "$A"', True),
    ("$BR == true", False),
    ('$BR == "main" || $X && $Y', True),
    ('($BR == "main" || $X) && $Y', False),
    ("$BR =~ /MAIN/", False),
    ("$BR =~ /MAIN/i", True),
    ('$UNDEFINED_VARIABLE != ""', True),
]


@pytest.mark.parametrize(("expression", "expected"), TRUTH_TABLE)
def test_truth_table(expression: str, expected: object) -> None:
    """Section 5.6."""
    if expected == INVALID:
        assert ex.validate(expression) is not None
        with pytest.raises(ex.ExpressionError):
            ex.parse(expression)
        assert ex.truthful(expression, TABLE_VARIABLES) is False
    else:
        assert ex.validate(expression) is None
        assert ex.truthful(expression, TABLE_VARIABLES) is expected


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("$EMPTY_VARIABLE || $PRESENT_VARIABLE", ""),  # || returns the Ruby-truthy ""
        ("$EMPTY_VARIABLE && $PRESENT_VARIABLE", "my variable"),
        ("$UNDEFINED_VARIABLE && $PRESENT_VARIABLE", None),
        ('("string" == "test" || "string")', "string"),
        ("!$WS", True),
        ("null", None),
        ("true", True),
        ("$PRESENT_VARIABLE =~ /var/", True),
        ("/ab/", ex.Regex("ab")),
    ],
)
def test_raw_values(expression: str, value: object) -> None:
    """Section 5.3: ``&&``/``||`` return operands; evaluate gives the raw value."""
    result = ex.evaluate(ex.parse(expression), TABLE_VARIABLES)
    assert type(result) is type(value) and result == value


# --------------------------------------------------------------------------------------------
# Lexer (section 5.1)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "kinds"),
    [
        ("$A==$B", ["variable", "operator", "variable"]),
        ("$A!=$B", ["variable", "operator", "variable"]),  # != before !
        ("!$A", ["not", "variable"]),
        ("!!$A", ["not", "not", "variable"]),
        ("\"a\" 'b'", ["string", "string"]),
        ("$[[ inputs.env ]] == 'x'", ["input", "operator", "string"]),
        ("(null)", ["paren_open", "null", "paren_close"]),
        ("true||false", ["boolean", "operator", "boolean"]),
        ("/a b/i && $X", ["pattern", "operator", "variable"]),
    ],
)
def test_token_kinds(expression: str, kinds: list[str]) -> None:
    assert [t.kind for t in ex.tokenize(expression)] == kinds


def test_variable_name_stops_at_non_word_character() -> None:
    """``$MY-VAR`` lexes ``$MY`` and then fails on ``-``."""
    with pytest.raises(ex.ExpressionSyntaxError) as info:
        ex.tokenize("$MY-VAR")
    assert info.value.message == "Unknown lexeme found!"
    assert info.value.offset == 3


def test_null_is_a_prefix_match() -> None:
    """``nullable`` is ``null`` followed by an unknown lexeme (fixed lexeme order)."""
    with pytest.raises(ex.ExpressionSyntaxError) as info:
        ex.tokenize("nullable")
    assert info.value.offset == 4


def test_boolean_needs_word_boundary() -> None:
    with pytest.raises(ex.ExpressionSyntaxError):
        ex.tokenize("trueish")


def test_string_literal_has_no_escapes() -> None:
    """``"a\\"b"`` is the string ``a\\`` followed by an unknown ``b"``."""
    tokens = ex.scan_token('"a\\"b"')
    assert tokens is not None and tokens.text == '"a\\"'
    assert ex.validate('"a\\"b"') is not None
    assert ex.evaluate(ex.parse('"$FOO"'), {"FOO": "x"}) == "$FOO"


def test_token_limit() -> None:
    """GitLab's lexer loop runs 100 times: 99 tokens are fine, 100 are "Too many tokens!"."""
    ninety_nine = " && ".join(["$A"] * 50)  # 50 values + 49 operators
    assert len(ex.tokenize(ninety_nine)) == 99
    assert ex.truthful(ninety_nine, {"A": "x"}) is True
    hundred = ninety_nine + " &&"
    with pytest.raises(ex.ExpressionSyntaxError, match="Too many tokens"):
        ex.tokenize(hundred)


def test_max_tokens_parameter() -> None:
    assert len(ex.tokenize("$V1 $V2", max_tokens=3)) == 2
    with pytest.raises(ex.ExpressionSyntaxError):
        ex.tokenize("$V1 $V2 $V3", max_tokens=3)


@pytest.mark.parametrize(
    ("literal", "source"),
    [
        ("/ab/", "ab"),
        ("/ab/ismU", "(?ismU)ab"),
        (r"/a\/b/", "a/b"),
        (r"/a\$b/", r"a\$b"),
        (r"/\x40b/", r"\x40b"),
    ],
)
def test_regex_literals(literal: str, source: str) -> None:
    """Section 5.5: flags become an RE2 inline prefix, ``\\/`` becomes ``/``."""
    node = ex.parse(f"$X =~ {literal}")
    assert isinstance(node, ex.Matches) and isinstance(node.right, ex.PatternLiteral)
    assert node.right.regex.source == source


@pytest.mark.parametrize(
    "expression",
    [
        "$X =~ //",
        "$X =~ /a/",
        "$X =~ /ab/x",  # x is not a flag: unknown lexeme
        "$X =~ /ab/g",
        "$X =~ /a(?=b)/",  # look-ahead: RE2 rejects it
        r"$X =~ /(a)\1/",  # back-reference
        "$X =~ /[ab/",
    ],
)
def test_invalid_regex_literals(expression: str) -> None:
    assert ex.validate(expression) is not None
    assert ex.truthful(expression, {"X": "ab"}) is False


def test_regex_literal_ends_at_first_unescaped_slash() -> None:
    """``/some .* / pattern/`` is ``/some .* /`` followed by an unlexable remainder."""
    token = ex.scan_token("/some .* / pattern/")
    assert token is not None and token.text == "/some .* /"
    assert ex.validate("$X =~ /some .* / pattern/") is not None


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ("$X =~ /^b/", "a\nb", False),
        ("$X =~ /^b/m", "a\nb", True),  # RE2 m: multi-line anchors
        ("$X =~ /a.b/", "a\nb", False),
        ("$X =~ /a.b/s", "a\nb", True),  # RE2 s: dot matches newline
        ("$X =~ /a$/", "a\n", False),  # RE2 $ without m: end of text only
        ("$X =~ /AB/i", "ab", True),
        ("$X =~ /a+/U", "aaa", True),
        ("$X =~ /issue/", "severe-issues", True),  # unanchored
        ("$X =~ /^issue$/", "severe-issues", False),
        (r"$X =~ /\d+/", "v12", True),
    ],
)
def test_regex_flags_and_re2_semantics(expression: str, value: str, expected: bool) -> None:
    """Section 5.5: flags i/s/m/U with RE2 meanings; matching is unanchored."""
    assert ex.truthful(expression, {"X": value}) is expected


def test_regex_from_variable_requires_valid_re2() -> None:
    """A variable holding a regex RE2 rejects falls back to the reversed substring test."""
    variables = {"RX": "/a(?=b)/"}
    assert ex.truthful('"ab" =~ $RX', variables) is False  # a Ruby regex would match
    assert ex.truthful('"(?=" =~ $RX', variables) is True  # "(?=" occurs in "/a(?=b)/"
    assert ex.truthful('"(?=" !~ $RX', variables) is False


def test_regex_from_string_literal_and_escaped_slashes() -> None:
    assert ex.truthful('$X =~ "/ab/"', {"X": "xaby"}) is True
    assert ex.truthful('$X =~ "ab"', {"X": "xaby"}) is False  # is "xaby" inside "ab"? no
    assert ex.truthful('$X =~ "ab"', {"X": "a"}) is True
    assert ex.truthful("$X =~ $RX", {"X": "a/b", "RX": r"/a\/b/"}) is True
    assert ex.truthful("$X =~ $RX", {"X": "ab", "RX": "/A/i"}) is True


def test_reversed_substring_with_empty_left() -> None:
    """``String#scan("")`` always finds something: an empty or undefined left side matches."""
    assert ex.truthful("$UNDEF =~ $PLAIN", {"PLAIN": "foo"}) is True
    assert ex.truthful("$UNDEF !~ $PLAIN", {"PLAIN": "foo"}) is False


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$X =~ null", False),
        ("$X !~ null", True),
        ("$X =~ $UNDEF", False),
        ("$X !~ $UNDEF", True),
        ("$X =~ false", False),
        ("$X !~ false", True),
        ("$X =~ true", False),  # Ruby raises on true.gsub: runtime error -> false
    ],
)
def test_match_operators_with_non_string_right(expression: str, expected: bool) -> None:
    assert ex.truthful(expression, {"X": "abc"}) is expected


def test_runtime_error_surfaces_from_evaluate() -> None:
    with pytest.raises(ex.ExpressionRuntimeError):
        ex.evaluate(ex.parse("$X =~ true"), {"X": "abc"})


# --------------------------------------------------------------------------------------------
# Parser (section 5.2)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "tree"),
    [
        ("!$A == $B", "equals(not($A), $B)"),
        ("!($A == $B)", "not(equals($A, $B))"),
        ("!$A && $B", "and(not($A), $B)"),
        ("$A && !$B || $C", "or(and($A, not($B)), $C)"),
        ("!!$A", "not(not($A))"),
        ("$A =~ /x.y/ || $B", "or(matches($A, /x.y/), $B)"),
        ("$A != $B !~ $C", "not_matches(not_equals($A, $B), $C)"),
        ("$[[ inputs.a ]] == true", "equals($[[ inputs.a ]], true)"),
        ('$A == "a\\"', 'equals($A, "a\\\\")'),
        # GitLab's shunting-yard accepts postfix/prefix operator placement as well
        ("$A $B ==", "equals($A, $B)"),
        ("== $A $B", "equals($A, $B)"),
        ("$A !", "not($A)"),
    ],
)
def test_parse_trees(expression: str, tree: str) -> None:
    assert ex.inspect(ex.parse(expression)) == tree


@pytest.mark.parametrize(
    ("expression", "message", "offset"),
    [
        ("", "Empty expression", 0),
        ("   ", "Empty expression", 0),
        ("$A)", "Unmatched parenthesis", 2),
        ("($A", "Unprocessable token found in parse tree: parenthesis_open", 0),
        ("$A ==", "Invalid left operand", 3),
        ("!", "Invalid operand", 0),
        ("()", "Empty parse tree", 0),
        ("$A $B", "Unreachable nodes in parse tree", 3),
        ("$A == $B $C", "Unreachable nodes in parse tree", 6),
        ("$A =~ /(ab/", "Invalid regular expression!", 6),
    ],
)
def test_parse_errors(expression: str, message: str, offset: int) -> None:
    with pytest.raises(ex.ExpressionSyntaxError) as info:
        ex.parse(expression)
    assert info.value.message == message
    assert info.value.offset == offset
    assert isinstance(ex.validate(expression), ex.ExpressionError)


def test_parse_is_cached_and_errors_repeat() -> None:
    assert ex.parse("$A == 'x'") is ex.parse("$A == 'x'")
    for _ in range(2):
        with pytest.raises(ex.ExpressionError):
            ex.parse("$A = 'x'")


# --------------------------------------------------------------------------------------------
# Values (section 5.3 / 5.4)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "present"),
    [
        (None, False),
        (False, False),
        ("", False),
        (" \t\n", False),
        ("\u00a0\u3000", False),  # Unicode White_Space is blank too
        ("0", True),
        ("false", True),
        (True, True),
        (0, True),
        (ex.Regex("a"), True),
    ],
)
def test_is_present(value: ex.Value, present: bool) -> None:
    assert ex.is_present(value) is present


@pytest.mark.parametrize(
    ("op", "left", "right", "result"),
    [
        ("==", True, "true", True),
        ("==", "false", False, True),
        ("==", True, 1, False),  # Ruby: true != 1 (Python would say equal)
        ("==", 1, 1, True),
        ("==", None, "", False),
        ("==", ex.Regex("a"), ex.Regex("a"), True),
        ("==", ex.Regex("a"), "a", False),
        ("!=", None, None, False),
        ("&&", "", "x", "x"),
        ("||", "", "x", ""),
        ("&&", 0, "x", "x"),  # 0 is Ruby-truthy
        ("||", None, False, False),
    ],
)
def test_apply_operator(op: str, left: ex.Value, right: ex.Value, result: ex.Value) -> None:
    value = ex.apply_operator(op, left, right)
    assert type(value) is type(result) and value == result


def test_apply_operator_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        ex.apply_operator("<", "a", "b")


def test_undefined_vs_empty() -> None:
    """Section 5.4."""
    empty = {"V": ""}
    assert ex.truthful("$V != null", empty) is True
    assert ex.truthful("$V != null", {}) is False
    assert ex.truthful('$V == ""', empty) is True
    assert ex.truthful('$V == ""', {}) is False
    assert ex.truthful('$V != ""', {}) is True
    assert ex.truthful("$V", empty) is False
    assert ex.truthful("!$V", {}) is True
    assert ex.truthful("!$V", {"V": " "}) is True
    assert ex.truthful("!$V", {"V": "x"}) is False


def test_and_or_short_circuit_skips_runtime_errors() -> None:
    """Ruby's ``&&``/``||`` do not evaluate the right side when the left decides."""
    assert ex.truthful("$UNDEF && $X =~ true", {"X": "a"}) is False
    assert ex.truthful("$X || $X =~ true", {"X": "a"}) is True
    assert ex.truthful("$X && $X =~ true", {"X": "a"}) is False


def test_inputs_are_separate_from_variables() -> None:
    expr = ex.parse("$[[ inputs.env ]] == 'prod'")
    assert ex.evaluate(expr, {"env": "prod"}) is False
    assert ex.evaluate(expr, {}, {"env": "prod"}) is True
    assert ex.truthful(expr, {}, {"env": "prod"}) is True


# --------------------------------------------------------------------------------------------
# Introspection
# --------------------------------------------------------------------------------------------


def test_variables_read() -> None:
    expr = ex.parse('$B == "x" || ($A =~ /yy/ && !$B) || $[[ inputs.i ]]')
    assert ex.variables_read(expr) == ("B", "A")
    assert ex.variables_read("null") == ()


def test_input_names_skip_negated_inputs_like_gitlab() -> None:
    """``Statement#input_names`` descends through binary operators only."""
    assert ex.input_names("$[[ inputs.a ]] && !$[[ inputs.b ]]") == ("a",)
    assert ex.input_names("$[[ inputs.a ]] ==") == ()


def test_error_attributes() -> None:
    error = ex.ExpressionError("boom", 4)
    assert error.message == "boom" and error.offset == 4
    assert "offset 4" in str(error)


def test_fabricate_regex_keeps_escaped_slash() -> None:
    """RubySyntax (used by only/except refs) does not unescape ``\\/``; the lexeme does."""
    assert ex.fabricate_regex(r"/a\/b/i").source == r"(?i)a\/b"
    assert ex.build_pattern(r"/a\/b/i").source == "(?i)a/b"
    assert ex.fabricate_regex("x\n/ab/\ny").source == "ab"  # Ruby ^/$ are line anchors
    with pytest.raises(ex.ExpressionSyntaxError):
        ex.fabricate_regex("ab")


def test_scan_token_takes_the_first_lexeme_in_gitlabs_order() -> None:
    """``Lexer#tokens`` tries ``Lexer::LEXEMES`` in order at the scan position and takes the
    first that matches (lib/gitlab/ci/pipeline/expression/lexer.rb); the one alternation
    scan_token goes to by the first character must agree with trying them one by one, text
    after text."""
    import random

    def one_by_one(text: str, pos: int) -> tuple[str, str] | None:
        rest = text[pos:]
        for kind, lexeme, is_regex in ex._LEXEMES:
            if not is_regex:
                if rest.startswith(lexeme):
                    return kind, lexeme
            else:
                found = re.match(lexeme, rest, re.ASCII)
                if found is not None:
                    return kind, found.group(0)
        return None

    pieces = [
        "$",
        "[[",
        "]]",
        "inputs.",
        "a",
        "_1",
        "true",
        "false",
        "null",
        "'",
        '"',
        "/",
        "\\",
        "i",
        "=",
        "~",
        "!",
        "&",
        "|",
        "(",
        ")",
        " ",
        "é",
        "\n",
        "-",
        "\t",
        "t",
        "f",
        "n",
        "u",
        "]",
        "inputs",
    ]
    generator = random.Random(1234)
    for _ in range(5000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 12)))
        pos = generator.randint(0, len(text) - 1)
        token = ex.scan_token(text, pos)
        expected = one_by_one(text, pos)
        assert (None if token is None else (token.kind, token.text)) == expected, (text, pos)
