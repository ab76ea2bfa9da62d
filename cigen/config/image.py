"""Image and services entries: ``image``, ``services`` and each ``service``, their ``ports``
and ``pull_policy``, and the ``docker:``/``kubernetes:`` executor options.

Follows ``lib/gitlab/ci/config/entry/image.rb``, ``imageable.rb``, ``services.rb``,
``service.rb``, ``ports.rb``, ``port.rb``, ``pull_policy.rb``, the port validators of
``lib/gitlab/config/entry/validators.rb`` and the JSON schema
``lib/gitlab/ci/config/entry/schemas/imageable/executor_opts.json`` (json_schemer's messages).

``ports`` are only allowed with the ``with_image_ports`` option, which nothing in GitLab 18.9
sets: on a pipeline an image or service with ``ports`` is refused, and the ``ports`` entries
below it never run. The entry functions take the option for GitLab's specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cigen.config.node import (
    Check,
    allowed_keys,
    blank,
    disallowed_keys,
    flat_items,
    is_array_of_strings,
    is_array_of_strings_or_string,
    is_integer,
    is_string,
    location,
    ruby_text,
    type_name,
    value_mark,
)
from cigen.diagnostics import Mark
from cigen.records import dataclass
from cigen.yaml.load import YMap

#: ``Imageable::EXECUTOR_OPTS_KEYS``.
EXECUTOR_OPTS_KEYS = ("docker", "kubernetes")
#: ``Imageable::IMAGEABLE_ALLOWED_KEYS``.
IMAGEABLE_KEYS = (*EXECUTOR_OPTS_KEYS, "name", "entrypoint", "ports", "pull_policy")
#: ``Service::ALLOWED_KEYS + IMAGEABLE_ALLOWED_KEYS``.
SERVICE_KEYS = ("command", "alias", "variables", *IMAGEABLE_KEYS)
PORT_KEYS = ("number", "protocol", "name")
PORT_PROTOCOLS = ("http", "https")
#: ``PullPolicy::ALLOWED_POLICIES``.
PULL_POLICIES = ("always", "never", "if-not-present")


# executor_opts.json: per section, each property's types and string length bounds; no other
# properties are allowed.
def _text(types: str | list[str], longest: int) -> dict[str, Any]:
    return {"type": types, "minLength": 1, "maxLength": longest}


#: ``schemas/imageable/executor_opts.json``: the keywords json_schemer checks, in its order.
EXECUTOR_OPTS_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "docker": {
            "type": "object",
            "properties": {"platform": _text("string", 64), "user": _text("string", 255)},
            "additionalProperties": False,
        },
        "kubernetes": {
            "type": "object",
            "properties": {"user": _text(["string", "integer"], 255)},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}


@dataclass(frozen=True, slots=True)
class Port:
    """One exposed port."""

    mark: Mark
    number: int
    protocol: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    """``image:``, or the image part of a service."""

    mark: Mark
    name: str
    entrypoint: tuple[str, ...] | None = None
    executor_opts: Mapping[str, Any] | None = None
    ports: tuple[Port, ...] | None = None
    pull_policy: tuple[str, ...] | None = None
    name_mark: Mark | None = None  # where the name is written (``mark`` for a string)

    @property
    def where(self) -> Mark:
        """Where the image's name is written."""
        return self.name_mark or self.mark


@dataclass(frozen=True, slots=True)
class Service:
    """One item of ``services:``."""

    image: Image
    alias: str | None = None
    command: tuple[str, ...] | None = None
    variables: Any = None

    @property
    def name(self) -> str:
        return self.image.name

    @property
    def mark(self) -> Mark:
        return self.image.mark


def _own(loc: str, name: str) -> str:
    """``Node#location``: the location, or the class name for a node without a key."""
    return loc or name


# --- image and service ------------------------------------------------------------------------


def image(
    c: Check, value: Any, mark: Mark, loc: str, *, with_image_ports: bool = False
) -> Image | None:
    """``Entry::Image``."""
    own = _own(loc, "image")
    count = len(c.errors)
    _imageable_checks(c, own, value, mark, with_image_ports)
    allowed_keys(c, own, value, IMAGEABLE_KEYS, mark)
    if len(c.errors) > count:
        return None
    return _imageable_children(c, value, mark, loc)


