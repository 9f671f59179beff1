"""/login, /me and /logout: tokens issued per login, so tests can prove that each VU keeps
its own cookie jar and session (a VU that sees another VU's user has leaked state)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from httptool.target.echo import json_response, multi_to_dict

#: Tokens kept at most; the oldest is forgotten first (bounded memory in long runs).
MAX_TOKENS = 1_000_000
_USER_KEYS = ("username", "user", "email")


@dataclass(slots=True)
class Sessions:
    """token -> user name, in issue order."""

    tokens: dict[str, str] = field(default_factory=dict)

    def issue(self, user: str) -> str:
        token = secrets.token_urlsafe(24)
        tokens = self.tokens
        if len(tokens) >= MAX_TOKENS:
            del tokens[next(iter(tokens))]
        tokens[token] = user
        return token

    def user(self, token: str) -> str | None:
        return self.tokens.get(token)

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)


async def _credentials(request: web.Request) -> dict[str, Any] | None:
    """The body as a dict (JSON, url-encoded or multipart form), or None when unreadable."""
    ctype = request.content_type
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return multi_to_dict(await request.post())
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def _token_of(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get("session") or None


class SessionRoutes:
    """Handlers bound to one :class:`Sessions` store (one per app instance)."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    async def login(self, request: web.Request) -> web.Response:
        """POST only. Any non-empty password logs in, except the password ``wrong``."""
        body = await _credentials(request)
        if body is None:
            return json_response({"error": "body must be a JSON object or a form"}, status=400)
        user = next((body[k] for k in _USER_KEYS if body.get(k) not in (None, "")), None)
        password = body.get("password")
        if user is None or password in (None, ""):
            return json_response({"error": "missing credentials"}, status=400)
        if password == "wrong":
            return json_response({"error": "invalid credentials"}, status=401)
        name = user if isinstance(user, str) else orjson.dumps(user).decode()
        token = self.sessions.issue(name)
        resp = json_response(
            {"token": token, "access_token": token, "token_type": "Bearer", "user": name}
        )
        resp.set_cookie("session", token, path="/", httponly=True)
        return resp

    async def me(self, request: web.Request) -> web.Response:
        """GET: the user of the Bearer token or ``session`` cookie, else 401."""
        token = _token_of(request)
        user = self.sessions.user(token) if token else None
        if user is None:
            return json_response(
                {"error": "not logged in"}, status=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return json_response({"user": user})

    async def logout(self, request: web.Request) -> web.Response:
        """POST: forgets the token and expires the cookie."""
        token = _token_of(request)
        if token:
            self.sessions.revoke(token)
        resp = json_response({"logged_out": bool(token)})
        resp.del_cookie("session", path="/")
        return resp

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/login", self.login)
        router.add_get("/me", self.me)
        router.add_post("/logout", self.logout)
