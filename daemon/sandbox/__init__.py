"""Sandbox: a local emulator of the vendor APIs the daemon uses, for the demo and the tests."""

from daemon.sandbox.faults import FaultAction
from daemon.sandbox.server import Sandbox
from daemon.sandbox.twilio_state import ChildLeg

__all__ = ["ChildLeg", "FaultAction", "Sandbox"]
