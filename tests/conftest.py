"""Shared fixtures: the corpus location, a lint-files helper and a network guard.

* ``corpus_dir``: the read-only test corpus checked out beside the repository
  (``<repo>/../shared/corpus``); tests using it are skipped when it is absent.
* ``lint_files``: writes ``{relative path: text or bytes}`` into ``tmp_path`` and lints
  ``tmp_path/.gitlab-ci.yml`` with ``tmp_path`` as the project root.
* An autouse guard makes every connection to a non-loopback address fail, so no test can
  reach the network by accident; servers on 127.0.0.1/localhost keep working.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import Files, lint_tree

from cigen.lint.engine import LintResult

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture
def lint_files(tmp_path: Path) -> Callable[..., LintResult]:
    """``lint_files({".gitlab-ci.yml": "...", "ci/a.yml": "..."}) -> LintResult``."""

    def run(files: Files, **options: Any) -> LintResult:
        return lint_tree(tmp_path, files, **options)

    return run


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"test corpus not found at {CORPUS} (expected beside the repository)")
    return CORPUS


# --- network guard ----------------------------------------------------------------------------


class NetworkBlockedError(RuntimeError):
    """A test tried to reach a non-loopback address."""


def _is_loopback(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()
    if name in ("localhost", "localhost.", "") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _allowed(sock: socket.socket, address: Any) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return True  # Unix sockets and socketpairs stay local
    host = address[0] if isinstance(address, tuple) and address else address
    return _is_loopback(host)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if not _allowed(self, address):
            raise NetworkBlockedError(f"tests may not connect to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _allowed(self, address):
            raise NetworkBlockedError(f"tests may not connect to {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise NetworkBlockedError(f"tests may not resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
