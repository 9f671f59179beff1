"""/login and /me: tokens tied to users, isolated per client session."""

from __future__ import annotations

import asyncio

import pytest
from targetutil import call, new_session, run, send

pytestmark = pytest.mark.timeout(60)


def test_login_json_and_form(target) -> None:
    r = call("POST", target.url + "/login", json={"email": "a@x", "password": "pw"})
    assert r.status == 200
    body = r.json()
    assert body["user"] == "a@x"
    assert body["token"] == body["access_token"] and len(body["token"]) >= 20
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"session={body['token']};")
    assert "HttpOnly" in cookie and "Path=/" in cookie
    r = call("POST", target.url + "/login", data={"username": "bob", "password": "pw"})
    assert r.json()["user"] == "bob"
    r = call("POST", target.url + "/login", json={"user": "carol", "password": "pw"})
    assert r.json()["user"] == "carol"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"user": "a"}, 400),
        ({"password": "pw"}, 400),
        ({"user": "a", "password": ""}, 400),
        ({"user": "a", "password": "wrong"}, 401),
        ([1, 2], 400),
    ],
)
def test_login_errors(target, body: object, status: int) -> None:
    assert call("POST", target.url + "/login", json=body).status == status


def test_login_rejects_get_and_garbage(target) -> None:
    assert call("GET", target.url + "/login").status == 405
    assert call("POST", target.url + "/login", data=b"{not json",
                headers={"Content-Type": "application/json"}).status == 400


def test_me_with_bearer_or_cookie(target) -> None:
    token = call("POST", target.url + "/login", json={"user": "dan", "password": "p"}).json()[
        "token"
    ]
    r = call("GET", target.url + "/me", headers={"Authorization": f"Bearer {token}"})
    assert (r.status, r.json()) == (200, {"user": "dan"})
    r = call("GET", target.url + "/me", headers={"Cookie": f"session={token}"})
    assert r.json() == {"user": "dan"}
    assert call("GET", target.url + "/me").status == 401
    assert call("GET", target.url + "/me", headers={"Authorization": "Bearer forged"}).status == 401
    assert call("GET", target.url + "/me", headers={"Cookie": "session=forged"}).status == 401


def test_sessions_are_isolated_per_client(target) -> None:
    """Twenty clients log in concurrently with their own jar; each /me sees only itself."""

    async def client(i: int) -> tuple[str, str]:
        async with new_session() as s:
            r = await send(s, "POST", target.url + "/login",
                           json={"email": f"user-{i}@test.com", "password": "secret"})
            assert r.status == 200
            me = await send(s, "GET", target.url + "/me")
            return f"user-{i}@test.com", me.json()["user"]

    async def go() -> list[tuple[str, str]]:
        return await asyncio.gather(*(client(i) for i in range(20)))

    for expected, seen in run(go()):
        assert seen == expected


def test_logout_revokes(target) -> None:
    async def go() -> None:
        async with new_session() as s:
            r = await send(s, "POST", target.url + "/login", json={"user": "eve", "password": "p"})
            bearer = {"Authorization": f"Bearer {r.json()['token']}"}
            assert (await send(s, "GET", target.url + "/me")).status == 200
            assert (await send(s, "POST", target.url + "/logout")).json() == {"logged_out": True}
            assert (await send(s, "GET", target.url + "/me")).status == 401
            # the token itself is revoked, not only the cookie expired
            assert (await send(s, "GET", target.url + "/me", headers=bearer)).status == 401

    run(go())
