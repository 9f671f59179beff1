"""TLS client contexts with curl's semantics, built once per distinct setting.

Verification is on by default (system trust store, host name checked, SNI sent);
``-k`` turns both checks off; ``--cacert`` (a file) or ``--capath`` (a directory)
replace the trust store; ``--tlsv1.x``/``--tls-max`` bound the version; ``--cert``/``--key``
present a client certificate. ALPN offers what the request's HTTP version allows (curl's
rules: ``h2, http/1.1`` by default, ``http/1.1`` alone with ``--http1.1``, ``h2`` alone
with ``--http2-prior-knowledge``). Contexts are cached: building one reads the trust store,
which costs milliseconds.
"""

from __future__ import annotations

import ssl
from functools import lru_cache

_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3,
}


@lru_cache(maxsize=64)
def client_context(
    insecure: bool = False,
    cacert: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    capath: str | None = None,
    tls_min: str | None = None,
    tls_max: str | None = None,
    alpn: tuple[str, ...] = ("http/1.1",),
) -> ssl.SSLContext:
    """The context for these options (raises ``OSError``/``ssl.SSLError`` on bad files).
    ``tls_min``/``tls_max`` are curl's ``--tlsv1.2``-style floor and ``--tls-max``."""
    if cacert or capath:
        ctx = ssl.create_default_context(cafile=cacert, capath=capath)
    else:
        ctx = ssl.create_default_context()
    if tls_min is not None:
        ctx.minimum_version = _VERSIONS[tls_min]
    if tls_max is not None:
        ctx.maximum_version = _VERSIONS[tls_max]
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(list(alpn))
    return ctx


def describe_tls_error(exc: BaseException) -> str:
    """A short reason that says plainly when the certificate was not trusted."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or str(exc)
        return f"TLS certificate verification failed: {detail}"
    text = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return f"TLS handshake failed: {text}"


def alpn_offer(http: str | None) -> tuple[str, ...]:
    """The ALPN protocols an ``https://`` request offers for its ``http`` option."""
    if http == "1.1":
        return ("http/1.1",)
    if http == "2-prior":
        return ("h2",)
    return ("h2", "http/1.1")
