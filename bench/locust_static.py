"""Locust's fastest user class on the static GET (run by ``bench/run``):

    locust -f bench/locust_static.py --headless -u 50 -r 50 -t 5s --host URL --only-summary
"""

from __future__ import annotations

import locust_measure  # noqa: F401  (registers the CPU/wall measurement hooks)
from locust import task
from locust.contrib.fasthttp import FastHttpUser


class StaticUser(FastHttpUser):
    """One GET of ``/`` in a loop, no wait time, status checked (like the httptool
    scenario's ``assert { status == 200 }``; a non-2xx already counts as a failure)."""

    @task
    def get(self) -> None:
        self.client.get("/")
