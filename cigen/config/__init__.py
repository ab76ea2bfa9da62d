"""GitLab's configuration entry tree: a typed, positioned model that validates itself.

:func:`validate` checks a resolved configuration (after includes, ``extends`` and
``!reference``) the way GitLab 18.9 does: the entry classes of
``lib/gitlab/ci/config/entry/**`` (:mod:`cigen.config.root` and the entry modules beside it),
then the logical checks of ``lib/gitlab/ci/yaml_processor.rb`` (:mod:`cigen.config.processor`).
Every error carries GitLab's exact message and the position of the key or value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cigen.config.root import Root, TypedKey
    from cigen.yaml.load import YMap


def validate(config: YMap, typed_key: TypedKey | None = None) -> Root:
    """The validated model of ``config``; ``errors`` empty when GitLab accepts it.
    ``typed_key``: a top-level key as YAML typed it (see :func:`cigen.config.root.root`)."""
    from dataclasses import replace

    from cigen.config.node import Check
    from cigen.config.processor import process
    from cigen.config.root import root

    model = root(config, typed_key)
    if model.errors:
        return model
    c = Check()
    process(model, c)
    if not c.errors and not c.warnings:
        return model
    return replace(
        model, errors=(*model.errors, *c.errors), warnings=(*model.warnings, *c.warnings)
    )
