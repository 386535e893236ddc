"""Stage 4: Markdown → HTML with one explicitly configured markdown-it and Pygments.

The parser runs with raw HTML *off*: pages are built from templates plus descriptor data, and
nothing in either needs raw HTML, so no descriptor can smuggle a ``<script>`` in even if an
escape were missed. Structure that plain Markdown lacks comes from plugins: heading anchors,
``[text]{.class}`` spans for badges, ``::: details Summary`` blocks that become
``<details>``, and GFM tables.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.container import container_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"


@dataclass
class Heading:
    """A heading with its anchor, for the page's table of contents."""

    level: int
    text: str
    anchor: str


@dataclass
class Converted:
    """HTML body plus what the layout needs from it."""

    html: str
    headings: list[Heading] = field(default_factory=list)
    #: The text defined link references (``[x]: url``); they reach across the whole page, so
    #: such a page cannot be converted piecewise (see ``cache.convert_page``).
    references: bool = False


@functools.lru_cache(maxsize=4096)
def highlight_code(code: str, lang: str) -> str:
    """Pygments HTML for ``code``; cached because examples repeat across many pages."""
    lexer = _lexer(lang)
    if lexer is None:
        return ""  # markdown-it escapes and wraps the plain text itself
    return str(pygments_highlight(code, lexer, _formatter()))


@functools.cache
def _lexer(lang: str) -> Any:
    """One lexer per language (lexers keep no state between calls)."""
    try:
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@functools.cache
def _formatter() -> HtmlFormatter[str]:
    """One formatter: building one computes a whole style sheet, which cost more than the code."""
    return HtmlFormatter(nowrap=True)


def _highlight(code: str, lang: str, _attrs: str) -> str:
    return highlight_code(code, lang.strip().lower()) if lang.strip() else ""


def _details_render(self: Any, tokens: list[Token], idx: int, _options: Any, _env: Any) -> str:
    token = tokens[idx]
    if token.nesting == 1:
        summary = token.info.strip()[len("details") :].strip() or "Details"
        return f'<details class="collapsible">\n<summary>{escapeHtml(summary)}</summary>\n'
    return "</details>\n"


def _slug(text: str) -> str:
    text = re.sub(r"[^\w\s-]", "", text.strip().lower())
    return re.sub(r"[\s]+", "-", text).strip("-") or "section"


#: Link targets that markdown-it's ``normalizeLink`` returns unchanged: a relative path, or an
#: http(s) URL with a lower-case host, made of characters that need no percent-encoding. Most
#: links of a catalog are such (``models/x/``, ``https://huggingface.co/org/model``); parsing
#: and re-encoding each took a fifth of converting a line with two links.
_PLAIN_LINK = re.compile(r"(?:https?://[a-z0-9]+(?:[.-][a-z0-9]+)*(?![^/]))?(?!//)[A-Za-z0-9._~/-]*")


def _normalize_link(md: MarkdownIt) -> Callable[[str], str]:
    """``md.normalizeLink``, skipping the work for links it would leave as they are."""
    normalize = md.normalizeLink

    def normalize_link(url: str) -> str:
        return url if _PLAIN_LINK.fullmatch(url) else normalize(url)

    return normalize_link


@functools.cache
def markdown() -> MarkdownIt:
    """The one configured parser (built once per process)."""
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight})
    # markdown-it's documented hook for how link targets are normalised.
    md.normalizeLink = _normalize_link(md)  # type: ignore[method-assign,assignment]
    md.enable("table")
    md.use(
        anchors_plugin,
        min_level=2,
        max_level=4,
        permalink=True,
        permalinkSymbol="#",
        permalinkBefore=False,
        slug_func=_slug,
    )
    md.use(attrs_plugin, spans=True, allowed=["class", "id"])
    md.use(container_plugin, name="details", render=_details_render)
    md.use(container_plugin, name="note")
    return md


