"""only/except entries (cigen/config/policy.py; GitLab: lib/gitlab/ci/config/entry/policy.rb,
validators.rb ArrayOfStringsOrRegexpsValidator, untrusted_regexp/ruby_syntax.rb). The spec
examples are in cases/policy.yaml."""

from __future__ import annotations

from cigen.config import policy
from cigen.config.policy import Policy
from config.entry_helpers import at, run


def test_refs_array() -> None:
    found, errors, _ = run(policy.policy, "x: [main, '/^release-.*$/i', '//']\n")
    assert errors == []
    assert found == Policy(at(1, 4), refs=("main", "/^release-.*$/i", "//"))


def test_ruby_regexp_syntax() -> None:
    assert policy.is_ref_or_regexp("/a/") and policy.is_ref_or_regexp("/a/ismU")
    assert policy.is_ref_or_regexp("a/b/c")  # not /.../: a plain ref name
    assert policy.is_ref_or_regexp("/a/x")  # "x" is no flag: not a regexp, a plain name
    assert not policy.is_ref_or_regexp("/a(/")  # RE2 refuses it
    assert not policy.is_ref_or_regexp("/(?<=a)b/")  # no look-behind in RE2
    assert not policy.is_ref_or_regexp(1)


def test_complex_policy_typed_and_default_refs() -> None:
    found, errors, _ = run(
        policy.policy,
        "x: {variables: [$A == 'b'], changes: [a/*], kubernetes: active}\n",
    )
    assert errors == []
    assert found == Policy(at(1, 4), None, ("$A == 'b'",), ("a/*",), "active")
    assert found.with_default_refs().refs == ("branches", "tags")
    given = Policy(at(1, 1), refs=("main",))
    assert given.with_default_refs() is given


def test_each_invalid_statement_is_one_error_at_the_variables_value() -> None:
    _, errors, marks = run(policy.policy, "x:\n  variables: ['$A ==', '$B', '== 1', 2]\n")
    assert errors == [
        "x variables invalid expression syntax",
        "x variables invalid expression syntax",
        "x variables should be an array of strings",
    ]
    assert marks == [(2, 14)] * 3


def test_kubernetes_value_is_printed_like_ruby() -> None:
    _, errors, marks = run(policy.policy, "x: {kubernetes: true}\n")
    assert (errors, marks) == (["x kubernetes unknown value: true"], [(1, 17)])


def test_refs_error_position_and_unknown_keys() -> None:
    _, errors, marks = run(policy.policy, "x: {refs: ['/(/'], when: x}\n")
    assert errors == [
        "x config contains unknown keys: when",
        "x refs should be an array of strings or regular expressions using re2 syntax",
    ]
    assert marks == [(1, 20), (1, 11)]


def test_string_policy_keeps_the_location_case() -> None:
    _, errors, _ = run(policy.policy, "x: main\n", loc="jobs:Build:only")
    assert errors == ["jobs:Build:only has to be either an array of conditions or a hash"]
