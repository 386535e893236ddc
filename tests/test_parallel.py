"""The process pool and the fragment cache change speed, never bytes.

Builds with one worker and with several must write identical trees and report identical
problems; piecewise conversion must equal whole-page conversion, also for the Markdown shapes
that make it fall back (link references, repeated anchors, fences and containers holding
``#`` lines, indented fences) and for any model name the placeholder stands in for.
"""

from __future__ import annotations

import functools
import string
from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import MakeProject, RunCli, descriptor, snapshot
from docs_build import cache, links, parallel
from docs_build.config import Config
from docs_build.convert import convert
from docs_build.load import load_bytes
from docs_build.model import Model, build_model
from docs_build.pipeline import SiteRenderer

#: Enough descriptors that ``-j 2`` really starts a pool (see parallel.MIN_PARALLEL).
COUNT = parallel.MIN_PARALLEL + 12


def catalog() -> dict[str, str]:
    """Varied descriptors: LoRA or not, names the placeholder fits and names it does not."""
    models: dict[str, str] = {}
    for i in range(COUNT):
        slug = f"model-{i:03d}"
        props = {"beta": "true"}
        if i % 7 == 0:
            props["lora"] = "true"
        if i % 11 == 0:
            props["function_calling"] = "true"
        text = descriptor(slug, properties=props, description=f"Model number {i}, for tests.", weight=i % 3)
        if i % 5 == 0:  # an underscore is outside the placeholder's alphabet: converted as is
            text = text.replace(f'name: "@cf/acme/{slug}"', f'name: "@cf/acme_labs/{slug}"')
        models[f"{slug}.yaml"] = text
    models["warned.yaml"] = descriptor("warned", properties={"beta": "True"})
    return models


@pytest.fixture
def project(make_project: MakeProject) -> Path:
    return make_project(catalog())


def build(run_cli: RunCli, project: Path, out: str, *args: str) -> tuple[dict[str, bytes], str]:
    result = run_cli(project, "build", "--no-cache", "--out", str(project / out), *args)
    assert result.exit_code == 0, result.stderr
    return snapshot(project / out), result.stderr


def test_one_and_many_workers_write_the_same_site(run_cli: RunCli, project: Path) -> None:
    one, one_err = build(run_cli, project, "one", "-j", "1")
    many, many_err = build(run_cli, project, "many", "-j", "2")
    assert len(one) > 2 * COUNT
    assert one == many
    assert one_err == many_err
    assert "warned.yaml" in one_err  # the flag-value warning survives the pool


def test_errors_are_the_same_with_a_pool(run_cli: RunCli, make_project: MakeProject) -> None:
    models = catalog()
    models["model-010.yaml"] = models["model-010.yaml"].replace("weight: 1", "weight: heavy")
    models["zz-broken.yaml"] = "model: [unclosed\n"
    project = make_project(models)
    outputs = []
    for jobs in ("1", "2"):
        result = run_cli(project, "build", "--no-cache", "-j", jobs)
        assert result.exit_code == 1
        outputs.append(result.stderr)
    assert outputs[0] == outputs[1]
    assert "models/model-010.yaml" in outputs[0] and "models/zz-broken.yaml" in outputs[0]
    assert not (project / "build").exists()
    assert not list(project.glob(".build.tmp-*"))


def test_pool_pages_equal_whole_page_conversion(run_cli: RunCli, project: Path) -> None:
    site, _ = build(run_cli, project, "site", "-j", "2")
    pages = [rel for rel in site if rel.startswith("models/") and rel.endswith("index.md")]
    assert len(pages) == COUNT + 1
    for rel in pages:
        text = site[rel].decode()
        name = text.split("**Model ID:** `", 1)[1].split("`", 1)[0]
        assert cache.convert_page(text, name) == convert(text)
        html = site[rel.replace("index.md", "index.html")].decode()
        ids, refs = links.scan(html.encode())
        assert cache.scan_page(html, text, name) == (frozenset(ids), tuple(refs))


