"""Local JSON References (``{"$ref": "#/components/schemas/Pet"}``) inside one document.

Written here rather than taken from a library because the importers need the reference
path itself (to cut cycles while generating examples) and only local references: a
lazy proxy that hides where a value came from would make a cycle invisible.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

#: How deep references may chain before the chain is taken as a cycle.
MAX_CHAIN = 64


class RefError(Exception):
    """A reference that cannot be followed (external, or not found)."""


def lookup(root: Any, ref: str) -> Any:
    """The value at a local reference (``#/a/b~1c``)."""
    if not ref.startswith("#"):
        raise RefError(f"external reference {ref!r} (only '#/...' references are followed)")
    node = root
    for raw in [p for p in ref[1:].split("/") if p != ""]:
        key = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise RefError(f"reference {ref!r} points at nothing")
    return node


def deref(root: Any, node: Any) -> tuple[Any, list[str]]:
    """``node`` with its chain of ``$ref``s followed; returns it and the refs followed."""
    chain: list[str] = []
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in chain or len(chain) >= MAX_CHAIN:
            raise RefError(f"reference {ref!r} refers to itself")
        chain.append(ref)
        node = lookup(root, ref)
    return node, chain
