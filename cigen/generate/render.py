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
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from functools import cache, lru_cache
from typing import Any, NoReturn

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


#: Bounds on what one template may build, loop over or call (presets are data from the project,
#: and a project can be untrusted merge-request content).
MAX_STRING = 1_000_000
MAX_ITERATIONS = 1_000_000
MAX_CALLS = 100_000
MAX_DEPTH = 30


class _Budget:
    """What one render may still spend: loop iterations (``for`` loops and ``range``), calls
    (macros, methods), call depth (recursion)."""

    def __init__(self) -> None:
        self.left = MAX_ITERATIONS
        self.calls = MAX_CALLS
        self.depth = 0

    def spend(self, iterations: int) -> None:
        if iterations > self.left:
            _refuse(f"template loops more than {MAX_ITERATIONS:,} times in all")
        self.left -= iterations

    def range(self, *args: int) -> Any:
        numbers = range(*args)
        self.spend(len(numbers))
        return numbers


_BUDGET: ContextVar[_Budget | None] = ContextVar("cigen_template_budget", default=None)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # a render outside render_text (cigen's own templates)
        budget = _Budget()
        _BUDGET.set(budget)
    return budget


def _refuse(message: str) -> NoReturn:
    from jinja2.exceptions import SecurityError

    raise SecurityError(message)


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple)) else 0


def _check_size(size: int, what: str = "a value") -> None:
    if size > MAX_STRING:
        _refuse(f"template builds {what} over {MAX_STRING:,} characters or items")


def _numbers_in(text: str) -> int:
    """The largest number written in ``text`` (widths in a format string), 0 if none."""
    largest = 0
    digits = 0
    for char in text:
        if "0" <= char <= "9":
            digits = digits * 10 + (ord(char) - 48) if digits <= MAX_STRING else digits
        else:
            largest, digits = max(largest, digits), 0
    return max(largest, digits)


def _check_format(template: object, values: Iterable[Any]) -> None:
    """A ``%`` or ``str.format`` template whose widths (written, or ``*`` from the values)
    would build a huge string is refused before it runs."""
    if isinstance(template, str) and _numbers_in(template) > MAX_STRING:
        _check_size(_numbers_in(template), "a formatted string")
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            _check_size(abs(value), "a formatted string")


def _format_size(value: Any, *args: Any, **kwargs: Any) -> int:
    """0 once :func:`_check_format` lets ``value % args`` through (it refuses otherwise)."""
    _check_format(value, (*args, *kwargs.values()))
    return 0


def _joined(items: Iterable[Any], separator: str = "") -> str:
    """``separator.join`` of the items as text, refused once it would pass the bound."""
    parts: list[str] = []
    total = 0
    for item in items:
        text = item if isinstance(item, str) else str(item)
        total += len(text) + (len(separator) if parts else 0)
        _check_size(total, "a joined string")
        parts.append(text)
    return separator.join(parts)


def _loop(items: Any) -> Iterator[Any]:
    """Every ``{% for %}`` iterates through this: each item costs one iteration."""
    budget = _budget()
    for item in items:
        budget.spend(1)
        yield item


#: ``str`` methods that grow a string, with the size they would build.
_GROWING: dict[str, Callable[..., int]] = {
    "ljust": lambda s, width=0, *_: width,
    "rjust": lambda s, width=0, *_: width,
    "center": lambda s, width=0, *_: width,
    "zfill": lambda s, width=0, *_: width,
    "expandtabs": lambda s, size=8, *_: len(s) + s.count("\t") * max(size, 0),
    "replace": lambda s, old="", new="", *_: (
        len(s) + (s.count(old) if old else len(s) + 1) * max(len(new) - len(old), 0)
    ),
}


