"""jsonplaceholder-like data and the corpus's /api paths."""

from __future__ import annotations

import pytest
from targetutil import call

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("prefix", ["", "/api"])
def test_posts_list_and_detail(target, prefix: str) -> None:
    posts = call("GET", f"{target.url}{prefix}/posts").json()
    assert len(posts) == 100
    assert [p["id"] for p in posts] == list(range(1, 101))
    assert set(posts[0]) == {"userId", "id", "title", "body"}
    assert {p["userId"] for p in posts} == set(range(1, 11))
    one = call("GET", f"{target.url}{prefix}/posts/{posts[2]['id']}").json()
    assert one == posts[2]
    for missing in ("0", "101", "abc"):
        r = call("GET", f"{target.url}{prefix}/posts/{missing}")
        assert (r.status, r.json()) == (404, {})


def test_posts_are_deterministic(target_factory, target) -> None:
    other = target_factory()
    assert call("GET", target.url + "/posts").body == call("GET", other.url + "/posts").body


def test_posts_filter_and_comments(target) -> None:
    mine = call("GET", target.url + "/posts?userId=3").json()
    assert len(mine) == 10 and {p["userId"] for p in mine} == {3}
    comments = call("GET", target.url + "/posts/7/comments").json()
    assert len(comments) == 5 and {c["postId"] for c in comments} == {7}
    assert call("GET", target.url + "/comments?postId=7").json() == comments
    assert len(call("GET", target.url + "/comments").json()) == 500
    assert call("GET", target.url + "/comments?postId=999").json() == []


def test_create_update_delete_echo(target) -> None:
    r = call("POST", target.url + "/posts", json={"title": "t", "body": "b", "userId": 1})
    assert r.status == 201
    assert r.json() == {"title": "t", "body": "b", "userId": 1, "id": 101}
    r = call("POST", target.url + "/api/posts", data={"title": "form"})
    assert (r.status, r.json()) == (201, {"title": "form", "id": 101})
    r = call("PUT", target.url + "/posts/5", json={"title": "new"})
    assert r.json() == {"title": "new", "id": 5}
    patched = call("PATCH", target.url + "/posts/5", json={"title": "new"}).json()
    assert patched["title"] == "new" and patched["userId"] == 1 and "body" in patched
    assert call("DELETE", target.url + "/posts/5").json() == {}
    # nothing is stored: the next read is unchanged
    assert call("GET", target.url + "/posts/5").json()["title"] != "new"


def test_users(target) -> None:
    users = call("GET", target.url + "/users").json()
    assert [u["id"] for u in users] == list(range(1, 11))
    assert len({u["email"] for u in users}) == 10
    assert call("GET", target.url + "/users/4").json() == users[3]
    assert call("GET", target.url + "/users/11").status == 404
    posts = call("GET", target.url + "/users/2/posts").json()
    assert len(posts) == 10 and {p["userId"] for p in posts} == {2}


def test_programs_limit(target) -> None:
    url = target.url + "/api/v1/user/programs"
    assert len(call("GET", url + "?limit=10").json()) == 10
    assert len(call("GET", url).json()) == 20
    page = call("GET", url + "?limit=5&offset=28").json()
    assert [p["id"] for p in page] == [29, 30]
    assert call("GET", url + "?limit=x").status == 400
    assert call("GET", url + "?limit=-1").status == 400
