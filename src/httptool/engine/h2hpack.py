"""HPACK decoding of response header blocks (RFC 7541), lean.

After the framer left the ``h2`` package, ``hpack.Decoder`` was half of the client's CPU
per request (bench/h2_vs_h2load.py under cProfile): Huffman decoding in pure Python for
every literal, a ``HeaderTuple`` and a DEBUG log call per field. A server sends the same
few values again and again (``nginx``, ``text/plain``, the date of this second), so this
decoder memoises Huffman strings and whole blocks that need no table state (nginx
sends the same block, with the same insertions, until the date changes), and otherwise
does only what the RFC requires: static and dynamic table lookups, insertions with
eviction, size updates, the list size limit.
The Huffman code itself is the library's (``hpack.huffman_table``), on a cache miss.
"""

from __future__ import annotations

from hpack.exceptions import HPACKDecodingError
from hpack.huffman_table import decode_huffman
from hpack.table import HeaderTable

Headers = list[tuple[bytes, bytes]]

_STATIC: tuple[tuple[bytes, bytes], ...] = tuple(HeaderTable.STATIC_TABLE)
_N_STATIC = len(_STATIC)
_HUFFMAN_LIMIT = 4096
_BLOCKS_LIMIT = 256


class DecodeError(Exception):
    """The block cannot be decoded (a connection error, COMPRESSION_ERROR)."""


class TooLarge(DecodeError):
    """The decoded header list is over the limit."""


class Decoder:
    """One connection's decoder: the server's dynamic table lives here."""

    def __init__(self, max_list: int, max_table: int = 4096) -> None:
        self.max_list = max_list
        self.max_allowed = max_table  # our SETTINGS_HEADER_TABLE_SIZE
        self.max_size = max_table  # what the server set with size updates
        self.size = 0
        self.table: list[tuple[bytes, bytes]] = []  # newest first
        self.huffman: dict[bytes, bytes] = {}
        #: blocks that depend on no table state: their list, their insertions (in order
        #: and newest first) and the size those add
        self.blocks: dict[bytes, tuple[Headers, Headers, Headers, int]] = {}
        self.pure = True

    def decode(self, data: bytes) -> Headers:
        """The header list of ``data``. A block seen before that used no dynamic table
        entry and resized nothing decodes to the same list (returned again, not to be
        mutated); its insertions are replayed so the table stays in step."""
        seen = self.blocks.get(data)
        if seen is not None:
            out, inserted, newest, grows = seen
            if grows <= self.max_size:
                # all at once: inserting them and then evicting the oldest leaves what
                # inserting them one by one leaves when none is bigger than the table
                self.table[:0] = newest
                self.size += grows
                if self.size > self.max_size:
                    self._evict()
            else:  # an entry may be bigger than the table, which then empties (§4.4)
                for name, value in inserted:
                    self._add(name, value)
            return out
        self.pure = True
        added: Headers = []
        out = self._decode(data, added)
        if self.pure:
            if len(self.blocks) >= _BLOCKS_LIMIT:
                self.blocks.clear()
            grows = sum(len(n) + len(v) + 32 for n, v in added)
            self.blocks[data] = (out, added, added[::-1], grows)
        return out

    def _decode(self, data: bytes, added: Headers) -> Headers:
        out: Headers = []
        listed = 0
        pos, end = 0, len(data)
        try:
            while pos < end:
                b = data[pos]
                if b & 0x80:  # indexed field
                    idx, pos = _int(data, pos, 7)
                    out.append(self._entry(idx))
                elif b & 0x40 or not b & 0x20:  # a literal, indexed (0x40) or not
                    index = b & 0x40
                    idx, pos = _int(data, pos, 6 if index else 4)
                    if idx:
                        name = self._entry(idx)[0]
                    else:
                        name, pos = self._string(data, pos)
                    value, pos = self._string(data, pos)
                    out.append((name, value))
                    if index:
                        self._add(name, value)
                        added.append((name, value))
                else:  # dynamic table size update
                    size, pos = _int(data, pos, 5)
                    if size > self.max_allowed:
                        raise DecodeError(f"table size update to {size}, over "
                                          f"{self.max_allowed}")
                    self.max_size = size
                    self.pure = False
                    self._evict()
                    continue
                n, v = out[-1]
                listed += len(n) + len(v) + 32
                if listed > self.max_list:
                    raise TooLarge(f"header list over {self.max_list} bytes")
        except IndexError:
            raise DecodeError("truncated header block") from None
        return out

    def _entry(self, idx: int) -> tuple[bytes, bytes]:
        if 0 < idx <= _N_STATIC:
            return _STATIC[idx - 1]
        i = idx - _N_STATIC - 1
        self.pure = False
        if idx <= 0 or i >= len(self.table):
            raise DecodeError(f"header table index {idx} out of range")
        return self.table[i]

    def _string(self, data: bytes, pos: int) -> tuple[bytes, int]:
        huffman = data[pos] & 0x80
        n, pos = _int(data, pos, 7)
        if pos + n > len(data):
            raise DecodeError("truncated header string")
        raw = data[pos:pos + n]
        pos += n
        if not huffman:
            return raw, pos
        text = self.huffman.get(raw)
        if text is None:
            try:
                text = decode_huffman(raw)
            except HPACKDecodingError as e:
                raise DecodeError(f"bad Huffman string ({e})") from None
            if len(self.huffman) >= _HUFFMAN_LIMIT:
                self.huffman.clear()
            self.huffman[raw] = text
        return text, pos

    def _add(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value) + 32
        if size > self.max_size:  # RFC 7541 §4.4: the table ends up empty
            self.table.clear()
            self.size = 0
            return
        self.table.insert(0, (name, value))
        self.size += size
        self._evict()

    def _evict(self) -> None:
        table = self.table
        while self.size > self.max_size and table:
            n, v = table.pop()
            self.size -= len(n) + len(v) + 32


def _int(data: bytes, pos: int, prefix: int) -> tuple[int, int]:
    """An HPACK integer with a ``prefix``-bit prefix at ``pos`` (RFC 7541 §5.1)."""
    top = (1 << prefix) - 1
    n = data[pos] & top
    pos += 1
    if n < top:
        return n, pos
    shift = 0
    while True:
        b = data[pos]
        pos += 1
        n += (b & 0x7F) << shift
        if not b & 0x80:
            return n, pos
        shift += 7
        if shift > 28:
            raise DecodeError("HPACK integer too long")
