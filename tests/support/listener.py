"""The accept loop of the loopback test servers that serve each connection on a thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


def accept_thread(sock: socket.socket,
                  serve: Callable[[socket.socket], None]) -> threading.Thread:
    """A daemon thread (not started) that accepts on ``sock`` until it is closed and
    hands each connection to ``serve`` on a daemon thread of its own."""

    def accept() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:  # closed: the server is stopping
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    return threading.Thread(target=accept, daemon=True)
