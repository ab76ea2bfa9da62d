"""The coverage table (``tests/config/coverage.yaml``): every validation in GitLab's code has a
row, and every row names the conformance cases that exercise it.

The validations are found by reading GitLab's Ruby source (``../shared/reference/gitlab-18.9``):
each ``validates`` (and ``validates_with``), ``errors.add``, ``errors.push``/``<<``,
``error!``, ``add_warning``, raised error with its own message, and literal error list of an
``UnknownStrategy#errors``, in the entry classes (``lib/gitlab/ci/config/entry/**``),
``lib/gitlab/config/entry/validators.rb``, ``lib/gitlab/ci/yaml_processor.rb`` (and
``yaml_processor/``), and the include, header and interpolation code
(``lib/gitlab/ci/config/external/**``, ``header/**``, ``interpolation/**``).

A row is ``{validation: "lib/...rb:LINE", what:, cases: [...]}``; a case is a conformance case,
``"<case file>::<case name>"`` (``environment.yaml::unknown key``), or a test,
``"tests/<path>.py::<test function>"``. A row without cases says why GitLab's check cannot
arise for cigen: ``unreachable: <reason>``. No row is left pending.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cigen.yaml.load import load_text

HERE = Path(__file__).parent
TABLE = HERE / "coverage.yaml"
CASES = HERE / "cases"
REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "gitlab-18.9"

#: Where GitLab validates a configuration (relative to the reference's root).
SCANNED = (
    "lib/gitlab/ci/config/entry/**/*.rb",
    "lib/gitlab/config/entry/validators.rb",
    "lib/gitlab/ci/yaml_processor.rb",
    "lib/gitlab/ci/yaml_processor/**/*.rb",
    "lib/gitlab/ci/config/external/**/*.rb",
    "lib/gitlab/ci/config/header/**/*.rb",
    "lib/gitlab/ci/config/interpolation/**/*.rb",
)

#: A line that adds an error or a warning. Raised errors count unless they only pass another
#: error's message on, or signal a programming error.
SITE = re.compile(
    r"""^(?:validates\s+:|validates_with\s
     | .*\berrors\.add\(
     | .*(?:\berrors|@errors|@params_errors)\s*(?:\.push\(|<<)
     | (?!def\s).*(?<![\w.])error!\(
     | (?!def\s).*(?<![\w.])add_warning\(
     | .*\braise\s+(?!(?:NotImplementedError|ArgumentError|StandardError)\b)
         [A-Z]\w*(?:::[A-Z]\w*)*\b
         (?!\s*,\s*(?:e\.message|message|file\.error_message|result\.error)\b)
    )""",
    re.X,
)
#: The body of an ``UnknownStrategy#errors``: a literal list of one message.
LITERAL_ERRORS = re.compile(r"""^\[\s*["'].*["']\s*\]$""")

needs_reference = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason=f"GitLab's source is not at {REFERENCE} (../shared absent)"
)


def validation_sites(root: Path) -> Iterator[tuple[str, str]]:
    """``("lib/...rb:LINE", source line)`` for every validation under ``root``."""
    found = {path for pattern in SCANNED for path in root.glob(pattern)}
    files = sorted(found, key=lambda path: path.relative_to(root).as_posix())
    for path in files:
        previous = ""
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if SITE.match(text) or (previous == "def errors" and LITERAL_ERRORS.match(text)):
                yield f"{path.relative_to(root).as_posix()}:{number}", text
            previous = text


def _table() -> list[Any]:
    loaded = load_text(TABLE.name, TABLE.read_bytes())
    assert loaded.ok, loaded.problems
    assert isinstance(loaded.body, list), "coverage.yaml is a list of rows"
    return list(loaded.body)


def _case_ids() -> set[str]:
    ids: set[str] = set()
    for path in sorted(CASES.glob("*.yaml")):
        body = load_text(path.name, path.read_bytes()).body
        ids.update(f"{path.name}::{case['name']}" for case in body["cases"])
    return ids


def _exists(case: str, known: set[str]) -> bool:
    """A conformance case (``file.yaml::name``, or ``file::name``), or a test function in a
    file under ``tests/``."""
    path, _, name = case.partition("::")
    if case in known or f"{path}.yaml::{name}" in known:
        return True
    if not (path.startswith("tests/") and path.endswith(".py") and name):
        return False
    source = HERE.parents[1] / path
    if not source.is_file():
        return False
    return (
        re.search(rf"^def {re.escape(name)}\(", source.read_text(encoding="utf-8"), re.M)
        is not None
    )


def _sort_key(validation: str) -> tuple[str, int]:
    path, _, line = validation.rpartition(":")
    return path, int(line)


def test_rows_are_well_formed_and_sorted() -> None:
    rows = _table()
    keys = [str(row["validation"]) for row in rows]
    assert keys == sorted(keys, key=_sort_key), "rows are sorted by file and line"
    assert len(keys) == len(set(keys)), "one row per validation"
    for row in rows:
        assert set(row) <= {"validation", "what", "cases", "unreachable"}, row
        assert str(row.get("what") or "").strip(), f"{row['validation']}: say what it checks"
        cases = row.get("cases") or []
        excuse = row.get("unreachable")
        assert cases or excuse, f"{row['validation']}: no case covers it (or say why)"
        assert not (cases and row.get("unreachable")), f"{row['validation']}: reached after all"


def test_rows_name_existing_cases() -> None:
    known = _case_ids()
    missing = [
        f"{row['validation']}: {case}"
        for row in _table()
        for case in row.get("cases") or []
        if not _exists(str(case), known)
    ]
    assert not missing, "rows naming cases that do not exist:\n" + "\n".join(missing)


@needs_reference
def test_every_validation_has_a_row() -> None:
    sites = dict(validation_sites(REFERENCE))
    rows = {str(row["validation"]) for row in _table()}
    absent = [f"{key}  {sites[key]}" for key in sites if key not in rows]
    stale = sorted(rows - set(sites), key=_sort_key)
    assert not absent, "validations without a row:\n" + "\n".join(absent)
    assert not stale, "rows for lines that are not validations:\n" + "\n".join(stale)


def test_scanner_finds_each_kind_of_site(tmp_path: Path) -> None:
    """The patterns, on a made-up entry file (runs without ../shared)."""
    source = tmp_path / "lib/gitlab/ci/config/entry/sample.rb"
    source.parent.mkdir(parents=True)
    source.write_text(
        "\n".join(
            [
                "validations do",  # 1
                "  validates :config, type: Hash",  # 2 site
                "  errors.add(:config, 'x')",  # 3 site
                "  # errors.add(:config, 'in a comment')",  # 4
                "end",  # 5
                "def errors",  # 6
                '  ["#{location} should be a hash"]',  # 7 site
                "end",  # 8
                "def error!(message)",  # 9
                "  raise ValidationError, message",  # 10 passes a message on
                "end",  # 11
                "error!('boom')",  # 12 site
                "raise NotImplementedError",  # 13
                "raise TooManyError, 'too many'",  # 14 site
                "@errors << 'bad'",  # 15 site
                "add_warning('careful')",  # 16 site
                "raise IncludeError, e.message",  # 17 passes a message on
            ]
        ),
        encoding="utf-8",
    )
    found = [key.rpartition(":")[2] for key, _ in validation_sites(tmp_path)]
    assert found == ["2", "3", "7", "12", "14", "15", "16"]
