"""Bytes carried inside ``str``: how a body, header or URL keeps the exact bytes curl sends.

A pasted command's ``$'\\xeb'`` or a raw byte in ``exec``'s argv is not text, yet the plan,
the templates and the escapers all work on ``str``. Rather than a second, bytes-typed copy of
every template, a byte that is not part of valid UTF-8 travels as the lone surrogate
U+DC80..U+DCFF (Python's ``surrogateescape``, as ``os.fsdecode`` does for file names and
argv) and turns back into that byte on the wire. Other lone surrogates (bash's
``$'\\ud83d'``, JSON's ``"\\ud83d"``) become their 3-byte form (``surrogatepass``), which is
what bash hands curl. Valid text is plain UTF-8, and the handler only runs on the rare
string that needs it, so encoding costs nothing extra on the hot path.
"""

from __future__ import annotations

import codecs

WIRE_ERRORS = "httptool-wire"


def _handler(err: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    out = bytearray()
    for ch in err.object[err.start : err.end]:
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:
            out.append(cp - 0xDC00)
        elif 0xD800 <= cp <= 0xDFFF:
            out += ch.encode("utf-8", "surrogatepass")
        else:
            raise err
    return bytes(out), err.end


codecs.register_error(WIRE_ERRORS, _handler)


def to_wire(text: str) -> bytes:
    """The bytes ``text`` stands for (UTF-8; escaped bytes and lone surrogates as above)."""
    return text.encode("utf-8", WIRE_ERRORS)


def from_wire(raw: bytes) -> str:
    """``raw`` as carried text: UTF-8 where it is valid, each other byte escaped."""
    return raw.decode("utf-8", "surrogateescape")


def raw_byte(b: int) -> str:
    """The carried form of one byte (itself below 0x80, escaped above)."""
    return chr(b) if b < 0x80 else chr(0xDC00 + b)
