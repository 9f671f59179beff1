"""The capture server most wire tests share: ``cap``, one per module (it waits 2 s for
a slow client: shorter waits cut a request short on the loaded 2-core box)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from wireutil import CaptureServer


@pytest.fixture(scope="module")
def cap() -> Iterator[CaptureServer]:
    with CaptureServer(idle=2.0) as c:
        yield c
