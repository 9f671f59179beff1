"""``--base-url-map FROM=TO`` (``RunOptions.base_url_map``): requests written for public
hosts go to the local target; the URL in events is the one actually sent."""

from __future__ import annotations

from typing import Any

import pytest

from httptool.engine.vu import map_url
from support.runshard import plan_from, run_plan
from vu.helpers import reqs

MAP = (("https://api.example.com/v1", "http://127.0.0.1:1/anything/v1"),
       ("https://api.example.com", "http://127.0.0.1:1"),
       ("https://slash.example.com/", "http://127.0.0.1:2/"),
       ("https://noslash.example.com", "http://127.0.0.1:3/"))


@pytest.mark.parametrize(("url", "sent"), [
    ("https://api.example.com/get?a=1", "http://127.0.0.1:1/get?a=1"),
    ("https://api.example.com", "http://127.0.0.1:1"),
    ("https://api.example.com?x", "http://127.0.0.1:1?x"),
    ("https://api.example.com/v1/users", "http://127.0.0.1:1/anything/v1/users"),
    ("https://slash.example.com/x", "http://127.0.0.1:2/x"),
    ("https://noslash.example.com/x", "http://127.0.0.1:3/x"),
    # another host or port that merely starts with the same text is not mapped
    ("https://api.example.com.au/get", "https://api.example.com.au/get"),
    ("https://api.example.com:8443/get", "https://api.example.com:8443/get"),
    ("https://api.example.community/", "https://api.example.community/"),
    ("http://api.example.com/get", "http://api.example.com/get"),
])
def test_map_url(url: str, sent: str) -> None:
    assert map_url(url, MAP) == sent


def test_several_hosts_map_to_the_target_and_events_show_the_sent_url(target: Any) -> None:
    text = """
var api = "https://jsonplaceholder.typicode.com"
request a { curl https://httpbin.org/anything/x?q=1 }
request b { curl ${api}/posts/1
  assert { body.id == 1 } }
request c { curl "https://example.org/anything?from=${api}" }
scenario s { run a -> b -> c }
"""
    out = run_plan(plan_from(text), base_url_map=(
        ("https://httpbin.org", target.url), ("https://jsonplaceholder.typicode.com", target.url),
        ("https://example.org", target.url)))
    assert [e[6] for e in reqs(out)] == [
        f"{target.url}/anything/x?q=1", f"{target.url}/posts/1",
        f"{target.url}/anything?from=https%3A%2F%2Fjsonplaceholder.typicode.com"]
    assert all(e[9] for e in reqs(out)) and out.result.total_failures == 0
