"""The soak benchmark for one minute: random traffic, vendor faults, kills and restarts.

`bench/soak.py` runs the real daemon against the sandbox and checks PRODUCT.md's invariants at the
end (one SMS per caller, no missed call lost, no SMS to a landline, a withheld number or after a
STOP, no unexpected error); this test only asks for its verdict, with a fixed seed so a failure
can be replayed with `python bench/soak.py --minutes 1 --seed 7`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEED = "7"


def test_a_one_minute_soak_with_faults_and_restarts_keeps_every_invariant() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--minutes", "1", "--seed", SEED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    lines = result.stdout.splitlines()
    assert "RESULT: PASS" in lines, output[-6000:]
    restarts = next(line for line in lines if line.strip().startswith("restarts"))
    assert "SIGKILL" in restarts and "SIGTERM" in restarts, restarts
