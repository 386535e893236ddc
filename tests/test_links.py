"""links: the internal link and anchor checker over built HTML."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from conftest import MakeProject, RunCli, descriptor
from docs_build import links
from docs_build.links import check_links, resolve, scan


def _page(body: str, ids: str = "") -> bytes:
    return f"<!doctype html><html><head></head><body>{ids}{body}</body></html>".encode()


@pytest.mark.parametrize(
    ("page", "ref", "expected"),
    [
        ("index.html", "models/a/", ("models/a/index.html", "")),
        ("models/a/index.html", "../../", ("index.html", "")),
        ("models/a/index.html", "../../#task", ("index.html", "task")),
        ("models/a/index.html", "#api-schema", ("models/a/index.html", "api-schema")),
        ("models/a/index.html", "#", ("models/a/index.html", "")),
        ("models/a/index.html", "#a#b", ("models/a/index.html", "a#b")),
        ("models/a/index.html", "#a%20b", ("models/a/index.html", "a b")),
        ("models/a/index.html", "#a?b", ("models/a/index.html", "a?b")),
        ("models/a/index.html", "index.md", ("models/a/index.md", "")),
        ("models/a/index.html", "../../?task=x", ("index.html", "")),
        ("models/a/index.html", "?q=1", ("models/a/index.html", "")),
        ("models/a/index.html", "/assets/style.css", ("assets/style.css", "")),
        ("models/a/index.html", "../b/%20x.html", ("models/b/ x.html", "")),
        ("index.html", "../outside.html", ("../outside.html", "")),
        ("index.html", "https://example.com/x", None),
        ("index.html", "//cdn.example.com/x.js", None),
        ("index.html", "mailto:a@example.com", None),
        ("index.html", "javascript:alert(1)", None),
        ("index.html", "data:,", None),
    ],
)
def test_resolve(page: str, ref: str, expected: tuple[str, str] | None) -> None:
    assert resolve(page, ref) == expected


def test_scan_collects_ids_and_references_outside_code() -> None:
    html = (
        b'<head><script src="a.js"></script><link rel="stylesheet" href="s.css"></head>'
        b'<h2 id="x">X <a href="#x">#</a></h2><a name="old"></a>'
        b'<meta content="a > b" name="d"><img src=pic.png>'
        b'<pre><code><span id="in-code">&lt;a href="nope"&gt;</span></code></pre>'
        b"<!-- <a href='commented'> -->"
    )
    ids, refs = scan(html)
    assert ids == {"x", "old"}
    assert refs == ["a.js", "s.css", "#x", "pic.png"]


def test_broken_file_and_anchor_are_reported_as_page_arrow_target() -> None:
    plan = {
        "index.html": _page(
            '<a href="models/a/">a</a><a href="models/b/">b</a><a href="models/a/#nope">n</a>'
        ),
        "models/a/index.html": _page('<a href="../../#top">up</a><a href="#here">h</a>', '<p id="here"></p>'),
    }
    problems = check_links(plan)
    messages = [p.message for p in problems]
    assert messages == [
        "broken link: index.html \u2192 models/b/ (no file models/b/index.html in the site)",
        "broken link: index.html \u2192 models/a/#nope (no id 'nope' in models/a/index.html)",
        "broken link: models/a/index.html \u2192 ../../#top (no id 'top' in index.html)",
    ]
    assert [str(p.location) for p in problems] == ["index.html", "index.html", "models/a/index.html"]
    assert all(not p.is_error for p in problems)


def test_directory_without_slash_and_repeated_links() -> None:
    plan = {
        "index.html": _page('<a href="models/a">a</a><a href="gone">g</a><a href="gone">g</a>'),
        "models/a/index.html": _page(""),
    }
    assert [p.message for p in check_links(plan)] == [
        "broken link: index.html \u2192 gone (no file gone in the site)"
    ]


def test_leaving_the_site_is_broken() -> None:
    problems = check_links({"index.html": _page('<a href="../elsewhere/">x</a>')})
    assert len(problems) == 1 and "../elsewhere/" in problems[0].message


def test_a_built_site_has_no_broken_links(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(
        {
            "tiny-chat.yaml": descriptor("tiny-chat", properties={"lora": "true"}),
            "tiny-embed.yaml": descriptor(
                "tiny-embed", task_name="Text Embeddings", task_type="text-embeddings"
            ),
        }
    )
    result = run_cli(project, "check", "--strict")
    assert result.exit_code == 0, result.stderr
    assert "broken link" not in result.stderr


def test_a_template_with_a_broken_anchor_warns_and_fails_under_strict(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    project = make_project(
        templates={
            "tasks/text-generation/prompting.md.j2": (
                "## Prompting\n\nSee [the limits](#limits) and [x](../nowhere/).\n"
            )
        }
    )
    result = run_cli(project, "check")
    assert result.exit_code == 0
    assert (
        "models/tiny-chat/index.html: warning: broken link: models/tiny-chat/index.html \u2192 #limits "
        "(no id 'limits' in models/tiny-chat/index.html)"
    ) in result.stderr
    assert "models/tiny-chat/index.html \u2192 ../nowhere/" in result.stderr
    strict = run_cli(project, "build", "--strict")
    assert strict.exit_code == 1
    assert "error: broken link: models/tiny-chat/index.html \u2192 #limits" in strict.stderr
    assert not (project / "build").exists()


_PLAIN_SKIP = re.compile(
    rb"<pre\b[^>]*>.*?</pre>|<!--.*?-->|(<(?:script|style)\b[^>]*>).*?</(?:script|style)\s*>",
    re.DOTALL | re.IGNORECASE,
)
_PLAIN_TAG = re.compile(rb"""<[A-Za-z][^\s/>]*(?:[^>"']|"[^"]*"|'[^']*')*>""")
_HTML_BITS = st.sampled_from(
    [
        "<",
        ">",
        "/",
        '"',
        "'",
        "=",
        " ",
        "\n",
        "a",
        "id",
        "href",
        "pre",
        "PRE",
        "!--",
        "--",
        "script",
        "style",
        "<a href='#x'>",
        "<a name='x'>",
        '<b title="',
        "<script src=a>",
        "<style>",
        "<pre class=c>",
        '<p id="y">',
        "</pre>",
        "</script >",
        "<!--",
        "-->",
        "<b",
        "x>",
        "<\u017fcript>",
        "◐",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_HTML_BITS, max_size=40))
@example(["<script src=a>", "x", "</script >", "<a href='#x'>"])
@example(["<pre class=c>", "<a href='#x'>", "</pre>", "<!--", '<p id="y">', "-->"])
@example(["<", "a", '"', "/", '"', ">"])  # a quote the tag name must give back
def test_fast_patterns_match_like_the_plain_ones(bits: list[str]) -> None:
    """The possessive forms of the scanner's patterns find exactly what the plain ones find."""
    html = "".join(bits).encode()
    kept = _PLAIN_SKIP.sub(lambda m: m.group(1) or b"", html)
    assert links._SKIP.sub(links._kept, html) == kept
    assert [m.span() for m in links._TAG.finditer(kept)] == [m.span() for m in _PLAIN_TAG.finditer(kept)]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_HTML_BITS, max_size=30), st.lists(_HTML_BITS, max_size=30), st.lists(_HTML_BITS, max_size=30)
)
@example(["<a href='#x'>", "<!--"], ['<p id="y">'], ["-->"])  # a comment open across the body
@example(["<PRE class=c>"], ["<a href='#x'>"], ["</pre>"])  # tag names in any ASCII case
@example(["<b", "\n"], ["<a href='#x'>"], [])  # a tag left open before the body
@example(["<\u017fcript>"], ["<a href='#x'>"], ["</script >"])  # not a script tag: a long s is no 's'
@example(["<b", "\n"], ["<a name='x'>"], [])  # the open tag takes the body's first tag in
@example(['<b title="x', "\n"], ["<a name='x'>"], ['"', ">"])  # an open quote reaches the tail
def test_a_page_scanned_in_parts_is_scanned_as_a_whole(
    head: list[str], body: list[str], tail: list[str]
) -> None:
    """Whenever ``scan_around`` pieces a page together from its parts, it is the whole page's scan."""
    from docs_build.cache import scan_around

    head_text, body_text, tail_text = "".join(head), "".join(body), "".join(tail)
    assume(links.scan_part(body_text) is not None)  # a body is converted Markdown: nothing left open
    ids, refs = scan(body_text.encode())
    pieced = scan_around(head_text, (frozenset(ids), tuple(refs)), body_text, tail_text)
    if pieced is not None:
        whole_ids, whole_refs = scan((head_text + body_text + tail_text).encode())
        assert pieced == (frozenset(whole_ids), tuple(whole_refs))


