"""GitLab's logical validations after the entry tree (``yaml_processor.rb``) and the normalizer.

Stub until helper config-c lands: finds nothing.
"""

from __future__ import annotations

from cigen.config.node import Check
from cigen.config.root import Root


def process(root: Root, c: Check) -> None:
    return None
