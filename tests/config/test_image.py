"""cigen.config.image: typed values and positions beyond GitLab's spec examples
(lib/gitlab/ci/config/entry/image.rb, imageable.rb, service(s).rb, port(s).rb,
schemas/imageable/executor_opts.json)."""

from __future__ import annotations

from typing import Any

from cigen.config.image import image, ports, service, services
from cigen.config.node import Check
from cigen.yaml.load import load_text


def _load(text: str) -> Any:
    loaded = load_text(".gitlab-ci.yml", text.encode())
    assert loaded.ok
    return loaded.body


def test_image_value() -> None:
    body = _load(
        "image:\n  name: ruby:3\n  entrypoint: ['']\n  pull_policy: [always]\n"
        "  docker: {platform: linux/arm64}\n  kubernetes: null\n"
    )
    found = image(Check(), body["image"], body.value_mark("image"), "image")
    assert found is not None
    assert (found.name, found.entrypoint, found.pull_policy) == ("ruby:3", ("",), ("always",))
    assert found.executor_opts == {"docker": {"platform": "linux/arm64"}}


def test_executor_option_errors_point_at_the_value() -> None:
    body = _load("image:\n  name: ruby:3\n  docker:\n    user: 5\n")
    c = Check()
    image(c, body["image"], body.value_mark("image"), "jobs:a:image")
    assert [(e.message, e.mark.line, e.mark.col) for e in c.errors] == [
        ("jobs:a:image executor opts value at `/docker/user` is not a string", 4, 11)
    ]


def test_json_pointer_escapes_slash_and_tilde() -> None:
    c = Check()
    image(c, {"name": "x", "docker": {"a/b~c": 1}}, _load("a: 1\n").mark, "image")
    assert [e.message for e in c.errors] == [
        "image executor opts object property at `/docker/a~1b~0c` is a disallowed additional "
        "property"
    ]


def test_services_value() -> None:
    body = _load(
        "services:\n  - postgres:15\n  - [redis:7]\n  - name: mysql\n    alias: db\n"
        "    command: [--x]\n    entrypoint: [sh]\n"
    )
    found = services(Check(), body["services"], body.value_mark("services"), "services")
    assert found is not None
    assert [(s.name, s.alias, s.command) for s in found] == [
        ("postgres:15", None, None),
        ("redis:7", None, None),
        ("mysql", "db", ("--x",)),
    ]
    assert found[2].mark.line == 4


def test_service_with_ports_value() -> None:
    body = _load(
        "name: x\nalias: web\nports: [{number: 80, name: web}, {number: 443, protocol: https, "
        "name: tls}]\n"
    )
    found = service(Check(), body, body.mark, "service", with_image_ports=True)
    assert found is not None
    assert found.image.ports is not None
    assert [(p.number, p.protocol, p.name) for p in found.image.ports] == [
        (80, None, "web"),
        (443, "https", "tls"),
    ]


def test_an_invalid_port_makes_the_ports_invalid() -> None:
    c = Check()
    assert ports(c, [{"number": "80"}], _load("a: 1\n").mark, "ports") is None
    assert [e.message for e in c.errors] == ["ports:port number should be an integer"]


def test_port_numbers_compare_like_ruby() -> None:
    """``uniq`` tells 80 from 80.0 and from "80" (validators.rb PortUniqueValidator)."""
    c = Check()
    ports(
        c, [{"number": 80, "name": "a"}, {"number": 80.0, "name": "b"}], _load("a: 1\n").mark, "p"
    )
    assert "p config each port number can only be referenced once" not in [
        e.message for e in c.errors
    ]


def test_services_with_ports_aliases_count_empty_port_lists() -> None:
    """``s[:ports]`` is truthy for ``[]`` in Ruby: such services count for alias uniqueness."""
    c = Check()
    value = [{"name": "a", "alias": "x", "ports": []}, {"name": "b", "alias": "x", "ports": []}]
    services(c, value, _load("a: 1\n").mark, "services", with_image_ports=True)
    assert [e.message for e in c.errors] == [
        "services config alias must be unique in services with ports"
    ]