def test_regions_are_closed_when_every_one_opens_and_closes_inside() -> None:
    assert links.closed_regions("<p><script src=a></script ><!-- x --><PRE>y</pre></p>")
    assert links.closed_regions("<p>◐ … \u017fcript</p>")
    for open_region in ("<!-- x", "x -->", "<Pre>", "</pre>", "<SCRIPT>", "</style>", "<style x=1>"):
        assert not links.closed_regions(f"<p>{open_region}</p>"), open_region


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="#a?&=/ .:%é\t\n\x00\x7f\u00a0", max_size=10).map(lambda s: "#" + s))
def test_an_anchor_resolves_as_urlsplit_reads_it(ref: str) -> None:
    """The shortcut for '#...' links gives the page and the fragment urlsplit would."""
    from urllib.parse import unquote, urlsplit

    assert resolve("models/a/index.html", ref) == ("models/a/index.html", unquote(urlsplit(ref).fragment))


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_HTML_BITS | st.sampled_from(["\r", "\r\n", "\x0c", "\u2028", "<", "a href='#z'>"]), max_size=40)
)
@example(["<", "\n", "a href='#z'>"])
@example(['<b title="', "\n", "\"><a name='x'>"])
def test_a_part_scanned_line_by_line_is_scanned_as_a_whole(bits: list[str]) -> None:
    """Lines that each pass ``scan_part`` alone add up to the part's scan (the lines are memoised)."""
    text = "".join(bits)
    found = links.scan_part(text)
    if found is not None:
        ids, refs = scan(text.encode())
        assert (found[0], found[1]) == (ids, refs)


