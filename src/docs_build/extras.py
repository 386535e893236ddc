"""Site-wide files besides the pages: ``llms.txt``, ``sitemap.xml``, ``404.html`` and the search
index the site's search box loads.

They depend on the catalog only (never on page bodies), so ``serve`` can rebuild them with the
index after any descriptor change, and they are deterministic: entries follow the catalog order
or are sorted, and the only date is the build date already shown in every page footer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from . import site as site_stage
from .errors import Problem
from .render import RenderError, render
from .site import Catalog, Entry, PartMemo, entry_chunks
from .templates import md_escape
from .write import Streamed

if TYPE_CHECKING:
    from .pipeline import SiteRenderer

#: Where the search box finds its index (relative to the site root).
SEARCH_INDEX = "search-index.json"
#: Descriptions in the search index are cut here: enough to recognise a model, small at scale.
SEARCH_DESCRIPTION_CHARS = 200


#: Entries joined into one part of a long file.
_BATCH = 1000


def xml_escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities, what ``xml.sax.saxutils.escape`` does; that module
    imports ``urllib.request`` and with it HTTP, e-mail and TLS, 16 ms of every build's start."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def site_files(
    renderer: SiteRenderer, catalog: Catalog, put: Callable[[str, bytes | Streamed], None]
) -> list[Problem]:
    """Hand every extra file of the site to ``put``; problems rendering the 404.

    The long ones (one entry per model) go as parts, so at 100 000 models neither the whole
    text nor its bytes are another copy.
    """
    base, memo = renderer.site["base_url"], renderer.parts
    put("llms.txt", Streamed(llms_txt(renderer.site["title"], catalog, base, memo)))
    put("sitemap.xml", sitemap_xml(page_urls(catalog), base).encode("utf-8"))
    put(SEARCH_INDEX, Streamed(search_index(catalog, memo)))
    try:
        put("404.html", not_found_page(renderer).encode("utf-8"))
    except RenderError as exc:
        return [exc.problem]
    return []


def page_urls(catalog: Catalog) -> list[str]:
    """Site-relative URLs of every HTML page, sorted (the index is ``""``)."""
    return sorted(["", *(entry.url for group in catalog.groups for entry in group.models)])


def _absolute(base: str, rel: str) -> str:
    return f"{base}/{rel}" if base else rel


def llms_txt(title: str, catalog: Catalog, base: str, memo: PartMemo | None = None) -> list[str]:
    """The llmstxt.org index, as parts: one link per page to its Markdown, grouped like the
    catalog.

    Links are absolute when the site's base URL is known, else relative to the site root.
    Descriptions are escaped like any descriptor text printed into Markdown. With ``memo``
    (``serve``), an unchanged model's line is the one made by the last rebuild.
    """

    def line(entry: Entry) -> str:
        m, url = entry.model, _absolute(base, entry.url + "index.md")
        return f"- [{md_escape(m.title)}]({url}): {md_escape(m.description)}"

    lines = [
        f"# {md_escape(title)}",
        "",
        f"> {len(catalog.models)} models in {len(catalog.groups)} tasks. Every link below is the "
        "Markdown source of one page of this site.",
        "",
        f"- [Catalog]({_absolute(base, 'index.md')}): all models grouped by task",
    ]

    def run(entries: list[Entry]) -> str:
        return "\n".join(map(line, entries))

    # Each piece is a line or a run of lines; a part is pieces joined, at most about _BATCH lines.
    parts: list[str] = []
    for group in catalog.groups:
        lines += ["", f"## {md_escape(group.name)}", ""]
        for piece in entry_chunks(memo, "llms", group.models, run):
            lines.append(piece)
            if len(lines) * site_stage.PART_CHUNK >= _BATCH:
                parts.append("\n".join(lines) + "\n")
                lines = []
    parts.append("".join(line + "\n" for line in lines))
    return parts


def sitemap_xml(urls: list[str], base: str) -> str:
    """A sitemaps.org urlset. Sitemaps need absolute URLs; without ``base_url`` the locations
    stay relative to the site root and a comment says how to fix that."""
    head = ['<?xml version="1.0" encoding="UTF-8"?>']
    if not base:
        # No "--" in the text: XML forbids it inside comments.
        head.append("<!-- relative locations: set base_url in docs-build.toml for absolute URLs -->")
    head.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    return "\n".join(head) + "\n" + _url_elements(urls, base) + "</urlset>\n"


def _url_elements(urls: list[str], base: str) -> str:
    """One ``<url>`` line per URL: what escaping and wrapping each location does, made with a
    few calls over all of them (10 000 escapes were a tenth of ``build --watch``'s edit work).

    Escaping works character by character, so the joined URLs escaped at once split back into
    each URL escaped, unless one holds the separator; then each is done alone.
    """
    escaped = xml_escape("\n".join(urls)).split("\n")
    if len(escaped) != len(urls) or not urls:
        locations = (xml_escape(_absolute(base, url) or "./") for url in urls)
        return "".join(f"  <url><loc>{loc}</loc></url>\n" for loc in locations)
    prefix = xml_escape(base) + "/" if base else ""
    if not base and "" in escaped:  # the site root, relative: ./
        escaped = [url or "./" for url in escaped]
    between = f"</loc></url>\n  <url><loc>{prefix}"
    return f"  <url><loc>{prefix}" + between.join(escaped) + "</loc></url>\n"


def search_index(catalog: Catalog, memo: PartMemo | None = None) -> list[str]:
    """The JSON the search box loads, as parts: a few short fields per model, in catalog order.

    Each entry is encoded as it is made (the same text ``json.dumps`` gives for the whole
    document) rather than first building 100 000 dictionaries. With ``memo`` (``serve``), an
    unchanged model's entry is the text made by the last rebuild.
    """
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def page(entry: Entry, task: str) -> dict[str, Any]:
        m = entry.model
        description = m.description
        if len(description) > SEARCH_DESCRIPTION_CHARS:
            description = description[: SEARCH_DESCRIPTION_CHARS - 1].rstrip() + "\u2026"
        return {
            "title": m.title,
            "name": m.name,
            "description": description,
            "task": task,
            "flags": [badge.kind for badge in entry.badges],
            "url": entry.url,
        }

    def run(entries: list[Entry], task: str) -> str:
        # One call encodes the run: the entries, comma-separated, inside the list's brackets.
        return encode([page(entry, task) for entry in entries])[1:-1]

    parts: list[str] = []
    batch: list[str] = []  # runs of entries, at most about _BATCH entries
    for group in catalog.groups:
        for piece in entry_chunks(memo, "search", group.models, partial(run, task=group.name)):
            batch.append(piece)
            if len(batch) * site_stage.PART_CHUNK >= _BATCH:
                parts.append(("," if parts else "") + ",".join(batch))
                batch = []
    if batch:
        parts.append(("," if parts else "") + ",".join(batch))
    return ['{"version":1,"pages":[', *parts, "]}\n"]


def not_found_page(renderer: SiteRenderer) -> str:
    """``404.html``. Servers show it at any depth, so links are absolute when ``base_url`` is
    set; otherwise they are relative to the site root, which works for top-level misses."""
    base = renderer.site["base_url"]
    page = {
        "title": "Page not found",
        "description": "",
        "root": f"{base}/" if base else "./",
        "markdown_url": "",
        "canonical": "",
        "headings": [],
    }
    context = {"site": renderer.site, "page": page, "body": ""}
    return render(renderer.env, "404.html.j2", context, root=renderer.config.root, for_what="the 404 page")