def _page_model(name: str, lora: bool, slug: str = "x", title: str | None = None, org: str = "acme") -> Model:
    """A model whose page holds its name, slug and title where real pages do: the title line,
    the model ID, the code examples, and the links (a Hugging Face URL ending in the slug)."""
    props = {"lora": "true"} if lora else {"beta": "true"}
    props |= {"info": f"https://huggingface.co/{org}/{slug}", "terms": f"https://example.com/{org}/license"}
    text = descriptor("x", properties=props)
    text = text.replace('name: "@cf/acme/x"', f'name: "{name}"')
    text = text.replace('model_display_name: "x"', f'model_display_name: "{slug}"')
    text = text.replace('title: "x"', f'title: "{title if title is not None else slug}"')
    src, problems = load_bytes(text.encode(), Path("x.yaml"), "x.yaml")
    model, more = build_model(src)
    assert model is not None, problems + more
    return model


@functools.cache
def _renderer() -> SiteRenderer:
    """One renderer with the built-in templates for the page tests (building one is slow)."""
    return SiteRenderer(Config(root=Path("/nonexistent-project")))


def _page_markdown(
    name: str, lora: bool, slug: str = "x", title: str | None = None, org: str = "acme"
) -> str:
    markdown, _html = _renderer().model_page(_page_model(name, lora, slug, title, org))
    return markdown


_NAME_CHARS = string.ascii_letters + string.digits + "@/.:-"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(alphabet=_NAME_CHARS, min_size=1, max_size=40).filter(lambda n: n.strip("-.:/")),
    lora=st.booleans(),
)
def test_placeholder_swap_is_exact_for_any_plain_name(name: str, lora: bool) -> None:
    """Whatever plain name the model has, swapping it in equals converting it."""
    try:
        markdown = _page_markdown(name, lora)
    except AssertionError:
        return  # not a valid model name for the schema; nothing to convert
    assert cache.convert_page(markdown, name) == convert(markdown)


EDGE_CASES = {
    "heading inside a fence": "# A\n\n```sh\n# not a heading\n```\n\n## B\n\ntext\n",
    "longer closing fence": "# A\n\n````\n```\n# inside\n````\n\n## B\n",
    "tilde fence": "# A\n\n~~~\n# inside\n~~~\n## B\n",
    "heading inside a container": "# A\n\n::: details More\n# inside\n:::\n\n## B\n",
    "container closed inside a fence": "::: note\n```\n:::\n```\n# after\n",
    "indented fence": "# A\n\n- item\n\n  ```\n# closes the list\n  ```\n\n## B\n",
    "unclosed fence": "# A\n\n```\n# inside\n## still inside\n",
    "reference across pieces": "# A\n\n[x]\n\n## B\n\n[x]: https://example.com\n",
    "repeated headings": "## Same\n\na\n\n## Same\n\nb\n\n## Same-1\n",
    "list then heading": "- a\n- b\n# H\n- c\n\n- d\n",
    "table then heading": "| a |\n| - |\n| b |\n# H\n",
    "lazy paragraph": "para\n# H\ntext\n> quote\n# H2\n",
    "backticks in info": "``` a`b\n# heading, not a fence\n```\n# H\n",
    "empty": "",
    "only heading": "# H",
}


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_piecewise_conversion_matches_whole_page(case: str) -> None:
    text = EDGE_CASES[case]
    assert cache.convert_page(text) == convert(text)
    assert cache.convert_page(text, "@cf/acme/edge") == convert(text)
    # Values that the texts hold, in headings, fences and containers: swapped or not, the same.
    for values in (
        ("@cf/acme/edge", "edge", "Edge"),
        ("@cf/acme/A", "A", "B"),
        ("@cf/x/inside", "inside", "x"),
    ):
        assert cache.convert_page(text, values) == convert(text)
        html = f"<main>{convert(text).html}</main>"
        assert cache.scan_page(html, text, values) == _whole_scan(html)


