"""How many connections this process is opening right now, over all its VUs.

The load models read it before starting another VU. When the server's accept queue is
full, a new connection waits there for seconds (SYN retries: 1 s, 3 s, ...): a VU started
then does nothing useful, and thousands started at once starved the running VUs of the
event loop and stretched a 3 s run to 25 s (issue 23 item 9). One process runs one shard
on one event loop, so a plain counter is exact.
"""

from __future__ import annotations


class ConnectsInFlight:
    """``n`` connects (DNS, TCP, proxy tunnel, TLS) begun and not yet ended."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


#: the process's counter: the client counts, the executors read
CONNECTING = ConnectsInFlight()
