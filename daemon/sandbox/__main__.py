"""Entry: `python -m daemon.sandbox --port N` runs the sandbox until SIGTERM or Ctrl-C.

It prints one line, `sandbox listening on http://127.0.0.1:PORT`, once it is ready (so a parent
process started with `--port 0` can read the port), and serves on loopback unless told otherwise.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from daemon.sandbox.server import DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, Sandbox


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox in the foreground; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m daemon.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--twilio-account-sid",
        default=os.environ.get("SANDBOX_TWILIO_ACCOUNT_SID", DEFAULT_TWILIO_ACCOUNT_SID),
    )
    parser.add_argument(
        "--twilio-auth-token",
        default=os.environ.get("SANDBOX_TWILIO_AUTH_TOKEN", DEFAULT_TWILIO_AUTH_TOKEN),
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    sandbox = Sandbox(
        host=args.host,
        port=args.port,
        twilio_account_sid=args.twilio_account_sid,
        twilio_auth_token=args.twilio_auth_token,
    ).start()
    sys.stdout.write(f"sandbox listening on {sandbox.base_url}\n")
    sys.stdout.flush()
    try:
        done.wait()
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
