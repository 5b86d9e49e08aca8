"""Entry: start the ops console (Streamlit on console/app.py), on 127.0.0.1:8501 by default.

`python run_console.py [--host H] [--port P] [--demo]`. A host beyond loopback is refused (exit 2,
one `NAME: problem` line) unless CONSOLE_PASSWORD is set in the environment or `.env`. The
database is `data/demo.db` with `--demo`, else DATABASE_URL (default `sqlite:///data/recovery.db`),
handed to the app in RECOVERY_CONSOLE_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
APP = PROJECT_ROOT / "console" / "app.py"
DEMO_DATABASE = PROJECT_ROOT / "data" / "demo.db"
URL_VARIABLE = "RECOVERY_CONSOLE_DATABASE_URL"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
EXIT_CONFIG = 2


class Refused(Exception):
    """A usage or configuration problem: one `NAME: problem` line, exit 2."""


@dataclass(frozen=True)
class Launch:
    """The Streamlit command and the environment it runs in."""

    command: list[str]
    environment: dict[str, str]
    url: str


def build_parser() -> argparse.ArgumentParser:
    """The command line of PRODUCT.md section 8."""
    parser = argparse.ArgumentParser(
        prog="run_console.py", description="Missed-call recovery ops console (Streamlit)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port to listen on (8501)")
    parser.add_argument("--demo", action="store_true", help="open data/demo.db (the demo daemon's)")
    return parser


def prepare(argv: Sequence[str], environ: Mapping[str, str]) -> Launch:
    """Check the arguments and the environment and build the Streamlit launch; raises Refused."""
    from core.config import load_environment, resolve_database_url
    from core.config_formats import value_of

    args = build_parser().parse_args(argv)
    if not 0 < args.port < 65536:
        raise Refused(f"--port: {args.port} is not a port number (1-65535)")
    if args.demo:
        # Like the demo daemon, the demo console needs no configuration and ignores `.env`.
        environment = {k: v for k, v in environ.items() if v.strip()}
    else:
        environment, problems = load_environment(project_root=PROJECT_ROOT, environ=environ)
        if problems:
            raise Refused(str(problems[0]))
    password = value_of(environment, "CONSOLE_PASSWORD")
    if args.host not in LOOPBACK and password is None:
        raise Refused(
            f"CONSOLE_PASSWORD: required when the console listens on {args.host} "
            "(beyond 127.0.0.1); set it in the environment or .env"
        )
    if args.demo:
        url: str | None = f"sqlite:///{DEMO_DATABASE}"
    else:
        url = resolve_database_url(value_of(environment, "DATABASE_URL"), project_root=PROJECT_ROOT)
    if url is None:
        raise Refused("DATABASE_URL: not a database URL")
    child = dict(environ)
    # The console reads its display settings (time zone, poll interval) from the same
    # environment as the daemon; the demo daemon ignores RECOVERY_*, so the demo console does too.
    for name, value in environment.items():
        if name.startswith("RECOVERY_") and not args.demo:
            child.setdefault(name, value)
    if args.demo:
        child = {k: v for k, v in child.items() if not k.startswith("RECOVERY_")}
    if password is not None:
        child["CONSOLE_PASSWORD"] = password
    child[URL_VARIABLE] = url
    child["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), environ.get("PYTHONPATH", "")) if p
    )
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        args.host,
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "minimal",
    ]
    return Launch(command=command, environment=child, url=url)


def main() -> int:
    """Start Streamlit in this process's place; 2 with one line on stderr when refused."""
    try:
        launch = prepare(sys.argv[1:], os.environ)
    except Refused as refusal:
        print(refusal, file=sys.stderr)
        return EXIT_CONFIG
    except SystemExit as exit_:  # argparse: --help is 0, a usage error 2
        return exit_.code if isinstance(exit_.code, int) else EXIT_CONFIG
    # exec, not a child process: a stop signal reaches Streamlit itself, and no orphan is left.
    os.execve(launch.command[0], launch.command, launch.environment)
    return 0  # not reached


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_ROOT))
    sys.exit(main())