#: One line of prose that markdown-it can only read as plain text: it starts with a letter
#: (so it opens no list, heading, quote, table or container), holds no character that starts
#: inline markup or needs HTML escaping, and ends without white space.
_PLAIN_LINE = r"[A-Za-z](?:[^\s\x00-\x1f\x7f\\`*_\[\]!<>&{}~|#\"]| (?! *\n| *$))*"
#: Such a line alone is a paragraph. A model's description is one, and it is most of what is
#: unique to each model page, so such paragraphs skip the parser.
_PLAIN_PARAGRAPH = re.compile(rf"({_PLAIN_LINE})\n{{0,2}}")
#: Text inside a link or badge label that markdown-it prints as it is: no character that
#: starts inline markup or needs HTML escaping, single spaces between words.
_PLAIN_LABEL = (
    r"[^\s\x00-\x1f\x7f\\`*_\[\]!<>&{}~|#\"()](?:[^\s\x00-\x1f\x7f\\`*_\[\]!<>&{}~|#\"()]| (?! |\]))*"
)
_BADGES = re.compile(rf" \[({_PLAIN_LABEL})\]\{{\.badge \.badge-([a-z0-9-]+)\}}")
#: One catalog entry as ``site.entry_markdown`` writes it, every part plain: a link to a
#: relative page (which ``normalizeLink`` leaves as it is), badges, a hard break, a description.
_PLAIN_ITEM = (
    rf"- \[({_PLAIN_LABEL})\]\(((?!//)[A-Za-z0-9._~/-]+)\)"
    rf"((?: \[{_PLAIN_LABEL}\]\{{\.badge \.badge-[a-z0-9-]+\}})*)"
    rf"\\\n  ({_PLAIN_LINE})\n"
)
_ITEM = re.compile(_PLAIN_ITEM)


def plain_list(text: str) -> tuple[str, list[str]] | None:
    """The HTML of a tight list of plain catalog entries (:data:`_PLAIN_ITEM`) and the links
    in it, in order (its only references; it has no ids), else None.

    A catalog index is such a list, one item per model, and markdown-it took ~120 µs an item
    over it; what it makes of these items is fixed, so they are written directly.
    """
    if not text.startswith("- "):
        return None
    items = ["<ul>\n"]
    urls: list[str] = []
    end = 0
    for item in _ITEM.finditer(text):
        if item.start() != end:
            return None  # something between two items that is not one
        end = item.end()
        title, url, badges, description = item.groups()
        spans = (
            "".join(
                f' <span class="badge badge-{kind}">{label}</span>' for label, kind in _BADGES.findall(badges)
            )
            if badges
            else ""
        )
        items.append(f'<li><a href="{url}">{title}</a>{spans}<br />\n{description}</li>\n')
        urls.append(url)
    if text[end:].strip("\n"):  # blank lines after the list change nothing
        return None
    items.append("</ul>\n")
    return "".join(items), urls


def convert(text: str) -> Converted:
    """Convert page Markdown to an HTML body and collect its headings."""
    plain = _PLAIN_PARAGRAPH.fullmatch(text)
    if plain is not None:
        return Converted(f"<p>{plain[1]}</p>\n")
    listed = plain_list(text)
    if listed is not None:
        return Converted(listed[0])
    md = markdown()
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    headings: list[Heading] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.attrs.get("id"):
            inline = tokens[i + 1]
            label = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
            headings.append(Heading(int(tok.tag[1]), label.strip(), str(tok.attrs["id"])))
    html = md.renderer.render(tokens, md.options, env)
    return Converted(html, headings, references=bool(env.get("references")))


def pygments_css() -> str:
    """Highlighting CSS for light and dark schemes, scoped to code blocks."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs("pre code")  # type: ignore[no-untyped-call]
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(  # type: ignore[no-untyped-call]
        ":root[data-theme=dark] pre code"
    )
    auto = HtmlFormatter(style=DARK_STYLE).get_style_defs(  # type: ignore[no-untyped-call]
        ":root:not([data-theme=light]) pre code"
    )
    return (
        "/* Generated by docs-build from Pygments styles */\n"
        f"{light}\n"
        f"{dark}\n"
        f"@media (prefers-color-scheme: dark) {{\n{auto}\n}}\n"
    )
