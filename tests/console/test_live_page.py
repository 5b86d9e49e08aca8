"""The Live page and the shared sidebar in AppTest, on a real seeded SQLite file (PRODUCT.md s6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from console import data
from core import db, settings_store
from core.domain import RecoveryState
from tests.console.conftest import APP, FULL_NUMBERS, Seeded, insert


def _run(at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _live_table(at: AppTest) -> pd.DataFrame:
    tables = [t for t in at.dataframe if (t.key or "").startswith("live_table_")]
    assert len(tables) == 1
    return tables[0].value


def _page_text(at: AppTest) -> str:
    parts = [
        str(e.value)
        for kind in ("markdown", "caption", "info", "error", "success")
        for e in getattr(at, kind)
    ]
    parts += [str(e.value) for e in at.subheader]
    return "\n".join(parts)


def _select_row(at: AppTest, row: int) -> None:
    key = next(t.key for t in at.dataframe if (t.key or "").startswith("live_table_"))
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}


def test_table_lists_open_recoveries_first_and_never_a_full_number(seeded: Seeded) -> None:
    at = _run()
    table = _live_table(at)
    assert list(table["Caller"]) == ["•••123", "Priya", "•••789", "withheld"]
    assert list(table["Outcome"]) == ["open", "open", "reached: reply", "not contacted: withheld"]
    everything = table.astype(str).to_string() + _page_text(at)
    for number in FULL_NUMBERS:
        assert number not in everything
        assert number.removeprefix("+44") not in everything


def test_repeat_caller_is_urgent_and_listed_before_older_open_ones(seeded: Seeded) -> None:
    table = _live_table(_run()).set_index("id")
    assert table.loc[seeded.urgent_id, "Repeat calls"] == 2
    assert table.loc[seeded.urgent_id, "Urgent"] == "urgent"
    assert table.loc[seeded.named_id, "Urgent"] == ""
    assert "2 open (1 urgent)" in _page_text(_run())


def test_stage_and_next_step_name_the_layer_and_its_time_in_the_business_zone(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECOVERY_TIMEZONE", "America/New_York")
    table = _live_table(_run()).set_index("id")
    due = (seeded.now + timedelta(minutes=2)).astimezone(ZoneInfo("America/New_York"))
    assert table.loc[seeded.urgent_id, "Stage"] == "callback pending"
    assert table.loc[seeded.urgent_id, "Next step"] == "place callback"
    assert table.loc[seeded.urgent_id, "When"].endswith(f"{due:%H:%M}")
    assert table.loc[seeded.named_id, "Stage"] == "SMS in flight"
    assert table.loc[seeded.reached_id, "Stage"] == "closed"
    assert table.loc[seeded.urgent_id, "Age"] == "3 min"


def test_saved_time_zone_wins_over_the_environment(
    seeded: Seeded, engine: Engine, console_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECOVERY_TIMEZONE", "America/New_York")
    with db.write_transaction(engine) as session:
        settings_store.save_setting(
            session, name="RECOVERY_TIMEZONE", value="Asia/Tokyo", at=seeded.now
        )
    assert data.display_settings(console_url).zone == ZoneInfo("Asia/Tokyo")


def test_selecting_a_recovery_shows_its_timeline_with_kind_reason_and_actor(
    seeded: Seeded,
) -> None:
    at = _run()
    _select_row(at, 0)
    _run(at)
    assert "Timeline: •••123" in [s.value for s in at.subheader]
    (timeline,) = [t.value for t in at.dataframe if not (t.key or "").startswith("live_table_")]
    assert list(timeline["Kind"]) == ["missed_call", "sms_sent", "repeat_call"]
    assert list(timeline["Actor"]) == ["daemon", "daemon", "caller"]
    assert timeline["Reason"].iloc[1] == "layer 1 SMS accepted"


def test_timeline_stays_on_the_chosen_recovery_when_a_new_call_shifts_the_rows(
    seeded: Seeded, engine: Engine
) -> None:
    at = _run()
    _select_row(at, 1)  # Priya
    _run(at)
    insert(engine, RecoveryState(caller="+447700900999", first_missed_at=datetime.now(UTC)))
    data.clear_cache()
    _run(at)
    assert list(_live_table(at)["Caller"])[:3] == ["•••123", "•••999", "Priya"]
    assert "Timeline: Priya" in [s.value for s in at.subheader]


def test_sidebar_shows_a_running_daemon_with_last_poll_and_last_error(
    seeded: Seeded, engine: Engine
) -> None:
    now = datetime.now(UTC)
    settings_store.beat(engine, at=now - timedelta(seconds=30), pid=4242, polled=True)
    settings_store.beat(
        engine, at=now, pid=4242, error="twilio: timed out", config_errors="sms: 21606 bad from"
    )
    at = _run()
    assert [s.value for s in at.sidebar.success] == ["Daemon running"]
    lines = "\n".join(m.value for m in at.sidebar.markdown)
    assert "Last poll:" in lines and "(30 s ago)" in lines
    assert [c.value for c in at.sidebar.code] == ["twilio: timed out"]
    assert any("21606" in w.value for w in at.sidebar.warning)


def test_sidebar_says_daemon_not_running_when_the_heartbeat_is_older_than_three_polls(
    seeded: Seeded, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECOVERY_POLL_SECONDS", "20")
    settings_store.beat(engine, at=datetime.now(UTC) - timedelta(seconds=65), pid=1)
    at = _run()
    assert not at.sidebar.success
    assert at.sidebar.error[0].value.startswith("Daemon not running: no heartbeat for 1 min")


def test_heartbeat_within_three_polls_counts_as_running(
    seeded: Seeded, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECOVERY_POLL_SECONDS", "20")
    settings_store.beat(engine, at=datetime.now(UTC) - timedelta(seconds=50), pid=1)
    assert [s.value for s in _run().sidebar.success] == ["Daemon running"]


def test_empty_database_says_no_missed_calls_and_that_the_daemon_is_not_running(
    console_url: str,
) -> None:
    at = _run()
    assert not [t for t in at.dataframe if (t.key or "").startswith("live_table_")]
    assert "No missed calls yet, and the daemon is not running" in at.info[0].value
    assert "no heartbeat yet" in at.sidebar.error[0].value


def test_empty_database_with_a_live_daemon_says_it_is_running(
    console_url: str, engine: Engine
) -> None:
    settings_store.beat(engine, at=datetime.now(UTC), pid=7, polled=True)
    assert "No missed calls yet. The daemon is running" in _run().info[0].value


def test_password_gate_shows_nothing_until_the_right_password(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSOLE_PASSWORD", "correct horse")
    at = _run()
    assert not at.dataframe and not at.sidebar.markdown and not at.sidebar.error
    at.text_input(key="password_entry").input("wrong horse")
    _run(at)
    assert not at.dataframe
    assert at.error[0].value == "That is not the console password."
    at.text_input(key="password_entry").input("correct horse")
    _run(at)
    assert _live_table(at)["Caller"].iloc[0] == "•••123"
    assert not at.text_input


def test_a_bad_database_url_is_reported_on_the_page_not_as_a_traceback(
    console_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(data.URL_VARIABLE, "nosuchdb://nowhere")
    at = _run()
    assert at.error[0].value.startswith("Cannot open the database")
