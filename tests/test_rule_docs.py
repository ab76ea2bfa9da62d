"""Meta-tests over the rule registry: identity, documentation, and the documented examples.

Each rule's docstring has an "## Example" block that must trigger the rule and a
"## Use instead" block that must not. A block is split into files by ``# file: path`` lines
(the part before the first marker is ``.gitlab-ci.yml``); a ``# runners: [...]`` line gives
the runner inventory (a YAML list of runners) for the runner rules.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import lint_tree

from cigen.diagnostics import Severity
from cigen.lint.settings import Config
from cigen.rules import RULES, lookup
from cigen.runners.inventory import runner_from_data, runners_schema

CODE = re.compile(r"^CIG\d{3}$")
KEBAB = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")
FILE_MARKER = re.compile(r"^# file: (\S+)\s*$")
RUNNERS_MARKER = re.compile(r"^# runners: (.+)$")
#: Rules whose example cannot be linted: internal-error documents a crash, not a config.
NOT_TRIGGERABLE = {"CIG000"}

RULE_IDS = [pytest.param(rule, id=f"{code}-{rule.NAME}") for code, rule in RULES.items()]


def _section(doc: str, heading: str) -> str:
    match = re.search(r"^## " + re.escape(heading) + r"[ \t]*\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def yaml_blocks(doc: str, heading: str) -> list[str]:
    """The ```yaml blocks of one section."""
    return re.findall(r"^```yaml[ \t]*\n(.*?)^```", _section(doc, heading), re.S | re.M)


def split_block(block: str) -> tuple[dict[str, str], tuple[Any, ...] | None]:
    """``({path: text}, runners)`` from one documented block."""
    files: dict[str, str] = {}
    name, current = ".gitlab-ci.yml", []
    runners: tuple[Any, ...] | None = None
    for line in block.splitlines(keepends=True):
        marker = FILE_MARKER.match(line)
        inventory = RUNNERS_MARKER.match(line)
        if marker:
            files[name] = "".join(current)
            name, current = marker.group(1), []
        elif inventory and name == ".gitlab-ci.yml" and not current:
            items = yaml.safe_load(inventory.group(1))
            runners = tuple(_runner(item) for item in items)
        else:
            current.append(line)
    files[name] = "".join(current)
    return files, runners


def _runner(item: dict[str, Any]) -> Any:
    jsonschema.validate({"runners": [item]}, runners_schema())  # the documented inventory is valid
    return runner_from_data(item)


def _lint_block(tmp_path: Path, block: str, rule: Any = None) -> Any:
    files, runners = split_block(block)
    options: dict[str, Any] = {} if runners is None else {"runners": runners}
    if rule is not None and not getattr(rule, "DEFAULT_ENABLED", True):
        options["config"] = Config(select=frozenset({rule.CODE}))  # an opt-in rule
    return lint_tree(tmp_path, files, **options)


def _show(result: Any) -> str:
    return "\n".join(
        f"  {d.path}:{d.line}:{d.col} {d.code} {d.name} [{d.severity.label}] {d.message}"
        for d in result.diagnostics
    )


# --- identity ----------------------------------------------------------------------------


def test_registry_is_not_empty() -> None:
    assert len(RULES) >= 20


@pytest.mark.parametrize("rule", RULE_IDS)
def test_code_and_name_shape(rule: Any) -> None:
    assert CODE.match(rule.CODE), rule.CODE
    assert KEBAB.match(rule.NAME), rule.NAME
    assert isinstance(rule.SEVERITY, Severity)
    assert isinstance(rule.SUMMARY, str) and rule.SUMMARY.strip()
    assert callable(rule.check)


def test_registry_keys_are_the_codes() -> None:
    assert all(code == rule.CODE for code, rule in RULES.items())


def test_codes_and_names_unique() -> None:
    rules = list(RULES.values())
    codes = [rule.CODE for rule in rules]
    names = [rule.NAME for rule in rules]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("rule", RULE_IDS)
def test_lookup_by_code_and_name(rule: Any) -> None:
    assert lookup(rule.CODE) is rule
    assert lookup(rule.CODE.lower()) is rule
    assert lookup(rule.NAME) is rule


# --- documentation -----------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULE_IDS)
def test_docstring_sections(rule: Any) -> None:
    doc = rule.__doc__ or ""
    positions = []
    for heading in SECTIONS:
        assert re.search(r"^" + re.escape(heading) + r"[ \t]*$", doc, re.M), (
            f"{rule.CODE} docstring lacks '{heading}'"
        )
        positions.append(doc.index(heading))
    assert positions == sorted(positions), f"{rule.CODE}: sections out of order"
    assert doc.strip().splitlines()[0].strip(), "the first line is the rule's one-line summary"
    assert yaml_blocks(doc, "Example"), f"{rule.CODE}: no ```yaml block under Example"
    assert yaml_blocks(doc, "Use instead"), f"{rule.CODE}: no ```yaml block under Use instead"


# --- documented examples -------------------------------------------------------------------


def _examples(heading: str, *, skip: set[str]) -> list[Any]:
    params = []
    for code, rule in RULES.items():
        for index, block in enumerate(yaml_blocks(rule.__doc__ or "", heading)):
            marks = (
                [pytest.mark.skip(reason=f"{code} cannot be triggered by a configuration")]
                if code in skip
                else []
            )
            params.append(pytest.param(rule, block, id=f"{code}-{index}", marks=marks))
    return params


@pytest.mark.parametrize(("rule", "block"), _examples("Example", skip=NOT_TRIGGERABLE))
def test_example_triggers_the_rule(tmp_path: Path, rule: Any, block: str) -> None:
    result = _lint_block(tmp_path, block, rule)
    own = [d for d in result.diagnostics if d.code == rule.CODE]
    assert own, f"{rule.CODE} example did not trigger it; findings:\n{_show(result)}"
    assert all(d.name == rule.NAME for d in own)


@pytest.mark.parametrize(("rule", "block"), _examples("Use instead", skip=set()))
def test_use_instead_is_clean(tmp_path: Path, rule: Any, block: str) -> None:
    result = _lint_block(tmp_path, block, rule)
    assert not [d for d in result.diagnostics if d.code == rule.CODE], _show(result)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors, f"{rule.CODE} 'Use instead' has errors:\n{_show(result)}"


def test_split_block_files_and_runners() -> None:
    files, runners = split_block(
        "# runners: [{name: a, tags: [x], protected: true}]\n"
        "include: ci/a.yml\n# file: ci/a.yml\njob:\n  script: [x]\n# file: b.yml\n.b: {}\n"
    )
    assert files == {
        ".gitlab-ci.yml": "include: ci/a.yml\n",
        "ci/a.yml": "job:\n  script: [x]\n",
        "b.yml": ".b: {}\n",
    }
    assert runners is not None
    assert [(r.name, sorted(r.tags), r.protected) for r in runners] == [("a", ["x"], True)]
