"""The process pool and the fragment cache change speed, never bytes.

Builds with one worker and with several must write identical trees and report identical
problems; piecewise conversion must equal whole-page conversion, also for the Markdown shapes
that make it fall back (link references, repeated anchors, fences and containers holding
``#`` lines, indented fences) and for any model name the placeholder stands in for.
"""

from __future__ import annotations

import string
from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MakeProject, RunCli, descriptor, snapshot
from docs_build import cache, links, parallel
from docs_build.config import Config
from docs_build.convert import convert
from docs_build.load import load_bytes
from docs_build.model import build_model
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


def _page_markdown(name: str, lora: bool) -> str:
    text = descriptor("x", properties={"lora": "true"} if lora else {"beta": "true"})
    text = text.replace('name: "@cf/acme/x"', f'name: "{name}"')
    src, problems = load_bytes(text.encode(), Path("x.yaml"), "x.yaml")
    model, more = build_model(src)
    assert model is not None, problems + more
    renderer = SiteRenderer(Config(root=Path("/nonexistent-project")))
    markdown, _html = renderer.model_page(model)
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
