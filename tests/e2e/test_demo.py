"""`run_daemon.py --demo` in a fresh copy of the working tree: it needs no configuration, ignores
garbage in the environment and in `.env`, talks only to 127.0.0.1, and shows recoveries and SMS
within a minute, twice in a row; and the demo console shows them in a real browser."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_support import (
    CELLS,
    browser_page,
    console_served,
    free_port,
    require_chromium,
    stop,
)
from tests.e2e.support import wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 60

# Records every connection to anything but loopback, and refuses it (loaded by Python at start).
SITECUSTOMIZE = """
import ipaddress, os, socket
_real = socket.socket.connect
def _guard(sock, address):
    host = address[0] if isinstance(address, tuple) else None
    if isinstance(host, str) and host != "localhost":
        try:
            loop = ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            loop = False
        if not loop:
            with open(os.environ["NET_LOG"], "a") as log:
                log.write(f"{host}\\n")
            raise OSError("blocked by the demo test: not loopback")
    return _real(sock, address)
socket.socket.connect = _guard
"""
GARBAGE = {
    "TWILIO_ACCOUNT_SID": "not-a-sid",
    "TWILIO_AUTH_TOKEN": "garbage",
    "TWILIO_NUMBERS": "nonsense",
    "TWILIO_API_BASE": "http://203.0.113.7:9",
    "TWILIO_REGION": "ie1",
    "TWILIO_EDGE": "dublin",
    "RETELL_API_KEY": "garbage",
    "SENDGRID_API_KEY": "garbage",
    "HUBSPOT_TOKEN": "garbage",
    "DATABASE_URL": "postgresql://203.0.113.7/nowhere",
    "RECOVERY_POLL_SECONDS": "soon",
    "RECOVERY_COMPANY_NAME": "",
    "RECOVERY_PAUSED": "yes",
    "RECOVERY_ENV_FILE": "missing.env",
    "HTTPS_PROXY": "http://203.0.113.7:3128",
    "HTTP_PROXY": "http://203.0.113.7:3128",
}


def _copy_tree(destination: Path) -> Path:
    """The working tree as git sees it (tracked and new files), without .env or data."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        source = ROOT / name
        if name == ".env" or name.startswith("data/") or not source.is_file():
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (destination / "data").mkdir(exist_ok=True)
    return destination


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture(scope="module")
def guard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("guard")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return folder


def _environment(guard: Path, net_log: Path) -> dict[str, str]:
    import os

    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(guard),
        "NET_LOG": str(net_log),
        **GARBAGE,
    }


def _demo(tree: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "run_daemon.py", "--demo"],
            cwd=tree,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _count(db: Path, query: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return int(con.execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # the schema is still being created


def _run_once(tree: Path, guard: Path, tmp: Path, name: str) -> None:
    net_log, log = tmp / f"{name}.net", tmp / f"{name}.log"
    db = tree / "data" / "demo.db"
    before = db.stat().st_ino if db.exists() else None
    proc = _demo(tree, _environment(guard, net_log), log)

    def fresh_sms() -> bool:
        fresh = db.exists() and db.stat().st_ino != before
        return fresh and _count(db, "SELECT count(*) FROM attempt WHERE result = 'accepted'") > 0

    try:
        wait_for(
            fresh_sms,
            deadline=DEADLINE_S,
            what=f"an accepted SMS in the demo database ({log.read_text()[-2000:]})",
        )
        assert _count(db, "SELECT count(*) FROM recovery") > 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log.read_text()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert not net_log.exists(), f"the demo reached beyond 127.0.0.1: {net_log.read_text()}"
    assert "Traceback" not in log.read_text()


def test_demo_shows_sms_within_a_minute_with_garbage_configuration_and_only_loopback(
    tree: Path, guard: Path, tmp_path: Path
) -> None:
    assert not (tree / ".env").exists() and not (tree / "data" / "demo.db").exists()
    _run_once(tree, guard, tmp_path, "first")


def test_a_second_demo_run_keeps_the_first_database_and_starts_fresh(
    tree: Path, guard: Path, tmp_path: Path
) -> None:
    (tree / ".env").write_text("TWILIO_ACCOUNT_SID=garbage\nRECOVERY_HOURS=never\n")
    _run_once(tree, guard, tmp_path, "first")
    first = _count(tree / "data" / "demo.db", "SELECT count(*) FROM recovery")
    _run_once(tree, guard, tmp_path, "second")
    previous = tree / "data" / "demo.prev.db"
    assert _count(previous, "SELECT count(*) FROM recovery") == first


@pytest.fixture
def demo_console(tree: Path, guard: Path, tmp_path: Path) -> Iterator[str]:
    """The demo daemon and the demo console, as `make demo` starts them."""
    require_chromium()
    env = _environment(guard, tmp_path / "browser.net")
    port = free_port()
    daemon = _demo(tree, env, tmp_path / "daemon.log")
    argv = [sys.executable, "run_console.py", "--demo", "--port", str(port)]
    try:
        with console_served(argv, port, env=env, log=tmp_path / "console.log", cwd=tree) as url:
            yield url
    finally:
        stop(daemon)


def test_demo_console_in_a_real_browser_shows_a_recovery_appear(demo_console: str) -> None:
    with browser_page(demo_console) as page:
        page.locator(CELLS, has_text="•••").first.wait_for(
            state="attached", timeout=DEADLINE_S * 1000
        )
        page.get_by_text("Daemon not running").wait_for(state="detached", timeout=15_000)
        assert page.locator("[data-testid=stException]").count() == 0
        page.screenshot(path="/tmp/demo-console.png", full_page=True)
