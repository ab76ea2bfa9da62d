"""A literal value for a variable named like a token, password or secret.

## What it does
Reports ``variables:`` entries (global, job, ``rules:variables`` and ``workflow:rules:variables``)
whose name ends like a credential and whose value is written out in the file instead of
coming from somewhere else. A name counts as a credential when its last word (split at ``_``,
``-`` and ``.``) ends with ``TOKEN``, ``PASSWORD``, ``PASSWD``, ``PASSPHRASE``, ``SECRET``,
``APIKEY`` or ``PWD``, is ``PASS``, ``CREDENTIALS`` or ``AUTH``, is ``KEY`` after ``API``,
``PRIVATE``, ``ACCESS``, ``SECRET``, ``SIGNING``, ``ENCRYPTION``, ``AUTH`` or ``MASTER``, or the
name is ``DOCKER_AUTH_CONFIG``. So ``JUPYTER_TOKEN``, ``DB_PASSWORD`` and
``AWS_SECRET_ACCESS_KEY`` are credentials, while ``TOKEN_TTL``, ``PASSWORD_FILE`` and
``SECRET_NAME`` (a Kubernetes secret's name) are not.

A value is a literal when it is a non-empty string or number that holds no ``$VARIABLE``: a
value such as ``$CI_JOB_TOKEN`` or ``Bearer ${API_TOKEN}`` passes the secret along without
writing it down. Booleans and ``true``/``false`` strings are flags, not secrets, and are not
reported, nor are ``UPPER_SNAKE_CASE`` identifiers such as ``VIDEO_TOKEN: GST_VIDEO_FORMATS``
(a token of source code, not a credential). The finding is at the value; the message never
repeats the value.

## Why is this bad?
Everyone who can read the repository, its forks and every old commit can read the secret, and
GitLab prints unmasked variables in job logs when a script echoes them. The seed's Jupyter
example sets ``JUPYTER_TOKEN: "some-interactive-secure-token"`` this way. Define the value as a
masked (and, for deployments, protected) CI/CD variable in the project or group settings, and
delete it from the file.

## Example
```yaml
notebook:
  image: registry.example.com/team/jupyter:latest
  variables:
    JUPYTER_TOKEN: "some-interactive-secure-token"
  script: [jupyter server --ip=0.0.0.0]
```

## Use instead
```yaml
# JUPYTER_TOKEN is a masked CI/CD variable in the project settings.
notebook:
  image: registry.example.com/team/jupyter:latest
  variables:
    JUPYTER_PORT: "8888"
  script: [jupyter server --ip=0.0.0.0 --port=$JUPYTER_PORT]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.variables import has_reference
from cigen.yaml.load import YMap, YSeq

CODE = "CIG501"
NAME = "secret-literal"
SEVERITY = Severity.WARNING
SUMMARY = "a literal value for a variable named like a token, password or secret"

#: A last word ending with one of these makes a credential (``JUPYTER_TOKEN``, ``MYSECRET``).
SECRET_SUFFIXES = ("TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "APIKEY", "PWD")
#: Last words that are credentials only on their own.
SECRET_WORDS = frozenset({"PASS", "CREDENTIALS", "AUTH"})
#: ``<word>_KEY`` is a credential after one of these words.
KEY_QUALIFIERS = frozenset(
    {"API", "PRIVATE", "ACCESS", "SECRET", "SIGNING", "ENCRYPTION", "AUTH", "MASTER"}
)
#: Whole names that hold credentials although their last word says nothing.
SECRET_NAMES = frozenset({"DOCKER_AUTH_CONFIG"})

#: Every credential name holds one of these (each suffix, word and name above does).
_PARTS = ("TOKEN", "PASS", "SECRET", "KEY", "PWD", "CREDENTIALS", "AUTH")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_IDENTIFIER_CHARS = _UPPER | frozenset("0123456789_")
_FLAGS = frozenset({"true", "false", "yes", "no", "on", "off"})


def is_secret_name(name: str) -> bool:
    """Whether a variable named ``name`` holds a credential (see the rule's documentation)."""
    upper = name.upper()
    if not any(part in upper for part in _PARTS):
        return False  # the fast answer for most names: no credential word in it at all
    if upper in SECRET_NAMES:
        return True
    words = [word for word in upper.replace(".", "_").replace("-", "_").split("_") if word]
    if not words:
        return False
    last = words[-1]
    if last.endswith(SECRET_SUFFIXES) or last in SECRET_WORDS:
        return True
    return last == "KEY" and len(words) > 1 and words[-2] in KEY_QUALIFIERS


def _is_identifier(text: str) -> bool:
    """Whether ``text`` reads as a variable's name, ``[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+``: upper
    case words of letters and digits joined by single underscores, a letter first."""
    parts = text.split("_")
    return (
        len(parts) > 1 and text[0] in _UPPER and all(parts) and _IDENTIFIER_CHARS.issuperset(text)
    )


def is_literal(value: Any) -> bool:
    """Whether ``value`` is written out (not empty, not a flag, no ``$VARIABLE``)."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text or text.lower() in _FLAGS or _is_identifier(text):
        return False
    return not has_reference(text)


def _variable_maps(config: YMap) -> Iterator[tuple[Any, str | None]]:
    """Every ``variables:`` mapping of the resolved configuration, with its job name; a list
    of rules shared by several jobs (``!reference``, anchors) is read at its first place."""
    yield config.get("variables"), None
    walked: set[int] = set()
    for name, value in config.items():
        if not isinstance(value, YMap):
            continue
        job = None if name in ("variables", "workflow", "default") else name
        if name != "variables":
            yield value.get("variables"), job
        rules = value.get("rules")
        if isinstance(rules, YSeq) and id(rules) not in walked:
            walked.add(id(rules))
            for rule in rules:
                if isinstance(rule, YMap):
                    yield rule.get("variables"), job


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    config = ctx.pipeline.config
    if config is None:
        return
    seen: set[Mark] = set()
    read: set[int] = set()  # mappings read already: what they hold is reported at its first place
    secret: dict[str, bool] = {}  # is_secret_name of each name met (jobs repeat names)
    for variables, job in _variable_maps(config):
        if not isinstance(variables, YMap) or id(variables) in read:
            continue
        read.add(id(variables))
        for name, value in variables.items():
            known = secret.get(name)
            if known is None:
                known = secret[name] = is_secret_name(name)
            if not known:
                continue
            if isinstance(value, YMap):
                if "value" not in value:
                    continue
                value, mark = value["value"], value.value_mark("value")
            else:
                mark = variables.value_mark(name)
            if not is_literal(value) or mark in seen:
                continue
            seen.add(mark)
            yield at(
                mark,
                CODE,
                NAME,
                SEVERITY,
                f"variable {name} is named like a credential and has a literal value in the "
                "CI file, where everyone who can read the repository can read it; define it "
                "as a masked CI/CD variable in the project or group settings and remove it here",
                job=job,
                anchor=name,
            )