def test_the_page_below_the_header_is_converted_once_per_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages differing only in name and header share one conversion of everything below it."""
    monkeypatch.setattr(cache, "_MEMO", cache._Memo())
    monkeypatch.setattr(cache, "_TAILS", OrderedDict())
    converted: list[str] = []
    real = cache.convert
    monkeypatch.setattr(cache, "convert", lambda text: converted.append(text) or real(text))
    names = ["@cf/acme/first", "@cf/other/second-2", "@cf/acme/third"]
    for i, name in enumerate(names):
        text = _page_markdown(name, lora=False)
        assert cache.convert_page(text, name) == real(text)
        html = f"<main>{real(text).html}</main>"
        ids, refs = links.scan(html.encode())
        assert cache.scan_page(html, text, name) == (frozenset(ids), tuple(refs))
        sections = [t for t in converted if t.startswith("## ")]
        if i == 0:
            assert sections  # the first page converts its sections (with the name swapped out)
            assert all(name not in t for t in sections)
            first = len(sections)
        else:  # the others only their own header lines
            assert len(sections) == first
    assert len(cache._TAILS) == 1


HEADER_LINES = st.sampled_from(
    [
        "Plain words",
        "# Title",
        "## Section",
        "**Model ID:** `x`",
        "[Beta]{.badge}",
        "[link](https://example.com)",
        "- item",
        "* item",
        "+ item",
        "1. item",
        "2) item",
        "***",
        "___",
        "__strong__ words",
        "---",
        "===",
        "> quote",
        "    indented code",
        "  two spaces",
        "| a | b |",
        "| - | - |",
        "```",
        "::: note",
        ":::",
        "`code` here",
        "[x]: https://example.com",
        "<div>",
        "!image",
        "Ünïcode words",
        "7 digits",
    ]
)


@settings(max_examples=300, deadline=None)
@given(blocks=st.lists(st.lists(HEADER_LINES, min_size=1, max_size=2), min_size=2, max_size=6))
def test_header_blocks_convert_like_the_whole_header(blocks: list[list[str]]) -> None:
    """Cutting a header at blank lines never changes its HTML, whatever lines it holds."""
    text = "\n\n".join("\n".join(lines) for lines in blocks) + "\n"
    pieces = cache._blocks(text)
    assert "".join(pieces) == text
    whole = convert(text)
    parts = [convert(piece) for piece in pieces]
    anchors = [h.anchor for p in parts for h in p.headings]
    if not any(p.references for p in parts) and len(set(anchors)) == len(anchors):
        # (otherwise convert_page converts the page whole)
        assert "".join(p.html for p in parts) == whole.html
        assert [h for p in parts for h in p.headings] == whole.headings
    page = text + "\n## Next\n\nmore\n"
    assert cache.convert_page(page, "@cf/acme/blocks") == convert(page)


def test_a_plain_header_is_cut_into_blocks() -> None:
    header = "# T\n\n[Beta]{.badge}\n\n**Model ID:** `@cf/a/b`\n\nSome words.\n\n[More](https://x.test/)\n\n"
    assert len(cache._blocks(header)) == 5
    assert cache._blocks("- a\n\n- b\n\nc\n") == ["- a\n\n- b\n\nc\n"]


@pytest.mark.parametrize("name", ["details", "1.5", "-x", ":::note", "note"])
def test_names_that_could_start_a_block_are_never_swapped(name: str) -> None:
    text = f"# T\n\n## A\n\n{name} text\n\n::: {name}\nin\n:::\n\n`{name}`\n"
    assert not cache._swappable(name)
    assert cache.convert_page(text, name) == convert(text)


def test_split_points_follow_markdown_it() -> None:
    assert cache.split_points("# A\n\n```\n# x\n```\n## B\n") == [len("# A\n\n```\n# x\n```\n")]
    assert cache.split_points("# A\n\n  ```\nx\n  ```\n") is None  # may belong to a list item
    assert cache.split_points("::: details X\n# in\n:::\n# out\n") == [len("::: details X\n# in\n:::\n")]


def test_name_in_a_heading_is_not_swapped() -> None:
    name = "@cf/acme/in-heading"
    text = f"# T\n\n## About {name}\n\ntext `{name}`\n\n```js\nrun('{name}')\n```\n"
    assert cache.convert_page(text, name) == convert(text)


def test_pooled_link_check_equals_the_plain_one() -> None:
    plan = {
        "index.html": b'<a href="models/a/">a</a><a href="models/b/#nope">b</a><a href="#top">t</a>',
        "models/a/index.html": (
            b'<h2 id="x">x</h2><a href="#x">x</a><a href="#y">y</a><a href="../../gone.css">g</a>'
        ),
        "models/b/index.html": b'<h2 id="ok">ok</h2><a href="../a/#x">a</a><a href="../a/#x">again</a>',
        "assets/style.css": b"",
    }
    pages = {rel: links.page_links(rel, data) for rel, data in plan.items() if rel.endswith(".html")}
    ours = links.check_scanned(pages, set(plan))
    theirs = links.check_links(plan)
    assert [p.format() for p in ours] == [p.format() for p in theirs]
    assert len(theirs) == 4


LONG_LISTS = {
    "catalog index": "# Catalog\n\n## Text\n\nAbout.\n\n"
    + "".join(
        f"- [m{i}](models/m{i}/) [Beta]{{.badge .badge-beta}}\\\n  Model *{i}* with `code` and <b>.\n"
        for i in range(23)
    )
    + "\n## Next\n\ntext\n",
    "nested items": "".join(f"- item {i}\n  - sub {i}\n    more\n" for i in range(20)),
    "list then lazy text": "".join(f"- item {i}\n" for i in range(20)) + "lazy continuation\n# H\n",
    "blank line makes it loose": "".join(f"- item {i}\n" for i in range(10))
    + "\n"
    + "".join(f"- item {i}\n" for i in range(10)),
    "items inside a fence": "```\n" + "".join(f"- item {i}\n" for i in range(20)) + "```\n",
    "heading in an item": "".join(f"- item {i}\n  # Same\n" for i in range(20)),
    "reference definition": "".join(f"- [item {i}][x]\n" for i in range(20)) + "\n[x]: https://example.com\n",
}


def _whole_scan(html: str) -> tuple[frozenset[str], tuple[str, ...]]:
    ids, refs = links.scan(html.encode())
    return frozenset(ids), tuple(refs)


def _check_long(text: str) -> None:
    """Converted in parts or not, the result and its scan are those of the whole text."""
    converted, scanned = cache.convert_long(text)
    assert converted == convert(text)
    assert scanned is None or scanned == _whole_scan(converted.html)
    assert cache.convert_page(text) == convert(text)
    assert cache.convert_scanned(text) == (convert(text), _whole_scan(convert(text).html))


@pytest.mark.parametrize("case", list(LONG_LISTS))
def test_long_lists_convert_in_parts_exactly(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "LIST_CHUNK", 3)
    _check_long(LONG_LISTS[case])


def test_long_list_parts_come_with_their_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "LIST_CHUNK", 3)
    _converted, scanned = cache.convert_long(LONG_LISTS["catalog index"])
    assert scanned is not None  # converted in parts, so scanned in parts
    assert "models/m22/" in scanned[1] and "next" in scanned[0]


def test_long_list_is_really_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "LIST_CHUNK", 3)
    assert len(cache._list_cuts(LONG_LISTS["catalog index"])) == 7
    assert cache._list_cuts("".join(f"- item {i}\n" for i in range(5))) == []


@pytest.mark.parametrize("case", list(LONG_LISTS))
def test_long_lists_convert_in_parallel_parts_exactly(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalog index's pieces are converted by forked workers; joined, they are the same."""
    monkeypatch.setattr(cache, "LIST_CHUNK", 3)
    text = LONG_LISTS[case]
    with cache.pieces_with(lambda fn, texts: parallel.map_ordered(fn, texts, 2)):
        _check_long(text)


