"""Site-wide files besides the pages: ``llms.txt``, ``sitemap.xml``, ``404.html`` and the search
index the site's search box loads.

They depend on the catalog only (never on page bodies), so ``serve`` can rebuild them with the
index after any descriptor change, and they are deterministic: entries follow the catalog order
or are sorted, and the only date is the build date already shown in every page footer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

from .errors import Problem
from .render import RenderError, render
from .site import Catalog
from .templates import md_escape

if TYPE_CHECKING:
    from .pipeline import SiteRenderer

#: Where the search box finds its index (relative to the site root).
SEARCH_INDEX = "search-index.json"
#: Descriptions in the search index are cut here: enough to recognise a model, small at scale.
SEARCH_DESCRIPTION_CHARS = 200


def site_files(renderer: SiteRenderer, catalog: Catalog, put: Callable[[str, bytes], None]) -> list[Problem]:
    """Hand every extra file of the site to ``put`` (path, bytes); problems rendering the 404."""
    base = renderer.site["base_url"]
    put("llms.txt", llms_txt(renderer.site["title"], catalog, base).encode("utf-8"))
    put("sitemap.xml", sitemap_xml(page_urls(catalog), base).encode("utf-8"))
    put(SEARCH_INDEX, search_index(catalog).encode("utf-8"))
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


def llms_txt(title: str, catalog: Catalog, base: str) -> str:
    """The llmstxt.org index: one link per page to its Markdown, grouped like the catalog.

    Links are absolute when the site's base URL is known, else relative to the site root.
    Descriptions are escaped like any descriptor text printed into Markdown.
    """
    lines = [
        f"# {md_escape(title)}",
        "",
        f"> {len(catalog.models)} models in {len(catalog.groups)} tasks. Every link below is the "
        "Markdown source of one page of this site.",
        "",
        f"- [Catalog]({_absolute(base, 'index.md')}): all models grouped by task",
    ]
    for group in catalog.groups:
        lines += ["", f"## {md_escape(group.name)}", ""]
        for entry in group.models:
            m, url = entry.model, _absolute(base, entry.url + "index.md")
            lines.append(f"- [{md_escape(m.title)}]({url}): {md_escape(m.description)}")
    return "\n".join(lines) + "\n"


def sitemap_xml(urls: list[str], base: str) -> str:
    """A sitemaps.org urlset. Sitemaps need absolute URLs; without ``base_url`` the locations
    stay relative to the site root and a comment says how to fix that."""
    head = ['<?xml version="1.0" encoding="UTF-8"?>']
    if not base:
        # No "--" in the text: XML forbids it inside comments.
        head.append("<!-- relative locations: set base_url in docs-build.toml for absolute URLs -->")
    head.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    body = [f"  <url><loc>{xml_escape(_absolute(base, url) or './')}</loc></url>" for url in urls]
    return "\n".join([*head, *body, "</urlset>"]) + "\n"


def search_index(catalog: Catalog) -> str:
    """The JSON the search box loads: a few short fields per model, in catalog order."""
    pages: list[dict[str, Any]] = []
    for group in catalog.groups:
        for entry in group.models:
            m = entry.model
            description = m.description
            if len(description) > SEARCH_DESCRIPTION_CHARS:
                description = description[: SEARCH_DESCRIPTION_CHARS - 1].rstrip() + "\u2026"
            pages.append(
                {
                    "title": m.title,
                    "name": m.name,
                    "description": description,
                    "task": group.name,
                    "flags": [badge.kind for badge in entry.badges],
                    "url": entry.url,
                }
            )
    return json.dumps({"version": 1, "pages": pages}, ensure_ascii=False, separators=(",", ":")) + "\n"


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
