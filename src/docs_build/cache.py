"""Caches keyed by content hashes: page fragments within a build, pages across builds.

Two caches, one rule: a key is a hash of *everything* the cached value was computed from, so a
hit can only return what a fresh computation would. Nothing is keyed by a time stamp or a
file name alone (the ``--dirty``-style staleness the design notes warn about).

**Fragments.** Model pages are mostly the same Markdown with a different model name, so
:func:`convert_page` splits a page at its top-level ``#`` headings and converts each piece once
per distinct text, after swapping the model name for a placeholder; see the function for why
the result is byte-identical to converting the whole page.

**Pages.** :class:`BuildCache` remembers, per descriptor, the hash of its bytes and the files
its page produced, under a key made of the descriptor hash and the *inputs hash*: every
template and asset file, the config, the docs-build version and the build date. A rebuild reuses
a page only when both match. The cache lives outside the output (``.docs-build-cache/`` in the
project); a damaged entry is treated as a miss, never trusted.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import marshal
import os
import pickle
import re
import stat
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import source_date_epoch
from .convert import Converted, Heading, convert, markdown, plain_list
from .errors import Location, Problem, Severity
from .links import Link, PageLinks
from .model import Flags, Model, Property
from .templates import template_files

if TYPE_CHECKING:
    from .config import Config

CACHE_DIR = ".docs-build-cache"
#: Bumped whenever the cache's layout or the meaning of an entry changes.
FORMAT = "5"

# --------------------------------------------------------------------------------------------
# Fragments


#: Model names made only of these characters are plain text to markdown-it (no inline rule
#: starts on them) and stay inside one token in the code lexers we highlight with.
_SAFE_NAME = re.compile(r"[A-Za-z0-9@/.:-]+")
#: Stands in for the model name while a fragment is converted; it uses every character the
#: names may use, so a lexer rule that accepts it accepts any such name in the same place.
PLACEHOLDER = "@zq9Docs-build.Name/Ph:7"
#: One placeholder per value swapped out of a page (:func:`convert_page`): the model name, its
#: slug, its title. Built like PLACEHOLDER, all of one length with their one ``@`` first, so
#: no placeholder overlaps itself or another: where one occurs in a text, it is whole, and a
#: put-back replaces exactly the placeholders the swap made.
PLACEHOLDERS = (PLACEHOLDER, "@zq9Docs-build.Val1/Ph:7", "@zq9Docs-build.Val2/Ph:7")
#: The start all placeholders share: a text without it holds none of them (one search, not three).
PLACEHOLDER_CORE = "@zq9Docs-build."
_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)")
_CONTAINER = re.compile(r"( {0,3})(:{3,})(.*)")
#: Lines :func:`split_points` looks at (a heading, a fence, a container), found by the newline
#: before them: a pattern that starts with a literal is searched for with a fast scan, while
#: ``^`` with MULTILINE is tried at every offset (7 times slower on a 2 MB catalog index).
_INTERESTING = re.compile(r"\n(?=#|[ ]{0,3}(?:```|~~~|:::))")
_INTERESTING_FIRST = re.compile(r"#|[ ]{0,3}(?:```|~~~|:::)")
_PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL)


Scan = tuple[frozenset[str], tuple[str, ...]]


@dataclass
class _Fragment:
    """A converted piece and whether the placeholders in it may be swapped for their values."""

    converted: Converted
    substitutable: bool
    scanned: Scan | None = None

    def scan(self) -> Scan:
        """The piece's ids and references (``links.scan``), computed once."""
        if self.scanned is None:
            self.scanned = _scanned(self.converted.html)
        return self.scanned


#: Longer texts are neither memoised nor remembered as the last page split.
_MEMO_MAX_TEXT = 256 * 1024


class _Memo:
    """A small LRU of converted fragments (one per process; pages repeat fragments in order)."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self.items: OrderedDict[bytes, _Fragment] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, text: str) -> _Fragment:
        if len(text) > _MEMO_MAX_TEXT:  # the index of a large catalog: tens of MiB, never repeated,
            self.misses += 1  # so neither hashed (another copy as bytes) nor kept
            converted, scanned = convert_long(text)
            return _Fragment(converted, _substitutable(text, converted), scanned)
        key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        found = self.items.get(key)
        if found is not None:
            self.items.move_to_end(key)
            self.hits += 1
            return found
        self.misses += 1
        converted, scanned = convert_long(text)
        fragment = _Fragment(converted, _substitutable(text, converted), scanned)
        self.items[key] = fragment
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return fragment


_MEMO = _Memo()


#: Items per piece when a long bullet list (the catalog index) is converted in pieces: small
#: enough that the pieces spread over the workers, large enough to amortise each conversion.
LIST_CHUNK = 200
#: Items per piece when the pieces stay in memory (:class:`PieceMemo`): nothing is spread over
#: workers there, and after one edit the one piece that changed is converted again.
MEMO_CHUNK = 25

_Span = tuple[int, int]
_Part = tuple[Converted, Scan]
_Mapper = Callable[[Callable[[_Span], _Part], list[_Span]], list[_Part]]


def _serial(fn: Callable[[_Span], _Part], spans: list[_Span]) -> list[_Part]:
    return [fn(span) for span in spans]


#: How the pieces of a long list are converted; :func:`pieces_with` swaps in a process pool.
_MAP: _Mapper = _serial


@contextlib.contextmanager
def pieces_with(mapper: _Mapper) -> Iterator[None]:
    """Convert the pieces of long lists with ``mapper`` (e.g. ``parallel.map_ordered``) inside."""
    global _MAP
    previous, _MAP = _MAP, mapper
    try:
        yield
    finally:
        _MAP = previous


_NEXT_ITEM = re.compile(r"\n- ")
_LIST_END = re.compile(r"\n(?!- |  [^\n]*\S)")
_EMPTY: tuple[Converted, Scan] = (Converted(""), (frozenset(), ()))


def _pack_part(part: _Part) -> tuple[Any, ...]:
    c, (ids, refs) = part
    return (c.html, tuple((h.level, h.text, h.anchor) for h in c.headings), c.references, tuple(ids), refs)


def _unpack_part(packed: tuple[Any, ...]) -> _Part:
    html, headings, references, ids, refs = packed
    if not (isinstance(html, str) and all(isinstance(x, str) for x in (*ids, *refs))):
        raise TypeError("not a converted piece")
    return Converted(html, [Heading(*h) for h in headings], references), (frozenset(ids), tuple(refs))


def _scanned(html: str) -> Scan:
    """``links.scan`` of converted HTML, as the immutable pair the caches keep."""
    from .links import scan

    ids, refs = scan(html.encode("utf-8"))
    return frozenset(ids), tuple(refs)


@dataclass
class PieceStore:
    """Converted pieces of long lists (the catalog index) kept between builds.

    Keyed by a hash of the piece's Markdown and stored under the inputs hash, like the page
    cache: a rebuild after one edit converts the one piece of the index that changed instead of
    all of them. Only the pieces the last build used are kept. They are written out as they are
    used (:meth:`keep`) rather than held until the end of the build: at 100 000 models they are
    another copy of the index.
    """

    path: Path
    old: dict[bytes, _Part] = field(default_factory=dict)
    _next: Path | None = None  # this build's pieces so far, renamed into place by save()

    @classmethod
    def open(cls, root: Path, inputs: str) -> PieceStore:
        store = cls(root / f"pieces-{inputs}.marshal")
        with contextlib.suppress(Exception), store.path.open("rb") as fh:
            if marshal.load(fh) != FORMAT:
                return store
            while True:
                try:
                    stored = marshal.load(fh)
                except EOFError:
                    break
                for key, packed in stored.items():
                    with contextlib.suppress(Exception):  # a malformed piece is converted again
                        if isinstance(key, bytes):
                            store.old[key] = _unpack_part(packed)
        return store

    def take(self, key: bytes) -> _Part | None:
        """The stored piece for ``key``, handed over (the store keeps no copy)."""
        return self.old.pop(key, None)

    def keep(self, pieces: Iterable[tuple[bytes, _Part]]) -> None:
        """Add pieces this build used to the store's next version, on disk."""
        if self._next is None:
            self.discard()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._next = self.path.with_name(f".pieces-{os.getpid()}.tmp")
            self._next.write_bytes(marshal.dumps(FORMAT))
        with self._next.open("ab") as fh:
            for key, piece in pieces:
                marshal.dump({key: _pack_part(piece)}, fh)

    def save(self) -> None:
        """Make this build's pieces the store (atomically); pieces of other inputs are dropped."""
        if self._next is None:
            self.keep([])
        assert self._next is not None
        os.replace(self._next, self.path)
        self._next = None
        for old in self.path.parent.glob("pieces-*"):
            if old != self.path:
                old.unlink(missing_ok=True)

    def discard(self) -> None:
        """Forget this build's pieces (a failed build), and those of builds that died."""
        from .write import pid_alive

        self._next = None
        for tmp in self.path.parent.glob(".pieces-*.tmp"):
            pid = tmp.name.removeprefix(".pieces-").removesuffix(".tmp")
            if pid.isdigit() and (int(pid) == os.getpid() or not pid_alive(int(pid))):
                tmp.unlink(missing_ok=True)


