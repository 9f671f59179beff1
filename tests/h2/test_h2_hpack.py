"""engine/h2hpack.py decodes what the ``hpack`` library's encoder writes (Huffman or not,
indexed, with the dynamic table filling, evicting and resized), block after block on one
decoder as on one connection, and refuses what the RFC says is an error."""

from __future__ import annotations

import random

import pytest
from hpack import Encoder

from httptool.engine.h2hpack import DecodeError, Decoder, TooLarge


def test_a_connections_blocks_decode_as_the_library_encoded_them() -> None:
    rnd = random.Random(17)
    enc, dec = Encoder(), Decoder(64 * 1024)
    names = [b"server", b"date", b"content-type", b"x-id", b"set-cookie", b"etag"]
    for i in range(400):
        if i == 150:
            enc.header_table_size = 256  # a size update, then eviction at the smaller size
        if i == 300:
            enc.header_table_size = 4096
        headers = [(b":status", rnd.choice([b"200", b"404", b"302"]))]
        headers += [(rnd.choice(names), b"v%d" % rnd.randrange(30) * rnd.randrange(1, 20))
                    for _ in range(rnd.randrange(1, 8))]
        block = enc.encode(headers, huffman=bool(i % 3))
        assert dec.decode(block) == headers


def test_the_header_list_limit_and_bad_input_are_errors() -> None:
    enc = Encoder()
    with pytest.raises(TooLarge):
        Decoder(1000).decode(enc.encode([(b"x-big", b"a" * 2000)]))
    with pytest.raises(DecodeError):
        Decoder(1000).decode(b"\xff\x80")  # an index past both tables, truncated
    with pytest.raises(DecodeError):
        Decoder(1000).decode(b"\xbf")  # dynamic index 1 of an empty table
    with pytest.raises(DecodeError):
        Decoder(1000).decode(b"\x3f\xe2\x1f")  # a size update to 4097, over 4096


def test_a_block_seen_again_still_fills_the_table() -> None:
    # nginx's way: every response the same literals "with incremental indexing"
    dec = Decoder(64 * 1024)
    for value in (b"one", b"two", b"two", b"one"):
        block = Encoder().encode([(b":status", b"200"), (b"x-v", value)])
        assert dec.decode(block) == [(b":status", b"200"), (b"x-v", value)]
        assert dec.decode(b"\xbe") == [(b"x-v", value)]  # index 62: the newest entry
    assert dec.size == 4 * (3 + 3 + 32)


def test_a_resize_up_keeps_only_what_fitted_before_it() -> None:
    dec = Decoder(64 * 1024)
    dec.decode(b"\x3f\xe1\x01")  # size update to 256
    for value in (b"a" * 100, b"b" * 100):  # 100 + 3 + 32 each: only the newest fits 256
        dec.decode(Encoder().encode([(b"x-v", value)]))
    dec.decode(b"\x3f\xe1\x1f")  # back to 4096: "a" was evicted and does not come back
    assert dec.decode(b"\xbe") == [(b"x-v", b"b" * 100)]
    with pytest.raises(DecodeError):
        dec.decode(b"\xbf")


@pytest.mark.parametrize("table_size", [4096, 300, 120])
def test_replayed_blocks_leave_the_table_the_library_leaves(table_size: int) -> None:
    # blocks with no dynamic reference (a fresh encoder each: literals "with incremental
    # indexing", nginx's way) are memoised and their insertions replayed all at once; the
    # table must end as the library's after every block, also when one block's insertions
    # overflow the table (300) or one entry is bigger than the whole table (120)
    from hpack import Decoder as Reference

    rnd = random.Random(table_size)
    ours, ref = Decoder(64 * 1024), Reference()
    resize = Encoder()
    resize.header_table_size = table_size
    first = resize.encode([(b":status", b"200")])  # carries the size update
    assert ours.decode(first) == ref.decode(first, raw=True)
    shapes = [[(b"x-%d" % i, b"v" * rnd.randrange(1, 90)) for i in range(rnd.randrange(1, 5))]
              for _ in range(6)]
    for _ in range(300):
        headers = [(b":status", b"200"), *rnd.choice(shapes)]
        block = Encoder().encode(headers, huffman=rnd.random() < 0.5)
        assert ours.decode(block) == headers == ref.decode(block, raw=True)
        assert ours.table == list(ref.header_table.dynamic_entries)
        assert ours.size == sum(len(n) + len(v) + 32 for n, v in ours.table)
