"""Every entry of the tree by the name GitLab's specs test it under (``cache``, ``job``, ...).

Used by the conformance cases (``tests/config/cases``), which feed an entry one value the way
GitLab's ``spec/lib/gitlab/ci/config/entry/*_spec.rb`` do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from cigen.config import (
    artifacts,
    cache,
    environment,
    header,
    image,
    include,
    inherit,
    jobmisc,
    needs,
    parallel,
    policy,
    root,
    rules,
    trigger,
    variables,
)
from cigen.config.node import Check
from cigen.diagnostics import Mark
from cigen.yaml.load import YMap

Entry = Callable[[Check, Any, Mark, str], Any]


def _processable(kind: str, name: str, raw_name: Any = root.STRING_KEY) -> Entry:
    """A job or bridge as GitLab's specs build it: ``described_class.new(config, name:)``,
    without a key, so its own messages say ``job`` (``bridge``) and its children's only their
    key."""

    def entry(c: Check, value: Any, mark: Mark, loc: str) -> Any:
        if not isinstance(value, dict):
            c.add(loc, "config", "should be a hash", mark)
            return None
        return root.job(c, name, value, mark, loc, kind, False, raw_name=raw_name, child_loc="")

    return entry


def _processable_only(name: str) -> Entry:
    """``processable_spec.rb``'s node class: ``Processable`` alone, with a ``tags`` entry."""

    def entry(c: Check, value: Any, mark: Mark, loc: str) -> Any:
        if not isinstance(value, YMap):
            c.add(loc, "config", "should be a hash", mark)
            return None
        return root.processable(c, name, value, mark, loc)

    return entry


