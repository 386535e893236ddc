"""The Jinja environment: project templates before built-ins, strict, and safe for Markdown.

Two rules make descriptor text harmless:

* Markdown templates escape every ``{{ value }}`` by default (a ``finalize`` hook, the Markdown
  twin of HTML autoescaping): backslashes go before characters that start Markdown structure and
  line breaks become spaces, so a description can never open a heading, list, link, table or raw
  HTML. Templates opt out per value with ``|code`` (inside fenced code), ``|inline_code`` or
  ``|json``.
* HTML templates (``*.html.j2``) use Jinja's autoescape.

Values are rendered, never parsed: ``{{ 7*7 }}`` inside a description prints as written.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    pass_eval_context,
)
from jinja2.loaders import split_template_path
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

BUILTIN_DIR = Path(__file__).parent / "builtin"
BUILTIN_TEMPLATES = BUILTIN_DIR / "templates"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&!|~#{}])")
#: Characters that open a block at the start of a line (``:`` for ``::: container`` fences).
_MD_LINE_START = re.compile(r"^([-+=>:])")
#: An ordered-list marker is the digits plus ``.``/``)``; escaping the digit would show the backslash.
_MD_ORDERED = re.compile(r"^(\d+)([.)])")
_WS = re.compile(r"\s+")


#: Text that :func:`md_escape` leaves as it is: words of no special character separated by single
#: spaces, not starting with a character that could open a block. Most titles and descriptions
#: are such text, and one match is a quarter of the time of the four substitutions.
_MD_PLAIN = re.compile(r"(?![-+=>:\d])[^\\`*_\[\]<>&!|~#{}\s]+(?: [^\\`*_\[\]<>&!|~#{}\s]+)*+")


def md_escape(value: object) -> str:
    """Make ``value`` inert inside a Markdown paragraph or table cell."""
    text = str(value)
    if _MD_PLAIN.fullmatch(text):
        return text
    text = _WS.sub(" ", text).strip()
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(r"\\\1", text)
    return _MD_ORDERED.sub(r"\1\\\2", text)


#: Escaped text by text: the same titles, labels and descriptions are printed again and again
#: (badges on every line of the catalog, and every line again on each rebuild in ``serve``).
#: What a Markdown template prints for ``{{ text }}``; Python code printing into Markdown
#: (``site.entry_markdown``) uses it too.
escaped_text = functools.lru_cache(maxsize=1 << 15)(md_escape)


@pass_eval_context
def _finalize(ctx: EvalContext, value: Any) -> Any:
    if ctx.autoescape or isinstance(value, Markup):
        return value
    if type(value) is str:
        return escaped_text(value)
    if value is None:
        # StrictUndefined catches missing names; None is a real value nobody should print.
        raise ValueError("template printed None; test the value before printing it")
    return md_escape(value)


def toc_items(headings: Iterable[Any]) -> Markup:
    """The built-in layout's table of contents: one ``<li>`` line per heading of level 1-3.

    The same lines as a Jinja loop printing ``level``, ``anchor`` and ``text`` with HTML
    escaping, made in one join: the loop was a tenth of a model page's work in a cold build.
    """
    line = '      <li class="toc-l{}"><a href="#{}">{}</a></li>\n'.format
    shown = (h for h in headings if h.level <= 3)
    return Markup("".join(line(escape(h.level), escape(h.anchor), escape(h.text)) for h in shown))


def code(value: object) -> Markup:
    """Raw text for use inside a fenced code block (one line, so it cannot close the fence)."""
    return Markup(str(value).replace("\r", " ").replace("\n", " "))


def inline_code(value: object) -> Markup:
    """An inline code span whose fence is longer than any backtick run inside it."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def cell_code(value: object) -> Markup:
    """An inline code span for a GFM table cell: a ``|`` inside would end the cell, so it is
    written ``\\|``, which the table parser turns back into ``|`` inside the code span."""
    return Markup(inline_code(value).replace("|", "\\|"))


def link_url(value: object) -> Markup:
    """An http(s) URL made safe as a Markdown link destination (``[text]({{ url|url }})``).

    Characters that could end the destination or start Markdown (spaces, parentheses, angle
    brackets, backslashes, backticks, quotes) are percent-encoded; other schemes are refused,
    so templates must only print URLs they have checked (see ``site.links``).
    """
    from urllib.parse import quote

    text = str(value).strip()
    if not re.match(r"https?://", text, re.IGNORECASE):
        raise ValueError(f"not an http(s) URL: {text!r}")
    return Markup(quote(text, safe=":/?#[]@!$&*+,;=%-._~"))


