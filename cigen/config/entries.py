"""Every entry of the tree by the name GitLab's specs test it under (``cache``, ``job``, ...).

Used by the conformance cases (``tests/config/cases``), which feed an entry one value the way
GitLab's ``spec/lib/gitlab/ci/config/entry/*_spec.rb`` do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from cigen.config import artifacts, cache, header, image, jobmisc, root
from cigen.config.node import Check
from cigen.diagnostics import Mark

Entry = Callable[[Check, Any, Mark, str], Any]


def _job(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    if not isinstance(value, dict):
        c.add(loc, "config", "should be a hash", mark)
        return None
    return root.job(c, "rspec", value, mark, loc, "job", workflow_rules=False)


def _bridge(c: Check, value: Any, mark: Mark, loc: str) -> Any:
    if not isinstance(value, dict):
        c.add(loc, "config", "should be a hash", mark)
        return None
    return root.job(c, "bridge", value, mark, loc, "bridge", workflow_rules=False)


def _header_root(c: Check, value: Any, mark: Mark, loc: str) -> None:
    header.header(c, value, mark, key="")


def _header_input(c: Check, value: Any, mark: Mark, loc: str) -> None:
    header.input_entry(c, loc, value, mark, loc)


#: name -> entry function; helpers add their entries here.
ENTRIES: dict[str, Entry] = {
    "commands": root.commands,
    "stages": root.stages,
    "stage": root.stage,
    "boolean": root.boolean,
    "default": root.default,
    "job": _job,
    "bridge": _bridge,
    "header_root": _header_root,
    "header_input": _header_input,
    "header_component": header.component,
    # cache.py
    "caches": cache.caches,
    "cache": cache.cache,
    "key": cache.key,
    "files": cache.files,
    "prefix": cache.prefix,
    "paths": cache.paths,
    # artifacts.py
    "artifacts": artifacts.artifacts,
    "reports": artifacts.reports,
    "coverage_report": artifacts.coverage_report,
    "coverage": artifacts.coverage,
    "pages": artifacts.pages,
    "publish": artifacts.publish,
    "release": artifacts.release,
    "assets": artifacts.assets,
    "links": artifacts.links,
    # image.py; the "(with_image_ports)" variants take the option GitLab's specs pass
    "image": image.image,
    "image(with_image_ports)": functools.partial(image.image, with_image_ports=True),
    "service": image.service,
    "service(with_image_ports)": functools.partial(image.service, with_image_ports=True),
    "services": image.services,
    "services(with_image_ports)": functools.partial(image.services, with_image_ports=True),
    "ports": image.ports,
    "port": image.port,
    "pull_policy": image.pull_policy,
    # jobmisc.py
    "hooks": jobmisc.hooks,
    "timeout": jobmisc.timeout,
    "retry": jobmisc.retry,
    "tags": jobmisc.tags,
    "id_tokens": jobmisc.id_tokens,
    "id_token": jobmisc.id_token,
    "allow_failure": jobmisc.allow_failure,
    "job_inputs": jobmisc.job_inputs,
    "job_input": jobmisc.job_input,
}
