"""What a VU tells the outside world while it runs (verbose log, NDJSON/CSV outputs).

Events are plain tuples (cheapest to build and to pickle across a pipe) whose first item is
the kind. A VU holds ``emit = None`` when nobody listens, so the hot path pays one ``is
None`` test and nothing else.

Shapes (``t`` is wall-clock Unix seconds as float):

* ``("vu_start", t, vu)``
* ``("iter", t, vu, iteration)``
* ``("req", t, vu, iteration, name, method, url, status, latency_ms, ok, reason)`` —
  ``status`` is 0 on a transport error; ``reason`` is "" when ok; ``url`` is the URL as
  sent, with any ``user:password@`` masked
* ``("resent", t, vu, iteration, name, method, url, 0, latency_ms, False, reason)`` — a
  copy of a request that reached the wire and got no answer, so the client sent it again
  (the ``req`` event of the same request follows); a request of its own in every count
* ``("vu_done", t, vu)``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Event = tuple[Any, ...]
Emit = Callable[[Event], None]

VU_START = "vu_start"
ITERATION = "iter"
REQUEST = "req"
VU_DONE = "vu_done"
RESENT = "resent"

#: Header names whose values are never shown or written (DESIGN.md: secrets are masked).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
MASK = "****"


def mask_url(url: str) -> str:
    """``https://user:pw@host/x`` -> ``https://user:****@host/x``; other URLs unchanged."""
    at = url.find("@")
    if at < 0:
        return url
    scheme_end = url.find("://")
    if scheme_end < 0 or at < scheme_end:
        return url
    slash = url.find("/", scheme_end + 3)
    if slash != -1 and slash < at:
        return url  # the '@' is in the path or query, not in the authority
    userinfo = url[scheme_end + 3 : at]
    user = userinfo.split(":", 1)[0]
    return f"{url[: scheme_end + 3]}{user}:{MASK}{url[at:]}"


def mask_cookies(text: str) -> str:
    """``sid=abc; theme=dark`` -> ``sid=****; theme=****``: the names help debugging, the
    values are the secret."""
    parts = []
    for c in text.split(";"):
        name, eq, _ = c.strip().partition("=")
        parts.append(f"{name}={MASK}" if eq else MASK)
    return "; ".join(p for p in parts if p)


def mask_header(name: str, value: str) -> str:
    """The value to show for a header: secrets keep their scheme word only."""
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, _, rest = value.partition(" ")
    if rest and scheme.lower() in ("bearer", "basic", "digest", "token"):
        return f"{scheme} {MASK}"
    return MASK
