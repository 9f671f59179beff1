"""A deterministic example value from a JSON Schema (OpenAPI's dialect): the same schema
gives the same value every time, so an imported scenario is stable under re-import.

``example``/``examples``/``const``/``default``/``enum`` win; otherwise a value of the type
(formats honoured: date-time, email, uuid, ...), objects with their required properties
(all of them when none is required), arrays of one item. ``$ref``s are followed; a
reference already being expanded is cut (the property is left out, an array is empty).
"""

from __future__ import annotations

from typing import Any

from httptool.importers.refs import RefError, deref

MAX_DEPTH = 12
_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z", "date": "2024-01-01", "time": "00:00:00Z",
    "email": "user@example.com", "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "https://example.com/", "url": "https://example.com/", "hostname": "example.com",
    "ipv4": "192.0.2.1", "ipv6": "2001:db8::1", "password": "secret", "byte": "aGVsbG8=",
    "binary": "", "int64": 1, "int32": 1,
}


class _Cut:
    """A value left out because its schema is being expanded already (a cycle)."""


CUT = _Cut()


def _type(schema: dict[str, Any]) -> str:
    t = schema.get("type")
    if isinstance(t, list):  # 3.1: ["string", "null"]
        t = next((x for x in t if x != "null"), "null")
    if isinstance(t, str):
        return t
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


class Examples:
    """Generates examples from schemas of one document (``root`` resolves ``$ref``s)."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.problems: list[str] = []

    def of(self, schema: Any) -> Any:
        """An example for ``schema`` (None for an empty or unusable schema)."""
        value = self._value(schema, (), 0)
        return None if value is CUT else value

    def _value(self, schema: Any, stack: tuple[str, ...], depth: int) -> Any:
        try:
            node, chain = deref(self.root, schema)
        except RefError as e:
            self.problems.append(str(e))
            return None
        if any(ref in stack for ref in chain) or depth > MAX_DEPTH:
            return CUT
        stack = stack + tuple(chain)
        if not isinstance(node, dict):
            return None
        for key in ("example", "const", "default"):
            if key in node:
                return node[key]
        if isinstance(node.get("examples"), list) and node["examples"]:
            return node["examples"][0]
        if isinstance(node.get("enum"), list) and node["enum"]:
            return node["enum"][0]
        if isinstance(node.get("allOf"), list):
            merged: dict[str, Any] = {}
            for part in node["allOf"]:
                v = self._value(part, stack, depth + 1)
                if isinstance(v, dict):
                    merged.update(v)
            own = {k: v for k, v in node.items() if k != "allOf"}
            if own.get("properties"):
                v = self._value(own, stack, depth + 1)
                if isinstance(v, dict):
                    merged.update(v)
            return merged
        for key in ("oneOf", "anyOf"):
            if isinstance(node.get(key), list) and node[key]:
                return self._value(node[key][0], stack, depth + 1)
        return self._typed(node, _type(node), stack, depth)

    def _typed(self, node: dict[str, Any], kind: str, stack: tuple[str, ...],
               depth: int) -> Any:
        if kind == "object":
            props = node.get("properties") or {}
            required = [p for p in node.get("required") or [] if p in props]
            out: dict[str, Any] = {}
            for name in required or list(props):
                v = self._value(props[name], stack, depth + 1)
                if v is not CUT:
                    out[name] = v
            return out
        if kind == "array":
            item = self._value(node.get("items", {}), stack, depth + 1)
            return [] if item is CUT else [item] * max(1, int(node.get("minItems") or 1))
        if kind in ("integer", "number"):
            low = node.get("minimum", node.get("exclusiveMinimum"))
            if isinstance(low, bool) or not isinstance(low, int | float):
                low = 1
            elif "exclusiveMinimum" in node and not isinstance(node["exclusiveMinimum"], bool):
                low += 1
            return int(low) if kind == "integer" else float(low)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS:
            return _FORMATS[fmt]
        text = "string"
        min_len = node.get("minLength")
        if isinstance(min_len, int) and min_len > len(text):
            text = (text * (min_len // len(text) + 1))[:min_len]
        return text
