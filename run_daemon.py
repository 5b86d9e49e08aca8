"""Shell: the daemon's entry point: parse arguments, read the configuration, report, exit.

Exit codes (PRODUCT.md section 8): 0 normal stop; 1 unexpected error (one line on stderr);
2 usage or configuration error (one `NAME: problem` line per problem on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
EXIT_OK, EXIT_UNEXPECTED, EXIT_CONFIG = 0, 1, 2
CONSOLE_HINT = (
    "console: run `python run_console.py --demo` and open http://127.0.0.1:8501 "
    "(`make demo` starts both)"
)

logger = logging.getLogger("run_daemon")


def build_parser() -> argparse.ArgumentParser:
    """The command line: `run_daemon.py [--demo]` (a `kpis` subcommand comes later)."""
    parser = argparse.ArgumentParser(
        prog="run_daemon.py",
        description="Missed-call recovery daemon: polls Twilio and runs the recovery sequence.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the built-in sandbox with demo settings (no configuration needed)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the configuration, print warnings and which layers are on, and exit",
    )
    return parser


def read_saved(database_url: str) -> Mapping[str, str]:
    """The settings saved in the console, or none while the settings store is not built."""
    try:
        from core import settings_store
    except ModuleNotFoundError as error:
        if error.name != "core.settings_store":
            raise  # the store exists but something it needs is missing: a real error
        return {}
    return settings_store.read_saved(database_url)


def run(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    """Parse `argv`, read the configuration, report it; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.demo:
        from daemon.demo import run_demo

        return run_demo(project_root=PROJECT_ROOT, console_hint=CONSOLE_HINT)
    from core.config import layer_summary, load_configuration

    configuration = load_configuration(
        project_root=PROJECT_ROOT, environ=environ, read_saved=read_saved
    )
    if not configuration.ok or configuration.deployment is None:
        for problem in configuration.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    deployment = configuration.deployment

    def announce() -> None:
        for warning in configuration.warnings:
            logger.warning("%s", warning)
        for line in layer_summary(deployment):
            logger.info("%s", line)
        if deployment.layer2_on or deployment.layer3_on:
            logger.warning("layers 2 and 3 are not built yet: running as if not configured")

    if args.check:
        announce()
        return EXIT_OK
    from daemon.main import serve

    return serve(configuration, announce=announce)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # until the daemon's loop takes over: stop cleanly, exit 0


def main() -> int:
    """Run with the process's arguments and environment; never lets a traceback out."""
    signal.signal(signal.SIGTERM, _interrupt)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    try:
        return run(sys.argv[1:], dict(os.environ))
    except SystemExit as exit_:  # argparse: --help is 0, a usage error 2
        return exit_.code if isinstance(exit_.code, int) else EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception as error:
        logger.debug("unexpected error", exc_info=True)
        print(f"error: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
