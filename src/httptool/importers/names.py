"""Readable, unique request and variable names (``get_app_orders``, ``order_id_2``)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_NON_WORD = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z])")
#: a path segment that is an id, not a word: digits, a UUID, or a long mixed token
_ID_SEGMENT = re.compile(
    r"^(\d+|[0-9a-f-]{32,36}|(?=.*\d)[A-Za-z0-9_-]{16,}|\{[^}]*\}|\$\{[^}]*\}|:\w+)$", re.I)
MAX_NAME = 48
#: words the language reserves at a name's place (a request may not be called these)
_RESERVED = frozenset({"request", "scenario", "var", "data", "setup", "teardown", "shared",
                       "end", "if", "else", "foreach", "repeat", "parallel", "think", "use"})


def identifier(text: str, fallback: str = "x", lower: bool = True) -> str:
    """``text`` as an identifier (``[A-Za-z_][A-Za-z0-9_]*``), lower-case by default."""
    if lower:  # camelCase words apart: findPetById -> find_pet_by_id
        text = _CAMEL.sub("_", text)
    name = _NON_WORD.sub("_", text).strip("_")
    name = (name.lower() if lower else name)[:MAX_NAME].rstrip("_")
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if name in _RESERVED:
        name += "_"
    return name


def request_name(method: str, url: str) -> str:
    """Method + the path's words; id segments become ``id`` (``get_orders_id``)."""
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
    words = []
    for seg in path.split("/"):
        seg = unquote(seg)
        if not seg:
            continue
        words.append("id" if _ID_SEGMENT.match(seg) else seg)
    return identifier("_".join([method.lower(), *words]) or method.lower(), "req")


class Unique:
    """Hands out names, suffixing ``_2``, ``_3``... on a repeat (linear in the names)."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(taken or ())
        self.next: dict[str, int] = {}

    def __call__(self, name: str) -> str:
        out, n = name, self.next.get(name, 1)
        while out in self.taken:
            n += 1
            out = f"{name}_{n}"
        self.next[name] = n
        self.taken.add(out)
        return out