def _square_or_fail(x: int) -> int:
    if x == 13:
        raise ValueError("thirteen")
    return x * x


def test_map_ordered_keeps_order_and_reports_worker_errors() -> None:
    assert parallel.map_ordered(_square_or_fail, list(range(12)), 2) == [x * x for x in range(12)]
    with pytest.raises(ValueError, match="thirteen"):
        parallel.map_ordered(_square_or_fail, list(range(20)), 2)


def test_references_to_the_pages_own_files_are_dropped_unless_broken() -> None:
    from docs_build.links import Link, PageLinks

    own = {"models/x/index.md": b"", "models/x/index.html": b""}
    to_md = Link("index.md", "models/x/index.md", "")
    to_index = Link("../../", "index.html", "")
    broken = Link("#nope", "models/x/index.html", "nope", "no id 'nope' in models/x/index.html")
    found = PageLinks(frozenset({"a"}), (to_md, to_index, broken))
    assert parallel.own_links_dropped(found, own) == PageLinks(frozenset({"a"}), (to_index, broken))
    kept = PageLinks(frozenset(), (to_index,))
    assert parallel.own_links_dropped(kept, own) is kept


LAYOUTS = {
    "built-in": None,
    "prints the body twice": (
        '{% extends "builtin/page.html.j2" %}{% block content %}{{ body }}<hr>{{ body }}{% endblock %}'
    ),
    "looks at the body": (
        '{% extends "builtin/page.html.j2" %}{% block content %}'
        '{% if body|length > 10 %}<p id="long">long</p>{% endif %}{{ body }}{% endblock %}'
    ),
    "comments the body out": (
        '{% extends "builtin/page.html.j2" %}{% block content %}<!-- {{ body }} -->'
        '<a href="#gone">x</a>{% endblock %}'
    ),
    "opens a tag before it": (
        '{% extends "builtin/page.html.j2" %}{% block content %}<div data-x="1"\n{{ body }}{% endblock %}'
    ),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_scanned_model_page_is_the_page_and_its_whole_scan(tmp_path: Path, layout: str) -> None:
    """The layout rendered around the body gives the page ``model_page`` gives, and its scan is
    the whole page's, whatever the layout does with the body (then it is rendered with it)."""
    text = LAYOUTS[layout]
    if text is not None:
        (tmp_path / "templates").mkdir()
        (tmp_path / "templates" / "page.html.j2").write_text(text)
    src, problems = load_bytes(descriptor("x").encode(), tmp_path / "x.yaml", "x.yaml")
    model, more = build_model(src)
    assert model is not None, problems + more
    scanned_renderer = SiteRenderer(Config(root=tmp_path))
    for _ in range(2):  # the second time after a fallback has been remembered
        markdown, html, scanned = scanned_renderer.model_page_scanned(model)
        assert (markdown, html) == SiteRenderer(Config(root=tmp_path)).model_page(model)
        ids, refs = links.scan(html.encode())
        assert scanned == (frozenset(ids), tuple(refs))
    # Rendered around a stand-in unless the layout does more with the body than print it once.
    assert scanned_renderer._around_ok == (layout not in ("prints the body twice", "looks at the body"))


# --------------------------------------------------------------------------------------------
# Several values swapped out of a page (name, slug, title)

_SLUG_CHARS = string.ascii_letters + string.digits + "._-"
#: Slugs and titles that meet the page or the placeholders: words of the page, words inside the
#: placeholders (``build``, ``Name``), container names, digits first, a placeholder's edge.
_HOSTILE = [
    "build", "Name", "Docs", "Val1", "Ph", "zq9Docs-build", "messages", "role", "content", "json",
    "curl", "Python", "Worker", "import", "await", "const", "true", "prompt", "stream", "Beta",
    "badge", "Model", "ID", "More", "information", "license", "acme", "cf", "x", "a", "p", "h2",
    "id", "href", "class", "span", "pre", "code", "https", "run", "ai", "details", "note", "7b",
    "1.5", "-x", "x-", "huggingface.co", "example.com", "Code", "Examples", "Prompting", "Content-Type",
]  # fmt: skip


@st.composite
def _values(draw: st.DrawFn) -> tuple[str, str, str]:
    """(name, slug, title) of a model that could exist, often hostile to the swaps."""
    slug = draw(
        st.one_of(
            st.sampled_from(_HOSTILE),
            st.text(alphabet=_SLUG_CHARS, min_size=1, max_size=20),
        )
    )
    name = draw(
        st.one_of(
            st.just(f"@cf/acme/{slug}"),  # the slug is the name's suffix
            st.just(f"{slug}/acme/x"),  # ... or its prefix
            st.just(slug),
            st.sampled_from(["@cf/build/Name", "details", "7b/x", "@cf/acme/run"]),
            st.text(alphabet=_NAME_CHARS, min_size=1, max_size=30),
        )
    )
    title = draw(
        st.one_of(
            st.just(slug),
            st.just(name),
            st.sampled_from([*_HOSTILE, "@zq9Docs-build.Val2", "Ph:7", "A title", "@cf"]),
            st.text(alphabet=_NAME_CHARS + " ", min_size=1, max_size=30),
        )
    )
    return name, slug, title


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=_values(), second=_values(), lora=st.booleans())
def test_swapping_name_slug_and_title_is_exact(
    first: tuple[str, str, str], second: tuple[str, str, str], lora: bool
) -> None:
    """Whatever values two models have, each page converts and scans as if whole; the second
    page meets the first one's fragments (the same page kind), so put-backs of shared parts
    are checked too."""
    for name, slug, title in (first, second):
        try:
            model = _page_model(name, lora, slug, title)
        except AssertionError:
            continue  # not a valid descriptor (name or slug pattern, reserved slug, ...)
        values = (model.name, model.slug, model.title)
        markdown, html = _renderer().model_page(model)
        assert cache.convert_page(markdown, values) == convert(markdown)
        assert cache.scan_page(html, markdown, values) == _whole_scan(html)
        scanned_markdown, scanned_html, scanned = _renderer().model_page_scanned(model)
        assert (scanned_markdown, scanned_html) == (markdown, html)
        assert scanned == _whole_scan(html)


