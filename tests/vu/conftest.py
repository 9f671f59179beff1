"""``wiretap``: records every request a VU sends and the response it got, so a test can
read what crossed the socket (the built-in target echoes what it received)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from httptool.engine.client import ConnectionPool
from httptool.engine.request import PreparedRequest


@dataclass
class Tapped:
    method: str
    url: str
    wire: bytes  # the request bytes as sent (with the Cookie line)
    status: int
    body: bytes | None

    def json(self) -> Any:
        return orjson.loads(self.body or b"null")

    @property
    def path(self) -> str:
        return "/" + self.url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def wiretap(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Tapped]]:
    log: list[Tapped] = []
    original = ConnectionPool.send

    async def send(self: ConnectionPool, req: PreparedRequest, *, keep_body: bool = False,
                   cookies: str | None = None) -> Any:
        wire = req.wire if self.jar is None and not cookies else self._wire(req, cookies)
        resp = await original(self, req, keep_body=True, cookies=cookies)
        log.append(Tapped(req.method, req.url_text, wire, resp.status, resp.body))
        return resp

    monkeypatch.setattr(ConnectionPool, "send", send)
    yield log
