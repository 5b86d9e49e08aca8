"""The Live table's rows and selection, as pure functions (PRODUCT.md s6: masked caller, stage)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from console.app_pages import live_rows
from console.app_pages.live import Choice, chosen_id, table_key
from core.domain import Outcome, RecoveryState, StepStatus

NOW = datetime(2025, 3, 30, 9, 30, tzinfo=UTC)  # the morning the clocks go forward
LONDON = ZoneInfo("Europe/London")


def _state(**changes: object) -> RecoveryState:
    base = RecoveryState(caller="+447700900123", first_missed_at=NOW - timedelta(minutes=2))
    return RecoveryState(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("+447700900123", "•••123"),
        ("+442079460001", "•••001"),
        ("anonymous", "withheld"),
        ("client:alice42", "withheld"),
        ("+12", "withheld"),
        ("", "no number"),
    ],
)
def test_numbers_are_masked_to_their_last_three_digits(number: str, shown: str) -> None:
    assert live_rows.mask_number(number) == shown


def test_a_known_first_name_is_shown_instead_of_the_number() -> None:
    assert live_rows.caller_label(_state(first_name=" Priya ")) == "Priya"


@pytest.mark.parametrize(
    ("changes", "stage"),
    [
        ({}, "SMS pending"),
        ({"sms_status": StepStatus.IN_FLIGHT}, "SMS in flight"),
        ({"sms_status": StepStatus.DONE}, "callback pending"),
        (
            {"sms_status": StepStatus.SKIPPED, "callback_status": StepStatus.ACTIVE},
            "callback active",
        ),
        (
            {"sms_status": StepStatus.DONE, "callback_status": StepStatus.EXPIRED},
            "email pending",
        ),
        (
            {
                "sms_status": StepStatus.DONE,
                "callback_status": StepStatus.DONE,
                "email_status": StepStatus.SKIPPED,
            },
            "listening for a reply",
        ),
        ({"paused": True, "sms_status": StepStatus.DONE}, "paused: callback pending"),
        ({"outcome": Outcome.EXHAUSTED}, "closed"),
    ],
)
def test_stage_names_the_first_layer_not_over_yet(changes: dict[str, object], stage: str) -> None:
    assert live_rows.stage(_state(**changes)) == stage


def test_next_step_of_a_pending_callback_is_its_due_time_in_the_business_zone() -> None:
    due = NOW + timedelta(minutes=3)  # 10:33 BST, the clocks went forward at 01:00 UTC
    row = live_rows.row(
        _state(sms_status=StepStatus.DONE, callback_due_at=due), now=NOW, zone=LONDON
    )
    assert (row["Next step"], row["When"]) == ("place callback", "10:33")


def test_next_step_on_another_day_carries_the_day() -> None:
    due = datetime(2025, 3, 31, 8, 0, tzinfo=UTC)
    when = live_rows.local_time(due, LONDON, now=NOW)
    assert when == "Mon 31 Mar 09:00"


def test_a_paused_recovery_is_held_and_an_over_one_waits_to_close_as_exhausted() -> None:
    assert live_rows.next_step(_state(paused=True)) == ("held while paused", None)
    closes = NOW + timedelta(hours=20)
    over = _state(
        sms_status=StepStatus.DONE,
        callback_status=StepStatus.SKIPPED,
        email_status=StepStatus.DONE,
        closes_at=closes,
    )
    assert live_rows.next_step(over) == ("close as exhausted", closes)


def test_urgency_needs_two_calls_and_an_open_recovery() -> None:
    assert live_rows.row(_state(repeat_count=2), now=NOW, zone=LONDON)["Urgent"] == "urgent"
    assert live_rows.row(_state(repeat_count=1), now=NOW, zone=LONDON)["Urgent"] == ""
    closed = _state(repeat_count=3, outcome=Outcome.REACHED)
    assert live_rows.row(closed, now=NOW, zone=LONDON)["Urgent"] == ""


@pytest.mark.parametrize(
    ("elapsed", "shown"),
    [
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=12, seconds=59), "12 min"),
        (timedelta(hours=3, minutes=5), "3 h 05 min"),
        (timedelta(days=2, hours=4, minutes=1), "2 d 4 h"),
        (timedelta(seconds=-5), "0 s"),
    ],
)
def test_age_is_coarse_and_never_negative(elapsed: timedelta, shown: str) -> None:
    assert live_rows.age(NOW - elapsed, NOW) == shown


def test_a_click_picks_the_recovery_under_the_clicked_row() -> None:
    key = table_key([5, 4, 3])
    assert chosen_id(ids=[5, 4, 3], rows=[1], key=key, previous=None) == 4


def test_an_unchanged_table_keeps_the_choice_and_a_cleared_selection_drops_it() -> None:
    key = table_key([5, 4, 3])
    previous = Choice(key=key, rows=(1,), recovery_id=4)
    assert chosen_id(ids=[5, 4, 3], rows=[1], key=key, previous=previous) == 4
    assert chosen_id(ids=[5, 4, 3], rows=[], key=key, previous=previous) is None


def test_rows_shifting_under_a_new_call_keep_the_chosen_recovery() -> None:
    previous = Choice(key=table_key([5, 4, 3]), rows=(1,), recovery_id=4)
    new_key = table_key([6, 5, 4, 3])
    assert new_key != previous.key
    assert chosen_id(ids=[6, 5, 4, 3], rows=[], key=new_key, previous=previous) == 4
    assert chosen_id(ids=[6, 5, 3], rows=[], key=table_key([6, 5, 3]), previous=previous) is None
