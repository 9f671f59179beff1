"""The HTTP client: per-VU keep-alive connection pools, curl semantics, errors as values.

* :class:`ClientContext` is shared by every pool of a process: the DNS cache (each host
  resolved once per run) and the timeout watchdog.
* :class:`ConnectionPool` belongs to one VU: idle keep-alive connections per origin
  (scheme, host, port, proxy, TLS settings), reused last-in first-out, kept across
  iterations; concurrent requests (``parallel`` branches) open more connections.
* :meth:`ConnectionPool.send` runs one request with redirects (``-L``), cookies, the
  total timeout and decoding; it never raises for a transport problem — the
  :class:`~httptool.engine.http.Response` carries ``error`` and ``reason`` instead.
* :meth:`ConnectionPool.start` is the bare callback path (no redirects, cookies or
  retry) for closed-loop benchmarks.

Timeouts: ``-m/--max-time`` bounds the whole request (connect, redirects, body); without
it the bound is :data:`DEFAULT_TOTAL_TIMEOUT`. ``--connect-timeout`` bounds DNS + TCP +
proxy tunnel + TLS handshake of a new connection. Running requests are checked by one
watchdog tick every :data:`WATCHDOG_TICK` seconds rather than a timer per request (a
timer costs more than the rest of a request's Python work), so a timeout fires up to
10 ms late.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any, Protocol

from httptool.engine.compress import DecodeError, decode
from httptool.engine.connecting import CONNECTING
from httptool.engine.dns import Address, DnsCache, DnsError, connect_to, lookup
from httptool.engine.errors import NOT_SENT, ErrorKind
from httptool.engine.h2pool import H2Registry
from httptool.engine.http import HttpConnection, Response
from httptool.engine.proxy import ProxyError, TunnelProtocol, open_tunnel
from httptool.engine.request import (
    DEFAULT_TOTAL_TIMEOUT as DEFAULT_TOTAL_TIMEOUT,  # re-exported: documented here
)
from httptool.engine.request import (
    URL,
    InvalidRequest,
    PreparedRequest,
    build_request,
    parse_url,
    resolve_location,
)
from httptool.engine.tls import alpn_offer, client_context, describe_tls_error
from httptool.engine.tlsread import TlsReader

if TYPE_CHECKING:  # the HTTP/2 modules (and hpack) load with the first HTTP/2 connection
    from httptool.engine.h2conn import H2Connection

#: How often running requests are checked against their deadline (seconds).
WATCHDOG_TICK = 0.01
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_RESENDABLE = (ErrorKind.CLOSED, ErrorKind.RESET)
#: Methods a client may send again on its own (RFC 9110 §9.2.2); any other method only
#: with an ``Idempotency-Key`` header.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
#: How many new connections an HTTP/2 request the server did not process (GOAWAY,
#: REFUSED_STREAM) is tried on before it fails.
H2_MAX_TRIES = 3


class CookieJar(Protocol):
    """What the client needs from a cookie jar (see engine/cookies.py)."""

    def header_for(self, secure: bool, host: str, path: str) -> str | None: ...

    def store(self, secure: bool, host: str, path: str, set_cookie_values: list[str]) -> None:
        ...


class _ConnectFailed(Exception):
    def __init__(self, kind: ErrorKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class ClientContext:
    """Process-wide client state: DNS cache and the deadline watchdog."""

    def __init__(self, dns: DnsCache | None = None) -> None:
        self.dns = dns or DnsCache()
        #: running HTTP/1.1 connections and HTTP/2 streams (each has ``deadline``, ``resp``
        #: and ``fail``)
        self.busy: set[Any] = set()
        #: ``connections = N``: the HTTP/2 connections every pool of the process shares
        self.h2_shared: H2Registry | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def arm(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the watchdog if it is not ticking (called after a request starts)."""
        if self._timer is None or self._loop is not loop:
            self._loop = loop
            self._timer = loop.call_later(WATCHDOG_TICK, self._tick)

    def detach(self) -> None:
        """Forget the loop (its run ended); the next request re-arms on its own loop."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._loop = None

    def _tick(self) -> None:
        loop = self._loop
        assert loop is not None
        now = perf_counter_ns()
        late = [c for c in self.busy if c.deadline <= now]
        for conn in late:
            conn.fail(ErrorKind.TIMEOUT, _timeout_reason(conn))
        self._timer = loop.call_later(WATCHDOG_TICK, self._tick) if self.busy else None


def _timeout_reason(conn: HttpConnection) -> str:
    resp = conn.resp
    if resp is not None and resp.first_ns:
        return "timed out reading the response"
    return "timed out waiting for the response"


_default_context: ClientContext | None = None


def default_context() -> ClientContext:
    global _default_context
    if _default_context is None:
        _default_context = ClientContext()
    return _default_context


class ConnectionPool:
    """One VU's connections and the request logic that uses them."""

    def __init__(self, context: ClientContext | None = None, jar: Any = None) -> None:
        self.context = context or default_context()
        self.jar: CookieJar | None = jar
        #: applied to every redirect target (``--base-url-map``: a redirect to the mapped
        #: public host must not leave the machine)
        self.rewrite: Callable[[str], str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: dict[tuple, list[HttpConnection]] = {}
        self._all: set[HttpConnection] = set()
        #: HTTP/2 connections (engine/h2pool.py): this pool's own, or the process's shared
        #: ones; never in ``_idle``: a miss there is where HTTP/2 is looked for, so the
        #: HTTP/1.1 path stays as it was
        shared = self.context.h2_shared
        self._h2 = shared if shared is not None else H2Registry()
        self._h2.users += 1
        self._h1_only: set[tuple] = set()  # https origins whose server chose HTTP/1.1
        self.connections_opened = 0

    # ------------------------------------------------------------------ pool bookkeeping
    def _new_connection(self, origin: tuple) -> HttpConnection:
        """A connection that returns itself to this pool's idle list for ``origin``."""
        idle = self._idle.get(origin)
        if idle is None:
            idle = self._idle[origin] = []
        return HttpConnection(self, origin, self.context.busy, idle)

    def _lost(self, conn: HttpConnection) -> None:
        self._all.discard(conn)
        idle = conn.idle
        if idle and conn in idle:
            idle.remove(conn)

    def idle_count(self, origin: tuple | None = None) -> int:
        if origin is not None:
            return len(self._idle.get(origin, ()))
        return sum(len(v) for v in self._idle.values())

    def _take_idle(self, origin: tuple) -> HttpConnection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()  # LIFO: the warmest connection, least likely timed out
            if not conn.lost:
                return conn
        return None

    def close(self) -> None:
        """Close every connection (idle and busy) of this pool."""
        for conn in list(self._all):
            conn.fail(ErrorKind.CLOSED, "pool closed")
        h2 = self._h2
        h2.users -= 1
        if h2.users <= 0:  # shared ones stay open for the pools still running
            h2.close()
        self._all.clear()
        self._idle.clear()

    # ------------------------------------------------------------------ callback path
    def start(
        self, req: PreparedRequest, on_done: Callable[[Response], Any], keep_body: bool = False
    ) -> bool:
        """Send on an idle connection and call ``on_done(resp)`` when it completes.

        Returns False (nothing sent) when no idle connection exists for the origin; open
        one with :meth:`open` first. No redirects, cookies, decoding or retry here.
        """
        idle = self._idle.get(req.origin)
        conn = idle.pop() if idle else None  # LIFO, as _take_idle
        if conn is not None and conn.lost:
            conn = self._take_idle(req.origin)
        if conn is None:
            return False
        now = perf_counter_ns()
        conn.deadline = now + req.timeout_ns
        conn.start(Response(req.method, req.url_text, now), req.wire, on_done, keep_body,
                   req.is_head, now)
        loop = self._loop  # cached: see send()
        if loop is None or loop.is_closed():
            loop = self._loop = asyncio.get_running_loop()
        ctx = self.context
        if ctx._timer is None or ctx._loop is not loop:
            ctx.arm(loop)
        return True

    async def open(self, req: PreparedRequest) -> Response:
        """Open one connection for ``req``'s origin and leave it idle in the pool; the
        response carries the connect timings or the connect error."""
        resp = Response(req.method, req.url_text, perf_counter_ns())
        deadline = resp.start_ns + req.timeout_ns
        try:
            conn = await self._connect(req, resp, deadline)
        except _ConnectFailed as e:
            resp.error, resp.reason = e.kind, e.reason
        else:
            if isinstance(conn, HttpConnection):
                conn.idle.append(conn)
        resp.end_ns = perf_counter_ns()
        return resp

    # ------------------------------------------------------------------ full path
    async def send(
        self,
        req: PreparedRequest,
        *,
        keep_body: bool = False,
        cookies: str | None = None,
    ) -> Response:
        """Run ``req`` with curl's semantics; never raises for transport problems.

        ``cookies`` is the request's own ``-b`` string, sent with the jar's cookies.
        ``keep_body`` keeps (and decodes) the body; otherwise it is only counted.
        """
        # the loop is cached: asyncio.get_running_loop() costs a getpid() system call
        # per request on Python 3.11 (bench/engine_layers.py: ~0.2 µs)
        loop = self._loop
        if loop is None or loop.is_closed():
            loop = self._loop = asyncio.get_running_loop()
        start = perf_counter_ns()
        opts = req.options
        deadline = start + req.timeout_ns
        jar = self.jar
        wire = req.wire if jar is None and not cookies else self._wire(req, cookies)
        # First hop, inlined (the common case is one hop on a warm connection).
        idle = self._idle.get(req.origin)
        conn = idle.pop() if idle else None  # LIFO, as _take_idle
        if conn is not None and conn.lost:
            conn = self._take_idle(req.origin)
        if conn is None:
            h2 = self._h2.ready(req.origin) if self._h2 else None
            if h2 is not None:  # a stream on the origin's HTTP/2 connection (the warm case)
                resp = await self._on_h2(loop, h2, req, keep_body, deadline, cookies, 0,
                                         first=True)
            else:
                resp = await self._fresh(loop, req, wire, keep_body, deadline, cookies,
                                         first=True)
        else:
            resp = Response(req.method, req.url_text, start)
            fut: asyncio.Future[Response] = loop.create_future()
            conn.deadline = deadline
            conn.start(resp, wire, fut.set_result, keep_body, req.is_head, start)
            ctx = self.context
            if ctx._timer is None or ctx._loop is not loop:
                ctx.arm(loop)
            try:
                resp = await fut
            except asyncio.CancelledError:
                conn.on_done = None
                conn.fail(ErrorKind.CLOSED, "cancelled")
                raise
            if resp.error in _RESENDABLE and resp.bytes_received == 0 and conn.uses > 1:
                resp = await self._resend(loop, req, wire, keep_body, deadline, resp)
        if resp.error is None:
            if jar is not None:
                _store_cookies(jar, req, resp)
            if opts.follow_redirects and resp.status in REDIRECT_CODES:
                resp = await self._follow(loop, req, resp, keep_body, cookies, deadline)
            if opts.compressed and resp.body and resp.error is None:
                _decode(resp)
        resp.start_ns = start
        return resp

    def _cookie(self, req: PreparedRequest, cookies: str | None) -> str | None:
        """The Cookie value to add: the jar's cookies and the ``-b`` ones."""
        cookie = None
        jar = self.jar
        if jar is not None and not req.has_cookie_header:
            u = req.url
            cookie = jar.header_for(u.secure, u.host, u.path)
        if cookies and not req.has_cookie_header:  # curl: -H 'Cookie: ...' wins over -b
            cookie = f"{cookies}; {cookie}" if cookie else cookies
        return cookie

    def _wire(self, req: PreparedRequest, cookies: str | None) -> bytes:
        """The request bytes with a Cookie line: the jar's cookies and the ``-b`` ones."""
        cookie = self._cookie(req, cookies)
        if not cookie:
            return req.wire
        return b"".join((req.head, b"Cookie: ", cookie.encode("latin-1", "replace"), b"\r\n",
                         req.tail))

    async def _fresh(
        self,
        loop: asyncio.AbstractEventLoop,
        req: PreparedRequest,
        wire: bytes,
        keep_body: bool,
        deadline: int,
        cookies: str | None = None,
        tries: int = 0,
        first: bool = False,
    ) -> Response:
        """One request on a newly opened connection, or on the origin's HTTP/2 one.
        ``first``: no copy of it was written before (not a resend, not a redirect hop), so
        a cancel while connecting means the server got nothing: the CancelledError carries
        ``NOT_SENT`` (the VU then counts no request)."""
        origin = req.origin
        registry = self._h2
        if registry:
            try:
                h2 = await registry.pick(origin)  # may wait for another request's connect
            except asyncio.CancelledError as e:
                if first:
                    e.add_note(NOT_SENT)
                raise
            if h2 is not None:
                return await self._on_h2(loop, h2, req, keep_body, deadline, cookies, tries,
                                         first=first)
        resp = Response(req.method, req.url_text, perf_counter_ns())
        pending = None
        if origin not in self._h1_only and _may_h2(req):
            pending = registry.opening(origin, loop)
        try:
            conn = await self._connect(req, resp, deadline)
        except _ConnectFailed as e:
            resp.error, resp.reason = e.kind, e.reason
            resp.end_ns = perf_counter_ns()
            return resp
        except asyncio.CancelledError as e:
            if first:
                e.add_note(NOT_SENT)
            raise
        finally:
            if pending is not None:
                registry.opened(origin, pending)
        if not isinstance(conn, HttpConnection):
            return await self._on_h2(loop, conn, req, keep_body, deadline, cookies, tries, resp,
                                     first)
        fut: asyncio.Future[Response] = loop.create_future()
        conn.deadline = deadline
        conn.start(resp, wire, fut.set_result, keep_body, req.is_head)
        ctx = self.context
        if ctx._timer is None or ctx._loop is not loop:
            ctx.arm(loop)
        try:
            return await fut
        except asyncio.CancelledError:
            conn.on_done = None
            conn.fail(ErrorKind.CLOSED, "cancelled")
            raise

    async def _on_h2(
        self,
        loop: asyncio.AbstractEventLoop,
        conn: H2Connection,
        req: PreparedRequest,
        keep_body: bool,
        deadline: int,
        cookies: str | None,
        tries: int,
        resp: Response | None = None,
        first: bool = False,
    ) -> Response:
        """One request as a stream of ``conn``. A stream the server did not process
        (GOAWAY, REFUSED_STREAM) goes again on a new connection: a copy that was sent is
        kept in ``copies`` (counted as a request), one still queued is not a copy. A cancel
        before the stream's HEADERS went out carries ``NOT_SENT`` when ``first``, as a cancel
        during an HTTP/1.1 connect does: the server got nothing."""
        if resp is None:
            resp = Response(req.method, req.url_text, perf_counter_ns())
        fut: asyncio.Future[Response] = loop.create_future()
        st = conn.request(resp, req, self._cookie(req, cookies), fut.set_result, keep_body,
                          deadline)
        ctx = self.context
        if ctx._timer is None or ctx._loop is not loop:
            ctx.arm(loop)
        try:
            resp = await fut
        except asyncio.CancelledError as e:
            st.on_done = None
            if first and not st.sent:
                e.add_note(NOT_SENT)
            st.fail(ErrorKind.CLOSED, "cancelled")
            raise
        if not st.unprocessed:
            return resp
        if tries + 1 >= H2_MAX_TRIES:
            resp.reason += f" (gave up after {H2_MAX_TRIES} connections)"
            return resp
        if st.sent:
            why = not_resendable(req)
            if why:
                resp.reason += f" (not resent: {why})"
                return resp
        again = await self._fresh(loop, req, self._wire(req, cookies), keep_body, deadline,
                                  cookies, tries + 1)
        if st.sent:
            again.copies = [resp, *(again.copies or [])]
        elif resp.new_connection and not again.new_connection:
            again.new_connection = True  # the connection opened for it counts
            again.connect_ns, again.tls_ns = resp.connect_ns, resp.tls_ns
        return again

    async def _resend(
        self,
        loop: asyncio.AbstractEventLoop,
        req: PreparedRequest,
        wire: bytes,
        keep_body: bool,
        deadline: int,
        first: Response,
    ) -> Response:
        """``first`` went out on a reused connection that closed without a byte back (the
        server timed it out as we sent): send it again, once, on a fresh connection, if
        that is allowed; the new response keeps ``first`` in ``copies``, so the first copy
        is counted as the request the server may have received."""
        why = not_resendable(req)
        if why:
            first.reason += f" (not resent: {why})"
            return first
        resp = await self._fresh(loop, req, wire, keep_body, deadline)
        resp.copies = [first, *(resp.copies or [])]
        return resp

    async def _hop(
        self,
        loop: asyncio.AbstractEventLoop,
        req: PreparedRequest,
        keep_body: bool,
        cookies: str | None,
        deadline: int,
    ) -> Response:
        """One hop of a redirect chain, with the stale-connection resend."""
        wire = req.wire if self.jar is None and not cookies else self._wire(req, cookies)
        conn = self._take_idle(req.origin)
        if conn is None:
            return await self._fresh(loop, req, wire, keep_body, deadline, cookies)
        resp = Response(req.method, req.url_text, perf_counter_ns())
        fut: asyncio.Future[Response] = loop.create_future()
        conn.deadline = deadline
        conn.start(resp, wire, fut.set_result, keep_body, req.is_head)
        ctx = self.context
        if ctx._timer is None or ctx._loop is not loop:
            ctx.arm(loop)
        try:
            resp = await fut
        except asyncio.CancelledError:
            conn.on_done = None
            conn.fail(ErrorKind.CLOSED, "cancelled")
            raise
        if resp.error in _RESENDABLE and resp.bytes_received == 0 and conn.uses > 1:
            resp = await self._resend(loop, req, wire, keep_body, deadline, resp)
        return resp

    async def _follow(
        self,
        loop: asyncio.AbstractEventLoop,
        req: PreparedRequest,
        resp: Response,
        keep_body: bool,
        cookies: str | None,
        deadline: int,
    ) -> Response:
        """Follow ``Location`` from ``resp`` (a redirect) per ``-L``/``--max-redirs``.

        The final response carries the bytes sent and received over every hop."""
        opts = req.options
        sent, received = resp.bytes_sent, resp.bytes_received
        hops = 0
        while resp.status in REDIRECT_CODES:
            location = resp.header("location")
            if location is None:
                break
            if hops >= opts.max_redirs:
                resp.error = ErrorKind.REDIRECTS
                resp.reason = f"maximum ({opts.max_redirs}) redirects followed"
                break
            try:
                req = _redirected(req, resp.status, location, self.rewrite)
            except InvalidRequest as e:
                resp.error, resp.reason = ErrorKind.INVALID, f"bad redirect: {e}"
                break
            hops += 1
            prev = resp
            resp = await self._hop(loop, req, keep_body, cookies, deadline)
            if prev.copies is not None:
                _carry_copies(prev, resp)
            sent += resp.bytes_sent
            received += resp.bytes_received
            if resp.error is not None:
                break
            if self.jar is not None:
                _store_cookies(self.jar, req, resp)
        resp.redirects = hops
        resp.bytes_sent, resp.bytes_received = sent, received
        return resp

    # ------------------------------------------------------------------ connecting
    async def _connect(
        self, req: PreparedRequest, resp: Response, deadline: int
    ) -> HttpConnection | H2Connection:
        loop = asyncio.get_running_loop()
        opts = req.options
        remaining = (deadline - perf_counter_ns()) / 1e9
        limit = remaining
        connect_bound = False
        if opts.connect_timeout is not None and opts.connect_timeout < remaining:
            limit, connect_bound = opts.connect_timeout, True
        CONNECTING.n += 1  # the load models start no new VU while many are pending
        try:
            async with asyncio.timeout(max(limit, 0.0)):
                return await self._connect_now(loop, req, resp)
        except TimeoutError:
            if connect_bound:
                raise _ConnectFailed(ErrorKind.CONNECT_TIMEOUT,
                                     f"connect timed out after {opts.connect_timeout:g}s")
            raise _ConnectFailed(ErrorKind.TIMEOUT, "timed out while connecting")
        finally:
            CONNECTING.n -= 1

    async def _connect_now(
        self, loop: asyncio.AbstractEventLoop, req: PreparedRequest, resp: Response
    ) -> HttpConnection | H2Connection:
        url, opts = req.url, req.options
        t0 = perf_counter_ns()
        proxy, host, port, addrs = await self._where(req)
        conn: HttpConnection | H2Connection
        if not url.secure and proxy is None and opts.http in ("2", "2-prior"):
            from httptool.engine.h2conn import H2Connection as H2c  # loads on first use

            conn = H2c(self._h2, req.origin, self.context.busy)  # h2c, prior knowledge
        else:
            conn = self._new_connection(req.origin)
        tunnel = proxy is not None and url.secure
        proto: asyncio.Protocol = (TunnelProtocol() if tunnel else _Pending() if url.secure
                                   else conn)
        transport = await self._open(loop, proto, req, addrs, host, port, proxy is not None)
        t1 = perf_counter_ns()
        try:
            if tunnel:
                assert proxy is not None and isinstance(proto, TunnelProtocol)
                await open_tunnel(proto, url, proxy)
                t1 = perf_counter_ns()
            if url.secure:
                try:
                    ctx = client_context(opts.insecure, opts.cacert, opts.cert, opts.key,
                                         opts.capath, opts.tls_min, opts.tls_max,
                                         alpn_offer(opts.http))
                except (OSError, ssl.SSLError) as e:
                    raise _ConnectFailed(ErrorKind.TLS, f"TLS setup failed: {e}")
                pending = _Pending()
                tls_transport = await loop.start_tls(
                    transport, pending, ctx, server_hostname=url.host)
                if tls_transport is None:
                    raise _ConnectFailed(ErrorKind.CLOSED, "connection closed during TLS")
                conn = self._negotiated(req, conn, tls_transport)
                tls_transport.set_protocol(TlsReader(conn))
                conn.connection_made(tls_transport)
                pending.replay(conn)
        except ProxyError as e:
            transport.abort()
            raise _ConnectFailed(ErrorKind.PROXY, str(e))
        except ssl.SSLError as e:
            transport.abort()
            raise _ConnectFailed(ErrorKind.TLS, describe_tls_error(e))
        except (ConnectionError, OSError) as e:
            transport.abort()
            raise _ConnectFailed(ErrorKind.CLOSED if not isinstance(e, ConnectionResetError)
                                 else ErrorKind.RESET, f"connection lost while connecting: {e}")
        except BaseException:
            transport.abort()
            raise
        t2 = perf_counter_ns()
        resp.new_connection = True
        resp.connect_ns = t1 - t0
        resp.tls_ns = t2 - t1 if url.secure else 0
        if not isinstance(conn, HttpConnection):
            self._h2.add(conn)
        else:
            self._all.add(conn)
        self.connections_opened += 1
        return conn

    async def _where(self, req: PreparedRequest) -> tuple[URL | None, str, int, list[Address]]:
        """Where the connection goes: the proxy, or the URL's host after ``--connect-to``;
        its addresses (``--resolve``, ``-4/-6``), none for ``--unix-socket``."""
        url, opts = req.url, req.options
        proxy = None
        if opts.proxy:
            try:
                proxy = parse_url(opts.proxy)
            except InvalidRequest as e:
                raise _ConnectFailed(ErrorKind.INVALID, f"bad proxy: {e}")
        if proxy:
            host, port = proxy.host, proxy.port
        else:
            host, port = connect_to(url.host, url.port, opts.connect_to)
        try:
            addrs: list[Address] = [] if opts.unix_socket else await lookup(
                self.context.dns, host, port, opts.resolve, opts.ip_version)
        except DnsError as e:
            raise _ConnectFailed(ErrorKind.DNS, str(e))
        return proxy, host, port, addrs

    @staticmethod
    async def _open(loop: asyncio.AbstractEventLoop, proto: asyncio.Protocol,
                    req: PreparedRequest, addrs: list[Address], host: str, port: int,
                    via_proxy: bool) -> asyncio.Transport:
        """The transport of the first address that accepts (or of ``--unix-socket``)."""
        transport: asyncio.Transport | None = None
        last: OSError | None = None
        unix = req.options.unix_socket
        if unix:  # --unix-socket: the URL is only the request's Host and path
            host, port = unix, 0
            try:
                transport, _ = await loop.create_unix_connection(lambda: proto, host)
            except OSError as e:
                last = e
        for _family, sockaddr in addrs:
            try:
                transport, _ = await loop.create_connection(
                    lambda: proto, sockaddr[0], sockaddr[1])
                break
            except OSError as e:
                last = e
        if transport is None:
            raise _ConnectFailed(*_describe_connect_error(last, host, port, via_proxy))
        return transport

    def _negotiated(self, req: PreparedRequest, conn: HttpConnection | H2Connection,
                    transport: asyncio.Transport) -> HttpConnection | H2Connection:
        """The connection for the protocol the server chose by ALPN (curl's rules: h2 when
        offered and chosen, else HTTP/1.1; ``--http2-prior-knowledge`` never falls back)."""
        ssl_object = transport.get_extra_info("ssl_object")
        chosen = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        if chosen == "h2":
            from httptool.engine.h2conn import H2Connection as H2c  # loads on first use

            return H2c(self._h2, req.origin, self.context.busy)
        if req.options.http == "2-prior":
            transport.abort()
            raise _ConnectFailed(ErrorKind.TLS, "the server did not choose HTTP/2 in ALPN "
                                 f"(it chose {chosen or 'nothing'}); "
                                 "--http2-prior-knowledge does not fall back to HTTP/1.1")
        self._h1_only.add(req.origin)
        return conn


class _Pending(asyncio.Protocol):
    """Holds what arrives while the TLS handshake decides between HTTP/1.1 and HTTP/2,
    then hands it to the connection chosen (:meth:`replay`)."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.eof = False
        self.lost: list[Exception | None] = []

    def data_received(self, data: bytes) -> None:
        self.data.append(data)

    def eof_received(self) -> bool | None:
        self.eof = True
        return True  # keep the transport until the real protocol decides

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.append(exc)

    def replay(self, proto: asyncio.Protocol) -> None:
        for data in self.data:
            proto.data_received(data)
        if self.eof:
            proto.eof_received()
        for exc in self.lost:
            proto.connection_lost(exc)


def _may_h2(req: PreparedRequest) -> bool:
    """Whether a new connection for ``req`` may speak HTTP/2 (then concurrent requests of
    the pool wait for it, to share it as streams)."""
    http = req.options.http
    if req.url.secure:
        return http != "1.1"
    return http in ("2", "2-prior") and not req.options.proxy


def not_resendable(req: PreparedRequest) -> str:
    """Why ``req`` must not be sent again on its own ("" when it may): RFC 9110 §9.2.2
    lets a client repeat only idempotent requests; ``Idempotency-Key`` makes any method
    safe to repeat; ``resend = off`` forbids it for every method."""
    if not req.options.resend:
        return "resend = off"
    if req.method in IDEMPOTENT_METHODS:
        return ""
    if any(name.lower() == "idempotency-key" for name, _ in req.headers):
        return ""
    return f"{req.method} is not idempotent"


def _carry_copies(prev: Response, resp: Response) -> None:
    """A redirect hop's resent copies move to the chain's next response. The copy that
    answered ``prev`` came on a fresh connection, so the chain opened one: ``resp`` says
    so (with that connect time) when it reused one, so that a recorder looking at
    ``copies`` only under ``new_connection`` sees them."""
    earlier = prev.copies or []
    resp.copies = earlier + resp.copies if resp.copies is not None else earlier
    if not resp.new_connection:
        resp.new_connection = True
        resp.connect_ns, resp.tls_ns = prev.connect_ns, prev.tls_ns


_SET_COOKIE = re.compile(rb"\r\nset-cookie:", re.IGNORECASE)


def _store_cookies(jar: CookieJar, req: PreparedRequest, resp: Response) -> None:
    """Give the jar the response's Set-Cookie values (headers split only if present)."""
    if _SET_COOKIE.search(resp.raw_head) is None:
        return
    values = [v.decode("latin-1") for k, v in resp.headers if k.lower() == b"set-cookie"]
    if values:
        u = req.url
        jar.store(u.secure, u.host, u.path, values)


def _decode(resp: Response) -> None:
    encoding = resp.header("content-encoding")
    if encoding and resp.body:
        try:
            resp.body = decode(resp.body, encoding)
        except DecodeError as e:
            resp.error, resp.reason = ErrorKind.MALFORMED, f"malformed response: {e}"


def _describe_connect_error(
    e: OSError | None, host: str, port: int, via_proxy: bool
) -> tuple[ErrorKind, str]:
    what = f"proxy {host}:{port}" if via_proxy else f"{host}:{port}" if port else host
    if isinstance(e, ConnectionRefusedError):
        return ErrorKind.REFUSED, f"connection refused ({what})"
    if isinstance(e, TimeoutError):
        return ErrorKind.CONNECT_TIMEOUT, f"connect timed out ({what})"
    detail = (e.strerror if e is not None and e.strerror else str(e)) or "unknown error"
    return ErrorKind.CONNECT, f"could not connect to {what}: {detail}"


def _redirected(req: PreparedRequest, status: int, location: str,
                rewrite: Callable[[str], str] | None = None) -> PreparedRequest:
    """The next hop, with curl's method rules: 301/302 turn POST into GET, 303 turns
    everything but HEAD into GET (both drop the body); 307/308 keep method and body.
    Credentials (``-u`` and Authorization) are not sent to another host (unless
    ``--location-trusted``)."""
    url = resolve_location(req.url, location)
    if rewrite is not None:
        url = rewrite(url)
    method, body, headers = req.method, req.body, req.headers
    if (status in (301, 302) and method == "POST") or (status == 303 and method != "HEAD"):
        method, body = "GET", b""
        headers = tuple(h for h in headers if h[0].lower() != "content-type")
    auth = req.auth
    nxt = parse_url(url)
    if (nxt.host, nxt.port, nxt.scheme) != (req.url.host, req.url.port, req.url.scheme) and \
            not req.options.location_trusted:
        auth = None
        headers = tuple(h for h in headers if h[0].lower() != "authorization")
    return build_request(method, url, headers, body, req.options, auth)


async def send(
    req: PreparedRequest, *, keep_body: bool = False, cookies: str | None = None,
    jar: Any = None,
) -> Response:
    """One request on a throw-away pool (``httptool exec``, tests)."""
    pool = ConnectionPool(jar=jar)
    try:
        return await pool.send(req, keep_body=keep_body, cookies=cookies)
    finally:
        pool.close()