class PieceMemo:
    """Converted pieces of long lists kept in memory by a process that stays up (``serve``).

    It holds the pieces the last conversion used, so after one edit the catalog index converts
    the one piece that changed. Unlike :class:`PieceStore` nothing is handed over or written:
    the pieces stay here for the next rebuild.
    """

    def __init__(self) -> None:
        self.pieces: dict[bytes, _Part] = {}
        self._used: dict[bytes, _Part] = {}

    def take(self, key: bytes) -> _Part | None:
        """The piece for ``key`` from the last rebuild (it stays here for the next one too)."""
        return self.pieces.get(key)

    def keep(self, pieces: Iterable[tuple[bytes, _Part]]) -> None:
        """Pieces this rebuild used; :meth:`trim` makes them the memo."""
        self._used.update(pieces)

    def trim(self) -> None:
        """End of a rebuild: keep only the pieces it used, so edits never pile up old ones."""
        self.pieces, self._used = self._used, {}


#: The piece store of the running build, if any (:func:`pieces_stored`).
_STORE: PieceStore | PieceMemo | None = None


@contextlib.contextmanager
def pieces_stored(store: PieceStore | PieceMemo | None) -> Iterator[None]:
    """Take long-list pieces from (and record them in) ``store`` inside the block."""
    global _STORE
    previous, _STORE = _STORE, store
    try:
        yield
    finally:
        _STORE = previous


def convert_long(text: str) -> tuple[Converted, Scan | None]:
    """``convert(text)``, converting a long top-level ``-`` list a few hundred items at a time.

    The catalog index of a large catalog is one list of every model; parsed at once, its
    tokens alone take hundreds of MiB. Cut before an item, each part converts to the same
    items: an item's content is its own lines, and when the list has no blank line and every
    line of it starts with ``- `` or two spaces, it is one tight list in the whole text and in
    every part. The parts' HTML then differs from the whole only by ``</ul>\n<ul>\n`` at the
    cuts, which are removed. Anything unexpected (link references, an anchor repeated across
    parts, a part not starting or ending with its list) converts the text whole.

    Converted in parts, the result comes with its ``links.scan`` (None otherwise): each part is
    scanned where it is converted, and as every part is whole elements and the cuts hold no
    attributes, the parts' scans in order are the whole body's. The parts are cut from
    ``text`` by the workers themselves (they see it through the fork), so the parent never
    holds a second copy of the Markdown.
    """
    store = _STORE
    cuts = _list_cuts(text, MEMO_CHUNK if isinstance(store, PieceMemo) else LIST_CHUNK)
    if not cuts:
        return convert(text), None
    spans = list(itertools.pairwise([0, *cuts, len(text)]))

    def part(span: _Span) -> _Part:
        converted = convert(text[span[0] : span[1]])
        return converted, _scanned(converted.html)

    def parts_of(todo: list[_Span]) -> list[_Part]:
        """The parts for ``todo``: plain entry lists (:func:`.convert.plain_list`) here and now,
        in less time than handing them to workers takes; the others by ``_MAP``."""
        done: list[_Part | None] = []
        for a, b in todo:
            listed = plain_list(text[a:b])
            done.append(None if listed is None else (Converted(listed[0]), (frozenset(), tuple(listed[1]))))
        rest = [i for i, found in enumerate(done) if found is None]
        for i, found in zip(rest, _MAP(part, [todo[i] for i in rest]), strict=True):
            done[i] = found
        return [found for found in done if found is not None]

    if store is None:
        parts = parts_of(spans)
    else:  # pieces converted by an earlier build under the same inputs are taken from disk
        keys = [hashlib.blake2b(text[a:b].encode("utf-8"), digest_size=16).digest() for a, b in spans]
        found = [store.take(key) for key in keys]
        missing = [i for i, piece in enumerate(found) if piece is None]
        fresh = dict(zip(missing, parts_of([spans[i] for i in missing]), strict=True))
        parts = [piece if piece is not None else fresh[i] for i, piece in enumerate(found)]
        del found, fresh
        store.keep(zip(keys, parts, strict=True))
    first, *middle, last = (c.html for c, _ in parts)
    anchors = [h.anchor for c, _ in parts for h in c.headings]
    if (
        any(c.references for c, _ in parts)
        or len(set(anchors)) != len(anchors)
        or not first.endswith("</ul>\n")
        or not last.startswith("<ul>\n")
        or not all(m.startswith("<ul>\n") and m.endswith("</ul>\n") for m in middle)
    ):
        return convert(text), None
    headings = [h for c, _ in parts for h in c.headings]
    ids = frozenset().union(*(ids for _, (ids, _refs) in parts))
    refs = tuple(ref for _, (_ids, part_refs) in parts for ref in part_refs)
    del first, middle, last
    html: list[str] = []
    for i, (c, _) in enumerate(parts):  # each part dropped once its trimmed copy exists
        start = 0 if i == 0 else len("<ul>\n")
        end = len(c.html) - (len("</ul>\n") if i < len(parts) - 1 else 0)
        html.append(c.html[start:end])
        parts[i] = _EMPTY
    return Converted("".join(html), headings), (ids, refs)


