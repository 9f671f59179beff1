"""Reads decrypted TLS data into one buffer per thread, not a fresh 256 KiB per read.

asyncio's and uvloop's TLS transports give a plain ``Protocol`` the bytes returned by
``SSLObject.read(256 KiB)``: each read allocates 256 KiB (over glibc's mmap threshold, so
an mmap and a munmap) to return the few hundred bytes of a response. Measured here: 21 µs
per 60-byte record that way against 2.5 µs with ``read(n, buffer)``, which the transports
use for a ``BufferedProtocol`` (docs/benchmarks.md, "TLS reads"). :class:`TlsReader`
gives the connection protocols that second form without changing them: it copies what
was read out of the shared buffer and calls their ``data_received``.
"""

from __future__ import annotations

import asyncio
import threading

#: what one read may fill (the transports' own read size)
READ_SIZE = 256 * 1024
_local = threading.local()


def _buffer() -> memoryview:
    """This thread's read buffer: a transport fills it and hands it back in the same
    callback, so one per thread (an event loop per thread at most) is never shared."""
    try:
        return _local.view
    except AttributeError:
        view = _local.view = memoryview(bytearray(READ_SIZE))
        return view


class TlsReader(asyncio.BufferedProtocol):
    """The TLS transport's protocol in front of ``proto`` (an HTTP/1.1 or HTTP/2
    connection), which still sees ``data_received`` and the other callbacks."""

    __slots__ = ("_deliver", "_view", "proto")

    def __init__(self, proto: asyncio.Protocol) -> None:
        self.proto = proto
        self._deliver = proto.data_received
        self._view = _buffer()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self._deliver(self._view[:nbytes].tobytes())

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.proto.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.proto.connection_lost(exc)

    def eof_received(self) -> bool | None:
        return self.proto.eof_received()

    def pause_writing(self) -> None:
        self.proto.pause_writing()

    def resume_writing(self) -> None:
        self.proto.resume_writing()
