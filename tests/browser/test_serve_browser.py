"""``docs-build serve`` in a real browser (Debian chromium via Playwright): live reload and overlay.

The page is never reloaded by the test: every change below must arrive through the server's
event stream and the live-reload script.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import TIMEOUT_MS, launch, require_chromium

from conftest import MakeProject, descriptor
from docs_build.serve import DevServer

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page
        browser.close()


@pytest.fixture
def server(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DevServer, Path]]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    project = make_project({"tiny-chat.yaml": descriptor("tiny-chat", description="Words before the edit.")})
    dev = DevServer(project, port=0, echo=lambda text, err: None)
    dev.start()
    yield dev, project
    dev.stop()


def test_page_follows_descriptor_edits_without_manual_reload(
    browser_page: Any, server: tuple[DevServer, Path]
) -> None:
    from playwright.sync_api import expect

    dev, project = server
    page = browser_page
    page.goto(dev.url + "models/tiny-chat/")
    expect(page.locator("main")).to_contain_text("Words before the edit.")
    page.wait_for_selector("html[data-docs-build-live=connected]", state="attached")
    edited = descriptor("tiny-chat", description="Words after the edit.")
    (project / "models/tiny-chat.yaml").write_text(edited)
    expect(page.locator("main")).to_contain_text("Words after the edit.")


def test_overlay_appears_for_a_broken_file_and_clears_after_the_fix(
    browser_page: Any, server: tuple[DevServer, Path]
) -> None:
    from playwright.sync_api import expect

    dev, project = server
    page = browser_page
    page.goto(dev.url + "models/tiny-chat/")
    expect(page.locator("main")).to_contain_text("Words before the edit.")
    page.wait_for_selector("html[data-docs-build-live=connected]", state="attached")
    path = project / "models/tiny-chat.yaml"
    path.write_text('model: "<b>not bold</b>" x\n')
    overlay = page.locator("#docs-build-overlay")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("models/tiny-chat.yaml:1:")
    expect(overlay).to_contain_text("YAML syntax error")
    expect(overlay.locator("pre")).to_contain_text('model: "<b>not bold</b>" x')  # shown as text
    assert overlay.locator("b").count() == 0  # never parsed as markup
    expect(page.locator("main")).to_contain_text("Words before the edit.")  # last good page stays
    path.write_text(descriptor("tiny-chat", description="Words after the fix."))
    expect(page.locator("main")).to_contain_text("Words after the fix.")
    expect(overlay).to_have_count(0)
