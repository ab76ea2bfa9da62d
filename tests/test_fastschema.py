"""The quick validity check (cigen/fastschema.py) may only say "valid" when jsonschema agrees.

Differential tests: GitLab's own schema-test cases, every real project's entries, and random
values, each checked with both; wherever the quick check decides, it must match jsonschema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cigen.fastschema import is_valid
from cigen.lint.engine import load_pipeline
from cigen.resources import gitlab_ci_schema
from cigen.yaml.load import load_text, to_plain

SCHEMA = gitlab_ci_schema()
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def agree(value: Any, schema: Any = SCHEMA) -> bool | None:
    fast = is_valid(value, schema, SCHEMA)
    if fast is not None:
        slow = VALIDATOR.evolve(schema=schema).is_valid(value)
        assert fast == slow, (value, schema)
    return fast


def corpus_documents() -> list[tuple[str, Any]]:
    folder = CORPUS / "schema-tests"
    if not folder.is_dir():
        return []
    docs = []
    for path in sorted(folder.rglob("*.yml")):
        loaded = load_text(path.name, path.read_bytes())
        if isinstance(loaded.body, dict):
            for key, value in loaded.body.items():
                docs.append((f"{path.relative_to(folder)}::{key}", {key: to_plain(value)}))
    return docs


DOCS = corpus_documents()


@pytest.mark.skipif(not DOCS, reason=f"the schema-test corpus is not at {CORPUS}")
def test_schema_test_cases_agree_with_jsonschema() -> None:
    decided = sum(agree(doc) is not None for _name, doc in DOCS)
    assert decided > len(DOCS) * 0.8  # the quick check decides most documents


@pytest.mark.skipif(not (CORPUS / "real").is_dir(), reason=f"the corpus is not at {CORPUS}")
def test_real_project_entries_agree_with_jsonschema() -> None:
    job = SCHEMA["definitions"]["job_template"]
    checked = 0
    for project in sorted((CORPUS / "real").iterdir()):
        entry = project / ".gitlab-ci.yml"
        if not entry.is_file():
            continue
        pipeline = load_pipeline(entry)
        assert pipeline.config is not None
        for name, value in pipeline.config.items():
            plain = to_plain(value)
            agree({name: plain})
            if isinstance(plain, dict) and not name.startswith("."):
                for key, item in plain.items():
                    if key in job["properties"]:
                        agree(item, job["properties"][key])
                        checked += 1
    assert checked > 1000


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(-2, 2)
    | st.sampled_from(
        ["", "x", "main", "on_success", "never", "manual", "always", "1 day", "a.yml", "$X"]
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["if", "when", "script", "name", "entrypoint", "paths", "key", "max"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)
DEFINITIONS = sorted(SCHEMA["definitions"])


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(DEFINITIONS), JSON)
def test_random_values_agree_on_every_definition(name: str, value: Any) -> None:
    agree(value, {"$ref": f"#/definitions/{name}"})