def service(
    c: Check, value: Any, mark: Mark, loc: str, *, with_image_ports: bool = False
) -> Service | None:
    """``Entry::Service``: an image with ``alias``, ``command`` and ``variables``."""
    own = _own(loc, "service")
    count = len(c.errors)
    _imageable_checks(c, own, value, mark, with_image_ports)
    allowed_keys(c, own, value, SERVICE_KEYS, mark)
    node: Mapping[str, Any] = value if isinstance(value, dict) else {}
    alias = node.get("alias")
    where = value_mark(node, "alias", mark)
    if alias is not None and not is_string(alias):
        c.add(own, "alias", type_name(str), where)
    if not blank(node.get("ports")):
        if not is_string(alias):
            c.add(own, "alias", type_name(str), where)
        if blank(alias):
            c.add(own, "alias", "can't be blank", where)
    if len(c.errors) > count:
        return None
    found = _imageable_children(c, value, mark, loc)
    command = variables = None
    if node.get("variables") is not None:
        variables = _service_variables(c, node["variables"], node, mark, loc)
    if node.get("command") is not None:
        from cigen.config.root import commands

        where = value_mark(node, "command", mark)
        command = commands(c, node["command"], where, location(loc, "command"))
    if len(c.errors) > count or found is None:
        return None
    return Service(found, alias=alias, command=command, variables=variables)


def _service_variables(c: Check, value: Any, node: Mapping[str, Any], mark: Mark, loc: str) -> Any:
    """A service's ``variables``: no value data is allowed (``Entry::Variables`` without
    ``allowed_value_data``)."""
    from cigen.config import variables

    check = getattr(variables, "variables", None)
    if check is None:  # pragma: no cover - until the variables entry lands
        return value
    return check(c, value, value_mark(node, "variables", mark), location(loc, "variables"))


def _imageable_checks(c: Check, own: str, value: Any, mark: Mark, with_image_ports: bool) -> None:
    """``Imageable``'s validations, in their order."""
    if not (isinstance(value, dict) or is_string(value)):
        c.add(own, "config", "should be a hash or a string", mark)
    if not with_image_ports:
        disallowed_keys(c, own, value, ("ports",), mark)
    node: Mapping[str, Any] = value if isinstance(value, dict) else {}
    name = value if is_string(value) else node.get("name")
    where = value_mark(node, "name", mark)
    if not is_string(name):
        c.add(own, "name", type_name(str), where)
    if blank(name):
        c.add(own, "name", "can't be blank", where)
    entrypoint = node.get("entrypoint")
    if entrypoint is not None and not is_array_of_strings(entrypoint):
        c.add(
            own, "entrypoint", "should be an array of strings", value_mark(node, "entrypoint", mark)
        )
    opts = executor_opts(value)
    if opts is not None:  # the schema finds nothing in an empty hash
        from cigen.config import schemer  # few pipelines set executor options

        for text, path in schemer.located_errors(EXECUTOR_OPTS_SCHEMA, opts):
            c.add(own, "executor_opts", text, _mark_at(node, path, mark))


def executor_opts(value: Any) -> dict[str, Any] | None:
    """``Imageable#executor_opts``: the ``docker``/``kubernetes`` sections that are not null."""
    if not isinstance(value, dict):
        return None
    found = {key: value[key] for key in EXECUTOR_OPTS_KEYS if value.get(key) is not None}
    return found or None


def _imageable_children(c: Check, value: Any, mark: Mark, loc: str) -> Image | None:
    """The ``ports`` and ``pull_policy`` entries, then the image's value."""
    if is_string(value):
        return Image(mark, value)
    count = len(c.errors)
    found_ports = policy = None
    if value.get("ports") is not None:
        where = value_mark(value, "ports", mark)
        found_ports = ports(c, value["ports"], where, location(loc, "ports"))
    if value.get("pull_policy") is not None:
        where = value_mark(value, "pull_policy", mark)
        policy = pull_policy(c, value["pull_policy"], where, location(loc, "pull_policy"))
    if len(c.errors) > count:
        return None
    entrypoint = value.get("entrypoint")
    return Image(
        mark,
        value["name"],
        entrypoint=tuple(entrypoint) if entrypoint is not None else None,
        executor_opts=executor_opts(value),
        ports=found_ports,
        pull_policy=policy,
        name_mark=value_mark(value, "name", mark),
    )


def services(
    c: Check, value: Any, mark: Mark, loc: str, *, with_image_ports: bool = False
) -> tuple[Service, ...] | None:
    """``Entry::Services``: an array of services (nested arrays are flattened)."""
    own = _own(loc, "services")
    if not isinstance(value, list):
        c.add(own, "config", type_name(list), mark)
        return None
    if with_image_ports and not _aliases_unique(value):
        c.add(own, "config", "alias must be unique in services with ports", mark)
        return None
    count = len(c.errors)
    out: list[Service] = []
    for item, where in flat_items(value, mark):
        if item is None:
            continue
        at = location(loc, "service")
        found = (
            service(c, item, where, at, with_image_ports=True)
            if with_image_ports
            else c.reuse(service, item, where, at)
        )
        if found is not None:
            out.append(found)
    return None if len(c.errors) > count else tuple(out)


