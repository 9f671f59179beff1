"""Requests rendered to bytes before they are sent.

A :class:`PreparedRequest` holds the request line and header block already encoded, so
sending is one ``transport.write``. The only part added per send is the ``Cookie`` line
(the jar changes between requests). :func:`build_request` is memoised: a request whose
URL, headers and body do not vary is encoded exactly once per process, and a varying one
costs one dict look-up when its rendered strings repeat.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import unquote_to_bytes

from httptool.engine.compress import ACCEPT_ENCODING
from httptool.engine.proxy import basic_credentials, bypasses_proxy
from httptool.plan import Body, CurlOptions, Template, TextBody
from httptool.wiretext import from_wire, to_wire

USER_AGENT = "httptool/0.1"
#: Total time allowed for one request (with its redirects) when ``-m`` is not given.
#: curl has no default; a load test needs one so a hung server cannot hold a VU forever.
DEFAULT_TOTAL_TIMEOUT = 60.0
DEFAULT_OPTIONS = CurlOptions()
_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidRequest(Exception):
    """The request cannot be sent as given (bad URL, unsupported scheme, bad header)."""


@dataclass(frozen=True, slots=True)
class URL:
    scheme: str  # "http" | "https"
    host: str  # without brackets for IPv6
    port: int
    target: str  # path + query, never empty ("/")
    userinfo: str | None = None
    path: str = "/"  # the target without the query (cookie path matching)

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @property
    def host_header(self) -> str:
        h = f"[{self.host}]" if ":" in self.host else self.host
        return h if self.port == _DEFAULT_PORTS[self.scheme] else f"{h}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host_header}{self.target}"


_url_cache: dict[tuple[str, bool], URL] = {}


def parse_url(url: str, path_as_is: bool = False) -> URL:
    """curl-like URL parsing: a missing scheme means http; the fragment is dropped; the
    path loses its ``.``/``..`` segments (unless ``path_as_is``) and has its non-ASCII
    bytes percent-encoded, as curl 7.88 sends it (the query keeps its bytes, as curl's)."""
    key = (url, path_as_is)
    found = _url_cache.get(key)
    if found is not None:
        return found
    parsed = _parse_url(url, path_as_is)
    if len(_url_cache) > 4096:
        _url_cache.clear()
    _url_cache[key] = parsed
    return parsed


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, as curl applies it: ``/a/./b/../c`` -> ``/a/c``."""
    if "." not in path:
        return path
    out: list[str] = []
    segs = path.split("/")
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        elif seg == ".":
            if last:
                out.append("")
        else:
            out.append(seg)
    text = "/".join(out)
    return text if text.startswith("/") else "/" + text


def _encode_path(path: str) -> str:
    """Bytes above 0x7f as lowercase ``%xx`` (curl's form); ASCII stays as written."""
    if path.isascii():
        return path
    return "".join(c if c.isascii() else "".join(f"%{b:02x}" for b in to_wire(c))
                   for c in path)


def _parse_url(url: str, path_as_is: bool = False) -> URL:
    rest = url.strip()
    scheme = "http"
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        scheme = scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidRequest(f"unsupported protocol {scheme!r} in URL {url!r}")
    rest = rest.split("#", 1)[0]
    cut = len(rest)
    for sep in "/?":
        i = rest.find(sep)
        if 0 <= i < cut:
            cut = i
    authority, target = rest[:cut], rest[cut:]
    if not target.startswith("/"):
        target = "/" + target
    userinfo = None
    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
    port_text = ""
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise InvalidRequest(f"bad IPv6 address in URL {url!r}")
        host, tail = authority[1:end], authority[end + 1 :]
        if tail.startswith(":"):
            port_text = tail[1:]
        elif tail:
            raise InvalidRequest(f"bad host in URL {url!r}")
    else:
        host, _, port_text = authority.partition(":")
    if not host:
        raise InvalidRequest(f"no host in URL {url!r}")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidRequest(f"bad port {port_text!r} in URL {url!r}")
        port = int(port_text)
    else:
        port = _DEFAULT_PORTS[scheme]
    if any(c in target for c in " \r\n"):
        target = target.replace(" ", "%20").replace("\r", "%0D").replace("\n", "%0A")
    path, q, query = target.partition("?")
    if not path_as_is:
        path = remove_dot_segments(path)
    path = _encode_path(path)
    return URL(scheme, host.lower(), port, path + q + query, userinfo, path)


def resolve_location(base: URL, location: str) -> str:
    """An absolute URL for a redirect's ``Location`` (absolute, //host, /path or relative)."""
    loc = location.strip()
    if "://" in loc.split("?", 1)[0]:
        return loc
    if loc.startswith("//"):
        return f"{base.scheme}:{loc}"
    origin = f"{base.scheme}://{base.host_header}"
    if loc.startswith("/"):
        return origin + loc
    if loc.startswith("?"):
        return origin + base.path + loc
    directory = base.path.rsplit("/", 1)[0]
    parts: list[str] = []
    for seg in (directory + "/" + loc).split("/"):
        if seg == "..":
            if parts:
                parts.pop()
        elif seg != ".":
            parts.append(seg)
    path = "/".join(parts)
    return origin + (path if path.startswith("/") else "/" + path)


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """One request, encoded. ``head`` ends just before the blank line; ``tail`` is the
    blank line plus the body, so ``head + tail`` (or ``head + cookie_line + tail``) is
    what goes on the wire."""

    method: str
    url: URL
    url_text: str  # the URL as given (shown in logs and results)
    headers: tuple[tuple[str, str | None], ...]  # as given (for redirects that rebuild)
    body: bytes
    options: CurlOptions
    head: bytes
    tail: bytes
    wire: bytes  # head + tail: the bytes sent when there is no Cookie line
    auth: tuple[str, str] | None
    origin: tuple  # connection-pool key: (scheme, host, port, proxy, tls settings)
    is_head: bool
    has_cookie_header: bool  # the caller set Cookie itself (then the jar is not consulted)
    timeout_ns: int  # -m, or the default total timeout, in ns


_DIRECT = ((), (), 0, None)  # no --resolve, --connect-to, -4/-6 or --unix-socket


def origin_key(url: URL, options: CurlOptions) -> tuple:
    o = options
    tls = ((o.insecure, o.cacert, o.cert, o.key, o.capath, o.tls_min, o.tls_max)
           if url.secure else None)
    where = (o.resolve, o.connect_to, o.ip_version, o.unix_socket)
    if where == _DIRECT:
        return (url.scheme, url.host, url.port, o.proxy, tls, o.http)
    return (url.scheme, url.host, url.port, o.proxy, tls, o.http, where)  # another place


_cache: dict[tuple, PreparedRequest] = {}
CACHE_LIMIT = 10_000


def build_request(
    method: str,
    url: str,
    headers: list[tuple[str, str | None]] | tuple[tuple[str, str | None], ...] = (),
    body: bytes = b"",
    options: CurlOptions = DEFAULT_OPTIONS,
    auth: tuple[str, str] | None = None,
) -> PreparedRequest:
    """Encode a request from already-rendered strings (memoised).

    Headers are sent in curl's order: ``Host``, ``User-Agent``, ``Accept``, then the
    caller's headers, then ``Authorization`` (``-u``), ``Accept-Encoding``
    (``--compressed``) and ``Content-Length``. A caller header replaces a default one of
    the same name; a header whose value is ``None`` removes it and sends nothing (curl's
    ``-H 'Accept:'``); ``""`` sends an empty header (curl's ``-H 'X;'``).
    Raises :class:`InvalidRequest`.
    """
    hdrs = headers if isinstance(headers, tuple) else tuple(headers)
    key = (method, url, hdrs, body, options, auth)
    found = _cache.get(key)
    if found is not None:
        return found
    req = _encode(method, url, hdrs, body, options, auth)
    if len(_cache) >= CACHE_LIMIT:
        _cache.clear()
    _cache[key] = req
    return req


def _encode(
    method: str,
    url_text: str,
    headers: tuple[tuple[str, str | None], ...],
    body: bytes,
    options: CurlOptions,
    auth: tuple[str, str] | None,
) -> PreparedRequest:
    url = parse_url(url_text, options.path_as_is)
    if options.proxy and options.noproxy and bypasses_proxy(url.host, options.noproxy):
        options = replace(options, proxy=None)
    if not method or any(c in method for c in " \r\n\t"):
        raise InvalidRequest(f"bad method {method!r}")
    if auth is None and url.userinfo is not None:  # curl decodes user:pa%40ss
        user, _, password = url.userinfo.partition(":")
        auth = (from_wire(unquote_to_bytes(user)), from_wire(unquote_to_bytes(password)))
    given = {name.lower() for name, _ in headers}
    lines: list[str] = []
    if options.request_target is not None:
        target = options.request_target
    elif options.proxy and not url.secure:
        target = str(url)
    else:
        target = url.target
    lines.append(f"{method} {target} HTTP/1.1")
    if "host" not in given:
        lines.append(f"Host: {url.host_header}")
    if options.proxy and not url.secure and "proxy-authorization" not in given:
        proxy = parse_url(options.proxy)
        if proxy.userinfo:
            lines.append(f"Proxy-Authorization: {basic_credentials(proxy.userinfo)}")
    if "user-agent" not in given:
        lines.append(f"User-Agent: {USER_AGENT}")
    if "accept" not in given:
        lines.append("Accept: */*")
    has_cookie = False
    chunked = _is_chunked(headers)
    for name, value in headers:
        if not name or any(c in name for c in " :\r\n\t"):
            raise InvalidRequest(f"bad header name {name!r}")
        if value is None or name.lower() == "content-length":
            continue  # removed (curl's 'Name:'), or computed below
        if any(c in value for c in "\r\n\0"):
            raise InvalidRequest(f"bad value for header {name!r}")
        if name.lower() == "cookie":
            has_cookie = True
        lines.append(f"{name}: {value}" if value else f"{name}:")  # curl's 'Name;' is 'Name:'
    if auth is not None and "authorization" not in given:
        token = base64.b64encode(to_wire(f"{auth[0]}:{auth[1]}")).decode("ascii")
        lines.append(f"Authorization: Basic {token}")
    if options.compressed and "accept-encoding" not in given:
        lines.append(f"Accept-Encoding: {ACCEPT_ENCODING}")
    if chunked:
        tail = b"\r\n" + (b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if body else b"0\r\n\r\n")
    else:
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        tail = b"\r\n" + body
    head = to_wire("\r\n".join(lines) + "\r\n")
    return PreparedRequest(
        method=method,
        url=url,
        url_text=url_text,
        headers=headers,
        body=body,
        options=options,
        head=head,
        tail=tail,
        wire=head + tail,
        auth=auth,
        origin=origin_key(url, options),
        is_head=method == "HEAD",
        has_cookie_header=has_cookie,
        timeout_ns=int((options.max_time or DEFAULT_TOTAL_TIMEOUT) * 1e9),
    )


def _is_chunked(headers: tuple[tuple[str, str | None], ...]) -> bool:
    """A caller's ``Transfer-Encoding: ...chunked`` means the body is sent chunked, as
    curl does, and never with a Content-Length as well (RFC 9112 §6.1: a message with both
    hangs a strict server and is a request-smuggling shape). A body-less request still
    gets its last chunk, so the message is complete (curl sends nothing, and the server
    waits)."""
    for name, value in headers:
        if value and name.lower() == "transfer-encoding":
            return value.rsplit(",", 1)[-1].strip().lower() == "chunked"
    return False


def encode_body(body: Body | None, render: Callable[[Template], str]) -> bytes:
    """The bytes of a plan body; ``render`` turns a template into text (the VU's scope).

    Multipart bodies follow curl's layout: one part per ``-F``, file parts with their
    file name and type (``application/octet-stream`` unless given)."""
    if body is None:
        return b""
    if isinstance(body, TextBody):
        return to_wire(render(body.content))
    out: list[bytes] = []
    dash = f"--{body.boundary}".encode("ascii")
    for part in body.parts:
        name = part.name.replace('"', "%22")
        disposition = f'Content-Disposition: form-data; name="{name}"'
        head = [disposition]
        if part.file_path is not None or part.file_content is not None:
            if part.file_content is None:
                raise InvalidRequest(f"cannot read file {part.file_path!r} for -F {part.name}")
            content = part.file_content
            if part.filename is not None:
                head[0] += f'; filename="{part.filename.replace(chr(34), "%22")}"'
                head.append(f"Content-Type: {part.content_type or 'application/octet-stream'}")
            elif part.content_type:
                head.append(f"Content-Type: {part.content_type}")
        else:
            content = to_wire(render(part.value)) if part.value is not None else b""
            if part.content_type:
                head.append(f"Content-Type: {part.content_type}")
        out += [dash, b"\r\n", to_wire("\r\n".join(head)), b"\r\n\r\n", content,
                b"\r\n"]
    out += [dash, b"--\r\n"]
    return b"".join(out)
