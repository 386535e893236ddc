"""extras: llms.txt, sitemap.xml, 404.html and the search index, built through the CLI."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MakeProject, RunCli, descriptor
from docs_build import extras

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _project(make_project: MakeProject) -> Path:
    return make_project(
        {
            "tiny-chat.yaml": descriptor("tiny-chat", weight=1),
            "tiny-lora.yaml": descriptor("tiny-lora", properties={"lora": "true", "beta": "true"}),
            "tiny-embed.yaml": descriptor(
                "tiny-embed",
                task_name="Text Embeddings",
                task_type="text-embeddings",
                description="Vectors [link](javascript:alert(1)) " + "long " * 80,
            ),
        }
    )


def test_llms_txt_links_every_page_markdown(make_project: MakeProject, run_cli: RunCli) -> None:
    project = _project(make_project)
    assert run_cli(project, "build", "--strict").exit_code == 0
    text = (project / "build" / "llms.txt").read_text(encoding="utf-8")
    assert text.startswith("# Model catalog\n\n> 3 models in 2 tasks.")
    links = re.findall(r"(?<!\\)\]\(([^)]+)\)", text)
    assert links == [
        "index.md",
        "models/tiny-embed/index.md",
        "models/tiny-chat/index.md",
        "models/tiny-lora/index.md",
    ]
    for link in links:
        assert (project / "build" / link).is_file()
    assert "## Text Embeddings" in text and "## Text Generation" in text
    assert "\\[link\\]" in text  # descriptions are escaped Markdown


def test_sitemap_relative_without_base_url_absolute_with_it(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    project = _project(make_project)
    assert run_cli(project, "build").exit_code == 0
    root = ET.fromstring((project / "build" / "sitemap.xml").read_bytes())
    locs = [e.text for e in root.iter(f"{SITEMAP_NS}loc")]
    assert locs == ["./", "models/tiny-chat/", "models/tiny-embed/", "models/tiny-lora/"]
    assert b"set base_url" in (project / "build" / "sitemap.xml").read_bytes()

    assert run_cli(project, "build", "--base-url", "https://docs.example.com/ai/").exit_code == 0
    root = ET.fromstring((project / "build" / "sitemap.xml").read_bytes())
    locs = [e.text for e in root.iter(f"{SITEMAP_NS}loc")]
    assert locs == [
        "https://docs.example.com/ai/",
        "https://docs.example.com/ai/models/tiny-chat/",
        "https://docs.example.com/ai/models/tiny-embed/",
        "https://docs.example.com/ai/models/tiny-lora/",
    ]
    llms = (project / "build" / "llms.txt").read_text(encoding="utf-8")
    assert "(https://docs.example.com/ai/models/tiny-chat/index.md)" in llms
    not_found = (project / "build" / "404.html").read_text(encoding="utf-8")
    assert 'href="https://docs.example.com/ai/assets/style.css"' in not_found


def test_base_url_from_the_config_file(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(config='base_url = "https://models.example.org"\n')
    assert run_cli(project, "build").exit_code == 0
    assert (
        b"<loc>https://models.example.org/models/tiny-chat/</loc>"
        in (project / "build/sitemap.xml").read_bytes()
    )


def test_404_page_uses_the_layout_and_links_home(make_project: MakeProject, run_cli: RunCli) -> None:
    project = _project(make_project)
    assert run_cli(project, "build").exit_code == 0
    html = (project / "build" / "404.html").read_text(encoding="utf-8")
    assert "<title>Page not found · Model catalog</title>" in html
    assert 'href="./assets/style.css"' in html and '<a class="button" href="./">' in html


def test_search_index_is_small_json_in_catalog_order(make_project: MakeProject, run_cli: RunCli) -> None:
    project = _project(make_project)
    assert run_cli(project, "build").exit_code == 0
    data = json.loads((project / "build" / "search-index.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    pages = data["pages"]
    assert [p["title"] for p in pages] == ["tiny-embed", "tiny-chat", "tiny-lora"]
    lora = pages[2]
    assert lora == {
        "title": "tiny-lora",
        "name": "@cf/acme/tiny-lora",
        "description": "A small test model.",
        "task": "Text Generation",
        "flags": ["beta", "lora"],
        "url": "models/tiny-lora/",
    }
    assert len(pages[0]["description"]) == 200 and pages[0]["description"].endswith("\u2026")


def test_extras_are_deterministic(make_project: MakeProject, run_cli: RunCli, tmp_path: Path) -> None:
    project = _project(make_project)
    names = ("llms.txt", "sitemap.xml", "404.html", "search-index.json")
    assert run_cli(project, "build").exit_code == 0
    first = {n: (project / "build" / n).read_bytes() for n in names}
    assert run_cli(project, "build").exit_code == 0
    assert first == {n: (project / "build" / n).read_bytes() for n in names}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="a&<>\"'é;#", max_size=20))
def test_xml_escape_is_the_standard_librarys(text: str) -> None:
    from xml.sax.saxutils import escape

    from docs_build.extras import xml_escape

    assert xml_escape(text) == escape(text)


def _sitemap_url_by_url(urls: list[str], base: str) -> str:
    """The sitemap's URL lines made one URL at a time: what ``extras._url_elements`` must equal."""
    locations = [extras.xml_escape(extras._absolute(base, url) or "./") for url in urls]
    return "".join(f"  <url><loc>{loc}</loc></url>\n" for loc in locations)


@settings(max_examples=400, deadline=None)
@given(
    urls=st.lists(st.text(alphabet="ab/&<>\n.-", max_size=6), max_size=6),
    base=st.sampled_from(["", "https://x.org", "https://x.org/a&b<c>", "\n"]),
)
def test_sitemap_lines_equal_escaping_each_url(urls: list[str], base: str) -> None:
    assert extras._url_elements(urls, base) == _sitemap_url_by_url(urls, base)


def test_sitemap_lines_cover_the_cases_above() -> None:
    """The property is not vacuous: the joined path, its fallback and the root all occur."""
    assert extras._url_elements(["", "models/a/"], "") == (
        "  <url><loc>./</loc></url>\n  <url><loc>models/a/</loc></url>\n"
    )
    assert extras._url_elements(["", "m&"], "https://x") == (
        "  <url><loc>https://x/</loc></url>\n  <url><loc>https://x/m&amp;</loc></url>\n"
    )
    assert extras._url_elements(["a\nb"], "") == "  <url><loc>a\nb</loc></url>\n"
    assert extras._url_elements([], "https://x") == ""
