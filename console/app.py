"""Console: the router: page config, the password gate, the shared sidebar and the navigation.

Started by `run_console.py` (which chooses the database and passes it in the environment). The
sidebar shows the daemon's health from its heartbeat row, refreshed every few seconds.
"""

from __future__ import annotations

import hmac
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

# Imported before any page runs: a click that arrives during the first script run could
# otherwise meet a half-imported pandas (ARCHITECTURE.md, traps).
import pandas as pd  # noqa: F401
import plotly.express as px  # noqa: F401
import streamlit as st

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # `streamlit run console/app.py` puts only console/ there
    sys.path.insert(0, str(PROJECT_ROOT))

from console import data  # noqa: E402
from console.app_pages import live_rows  # noqa: E402

HEALTH_REFRESH_SECONDS = 3
PAGES = Path(__file__).resolve().parent / "app_pages"


def password_gate(password: str | None) -> None:
    """Stop the script until the right password is given (when one is configured)."""
    if password is None or st.session_state.get("authenticated"):
        return
    st.title("Missed-call recovery")
    entered = st.text_input("Console password", type="password", key="password_entry")
    if entered:
        if hmac.compare_digest(entered.encode(), password.encode()):
            st.session_state["authenticated"] = True
            st.rerun()
        st.error("That is not the console password.")
    st.stop()


def _when(at: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    if at is None:
        return "never"
    local = at.astimezone(zone)
    return f"{local:%H:%M:%S} ({live_rows.age(at, now)} ago)"


@st.fragment(run_every=HEALTH_REFRESH_SECONDS)
def health_panel() -> None:
    """The daemon's health: last heartbeat, last poll, last error, configuration errors."""
    url = data.database_url()
    now = data.now_utc(url)
    zone = data.display_settings(url).zone
    health = data.daemon_health(url, now=now)
    st.subheader("Daemon")
    if health.running:
        st.success("Daemon running")
    elif health.beat_at is None:
        st.error("Daemon not running: no heartbeat yet. Start it with `python run_daemon.py`.")
    else:
        st.error(f"Daemon not running: no heartbeat for {live_rows.age(health.beat_at, now)}.")
    st.markdown(
        f"Last heartbeat: {_when(health.beat_at, zone, now)}  \n"
        f"Last poll: {_when(health.last_poll_at, zone, now)}"
    )
    if health.last_error:
        st.markdown(f"Last error ({_when(health.last_error_at, zone, now)}):")
        st.code(health.last_error, language=None, wrap_lines=True)
    else:
        st.markdown("Last error: none")
    for line in health.config_errors:
        st.warning(f"Configuration error: {line}")


def main() -> None:
    """Run one script pass: gate, sidebar, the chosen page."""
    st.set_page_config(page_title="Missed-call recovery", page_icon="📞", layout="wide")
    password_gate(data.console_password())
    try:
        url = data.database_url()
        data.engine_for(url)
    except Exception as error:  # a wrong DATABASE_URL: say so rather than show a traceback
        st.error(f"Cannot open the database: {error}")
        st.stop()
    page = st.navigation(
        [st.Page(PAGES / "live.py", title="Live", icon="📋", default=True)],
    )
    with st.sidebar:
        health_panel()
    page.run()


main()