def _list_cuts(text: str, chunk: int | None = None) -> list[int]:
    """Offsets of every ``chunk``-th item of the first long top-level ``-`` list, or [].

    ``chunk`` defaults to LIST_CHUNK (read at call time, so tests can change it). Whether a
    list is long enough to cut does not depend on ``chunk``: the same lists are cut whether the
    pieces go to the workers or stay in memory.
    """
    if text.count("\n- ") < 2 * LIST_CHUNK:
        return []
    first = 0 if text.startswith("- ") else text.find("\n- ") + 1
    # The list runs up to the first line that is neither an item nor an indented, non-blank
    # continuation line (or to the end of the text).
    end = _LIST_END.search(text, first)
    pos = len(text) if end is None else end.start() + 1
    items = [first, *(match.start() + 1 for match in _NEXT_ITEM.finditer(text, first, pos))]
    step = chunk or LIST_CHUNK
    cuts = items[step::step]
    # The list must really end here: a lazy line could be followed by more items, and after a
    # blank line another item or an indented line continues the list and makes it loose.
    rest = text[pos:]
    if rest.strip() and (rest[: rest.find("\n") + 1 or len(rest)].strip() or rest.lstrip("\n")[:1] in " \t-"):
        return []
    return cuts


def _substitutable(text: str, converted: Converted) -> bool:
    """Whether swapping the placeholders in ``converted`` gives what converting their values would.

    Each placeholder in the Markdown must come out once, unchanged, in the HTML (so it was
    text, code or a URL path, not split or rewritten), and none may come out that the Markdown
    lacks (an entity or a backslash escape can make one): a put-back would change it too. A
    placeholder is never inside a heading, whose anchor is derived from its text. Inside
    highlighted code it is never in a tag (a fence's language) nor at the start of a token:
    the lexer chose the rule for the token before the placeholder, and that rule went on over
    all of the placeholder's characters, so it goes on over a value made of the same
    characters and stops where it stopped (a token may end with the placeholder:
    ``.../run/NAME \\``).
    """
    html = converted.html
    if PLACEHOLDER_CORE not in text and PLACEHOLDER_CORE not in html:
        return True
    for placeholder in PLACEHOLDERS:
        count = text.count(placeholder)
        if html.count(placeholder) != count:
            return False
        if count and (
            any(placeholder in h.text for h in converted.headings) or _misplaced_in_code(html, placeholder)
        ):
            return False
    return True


def _misplaced_in_code(html: str, placeholder: str) -> bool:
    """Whether ``placeholder`` follows or precedes a tag inside a ``<pre>`` block of ``html``,
    or lies inside one: the ``<code class="language-...">`` that a fence's info string makes
    names the lexer, and a value naming one (``json``) is highlighted where it is not."""
    for pre in _PRE.finditer(html):
        block = pre.group()
        start = block.find(placeholder)
        while start != -1:
            end = start + len(placeholder)
            if block[start - 1] in "<>" or block[end : end + 1] == ">":
                return True
            if block.rfind("<", 0, start) > block.rfind(">", 0, start):
                return True
            start = block.find(placeholder, end)
    return False


def split_points(text: str, first: bool = False) -> list[int] | None:
    """Offsets of top-level ATX headings where the page can be cut, or None to keep it whole.

    A ``#`` heading at column 0 ends every open paragraph, list, block quote and table, so what
    follows it parses the same alone. It does not end a fenced code block or a ``:::``
    container, so the scan tracks those with markdown-it's own rules (a fence closes on a line
    of at least as many of its characters; a container on the first line of at least as many
    colons, fenced or not). An opener indented by 1-3 spaces may belong to a list item and be
    closed by the item's end, which this scan does not follow: such pages stay whole. With
    ``first`` the scan stops at the first cut (the rest then splits on its own: no fence or
    container is open at a cut).
    """
    points: list[int] = []
    fence: tuple[str, int] | None = None
    container = 0
    names = _container_names()
    for start in _interesting_lines(text):
        end = text.find("\n", start)
        line = text[start : end if end != -1 else len(text)]
        if fence is not None:
            found = _FENCE.fullmatch(line)
            if found and found[2][0] == fence[0] and len(found[2]) >= fence[1] and not found[3].strip():
                fence = None
            continue
        if container:
            found = _CONTAINER.fullmatch(line)
            if found and len(found[2]) >= container and not found[3].strip():
                container = 0
            continue
        if _HEADING.match(line):
            if start:
                points.append(start)
                if first:
                    return points
            continue
        found = _FENCE.fullmatch(line)
        if found and not (found[2][0] == "`" and "`" in found[3]):
            if found[1]:
                return None
            fence = (found[2][0], len(found[2]))
            continue
        found = _CONTAINER.fullmatch(line)
        if found and found[3].strip().split(" ", 2)[0] in names:
            if found[1]:
                return None
            container = len(found[2])
    return points


def _interesting_lines(text: str) -> Iterator[int]:
    """Offsets of the lines of ``text`` that start with ``#``, a fence or a container fence."""
    if _INTERESTING_FIRST.match(text):
        yield 0
    for match in _INTERESTING.finditer(text):
        yield match.end()


@functools.cache
def _container_names() -> frozenset[str]:
    rules = markdown().block.ruler.get_all_rules()
    return frozenset(name.removeprefix("container_") for name in rules if name.startswith("container_"))


#: What :func:`convert_page` swaps out of a page: the model name alone, or values in order (the
#: model's name, slug and title).
Values = str | Sequence[str]
#: (value, placeholder) pairs in the order they were swapped into a text.
_Swaps = tuple[tuple[str, str], ...]


def convert_page(text: str, name: Values = "") -> Converted:
    """``convert(text)``, reusing fragments already converted in this process.

    Pieces between top-level headings are converted separately and joined. That equals
    converting the whole text when no piece defines link references (they reach across the
    page) and heading anchors are distinct across pieces (the anchor plugin numbers repeats
    page-wide); otherwise the page is converted whole. ``name`` is the model name, or the
    model's values (name, slug, title): each one that is plain text is replaced by its own
    placeholder (:data:`PLACEHOLDERS`) first, in that order, so the same section of two models
    is one fragment, and so is the title line and the link holding the slug; see
    :func:`_substitutable` for when they are put back by string replacement.
    """
    return _converted(text, _values(name))[0]