def _aliases_unique(value: list[Any]) -> bool:
    """``ServicesWithPortsAliasUniqueValidator``: the services with ports have distinct aliases."""
    aliases = [
        _identity(item.get("alias"))
        for item in value
        if isinstance(item, dict) and _truthy(item.get("ports"))
    ]
    return len(aliases) == len(set(aliases))


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


def _identity(value: Any) -> tuple[str, str]:
    """A key that tells values apart as Ruby's ``uniq`` does (``1`` is not ``1.0`` or ``true``)."""
    return type(value).__name__, ruby_text(value)


# --- ports and pull policy ---------------------------------------------------------------------


def ports(c: Check, value: Any, mark: Mark, loc: str) -> tuple[Port, ...] | None:
    """``Entry::Ports``: named, distinct ports when there are several."""
    own = _own(loc, "ports")
    count = len(c.errors)
    if not isinstance(value, list):
        c.add(own, "config", type_name(list), mark)
    elif len(value) > 1:
        names = [
            ruby_text(item["name"]).lower()
            for item in value
            if isinstance(item, dict) and _truthy(item.get("name"))
        ]
        if len(names) != len(value):
            c.add(
                own,
                "config",
                "when there is more than one port, a unique name should be added",
                mark,
            )
        if len(set(names)) != len(value):
            c.add(own, "config", "each port name must be different", mark)
        numbers = {_port_number(item) for item in value}
        if len(numbers) != len(value):
            c.add(own, "config", "each port number can only be referenced once", mark)
    if len(c.errors) > count:
        return None
    out: list[Port] = []
    for item, where in flat_items(value, mark):
        if item is None:
            continue
        found = port(c, item, where, location(loc, "port"))
        if found is not None:
            out.append(found)
    return None if len(c.errors) > count else tuple(out)


def _port_number(item: Any) -> tuple[str, str]:
    """``PortUniqueValidator#transform_ports``: an integer, a hash's number, else nil."""
    if is_integer(item):
        return _identity(item)
    return _identity(item.get("number") if isinstance(item, dict) else None)


def port(c: Check, value: Any, mark: Mark, loc: str) -> Port | None:
    """``Entry::Port``: a number, or a hash of ``number``, ``protocol`` and ``name``."""
    own = _own(loc, "port")
    count = len(c.errors)
    if not (isinstance(value, dict) or is_integer(value)):
        c.add(own, "config", "should be a hash or an integer", mark)
    allowed_keys(c, own, value, PORT_KEYS, mark)
    node: Mapping[str, Any] = value if isinstance(value, dict) else {}
    number: Any = value if is_integer(value) else node.get("number")
    where = value_mark(node, "number", mark)
    if not is_integer(number):
        c.add(own, "number", type_name(int), where)
    if blank(number):
        c.add(own, "number", "can't be blank", where)
    protocol = node.get("protocol")
    if not blank(protocol):
        where = value_mark(node, "protocol", mark)
        if not is_string(protocol):
            c.add(own, "protocol", type_name(str), where)
        if protocol not in PORT_PROTOCOLS:
            c.add(own, "protocol", "should be http or https", where)
    name = node.get("name")
    if name is not None and not is_string(name):
        c.add(own, "name", type_name(str), value_mark(node, "name", mark))
    if len(c.errors) > count:
        return None
    return Port(mark, int(number), protocol or None, name)


def pull_policy(c: Check, value: Any, mark: Mark, loc: str) -> tuple[str, ...] | None:
    """``Entry::PullPolicy``: one of the policies, or a non-empty list of them."""
    own = _own(loc, "pull policy")
    count = len(c.errors)
    if not is_array_of_strings_or_string(value):
        c.add(own, "config", "should be an array of strings or a string", mark)
    if isinstance(value, list):
        unknown = [item for item in value if item not in PULL_POLICIES]
        if unknown:
            text = ", ".join(ruby_text(item) for item in unknown)
            c.add(own, "config", f"contains unknown values: {text}", mark)
        if not value:
            c.add(own, "config", "can't be blank", mark)
    elif is_string(value) and value not in PULL_POLICIES:
        c.add(own, "config", "is not included in the list", mark)
    if len(c.errors) > count:
        return None
    return tuple(value) if isinstance(value, list) else (value,)


def _mark_at(node: Mapping[str, Any], path: tuple[str, ...], mark: Mark) -> Mark:
    """The position of the value at ``path`` below ``node``, or the nearest one above it."""
    for token in path:
        if not isinstance(node, YMap) or token not in node:
            break
        mark = node.value_mark(token)
        node = node[token]
    return mark
