"""Secrets never leave cigen: the one place that masks them in text.

:func:`scrub` replaces, in any text about to be shown (an error, a warning, a traceback):

- the secrets it is given (a token, the password of a URL, in every spelling: as written,
  percent-decoded and percent-encoded), longest first;
- anything shaped like a GitLab token (``glpat-``, ``glrt-``, ``gldt-``, ...);
- ``private_token=``, ``password:``, ``Authorization: Bearer`` and similar fields;
- the user information of a URL, with or without a scheme (``https://user:pw@host``,
  ``//user:pw@host``, ``user:pw@host``), also when the password holds a ``/``.

:func:`environment_secrets` lists the secrets of cigen's environment (``GITLAB_TOKEN``,
``CI_JOB_TOKEN`` and the credentials in ``GITLAB_URL``/``CI_SERVER_URL``), so that even an
internal error cannot print them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote

__all__ = ["MASK", "environment_secrets", "scrub", "url_secrets"]

MASK = "[MASKED]"

_SECRET_FIELD = re.compile(
    r"(?i)((?:private|job|oauth|access|deploy|runner)[-_]?token|authorization|password|passwd)"
    r"""(["']?\s*[:=]\s*["']?(?:bearer\s+|basic\s+)?)[^\s&"',;}]+"""
)
#: ``user:password@`` (or ``user@``) after ``scheme://``, after ``//``, or on its own.
_URL_CREDENTIALS = re.compile(
    r"(?i)((?:\b[a-z][a-z0-9+.-]*:)?//|(?<![\w.:/@%+-]))[^\s/@'\"<>]+(?::[^\s@'\"<>]*)?@"
    r"(?=[\w\[])"
)
# Prefixes of GitLab's token types (personal, OAuth, deploy, runner, CI job, trigger, ...).
_GITLAB_TOKEN = re.compile(
    r"\bgl(?:pat|oas|dt|rt|rtr|cbt|ptt|ft|imt|agent|soat|ffct|tst|wt)-[A-Za-z0-9_-]{8,}"
)
#: Environment variables whose whole value is a secret.
SECRET_VARIABLES = ("GITLAB_TOKEN", "CI_JOB_TOKEN", "GITLAB_PRIVATE_TOKEN")
#: Environment variables holding a URL that may carry credentials.
URL_VARIABLES = ("GITLAB_URL", "CI_SERVER_URL")


def url_secrets(url: str) -> list[str]:
    """The user information of ``url`` and its password, in every spelling.

    The user information is everything between ``//`` (or the start) and the last ``@``
    before the host, so a password holding ``/`` or ``@`` is found whole.
    """
    text = url.strip()
    start = text.find("//")
    rest = text[start + 2 :] if start >= 0 else text
    if "@" not in rest:
        return []
    userinfo = rest[: rest.rfind("@")]
    parts = [userinfo]
    _user, sep, password = userinfo.partition(":")
    if sep and password:
        parts.append(password)
    out: list[str] = []
    for part in parts:
        out += [part, unquote(part), quote(part, safe=""), quote(unquote(part), safe="")]
    return [s for s in dict.fromkeys(out) if len(s) >= 3]


def environment_secrets(env: Mapping[str, str]) -> list[str]:
    """Secrets held by the environment (tokens, URL credentials), in every spelling."""
    out: list[str] = []
    for name in SECRET_VARIABLES:
        value = env.get(name, "")
        out += [value, value.strip()]
    for name in URL_VARIABLES:
        out += url_secrets(env.get(name, ""))
    return [s for s in dict.fromkeys(out) if len(s) >= 3]


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``secrets``, token-like strings and URL credentials masked."""
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, MASK)
        text = text.replace(repr(secret)[1:-1], MASK)  # as a repr shows it (escapes)
    if "@" in text:
        text = _URL_CREDENTIALS.sub(rf"\1{MASK}@", text)
    text = _SECRET_FIELD.sub(rf"\1\2{MASK}", text)
    return _GITLAB_TOKEN.sub(MASK, text)
