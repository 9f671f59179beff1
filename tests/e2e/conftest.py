"""Fixtures for the black-box CLI tests: the session's built-in target, reset per test."""

from __future__ import annotations

from typing import Any

import pytest
from e2ecli import closed_port_url


@pytest.fixture
def fresh_target(target: Any) -> Any:
    """The session target (tests/conftest.py) with its request counters at zero."""
    target.reset()
    assert target.counts()["total"] == 0
    return target


@pytest.fixture
def closed_url() -> str:
    """A loopback URL whose port refuses connections."""
    return closed_port_url()
