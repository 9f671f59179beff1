"""Measurement hooks shared by the bench locustfiles (imported by them; not a locustfile).

Locust's own start-up (imports, gevent, the web/CLI machinery) is left out the same way
the httptool shard child leaves out its own: ``getrusage(RUSAGE_SELF)`` and the wall clock
are read at ``test_start`` and at ``test_stop``; the totals of Locust's request stats are
written as one JSON object to ``$BENCH_LOCUST_OUT`` (when set) for ``bench/run_all.py``.
"""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any

from locust import events

_state: dict[str, Any] = {}


@events.test_start.add_listener
def _start(environment: Any, **_: Any) -> None:
    _state["ru"] = resource.getrusage(resource.RUSAGE_SELF)
    _state["t"] = time.perf_counter()


@events.test_stop.add_listener
def _stop(environment: Any, **_: Any) -> None:
    out = os.environ.get("BENCH_LOCUST_OUT")
    if not out or "ru" not in _state:
        return
    ru = resource.getrusage(resource.RUSAGE_SELF)
    total = environment.stats.total
    data = {
        "requests": total.num_requests, "failures": total.num_failures,
        "seconds": time.perf_counter() - _state["t"],
        "cpu_user": ru.ru_utime - _state["ru"].ru_utime,
        "cpu_sys": ru.ru_stime - _state["ru"].ru_stime,
        "by_name": {name: s.num_requests for (name, _m), s in environment.stats.entries.items()},
        "maxrss_kb": ru.ru_maxrss,
    }
    data["cpu"] = data["cpu_user"] + data["cpu_sys"]
    with open(out, "w") as f:
        json.dump(data, f)
