"""Reading an input document: bytes -> UTF-8 text -> JSON (or YAML), every failure one
located message (``FILE:LINE:COL``, the source line and a caret) instead of a traceback."""

from __future__ import annotations

import json
from typing import Any

from httptool.importers.model import ImportFailure
from httptool.inputs import read_input

#: Inputs larger than this are refused before parsing (a HAR of 10 000 entries is ~30 MB).
MAX_INPUT_BYTES = 512 * 1024 * 1024


def pointer(*parts: str | int) -> str:
    """An RFC 6901 JSON pointer (``/log/entries/3/request/url``)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _located(file: str, text: str, line: int, col: int, message: str) -> str:
    lines = text.splitlines() or [""]
    src = lines[min(line, len(lines)) - 1] if line >= 1 else ""
    if len(src) > 200:  # a minified one-line document: show the part around the column
        start = max(0, col - 100)
        src, col = src[start:start + 200], col - start
    caret = " " * max(0, col - 1) + "^"
    return f"{file}:{line}:{col}: {message}\n  {src}\n  {caret}"


def read_text(file: str) -> str:
    """The file as text; not UTF-8 is an error naming the line and column of the bad byte."""
    raw = read_input(file, None, ImportFailure, MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise ImportFailure(f"{file}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        good = raw[: e.start].decode("utf-8")
        line = good.count("\n") + 1
        col = len(good) - (good.rfind("\n") + 1) + 1
        text = raw.decode("utf-8", "replace")
        raise ImportFailure(_located(
            file, text, line, col, f"not UTF-8 text: byte 0x{raw[e.start]:02x} at offset "
            f"{e.start}")) from None


def load_json(file: str, text: str, what: str) -> Any:
    """Parse ``text`` as JSON; an error is located in the source."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportFailure(_located(
            file, text, e.lineno, e.colno, f"not JSON ({what} files are JSON): {e.msg}"
        )) from None
    except RecursionError:
        raise ImportFailure(f"{file}: JSON nested too deeply") from None


def load_json_or_yaml(file: str, text: str, what: str) -> Any:
    """JSON when it looks like JSON, else YAML (PyYAML's safe loader)."""
    if text.lstrip().startswith(("{", "[")):
        return load_json(file, text, what)
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise ImportFailure(_located(
            file, text, line, col, f"neither JSON nor valid YAML: {e.problem or e}"
        )) from None
    except yaml.YAMLError as e:
        raise ImportFailure(f"{file}: neither JSON nor valid YAML: {e}") from None


def need(obj: Any, key: str, kind: type | tuple[type, ...], file: str, at: str) -> Any:
    """``obj[key]`` of type ``kind``, else an error with the JSON pointer of the culprit."""
    where = at + pointer(key)
    if not isinstance(obj, dict) or key not in obj:
        raise ImportFailure(f"{file}: missing required field {where}")
    value = obj[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)
                                       and bool not in _tuple(kind)):
        raise ImportFailure(
            f"{file}: {where} must be {_kind_name(kind)}, found {_kind_name(type(value))}")
    return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


_NAMES = {dict: "an object", list: "an array", str: "a string", int: "a number",
          float: "a number", bool: "a boolean", type(None): "null"}


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(dict.fromkeys(_NAMES.get(k, k.__name__) for k in _tuple(kind)))
