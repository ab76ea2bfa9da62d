"""The one module that knows where cigen's data files live.

Data files, shipped ones included, are read by :func:`cigen.project.read_file` (regular files
only, size-capped, confined to their folder).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any


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


def preset_folder() -> Any:
    """The shipped presets (an importlib Traversable)."""
    from importlib import resources

    return resources.files("cigen.presets")
