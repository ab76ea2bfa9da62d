"""The one module that knows where cigen's data files live.

Data files, shipped ones included, are read by :func:`cigen.project.read_file` (regular files
only, size-capped, confined to their folder).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from cigen.errors import CigenError


def shipped(package: str, name: str) -> bytes:
    """A data file shipped with cigen (``package`` is ``cigen.schemas`` or ``cigen.presets``)."""
    from importlib import resources

    from cigen.project import read_file

    folder = Path(str(resources.files(package)))
    data = read_file(folder / name, root=folder, what=f"cigen's data file {name}")
    assert data is not None
    return data


@cache
def own_schema(name: str) -> dict[str, Any]:
    """A JSON schema shipped in ``schemas/`` (config, runners, cigen.yml, presets)."""
    import json

    data: dict[str, Any] = json.loads(shipped("cigen.schemas", name))
    return data


def _schema_bytes(path: Path, root: Path | None) -> bytes:
    from cigen.project import read_file

    data = read_file(
        path,
        root=root if root is not None else path.parent,
        what="the GitLab CI schema",
        explicit=True,
        label=f"--schema {path}",
    )
    assert data is not None
    return data


def gitlab_ci_schema(path: Path | None = None, *, root: Path | None = None) -> dict[str, Any]:
    """GitLab's CI schema: ``path`` (read inside ``root``) if given, else the copy in
    check-jsonschema's package data."""
    import json

    if path is not None:
        try:
            data: dict[str, Any] = json.loads(_schema_bytes(path, root))
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
        from cigen.regex import unsupported_patterns

        bad = next(unsupported_patterns(data), None)
        if bad is not None:
            raise CigenError(
                f"--schema {path}: pattern {bad[:60]!r} is not a regular expression RE2 can run "
                "(cigen matches schema patterns in linear time: no lookarounds or backreferences)"
            ) from None
        return data
    return _bundled_gitlab_schema()


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
    import json

    data: dict[str, Any] = json.loads(_schema_bytes(bundled_gitlab_schema_path(), None))
    return data


def preset_folder() -> Any:
    """The shipped presets (an importlib Traversable)."""
    from importlib import resources

    return resources.files("cigen.presets")
