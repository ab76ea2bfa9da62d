"""The one module that knows where cigen's data files live."""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cigen.errors import CigenError


@cache
def own_schema(name: str) -> dict[str, Any]:
    """A JSON schema shipped in ``schemas/`` (config, runners, cigen.yml, presets)."""
    text = resources.files("cigen.schemas").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def gitlab_ci_schema(path: Path | None = None) -> dict[str, Any]:
    """GitLab's CI schema: ``path`` if given, else the copy in check-jsonschema's package data."""
    if path is not None:
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CigenError(f"--schema {path}: {exc.strerror}") from None
        except ValueError as exc:
            raise CigenError(f"--schema {path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise CigenError(f"--schema {path}: a JSON schema must be an object")
        import jsonschema

        cls = jsonschema.validators.validator_for(data, default=jsonschema.Draft7Validator)
        try:
            cls.check_schema(data)
        except jsonschema.exceptions.SchemaError as exc:
            raise CigenError(f"--schema {path}: not a valid JSON schema ({exc.message})") from None
        return data
    return _bundled_gitlab_schema()


def gitlab_ci_schema_digest(path: Path | None = None) -> str:
    """A digest of the schema file's bytes (keys the schema cache); empty when unreadable."""
    import hashlib

    try:
        data = (path or bundled_gitlab_schema_path()).read_bytes()
    except (OSError, CigenError):
        return ""
    return hashlib.sha256(data).hexdigest()


def bundled_gitlab_schema_path() -> Path:
    """Where check-jsonschema keeps its copy of GitLab's schema.

    Found without importing check_jsonschema, whose package import pulls in its whole CLI
    (about 150 ms), which a pre-commit hook should not pay.
    """
    spec = importlib.util.find_spec("check_jsonschema")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "builtin_schemas" / "vendor" / "gitlab-ci.json"
        if candidate.is_file():
            return candidate
    raise CigenError(
        "GitLab's CI schema was not found in the check-jsonschema package; install "
        "check-jsonschema or pass --schema FILE"
    )


@cache
def _bundled_gitlab_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(bundled_gitlab_schema_path().read_text(encoding="utf-8"))
    return data


def preset_folder() -> Any:
    """The shipped presets (an importlib Traversable)."""
    return resources.files("cigen.presets")
