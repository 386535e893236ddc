"""The built site in a real browser (Debian chromium via Playwright), served over loopback HTTP.

The fixture catalog (tests/projects/catalog) is built once; the tests open it like a reader:
the index renders and filters by task, flag and text, the site search finds and opens a model,
a model page shows highlighted code, nothing logs a console error, and the catalog stays
complete with JavaScript off. Screenshots go to test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import TIMEOUT_MS, launch, require_chromium
from click.testing import CliRunner

from conftest import PROJECTS
from docs_build.cli import cli

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MODELS = 14  # descriptors in tests/projects/catalog/models


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the built fixture catalog, served by http.server on an ephemeral port."""
    project = tmp_path_factory.mktemp("site") / "catalog"
    shutil.copytree(PROJECTS / "catalog", project)
    result = CliRunner().invoke(
        cli, ["-C", str(project), "build", "--strict", "--date", "2025-11-01"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    handler = functools.partial(_QuietHandler, directory=str(project / "build"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = launch(pw)
        yield launched
        launched.close()


class Page:
    """A Playwright page that records console errors and failed requests."""

    def __init__(self, browser: Any, **context: Any) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"site-{name}.png"), full_page=False)


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    pages: list[Page] = []

    def make(**context: Any) -> Page:
        pages.append(Page(browser, **context))
        return pages[-1]

    yield make
    for p in pages:
        p.context.close()


def _visible_models(page: Any) -> int:
    return int(page.locator(".catalog-body li:visible").count())


def test_index_renders_and_filters(site: str, open_page: Any) -> None:
    from playwright.sync_api import expect

    p = open_page(viewport={"width": 1280, "height": 900})
    page = p.page
    page.goto(site)
    expect(page.locator("h1")).to_have_text("Model catalog")
    expect(page.locator(".catalog-tools")).to_be_visible()
    expect(page.locator(".catalog-count")).to_have_text(f"{MODELS} models")
    assert _visible_models(page) == MODELS
    p.shot("index")

    page.select_option("select[name=task]", "text-to-image")
    expect(page.locator(".catalog-count")).to_have_text(f"Showing 1 of {MODELS} models")
    expect(page.locator(".catalog-body li:visible a").first).to_have_text("stable-diffusion-xl-base-1.0")
    assert "task=text-to-image" in page.url
    page.select_option("select[name=task]", "")

    page.check("input[name=flag][value=lora]")
    expect(page.locator(".catalog-count")).to_have_text(f"Showing 1 of {MODELS} models")
    expect(page.locator(".catalog-body li:visible a").first).to_have_text("mistral-7b-instruct-v0.2-lora")
    page.uncheck("input[name=flag][value=lora]")
    page.check("input[name=flag][value=function-calling]")
    expect(page.locator(".catalog-body li:visible a").first).to_have_text("hermes-2-pro-mistral-7b")
    page.uncheck("input[name=flag][value=function-calling]")

    page.fill("input[name=q]", "bounding boxes")
    expect(page.locator(".catalog-count")).to_have_text(f"Showing 1 of {MODELS} models")
    expect(page.locator(".catalog-body li:visible a").first).to_have_text("detr-resnet-50")
    assert page.locator(".catalog-group:visible").count() == 1
    p.shot("index-filtered")

    page.fill("input[name=q]", "no such model anywhere")
    expect(page.locator(".catalog-empty")).to_be_visible()
    assert p.errors == []


def test_filters_start_from_the_url(site: str, open_page: Any) -> None:
    from playwright.sync_api import expect

    p = open_page()
    p.page.goto(site + "?task=text-generation&flags=beta")
    expect(p.page.locator("select[name=task]")).to_have_value("text-generation")
    expect(p.page.locator("input[name=flag][value=beta]")).to_be_checked()
    expect(p.page.locator(".catalog-count")).to_have_text(f"Showing 3 of {MODELS} models")
    assert p.errors == []


def test_site_search_finds_and_opens_a_model(site: str, open_page: Any) -> None:
    from playwright.sync_api import expect

    p = open_page(viewport={"width": 1280, "height": 900})
    page = p.page
    page.goto(site + "models/whisper/")
    page.keyboard.press("/")
    expect(page.locator("#site-search-input")).to_be_focused()
    page.keyboard.type("translator")
    results = page.locator(".search-results [role=option]")
    expect(results.first).to_contain_text("m2m100-1.2b")
    p.shot("search")
    page.keyboard.press("Enter")
    page.wait_for_url("**/models/m2m100-1.2b/")
    expect(page.locator("h1")).to_have_text("m2m100-1.2b")
    assert p.errors == []


def test_model_page_shows_highlighted_code(site: str, open_page: Any) -> None:
    from playwright.sync_api import expect

    p = open_page(viewport={"width": 1280, "height": 900})
    page = p.page
    page.goto(site + "models/llama-2-7b-chat-int8/")
    expect(page.locator("h1")).to_have_text("llama-2-7b-chat-int8")
    keyword = page.locator("pre code.language-js span.k").first
    expect(keyword).to_be_visible()
    colours = page.evaluate(
        """() => {
            const code = document.querySelector("pre code.language-js");
            const k = code.querySelector("span.k");
            return [getComputedStyle(code).color, getComputedStyle(k).color];
        }"""
    )
    assert colours[0] != colours[1], "keywords are not coloured"
    expect(page.locator("nav.toc a[href='#api-schema']")).to_be_visible()
    expect(page.locator("table th", has_text="Required").first).to_be_attached()
    p.shot("model")
    page.locator("details.collapsible summary").first.click()
    expect(page.locator("details.collapsible pre").first).to_be_visible()
    assert p.errors == []


def test_dark_mode_and_narrow_screen(site: str, open_page: Any) -> None:
    p = open_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = p.page
    page.goto(site + "models/hermes-2-pro-mistral-7b/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 18, 24)"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    p.shot("model-dark-mobile")
    page.click(".theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert p.errors == []


def test_catalog_is_complete_without_javascript(site: str, open_page: Any) -> None:
    p = open_page(java_script_enabled=False)
    page = p.page
    page.goto(site)
    assert page.locator(".catalog-body li").count() == MODELS
    assert _visible_models(page) == MODELS
    assert not page.locator(".catalog-tools").is_visible()
    assert not page.locator(".site-search").is_visible()


def test_404_page(site: str, open_page: Any) -> None:
    from playwright.sync_api import expect

    p = open_page()
    p.page.goto(site + "404.html")
    expect(p.page.locator("h1")).to_have_text("Page not found")
    p.page.click("a.button")
    p.page.wait_for_url(site)
    assert p.errors == []
