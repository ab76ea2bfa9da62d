"""The ``spec:`` header document of a configuration file (``lib/gitlab/ci/config/header/**``).

GitLab checks the header before it interpolates a file's inputs
(``Interpolation::Interpolator#header``, keyed ``header``): the root takes only ``spec``; the
spec takes ``inputs``, ``include`` and ``component``; each input takes ``default``,
``description``, ``options``, ``regex``, ``type`` and ``rules`` (``entry/base_input.rb``,
``header/input.rb``, ``header/input/rules/rule.rb``).
"""

from __future__ import annotations

from typing import Any

from cigen.config.node import (
    Check,
    allowed_keys,
    blank,
    is_alphanumeric,
    is_array_of_strings,
    is_hash,
    is_string,
    item_mark,
    mutually_exclusive_keys,
    ruby_text,
    type_name,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.regex import lazy_pattern
from cigen.yaml.load import YMap

INPUT_KEYS = ("default", "description", "options", "regex", "type", "rules")
INPUT_TYPES = ("array", "boolean", "number", "string")
COMPONENT_VALUES = ("name", "sha", "version", "reference")
RULE_KEYS = ("if", "options", "default")
OPTIONS_LIMIT = 50
#: ``Header::Include::ALLOWED_KEYS``: ``BaseInclude::COMMON_ALLOWED_KEYS`` only.
INCLUDE_KEYS = ("local", "file", "remote", "project", "ref", "integrity", "cache")


def header(c: Check, value: Any, mark: Mark, key: str = "header") -> None:
    """``Header::Root``: a hash with only ``spec``. GitLab keys it ``header`` when it
    interpolates; without a key its own messages say ``root`` and its children's have no
    prefix (as in GitLab's ``header/root_spec.rb``)."""
    loc = key or "root"
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)
        return
    if not allowed_keys(c, loc, value, ("spec",), mark):
        return
    found = value.get("spec")
    if found is not None:
        spec(c, found, value.value_mark("spec"), f"{key}:spec" if key else "spec")


def spec(c: Check, value: Any, mark: Mark, loc: str) -> None:
    """``Header::Spec``."""
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)
        return
    if not allowed_keys(c, loc, value, ("inputs", "include", "component"), mark):
        return
    if value.get("inputs") is not None:
        inputs(c, value["inputs"], value.value_mark("inputs"), f"{loc}:inputs")
    if value.get("include") is not None:
        includes(c, value["include"], value.value_mark("include"), f"{loc}:include")
    if value.get("component") is not None:
        component(c, value["component"], value.value_mark("component"), f"{loc}:component")


def inputs(c: Check, value: Any, mark: Mark, loc: str) -> None:
    """``ComposableHash`` of ``Header::Input``."""
    if not is_hash(value):
        c.add(loc, "config", type_name(dict), mark)
        return
    assert isinstance(value, YMap)
    for name, found in value.items():
        where = value.value_mark(name)
        one = YMap(where) if found is None else found
        input_entry(c, name, one, where, f"{loc}:{name}")
    _input_references(c, value, loc)


_input_reference = lazy_pattern(r"\$\[\[\s*inputs\.(\w+)\s*\]\]")


def _input_references(c: Check, value: YMap, loc: str) -> None:
    """``Header::Inputs::Validator``: the inputs each rule's ``if`` names are declared, and no
    input depends on itself through them (reported once, on the first input)."""
    graph: dict[str, list[str]] = {}
    for name, found in value.items():
        rules = found.get("rules") if isinstance(found, dict) else None
        graph[name] = []
        for index, rule in enumerate(rules if isinstance(rules, list) else ()):
            condition = rule.get("if") if isinstance(rule, dict) else None
            if not isinstance(condition, str):
                continue
            named = list(dict.fromkeys(_input_reference().findall(condition)))
            graph[name].extend(named)
            undefined = [n for n in named if n not in value]
            if undefined:
                text = f"rule[{index}] references undefined inputs: {', '.join(undefined)}"
                c.add(f"{loc}:{name}", "config", text, value.value_mark(name))
    if graph and _cyclic(graph):
        first = next(iter(value))
        c.add(f"{loc}:{first}", "config", "circular dependency detected", value.value_mark(first))


