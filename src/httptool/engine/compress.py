"""Content-Encoding decoding for ``--compressed`` (deflate, gzip, br, zstd: what curl 7.88
asks for, in its order).

Bodies are decoded once, after the response completed, and only when the caller keeps
the body (extraction, assertions, ``exec``); a body nobody reads is counted, not decoded.
"""

from __future__ import annotations

import zlib

import brotli

from httptool.errors import HttptoolError

ACCEPT_ENCODING = "deflate, gzip, br, zstd"


class DecodeError(HttptoolError):
    pass


def decode(body: bytes, encoding: str) -> bytes:
    """``body`` decoded per the Content-Encoding list (applied in reverse order)."""
    for enc in reversed([e.strip().lower() for e in encoding.split(",") if e.strip()]):
        try:
            if enc in ("gzip", "x-gzip"):
                body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
            elif enc == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:  # some servers send raw deflate without the zlib header
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif enc == "br":
                body = brotli.decompress(body)
            elif enc == "zstd":
                body = _zstd(body)
            elif enc == "identity":
                continue
            else:
                raise DecodeError(f"unsupported Content-Encoding {enc!r}")
        except (zlib.error, brotli.error, ValueError) as e:  # zstandard.ZstdError: ValueError
            raise DecodeError(f"bad {enc} body: {e}") from None
    return body


def _zstd(body: bytes) -> bytes:
    """A zstd body; a stream decoder, since servers often leave the frame's size out.
    Imported on first use: most runs never see zstd, and start-up time counts."""
    import zstandard

    try:
        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    except zstandard.ZstdError as e:
        raise ValueError(str(e)) from None
