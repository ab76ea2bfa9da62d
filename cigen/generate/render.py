"""Fill a preset's job template: Jinja2 over scalar strings, never over YAML text.

The template is data (mappings, lists, scalars). :func:`render` walks it and

* leaves mapping keys, numbers, booleans and nulls as they are;
* replaces a string that is exactly ``{{ name }}`` (one parameter, nothing else) by that
  parameter's value as data, so a list parameter becomes a list; when the value is ``None`` the
  mapping key holding it is left out (a list item is dropped); as a list item, a list value is
  spliced into the list (``changes: ['{{ folder }}/**/*', '{{ extra }}']`` stays one flat list);
* leaves out a list item whose template renders to nothing but white space, so a script line
  can be written only when a parameter asks for it (``{% if cache %}...{% endif %}``);
* renders any other string containing ``{{`` or ``{%`` with Jinja2 in a sandbox, with
  ``StrictUndefined`` (a name that is not a parameter is an error), and keeps the result as a
  string.

Each template string is rendered once: a parameter value containing ``{{ 7*7 }}`` is inserted
as those characters and never evaluated. Values never become YAML structure, since nothing here
parses text as YAML; what a value may look like is up to the preset's parameter schema.

Jinja2 is imported on first use, so commands that never render do not pay for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any

from cigen.errors import CigenError

__all__ = ["dq", "environment", "image_variable", "render", "render_text", "slug"]

_WHOLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\Z")
_DROP = object()
#: ``$`` that starts a variable reference (``$NAME`` or ``${NAME}``) stays live inside "...".
_DOLLAR_KEEP = re.compile(r"\$(?=[A-Za-z_{])")
_SLUG_OUT = re.compile(r"[^A-Za-z0-9_.]+")
_NAME_OUT = re.compile(r"[^A-Za-z0-9]+")


def dq(value: object) -> str:
    """``value`` as one double-quoted POSIX shell word that still expands ``$VAR``/``${VAR}``.

    Backslashes, double quotes and backquotes are escaped, and so is any ``$`` that does not
    start a variable reference, which rules out ``$(command)`` substitution.
    """
    text = str(value)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    out: list[str] = []
    for index, char in enumerate(text):
        if char == "$" and not _DOLLAR_KEEP.match(text, index):
            out.append("\\$")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def slug(value: object) -> str:
    """``value`` made a job-name part: each run of characters other than letters, digits, ``_``
    and ``.`` becomes one ``-``, and ``-``/``.`` are stripped from both ends
    (``services/api`` -> ``services-api``)."""
    return _SLUG_OUT.sub("-", str(value)).strip("-.")


def image_variable(job_name: object) -> str:
    """The dotenv variable through which build job ``job_name`` passes on the image it pushed:
    the name upper-cased, each run of other characters made ``_``, then ``_IMAGE``
    (``build-notebook`` -> ``BUILD_NOTEBOOK_IMAGE``); ``_`` first if it would start with a digit.
    """
    name = _NAME_OUT.sub("_", str(job_name)).strip("_").upper()
    if name[:1].isdigit():
        name = "_" + name
    return f"{name}_IMAGE" if name else "IMAGE"


#: Bounds on what one template may build or loop over (presets are data from the project, and a
#: project can be untrusted merge-request content).
MAX_STRING = 1_000_000
MAX_ITERATIONS = 1_000_000


class _Budget:
    """Loop iterations left for one render; ``range`` draws from it."""

    def __init__(self) -> None:
        self.left = MAX_ITERATIONS

    def range(self, *args: int) -> Any:
        from jinja2.exceptions import SecurityError

        numbers = range(*args)
        if len(numbers) > self.left:
            raise SecurityError(f"template loops more than {MAX_ITERATIONS:,} times in all")
        self.left -= len(numbers)
        return numbers


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 0


@cache
def environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class Bounded(SandboxedEnvironment):
        """Sandbox whose ``*``, ``**`` and ``+`` cannot build huge values (this also stops
        Jinja from folding such constants at compile time)."""

        intercepted_binops = frozenset({"*", "**", "+"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**":
                if isinstance(right, (int, float)) and abs(right) > 64:
                    raise SecurityError("exponent too large in template")
            elif operator == "*":
                count = right if isinstance(left, (str, list, tuple)) else left
                size = max(_sized(left), _sized(right))
                if size and isinstance(count, int) and size * max(count, 0) > MAX_STRING:
                    raise SecurityError(f"template builds a value over {MAX_STRING:,} items")
            elif _sized(left) + _sized(right) > MAX_STRING:
                raise SecurityError(f"template builds a value over {MAX_STRING:,} items")
            return super().call_binop(context, operator, left, right)

    env = Bounded(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["dq"] = dq
    env.filters["slug"] = slug
    env.filters["image_variable"] = image_variable
    return env


@lru_cache(maxsize=512)
def _compiled(text: str) -> Any:
    """A template compiled once per text (presets render the same strings for every job)."""
    return environment().from_string(text)


def render_text(text: str, params: Mapping[str, Any], *, where: Callable[[], str]) -> str:
    """Render one template string; problems become a :class:`CigenError` prefixed by ``where``."""
    import jinja2

    try:
        template = _compiled(text)
        result = str(template.render({"range": _Budget().range, **dict(params)}))
        if len(result) > MAX_STRING:
            raise CigenError(f"{where()}: template output is over {MAX_STRING:,} characters")
        return result
    except jinja2.TemplateSyntaxError as exc:
        raise CigenError(f"{where()}: template syntax error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise CigenError(
            f"{where()}: {exc.message} (known names: {', '.join(sorted(params)) or 'none'})"
        ) from None
    except jinja2.TemplateError as exc:  # SecurityError and friends
        raise CigenError(f"{where()}: template error: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise CigenError(f"{where()}: template error: {type(exc).__name__}: {exc}") from None
    except (MemoryError, RecursionError, SyntaxError) as exc:
        raise CigenError(
            f"{where()}: template too large or too deep ({type(exc).__name__})"
        ) from None


def render(template: Any, params: Mapping[str, Any], *, where: str) -> Any:
    """The template with parameters filled in; ``where`` names the template in error messages.

    The result is new plain data (``dict``/``list``/scalars); neither input is changed.
    """
    result = _render(template, params, where, ())
    return None if result is _DROP else result


def _render(value: Any, params: Mapping[str, Any], where: str, path: tuple[str | int, ...]) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            rendered = _render(item, params, where, (*path, key))
            if rendered is not _DROP:
                out[str(key)] = rendered
        return out
    if isinstance(value, list):
        items: list[Any] = []
        for index, item in enumerate(value):
            rendered = _render(item, params, where, (*path, index))
            if rendered is _DROP or (_is_template(item) and rendered == ""):
                continue
            if isinstance(rendered, list) and _is_whole(item, params):
                items.extend(rendered)
            else:
                items.append(rendered)
        return items
    if not isinstance(value, str):
        return value
    whole = _WHOLE.match(value)
    if whole is not None and whole.group(1) in params:
        found = params[whole.group(1)]
        return _DROP if found is None else _copy(found)
    if not _is_template(value):
        return value
    text = render_text(value, params, where=lambda: f"{where}: {_dotted(path)}")
    return text if text.strip() else ""


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value or "{#" in value)


def _is_whole(template: Any, params: Mapping[str, Any]) -> bool:
    """Whether ``template`` is exactly ``{{ name }}`` for a known parameter."""
    if not isinstance(template, str):
        return False
    whole = _WHOLE.match(template)
    return whole is not None and whole.group(1) in params


def _copy(value: Any) -> Any:
    """A plain copy of parameter data, so the output never shares objects with the input."""
    if isinstance(value, Mapping):
        return {str(k): _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top)"