def convert_scanned(text: str, name: Values = "") -> tuple[Converted, Scan]:
    """:func:`convert_page` and ``links.scan`` of the result, from the pieces' scans if it can.

    For a body too large to hold twice (the index of a large catalog): it is scanned as it is
    converted, and the page around it is then written and scanned in parts
    (``pipeline.Streamed``).
    """
    converted, found = _converted(text, _values(name))
    body = None if found is None else _body_scan(found)
    return converted, body if body is not None else _scanned(converted.html)


def _values(name: Values) -> tuple[str, ...]:
    """``name`` as a tuple of values (a plain string is one value, not its characters)."""
    return (name,) if isinstance(name, str) else tuple(name)


def _converted(text: str, values: tuple[str, ...]) -> tuple[Converted, _Found | None]:
    """The converted page and its pieces (None when it was converted whole)."""
    found = _pieces(text, values)
    if found is None:
        return convert(text), None
    html: list[str] = []
    headings: list[Heading] = []
    for converted, _, _ in found:
        if converted.references:
            return convert(text), None
        html.append(converted.html)
        headings += converted.headings
    anchors = [h.anchor for h in headings]
    if len(set(anchors)) != len(anchors):
        return convert(text), None
    return Converted("".join(html), headings), found


def _body_scan(found: _Found) -> Scan | None:
    """The scan of the joined pieces, from each piece's own (None if a piece has references).

    A piece converted with placeholders was scanned with them; its values go back into the
    ids and references just as into its HTML.
    """
    if any(c.references for c, _, _ in found):
        return None
    ids: set[str] = set()
    refs: list[str] = []
    for _converted, fragment, swaps in found:
        piece_ids, piece_refs = fragment.scan()
        if swaps:
            ids.update(_put_back(i, swaps) for i in piece_ids)
            refs += [_put_back(r, swaps) for r in piece_refs]
        else:
            ids |= piece_ids
            refs += piece_refs
    return frozenset(ids), tuple(refs)


_Found = list[tuple[Converted, "_Fragment", _Swaps]]
#: The last page split (its text, values and pieces), so scanning the page just converted
#: does not split it again.
_LAST: tuple[str, tuple[str, ...], _Found | None] = ("", (), [])


def _pieces(text: str, values: tuple[str, ...]) -> _Found | None:
    """The converted pieces of ``text`` (see :func:`convert_page`), None to convert it whole.

    Everything after the first cut (the page below its header) is looked up whole first, as
    one text with the values swapped out (:func:`_tail`): model pages of one kind differ only
    in their header, so most pages need one lookup instead of a split and a lookup per section.
    """
    global _LAST
    if _LAST[0] == text and _LAST[1] == values:
        return _LAST[2]
    pairs = _pairs(values) if PLACEHOLDER_CORE not in text else ()
    found: _Found | None = None
    head = split_points(text, first=True)
    if head is not None:
        cut = head[0] if head else len(text)
        if len(text) - cut > _MEMO_MAX_TEXT:  # the index of a large catalog: never kept
            spans = _cut(text)
            found = None if spans is None else [_fragment(text[a:b], pairs) for a, b in spans]
        else:
            found = [_fragment(block, pairs) for block in _blocks(text[:cut])]
            if cut < len(text):
                tail = _tail(text[cut:], pairs)
                found = None if tail is None else found + tail
    if len(text) <= _MEMO_MAX_TEXT:
        _LAST = (text, values, found)
    return found


@functools.lru_cache(maxsize=64)
def _pairs(values: tuple[str, ...]) -> _Swaps:
    """The values that may be swapped, each with its placeholder (by position: the name's is
    :data:`PLACEHOLDER` whatever else is given).

    A value is left out when it is not plain text (:func:`_swappable`), starts like a URL
    (``javascript:x`` is no link target, the placeholder is), repeats an earlier one
    (a title equal to the slug), or shares characters with a placeholder's edge or lies inside
    one (:func:`_touches_a_placeholder`): swapped after the name, a slug ``build`` would eat
    into the name's placeholder, and a value ending as a placeholder begins could, put back,
    complete one that the next put-back would replace. Values past the placeholders are never
    swapped. The caller also swaps nothing in a text holding any placeholder already.
    """
    pairs: list[tuple[str, str]] = []
    for value, placeholder in zip(values, PLACEHOLDERS, strict=False):
        if (
            _swappable(value)
            and not _SCHEME.match(value)
            and not _touches_a_placeholder(value)
            and all(value != v for v, _ in pairs)
        ):
            pairs.append((value, placeholder))
    return tuple(pairs)


#: A value starting like this is read as a URL scheme where the placeholder is a path.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _touches_a_placeholder(value: str) -> bool:
    """Whether ``value`` holds or lies inside a placeholder, or an end of it overlaps one's.

    An overlap starts where ``value`` has a placeholder's first character, or ends where a
    placeholder has ``value``'s first; only those offsets are tried (each of 24 was a tenth of
    the page's time).
    """
    for placeholder in PLACEHOLDERS:
        if placeholder in value or value in placeholder:
            return True
        at = value.find(placeholder[0], 1)
        while at != -1:  # value ends as the placeholder begins
            if placeholder.startswith(value[at:]):
                return True
            at = value.find(placeholder[0], at + 1)
        at = placeholder.find(value[0], 1)
        while at != -1:  # value begins as the placeholder ends
            if value.startswith(placeholder[at:]):
                return True
            at = placeholder.find(value[0], at + 1)
    return False


def _swap(text: str, pairs: _Swaps) -> tuple[str, _Swaps]:
    """``text`` with each value of ``pairs``, in order, replaced by its placeholder where that
    is exact (:func:`_whole_words` in the text as swapped so far), and the pairs swapped.

    The name goes first: it usually holds the slug (``@cf/qwen/coder-2b`` holds ``coder-2b``),
    whose own swap then only finds it outside the name.
    """
    swapped: list[tuple[str, str]] = []
    for value, placeholder in pairs:
        if value in text and _whole_words(text, value):
            text = text.replace(value, placeholder)
            swapped.append((value, placeholder))
    return text, tuple(swapped)


def _apply(text: str, swaps: _Swaps) -> str:
    """``text`` with ``swaps`` made, in order (they are known to be exact for it)."""
    for value, placeholder in swaps:
        text = text.replace(value, placeholder)
    return text


def _put_back(text: str, swaps: _Swaps) -> str:
    """The inverse of :func:`_apply`: each placeholder replaced by its value, last swap first."""
    for value, placeholder in reversed(swaps):
        text = text.replace(placeholder, value)
    return text


#: The part of a page after its first cut, by its text with the values swapped for their
#: placeholders: one fragment for the whole part, or None when it does not share (a section
#: needed a real value, or defines link references), so it is converted piece by piece.
_TAILS: OrderedDict[str, _Fragment | None] = OrderedDict()
_TAILS_SIZE = 128


