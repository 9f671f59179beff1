"""Fixture data for the jsonplaceholder-like endpoints.

Generated from a fixed seed so every run (and every test) sees the same posts, users and
comments, and pre-encoded to JSON bytes once so serving them costs no serialisation.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any

import orjson

_SEED = 20240601
N_POSTS = 100
N_USERS = 10
COMMENTS_PER_POST = 5
N_PROGRAMS = 30

_LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
    "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate "
    "velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident "
    "sunt culpa qui officia deserunt mollit anim id est laborum"
)
_WORDS = tuple(_LOREM.split())
_FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
_LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
         "Perlman", "Berners"]
_CITIES = ["Gwenborough", "Wisokyburgh", "McKenziehaven", "South Elvis", "Roscoeview",
           "South Christy", "Howemouth", "Aliyaview", "Bartholomebury", "Lebsackbury"]


def _words(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(lo, hi)))


def _paragraph(rng: random.Random) -> str:
    return "\n".join(_words(rng, 8, 14) for _ in range(4))


def _make_posts(rng: random.Random) -> list[dict[str, Any]]:
    per_user = N_POSTS // N_USERS
    return [
        {"userId": (i - 1) // per_user + 1, "id": i, "title": _words(rng, 3, 8),
         "body": _paragraph(rng)}
        for i in range(1, N_POSTS + 1)
    ]


def _make_users(rng: random.Random) -> list[dict[str, Any]]:
    users = []
    for i in range(1, N_USERS + 1):
        first, last = _FIRST[i - 1], _LAST[i - 1]
        username = f"{first.lower()}.{last.lower()}"
        users.append({
            "id": i,
            "name": f"{first} {last}",
            "username": username,
            "email": f"{username}@example.org",
            "address": {
                "street": f"{_words(rng, 1, 2).title()} Street",
                "suite": f"Apt. {rng.randint(100, 999)}",
                "city": _CITIES[i - 1],
                "zipcode": f"{rng.randint(10000, 99999)}",
                "geo": {"lat": f"{rng.uniform(-80, 80):.4f}",
                        "lng": f"{rng.uniform(-170, 170):.4f}"},
            },
            "phone": f"1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "website": f"{last.lower()}.example.org",
            "company": {"name": f"{last} Group", "catchPhrase": _words(rng, 3, 5),
                        "bs": _words(rng, 3, 4)},
        })
    return users


def _make_comments(rng: random.Random) -> list[dict[str, Any]]:
    comments = []
    for i in range(1, N_POSTS * COMMENTS_PER_POST + 1):
        user = rng.randint(1, N_USERS)
        comments.append({
            "postId": (i - 1) // COMMENTS_PER_POST + 1,
            "id": i,
            "name": _words(rng, 3, 6),
            "email": f"{_FIRST[user - 1].lower()}{i}@example.net",
            "body": _paragraph(rng),
        })
    return comments


def _make_programs(rng: random.Random) -> list[dict[str, Any]]:
    statuses = ("active", "draft", "archived")
    return [
        {"id": i, "name": f"Program {i}: {_words(rng, 2, 4).title()}",
         "description": _words(rng, 8, 16), "status": statuses[i % 3],
         "enrolled": rng.randint(0, 5000), "startsAt": f"2025-{i % 12 + 1:02d}-01"}
        for i in range(1, N_PROGRAMS + 1)
    ]


@dataclass(frozen=True, slots=True)
class Fixtures:
    """Every fixture list and its pre-encoded JSON forms."""

    posts: list[dict[str, Any]]
    users: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    programs: list[dict[str, Any]]
    posts_json: bytes
    post_json: dict[int, bytes]
    users_json: bytes
    user_json: dict[int, bytes]
    comments_json: bytes
    comments_by_post: dict[int, bytes]


@functools.cache
def build() -> Fixtures:
    """The fixtures (deterministic: the same seed every time; built once per process and
    shared read-only by every app instance)."""
    rng = random.Random(_SEED)
    posts = _make_posts(rng)
    users = _make_users(rng)
    comments = _make_comments(rng)
    programs = _make_programs(rng)
    by_post: dict[int, list[dict[str, Any]]] = {}
    for c in comments:
        by_post.setdefault(c["postId"], []).append(c)
    return Fixtures(
        posts=posts,
        users=users,
        comments=comments,
        programs=programs,
        posts_json=orjson.dumps(posts),
        post_json={p["id"]: orjson.dumps(p) for p in posts},
        users_json=orjson.dumps(users),
        user_json={u["id"]: orjson.dumps(u) for u in users},
        comments_json=orjson.dumps(comments),
        comments_by_post={k: orjson.dumps(v) for k, v in by_post.items()},
    )


#: The httpbin ``/json`` document.
SLIDESHOW: dict[str, Any] = {
    "slideshow": {
        "author": "Yours Truly",
        "date": "date of publication",
        "title": "Sample Slide Show",
        "slides": [
            {"title": "Wake up to WonderWidgets!", "type": "all"},
            {"title": "Overview", "type": "all",
             "items": ["Why <em>WonderWidgets</em> are great", "Who <em>buys</em> WonderWidgets"]},
        ],
    }
}

HTML = b"""<!DOCTYPE html>
<html>
  <head><meta charset="utf-8"><title>httptool target</title></head>
  <body>
    <h1>Herman Melville - Moby-Dick</h1>
    <p>Availing himself of the mild, summer-cool weather that now reigned in these
    latitudes, and in preparation for the peculiarly active pursuits shortly to be
    anticipated, Perth, the begrimed, blistered old blacksmith, had not removed his
    portable forge to the hold again.</p>
  </body>
</html>
"""
