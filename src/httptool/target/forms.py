"""/app/...: a small web app whose every secret is fresh, for the importers' correlation tests.

A recorded browser session against these endpoints only replays if each value the server
handed out is taken from its response again: the login form's CSRF token (a hidden
``<input>``), the post-login ticket (in the redirect's ``Location``), the API token (a
JSON field), an order id (a JSON field used in a later path) and the account form's CSRF
token. Each is random per issue, single-use where a browser would use it once, and a
value this instance never issued (such as one from a recording) is refused with 403/401.
"""

from __future__ import annotations

import html
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from aiohttp import web

from httptool.target.echo import json_response

#: Values remembered at most per kind; the oldest is forgotten first (bounded memory).
MAX_VALUES = 200_000
SESSION_COOKIE = "app_sid"

_CSS = b"body{font-family:sans-serif;margin:2em}label{display:block;margin:.5em 0}\n"
_JS = b"document.documentElement.dataset.ready = '1';\n"
#: a 1x1 transparent PNG
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class _Bounded:
    """A set-like store of issued values with an optional payload, oldest evicted first."""

    def __init__(self) -> None:
        self.items: OrderedDict[str, str] = OrderedDict()

    def issue(self, payload: str = "") -> str:
        value = secrets.token_urlsafe(18)
        if len(self.items) >= MAX_VALUES:
            self.items.popitem(last=False)
        self.items[value] = payload
        return value

    def get(self, value: str) -> str | None:
        return self.items.get(value)

    def take(self, value: str) -> str | None:
        """The payload of ``value`` and forget it (single use), or None if never issued."""
        return self.items.pop(value, None)


@dataclass(slots=True)
class FormsState:
    """What one target instance issued to the /app endpoints."""

    csrf: _Bounded = field(default_factory=_Bounded)  # csrf -> session id ("" before login)
    tickets: _Bounded = field(default_factory=_Bounded)  # ticket -> session id
    sessions: _Bounded = field(default_factory=_Bounded)  # session id -> user
    tokens: _Bounded = field(default_factory=_Bounded)  # API token -> user
    orders: _Bounded = field(default_factory=_Bounded)  # order id -> API token


def _page(title: str, body: str) -> web.Response:
    text = (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        '<link rel="stylesheet" href="/app/static/app.css">'
        '<script src="/app/static/app.js" defer></script></head>'
        f'<body><img src="/app/static/logo.png" alt=""><h1>{html.escape(title)}</h1>'
        f"{body}</body></html>"
    )
    return web.Response(text=text, content_type="text/html")


def _forbidden(reason: str) -> web.Response:
    return json_response({"error": reason}, status=403)


class FormsRoutes:
    """Handlers bound to one :class:`FormsState`."""

    def __init__(self, state: FormsState) -> None:
        self.state = state

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/app/login", self.login_form)
        router.add_post("/app/login", self.login)
        router.add_get("/app/welcome", self.welcome)
        router.add_post("/app/api/login", self.api_login)
        router.add_get("/app/api/orders", self.orders)
        router.add_get("/app/api/orders/{id}", self.order)
        router.add_get("/app/account", self.account_form)
        router.add_post("/app/account", self.account)
        router.add_get("/app/static/{name}", self.static)

    def _session_user(self, request: web.Request) -> tuple[str, str] | None:
        sid = request.cookies.get(SESSION_COOKIE, "")
        user = self.state.sessions.get(sid) if sid else None
        return (sid, user) if user is not None else None

    async def login_form(self, request: web.Request) -> web.Response:
        csrf = self.state.csrf.issue("")
        return _page("Sign in", (
            '<form method="post" action="/app/login">'
            f'<input type="hidden" name="csrf" value="{csrf}">'
            '<label>User <input name="username"></label>'
            '<label>Password <input name="password" type="password"></label>'
            '<button type="submit">Sign in</button></form>'))

    async def login(self, request: web.Request) -> web.Response:
        """Form POST: a CSRF token from this instance's login form, used once."""
        form = await request.post()
        if self.state.csrf.take(str(form.get("csrf", ""))) != "":
            return _forbidden("stale or unknown csrf token")
        user = str(form.get("username", ""))
        if not user or not form.get("password"):
            return json_response({"error": "missing credentials"}, status=400)
        sid = self.state.sessions.issue(user)
        ticket = self.state.tickets.issue(sid)
        resp = web.Response(status=303, headers={"Location": f"/app/welcome?ticket={ticket}"})
        resp.set_cookie(SESSION_COOKIE, sid, path="/app", httponly=True)
        return resp

    async def welcome(self, request: web.Request) -> web.Response:
        """The ticket of the redirect, once, with the session cookie it was issued to."""
        session = self._session_user(request)
        sid = self.state.tickets.take(request.query.get("ticket", ""))
        if session is None or sid != session[0]:
            return _forbidden("stale or unknown ticket")
        return _page(f"Welcome {session[1]}", '<a href="/app/account">Your account</a>')

    async def api_login(self, request: web.Request) -> web.Response:
        """JSON ``{"username", "password"}`` -> a fresh ``access_token``."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("username") or not body.get("password"):
            return json_response({"error": "missing credentials"}, status=400)
        token = self.state.tokens.issue(str(body["username"]))
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _token_user(self, request: web.Request) -> tuple[str, str] | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = self.state.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return (token.strip(), user) if user is not None else None

    async def orders(self, request: web.Request) -> web.Response:
        """Two orders whose ids are fresh and valid only with the token that listed them."""
        who = self._token_user(request)
        if who is None:
            return json_response({"error": "unknown token"}, status=401)
        items = [{"id": self.state.orders.issue(who[0]), "total": t} for t in (1999, 4250)]
        return json_response({"user": who[1], "orders": items})

    async def order(self, request: web.Request) -> web.Response:
        who = self._token_user(request)
        if who is None:
            return json_response({"error": "unknown token"}, status=401)
        oid = request.match_info["id"]
        if self.state.orders.get(oid) != who[0]:
            return json_response({"error": "no such order"}, status=404)
        return json_response({"id": oid, "user": who[1], "status": "shipped"})

    async def account_form(self, request: web.Request) -> web.Response:
        session = self._session_user(request)
        if session is None:
            return _forbidden("not signed in")
        csrf = self.state.csrf.issue(session[0])
        saved = "<p>Saved.</p>" if request.query.get("saved") else ""
        return _page(f"Account of {session[1]}", saved + (
            '<form method="post" action="/app/account">'
            f'<input type="hidden" name="csrf" value="{csrf}">'
            '<label>Bio <input name="bio"></label>'
            '<button type="submit">Save</button></form>'))

    async def account(self, request: web.Request) -> web.Response:
        """Form POST: the CSRF token of a form rendered for this session, used once."""
        session = self._session_user(request)
        form = await request.post()
        owner = self.state.csrf.take(str(form.get("csrf", "")))
        if session is None or not owner or owner != session[0]:
            return _forbidden("stale or unknown csrf token")
        return web.Response(status=303, headers={"Location": "/app/account?saved=1"})

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "app.css":
            return web.Response(body=_CSS, content_type="text/css")
        if name == "app.js":
            return web.Response(body=_JS, content_type="application/javascript")
        if name == "logo.png":
            return web.Response(body=_PNG, content_type="image/png")
        raise web.HTTPNotFound()
