"""HTTP/2 frames a client sends, built with ``struct`` (RFC 9113 §4.1, §6), and request
header blocks in HPACK without dynamic state (RFC 7541).

Request header blocks use only the static table: a full match is one indexed byte, a
known name is a literal *without indexing* on its static index, anything else a literal
with a literal name; no Huffman. Nothing is added to a dynamic table, so a block depends
on nothing but the header list and is encoded once per request shape (:func:`encode`
memoises it). The connection's first block starts with a table size update to 0, so our
encoder's table is empty whatever the server's SETTINGS_HEADER_TABLE_SIZE becomes.
"""

from __future__ import annotations

import struct

from hpack.table import HeaderTable

Headers = list[tuple[bytes, bytes]]

FRAME_HEAD = struct.Struct(">BHBBL")  # length (24 bits as 8 + 16), type, flags, stream
_U32 = struct.Struct(">L")
_SETTING = struct.Struct(">HL")

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, \
    WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#: a dynamic table size update to 0 (RFC 7541 §6.3), first in the connection's first block
TABLE_SIZE_ZERO = b"\x20"

_FULL: dict[tuple[bytes, bytes], int] = {}
_NAME: dict[bytes, int] = {}
for _i, (_n, _v) in enumerate(HeaderTable.STATIC_TABLE, 1):
    _FULL.setdefault((_n, _v), _i)
    _NAME.setdefault(_n, _i)
_blocks: dict[tuple[tuple[bytes, bytes], ...], bytes] = {}
_BLOCKS_LIMIT = 10_000


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    n = len(payload)
    return FRAME_HEAD.pack(n >> 16, n & 0xFFFF, kind, flags, stream) + payload


def settings(pairs: dict[int, int]) -> bytes:
    return frame(SETTINGS, 0, 0, b"".join(_SETTING.pack(k, v) for k, v in pairs.items()))


def parse_settings(payload: bytes) -> list[tuple[int, int]]:
    return [_SETTING.unpack_from(payload, i) for i in range(0, len(payload) - 5, 6)]


def window_update(stream: int, increment: int) -> bytes:
    return frame(WINDOW_UPDATE, 0, stream, _U32.pack(increment))


def rst_stream(stream: int, code: int) -> bytes:
    return frame(RST_STREAM, 0, stream, _U32.pack(code))


def goaway(last_stream: int, code: int) -> bytes:
    return frame(GOAWAY, 0, 0, _U32.pack(last_stream) + _U32.pack(code))


def u32(payload: bytes, at: int = 0) -> int:
    return int(_U32.unpack_from(payload, at)[0])


def headers_frames(stream: int, block: bytes, end_stream: bool, max_frame: int) -> bytes:
    """HEADERS (and CONTINUATION when ``block`` is over the server's frame size)."""
    flags = END_STREAM if end_stream else 0
    if len(block) <= max_frame:
        return frame(HEADERS, flags | END_HEADERS, stream, block)
    parts = [block[i:i + max_frame] for i in range(0, len(block), max_frame)]
    out = [frame(HEADERS, flags, stream, parts[0])]
    out += [frame(CONTINUATION, 0, stream, p) for p in parts[1:-1]]
    out.append(frame(CONTINUATION, END_HEADERS, stream, parts[-1]))
    return b"".join(out)


def encode(headers: Headers) -> bytes:
    """The HPACK block of ``headers`` (static table only), memoised per header list."""
    key = tuple(headers)
    block = _blocks.get(key)
    if block is None:
        block = b"".join(_field(n, v) for n, v in headers)
        if len(_blocks) >= _BLOCKS_LIMIT:
            _blocks.clear()
        _blocks[key] = block
    return block


def _field(name: bytes, value: bytes) -> bytes:
    full = _FULL.get((name, value))
    if full is not None:
        return _int(full, 7, 0x80)
    idx = _NAME.get(name)
    head = _int(idx, 4, 0x00) if idx is not None else b"\x00" + _int(len(name), 7, 0) + name
    return head + _int(len(value), 7, 0) + value


def _int(n: int, prefix: int, first: int) -> bytes:
    """An HPACK integer with a ``prefix``-bit prefix (RFC 7541 §5.1)."""
    top = (1 << prefix) - 1
    if n < top:
        return bytes((first | n,))
    out = bytearray((first | top,))
    n -= top
    while n >= 128:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)