def to_json(value: object, indent: int | None = 2) -> Markup:
    """Pretty JSON for a fenced ``json`` block; stable key order as given."""
    if type(value) in (dict, list):
        # Every model page prints its schemas, and most models share them; the indenting
        # encoder is pure Python, repr() is C. For data parsed from JSON/YAML (dicts, lists,
        # strings, numbers, booleans, None) equal reprs mean equal JSON.
        return _json_memo(repr(value), value, indent)
    return Markup(json.dumps(value, indent=indent, ensure_ascii=False))


def _json_memo(key: str, value: object, indent: int | None) -> Markup:
    found = _JSON_MEMO.get((key, indent))
    if found is None:
        found = Markup(json.dumps(value, indent=indent, ensure_ascii=False))
        if len(_JSON_MEMO) >= 512:
            _JSON_MEMO.clear()
        _JSON_MEMO[(key, indent)] = found
    return found


_JSON_MEMO: dict[tuple[str, int | None], Markup] = {}

#: Largest ``range()`` a template may ask for (Jinja's sandbox uses the same bound).
MAX_RANGE = 100_000


def bounded_range(*args: int) -> range:
    """``range`` for templates: a typo such as ``range(10**12)`` fails instead of hanging a build."""
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise OverflowError(f"range() of {len(result)} items is over the template limit of {MAX_RANGE}")
    return result