def _bounded_filters() -> dict[str, Callable[..., Any]]:
    """Jinja's string-growing filters, each refusing a result over the bound before building
    it; the originals keep their ``pass_eval_context`` markers."""
    from functools import wraps

    from jinja2 import filters

    def guard(original: Callable[..., Any], size: Callable[..., int]) -> Callable[..., Any]:
        @wraps(original)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            _check_size(size(*args, **kwargs))
            return original(*args, **kwargs)

        return bounded

    def join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        items = list(value)
        if attribute is None:
            _joined(items, str(d))
        return filters.sync_do_join(eval_ctx, items, d, attribute)

    def line_count(text: object) -> int:
        return str(text).count("\n") + 1

    return {
        "center": guard(filters.do_center, lambda value, width=80: max(width, len(str(value)))),
        "indent": guard(
            filters.do_indent,
            lambda s, width=4, *_, **__: (
                len(str(s))
                + (len(width) if isinstance(width, str) else max(width, 0)) * line_count(s)
            ),
        ),
        "format": guard(filters.do_format, _format_size),
        "replace": guard(
            filters.do_replace,
            lambda _ctx, s, old="", new="", count=None: _GROWING["replace"](
                str(s), str(old), str(new)
            ),
        ),
        "join": wraps(filters.sync_do_join)(join),
        "slice": guard(filters.sync_do_slice, lambda value, slices, *_: slices),
        "batch": guard(
            filters.do_batch,
            lambda value, linecount, fill_with=None: linecount if fill_with is not None else 0,
        ),
        "tojson": guard(
            filters.do_tojson,
            lambda _ctx, value, indent=None: (
                (indent or 0) * 10_000 if isinstance(indent, int) else 0
            ),
        ),
        "wordwrap": guard(
            filters.do_wordwrap,
            lambda _env, s, width=79, break_long=True, wrapstring=None, *_: (
                len(str(s)) * (1 + len(wrapstring or "\n"))
            ),
        ),
    }


@cache
def environment() -> Any:
    from jinja2 import StrictUndefined, nodes
    from jinja2.compiler import CodeGenerator
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Generator(CodeGenerator):
        """``a ~ b`` joins through :func:`_joined` (Jinja's own join is unbounded)."""

        def visit_Concat(self, node: Any, frame: Any) -> None:
            self.write("environment.bounded_join((")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

    class Bounded(ImmutableSandboxedEnvironment):
        """A sandbox (which also forbids changing lists and dicts) where nothing a template
        does can build a value over :data:`MAX_STRING`, loop more than :data:`MAX_ITERATIONS`
        times, call more than :data:`MAX_CALLS` times or recurse deeper than
        :data:`MAX_DEPTH`: ``*``, ``**``, ``+`` and ``%``, ``~``, string-growing filters and
        ``str`` methods, ``for`` loops (each iteration counted), macro calls, and the output
        itself (counted as it is produced) are all bounded."""

        code_generator_class = Generator
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        @staticmethod
        def bounded_join(items: Iterable[Any]) -> str:
            return _joined(items)

        @staticmethod
        def concat(chunks: Iterable[str]) -> str:
            return _joined(chunks)

        def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
            tree = super()._parse(source, name, filename)
            for loop in tree.find_all(nodes.For):
                loop.iter = nodes.Filter(
                    loop.iter, "cigen_loop", [], [], None, None, lineno=loop.lineno
                )
            return tree

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**":
                if isinstance(right, (int, float)) and abs(right) > 64:
                    _refuse("exponent too large in template")
            elif operator == "*":
                count = right if isinstance(left, (str, list, tuple)) else left
                size = max(_sized(left), _sized(right))
                if size and isinstance(count, int):
                    _check_size(size * max(count, 0))
            elif operator == "%":
                if isinstance(left, str):
                    _check_format(left, right if isinstance(right, tuple) else (right,))
            else:
                _check_size(_sized(left) + _sized(right))
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            budget = _budget()
            budget.calls -= 1
            if budget.calls < 0:
                _refuse(f"template makes more than {MAX_CALLS:,} calls")
            target = getattr(__obj, "__wrapped__", __obj)
            owner = getattr(target, "__self__", None)
            if isinstance(owner, str):
                method = getattr(target, "__name__", "")
                if method in _GROWING:
                    _check_size(_GROWING[method](owner, *args))
                elif method in ("format", "format_map"):
                    _check_format(owner, (*args, *kwargs.values()))
                elif method == "join" and args:
                    args = (list(args[0]),)
                    _joined(args[0], owner)
            budget.depth += 1
            try:
                if budget.depth > MAX_DEPTH:
                    _refuse(f"template calls nest deeper than {MAX_DEPTH} (recursion)")
                result = super().call(__context, __obj, *args, **kwargs)
            finally:
                budget.depth -= 1
            _check_size(_sized(result))
            return result

    env = Bounded(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.globals.pop("lipsum", None)  # lipsum(n) writes n paragraphs
    env.filters.update(_bounded_filters())
    env.filters["cigen_loop"] = _loop
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
        budget = _Budget()
        token = _BUDGET.set(budget)
        try:
            result = str(template.render({"range": budget.range, **dict(params)}))
        finally:
            _BUDGET.reset(token)
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
