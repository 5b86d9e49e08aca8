"""Unit tests for core.opening: which missed calls are not contacted, and how a recovery starts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from core.domain import (
    Attention,
    CallerFacts,
    NotContactedReason,
    Outcome,
    SendSms,
    StepStatus,
    TemplateKind,
)
from core.opening import NewCallFacts, assess_call, not_contacted
from tests.unit.fakes import CALLER, ON, kinds, opened, t

BUSINESS = frozenset({"+441134960000", "+447700900900"})
IGNORED = frozenset({"+447700900555"})
ENDED = t(0, 10)


def assess(
    raw: str | None,
    *,
    seen_at: datetime = ENDED,
    facts: NewCallFacts | None = None,
    ignore: frozenset[str] = IGNORED,
) -> NotContactedReason | None:
    return assess_call(
        caller_raw=raw,
        ended_at=ENDED,
        seen_at=seen_at,
        business_numbers=BUSINESS,
        ignore_numbers=ignore,
        facts=facts or NewCallFacts(),
        policy=ON,
    )


def test_an_ordinary_mobile_caller_is_eligible() -> None:
    assert assess(CALLER) is None
    assert assess("07700 900123") is None  # national form, normalised before comparing


@pytest.mark.parametrize(
    "raw", [None, "", "anonymous", "Restricted", "UNKNOWN", "+266696687", "client:alice", "sip:x@y"]
)
def test_a_withheld_caller_is_not_contacted_withheld(raw: str | None) -> None:
    assert assess(raw) is NotContactedReason.WITHHELD


@pytest.mark.parametrize("raw", ["12", "+44", "not a number", "+4477009001234567"])
def test_a_caller_id_that_is_not_a_possible_number_is_invalid_number(raw: str) -> None:
    assert assess(raw) is NotContactedReason.INVALID_NUMBER


def test_a_business_number_is_never_treated_as_a_caller() -> None:
    assert assess("0113 496 0000") is NotContactedReason.BUSINESS


def test_a_caller_on_the_ignore_list_is_not_contacted_ignored() -> None:
    assert assess("+447700900555") is NotContactedReason.IGNORED


def test_a_business_number_also_on_the_ignore_list_stays_business() -> None:
    both = IGNORED | {"+441134960000"}
    assert assess("+441134960000", ignore=both) is NotContactedReason.BUSINESS


def test_a_suppressed_number_is_not_contacted_suppressed() -> None:
    assert assess(CALLER, facts=NewCallFacts(number_suppressed=True)) is (
        NotContactedReason.SUPPRESSED
    )


def test_a_call_within_the_cooldown_of_the_last_contacted_recovery_is_cooldown() -> None:
    inside = NewCallFacts(last_contacted_closed_at=ENDED - timedelta(hours=23, minutes=59))
    edge = NewCallFacts(last_contacted_closed_at=ENDED - timedelta(hours=24))
    assert assess(CALLER, facts=inside) is NotContactedReason.COOLDOWN
    assert assess(CALLER, facts=edge) is None


def test_a_call_first_seen_more_than_the_catch_up_time_after_it_ended_is_too_old() -> None:
    assert assess(CALLER, seen_at=ENDED + timedelta(minutes=30)) is None
    late = ENDED + timedelta(minutes=30, seconds=1)
    assert assess(CALLER, seen_at=late) is NotContactedReason.TOO_OLD


def test_the_first_matching_reason_wins() -> None:
    everything = NewCallFacts(number_suppressed=True, last_contacted_closed_at=ENDED)
    late = ENDED + timedelta(hours=2)
    assert assess("+447700900555", seen_at=late, facts=everything) is NotContactedReason.IGNORED
    assert assess(CALLER, seen_at=late, facts=everything) is NotContactedReason.SUPPRESSED
    cooldown = NewCallFacts(last_contacted_closed_at=ENDED)
    assert assess(CALLER, seen_at=late, facts=cooldown) is NotContactedReason.COOLDOWN
    assert assess("anonymous", seen_at=late, facts=everything) is NotContactedReason.WITHHELD


@pytest.mark.parametrize(
    ("reason", "attention"),
    [
        (NotContactedReason.WITHHELD, None),
        (NotContactedReason.BUSINESS, None),
        (NotContactedReason.SUPPRESSED, Attention.SUPPRESSED),
        (NotContactedReason.COOLDOWN, Attention.COOLDOWN),
        (NotContactedReason.TOO_OLD, Attention.TOO_OLD),
    ],
)
def test_a_not_contacted_recovery_closes_at_once_and_some_need_a_person(
    reason: NotContactedReason, attention: Attention | None
) -> None:
    seen = ENDED + timedelta(seconds=5)
    decision = not_contacted(caller=CALLER, call_sid="CA1", ended_at=ENDED, reason=reason, now=seen)
    state = decision.state
    assert state.outcome is Outcome.NOT_CONTACTED and state.outcome_reason == reason.value
    assert state.outcome_at == ENDED and not state.is_open
    assert state.next_action_at is None and decision.effects == ()
    assert decision.events[-1].attention is attention and decision.events[-1].at == seen
    assert CALLER[-6:] not in decision.events[-1].reason


def test_start_sets_every_due_time_and_sends_what_is_already_due() -> None:
    decision = opened(ENDED, now=ENDED + timedelta(seconds=4))
    state = decision.state
    assert state.is_open and state.first_missed_at == ENDED == state.last_missed_at
    assert state.repeat_count == 1
    assert state.sms_due_at == ENDED
    assert (state.callback_nominal_at, state.callback_due_at) == (t(0, 10, 3), t(0, 10, 3))
    assert state.email_due_at == t(0, 10, 45)
    assert state.next_action_at == t(0, 10, 3)
    assert decision.effects == (SendSms(TemplateKind.IN_HOURS, None),)
    assert kinds(decision)[0] == "recovery_opened"


def test_start_skips_layer_2_at_once_when_it_cannot_run() -> None:
    facts = CallerFacts(last_no_conversation_callback_at=ENDED - timedelta(hours=1))
    decision = opened(ENDED, facts=facts, policy=replace(ON, layer3_on=False))
    assert decision.state.callback_status is StepStatus.SKIPPED
    assert decision.state.email_due_at == t(0, 10, 45)
    assert decision.state.next_action_at == t(0, 10, 45)
