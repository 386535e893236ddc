"""Stage 4: Markdown → HTML, highlighting, anchors, and no raw HTML."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from docs_build.convert import convert, highlight_code, markdown, pygments_css
from docs_build.links import scan


def test_headings_get_anchors_and_are_collected() -> None:
    out = convert("# Title\n\n## Using streaming\n\n### Non-streaming response\n")
    assert '<h2 id="using-streaming">' in out.html
    assert [(h.level, h.text, h.anchor) for h in out.headings] == [
        (2, "Using streaming", "using-streaming"),
        (3, "Non-streaming response", "non-streaming-response"),
    ]


def test_code_is_highlighted_by_pygments() -> None:
    html = convert("```javascript\nconst x = 1;\n```\n").html
    assert '<pre><code class="language-javascript">' in html
    assert '<span class="kd">const</span>' in html


def test_unknown_languages_are_escaped_plain_text() -> None:
    html = convert("```nosuchlang\n<b>x</b>\n```\n").html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_hostile_fence_info_string_cannot_break_out() -> None:
    html = convert('```js" onload="alert(1)\nx\n```\n').html
    assert 'onload="alert' not in html


def test_raw_html_is_never_passed_through() -> None:
    html = convert("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n").html
    assert "<script>" not in html and "<img" not in html


def test_dangerous_link_schemes_are_not_linked() -> None:
    html = convert("[a](javascript:alert(1)) [b](vbscript:x) [c](data:text/html,x)\n").html
    assert "href" not in html


def test_tables_badges_and_details() -> None:
    html = convert(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n[Beta]{.badge .badge-beta}\n\n::: details Raw\ntext\n:::\n"
    ).html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<span class="badge badge-beta">Beta</span>' in html
    assert "<details" in html and "<summary>Raw</summary>" in html


def test_attribute_spans_only_allow_class_and_id() -> None:
    html = convert("[x]{onclick=evil .ok}\n").html
    assert "onclick" not in html and 'class="ok"' in html


def test_highlight_cache_returns_identical_html() -> None:
    assert highlight_code("print(1)\n", "python") == highlight_code("print(1)\n", "python")


def test_pygments_css_has_light_and_dark() -> None:
    css = pygments_css()
    assert "prefers-color-scheme: dark" in css and "data-theme=dark" in css


@settings(max_examples=800, deadline=None)
@given(
    st.text(alphabet="abcXYZ019.-_~/:?#%@ &é", max_size=24)
    | st.builds(
        "https://{}{}".format,
        st.from_regex(r"[a-zA-Z0-9.-]{0,12}", fullmatch=True),
        st.text(alphabet="abcA9._~-/?#%:", max_size=16),
    )
)
@example("models/coder-2b/")
@example("https://huggingface.co/qwen/coder-2b")
@example("https://a..b/x")
@example("//host/x")
@example("https://host:80/x")
def test_links_skipped_by_the_fast_path_are_those_markdown_it_leaves_alone(url: str) -> None:
    """``normalizeLink`` is skipped only for links it would not change."""
    from markdown_it.common.normalize_url import normalizeLink

    from docs_build.convert import _PLAIN_LINK

    if _PLAIN_LINK.fullmatch(url):
        assert normalizeLink(url) == url
    assert markdown().normalizeLink(url) == normalizeLink(url)


@settings(max_examples=1500, deadline=None)
@given(
    st.text(alphabet="aZ09 .,;:()'/%=+@?-\t\n\\`*_[]!<>&{}~|#\"é—\u00a0\u3000\U0001f600\x00\x7f", max_size=30)
)
@example("Coder 2B is a text model from qwen (synthetic entry 2423).\n\n")
@example("a  \n")
@example("a\u00a0\n")
@example("a\n\n\n")
@example("a b\nc\n")
def test_a_plain_paragraph_converts_as_markdown_it_converts_it(text: str) -> None:
    """The shortcut for one line of prose gives markdown-it's HTML exactly."""
    from docs_build.convert import _PLAIN_PARAGRAPH, Converted

    if _PLAIN_PARAGRAPH.fullmatch(text):
        assert convert(text) == Converted(markdown().render(text))


