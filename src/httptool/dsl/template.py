"""``${...}`` interpolation syntax: split text into literal parts and references.

Used by the parser (var values, assertion values, conditions) and by the curl parser (URL,
headers, bodies). The escaping context of each reference is decided by the caller.
"""

from __future__ import annotations

import re

from httptool.dsl.diagnostics import Diagnostics
from httptool.plan import Ref, RefContext, Template

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX = re.compile(r"\[(\d+)\]")
_KEY = re.compile(r"\.([A-Za-z0-9_-]+)")  # keys after a dot may contain '-' (JSON keys)


def parse_ref_path(text: str) -> tuple[str | int, ...] | None:
    """``post.items[0].id`` -> ``("post", "items", 0, "id")``; None if malformed."""
    text = text.strip()
    m = _NAME.match(text)
    if not m:
        return None
    path: list[str | int] = [m.group(0)]
    i = m.end()
    while i < len(text):
        mi = _INDEX.match(text, i)
        if mi:
            path.append(int(mi.group(1)))
            i = mi.end()
            continue
        mk = _KEY.match(text, i)
        if mk:
            path.append(mk.group(1))
            i = mk.end()
            continue
        return None
    return tuple(path)


#: ``NAME ?? "default"`` (or ``'default'``): the default of an ``env.NAME`` reference
_DEFAULT = re.compile(r"""^(?P<ref>.*?)\?\?\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')\s*$""", re.S)


def parse_ref(inner: str) -> tuple[tuple[str | int, ...], str | None] | str:
    """The text between ``${`` and ``}``: ``(path, default)``, or the message of why it
    is not a reference. Only ``env.NAME`` takes a default (``${env.NAME ?? "x"}``):
    every other name is known when the file is compiled, so a default would hide a typo."""
    default: str | None = None
    m = _DEFAULT.match(inner)
    if m is not None:
        default = m.group("dq") if m.group("dq") is not None else m.group("sq")
        inner = m.group("ref")
    elif "??" in inner:
        return (f"invalid default in '${{{inner}}}': write ${{env.NAME ?? \"value\"}} "
                "(a quoted string)")
    path = parse_ref_path(inner)
    if path is None:
        return f"invalid variable reference '${{{inner}}}'"
    if default is not None and (path[0] != "env" or len(path) != 2):
        return (f"only env.NAME takes a default ('??'): '{inner.strip()}' is defined, "
                "extracted or bound in the file")
    return path, default


def position_at(text: str, offset: int, line: int, col: int) -> tuple[int, int]:
    """Line/column of ``text[offset]`` when ``text`` starts at ``line``/``col``."""
    before = text[:offset]
    nl = before.count("\n")
    if nl:
        return line + nl, offset - before.rfind("\n")
    return line, col + offset


def parse_template(
    text: str,
    line: int = 0,
    col: int = 0,
    ctx: RefContext = "raw",
    diags: Diagnostics | None = None,
) -> Template:
    """Split ``text`` at ``${...}``. ``$${`` is a literal ``${``.

    Malformed references are reported to ``diags`` (when given) and kept as literal text.
    """
    parts: list[str | Ref] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("$", i)
        if j < 0:
            buf.append(text[i:])
            break
        buf.append(text[i:j])
        if text.startswith("$${", j):
            buf.append("${")
            i = j + 3
            continue
        if not text.startswith("${", j):
            buf.append("$")
            i = j + 1
            continue
        end = text.find("}", j + 2)
        rl, rc = position_at(text, j, line, col)
        if end < 0:
            if diags is not None:
                diags.error("unterminated '${': missing '}'", rl, rc)
            buf.append(text[j:])
            break
        inner = text[j + 2 : end]
        parsed = parse_ref(inner)
        if isinstance(parsed, str):
            if diags is not None:
                diags.error(parsed, rl, rc)
            buf.append(text[j : end + 1])
        else:
            lit = "".join(buf)
            if lit:
                parts.append(lit)
            buf = []
            parts.append(Ref(parsed[0], inner.strip(), ctx, rl, rc, parsed[1]))
        i = end + 1
    if buf and "".join(buf):
        parts.append("".join(buf))
    # merge adjacent literals (e.g. produced by $${ escapes)
    merged: list[str | Ref] = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + p
        else:
            merged.append(p)
    return Template(tuple(merged), line, col)
