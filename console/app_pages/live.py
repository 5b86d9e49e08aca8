"""Console: the Live page: recoveries (open first), refreshed every few seconds, and a timeline.

The table's selection is kept as a recovery id, not a row number: when a new missed call arrives
the rows shift, the table gets a new key (its highlight resets) and the timeline stays on the
recovery that was chosen, so it never silently shows someone else's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from console import data
from console.app_pages import live_rows

REFRESH_SECONDS = 3
CHOICE = "live_choice"


@dataclass(frozen=True)
class Choice:
    """The selected recovery, and the table key and rows it was read from."""

    key: str
    rows: tuple[int, ...]
    recovery_id: int | None


def table_key(ids: Sequence[int]) -> str:
    """The table's widget key: it changes whenever the rows' order or membership changes."""
    digest = hashlib.sha256(",".join(str(i) for i in ids).encode()).hexdigest()[:12]
    return f"live_table_{digest}"


def chosen_id(
    *, ids: Sequence[int], rows: Sequence[int], key: str, previous: Choice | None
) -> int | None:
    """The recovery to show: a new click wins; an unchanged table keeps the previous choice."""
    picked = ids[rows[0]] if rows and rows[0] < len(ids) else None
    if previous is None:
        return picked
    if key == previous.key:
        return previous.recovery_id if tuple(rows) == previous.rows else picked
    if picked is not None:
        return picked
    return previous.recovery_id if previous.recovery_id in ids else None


def render_timeline(url: str, recovery_id: int, *, zone: ZoneInfo, label: str) -> None:
    """The timeline of one recovery: time, kind, reason, actor (no personal data)."""
    st.subheader(f"Timeline: {label}")
    frame = data.timeline_frame(url, recovery_id, zone=zone)
    if frame.empty:
        st.caption("Nothing recorded for this recovery yet.")
        return
    st.dataframe(frame, hide_index=True, key=f"timeline_{recovery_id}")


def _empty_state(daemon_running: bool) -> None:
    if daemon_running:
        st.info(
            "No missed calls yet. The daemon is running: "
            "a missed call appears here within a few seconds."
        )
    else:
        st.info(
            "No missed calls yet, and the daemon is not running: "
            "start it with `python run_daemon.py` (or `--demo`)."
        )


def _summary(frame: pd.DataFrame) -> str:
    open_ = frame[frame["Outcome"] == "open"]
    urgent = int((open_["Urgent"] == "urgent").sum())
    closed = len(frame) - len(open_)
    return f"{len(open_)} open ({urgent} urgent) · {closed} recently closed"


@st.fragment(run_every=REFRESH_SECONDS)
def live_view() -> None:
    """The refreshed part of the page: the table and the selected recovery's timeline."""
    url = data.database_url()
    now = data.now_utc(url)
    zone = data.display_settings(url).zone
    frame = data.live_frame(url, now=now, zone=zone)
    if frame.empty:
        _empty_state(data.daemon_health(url, now=now).running)
        return
    st.caption(_summary(frame))
    ids = [int(i) for i in frame["id"]]
    key = table_key(ids)
    event = st.dataframe(
        frame,
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        column_order=live_rows.SHOWN,
        column_config={"Repeat calls": st.column_config.NumberColumn(format="%d")},
    )
    rows = tuple(event.selection.rows)
    previous = st.session_state.get(CHOICE)
    selected = chosen_id(ids=ids, rows=rows, key=key, previous=previous)
    st.session_state[CHOICE] = Choice(key=key, rows=rows, recovery_id=selected)
    if selected is None:
        st.caption("Select a row to see its timeline.")
        return
    label = str(frame.loc[frame["id"] == selected, "Caller"].iloc[0])
    render_timeline(url, selected, zone=zone, label=label)


st.title("Live")
live_view()