_LABEL_CHARS = "aZ09 .,;:'/%=+@?-()\t\\`*_[]!<>&{}~|#\"é"
_ITEMS = st.lists(
    st.tuples(
        st.text(alphabet=_LABEL_CHARS, min_size=1, max_size=12),
        st.text(alphabet="az09._~/-:?#% ()", min_size=0, max_size=12),
        st.lists(
            st.tuples(
                st.text(alphabet=_LABEL_CHARS, min_size=1, max_size=6),
                st.sampled_from(["beta", "lora", "new", "X y"]),
            )
        ),
        st.text(alphabet=_LABEL_CHARS + "\n", max_size=20),
    ),
    min_size=1,
    max_size=4,
)


def _item(title: str, url: str, badges: list[tuple[str, str]], description: str) -> str:
    spans = "".join(f" [{label}]{{.badge .badge-{kind}}}" for label, kind in badges)
    return f"- [{title}]({url}){spans}\\\n  {description}\n"


@settings(max_examples=500, deadline=None)
@given(_ITEMS, st.sampled_from(["", "\n", "x\n", "- [a](b)\n"]))
@example([("coder-2b", "models/coder-2b/", [("Beta", "beta")], "A text model (entry 1).")], "")
@example([("a ", "models/a/", [], "b")], "")
@example([("a", "//host/a/", [], "b")], "")
@example([("a", "javascript:x", [], "b")], "")
@example([("a & b", "models/a/", [("&copy;", "beta")], "b")], "")
@example([("a", "models/a/", [], "b  ")], "")
def test_a_list_of_plain_entries_converts_as_markdown_it_converts_it(
    items: list[tuple[str, str, list[tuple[str, str]], str]], tail: str
) -> None:
    """The shortcut for a catalog index's list gives markdown-it's HTML exactly, or is not taken."""
    from docs_build.convert import Converted, plain_list

    text = "".join(_item(*item) for item in items)
    for whole in (text, text + tail):
        listed = plain_list(whole)
        if listed is not None:
            assert convert(whole) == Converted(markdown().render(whole))
            ids, refs = scan(listed[0].encode())  # the links it reports are the page's references
            assert (ids, refs) == (set(), listed[1])


def test_catalog_entries_take_the_shortcut() -> None:
    """Plain titles, descriptions and badges, as most catalogs have, skip the parser."""
    from docs_build.convert import plain_list

    text = _item(
        "llama-3-8b-instruct",
        "models/llama-3-8b-instruct/",
        [("Beta", "beta"), ("LoRA", "lora")],
        "Meta's 8B model, tuned for chat (v3).",
    )
    assert plain_list(text * 3) is not None


_WORD = st.from_regex(r"[a-zA-Z0-9.,;:'/%=+@?()é-]{1,6}", fullmatch=True)
_PHRASE = st.lists(_WORD, min_size=1, max_size=4).map(" ".join)
_NEARLY_PLAIN = st.lists(
    st.tuples(
        _PHRASE,
        st.from_regex(r"[a-z0-9._~/-]{1,12}", fullmatch=True),
        st.lists(st.tuples(_PHRASE, st.sampled_from(["beta", "lora", "x-1"])), max_size=3),
        st.tuples(st.sampled_from("aZ1 "), _PHRASE).map("".join),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=400, deadline=None)
@given(_NEARLY_PLAIN)
def test_a_list_of_nearly_plain_entries_converts_as_markdown_it_converts_it(
    items: list[tuple[str, str, list[tuple[str, str]], str]],
) -> None:
    """Entries close to the shortcut's edge (parentheses, '//', digits) on both sides of it."""
    from docs_build.convert import Converted, plain_list

    text = "".join(_item(*item) for item in items)
    listed = plain_list(text)
    if listed is not None:
        assert convert(text) == Converted(markdown().render(text))
        assert scan(listed[0].encode()) == (set(), listed[1])
