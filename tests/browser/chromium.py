"""How the browser tests start Debian's chromium through Playwright (shared by both suites)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
#: Root in a container needs --no-sandbox; the rest keep chromium off the (closed) network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000


def require_chromium() -> None:
    """Skip on a developer machine without chromium; in CI (CI=true) a missing browser fails."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; scripts/test.sh installs Debian's chromium")
    pytest.skip("Debian chromium is not installed (scripts/test.sh installs it)")


def launch(playwright: Any) -> Any:
    """A headless chromium from Debian, never a browser Playwright downloads."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
