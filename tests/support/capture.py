"""A loopback server that records the exact bytes of each request it receives.

The oracle for wire fidelity: real curl and ``httptool exec`` send the same command to it
and the tests compare the bytes. It frames a request the way a strict server does
(Content-Length, or chunked to the last chunk); a request it cannot frame is recorded as
far as it arrived within ``idle`` seconds (a message that carries both framings, or none,
shows up that way instead of hanging the test).
"""

from __future__ import annotations

import re
import socket
import threading

from support.listener import accept_thread

_CL = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_TE_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r\n]*chunked", re.IGNORECASE)
_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class CaptureServer:
    """``with CaptureServer() as cap: ...; cap.requests`` (raw bytes, one per request)."""

    def __init__(self, idle: float = 1.0, reply: bytes = _REPLY) -> None:
        self.idle = idle
        self.reply = reply
        self.requests: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._lock = threading.Lock()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def take(self) -> list[bytes]:
        """The requests recorded so far, clearing the record."""
        with self._lock:
            out, self.requests = self.requests, []
        return out

    def __enter__(self) -> CaptureServer:
        accept_thread(self._sock, self._serve).start()  # _sock as it is now (may be wrapped)
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.close()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(self.idle)
        buf = b""
        with conn:
            while True:
                raw, buf = _read_request(conn, buf)
                if not raw:
                    return
                with self._lock:
                    self.requests.append(raw)
                try:
                    conn.sendall(self.reply)
                except OSError:
                    return


def _read_request(conn: socket.socket, buf: bytes) -> tuple[bytes, bytes]:
    """One request from ``buf`` + the socket: (its bytes, what follows it); after a
    timeout or a close, (what arrived, b"")."""
    while b"\r\n\r\n" not in buf:
        chunk = _recv(conn)
        if not chunk:
            return buf, b""
        buf += chunk
    end = buf.index(b"\r\n\r\n") + 4
    head = buf[:end]
    if _TE_CHUNKED.search(head):
        while True:
            n = _chunked_end(buf, end)
            if n is not None:
                return buf[:n], buf[n:]
            chunk = _recv(conn)
            if not chunk:
                return buf, b""
            buf += chunk
    m = _CL.search(head)
    want = end + (int(m.group(1)) if m else 0)
    while len(buf) < want:
        chunk = _recv(conn)
        if not chunk:
            return buf, b""
        buf += chunk
    return buf[:want], buf[want:]


def _chunked_end(buf: bytes, pos: int) -> int | None:
    """Where a chunked body starting at ``pos`` ends (after its trailer), or None."""
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = buf[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return len(buf)  # not chunked after all: record what arrived
        if size == 0:
            trailer_end = buf.find(b"\r\n\r\n", eol)
            if buf[eol : eol + 4] == b"\r\n\r\n":
                return eol + 4
            return None if trailer_end < 0 else trailer_end + 4
        pos = eol + 2 + size + 2
        if pos > len(buf):
            return None


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(65536)
    except OSError:
        return b""
