"""One sender: no code path sends around `daemon/sender.py` (ARCHITECTURE.md, "One sender, one
holder of credentials, one audit trail"; PRODUCT.md section 2, "One gate").

A static check over the source: the adapter's `send_sms` is called only by the sender, and the
Twilio SDK's message create only inside the adapter, so every SMS passes the gate re-check and
leaves an attempt row first.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.e2e.support import ROOT

SOURCE_DIRS = ("core", "daemon", "console")
SENDER = Path("daemon/sender.py")
ADAPTER = Path("daemon/adapters/twilio.py")
SANDBOX = Path("daemon/sandbox")


def _sources() -> list[Path]:
    found = [p for d in SOURCE_DIRS for p in (ROOT / d).rglob("*.py")]
    found += sorted(ROOT.glob("run_*.py"))
    return [p.relative_to(ROOT) for p in found if ".venv" not in p.parts]


def _calls(path: Path, name: str) -> list[int]:
    """Line numbers where `path` calls something named `name` (as `x.name(...)` or `name(...)`)."""
    tree = ast.parse((ROOT / path).read_text(), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if called == name:
            lines.append(node.lineno)
    return lines


def _is_messages_create(node: ast.Call) -> bool:
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "create"):
        return False
    owner = func.value
    return isinstance(owner, ast.Attribute) and owner.attr == "messages"


def test_the_sources_are_found() -> None:
    names = {str(p) for p in _sources()}
    assert {str(SENDER), str(ADAPTER), "run_daemon.py"} <= names


def test_only_the_sender_calls_the_adapters_send_sms() -> None:
    callers = {str(p): _calls(p, "send_sms") for p in _sources()}
    assert {path for path, lines in callers.items() if lines} == {str(SENDER)}


def test_only_the_twilio_adapter_creates_messages_through_the_sdk() -> None:
    creators = set()
    for path in _sources():
        if SANDBOX in path.parents:
            continue  # the emulator answers creates; it never makes one
        tree = ast.parse((ROOT / path).read_text(), filename=str(path))
        if any(isinstance(n, ast.Call) and _is_messages_create(n) for n in ast.walk(tree)):
            creators.add(str(path))
    assert creators == {str(ADAPTER)}


def test_the_sender_calls_send_sms_once_after_writing_the_body() -> None:
    source = (ROOT / SENDER).read_text()
    assert len(_calls(SENDER, "send_sms")) == 1
    # The body is written on the attempt row before the vendor call (crash safety).
    assert source.index("row.body = body") < source.index("self.twilio.send_sms(")