def _cyclic(graph: dict[str, list[str]]) -> bool:
    """Whether following the dependencies of ``graph`` (unknown names have none) loops."""
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        path: set[str] = {start}
        stack = [(start, iter(graph[start]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.discard(node)
                done.add(node)
            elif child in path:
                return True
            elif child not in done and child in graph:
                path.add(child)
                stack.append((child, iter(graph[child])))
    return False


def input_entry(c: Check, name: str, value: Any, mark: Mark, loc: str) -> None:
    """``Header::Input`` with ``BaseInput``'s validations."""
    own = Check()
    if not is_alphanumeric(name):
        own.add(loc, "key", "must be an alphanumeric string", mark)
    options = value.get("options") if isinstance(value, dict) else None
    if isinstance(value, dict):
        described = value.get("description")
        if described is not None and not is_alphanumeric(described):
            own.add(loc, "input_description", "must be an alphanumeric string", mark)
        regex = value.get("regex")
        if regex is not None and not is_string(regex):
            own.add(loc, "input_regex", type_name(str), value_mark(value, "regex", mark))
        kind = value.get("type")
        if kind is not None and ruby_text(kind) not in INPUT_TYPES:
            own.add(
                loc,
                "input_type",
                f"unknown value: {ruby_text(kind)}",
                value_mark(value, "type", mark),
            )
        if options is not None and not isinstance(options, list):
            own.add(loc, "input_options", type_name(list), value_mark(value, "options", mark))
    if isinstance(options, list) and len(options) > OPTIONS_LIMIT:
        own.add(loc, "config", f"cannot define more than {OPTIONS_LIMIT} options", mark)
    if not is_hash(value):
        own.add(loc, "config", type_name(dict), mark)
    else:
        allowed_keys(own, loc, value, INPUT_KEYS, mark)
        mutually_exclusive_keys(own, loc, value, ("rules", "options"), mark)
        mutually_exclusive_keys(own, loc, value, ("rules", "default"), mark)
    c.extend(own)
    if own.errors or not isinstance(value, YMap) or value.get("rules") is None:
        return
    input_rules(c, name, value["rules"], value.value_mark("rules"), f"{loc}:rules")


def input_rules(c: Check, name: str, value: Any, mark: Mark, loc: str) -> None:
    """``Header::Input::Rules``: its rules' errors are renamed ``<name> input: ...``
    (``Rules#errors`` rewrites ``[header:spec:inputs:]<name>:rules:rule ...``)."""
    from cigen.config.node import ConfigError

    if not isinstance(value, list):
        c.add(loc, "config", type_name(list), mark)
        return
    for index, rule in enumerate(value):
        where = item_mark(value, index, mark)
        for text in _rule_errors(rule):
            message = _rule_error().sub(r"`\1` input: \2", f"{loc}:rule {text}".lower())
            c.errors.append(ConfigError(message, where, where=loc))


_rule_error = lazy_pattern(r"(?:header:spec:inputs:)?(\w+):rules:rule (?:base |config )?(.+)")


def _rule_errors(rule: Any) -> list[str]:
    """``Header::Input::Rules::Rule``'s messages, without location (``Rules#errors`` drops it)."""
    errors: list[str] = []
    if blank(rule):
        errors.append("config can't be blank")
    if not isinstance(rule, dict):
        errors.append("config should be a hash")
        return errors
    unknown = [k for k in rule if k not in RULE_KEYS]
    if unknown:
        errors.append("config contains unknown keys: " + ", ".join(unknown))
    condition = rule.get("if")
    if condition is not None:
        from cigen.expressions import validate

        if not isinstance(condition, str) or validate(condition) is not None:
            errors.append("if invalid expression syntax")
    options = rule.get("options")
    if options is not None and not isinstance(options, list):
        errors.append("options should be an array")
    if errors:
        return errors
    has_default = "default" in rule
    if not has_default:
        errors.append("rule must define 'options' with at least one value and a 'default'")
    if isinstance(options, list) and len(options) > OPTIONS_LIMIT:
        errors.insert(0, f"config cannot define more than {OPTIONS_LIMIT} options")
    if has_default and isinstance(options, list) and options and rule["default"] not in options:
        errors.append(f"default '{ruby_text(rule['default'])}' must be one of the options")
    return errors


def includes(c: Check, value: Any, mark: Mark, loc: str) -> None:
    """``Header::Includes``: a path or an array of ``Header::Include`` (key ``include``)."""
    if not isinstance(value, (list, str)):
        c.add(loc, "config", "should be an array or a string", mark)
        return
    for index, item in enumerate(value if isinstance(value, list) else [value]):
        if item is not None:
            include_entry(c, item, item_mark(value, index, mark), f"{loc}:include")


def include_entry(c: Check, value: Any, mark: Mark, loc: str) -> None:
    """``Header::Include``: ``BaseInclude``'s checks with the common keys only (an inputs file
    has no ``template``, ``component``, ``rules`` or ``inputs``)."""
    from cigen.config.include import base_include_checks

    if not (is_hash(value) or is_string(value)):
        c.add(loc, "config", "should be a hash or a string", mark)
        return
    if is_hash(value):
        base_include_checks(c, value, mark, loc)
        allowed_keys(c, loc, value, INCLUDE_KEYS, mark)


def input_rule(c: Check, value: Any, mark: Mark, loc: str) -> None:
    """``Header::Input::Rules::Rule`` on its own (its messages carry its location)."""
    from cigen.config.node import ConfigError

    for text in _rule_errors(value):
        c.errors.append(ConfigError(f"{loc} {text}".lower(), mark, where=loc))


def component(c: Check, value: Any, mark: Mark, loc: str) -> None:
    """``Header::Component``: an array of ``name``, ``sha``, ``version``, ``reference``."""
    if not isinstance(value, list):
        c.add(loc, "config", type_name(list), mark)
    if not is_array_of_strings(value):
        c.add(loc, "config", "should be an array of strings", mark)
        return
    unknown = [v for v in value if v not in COMPONENT_VALUES]
    if unknown:
        c.add(loc, "config", "contains unknown values: " + ", ".join(unknown), mark)
