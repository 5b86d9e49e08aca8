"""The layers of ARCHITECTURE.md, checked by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = {
    "domain",
    "observations",
    "recovery",
    "calendar",
    "phone",
    "messages",
    "classify",
    "gate",
    "callbacks",
    "opening",
    "timing",
    "hours",
    "gsm",
    "config_formats",
}
VENDOR_SDKS = {"twilio", "sendgrid", "python_http_client", "requests", "streamlit", "schedule"}
IO_MODULES = {
    "os",
    "socket",
    "sqlite3",
    "sqlalchemy",
    "sqlmodel",
    "subprocess",
    "requests",
    "urllib",
    "http",
    "pathlib",
    "io",
    "shutil",
    "time",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", _modules("core"), ids=lambda p: p.name)
def test_core_imports_no_daemon_console_or_vendor_sdk(path: Path) -> None:
    bad = {n for n in _imports(path) if _top(n) in {"daemon", "console"} | VENDOR_SDKS}
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path", [p for p in _modules("core") if p.stem in PURE], ids=lambda p: p.name
)
def test_pure_modules_do_no_io_and_read_no_clock(path: Path) -> None:
    imports = _imports(path)
    bad = {n for n in imports if _top(n) in IO_MODULES and not n.startswith("urllib.parse")}
    assert not bad, f"{path.name} imports I/O modules {sorted(bad)}"
    source = path.read_text()
    for clock in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
        assert clock not in source, f"{path.name} reads the clock with {clock}"


@pytest.mark.parametrize("path", _modules("daemon"), ids=lambda p: str(p.relative_to(ROOT)))
def test_daemon_imports_nothing_from_console(path: Path) -> None:
    assert not {n for n in _imports(path) if _top(n) == "console"}


@pytest.mark.parametrize("path", _modules("console"), ids=lambda p: str(p.relative_to(ROOT)))
def test_console_never_calls_a_vendor_or_builds_sql(path: Path) -> None:
    bad = {
        n
        for n in _imports(path)
        if _top(n) in {"daemon", "twilio", "sendgrid", "sqlalchemy", "sqlmodel", "sqlite3"}
        or n.startswith(("requests",))
    }
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize(
    "path",
    [p for p in [*_modules("core"), *_modules("daemon"), *_modules("console")] if p.stem != "db"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_db_module_is_specific_to_sqlite(path: Path) -> None:
    source = path.read_text().lower()
    for marker in ("import sqlite3", "pragma ", "begin immediate", "fcntl"):
        assert marker not in source, f"{path.relative_to(ROOT)} contains {marker!r}"


def test_every_module_opens_with_a_docstring_naming_its_layer() -> None:
    missing = []
    for path in [*_modules("core"), *_modules("daemon"), *_modules("console")]:
        if path.name == "__init__.py" and not path.read_text().strip():
            continue
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if doc.split(":")[0] not in {"Pure", "Shell", "Adapter", "Entry", "Console", "Sandbox"}:
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"modules without a layer docstring: {missing}"
