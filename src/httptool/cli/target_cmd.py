"""``httptool target``: the built-in demo/test server."""

from __future__ import annotations

import sys

import click

from httptool.target.app import TargetState
from httptool.target.server import (
    LISTENING_PREFIX,
    H2Ports,
    TargetStartError,
    serve,
    tls_context,
)

EXIT_USAGE = 2


@click.command("target")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (loopback by default; use 0.0.0.0 to expose it).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to bind; 0 picks a free one (shown in the listening line).")
@click.option("--tls-cert", type=click.Path(dir_okay=False), default=None,
              help="PEM certificate (chain): serve HTTPS.")
@click.option("--tls-key", type=click.Path(dir_okay=False), default=None,
              help="PEM private key for --tls-cert (if not inside the certificate file).")
@click.option("--delay", default=None, metavar="DURATION",
              help="Answer every request this much later (e.g. 20ms): a slower build to "
                   "try `httptool compare` and --fail-on against.")
@click.option("--h2-port", type=click.IntRange(0, 65535), default=None,
              help="Also serve HTTP/2 over TLS on this port (ALPN h2; the certificate is "
                   "--tls-cert's, or a self-signed one: see --ca-out).")
@click.option("--h2c-port", type=click.IntRange(0, 65535), default=None,
              help="Also serve cleartext HTTP/2 (h2c, prior knowledge) on this port.")
@click.option("--ca-out", type=click.Path(dir_okay=False), default=None,
              help="With --h2-port and no --tls-cert: write the self-signed certificate's "
                   "CA here (PEM), for the client's --cacert.")
@click.option("--quiet", "-q", is_flag=True,
              help="Print only the listening line (no hints on stderr, no exit summary).")
def target_command(
    host: str, port: int, tls_cert: str | None, tls_key: str | None, delay: str | None,
    h2_port: int | None, h2c_port: int | None, ca_out: str | None, quiet: bool,
) -> None:
    """Serve httpbin-like and jsonplaceholder-like endpoints for demos and tests.

    Prints `httptool target listening on URL` once bound and serves until Ctrl-C or
    SIGTERM. GET /__counts shows how many requests each path received; POST
    /__counts/reset zeroes them. Endpoints are listed in docs/target.md. --h2-port and
    --h2c-port add HTTP/2 listeners (one more listening line each) with the same
    endpoints and counters (docs/http2.md).
    """
    if tls_key and not tls_cert:
        raise click.UsageError("--tls-key needs --tls-cert")
    if ca_out and (h2_port is None or tls_cert):
        raise click.UsageError("--ca-out goes with --h2-port and no --tls-cert "
                               "(it writes the self-signed certificate's CA)")
    from httptool.cli.run_options import parse_duration_option

    state = TargetState(delay=parse_duration_option(delay, "--delay") if delay else 0.0)

    def listening(url: str) -> None:
        click.echo(f"{LISTENING_PREFIX}{url}")
        sys.stdout.flush()
        if not quiet and not url.endswith(")"):  # once, after the first listener's line
            click.echo(
                "  counts: GET /__counts · reset: POST /__counts/reset · stop: Ctrl-C", err=True
            )

    try:
        ssl_context = tls_context(tls_cert, tls_key) if tls_cert else None
        h2 = _h2_ports(h2_port, h2c_port, tls_cert, tls_key, ca_out)
        state = serve(host, port, ssl_context, on_listening=listening, state=state, h2=h2)
    except TargetStartError as e:
        click.echo(f"httptool target: {e}", err=True)
        sys.exit(EXIT_USAGE)
    if not quiet:
        click.echo(f"httptool target stopped ({state.counts.total} requests counted)", err=True)


def _h2_ports(h2_port: int | None, h2c_port: int | None, cert: str | None, key: str | None,
              ca_out: str | None) -> H2Ports | None:
    if h2_port is None and h2c_port is None:
        return None
    tls = None
    if h2_port is not None:
        from httptool.target.h2gateway import h2_tls_context, self_signed_context

        try:
            tls = h2_tls_context(cert, key) if cert else self_signed_context(ca_out)
        except (OSError, ValueError) as e:
            raise TargetStartError(f"cannot set up TLS for --h2-port: {e}") from e
    return H2Ports(h2_port, h2c_port, tls)
