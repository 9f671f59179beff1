"""Shared fixtures: the built-in target server over real loopback sockets.

``target``          one ``httptool target`` subprocess for the whole session (own core/GIL).
                    Counters are shared by every test: call ``target.reset()`` first, or
                    compare differences, when a test checks counts.
``target_factory``  a private instance: ``target_factory(tls=True)``,
                    ``target_factory(process=True)``; stopped at the end of the test.
``target_ca``       the trustme CA that signs every TLS target's certificate.
``h2target``        (per module) a target subprocess with its h2 (TLS) and h2c ports open:
                    (the ProcessTarget, the PEM file of the CA that signs its certificate).

Each yields a :class:`TargetHandle`: ``.url`` ("http://127.0.0.1:PORT"), ``.port``,
``.counts()`` -> {"total", "paths", "methods", "statuses"}, ``.reset()``; TLS ones also
have ``.ca_file`` (PEM path for --cacert) and ``.client_ssl()`` (a verifying client context).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from httptool.target.server import ProcessTarget, ThreadTarget


@dataclass
class TargetHandle:
    """A running target, however it was started."""

    server: ThreadTarget | ProcessTarget
    ca_file: str | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def counts(self) -> dict[str, Any]:
        return self.server.counts()

    def reset(self) -> None:
        self.server.reset()

    def stop(self) -> None:
        self.server.stop()

    def client_ssl(self) -> ssl.SSLContext:
        """A client context that verifies this target's certificate."""
        ctx = ssl.create_default_context()
        if self.ca_file:
            ctx.load_verify_locations(self.ca_file)
        return ctx


@dataclass(frozen=True)
class TLSFiles:
    ca: Any  # trustme.CA
    ca_file: str
    cert_file: str  # server certificate chain
    key_file: str

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


@pytest.fixture(scope="session")
def target_ca(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    d: Path = tmp_path_factory.mktemp("target-tls")
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    cert.private_key_pem.write_to_path(str(d / "key.pem"))
    chain = d / "cert.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    return TLSFiles(ca, str(d / "ca.pem"), str(chain), str(d / "key.pem"))


@pytest.fixture(scope="session")
def target() -> Iterator[TargetHandle]:
    server = ProcessTarget().start()
    try:
        yield TargetHandle(server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def h2target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProcessTarget, str]]:
    ca = str(tmp_path_factory.mktemp("h2") / "ca.pem")
    server = ProcessTarget(extra_args=["--h2-port", "0", "--h2c-port", "0", "--ca-out", ca])
    server.start()
    try:
        yield server, ca
    finally:
        server.stop()


@pytest.fixture
def target_factory(target_ca: TLSFiles) -> Iterator[Callable[..., TargetHandle]]:
    started: list[TargetHandle] = []

    def make(*, tls: bool = False, process: bool = False, host: str = "127.0.0.1") -> TargetHandle:
        server: ThreadTarget | ProcessTarget
        if process:
            server = ProcessTarget(
                host=host,
                tls_cert=target_ca.cert_file if tls else None,
                tls_key=target_ca.key_file if tls else None,
            )
        else:
            ctx = target_ca.server_context() if tls else None
            server = ThreadTarget(host=host, ssl_context=ctx)
        server.start()
        handle = TargetHandle(server, ca_file=target_ca.ca_file if tls else None)
        started.append(handle)
        return handle

    yield make
    for handle in started:
        handle.stop()