def test_title_and_links_of_one_org_are_converted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two models of one org differing in name and slug share their title line and link line:
    only their descriptions (and the first page's fixed lines) are converted."""
    monkeypatch.setattr(cache, "_MEMO", cache._Memo())
    monkeypatch.setattr(cache, "_TAILS", OrderedDict())
    converted: list[str] = []
    real = cache.convert
    monkeypatch.setattr(cache, "convert", lambda text: converted.append(text) or real(text))
    for slug in ("coder-2b-base-000001", "coder-2b-base-000002"):
        model = _page_model(f"@cf/qwen/{slug}", False, slug, org="qwen")
        text = _page_markdown(model.name, False, slug, org="qwen")
        assert cache.convert_page(text, (model.name, model.slug, model.title)) == real(text)
    titles = [t for t in converted if t.startswith("# ")]
    link_lines = [t for t in converted if t.startswith("[More information](")]
    assert titles == ["# @zq9Docs-build.Val1/Ph:7\n\n"]
    assert link_lines == [
        "[More information](https://huggingface.co/qwen/@zq9Docs-build.Val1/Ph:7)"
        " · [Terms and license](https://example.com/qwen/license)\n\n"
    ]


def test_a_shared_tail_needs_every_piece_to_take_its_swaps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A section whose heading holds the slug is converted with the name swapped only; the
    page below the header is then not shared under the key with both swapped, or the next
    model would get the first one's slug in that heading."""
    monkeypatch.setattr(cache, "_TAILS", OrderedDict())
    for name, slug in (("@cf/acme/alpha-1", "alpha"), ("@cf/acme/beta-1", "beta")):
        text = f"# {slug}\n\n## About {slug}\n\nRun `{name}`.\n\n## Use\n\nSee {slug}.\n"
        assert cache.convert_page(text, (name, slug)) == convert(text)
        assert cache.convert_page(text, (name, slug)) == convert(text)


def test_a_placeholder_the_markdown_makes_is_never_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entity can make a placeholder in the HTML the Markdown does not hold: the part of the
    page holding it is not shared under a swapped key, where a put-back would replace it."""
    monkeypatch.setattr(cache, "_TAILS", OrderedDict())
    for name in ("@cf/acme/one", "@cf/acme/two"):
        made = "&#64;zq9Docs-build.Name/Ph:7 and &#64;zq9Docs-build.Val1/Ph:7"
        text = f"# T\n\n## A\n\nRun `{name}`.\n\n## B\n\n{made}\n"
        for _ in range(2):
            assert cache.convert_page(text, (name, "one", "two")) == convert(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("@zq9Docs-build.Val1", "@zq9Docs-build.Val1\\/Ph:7 and sl\n"),  # inside a placeholder
        ("ab@zq9Docs", "ab@zq9Docs\\-build.Name/Ph:7 and sl `@cf/acme/n`\n"),  # ends as one begins
        ("build", "the build of `@cf/acme/n` and sl\n"),  # a word of the name's placeholder
    ],
)
def test_values_that_touch_a_placeholder_are_never_swapped(value: str, text: str) -> None:
    """Put back, such a title could complete a placeholder (here with the character after an
    escape) that the next put-back would then replace."""
    assert cache._touches_a_placeholder(value)
    values = ("@cf/acme/n", "sl", value)
    assert cache._pairs(values) == (("@cf/acme/n", cache.PLACEHOLDERS[0]), ("sl", cache.PLACEHOLDERS[1]))
    page = f"# T\n\n## A\n\n{text}\n## B\n\nmore {value}\n"
    assert cache.convert_page(page, values) == convert(page)


def test_a_single_name_is_still_one_value() -> None:
    text = _page_markdown("@cf/acme/single", False, "single")
    assert cache.convert_page(text, "@cf/acme/single") == convert(text)
    assert cache._values("@cf/acme/single") == ("@cf/acme/single",)


@pytest.mark.parametrize(
    ("values", "text"),
    [
        (("@cf/acme/n", "json"), '```json\n{"model": "@cf/acme/n"}\n```\n'),  # names the lexer
        (("@cf/acme/n", "badge"), "[Beta]{.badge .badge-beta} `@cf/acme/n`\n"),  # attributes
        (("@cf/acme/n", "sl"), "<https://x.test/sl> and <sl@x.test> `@cf/acme/n`\n"),  # autolinks
        (("@cf/acme/n", "sl", "amp"), "C:\\sl and a &amp; b `@cf/acme/n`\n"),  # escape, entity
        (("@cf/acme/n", "sl", "javascript:x"), "[go](javascript:x) `@cf/acme/n` sl\n"),  # no link
    ],
)
def test_values_the_parser_reads_unlike_a_placeholder_are_kept(values: tuple[str, ...], text: str) -> None:
    """Where markdown-it takes a value and not the placeholder (or the other way round), the
    placeholder's text would come out whole and look substitutable: such values stay."""
    page = f"# T\n\n## A\n\n{text}\n## B\n\nmore\n"
    assert cache.convert_page(page, values) == convert(page)
    html = f"<main>{convert(page).html}</main>"
    assert cache.scan_page(html, page, values) == _whole_scan(html)


_LINES = st.sampled_from(
    [
        *("", "", "Plain words here.", "**Model ID:** `@cf/acme/x`", "[More](https://example.com/x)"),
        *("# Title", "## Section", "| Property | Value |", "| --- | --- |", "| Context | 2048 |", "|x"),
        *("a | b", "---", "===", "- item", "> quote", "    code", "```", ":::", "1. one", "[x]: /y"),
        *("[Beta]{.badge .badge-beta}", "| a \\| b |", "|", "<b>", "Text |"),
    ]
)


#: Mostly lines a header may be cut between, and a few that make the cut wrong (a list or an
#: indented code block goes on across a blank line).
_NEAR_LINES = st.sampled_from(["", "", "", "Words.", "| a | b |", "| - | - |", "# T", "- item", "    code"])


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_LINES, max_size=14).map("\n".join) | st.lists(_NEAR_LINES, max_size=10).map("\n".join),
    st.sampled_from(["", "\n", "\n\n## After\n\ntext\n"]),
)
@example("Words.\n\n- item\n\n- item\n", "")
@example("| a | b |\n| - | - |\n\n    code\n\n    code\n", "")
def test_a_header_cut_into_blocks_converts_as_a_whole(lines: str, rest: str) -> None:
    """Whatever the text before the first section (paragraphs, tables, lists...), pieces join
    to the whole page's HTML."""
    text = lines + rest
    assert cache.convert_page(text) == convert(text)
    assert cache.convert_page(text, ("@cf/acme/x", "x", "Title")) == convert(text)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        (
            "**Slug:**bge-base-en-v1.5\n",
            ("@cf/baai/bge-base-en-v1.5", "bge-base-en-v1.5", "bge-base-en-v1.5"),
        ),
        ("2x*bge-base-en-v1.5*\n", ("@cf/baai/bge-base-en-v1.5", "bge-base-en-v1.5", "bge-base-en-v1.5")),
        ("Use *foo.*x here.\n", ("@cf/acme/foo", "foo", "foo.")),
        ("\\**slugx**\n", ("@cf/acme/slugx", "slugx", "slugx")),
        ("__x__slug and _slug_\n", ("@cf/acme/slug", "slug", "slug")),
    ],
)
def test_a_value_next_to_emphasis_is_not_swapped(text: str, values: tuple[str, str, str]) -> None:
    """Whether ``*``/``_`` runs open or close emphasis depends on the character beside them, and
    a placeholder starts and ends with characters of other kinds than most values."""
    for page in (text, f"# T\n\n{text}\n## S\n\n{text}"):
        assert cache.convert_page(page, values) == convert(page)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**64 - 1),
    st.integers(min_value=0, max_value=2**64 - 1),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
)
def test_a_packed_stat_unpacks_to_itself(ino: int, size: int, mtime: int) -> None:
    assert parallel.unpacked_stat(parallel.packed_stat((ino, size, mtime))) == (ino, size, mtime)
