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
    from collections.abc import Iterable

    from cigen.config.node import ConfigError
    from cigen.config.root import Root, TypedKey
    from cigen.yaml.load import YMap


def validate(config: YMap, typed_key: TypedKey | None = None) -> Root:
    """The validated model of ``config``; ``errors`` empty when GitLab accepts it.
    ``typed_key``: a top-level key as YAML typed it (see :func:`cigen.config.root.root`)."""
    from cigen.config.root import root

    return with_cross_job(root(config, typed_key))


def with_cross_job(tree: Root, found: Iterable[ConfigError] | None = None) -> Root:
    """``tree`` (:func:`cigen.config.root.root`'s entry tree) after
    ``YamlProcessor#run_logical_validations!``: when the tree is valid, with the first
    cross-job error, the one GitLab reports (it stops there). ``found``: the tree's cross-job
    errors in GitLab's order, when the caller has them (by default
    :func:`cigen.config.processor.errors` of ``tree``)."""
    from dataclasses import replace

    from cigen.config.processor import errors

    if tree.errors:
        return tree
    first = next(iter(errors(tree) if found is None else found), None)
    if first is None:
        return tree
    return replace(tree, errors=(first,))
