"""Fixtures for the report tests (the builders live in reportdata.py)."""

from __future__ import annotations

import pytest
from reportdata import build, demo_run

from httptool.metrics import RunResult


@pytest.fixture
def demo() -> RunResult:
    """The two-request, two-shard run of :func:`reportdata.demo_run`."""
    return build(demo_run())
