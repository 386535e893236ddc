"""Link and anchor check over the built HTML, before anything is written.

Every internal ``href``/``src`` of every planned HTML page must name a planned file (``dir/``
means ``dir/index.html``) and, when it has a ``#fragment``, an ``id`` in that file. Templates
make most anchors (table of contents, header permalinks, catalog links), so a renamed heading
or a template typo shows up here instead of in a reader's browser.

Each page is parsed once with the standard library's HTML parser, but only the start tags that
can matter are fed to it: code blocks, comments and script bodies are cut out and tags without
an ``id``/``name``/``href``/``src`` attribute are dropped by a quote-aware pattern first. That
keeps the check linear and cheap (highlighted code and parameter tables are most of a model
page's markup and hold neither links nor ids). External URLs (a scheme, or ``//host``) are not
fetched.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from .errors import Location, Problem, Severity

#: Attributes that point at another resource of the site.
_REF_ATTRS = frozenset({"href", "src"})
#: Regions that cannot hold a reference the site depends on; script and style keep their tags.
_SKIP = re.compile(
    rb"<pre\b[^>]*>.*?</pre>|<!--.*?-->|(<(?:script|style)\b[^>]*>).*?</(?:script|style)\s*>",
    re.DOTALL | re.IGNORECASE,
)
#: A start tag, with quoted attribute values that may contain ">".
_TAG = re.compile(rb"""<[A-Za-z][^\s/>]*(?:[^>"']|"[^"]*"|'[^']*')*>""")
_INTERESTING = re.compile(rb"\s(?:id|name|href|src)\s*=", re.IGNORECASE)


class _PageScan(HTMLParser):
    """Collects the ids a page defines and the references it makes, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in _REF_ATTRS:
                self.refs.append(value)

    handle_startendtag = handle_starttag


def scan(html: bytes) -> tuple[set[str], list[str]]:
    """(ids, references) of one HTML page."""
    text = _SKIP.sub(lambda m: m.group(1) or b"", html)
    # Each kept tag becomes self-closing, so a <script src> start tag cannot switch the parser
    # into raw-text mode for the tags after it.
    tags = [_closed(m.group(0)) for m in _TAG.finditer(text) if _INTERESTING.search(m.group(0))]
    parser = _PageScan()
    parser.feed(b"".join(tags).decode("utf-8", errors="replace"))
    parser.close()
    return parser.ids, parser.refs


def _closed(tag: bytes) -> bytes:
    # The space keeps an unquoted value (href=x) from absorbing the slash.
    return tag if tag.endswith(b"/>") else tag[:-1] + b" />"


def resolve(page: str, ref: str) -> tuple[str, str] | None:
    """(site path, fragment) that ``ref`` on ``page`` points at; None for external references.

    A path that climbs out of the site root resolves to a path starting with ``../``, which is
    never planned, so it is reported like any other broken link.
    """
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc:
        return None
    fragment = unquote(parts.fragment)
    path = unquote(parts.path)
    if not path:
        return page, fragment
    # A root-relative path is taken relative to the site root (the site may live under a prefix).
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(posixpath.dirname(page), path)
    target = posixpath.normpath(joined) if joined else "."
    if target == "." or path.endswith("/"):
        target = "index.html" if target == "." else f"{target}/index.html"
    return target, fragment


def check_links(plan: Mapping[str, bytes]) -> list[Problem]:
    """Warnings for every broken internal link or anchor, one per (page, reference)."""
    pages = {path: scan(data) for path, data in plan.items() if path.endswith(".html")}
    problems: list[Problem] = []
    for page in sorted(pages):
        seen: set[str] = set()
        for ref in pages[page][1]:
            if ref in seen:
                continue
            seen.add(ref)
            reason = _broken(page, ref, plan, pages)
            if reason:
                message = f"broken link: {page} \u2192 {ref} ({reason})"
                problems.append(Problem(Location(page), message, Severity.WARNING))
    return problems


def _broken(
    page: str, ref: str, plan: Mapping[str, bytes], pages: Mapping[str, tuple[set[str], list[str]]]
) -> str:
    """Why ``ref`` is broken, or "" when it resolves."""
    found = resolve(page, ref)
    if found is None:
        return ""
    target, fragment = found
    if target not in plan:
        if f"{target}/index.html" in plan:
            target = f"{target}/index.html"
        else:
            return f"no file {target} in the site"
    if fragment and target in pages and fragment not in pages[target][0]:
        return f"no id '{fragment}' in {target}"
    return ""
