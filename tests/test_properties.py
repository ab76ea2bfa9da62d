"""Property tests: lint, the loader and the expression parser on generated input.

* Configurations: mappings of job names to job-like dicts (``script``, ``stage``, ``needs``,
  ``extends``, ``tags``, ``rules``, ``variables``, ``services``, ``!reference`` values...),
  written with :func:`cigen.yaml.dump.dump` and then sometimes mangled as text (characters
  inserted or deleted, lines duplicated, truncation). Linting one never raises anything but
  :class:`~cigen.errors.CigenError`, never reports an internal error, exits 0, 1 or 2, and
  every finding points into a file of the project: ``1 <= line <= lines (+1 after a final
  newline)``, ``column >= 1`` (and at most one past the end of its line).
* The loader turns any bytes into a :class:`~cigen.yaml.load.Loaded` without raising, with
  every problem inside the file.
* Expressions: a soup of GitLab's lexemes. :func:`cigen.expressions.parse` raises only
  :class:`~cigen.expressions.ExpressionError`; :func:`~cigen.expressions.truthful` never raises.

Examples are derandomized (the suite is reproducible) and few; ``fuzz/`` explores further.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cigen.diagnostics import Diagnostic
from cigen.errors import CigenError
from cigen.expressions import ExpressionError, parse, truthful, validate
from cigen.lint.engine import lint
from cigen.rules import (
    cig501_secret_literal,
    cig502_privileged_docker,
    cig503_kaniko_large_base_image,
    cig504_kaniko_cache_repo_varies,
)
from cigen.yaml.dump import dump
from cigen.yaml.load import MAX_BYTES, load_text

CI = ".gitlab-ci.yml"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: The security rules are linted along (they are pure and cheap); a registered rule twice is
#: reported once.
EXTRA_RULES: tuple[Any, ...] = (
    cig501_secret_literal,
    cig502_privileged_docker,
    cig503_kaniko_large_base_image,
    cig504_kaniko_cache_repo_varies,
)

# --- expressions ------------------------------------------------------------------------------

LEXEMES = [
    "$VAR",
    "$CI_COMMIT_BRANCH",
    "$EMPTY",
    "$UNDEFINED",
    '"main"',
    "'release'",
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
    "$[[inputs.x-y]]",
]
JUNK = ["=", "&", "|", "~", '"', "'", "/", "$", "[", "]", "\\", "é", "\x00", "{", "}"]
expression_token = st.one_of(st.sampled_from(LEXEMES), st.sampled_from(JUNK), st.text(max_size=4))
separator = st.sampled_from(["", " ", "  ", "\t", "\n"])
expressions = st.lists(st.tuples(expression_token, separator), max_size=14).map(
    lambda parts: "".join(token + space for token, space in parts)
)
variable_values = st.dictionaries(
    st.sampled_from(["VAR", "CI_COMMIT_BRANCH", "EMPTY", "OTHER"]),
    st.one_of(
        st.sampled_from(["", "main", "/ma.*/", "/(/", "release", "null"]), st.text(max_size=6)
    ),
    max_size=4,
)


@SETTINGS
@given(expressions)
def test_parse_raises_only_expression_errors(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as exc:
        assert 0 <= exc.offset <= len(text) + 1
    error = validate(text)
    assert error is None or isinstance(error, ExpressionError)


@SETTINGS
@given(st.text(max_size=60))
def test_parse_raises_only_expression_errors_on_any_text(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse(text)


@SETTINGS
@given(expressions, variable_values)
def test_truthful_never_raises(text: str, variables: dict[str, str]) -> None:
    assert truthful(text, variables) in (True, False)
    assert truthful(text, variables, {"name": "main", "x-y": True}) in (True, False)


# --- the loader ---------------------------------------------------------------------------------


def _line_count(text: str) -> int:
    """Lines of ``text`` counting every line break YAML knows (a superset), plus one."""
    return len(text.splitlines()) + 1


@SETTINGS
@given(st.binary(max_size=400))
def test_loader_takes_any_bytes(data: bytes) -> None:
    loaded = load_text("f.yml", data)
    limit = data.count(b"\n") + data.count(b"\r") + 2
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        limit = len(data) + 2  # read as UTF-16
    for problem in loaded.problems:
        assert problem.mark.path == "f.yml"
        assert 1 <= problem.mark.line <= limit
        assert problem.mark.col >= 1


# --- configurations --------------------------------------------------------------------------

JOB_NAMES = ["build", "test", "deploy", ".base", ".tpl", "job 1/2", "a:b", "default", "pages"]
KEYS = ["stages", "variables", "workflow", "include", "image", "services", "default"]
job_ref = st.sampled_from([*JOB_NAMES, "missing", ".missing", ""])
short_text = st.text(alphabet=st.sampled_from(list("abcXYZ019 _-.:/$*!&|#'\"{}[]\\é")), max_size=12)
scalar = st.one_of(short_text, st.integers(-5, 5000), st.booleans(), st.none())
#: ``!reference`` values are written as this marker and turned into tags after dumping.
reference = st.tuples(job_ref, st.sampled_from(["script", "rules", "variables", "nope"])).map(
    lambda pair: f"REF<{pair[0]}|{pair[1]}>"
)
script_line = st.one_of(
    short_text,
    reference,
    st.sampled_from(
        [
            '/kaniko/executor --context "$CI_PROJECT_DIR" --cache=true --cache-repo h/$IMAGE',
            "executor -f Dockerfile --cache",
            "/kaniko/executor --dockerfile ../../etc/passwd",
            "/kaniko/executor --dockerfile /etc/passwd --context $CI_PROJECT_DIR/..",
        ]
    ),
)
script = st.one_of(
    short_text,
    reference,
    st.lists(st.one_of(script_line, st.lists(script_line, max_size=3)), max_size=4),
)
rule = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "if": expressions,
            "when": st.sampled_from(["always", "never", "manual", "on_success", "bogus"]),
            "changes": st.lists(short_text, max_size=2),
            "exists": st.lists(short_text, max_size=2),
            "variables": st.dictionaries(short_text, scalar, max_size=2),
            "allow_failure": st.booleans(),
        },
    ),
    reference,
    short_text,
)
variables = st.one_of(
    st.dictionaries(
        st.sampled_from(["JUPYTER_TOKEN", "DB_PASSWORD", "IMAGE_NAME", "X", "API_KEY", "a-b"]),
        st.one_of(scalar, st.fixed_dictionaries({"value": scalar, "description": short_text})),
        max_size=4,
    ),
    reference,
)
service = st.one_of(
    st.sampled_from(["docker:dind", "docker:27-dind", "postgres:16", "", "docker"]),
    st.fixed_dictionaries({"name": st.sampled_from(["docker:dind", "redis"]), "alias": short_text}),
)
image = st.one_of(
    st.sampled_from(["gcr.io/kaniko-project/executor:debug", "alpine", "python:3.12"]),
    st.fixed_dictionaries(
        {"name": st.sampled_from(["gcr.io/kaniko-project/executor:debug", "x"])},
        optional={"entrypoint": st.just([""])},
    ),
)
job = st.fixed_dictionaries(
    {},
    optional={
        "script": script,
        "before_script": script,
        "stage": st.sampled_from(["build", "test", "deploy", ".pre", "nope", ""]),
        "needs": st.one_of(
            st.lists(st.one_of(job_ref, st.fixed_dictionaries({"job": job_ref})), max_size=3),
            reference,
        ),
        "dependencies": st.lists(job_ref, max_size=2),
        "extends": st.one_of(job_ref, st.lists(job_ref, max_size=3)),
        "tags": st.lists(st.one_of(short_text, st.just("$RUNNER")), max_size=3),
        "rules": st.one_of(st.lists(rule, max_size=3), reference),
        "only": st.one_of(st.lists(short_text, max_size=2), st.just({"variables": ["$X"]})),
        "variables": variables,
        "services": st.lists(service, max_size=2),
        "image": image,
        "when": st.sampled_from(["manual", "always", "delayed"]),
        "trigger": st.one_of(short_text, st.just({"include": "child.yml"})),
        "parallel": st.one_of(st.integers(-1, 300), st.just({"matrix": [{"A": ["1", "2"]}]})),
    },
)
top_level = st.fixed_dictionaries(
    {},
    optional={
        "stages": st.lists(st.sampled_from(["build", "test", "deploy", "x", ""]), max_size=4),
        "variables": variables,
        "workflow": st.fixed_dictionaries({"rules": st.lists(rule, max_size=2)}),
        "include": st.one_of(
            st.sampled_from(["ci/a.yml", "/ci/a.yml", "ci/*.yml", "../x.yml", "missing.yml"]),
            st.lists(
                st.one_of(
                    st.sampled_from(["ci/a.yml", "ci/b.yml", "**/*.yml", ".gitlab-ci.yml"]),
                    st.fixed_dictionaries({"local": st.sampled_from(["ci/a.yml", "x.txt"])}),
                    st.fixed_dictionaries({"project": short_text, "file": short_text}),
                ),
                max_size=3,
            ),
        ),
        "default": st.fixed_dictionaries(
            {}, optional={"image": image, "tags": st.lists(short_text)}
        ),
        "services": st.lists(service, max_size=2),
    },
)
configuration = st.tuples(
    top_level,
    st.dictionaries(st.sampled_from(JOB_NAMES), st.one_of(job, scalar), max_size=5),
).map(lambda parts: {**parts[0], **parts[1]})

_REFERENCE_MARKER = re.compile(r"""(['"]?)REF<([^|>\n]*)\|([^>\n]*)>\1""")


def to_yaml(data: dict[str, Any]) -> str:
    text = dump(data)
    return _REFERENCE_MARKER.sub(lambda m: f"!reference [{m.group(2) or '.x'}, {m.group(3)}]", text)


mutation = st.one_of(
    st.tuples(
        st.just("insert"),
        st.integers(0, 10_000),
        st.sampled_from(list(":[]{}&*!|>'\"%@`\t\n- #\r\ufeff\x00é")),
    ),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(1, 8)),
    st.tuples(st.just("duplicate"), st.integers(0, 200), st.just("")),
    st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just("")),
    st.tuples(st.just("indent"), st.integers(0, 200), st.sampled_from([" ", "  ", "\t"])),
)


