"""Rendered runner files on disk: keep the Secret values already filled in, write atomically.

A Secret file cigen rendered holds empty values for the user (or ``cigen runners apply``) to
fill in. Rendering again must not wipe them: :func:`kept_values` reads the values present in
the existing Secret files, and :func:`write_files` writes every file through the one atomic
writer, Secret files with mode 0600, refusing files cigen did not write unless forced.
Secret values are only ever copied from file to file; they never reach a message.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cigen.errors import CigenError
from cigen.runners.inventory import Runner
from cigen.runners.render import RenderedFile, render_secrets, secret_objects, secret_path

__all__ = ["SECRET_MODE", "kept_values", "store_token", "write_files"]

SECRET_MODE = 0o600


def kept_values(out_dir: Path, runners: Iterable[Runner]) -> dict[str, dict[str, str]]:
    """Non-empty values of the Secret files that exist below ``out_dir``, by relative path."""
    kept: dict[str, dict[str, str]] = {}
    for runner in runners:
        if runner.kubernetes is None:
            continue
        for secret in secret_objects(runner):
            relative = secret_path(runner, secret["metadata"]["name"])
            path = out_dir / relative
            if path.is_file():
                values = _secret_values(path, out_dir)
                if values:
                    kept[relative] = values
    return kept


def _secret_values(path: Path, out_dir: Path) -> dict[str, str]:
    from cigen.project import read_file
    from cigen.yaml.load import load_text, to_plain

    data = read_file(path, root=out_dir, what="Secret manifest")
    assert data is not None
    loaded = load_text(path.name, data)
    if any(problem.fatal for problem in loaded.problems):
        raise CigenError(
            f"{path}: cannot read the Secret manifest to keep its values; fix or remove the file"
        )
    document = to_plain(loaded.body)
    values: dict[str, str] = {}
    if not isinstance(document, dict):
        return values
    encoded = document.get("data")
    if isinstance(encoded, dict):
        for key, value in encoded.items():
            values[str(key)] = _decoded(path, str(key), value)
    plain = document.get("stringData")
    if isinstance(plain, dict):  # stringData wins over data, as in the Kubernetes API
        values.update({str(k): v for k, v in plain.items() if isinstance(v, str)})
    return {key: value for key, value in values.items() if value}


def _decoded(path: Path, key: str, value: Any) -> str:
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise CigenError(
            f"{path}: data.{key} is not base64-encoded UTF-8 text; fix or remove the file"
        ) from None


def write_files(out_dir: Path, files: Sequence[RenderedFile], *, force: bool) -> list[str]:
    """Write ``files`` below ``out_dir``; the relative paths of the files that changed."""
    from cigen.generate.output import write_output

    changed = []
    for item in files:
        target = out_dir / item.path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CigenError(f"cannot create {target.parent}: {exc.strerror}") from None
        mode = SECRET_MODE if item.secret else None
        if write_output(target, item.text, force=force, mode=mode):
            changed.append(item.path)
    return changed


def store_token(out_dir: Path, runner: Runner, token: str, *, source: str) -> Path:
    """Write ``token`` into ``runner``'s token Secret file below ``out_dir`` (mode 0600).

    The other values already in that file are kept; the file is (re)written even if cigen
    did not write it, since losing a token that GitLab shows only once is worse.
    """
    from cigen.runners.render import TOKEN_KEY, token_secret_path

    relative = token_secret_path(runner)
    kept = kept_values(out_dir, [runner])
    kept[relative] = {**kept.get(relative, {}), TOKEN_KEY: token}
    rendered = render_secrets(runner, source=source, kept=kept)
    (token_file,) = [item for item in rendered if item.path == relative]
    write_files(out_dir, [token_file], force=True)
    return out_dir / relative
