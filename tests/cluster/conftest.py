"""Fixtures of the ``--cluster`` tests: one loopback Dask cluster per test module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from clusterkit import LocalCluster

pytest.importorskip("distributed", reason="the cluster extra is not installed")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A scheduler and two single-threaded worker processes on 127.0.0.1."""
    c = LocalCluster(tmp_path_factory.mktemp("dask")).start(2)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def fresh_target(target: Any) -> Any:
    """The session target (tests/conftest.py) with its request counters at zero."""
    target.reset()
    assert target.counts()["total"] == 0
    return target
