"""Our request and response shapes, translated to and from HTTP/2 header lists.

A :class:`~httptool.engine.request.PreparedRequest` is encoded once as HTTP/1.1 bytes (its
``head``); HTTP/2 needs the same headers as a list with pseudo-headers first and the
connection-specific ones dropped (RFC 9113 §8.2.2). Parsing the head back is cheaper than
keeping a second encoding for every request, and is memoised per distinct head (bytes
cache their hash). The response side builds an HTTP/1.1-style ``raw_head``
(``HTTP/2 200`` + ``name: value`` lines), so headers, cookies, redirects and decoding work
through the same upper layer as for HTTP/1.1.
"""

from __future__ import annotations

from httptool.engine.http import H2_HEAD
from httptool.engine.request import PreparedRequest

Headers = list[tuple[bytes, bytes]]

#: connection-specific fields an HTTP/2 message must not carry (RFC 9113 §8.2.2)
_DROPPED = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding",
                      b"upgrade", b"host"})
_cache: dict[bytes, tuple[Headers, bytes]] = {}
_CACHE_LIMIT = 10_000


def request_headers(req: PreparedRequest, cookie: str | None = None) -> Headers:
    """The HTTP/2 header list of ``req`` (pseudo-headers first), with ``cookie`` added."""
    found = _cache.get(req.head)
    if found is None:
        found = _split_head(req)
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[req.head] = found
    headers, _authority = found
    if cookie:
        return [*headers, (b"cookie", cookie.encode("latin-1", "replace"))]
    return headers


def _split_head(req: PreparedRequest) -> tuple[Headers, bytes]:
    lines = req.head.rstrip(b"\r\n").split(b"\r\n")
    method, _, rest = lines[0].partition(b" ")
    target = rest.rsplit(b" ", 1)[0]
    authority = req.url.host_header.encode("latin-1")
    fields: Headers = []
    sized = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        low, value = name.strip().lower(), value.strip()
        if low == b"host":
            authority = value
        sized = sized or low == b"content-length"
        if low in _DROPPED or (low == b"te" and value.lower() != b"trailers"):
            continue
        fields.append((low, value))
    if req.body and not sized:  # a chunked HTTP/1.1 body: HTTP/2 frames it by itself
        fields.append((b"content-length", str(len(req.body)).encode("ascii")))
    scheme = b"https" if req.url.secure else b"http"
    pseudo: Headers = [(b":method", method), (b":scheme", scheme),
                       (b":authority", authority), (b":path", target)]
    return pseudo + fields, authority


def response_head(status: int, headers: Headers) -> bytes:
    """An HTTP/1.1-style head for an HTTP/2 response (what :class:`Response` parses)."""
    parts = [H2_HEAD + b"%d" % status]
    parts += [k + b": " + v for k, v in headers if not k.startswith(b":")]
    return b"\r\n".join(parts) + b"\r\n\r\n"
