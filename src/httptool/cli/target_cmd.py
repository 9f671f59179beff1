"""``httptool target``: the built-in demo/test server."""

from __future__ import annotations

import click


@click.command("target")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
def target_command(host: str, port: int) -> None:
    """Serve httpbin-like and jsonplaceholder-like endpoints for demos and tests."""
    raise click.UsageError("target is being built in this change")
