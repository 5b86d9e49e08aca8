"""The demo's caller simulator on a sandbox, for the simulator tests: built on our two lines and
SMS number, and played a (simulated) second at a time as the demo's thread plays it."""

from __future__ import annotations

from typing import Any

from daemon.sandbox import Sandbox
from daemon.sandbox.simulator import CallerSimulator
from tests.integration.conftest import OUR_LINE, OUR_SMS_NUMBER
from tests.sandbox_support import ManualClock

OTHER_LINE = "+442079460001"
LINES = (OUR_LINE, OTHER_LINE)


def simulator_on(sandbox: Sandbox, clock: Any, seed: int = 7, **options: Any) -> CallerSimulator:
    """A caller simulator on `sandbox` and `clock`, seeded so that a run can be replayed."""
    return CallerSimulator(
        sandbox=sandbox,
        business_numbers=LINES,
        sms_from=OUR_SMS_NUMBER,
        clock=clock,
        seed=seed,
        **options,
    )


def play_for(simulator: CallerSimulator, clock: ManualClock, seconds: int) -> None:
    """Step once a (simulated) second, as the demo's thread does."""
    for _ in range(seconds):
        simulator.step()
        clock.advance(1)