def mutate(text: str, mutations: list[tuple[str, int, Any]]) -> str:
    for kind, where, what in mutations:
        index = where % (len(text) + 1)
        if kind == "insert":
            text = text[:index] + what + text[index:]
        elif kind == "delete":
            text = text[:index] + text[index + what :]
        elif kind == "truncate":
            text = text[:index]
        else:
            lines = text.split("\n")
            line = where % len(lines)
            if kind == "duplicate":
                lines.insert(line, lines[line])
            else:
                lines[line] = what + lines[line]
            text = "\n".join(lines)
    return text


_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def check_position(root: Path, diag: Diagnostic) -> None:
    target = root / diag.path
    assert target.is_file(), f"{diag.path} is not a file of the project: {diag}"
    text = target.read_bytes()[: MAX_BYTES + 1].decode("utf-8", "replace")
    assert 1 <= diag.line <= _line_count(text), (diag, text)
    assert diag.col >= 1, diag
    if not _OTHER_BREAKS.search(text):
        lines = text.split("\n")
        if diag.line <= len(lines):
            assert diag.col <= len(lines[diag.line - 1]) + 1, (diag, lines[diag.line - 1])


def lint_texts(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="cigen-prop-") as tmp:
        root = Path(tmp)
        for name, text in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            result = lint(root / CI, root=root, extra_rules=EXTRA_RULES)
        except CigenError:
            return  # exit 2: a documented, user-facing error
        assert result.exit_code in (0, 1)
        crashed = [d for d in result.diagnostics if d.code == "CIG000"]
        assert not crashed, crashed
        for diag in result.diagnostics:
            check_position(root, diag)


