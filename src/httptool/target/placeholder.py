"""jsonplaceholder-like endpoints (/posts, /users, /comments) and the corpus's /api paths.

Reads serve pre-encoded bytes; writes echo like jsonplaceholder (nothing is stored), so the
data every VU sees is the same for the whole run.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from httptool.target.data import Fixtures
from httptool.target.echo import json_response, multi_to_dict

_NOT_FOUND = b"{}"
NEW_POST_ID = 101


def _raw(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json")


def _id(request: web.Request, name: str = "id") -> int | None:
    try:
        return int(request.match_info[name])
    except ValueError:
        return None


async def _json_body(request: web.Request) -> dict[str, Any]:
    """A JSON object or form body; anything else counts as empty (jsonplaceholder's way)."""
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return multi_to_dict(await request.post())
    raw = await request.read()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


class PlaceholderRoutes:
    """Handlers over one :class:`Fixtures` set."""

    def __init__(self, fx: Fixtures) -> None:
        self.fx = fx

    def _filtered(self, items: list[dict[str, Any]], key: str, value: str) -> web.Response:
        try:
            want = int(value)
        except ValueError:
            return _raw(b"[]")
        return json_response([x for x in items if x[key] == want])

    async def posts(self, request: web.Request) -> web.Response:
        """GET the 100 posts (?userId= filters); POST creates (echo with id 101, 201)."""
        if request.method == "POST":
            body = await _json_body(request)
            return json_response({**body, "id": NEW_POST_ID}, status=201)
        user = request.query.get("userId")
        if user is not None:
            return self._filtered(self.fx.posts, "userId", user)
        return _raw(self.fx.posts_json)

    async def post(self, request: web.Request) -> web.Response:
        """GET one post, PUT/PATCH echo the update, DELETE answers {}; 404 {} when missing."""
        pid = _id(request)
        body = self.fx.post_json.get(pid) if pid is not None else None
        if body is None:
            return _raw(_NOT_FOUND, 404)
        method = request.method
        if method in ("PUT", "PATCH"):
            update = await _json_body(request)
            base = self.fx.posts[pid - 1] if method == "PATCH" and pid is not None else {}
            return json_response({**base, **update, "id": pid})
        if method == "DELETE":
            return _raw(_NOT_FOUND)
        return _raw(body)

    async def post_comments(self, request: web.Request) -> web.Response:
        pid = _id(request)
        body = self.fx.comments_by_post.get(pid) if pid is not None else None
        return _raw(body) if body is not None else _raw(b"[]")

    async def comments(self, request: web.Request) -> web.Response:
        """All 500 comments, or ?postId=N's five."""
        post = request.query.get("postId")
        if post is None:
            return _raw(self.fx.comments_json)
        try:
            body = self.fx.comments_by_post.get(int(post), b"[]")
        except ValueError:
            body = b"[]"
        return _raw(body)

    async def users(self, request: web.Request) -> web.Response:
        return _raw(self.fx.users_json)

    async def user(self, request: web.Request) -> web.Response:
        uid = _id(request)
        body = self.fx.user_json.get(uid) if uid is not None else None
        return _raw(body) if body is not None else _raw(_NOT_FOUND, 404)

    async def user_posts(self, request: web.Request) -> web.Response:
        return self._filtered(self.fx.posts, "userId", request.match_info["id"])

    async def programs(self, request: web.Request) -> web.Response:
        """/api/v1/user/programs?limit=N[&offset=M] (the voter-outreach corpus file)."""
        try:
            limit = int(request.query.get("limit", "20"))
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            return json_response({"error": "limit and offset must be integers"}, status=400)
        if limit < 0 or offset < 0:
            return json_response({"error": "limit and offset must be >= 0"}, status=400)
        return json_response(self.fx.programs[offset : offset + limit])

    def add_routes(self, router: web.UrlDispatcher) -> None:
        for prefix in ("", "/api"):
            router.add_route("GET", f"{prefix}/posts", self.posts)
            router.add_route("POST", f"{prefix}/posts", self.posts)
            router.add_route("*", f"{prefix}/posts/{{id}}", self.post)
            router.add_get(f"{prefix}/posts/{{id}}/comments", self.post_comments)
        router.add_get("/comments", self.comments)
        router.add_get("/users", self.users)
        router.add_get("/users/{id}", self.user)
        router.add_get("/users/{id}/posts", self.user_posts)
        router.add_get("/api/v1/user/programs", self.programs)