def _resolve_by_urlsplit(page: str, ref: str) -> tuple[str, str] | None:
    """``resolve`` without its shortcuts, as it was written first."""
    import posixpath
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(ref)
    if parts.scheme or parts.netloc:
        return None
    fragment, path = unquote(parts.fragment), unquote(parts.path)
    if not path:
        return page, fragment
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(posixpath.dirname(page), path)
    target = posixpath.normpath(joined) if joined else "."
    if target == "." or path.endswith("/"):
        target = "index.html" if target == "." else f"{target}/index.html"
    return target, fragment


@settings(max_examples=800, deadline=None)
@given(
    st.sampled_from(["index.html", "models/a/index.html", "a.html"]),
    st.text(alphabet="a./-_~:#?%2 \\\t", max_size=12),
)
@example("models/a/index.html", "../../assets/style.css")
@example("models/a/index.html", "//host/x")
@example("index.html", "a:b")
def test_resolve_shortcuts_agree_with_urlsplit(page: str, ref: str) -> None:
    assert resolve(page, ref) == _resolve_by_urlsplit(page, ref)


_TAG_BITS = st.sampled_from(
    [
        "<a",
        "<A",
        "<span",
        "<img",
        " ",
        "\t",
        "\n",
        "\r",
        "href=",
        "HREF=",
        "id=",
        "name=",
        "src=",
        "class=",
        '"',
        "'",
        "x",
        "#y",
        "é",
        "&amp;",
        "&",
        "<",
        ">",
        "/",
        "=",
        "data-x=",
        "\x00",
        ":",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_TAG_BITS, max_size=14).map("".join))
@example('<a href="models/x/">')
@example('<a id="x" name="y" href="#z">')
@example('<img src="a.png" id="i"/>')
@example('<a href="a&amp;b">')
def test_simple_tags_read_as_the_html_parser_reads_them(text: str) -> None:
    """The pattern that reads simple start tags gives what the parser gives, for any tag."""
    tag = (text + ">").encode()
    match = links._TAG.fullmatch(tag)
    if match is not None:
        assert links._scan_tag(tag) == links._parsed_tag(tag)


_ATTRS = st.lists(
    st.tuples(
        st.sampled_from(["href", "HREF", "id", "Id", "name", "src", "class", "data-x", "x:y"]),
        st.text(alphabet="ab#/ .é\n\t&<>'", max_size=6) | st.sampled_from(["&amp;", "a&lt;b", "&#64;x"]),
        st.sampled_from([" ", "\n", "\t", "  ", "\r", " \x0c"]),
    ),
    max_size=4,
)


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from(["a", "A", "span", "img", "link", "h2"]),
    _ATTRS,
    st.sampled_from([">", "/>", " >", " />"]),
)
def test_tags_with_attributes_read_as_the_html_parser_reads_them(
    name: str, attrs: list[tuple[str, str, str]], end: str
) -> None:
    """Tags made of names, values and separators, on both sides of the simple-tag pattern."""
    tag = (f"<{name}" + "".join(f'{space}{key}="{value}"' for key, value, space in attrs) + end).encode()
    if links._TAG.fullmatch(tag) is not None:
        assert links._scan_tag(tag) == links._parsed_tag(tag)