def _tail(rest: str, pairs: _Swaps) -> _Found | None:
    """The converted pieces of ``rest`` (a page from its first cut on), None to convert it whole.

    The pieces' HTML, joined, is kept as one fragment keyed by the text itself (values swapped):
    joining is what :func:`_converted` does with the pieces anyway, and the put-back is the
    same string replacement each piece would have had, since every piece of a shared part was
    converted from exactly the tail's swaps made in it (:func:`_shareable`).
    """
    key, swaps = _swap(rest, pairs)
    known = key in _TAILS
    if known:
        _TAILS.move_to_end(key)
        shared = _TAILS[key]
        if shared is not None:
            c = shared.converted
            html = _put_back(c.html, swaps) if swaps else c.html
            return [(Converted(html, c.headings, c.references), shared, swaps)]
    spans = _cut(rest)
    if spans is None:
        return None
    texts = [rest[a:b] for a, b in spans]
    found = [_fragment(piece, pairs) for piece in texts]
    if not known:
        shared = None
        if _shareable(texts, found, swaps):
            # Swapped, the shared HTML keeps the placeholders (each fragment's own); otherwise it
            # is the pieces' HTML as converted here, values and all.
            html = "".join(f.converted.html if swaps else c.html for c, f, _ in found)
            shared = _Fragment(Converted(html, [h for c, _, _ in found for h in c.headings]), True)
        _TAILS[key] = shared
        if len(_TAILS) > _TAILS_SIZE:
            _TAILS.popitem(last=False)
    return found


def _shareable(texts: list[str], found: _Found, swaps: _Swaps) -> bool:
    """Whether the pieces of a tail, converted as ``found``, can be kept as one fragment under
    the tail's text with ``swaps`` made.

    Never when a piece defines link references. Under the text itself (no swaps), any
    conversion of the pieces is their own. Under a swapped key, the next page with that key
    gets the joined placeholder HTML with *its* values put back, so each piece must have been
    converted from the tail's swaps made in it, no more and no fewer (a piece that could not
    take a swap, or took only part of them, was converted from another text), and its HTML
    must hold no placeholder its text lacked (:func:`_substitutable`, also for a piece that
    held no value).
    """
    if any(c.references for c, _, _ in found):
        return False
    if not swaps:
        return True
    return all(
        fragment.substitutable and _apply(piece, own) == _apply(piece, swaps)
        for piece, (_, fragment, own) in zip(texts, found, strict=True)
    )


#: A line that can only begin a paragraph or an ATX heading, whatever came before it: one
#: that cannot open a list, quote, rule, table, fence, container or setext underline.
_PLAIN_LINE = re.compile(r"(?:[^\W\d_]|[#\[!@(\"']|`(?!``)|\*\*(?=[^\s*])|__(?=[^\s_]))")


def _blocks(piece: str) -> list[str]:
    """``piece`` cut after each blank line when it is only paragraphs, headings and tables,
    else whole.

    A page's header is unique to its model, so it always misses the fragment memo; cut into
    blocks, its fixed lines (badges, the ID line with the name swapped out, a table of
    properties many models share) hit, and only the model's own sentences are converted.
    Paragraphs, ATX headings and tables end at a blank line, and nothing after one can reach
    back into them when every line starts a paragraph, a heading (:data:`_PLAIN_LINE`) or a
    table row (``|``: no list, quote, fence or underline), so the blocks convert to the whole
    piece's HTML, joined.
    """
    lines = piece.split("\n")
    if len(lines) < 4 or not all(not line or line[0] == "|" or _PLAIN_LINE.match(line) for line in lines):
        return [piece]
    blocks: list[str] = []
    start = 0
    pos = 0
    for i, line in enumerate(lines[:-1]):
        pos += len(line) + 1
        if not line and lines[i - 1] and lines[i + 1]:
            blocks.append(piece[start:pos])
            start = pos
    blocks.append(piece[start:])
    return [b for b in blocks if b]


def _cut(text: str) -> list[_Span] | None:
    """Spans of ``text`` between its top-level headings (:func:`split_points`), None to keep it
    whole; spans, so that a long text's pieces can be sliced one at a time."""
    points = split_points(text)
    if points is None:
        return None
    return [(a, b) for a, b in itertools.pairwise([0, *points, len(text)]) if b > a]


def _swappable(name: str) -> bool:
    """Whether ``name`` may stand in for the placeholder (or the other way round) in Markdown.

    Inline, :data:`_SAFE_NAME` is plain text. At the start of a line it must not begin a
    block either: a digit may open an ordered list, ``-`` a list or a rule, ``:`` a container,
    and a bare word may name one (``::: details``).
    """
    return (
        bool(name)
        and _SAFE_NAME.fullmatch(name) is not None
        and (name[0].isalpha() or name[0] == "@")
        and name not in _container_names()
    )


def _fragment(piece: str, pairs: _Swaps) -> tuple[Converted, _Fragment, _Swaps]:
    """(converted piece, its memo entry, the swaps to put back in it, or none).

    When the piece converted with all its swaps cannot take the values back (one landed in a
    heading, say), fewer are tried, dropping the last swapped first: the name, swapped first,
    is the one most pages share.
    """
    key, swaps = _swap(piece, pairs)
    while swaps:
        fragment = _MEMO.get(key)
        if fragment.substitutable:
            c = fragment.converted
            return Converted(_put_back(c.html, swaps), c.headings, c.references), fragment, swaps
        swaps = swaps[:-1]
        key = _apply(piece, swaps)
    fragment = _MEMO.get(piece)
    return fragment.converted, fragment, ()


def _whole_words(text: str, name: str) -> bool:
    """Whether every occurrence of ``name`` stands apart from letters and digits around it, and
    from Markdown that reads a value and the placeholder differently.

    A name inside a longer word (``a`` in ``await``) would move a token boundary when swapped.
    After a backslash the placeholder's ``@`` is escaped and a letter is not; after ``&`` a
    word can be an entity (``&amp;``); next to ``*`` or ``_`` whether a run of them opens or
    closes emphasis depends on the kind of character beside it (``**Slug:**bge`` is not bold,
    ``**Slug:**@...`` is); and inside ``{...}`` (attributes, ``{.badge}``) or ``<...>`` (an
    autolink) the parser accepts some values and not the placeholder, whose text then comes out
    whole and looks substitutable. Such a text keeps its value.
    """
    start = text.find(name)
    while start != -1:
        end = start + len(name)
        if (start and (text[start - 1].isalnum() or text[start - 1] in "_*\\&")) or (
            end < len(text) and (text[end].isalnum() or text[end] in "_*")
        ):
            return False
        if _inside(text, start, "{}") or _inside(text, start, "<>"):
            return False
        start = text.find(name, end)
    return True