@SETTINGS
@given(configuration, configuration)
def test_lint_generated_configurations(main: dict[str, Any], included: dict[str, Any]) -> None:
    lint_texts({CI: to_yaml(main), "ci/a.yml": to_yaml(included), "Dockerfile": "FROM x\n"})


@SETTINGS
@given(configuration, st.lists(mutation, min_size=1, max_size=4))
def test_lint_mangled_configurations(
    data: dict[str, Any], mutations: list[tuple[str, int, Any]]
) -> None:
    text = mutate(to_yaml(data), mutations)
    lint_texts({CI: text, "ci/a.yml": "include: .gitlab-ci.yml\n.x: {script: [y]}\n"})


def test_mutate_and_markers() -> None:
    assert mutate("ab\ncd", [("insert", 1, ":")]) == "a:b\ncd"
    assert mutate("ab\ncd", [("delete", 0, 2)]) == "\ncd"
    assert mutate("ab\ncd", [("duplicate", 1, "")]) == "ab\ncd\ncd"
    assert mutate("ab\ncd", [("indent", 0, "\t")]) == "\tab\ncd"
    assert mutate("ab\ncd", [("truncate", 4, "")]) == "ab\nc"
    text = to_yaml({"job": {"script": "REF<.base|script>", "x": ["REF<|rules>"]}})
    assert "!reference [.base, script]" in text and "!reference [.x, rules]" in text
