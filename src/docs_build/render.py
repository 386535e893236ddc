"""Stage 3: render templates, reporting failures at the template's own ``path:line``.

Jinja rewrites tracebacks so template code appears as frames of the ``.j2`` file itself; the
innermost such frame is the line the user has to fix. The descriptor that was being rendered is
named too, because a template can fail for one model out of many.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
from markupsafe import Markup

from .errors import Location, Problem, line_of
from .templates import BUILTIN_TEMPLATES


class RenderError(Exception):
    """A template failed; carries the located problem."""

    def __init__(self, problem: Problem, *, template_level: bool = False) -> None:
        super().__init__(problem.message)
        self.problem = problem
        #: True when the template itself is broken, whatever the model (a syntax error).
        self.template_level = template_level


def template_display(filename: str | None, root: Path) -> str:
    """``templates/x.md.j2`` for project templates, ``<builtin>/x.md.j2`` for ours."""
    if not filename:
        return "<template>"
    path = Path(filename)
    try:
        return "<builtin>/" + path.relative_to(BUILTIN_TEMPLATES).as_posix()
    except ValueError:
        pass
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _source_line(filename: str | None, line: int) -> str | None:
    if not filename:
        return None
    try:
        return line_of(Path(filename).read_text(encoding="utf-8"), line)
    except OSError:
        return None


def _template_frame(exc: BaseException) -> tuple[str | None, int]:
    """The innermost traceback frame that belongs to a template file."""
    found: tuple[str | None, int] = (None, 0)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".j2", ".jinja", ".html", ".md")) and frame.lineno:
            found = (frame.filename, frame.lineno)
    return found


#: Output pieces joined at a time; see :func:`_joined`.
_BATCH = 4096


def _joined(chunks: Iterator[str]) -> str:
    """``"".join(chunks)`` in batches.

    Jinja's own ``render`` joins a list of every piece of output, a few small strings per
    model: for the index of 100 000 models that list and its strings take several times the
    size of the page. Batches keep one batch of small strings at a time.
    """
    batch = list(itertools.islice(chunks, _BATCH))
    if len(batch) < _BATCH:
        return "".join(batch)
    joined = ["".join(batch)]
    while batch := list(itertools.islice(chunks, _BATCH)):
        joined.append("".join(batch))
    return "".join(joined)


def render(
    env: Environment, name: str, context: dict[str, Any], *, root: Path, for_what: str, small: bool = False
) -> str:
    """Render template ``name``; any failure becomes a :class:`RenderError` with a location.

    ``small`` for output known to be a page's size (a model page): Jinja's own ``render``
    joins it at once, without the generator that lets :func:`_joined` batch a catalog's
    index, one layer less for each of the hundred pieces of a page.
    """
    try:
        template = env.get_template(name)
        if small:
            return template.render(context)
        return _joined(template.generate(context))
    except TemplateSyntaxError as exc:
        where = template_display(exc.filename, root)
        loc = Location(where, exc.lineno or 0, 0)
        msg = f"template syntax error: {exc.message} (found while rendering {for_what})"
        problem = Problem(loc, msg, source_line=_source_line(exc.filename, exc.lineno))
        raise RenderError(problem, template_level=True) from exc
    except UnicodeDecodeError as exc:
        loc = Location(template_display(None, root), 0, 0)
        msg = f"a template is not valid UTF-8 ({exc.reason}) (rendering {for_what}); save it as UTF-8"
        raise RenderError(Problem(loc, msg), template_level=True) from exc
    except TemplateNotFound as exc:
        filename, line = _template_frame(exc)
        loc = Location(template_display(filename, root), line, 0)
        raise RenderError(
            Problem(loc, f"template not found: {exc.name} (rendering {for_what}); create it or fix the name")
        ) from exc
    except (
        UndefinedError,
        TemplateError,
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
        ArithmeticError,
    ) as exc:
        filename, line = _template_frame(exc)
        loc = Location(template_display(filename, root), line, 0)
        kind = "undefined value" if isinstance(exc, UndefinedError) else "template error"
        msg = f"{kind}: {exc} (rendering {for_what})"
        raise RenderError(Problem(loc, msg, source_line=_source_line(filename, line))) from exc
    except RecursionError as exc:
        filename, line = _template_frame(exc)
        loc = Location(template_display(filename, root), line, 0)
        msg = (
            f"template recursion too deep: an include, import or macro calls itself without end "
            f"(rendering {for_what}); add a condition that stops it"
        )
        raise RenderError(Problem(loc, msg, source_line=_source_line(filename, line))) from exc


_STAND_IN = "\x00docs-build:body\x00"


class _StandIn(Markup):
    """Takes the body's place while a layout renders; notes any use besides printing it.

    Printing goes through ``__html__`` (autoescaping) or ``str``; filters, tests, comparisons,
    ``len`` or indexing (``body|length``, ``body[:10]``, ``if body``) would see the stand-in's
    text instead of the body's, so they are noted and the caller renders with the body itself.
    """

    inspected = False

    def _note(self) -> None:
        object.__setattr__(self, "inspected", True)

    def __html__(self) -> _StandIn:
        return self

    def __getattribute__(self, name: str) -> Any:
        if name not in ("__html__", "__class__", "inspected", "_note", "__dict__", "__str__"):
            object.__getattribute__(self, "_note")()
        return super().__getattribute__(name)


def _noting(name: str) -> Any:
    """``Markup.<name>`` that first notes the use (operators bypass ``__getattribute__``)."""
    base = getattr(Markup, name)

    def method(self: _StandIn, *args: Any) -> Any:
        self._note()
        return base(self, *args)

    method.__name__ = name
    return method


for _name in (
    *("__len__", "__iter__", "__contains__", "__getitem__", "__hash__", "__eq__", "__ne__"),
    *("__lt__", "__le__", "__gt__", "__ge__", "__add__", "__radd__", "__mul__", "__rmul__", "__mod__"),
):
    setattr(_StandIn, _name, _noting(_name))


def render_around(
    env: Environment, name: str, context: dict[str, Any], root: Path, for_what: str, small: bool = False
) -> tuple[str, str] | None:
    """(before, after) the body in template ``name``'s output, or None if it did more than print it.

    For a body too large to copy (the index of a large catalog): the page is written as
    ``before + body + after``, which is what rendering with the body gives exactly when the
    template printed it once and looked at it in no other way. Raises :class:`RenderError`.
    """
    stand_in = _StandIn(_STAND_IN)
    html = render(env, name, {**context, "body": stand_in}, root=root, for_what=for_what, small=small)
    head, found, tail = html.partition(_STAND_IN)
    if not found or stand_in.inspected or _STAND_IN in tail:
        return None
    return head, tail