def _inside(text: str, at: int, pair: str) -> bool:
    """Whether ``at`` follows an opening ``pair[0]`` on its line that is not closed before it."""
    line = text.rfind("\n", 0, at) + 1
    return text.rfind(pair[0], line, at) > text.rfind(pair[1], line, at)


def scan_page(html: str, text: str, name: Values = "") -> Scan:
    """``links.scan`` of a page whose body is ``convert_page(text, name)``, by pieces.

    The body's pieces were scanned when first converted; only the layout around the body is
    scanned here (see :func:`scan_around`). Whenever that cannot be seen to hold, the page is
    scanned whole.
    """
    found = _pieces(text, _values(name))
    body = None if found is None else _body_scan(found)
    if found is not None and body is not None:
        joined = "".join(c.html for c, _, _ in found)
        start = html.find(joined)
        if start != -1 and PLACEHOLDER_CORE not in html:
            scanned = scan_around(html[:start], body, joined, html[start + len(joined) :])
            if scanned is not None:
                return scanned
    return _scanned(html)


def scan_around(head: str, body: Scan, body_html: str, tail: str) -> Scan | None:
    """The scan of ``head + body_html + tail`` given the body's, or None if it cannot be pieced.

    Scanning is tokenising, so the parts' results in order are the whole page's when both cuts
    fall between two tags (the body starts with one, the head ends with a ``>`` or a line
    break, the tail starts with a tag or a line break), neither the head nor the tail leaves
    a region open that the scanner skips whole (a comment, ``<pre>``, script or style), and
    the head leaves no start tag open (``links.scan_part``). The body is converted Markdown,
    whose tags markdown-it always closes.
    """
    from .links import scan_part

    if body_html and not body_html.startswith("<"):
        return None
    if head and head[-1] not in ">\n":
        return None
    if tail and tail[0] not in "<\n":
        return None
    head_scan, tail_scan = scan_part(head), scan_part(tail)
    if head_scan is None or tail_scan is None:
        return None
    ids = head_scan[0] | body[0] | tail_scan[0]
    return frozenset(ids), (*head_scan[1], *body[1], *tail_scan[1])


def fragment_stats() -> tuple[int, int]:
    """(hits, misses) of this process's fragment memo, for the build summary and tests."""
    return _MEMO.hits, _MEMO.misses


# --------------------------------------------------------------------------------------------
# Pages across builds


