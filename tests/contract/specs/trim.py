"""Make the trimmed Twilio spec the contract tests use from Twilio's full OpenAPI file.

Usage: python tests/contract/specs/trim.py SOURCE.json [OUT.json]

Keeps, unchanged, the operations the daemon uses (list and fetch calls; list, create and fetch
messages), every component schema they reference (transitively), the security scheme and the
document's header fields. Everything else is left out. The output is deterministic (sorted keys).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ACCOUNT = "/2010-04-01/Accounts/{AccountSid}"
KEEP = {
    f"{ACCOUNT}/Calls.json": ["get"],
    f"{ACCOUNT}/Calls/{{Sid}}.json": ["get"],
    f"{ACCOUNT}/Messages.json": ["get", "post"],
    f"{ACCOUNT}/Messages/{{Sid}}.json": ["get"],
}
PATH_KEYS = ["servers", "description", "x-twilio"]
DEFAULT_OUT = Path(__file__).with_name("twilio_api_v2010.json")


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    """The subset of `spec` that the contract tests validate against."""
    paths: dict[str, Any] = {}
    for path, methods in KEEP.items():
        item = spec["paths"][path]
        paths[path] = {k: item[k] for k in PATH_KEYS + methods if k in item}
    schemas = spec["components"]["schemas"]
    wanted: set[str] = set()
    todo = _refs(paths)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo |= _refs(schemas[name])
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec.get("servers", []),
        "security": spec.get("security", []),
        "paths": paths,
        "components": {
            "securitySchemes": spec["components"].get("securitySchemes", {}),
            "schemas": {name: schemas[name] for name in sorted(wanted)},
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__ or "")
        return 2
    source = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(argv[2]) if len(argv) == 3 else DEFAULT_OUT
    text = json.dumps(trim(source), indent=1, sort_keys=True, ensure_ascii=False)
    out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