def template_files(directory: Path) -> list[Path]:
    """Every file under a templates directory, in a stable order, following linked folders.

    Jinja follows symlinked folders when it loads templates, so whatever decides whether pages
    are up to date (the build cache, ``serve``) must see the same files. Links that leave the
    project are refused by ``pipeline.check_templates``; a folder reached twice is read once.
    """
    if not directory.is_dir():
        return []
    found: list[Path] = []
    seen: set[str] = set()
    for folder, dirs, files in os.walk(directory, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        found += [Path(folder, name) for name in sorted(files)]
    return found


class _Loader(ChoiceLoader):
    """A :class:`ChoiceLoader` that knows which names it cannot have.

    Every model page looks up a per-model and a per-task override of each of its sections
    before the built-in one (see ``model.md.j2``), and the per-model names are new on every
    page: each was a search of every template directory, and Jinja raised and caught an
    exception per name. The files are listed once instead, when the environment is made; it
    lives for one build (``serve`` makes a new one when a template changes), the same snapshot
    the build cache and ``serve`` take of the templates. A name is skipped only when no file
    matches it even ignoring case, so a case-insensitive file system finds what it always did.
    """

    def __init__(self, loaders: list[BaseLoader], names: frozenset[str] | None) -> None:
        super().__init__(loaders)
        self._names = names  # casefolded "dir/file" names any loader could serve; None: unknown
        self._missing: set[str] = set()

    def may_have(self, name: str) -> bool:
        """False only when no loader has a file by this name (then loading it must fail)."""
        if self._names is None or name.casefold() in self._names:
            return True
        if not ("//" in name or "/." in name or name.startswith((".", "/")) or name.endswith("/")):
            return False  # already in the form Jinja's loaders reduce a name to
        try:
            pieces = split_template_path(name)
        except TemplateNotFound:
            return True  # a name climbing out with '..': Jinja says what is wrong with it
        return "/".join(pieces).casefold() in self._names

    def load(
        self, environment: Environment, name: str, globals: MutableMapping[str, Any] | None = None
    ) -> Template:
        if name in self._missing or not self.may_have(name):
            raise TemplateNotFound(name)
        try:
            return super().load(environment, name, globals)
        except TemplateNotFound:
            self._missing.add(name)
            raise


class _Environment(Environment):
    """Jinja's environment, trying only the names of a list that may exist (see :class:`_Loader`)."""

    def select_template(
        self,
        names: Iterable[str | Template],
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        loader = self.loader
        if isinstance(loader, _Loader) and isinstance(names, list | tuple):
            kept = [n for n in names if not isinstance(n, str) or loader.may_have(n)]
            if kept:  # else Jinja's own error (or ``ignore missing``) for the names as given
                names = kept
        return super().select_template(names, parent, globals)


#: Names listed under one templates directory before :class:`_Loader` gives up listing them
#: (folders linked into each other many times over) and tries every name, as Jinja does.
_NAMES_MAX = 100_000


def _template_names(directory: Path) -> set[str] | None:
    """The casefolded names (``dir/file``) of the files a loader rooted at ``directory`` serves,
    or None when there are too many to list.

    Every path counts, also a folder reached a second time through a link (``models/b`` linked
    to ``models/a`` serves ``models/b/x.md.j2``), which :func:`template_files` lists once. A
    link back into a folder it is inside (a loop) makes endless names, so then there is no list.
    """
    names: set[str] = set()
    stack = [(os.fspath(directory), "", frozenset[str]())]
    while stack:
        folder, prefix, above = stack.pop()
        real = os.path.realpath(folder)
        if real in above:
            return None
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir():
                stack.append((entry.path, rel + "/", above | {real}))
            elif entry.is_file():
                names.add(rel.casefold())
                if len(names) > _NAMES_MAX:
                    return None
    return names


@functools.cache
def _builtin_names() -> frozenset[str]:
    """The built-in templates' names, plain and under ``builtin/`` (they never change)."""
    plain = _template_names(BUILTIN_TEMPLATES) or set()
    return frozenset(plain | {f"builtin/{name}" for name in plain})


def make_environment(project_templates: Path | None) -> Environment:
    """The one environment used for every page; project templates win by name.

    ``builtin/NAME`` always reaches the built-in template, so an override can
    ``{% extends "builtin/model.md.j2" %}`` the page it replaces.
    """
    builtin = FileSystemLoader(str(BUILTIN_TEMPLATES))
    loaders = [builtin]
    names: frozenset[str] | None = _builtin_names()
    if project_templates is not None and project_templates.is_dir():
        loaders.insert(0, FileSystemLoader(str(project_templates)))
        project_names = _template_names(project_templates)
        names = None if project_names is None or names is None else names | project_names
    env = _Environment(
        loader=_Loader([*loaders, PrefixLoader({"builtin": builtin})], names),
        undefined=StrictUndefined,
        autoescape=lambda name: name is not None and name.endswith((".html.j2", ".html")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
        auto_reload=False,
    )
    env.globals["range"] = bounded_range
    env.filters.update(
        code=code,
        inline_code=inline_code,
        json=to_json,
        md=md_escape,
        url=link_url,
        cell_code=cell_code,
        toc_items=toc_items,
    )
    _memoise_api_schema(env)
    return env


#: The built-in API-schema section and the partial it includes. Its output depends only on the
#: model's two schemas (the ``api`` tables derived from them and the raw JSON it prints), and
#: most models of a catalog share their schemas, so it is rendered once per distinct pair.
_API_SECTION = "sections/api-schema.md.j2"
_API_INCLUDES = ("partials/schema-doc.md.j2",)
_SECTION_MEMO_SIZE = 256


def _memoise_api_schema(env: Environment) -> None:
    """Render the built-in API-schema section once per distinct pair of schemas.

    Only when the section and every template it includes are the built-in files: a project that
    overrides any of them gets its templates rendered for every model, since they may print
    anything. The key holds the two schemas' JSON text and the identities of the ``api``
    tables in the context (pinned in the entry, so an identity cannot be reused while the entry
    lives); ``apischema.document`` returns one table object per distinct schema text, so models
    with equal schemas share a key, and a template that passes a different ``api`` misses.
    """
    try:
        section = env.get_template(_API_SECTION)
        includes = [env.get_template(name) for name in _API_INCLUDES]
    except Exception:  # a broken override is reported when the page renders
        return
    builtin = str(BUILTIN_TEMPLATES) + os.sep
    if not all((t.filename or "").startswith(builtin) for t in (section, *includes)):
        return
    original = section.root_render_func
    memo: dict[tuple[object, ...], tuple[object, str]] = {}

    def root(context: Any) -> Any:
        api = context.get("api")
        model = context.get("model")
        if api is None or model is None:
            yield from original(context)
            return
        docs = (getattr(api, "input", None), getattr(api, "output", None))
        texts = tuple(
            to_json(schema) if schema is not None else None
            for schema in (getattr(model, "input_schema", None), getattr(model, "output_schema", None))
        )
        key = (id(docs[0]), id(docs[1]), *texts)
        found = memo.get(key)
        if found is None:
            if len(memo) >= _SECTION_MEMO_SIZE:
                memo.clear()
            found = memo[key] = (docs, "".join(original(context)))
        yield found[1]

    section.root_render_func = root
