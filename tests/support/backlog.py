"""A listener that accepts nothing while the tool runs: connects past its backlog hang.

Linux completes the handshake of ``backlog + 1`` connections into the accept queue and then
drops further SYNs, so a client's connect stays in progress (SYN retries) until it gives
up or is cancelled. The queued connections take the client's request bytes into the
kernel's receive buffer. :meth:`FullBacklog.drain`, called once the client is gone,
accepts what was queued and counts the request heads written to it: what the server
received. Loopback only.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


class FullBacklog:
    def __init__(self, backlog: int = 0) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def drain(self) -> tuple[int, int]:
        """(connections that completed, request heads they carried); closes the listener."""
        self.sock.setblocking(False)
        connections = heads = 0
        try:
            while True:
                try:
                    conn, _ = self.sock.accept()
                except BlockingIOError:
                    break
                connections += 1
                with conn:
                    heads += _read_all(conn).count(b"\r\n\r\n")  # bodiless requests
        finally:
            self.sock.close()
        return connections, heads


@contextmanager
def full_backlog_url() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a listener that never accepts: once its queue of one
    is taken, every further connect hangs (the SYNs are dropped), as against a server
    that cannot keep up. Closed on exit, nothing drained."""
    srv = FullBacklog(backlog=0)
    try:
        yield srv.base
    finally:
        srv.sock.close()


def _read_all(conn: socket.socket) -> bytes:
    conn.settimeout(0.5)
    data = b""
    try:
        while chunk := conn.recv(65536):
            data += chunk
    except OSError:  # a timeout (the client is still there) or a reset: what came is all
        pass
    return data