def _jobs(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    """``Entry::Jobs`` given a hash of jobs (``Root`` only ever gives it a hash)."""
    assert isinstance(value, YMap), "Root gives Jobs a hash"
    marks = {name: value.key_mark(name) for name in value}
    return root.jobs(c, value, marks, mark, False, value.typed_key)


def _root(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    """``Entry::Root`` on a configuration hash."""
    assert isinstance(value, YMap), "GitLab's Config refuses a document that is not a hash"
    model = root.root(value)
    c.errors.extend(model.errors)
    c.warnings.extend(model.warnings)
    return model


def _header_root(c: Check, value: Any, mark: Mark, loc: str) -> None:
    header.header(c, value, mark, key="")


def _header_input(c: Check, value: Any, mark: Mark, loc: str) -> None:
    header.input_entry(c, loc, value, mark, loc)


def _header_input_rules(c: Check, value: Any, mark: Mark, loc: str) -> None:
    header.input_rules(c, loc, value, mark, loc)


def _job_rule(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return rules.rule(
        c, value, mark, loc, allowed_when=rules.JOB_RULE_WHEN, allowed_keys=rules.JOB_RULE_KEYS
    )


def _workflow_rule(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return rules.rule(
        c,
        value,
        mark,
        loc,
        allowed_when=rules.WORKFLOW_RULE_WHEN,
        allowed_keys=rules.WORKFLOW_RULE_KEYS,
    )


def _need(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    return needs.need(c, value, mark, loc)[2]


def _variable(data: tuple[str, ...]) -> Entry:
    """A variable named after the last part of its location (GitLab's spec sets ``key``)."""

    def entry(c: Check, value: Any, mark: Mark, loc: str) -> Any:
        name = loc.rsplit(":", 1)[-1]
        return variables.variable(c, name, value, mark, loc, allowed_value_data=data)

    return entry


#: name -> entry function; helpers add their entries here.
ENTRIES: dict[str, Entry] = {
    "commands": root.commands,
    "stages": root.stages,
    "stage": root.stage,
    "boolean": root.boolean,
    "default": root.default,
    "job": _processable("job", "rspec"),
    "job(name: pages)": _processable("job", "pages"),
    "job(name: pages:staging)": _processable("job", "pages:staging"),
    'job(name: "")': _processable("job", ""),
    "bridge": _processable("bridge", "my_bridge"),
    "processable": _processable_only("rspec"),
    'processable(name: "")': _processable_only(""),
    "processable(name: a * 256)": _processable_only("a" * 256),
    "hidden": root.hidden,
    "jobs": _jobs,
    "root": _root,
    "header_root": _header_root,
    "header_input": _header_input,
    "header_component": header.component,
    "header_spec": header.spec,
    "header_inputs": header.inputs,
    "header_include": header.include_entry,
    "header_includes": header.includes,
    "header_input_rules": _header_input_rules,
    "header_input_rule": header.input_rule,
    # cache.py
    "caches": cache.caches,
    "cache": cache.cache,
    "key": cache.key,
    "files": cache.files,
    "prefix": cache.prefix,
    "paths": cache.paths,
    # artifacts.py
    "artifacts": artifacts.artifacts,
    "reports": artifacts.reports,
    "coverage_report": artifacts.coverage_report,
    "coverage": artifacts.coverage,
    "pages": artifacts.pages,
    "publish": artifacts.publish,
    "release": artifacts.release,
    "assets": artifacts.assets,
    "links": artifacts.links,
    # image.py; the "(with_image_ports)" variants take the option GitLab's specs pass
    "image": image.image,
    "image(with_image_ports)": functools.partial(image.image, with_image_ports=True),
    "service": image.service,
    "service(with_image_ports)": functools.partial(image.service, with_image_ports=True),
    "services": image.services,
    "services(with_image_ports)": functools.partial(image.services, with_image_ports=True),
    "ports": image.ports,
    "port": image.port,
    "pull_policy": image.pull_policy,
    # jobmisc.py
    "hooks": jobmisc.hooks,
    "timeout": jobmisc.timeout,
    "retry": jobmisc.retry,
    "tags": jobmisc.tags,
    "id_tokens": jobmisc.id_tokens,
    "id_token": jobmisc.id_token,
    "allow_failure": jobmisc.allow_failure,
    "job_inputs": jobmisc.job_inputs,
    "job_input": jobmisc.job_input,
    # config-b: rules, workflow, needs, parallel, variables, only/except
    "rules": rules.job_rules,
    "workflow_rules": rules.workflow_rules,
    "rule": _job_rule,
    "workflow_rule": _workflow_rule,
    "changes": rules.changes,
    "exists": rules.exists,
    "include_exists": rules.include_exists,
    "workflow": rules.workflow,
    "auto_cancel": rules.auto_cancel,
    "needs": needs.job_needs,
    "bridge_needs": needs.bridge_needs,
    "rule_needs": needs.rule_needs,
    "need": _need,
    "parallel": parallel.parallel,
    "bridge_parallel": parallel.matrix_only,
    "matrix": parallel.matrix,
    "matrix_variables": parallel.matrix_row,
    "variables": variables.root_variables,
    "job_variables": variables.job_variables,
    "plain_variables": variables.plain_variables,
    "variable": _variable(()),
    "job_variable": _variable(variables.JOB_DATA),
    "root_variable": _variable(variables.ROOT_DATA),
    "policy": policy.policy,
    # metadata GitLab's specs pass that no pipeline context has
    "parallel(allowed_strategies: numeric)": functools.partial(
        parallel.parallel, allowed=(parallel.NUMERIC,)
    ),
    "needs(allowed_needs: cross_dependency)": functools.partial(
        needs.needs, allowed=(needs.CROSS_DEPENDENCY,)
    ),
    "variable(allowed_value_data: value, xyz)": _variable(("value", "xyz")),
    # config-c: environment, trigger, inherit, include
    "environment": environment.environment,
    "kubernetes": environment.kubernetes,
    "trigger": trigger.trigger,
    "forward": trigger.forward,
    "inherit": inherit.inherit,
    "inherit_default": inherit.inherit_default,
    "inherit_variables": inherit.inherit_variables,
    "include": include.include,
    "includes": include.includes,
    "trigger_includes": include.trigger_includes,
    "include_rules": include.include_rules,
    "include_rule": include.include_rule,
}
