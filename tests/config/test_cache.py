"""cigen.config.cache: typed values and positions beyond GitLab's spec examples
(lib/gitlab/ci/config/entry/cache.rb, caches.rb, key.rb, files.rb)."""

from __future__ import annotations

from typing import Any

from cigen.config.cache import DEFAULT_KEY, Cache, caches
from cigen.config.node import Check
from cigen.yaml.load import load_text


def _load(text: str) -> Any:
    loaded = load_text(".gitlab-ci.yml", text.encode())
    assert loaded.ok
    return loaded.body


def test_cache_defaults_and_key_files() -> None:
    body = _load("cache:\n  key:\n    files: [/Gemfile.lock, //yarn.lock]\n    prefix: deps\n")
    c = Check()
    found = caches(c, body["cache"], body.value_mark("cache"), "cache")
    assert c.errors == []
    assert found is not None
    (only,) = found
    assert isinstance(only, Cache)
    assert only.key.files == ("Gemfile.lock", "yarn.lock")  # leading slashes dropped
    assert only.key.prefix == "deps"
    assert (only.policy, only.when, only.unprotect, only.fallback_keys) == (
        "pull-push",
        "on_success",
        False,
        (),
    )


def test_cache_without_key_uses_the_default_key() -> None:
    body = _load("cache: {paths: [vendor/], unprotect: true, policy: pull, when: always}\n")
    found = caches(Check(), body["cache"], body.value_mark("cache"), "cache")
    assert found is not None
    assert found[0].key.name == DEFAULT_KEY
    assert (found[0].paths, found[0].unprotect, found[0].policy, found[0].when) == (
        ("vendor/",),
        True,
        "pull",
        "always",
    )


def test_caches_flattens_nested_lists_and_skips_nulls() -> None:
    body = _load("cache:\n  - [{key: a}, {key: b}]\n  - null\n  - key: c\n")
    found = caches(Check(), body["cache"], body.value_mark("cache"), "jobs:rspec:cache")
    assert found is not None
    assert [item.key.name for item in found] == ["a", "b", "c"]


def test_an_invalid_item_makes_the_list_invalid_and_is_reported_at_its_place() -> None:
    body = _load("cache:\n  - key: a\n  - key: 1\n")
    c = Check()
    assert caches(c, body["cache"], body.value_mark("cache"), "jobs:rspec:cache") is None
    (error,) = c.errors
    assert error.message == "jobs:rspec:cache:key should be a hash, a string or a symbol"
    assert (error.mark.line, error.mark.col) == (3, 10)


def test_errors_point_at_the_value_or_the_unknown_key() -> None:
    body = _load("cache:\n  key: k\n  polcy: pull\n  when: never\n")
    c = Check()
    caches(c, body["cache"], body.value_mark("cache"), "cache")
    assert [(e.message, e.mark.line, e.mark.col) for e in c.errors] == [
        ("cache config contains unknown keys: polcy", 3, 3),
        ("cache when should be one of: on_success, on_failure, always", 4, 9),
    ]


def test_unknown_strategy_keeps_the_case_of_the_location() -> None:
    body = _load("cache: {key: [a]}\n")
    c = Check()
    caches(c, body["cache"], body.value_mark("cache"), "jobs:RSpec:cache")
    assert [e.message for e in c.errors] == [
        "jobs:RSpec:cache:key should be a hash, a string or a symbol"
    ]
