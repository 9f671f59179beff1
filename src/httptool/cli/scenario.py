"""``httptool scenario validate|run|convert``."""

from __future__ import annotations

import click


@click.group()
def scenario() -> None:
    """Validate, dry-run, convert and run .httpx scenario files."""
