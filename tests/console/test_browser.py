"""Smoke test in a real headless Chromium: run_console.py serves the Live page and it refreshes.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright. Where it is absent the test is
skipped with the reason, except under CI=true or REQUIRE_BROWSER=1, where that is a failure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine

from core.domain import RecoveryState
from tests.browser_support import (
    CELLS,
    browser_page,
    console_served,
    free_port,
    require_chromium,
)
from tests.console.conftest import FULL_NUMBERS, insert, seed

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = Path("/tmp/console.png")

pytestmark = pytest.mark.slow


@pytest.fixture
def console(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[str]:
    """run_console.py on a free port over the seeded database; yields the page's address."""
    require_chromium()
    seed(engine, datetime.now(UTC))
    port = free_port()
    environ = {
        k: v
        for k, v in os.environ.items()
        if k != "CONSOLE_PASSWORD" and not k.startswith("RECOVERY_")
    }
    environ.update(DATABASE_URL=db_url, RECOVERY_ENV_FILE="none")
    argv = [sys.executable, str(ROOT / "run_console.py"), "--port", str(port)]
    with console_served(argv, port, env=environ, log=tmp_path / "console.log") as url:
        yield url


def _click_first_row(page: Page) -> None:
    """Tick the first row's selection box (the grid is a canvas: click by position)."""
    box = page.locator("[data-testid=stDataFrame]").first.bounding_box()
    assert box is not None
    header, row = 35, 35  # Streamlit's default header and row heights, in CSS pixels
    page.mouse.click(box["x"] + 16, box["y"] + header + row / 2)


def test_live_page_shows_the_seeded_calls_and_a_new_one_without_a_reload(
    console: str, engine: Engine
) -> None:
    with browser_page(console) as page:
        page.locator(CELLS, has_text="•••123").first.wait_for(state="attached", timeout=45_000)
        page.get_by_text("Daemon not running").first.wait_for(timeout=15_000)

        insert(engine, RecoveryState(caller="+447700900987", first_missed_at=datetime.now(UTC)))
        page.locator(CELLS, has_text="•••987").first.wait_for(state="attached", timeout=30_000)

        cells = page.locator(CELLS).all_inner_texts()
        assert "Priya" in cells
        shown = page.locator("body").inner_text() + "\n".join(cells)
        for number in (*FULL_NUMBERS, "+447700900987"):
            assert number not in shown
        _click_first_row(page)
        page.get_by_text("Timeline: •••123").wait_for(timeout=15_000)
        page.locator(CELLS, has_text="layer 1 SMS accepted").first.wait_for(
            state="attached", timeout=15_000
        )
        assert page.locator("[data-testid=stException]").count() == 0
        page.screenshot(path=str(SCREENSHOT), full_page=True)
