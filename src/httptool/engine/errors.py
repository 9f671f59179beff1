"""Transport error kinds: a fixed, small set so metrics can count failures by kind.

Errors are values: the client never lets an exception escape a request; it returns a
:class:`~httptool.engine.http.Response` whose ``error`` is one of these kinds and whose
``reason`` is a short human sentence (shown in the verbose log and the summary).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a request got no (usable) response. Values are stable metric keys."""

    REFUSED = "refused"  # connection refused
    DNS = "dns"  # name did not resolve
    CONNECT = "connect"  # other connect failure (unreachable, ...)
    CONNECT_TIMEOUT = "connect_timeout"
    TIMEOUT = "timeout"  # total time (-m / default) exceeded
    RESET = "reset"  # connection reset by peer
    CLOSED = "closed"  # closed before or in the middle of the response
    TLS = "tls"  # handshake or certificate verification failed
    MALFORMED = "malformed"  # bad status line, bad chunk, header too large, bad encoding
    REDIRECTS = "redirects"  # more than --max-redirs
    PROXY = "proxy"  # proxy refused the CONNECT tunnel
    INVALID = "invalid"  # the request itself cannot be sent (bad URL, unsupported scheme)


#: Kinds a ``retry { on timeout }`` clause means.
TIMEOUT_KINDS = frozenset({ErrorKind.TIMEOUT, ErrorKind.CONNECT_TIMEOUT})


#: The note (PEP 678) on the CancelledError of a request cancelled before any of its bytes
#: were written (still connecting, resolving or in the TLS handshake): the server cannot
#: have received it, so it is not counted. A request counts once its bytes were written.
NOT_SENT = "httptool: cancelled before the request was written"


def cancelled_unsent(e: BaseException) -> bool:
    """Whether ``e`` (a CancelledError out of a send) carries :data:`NOT_SENT`."""
    return NOT_SENT in getattr(e, "__notes__", ())