def digest(data: bytes) -> str:
    """The content hash used for every key."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def tree_digest(files: Iterable[Path], root: Path) -> str:
    """One hash over the names and bytes of ``files`` (missing files hash as absent)."""
    h = hashlib.blake2b(digest_size=20)
    for path in sorted(files):
        h.update(os.fsencode(path.relative_to(root) if path.is_relative_to(root) else path) + b"\0")
        try:
            h.update(digest(path.read_bytes()).encode())
        except OSError:
            h.update(b"<missing>")
        h.update(b"\n")
    return h.hexdigest()


def inputs_digest(config: Config, version: str) -> str:
    """Everything a model page depends on besides its descriptor, as one hash.

    The project's templates (and their assets), the built-in templates, docs-build's own code
    (so an edited checkout with an unchanged version number cannot reuse pages), the version,
    the whole effective configuration (config file plus command-line overrides) and the build
    date, which pages print and compare deprecation dates with.
    """
    package = Path(__file__).parent
    files = [p for p in package.rglob("*") if p.is_file() and p.suffix != ".pyc"]
    files += [p for p in template_files(config.templates) if p.is_file()]
    # SOURCE_DATE_EPOCH sets the written files' times, so reused files must have been written
    # under the same value.
    epoch = str(source_date_epoch())
    h = hashlib.blake2b(digest_size=20)
    parts = (FORMAT, version, repr(config), config.build_date.isoformat(), epoch, tree_digest(files, package))
    for part in parts:
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


Stat = tuple[int, int, int]
#: A file's (i-node, size, mtime) folded into one int (:func:`stat_key`).
StatKey = int


def stat_key(st: os.stat_result) -> StatKey:
    """One int for (i-node, size, mtime): what the records compare, at a fifth of the memory.

    The output of 100 000 models has 300 000 entries; as tuples of three ints their stats
    alone were 100 MiB. Integer hashing is not randomised, so the key is stable between runs;
    two different stats agreeing by chance is a 1 in 2**64 event.
    """
    return hash((st.st_ino, st.st_size, st.st_mtime_ns))


@dataclass(slots=True)
class PageEntry:
    """What one descriptor produced last time: its files and their stats, model, warnings, links."""

    source_digest: str
    files: tuple[str, ...]  # rel paths
    stats: dict[str, StatKey]  # rel path → its stat when it was published
    links: dict[str, PageLinks]
    model: Model
    problems: list[Problem]


def _loc(loc: Location) -> tuple[str, int, int]:
    return (loc.path, loc.line, loc.col)


def _pack(entry: PageEntry) -> tuple[Any, ...]:
    """An entry as plain tuples, strings and numbers: what :mod:`marshal` can store.

    marshal writes and reads these several times faster than pickle writes dataclasses, and
    stores an object referenced from many entries (a shared tuple of links) once, without a
    memo of every object: at 100 000 pages pickle's memo alone was 180 MiB.
    """
    m = entry.model
    where = _loc(m.location)  # a built model's properties share its location (parallel.compact)
    props = tuple(
        (p.id, p.value, where if p.location is m.location else _loc(p.location)) for p in m.properties
    )
    model = (
        m.source, m.name, m.description, m.task_name, m.task_description, m.task_type, m.slug, m.title,
        m.weight, tuple(m.tags), props, dict(m.flags), m.model_id, m.input_schema, m.output_schema, where,
    )  # fmt: skip
    links = {rel: (page.ids, _packed_refs(page.links)) for rel, page in entry.links.items()}
    problems = tuple((_loc(p.location), p.message, p.severity.value, p.source_line) for p in entry.problems)
    return (entry.source_digest, entry.files, entry.stats, links, model, problems)


#: Reference lists repeat from page to page (those of model pages are identical, see
#: ``parallel.own_links_dropped``). Packed and unpacked once each, as one shared object, marshal
#: stores them once per batch with back-references, and loading them makes no copies.
_PACKED_REFS: dict[tuple[Link, ...], tuple[tuple[str, str, str, str], ...]] = {}
_UNPACKED_LINKS: dict[tuple[frozenset[str], tuple[Any, ...]], PageLinks] = {}
_LINKS_MEMO_SIZE = 4096


def _packed_refs(links: tuple[Link, ...]) -> tuple[tuple[str, str, str, str], ...]:
    found = _PACKED_REFS.get(links)
    if found is None:
        if len(_PACKED_REFS) >= _LINKS_MEMO_SIZE:
            _PACKED_REFS.clear()
        found = _PACKED_REFS[links] = tuple((x.ref, x.target, x.fragment, x.reason) for x in links)
    return found


def _unpacked_links(ids: frozenset[str], refs: tuple[tuple[str, str, str, str], ...]) -> PageLinks:
    key = (ids, refs)
    found = _UNPACKED_LINKS.get(key)
    if found is None:
        if len(_UNPACKED_LINKS) >= _LINKS_MEMO_SIZE:
            _UNPACKED_LINKS.clear()
        found = _UNPACKED_LINKS[key] = PageLinks(ids, tuple(Link(*link) for link in refs))
    return found


def _unpack(packed: tuple[Any, ...]) -> PageEntry:
    """The :class:`PageEntry` that :func:`_pack` stored (raises on anything malformed)."""
    source_digest, files, stats, links, model, problems = packed
    (source, name, description, task_name, task_description, task_type, slug, title, weight, tags,
     properties, flags, model_id, input_schema, output_schema, location) = model  # fmt: skip
    where = Location(*location)
    props = [
        Property(pid, value, where if loc == location else Location(*loc)) for pid, value, loc in properties
    ]
    rebuilt = Model(
        source, name, description, task_name, task_description, task_type, slug, title, weight,
        list(tags), props, Flags(flags), model_id, input_schema, output_schema, where,
    )  # fmt: skip
    pages = {rel: _unpacked_links(ids, refs) for rel, (ids, refs) in links.items()}
    found = [Problem(Location(*loc), message, Severity(sev), line) for loc, message, sev, line in problems]
    return PageEntry(source_digest, tuple(files), dict(stats), pages, rebuilt, found)


#: Entries packed and written per batch by :meth:`BuildCache.save`.
_SAVE_BATCH = 2000
#: A rebuild appends its changed entries when they are at most 1/_APPEND_SHARE of all, to a
#: file of fewer than _APPEND_BATCHES batches; otherwise the file is written anew (compacted).
_APPEND_SHARE = 8
_APPEND_BATCHES = 32


@dataclass
class BuildCache:
    """Per-descriptor page records of the last build with the same inputs.

    ``inputs`` is the hash of everything besides the descriptor that a page depends on; the
    cache file is named after it, so a changed template, config, version or date simply finds
    no file (old ones are pruned). Entries are stored packed (:func:`_pack`) in one file per
    build, written atomically, and unpacked on lookup; unreadable or inconsistent data is a
    miss, never trusted.
    """

    root: Path
    inputs: str
    _entries: dict[str, Any] | None = None
    #: Where the last batch read by ``_load`` ends, and how many batches the file holds.
    _end: int = 0
    _batches: int = 0

    @property
    def entries(self) -> dict[str, Any]:
        """The stored entries, packed, read on first use (a no-change rebuild never needs them)."""
        if self._entries is None:
            self._entries = self._load()
        return self._entries

    @property
    def path(self) -> Path:
        return self.root / f"pages-{self.inputs}.marshal"

    def _load(self) -> dict[str, Any]:
        """The entries stored for these inputs; none when there is no file or it is damaged."""
        entries: dict[str, Any] = {}
        with contextlib.suppress(Exception), self.path.open("rb") as fh:
            fmt, inputs, batches = marshal.load(fh)
            if (fmt, inputs) != (FORMAT, self.inputs):
                return {}
            for _ in range(batches):
                batch = marshal.load(fh)
                if not isinstance(batch, dict):
                    return {}
                entries.update(batch)  # a later batch (appended by a rebuild) wins
            self._end, self._batches = fh.tell(), batches
            return entries
        return {}

    def lookup(self, source: str, source_digest: str) -> PageEntry | None:
        """The entry for ``source`` if its bytes hash to what they did last time."""
        packed = self.entries.get(source)
        if not isinstance(packed, tuple) or not packed or packed[0] != source_digest:
            return None
        try:
            return _unpack(packed)
        except Exception:  # damaged: rebuild the page
            return None

    def save(self, entries: Mapping[str, PageEntry | tuple[Any, ...]]) -> None:
        """Replace the stored entries (atomically) and drop cache files of other inputs.

        An entry may be given as stored (``self.entries[source]``, for a page reused as is).
        When the entries read this build are all still there and few changed, only the changed
        ones are appended (:meth:`_append`): a rebuild after one edit among 100 000 models
        then writes one entry, not all of them again.
        """
        if self._append(entries):
            self._entries = None
            return
        self.root.mkdir(parents=True, exist_ok=True)
        tag = self.root / ".gitignore"
        if not tag.exists():
            tag.write_text("# docs-build's build cache; safe to delete\n*\n", encoding="utf-8")
        tmp = self.root / f".pages-{os.getpid()}.tmp"
        sources = list(entries)
        starts = range(0, len(sources), _SAVE_BATCH)
        with tmp.open("wb") as fh:
            marshal.dump((FORMAT, self.inputs, len(starts)), fh)
            for start in starts:  # packed a batch at a time: never every entry twice in memory
                batch = sources[start : start + _SAVE_BATCH]
                marshal.dump(
                    {s: e if isinstance(e, tuple) else _pack(e) for s in batch for e in (entries[s],)}, fh
                )
        os.replace(tmp, self.path)
        for old in self.root.glob("pages-*"):
            if old != self.path:
                old.unlink(missing_ok=True)
        self._entries = None  # read again if needed

    def _append(self, entries: Mapping[str, PageEntry | tuple[Any, ...]]) -> bool:
        """Add the entries that differ from the stored ones as one more batch; False to rewrite.

        Only when this build read the file and no stored source is gone (a removed descriptor
        would otherwise stay in the file), the changed entries are at most an eighth of all,
        and the file has fewer than 32 batches, so it is compacted by a rewrite now and then.
        The batch goes where the last good batch ended (anything after it, left by a build
        killed while appending, is cut off) and the batch count in the header is updated
        last: a build killed in between leaves a file that reads as before.
        """
        stored = self._entries
        if not stored or self._batches >= _APPEND_BATCHES or stored.keys() - entries.keys():
            return False
        changed = {s: e for s, e in entries.items() if not (isinstance(e, tuple) and stored.get(s) is e)}
        if len(changed) > len(entries) // _APPEND_SHARE:
            return False
        old_head = marshal.dumps((FORMAT, self.inputs, self._batches))
        new_head = marshal.dumps((FORMAT, self.inputs, self._batches + 1))
        if len(new_head) != len(old_head):
            return False
        try:
            with self.path.open("r+b") as fh:
                if fh.read(len(old_head)) != old_head:
                    return False
                if changed:
                    fh.seek(self._end)
                    fh.truncate()
                    marshal.dump({s: e if isinstance(e, tuple) else _pack(e) for s, e in changed.items()}, fh)
                    fh.flush()
                    fh.seek(0)
                    fh.write(new_head)
        except OSError:
            return False
        return True


# --------------------------------------------------------------------------------------------
# The whole site: "nothing changed" without rendering anything

#: A descriptor changed less than this long before the recorded build started may have changed
#: again within the file system's time-stamp resolution without its size changing; it is hashed.
_RACY_NS = 2_000_000_000


def _stat(path: Path | str) -> Stat:
    # A symlinked descriptor changes when its target does: stat what the build reads.
    try:
        st = os.stat(path)
    except OSError:
        st = os.stat(path, follow_symlinks=False)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class SiteRecord:
    """What the last successful build read and wrote, by i-node, size and mtime.

    If every descriptor and every file and directory of the output still has the recorded
    stat, under the same inputs hash, a rebuild would write exactly what is there: ``build``
    then leaves the output alone (it is already the atomic result of a complete build).
    """

    sources: dict[str, tuple[Stat, str]]  # descriptor path → (stat, content digest)
    outputs: dict[str, StatKey]  # every file and directory under the output, and the output itself
    problems: list[Any]
    pages: int
    files: int
    #: When the build that made the record started, before it read any descriptor: one
    #: modified since then (or just before, within the time stamps' granularity) is hashed.
    started_ns: int = 0


def _site_path(root: Path, inputs: str) -> Path:
    return root / f"site-{inputs}.pickle"


def output_stats(out: Path, odd: list[str] | None = None) -> dict[str, StatKey]:
    """Every file and directory under ``out`` by path relative to it ("" for ``out`` itself).

    ``lstat`` through ``os.scandir`` with plain strings: at 100 000 models the output has
    300 000 entries, and ``os.walk`` plus ``pathlib`` took ten seconds over them. Entries that
    are neither files nor directories (links, sockets, ...) are also listed in ``odd``.

    Directories below ``out`` are listed with :data:`DIRECTORY` rather than their stat: any
    change inside one shows in the listing itself (an entry more or less, a file's stat), and
    not asking the kernel saves a third of the calls.
    """
    stats: dict[str, StatKey] = {"": stat_key(os.lstat(out))}
    stack = [("", os.fspath(out))]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stats[rel] = DIRECTORY
                    stack.append((rel + "/", entry.path))
                    continue
                stats[rel] = stat_key(entry.stat(follow_symlinks=False))
                if odd is not None and not entry.is_file(follow_symlinks=False):
                    odd.append(rel)
    return stats


#: What :func:`output_stats` lists for a directory.
DIRECTORY: StatKey = 0


def record_site(
    root: Path,
    inputs: str,
    sources: dict[str, str],
    outputs: dict[str, StatKey],
    problems: list[Any],
    pages: int,
    files: int,
    started_ns: int,
    read: Mapping[str, Stat] | None = None,
) -> None:
    """Save the :class:`SiteRecord` of a build just published (``sources``: path → digest).

    ``started_ns`` is when the build started. A descriptor's stat is the one ``read`` gives,
    taken just before its bytes were read, or else taken now, after the build. Either way one
    edited after its bytes were read has a new stat but the old digest, and one edited between
    the stat and the read has the old stat but the new digest: the next build sees a stat
    unlike the recorded one (or a time stamp later than the start) and hashes it.

    The two large tables are stored with :mod:`marshal` inside the pickle: plain tuples and
    strings, written and read in a fraction of pickle's time and without its memo of every
    object (hundreds of MiB at 100 000 models).
    """
    read = read or {}
    stats = {src: (read.get(src) or _stat(src), digest_) for src, digest_ in sources.items()}
    tables = marshal.dumps((stats, outputs))
    head = {"problems": problems, "pages": pages, "files": files, "started_ns": started_ns}
    tmp = root / f".site-{os.getpid()}.tmp"
    with tmp.open("wb") as fh:
        pickle.dump(
            {"format": FORMAT, "inputs": inputs, "head": head, "tables": tables}, fh, pickle.HIGHEST_PROTOCOL
        )
    os.replace(tmp, _site_path(root, inputs))
    for old in root.glob("site-*.pickle"):
        if old.name != _site_path(root, inputs).name:
            old.unlink(missing_ok=True)


def load_site_record(root: Path, inputs: str) -> SiteRecord | None:
    """The record saved for these inputs, or None (missing, damaged or another format)."""
    try:
        with _site_path(root, inputs).open("rb") as fh:
            stored = pickle.load(fh)
        if stored.get("format") != FORMAT or stored.get("inputs") != inputs:
            return None
        sources, outputs = marshal.loads(stored["tables"])
        head = stored["head"]
        record = SiteRecord(
            sources, outputs, head["problems"], head["pages"], head["files"], head["started_ns"]
        )
        if not isinstance(record.sources, dict) or not isinstance(record.outputs, dict):
            return None
        return record
    except Exception:
        return None


def sources_unchanged(record: SiteRecord, sources: list[Path]) -> bool:
    """Whether the descriptors are exactly those of ``record``, each with its recorded stat.

    One changed since the recorded build started, or less than :data:`_RACY_NS` before, is also
    hashed, since the file system's time stamps may not have moved.
    """
    if {str(p) for p in sources} != record.sources.keys():
        return False
    for src, (stat_, digest_) in record.sources.items():
        try:
            now = _stat(src)
            if not _proves_unchanged(record, stat_, now) and (
                now != stat_ or digest(Path(src).read_bytes()) != digest_
            ):
                return False
        except OSError:
            return False
    return True


def _proves_unchanged(record: SiteRecord, recorded: Stat, now: Stat) -> bool:
    """Whether a descriptor's stat alone shows it is as ``record`` found it: the same stat, and
    a time stamp old enough (before the recorded build started, by :data:`_RACY_NS`) that a
    later change within its granularity would have moved it."""
    return now == recorded and record.started_ns - now[2] >= _RACY_NS


@dataclass
class Previous:
    """The last build with the same inputs: its record, and its output's stats as they are now."""

    record: SiteRecord
    outputs: dict[str, StatKey]  # every file and directory of the output now (output_stats)

    def unchanged(self, sources: list[Path]) -> bool:
        """Whether nothing the last build read or wrote has changed since."""
        return self.outputs == self.record.outputs and sources_unchanged(self.record, sources)

    def known_digest(self, source: str) -> str | None:
        """The recorded digest of descriptor ``source`` when its stat proves it unchanged.

        None when it may have changed (or is new, a symlink, or was modified too close to the
        recorded build's start for its time stamp to be trusted): it is then read and hashed.
        """
        recorded = self.record.sources.get(source)
        if recorded is None:
            return None
        try:
            st = os.lstat(source)
        except OSError:
            return None
        now = (st.st_ino, st.st_size, st.st_mtime_ns)
        if not stat.S_ISREG(st.st_mode) or not _proves_unchanged(self.record, recorded[0], now):
            return None
        return recorded[1]


def previous_build(root: Path, inputs: str, out: Path) -> Previous | None:
    """The record of the last build with these inputs and the output's stats, if both exist."""
    record = load_site_record(root, inputs)
    if record is None:
        return None
    try:
        return Previous(record, output_stats(out))
    except OSError:
        return None
