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
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from .errors import Location, Problem, Severity

#: Attributes that point at another resource of the site.
_REF_ATTRS = frozenset({"href", "src"})
#: Regions that cannot hold a reference the site depends on; script and style keep their tags.
#: Both patterns start with a literal ``<`` and use possessive quantifiers where a match is
#: unique anyway: the same matches as the plain forms, found several times faster.
_SKIP = re.compile(
    rb"<(?:pre\b[^>]*+>.*?</pre>|!--.*?-->|((?:script|style)\b[^>]*+>).*?</(?:script|style)\s*>)",
    re.DOTALL | re.IGNORECASE,
)
#: A start tag, with quoted attribute values that may contain ">". The name is not possessive:
#: in junk such as ``<a"/">`` the plain form gives a quote back from the name to the attributes.
_TAG = re.compile(rb"""<[A-Za-z][^\s/>]*(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_TAG_START = re.compile(rb"<[A-Za-z]")
_INTERESTING = re.compile(rb"\s(?:id|name|href|src)\s*=", re.IGNORECASE)
#: What is left of a region that opens or closes outside a part of a page (besides ``-->``),
#: matched in lowered bytes: a pattern that starts with one literal is searched for quickly.
_REGION_END = re.compile(rb"<(?:pre\b|!--|script\b|style\b|/pre\b|/script\b|/style\b)")


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


def _kept(region: re.Match[bytes]) -> bytes:
    """What is left of a skipped region: a script or style start tag (its ``src`` counts)."""
    tag = region.group(1)
    return b"<" + tag if tag else b""


def closed_regions(text: str) -> bool:
    """Whether every region :func:`scan` skips whole (comment, ``<pre>``, script, style) that
    touches ``text`` opens and closes inside it."""
    return _regions_closed(text.encode("utf-8"))


def _regions_closed(data: bytes) -> bool:
    """:func:`closed_regions` of UTF-8 bytes, as :func:`scan` sees the page: tag names are
    matched ignoring ASCII case only, as browsers do (``bytes.lower`` lowers ASCII only)."""
    rest = _SKIP.sub(b"", data).lower()
    return b"-->" not in rest and _REGION_END.search(rest) is None


def scan(html: bytes) -> tuple[set[str], list[str]]:
    """(ids, references) of one HTML page."""
    ids, refs, _ = _scan_kept(_SKIP.sub(_kept, html))
    return ids, refs


def scan_part(text: str) -> tuple[set[str], list[str]] | None:
    """:func:`scan` of a part of a page, or None when the part could scan differently in place.

    That is when it leaves a skipped region open (or closes one it did not open), or holds a
    ``<`` and letter that starts no complete tag: followed by more text, that could become a
    tag swallowing what follows (``<a title="x`` ... ``">``). A ``<`` and letter inside a quoted
    value counts too, which only ever sends the page to be scanned whole.

    The same rule makes a part the sum of its lines when each line passes it alone: no region
    and no tag then crosses a line break. A page layout repeats from page to page line by line
    (only its title, description and a few links differ), so lines are scanned once each.
    """
    ids: set[str] = set()
    refs: list[str] = []
    memo = _LINE_MEMO
    for line in text.splitlines(keepends=True):
        try:
            found = memo[line]
        except KeyError:
            if len(memo) >= _LINE_MEMO_SIZE:
                memo.clear()
            whole = _scan_part(line)
            found = memo[line] = None if whole is None else (tuple(whole[0]), tuple(whole[1]))
        if found is None:
            return _scan_part(text)
        ids.update(found[0])
        refs += found[1]
    return ids, refs


#: :func:`_scan_part` of lines already seen, as (ids, references) or None.
_LINE_MEMO: dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None] = {}
_LINE_MEMO_SIZE = 20_000


def _scan_part(text: str) -> tuple[set[str], list[str]] | None:
    """:func:`scan_part` of ``text`` scanned at once."""
    data = text.encode("utf-8")
    if not _regions_closed(data):
        return None
    kept = _SKIP.sub(_kept, data)
    ids, refs, tags = _scan_kept(kept)
    if len(_TAG_START.findall(kept)) != tags:
        return None
    return ids, refs


def _scan_kept(text: bytes) -> tuple[set[str], list[str], int]:
    """(ids, references, start tags) of a page whose skipped regions are already cut out."""
    ids: set[str] = set()
    refs: list[str] = []
    memo = _TAG_MEMO
    tags = 0
    for match in _TAG.finditer(text):
        tags += 1
        tag = match.group(0)
        found = memo.get(tag)
        if found is None:
            found = _scan_tag(tag) if _INTERESTING.search(tag) else ((), ())
            if len(memo) >= _TAG_MEMO_SIZE:
                memo.clear()
            memo[tag] = found
        if found[0]:
            ids.update(found[0])
        if found[1]:
            refs += found[1]
    return ids, refs, tags


#: Start tags already scanned in this process: pages repeat most of their tags (the layout's
#: links, the section anchors), and the HTML parser is the expensive part of the scan.
_TAG_MEMO: dict[bytes, tuple[tuple[str, ...], tuple[str, ...]]] = {}
_TAG_MEMO_SIZE = 50_000


#: A start tag whose attributes are all ``name="value"`` with values holding no character
#: reference, quote or angle bracket: read directly, the HTML parser would read the same.
_SIMPLE_TAG = re.compile(
    rb'<([A-Za-z][A-Za-z0-9]*)((?:[ \t\n]+[A-Za-z][A-Za-z0-9_.:-]*="[^"&<>\x00\r]*")*)[ \t\n]*/?>'
)
_SIMPLE_ATTR = re.compile(rb'([A-Za-z][A-Za-z0-9_.:-]*)="([^"]*)"')


def _scan_tag(tag: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ids and references of one start tag, parsed on its own.

    Each tag is made self-closing, so a ``<script src>`` start tag cannot switch the parser into
    raw-text mode, and what one tag yields does not depend on the tags around it. A simple tag
    (:data:`_SIMPLE_TAG`, most of a page's unique ones: a catalog link, a page's title anchor)
    is read with a pattern, a tenth of the parser's time.
    """
    simple = _SIMPLE_TAG.fullmatch(tag)
    if simple is not None:
        is_a = simple[1].lower() == b"a"
        ids: set[str] = set()
        refs: list[str] = []
        for name, value in _SIMPLE_ATTR.findall(simple[2]):
            name = name.lower()
            if name == b"id" or (name == b"name" and is_a):
                ids.add(value.decode("utf-8", errors="replace"))
            elif name in (b"href", b"src"):
                refs.append(value.decode("utf-8", errors="replace"))
        return tuple(sorted(ids)), tuple(refs)
    return _parsed_tag(tag)


def _parsed_tag(tag: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """:func:`_scan_tag` by the standard library's HTML parser."""
    parser = _PageScan()
    parser.feed(_closed(tag).decode("utf-8", errors="replace"))
    parser.close()
    return tuple(sorted(parser.ids)), tuple(parser.refs)


def _closed(tag: bytes) -> bytes:
    # The space keeps an unquoted value (href=x) from absorbing the slash.
    return tag if tag.endswith(b"/>") else tag[:-1] + b" />"


#: A relative link that is only a path of characters URLs never treat specially (what most of
#: a catalog's links are: ``models/x/``, ``../../assets/style.css``).
_PLAIN_PATH = re.compile(r"(?![/\\])[A-Za-z0-9._~/-]+")


def resolve(page: str, ref: str) -> tuple[str, str] | None:
    """(site path, fragment) that ``ref`` on ``page`` points at; None for external references.

    A path that climbs out of the site root resolves to a path starting with ``../``, which is
    never planned, so it is reported like any other broken link.
    """
    if ref[:1] == "#" and "%" not in ref and ref.isprintable():  # an anchor on the page itself
        return page, ref[1:]
    if _PLAIN_PATH.fullmatch(ref):  # no scheme, host, query, fragment or escapes: the path as is
        path, fragment = ref, ""
    else:
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


class Link(NamedTuple):
    """One distinct reference of a page, resolved, with the reason it is broken if known."""

    ref: str
    target: str
    fragment: str
    reason: str = ""


class PageLinks(NamedTuple):
    """What the link check needs from a page, without the page: its ids and its references.

    Tuples, not objects: the parent keeps one per page, 100 000 of them for a large catalog.
    """

    ids: frozenset[str]
    links: tuple[Link, ...]


def page_links(
    page: str, html: bytes, scanned: tuple[frozenset[str], tuple[str, ...]] | None = None
) -> PageLinks:
    """Scan one page and resolve its references; same-page anchors are checked here."""
    ids, refs = scanned if scanned is not None else scan(html)
    links: list[Link] = []
    seen: set[str] = set()
    for ref in refs:
        if ref in seen:
            continue
        seen.add(ref)
        found = resolve(page, ref)
        if found is None:
            continue
        target, fragment = found
        if target == page:
            if fragment and fragment not in ids:
                links.append(Link(ref, target, fragment, f"no id '{fragment}' in {target}"))
            continue
        links.append(Link(ref, target, fragment))
    return PageLinks(frozenset(ids), tuple(links))


def check_links(plan: Mapping[str, bytes]) -> list[Problem]:
    """Warnings for every broken internal link or anchor of a planned site, given its bytes."""
    pages = {path: page_links(path, data) for path, data in plan.items() if path.endswith(".html")}
    return check_scanned(pages, set(plan))


def check_scanned(pages: Mapping[str, PageLinks], planned: set[str]) -> list[Problem]:
    """The check over pre-scanned pages (what a build keeps): one warning per broken reference."""
    problems: list[Problem] = []
    for page in sorted(pages):
        for link in pages[page].links:
            reason = link.reason or _broken(link, pages, planned)
            if reason:
                message = f"broken link: {page} \u2192 {link.ref} ({reason})"
                problems.append(Problem(Location(page), message, Severity.WARNING))
    return problems


def _broken(link: Link, pages: Mapping[str, PageLinks], planned: set[str]) -> str:
    """Why ``link`` is broken, or "" when it resolves."""
    target = link.target
    if target not in planned:
        if f"{target}/index.html" in planned:
            target = f"{target}/index.html"
        else:
            return f"no file {target} in the site"
    if link.fragment and target in pages and link.fragment not in pages[target].ids:
        return f"no id '{link.fragment}' in {target}"
    return ""
