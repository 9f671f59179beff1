"""The events contract: what a VU tells the outside world while it runs (verbose log,
NDJSON/CSV outputs, the HTML request table).

Neutral like :mod:`httptool.plan`: the engine builds these tuples, the run layer carries
them, the reports read them; none of the three has to import another for it.

Events are plain tuples (cheapest to build and to pickle across a pipe) whose first item is
the kind. A VU holds ``emit = None`` when nobody listens, so the hot path pays one ``is
None`` test and nothing else.

Shapes (``t`` is wall-clock Unix seconds as float):

* ``("vu_start", t, vu)``
* ``("iter", t, vu, iteration)``
* ``("req", t, vu, iteration, name, method, url, status, latency_ms, ok, reason[,
  protocol])`` — ``status`` is 0 on a transport error; ``reason`` is "" when ok; ``url``
  is the URL as sent, masked by :func:`httptool.secrets.mask_url`; ``protocol`` (``h2``,
  ``http/1.1``) is there when a response came (readers take the first 11 items)
* ``("resent", t, vu, iteration, name, method, url, 0, latency_ms, False, reason)`` — a
  copy of a request that reached the wire and got no answer, so the client sent it again
  (the ``req`` event of the same request follows); a request of its own in every count
* ``("vu_done", t, vu)``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Event = tuple[Any, ...]
Emit = Callable[[Event], None]

VU_START = "vu_start"
ITERATION = "iter"
REQUEST = "req"
VU_DONE = "vu_done"
RESENT = "resent"
