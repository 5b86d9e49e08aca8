"""Test support: Debian's Chromium for Playwright, free ports, a console served and waited for,
and a page in the headless browser."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CELLS = "[data-testid=stDataFrame] [role=gridcell]"
START_DEADLINE_S = 60


def require_chromium() -> None:
    """Skip with the reason where Chromium is absent, except under CI=true or REQUIRE_BROWSER=1."""
    if CHROMIUM.exists():
        return
    required = os.environ.get("CI") == "true" or os.environ.get("REQUIRE_BROWSER") == "1"
    reason = f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)"
    if required:
        pytest.fail(f"{reason}; CI=true or REQUIRE_BROWSER=1 makes the browser test mandatory")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Poll /_stcore/health until it says ok; fail at the deadline or if the console exits."""
    deadline = time.monotonic() + START_DEADLINE_S
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:  # waits a moment for the server, and notices if it died
            code = process.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"run_console.py exited with {code}:\n{log.read_text()}")
    pytest.fail(f"console not healthy within {START_DEADLINE_S} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def console_served(
    argv: list[str], port: int, *, env: dict[str, str], log: Path, cwd: Path | None = None
) -> Iterator[str]:
    """The console started with `argv` and healthy on `port`; yields its address, then stops it."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(process, port, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(process)


@contextmanager
def browser_page(url: str) -> Iterator[Page]:
    """A 1400x900 page in headless Chromium, loaded from `url`; the browser closes afterwards."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url, wait_until="domcontentloaded")
            yield page
        finally:
            browser.close()
