"""/app/...: every value the server hands out is fresh, used once where a browser uses it
once, and refused when this instance never issued it (the importers' correlation test)."""

from __future__ import annotations

import re

import pytest
from targetutil import call, new_session, run, send

pytestmark = pytest.mark.timeout(60)

_CSRF = re.compile(rb'name="csrf" value="([^"]+)"')


def _csrf(body: bytes) -> str:
    m = _CSRF.search(body)
    assert m is not None, body
    return m.group(1).decode()


def test_browser_flow_and_stale_values(target) -> None:
    async def flow() -> None:
        async with new_session() as s:
            page = await send(s, "GET", target.url + "/app/login")
            assert page.status == 200 and b"/app/static/app.css" in page.body
            csrf = _csrf(page.body)
            assert _csrf((await send(s, "GET", target.url + "/app/login")).body) != csrf
            form = {"csrf": csrf, "username": "alice", "password": "pw"}
            r = await send(s, "POST", target.url + "/app/login", data=form)
            assert r.status == 303
            location = r.headers["Location"]
            assert location.startswith("/app/welcome?ticket=")
            assert (await send(s, "POST", target.url + "/app/login", data=form)).status == 403
            assert (await send(s, "GET", target.url + location)).status == 200
            assert (await send(s, "GET", target.url + location)).status == 403  # used once
            acct = await send(s, "GET", target.url + "/app/account")
            assert acct.status == 200 and b"Account of alice" in acct.body
            token = _csrf(acct.body)
            r = await send(s, "POST", target.url + "/app/account",
                           data={"csrf": token, "bio": "x"})
            assert r.status == 303 and r.headers["Location"] == "/app/account?saved=1"
            r = await send(s, "POST", target.url + "/app/account",
                           data={"csrf": token, "bio": "x"})
            assert r.status == 403
        async with new_session() as other:  # another session cannot use a login-form token
            login = _csrf((await send(other, "GET", target.url + "/app/login")).body)
            r = await send(other, "POST", target.url + "/app/login",
                           data={"csrf": "never-issued", "username": "a", "password": "b"})
            assert r.status == 403
            assert (await send(other, "GET", target.url + "/app/account")).status == 403
            assert login

    run(flow())


def test_api_tokens_and_orders(target) -> None:
    r = call("POST", target.url + "/app/api/login", json={"username": "u", "password": "p"})
    token = r.json()["access_token"]
    again = call("POST", target.url + "/app/api/login", json={"username": "u", "password": "p"})
    assert again.json()["access_token"] != token
    auth = {"Authorization": f"Bearer {token}"}
    orders = call("GET", target.url + "/app/api/orders", headers=auth).json()["orders"]
    oid = orders[0]["id"]
    assert call("GET", f"{target.url}/app/api/orders/{oid}", headers=auth).status == 200
    other = {"Authorization": f"Bearer {again.json()['access_token']}"}
    assert call("GET", f"{target.url}/app/api/orders/{oid}", headers=other).status == 404
    assert call("GET", target.url + "/app/api/orders",
                headers={"Authorization": "Bearer stale"}).status == 401
    assert call("POST", target.url + "/app/api/login", data=b"nope").status == 400
