"""One request event as a flat row: the fields every per-request output shares.

``time`` is wall-clock Unix seconds (float, microsecond precision) when the request
ended; ``latency_ms`` milliseconds (float, µs precision); ``status`` 0 for a transport
error (then ``reason`` names it); ``ok`` whether the request counted as a success;
``reason`` is empty when ok; ``resent`` marks a copy that got no answer and was sent
again (its request's row follows, with the outcome); ``protocol`` is ``h2`` or
``http/1.1`` for a response, "" without one; ``trace_id`` the request's W3C trace id
with ``--trace`` ("" without). URLs are masked (``user:****@``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from httptool.events import REQUEST, RESENT, Event
from httptool.secrets import mask_url

FIELDS = ("time", "vu", "iteration", "name", "method", "url", "status", "latency_ms", "ok",
          "reason", "resent", "protocol", "trace_id")
_ROWS = (REQUEST, RESENT)


def request_rows(events: Sequence[Event]) -> Iterator[tuple[Any, ...]]:
    """The rows of the request events among ``events`` (other kinds are skipped)."""
    for ev in events:
        kind = ev[0]
        if kind not in _ROWS:
            continue
        _, t, vu, it, name, method, url, status, latency_ms, ok, reason = ev[:11]
        yield (round(t, 6), vu, it, name, method, mask_url(url), status,
               round(latency_ms, 3), bool(ok), reason or "", kind == RESENT,
               ev[11] if len(ev) > 11 else "", ev[12] if len(ev) > 12 else "")
