"""GitLab's cache entries: ``cache`` (one hash or a list of them), ``cache:key`` and its parts.

Follows ``lib/gitlab/ci/config/entry/caches.rb``, ``cache.rb``, ``key.rb``, ``files.rb``,
``prefix.rb``, ``paths.rb`` and the ``KeyValidator`` of ``lib/gitlab/config/entry/validators.rb``:
the same checks in the same order, GitLab's message text, children checked only when their
parent is valid.

Locations: an entry is called with the location of its key (``jobs:rspec:cache``). An empty
location stands for a node without a key, as GitLab's specs build them: its own messages then
use the class name (``cache``, ``simple key``) and its children only their own key (``key``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from cigen.config.node import (
    Check,
    allowed_keys,
    blank,
    flat_items,
    is_array_of_strings,
    is_string,
    location,
    only_one_of_keys,
    ruby_length,
    ruby_text,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass

#: ``Cache::ALLOWED_KEYS``.
CACHE_KEYS = ("key", "untracked", "paths", "when", "policy", "unprotect", "fallback_keys")
#: ``Cache::ALLOWED_WHEN``.
CACHE_WHEN = ("on_success", "on_failure", "always")
DEFAULT_POLICY = "pull-push"
DEFAULT_WHEN = "on_success"
#: ``Key.default``: the key of a cache that names none.
DEFAULT_KEY = "default"
#: ``Caches::MULTIPLE_CACHE_LIMIT``.
MAX_CACHES = 4
MAX_FALLBACK_KEYS = 5
#: ``Key::ComplexKey::ALLOWED_KEYS``.
COMPLEX_KEY_KEYS = ("files", "files_commits", "prefix")
MAX_KEY_FILES = 2
# ``Cache::ALLOWED_POLICY`` is /pull-push|push|pull|\$\w{1,255}*/, unanchored, matched against
# the value's text: any text holding "push", "pull" or a "$" passes.


def _allowed_policy(text: str) -> bool:
    """Whether ``text`` holds ``push``, ``pull`` or a ``$`` (``ALLOWED_POLICY``, unanchored)."""
    return "push" in text or "pull" in text or "$" in text


@dataclass(frozen=True, slots=True)
class CacheKey:
    """``cache:key``: a name, or the files whose contents (or last commits) make the key."""

    mark: Mark
    name: str | None = None
    files: tuple[str, ...] = ()  # leading slashes removed, as GitLab does
    files_commits: tuple[str, ...] = ()
    prefix: str | None = None


@dataclass(frozen=True, slots=True)
class Cache:
    """One cache of a job (``Entry::Cache#value``), GitLab's defaults filled in."""

    mark: Mark
    key: CacheKey
    paths: tuple[str, ...] | None = None
    untracked: bool | None = None
    unprotect: bool = False
    policy: str = DEFAULT_POLICY
    when: str = DEFAULT_WHEN
    fallback_keys: tuple[str, ...] = ()


def _own(loc: str, name: str) -> str:
    """``Node#location``: the location, or the class name for a node without a key."""
    return loc or name


def caches(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Cache, ...] | None:
    """``Entry::Caches``: one cache hash or a list of at most four.

    ``Caches`` drops its own key, so its messages say ``caches`` where its items say ``cache``.
    """
    parent = loc.rpartition(":")[0]
    own = location(parent, "caches")
    if not isinstance(value, (dict, list)):
        c.add(own, "config", "can only be a Hash or an Array", mark)
        return None
    if isinstance(value, list) and len(value) > MAX_CACHES:
        c.add(own, "config", f"no more than {MAX_CACHES} caches can be created", mark)
        return None
    count = len(c.errors)
    out: list[Cache] = []
    for item, where in flat_items(value, mark):
        if item is None:
            continue
        found = c.reuse(cache, item, where, location(parent, "cache"))
        if found is not None:
            out.append(found)
    return None if len(c.errors) > count else tuple(out)


def cache(c: Check, value: Any, mark: Mark, loc: str) -> Cache | None:
    """``Entry::Cache``."""
    own = _own(loc, "cache")
    if not isinstance(value, dict):
        # Configurable's hash check, then Cache's own: GitLab reports both.
        c.add(own, "config", "should be a hash", mark)
        c.add(own, "config", "should be a hash", mark)
        return None
    count = len(c.errors)
    allowed_keys(c, own, value, CACHE_KEYS, mark)
    policy = value.get("policy")
    if not blank(policy):
        where = value_mark(value, "policy", mark)
        if not is_string(policy):
            c.add(own, "policy", "should be a string", where)
        if not _allowed_policy(ruby_text(policy)):
            c.add(own, "policy", "should be a variable or one of: pull-push, push, pull", where)
    when = value.get("when")
    if when is not None:
        where = value_mark(value, "when", mark)
        if not is_string(when):
            c.add(own, "when", "should be a string", where)
        if when not in CACHE_WHEN:
            c.add(own, "when", "should be one of: " + ", ".join(CACHE_WHEN), where)
    fallback = value.get("fallback_keys")
    if fallback is not None and ruby_length(fallback) > MAX_FALLBACK_KEYS:
        c.add(
            own,
            "fallback_keys",
            f"has to many entries (maximum {MAX_FALLBACK_KEYS})",
            value_mark(value, "fallback_keys", mark),
        )
    if len(c.errors) > count:
        return None
    return _cache_children(c, value, mark, loc)


def _cache_children(c: Check, value: Any, mark: Mark, loc: str) -> Cache | None:
    from cigen.config.root import boolean

    count = len(c.errors)
    found: dict[str, Any] = {"key": CacheKey(mark, name=DEFAULT_KEY)}
    entries = (("key", key), ("unprotect", boolean), ("untracked", boolean))
    for name, entry in (*entries, ("paths", paths), ("fallback_keys", paths)):
        if value.get(name) is not None:
            found[name] = entry(c, value[name], value_mark(value, name, mark), location(loc, name))
    if len(c.errors) > count:
        return None
    policy, when = value.get("policy"), value.get("when")
    return Cache(
        mark=mark,
        key=found["key"],
        paths=found.get("paths"),
        untracked=found.get("untracked"),
        unprotect=bool(found.get("unprotect")),
        policy=policy if isinstance(policy, str) else DEFAULT_POLICY,
        when=when if isinstance(when, str) else DEFAULT_WHEN,
        fallback_keys=found.get("fallback_keys") or (),
    )


def key(c: Check, value: Any, mark: Mark, loc: str) -> CacheKey | None:
    """``Entry::Key``: a string (``SimpleKey``) or a hash of files (``ComplexKey``)."""
    if is_string(value):
        if not _key_text(c, _own(loc, "simple key"), value, mark):
            return None
        return CacheKey(mark, name=value)
    if not isinstance(value, dict):
        # UnknownStrategy#errors: a plain string, not downcased like validator messages.
        own = _own(loc, "unknown strategy")
        c.literal(own, "should be a hash, a string or a symbol", mark)
        return None
    own = _own(loc, "complex key")
    count = len(c.errors)
    allowed_keys(c, own, value, COMPLEX_KEY_KEYS, mark)
    only_one_of_keys(c, own, value, ("files", "files_commits"), mark)
    if len(c.errors) > count:
        return None
    found: dict[str, tuple[str, ...] | None] = {"files": (), "files_commits": ()}
    for name in ("files", "files_commits"):
        if value.get(name) is not None:
            found[name] = files(c, value[name], value_mark(value, name, mark), location(loc, name))
    prefix_text = value.get("prefix")
    if prefix_text is not None:
        prefix_text = prefix(
            c, prefix_text, value_mark(value, "prefix", mark), location(loc, "prefix")
        )
    if len(c.errors) > count:
        return None
    return CacheKey(
        mark,
        files=found["files"] or (),
        files_commits=found["files_commits"] or (),
        prefix=prefix_text,
    )


def _key_text(c: Check, own: str, value: Any, mark: Mark) -> bool:
    """``KeyValidator``: a string that, URL-decoded, has no ``/`` and is not ``.`` or ``..``."""
    if not is_string(value):
        c.add(own, "config", "should be a string or symbol", mark)
        return False
    path = unquote_plus(value)
    if "/" in path:
        c.add(own, "config", 'cannot contain the "/" character', mark)
        return False
    if path in (".", ".."):
        c.add(own, "config", 'cannot be "." or ".."', mark)
        return False
    return True


def files(c: Check, value: Any, mark: Mark, loc: str) -> tuple[str, ...] | None:
    """``Entry::Files``: one or two file paths; leading slashes are dropped."""
    own = _own(loc, "files")
    count = len(c.errors)
    if not is_array_of_strings(value):
        c.add(own, "config", "should be an array of strings", mark)
    length = ruby_length(value)
    if length < 1:
        c.add(own, "config", "requires at least 1 item", mark)
    if length > MAX_KEY_FILES:
        c.add(own, "config", f"has too many items (maximum is {MAX_KEY_FILES})", mark)
    if len(c.errors) > count:
        return None
    return tuple(path.lstrip("/") for path in value)


def prefix(c: Check, value: Any, mark: Mark, loc: str) -> str | None:
    """``Entry::Prefix``: a key text."""
    if not _key_text(c, _own(loc, "prefix"), value, mark):
        return None
    return str(value)


def paths(c: Check, value: Any, mark: Mark, loc: str) -> tuple[str, ...] | None:
    """``Entry::Paths``: an array of strings."""
    if not is_array_of_strings(value):
        c.add(_own(loc, "paths"), "config", "should be an array of strings", mark)
        return None
    return tuple(value)
