"""The 4-step flow in Locust's FastHttpUser, written the way its docs show (run by
``bench/run``): POST /login with a JSON body -> take ``token`` from the JSON answer ->
GET /me with ``Authorization: Bearer`` -> check the status and ``id == 1`` of the JSON.

    locust -f bench/locust_flow.py --headless -u 50 -r 50 -t 5s --host URL --only-summary
"""

from __future__ import annotations

import locust_measure  # noqa: F401  (registers the CPU/wall measurement hooks)
from locust import task
from locust.contrib.fasthttp import FastHttpUser


class FlowUser(FastHttpUser):
    @task
    def flow(self) -> None:
        user = f"user-{id(self)}"
        with self.client.post("/login", json={"username": user, "password": "secret"},
                              catch_response=True) as resp:
            token = resp.json().get("token") if resp.status_code == 200 else None
            if not token:
                resp.failure("no token")
                return
        with self.client.get("/me", headers={"Authorization": f"Bearer {token}"},
                             catch_response=True) as resp:
            if resp.status_code != 200 or resp.json().get("id") != 1:
                resp.failure(f"unexpected answer {resp.status_code}")
