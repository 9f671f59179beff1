"""``httptool target``: the built-in demo/test server."""

from __future__ import annotations

import sys

import click

from httptool.target.app import TargetState
from httptool.target.server import LISTENING_PREFIX, TargetStartError, serve, tls_context

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
@click.option("--quiet", "-q", is_flag=True,
              help="Print only the listening line (no hints on stderr, no exit summary).")
def target_command(
    host: str, port: int, tls_cert: str | None, tls_key: str | None, delay: str | None,
    quiet: bool,
) -> None:
    """Serve httpbin-like and jsonplaceholder-like endpoints for demos and tests.

    Prints `httptool target listening on URL` once bound and serves until Ctrl-C or
    SIGTERM. GET /__counts shows how many requests each path received; POST
    /__counts/reset zeroes them. Endpoints are listed in docs/target.md.
    """
    if tls_key and not tls_cert:
        raise click.UsageError("--tls-key needs --tls-cert")
    from httptool.cli.run_options import parse_duration_option

    state = TargetState(delay=parse_duration_option(delay, "--delay") if delay else 0.0)

    def listening(url: str) -> None:
        click.echo(f"{LISTENING_PREFIX}{url}")
        sys.stdout.flush()
        if not quiet:
            click.echo(
                "  counts: GET /__counts · reset: POST /__counts/reset · stop: Ctrl-C", err=True
            )

    try:
        ssl_context = tls_context(tls_cert, tls_key) if tls_cert else None
        state = serve(host, port, ssl_context, on_listening=listening, state=state)
    except TargetStartError as e:
        click.echo(f"httptool target: {e}", err=True)
        sys.exit(EXIT_USAGE)
    if not quiet:
        click.echo(f"httptool target stopped ({state.counts.total} requests counted)", err=True)
