"""Cookie jar cost per request: httptool's jar vs the standard library's http.cookiejar.

Measures nanoseconds per ``header_for`` (the Cookie header for a request, called on every
request) and per ``store`` (applying a response's Set-Cookie values, the same values each
time, as servers re-send sessions), for a typical session (3 cookies on one host, path
``/``) and a mixed jar (cookies on several paths and domains); then a store of a never-seen
value (a fresh session id) followed by the header it forces to be rebuilt.

    .venv/bin/python bench/cookies_speed.py [--n 50000]

http.cookiejar needs urllib Request/response objects; the shims below are the minimum it
reads (``get_full_url``, ``get_header``, ``info().get_all``...), so its figures are a lower
bound of what it would cost inside the client.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import time
import urllib.request
from collections.abc import Callable
from email.message import Message

from httptool.engine.cookies import CookieJar

SESSION = [
    "sid=3f2a9c1b7e; Path=/; HttpOnly",
    "csrf=ab12cd34; Path=/",
    "theme=dark; Path=/; Max-Age=86400",
]
MIXED = [
    *SESSION,
    "api=v2; Path=/api",
    "deep=1; Path=/api/v2/users",
    "wide=1; Domain=example.com; Path=/",
    "old=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
]


def per_call_ns(fn: Callable[[], object], n: int) -> float:
    fn()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter_ns() - t0) / n)
    return best


class _Resp:
    """What http.cookiejar.CookieJar.extract_cookies reads from a response."""

    def __init__(self, set_cookies: list[str]) -> None:
        self._msg = Message()
        for sc in set_cookies:
            self._msg["Set-Cookie"] = sc

    def info(self) -> Message:
        return self._msg


def bench_ours(set_cookies: list[str], n: int) -> tuple[float, float]:
    jar = CookieJar()
    jar.store(False, "api.example.com", "/api/v2/users/1", set_cookies)
    header = per_call_ns(lambda: jar.header_for(False, "api.example.com", "/api/v2/users/1"), n)
    store = per_call_ns(
        lambda: jar.store(False, "api.example.com", "/api/v2/users/1", set_cookies), n // 5
    )
    return header, store


def bench_fresh(n: int) -> tuple[float, float]:
    """A new session id on every response (no parse-cache hit), then the next request's
    header (rebuilt after the change): the cost of a login response and the request after."""
    jar = CookieJar()
    ids = iter(range(10**9))
    host, path = "api.example.com", "/api/v2/users/1"

    def store() -> None:
        jar.store(False, host, path, [f"sid={next(ids):x}; Path=/; HttpOnly"])

    def store_then_header() -> object:
        store()
        return jar.header_for(False, host, path)

    return per_call_ns(store, n // 5), per_call_ns(store_then_header, n // 5)


def bench_stdlib(set_cookies: list[str], n: int) -> tuple[float, float]:
    jar = http.cookiejar.CookieJar()
    url = "http://api.example.com/api/v2/users/1"
    resp = _Resp(set_cookies)
    jar.extract_cookies(resp, urllib.request.Request(url))  # type: ignore[arg-type]

    def header() -> object:
        req = urllib.request.Request(url)
        jar.add_cookie_header(req)
        return req.get_header("Cookie")

    def store() -> None:
        jar.extract_cookies(resp, urllib.request.Request(url))  # type: ignore[arg-type]

    return per_call_ns(header, n // 5), per_call_ns(store, n // 20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=50_000)
    n = ap.parse_args().n
    print(f"{'jar':<22}{'cookies':<10}{'header_for ns':>16}{'store ns':>12}")
    for label, cookies in (("session", SESSION), ("mixed", MIXED)):
        h, s = bench_ours(cookies, n)
        print(f"{'httptool CookieJar':<22}{label:<10}{h:>16.0f}{s:>12.0f}")
        h, s = bench_stdlib(cookies, n)
        print(f"{'http.cookiejar':<22}{label:<10}{h:>16.0f}{s:>12.0f}")
    s, sh = bench_fresh(n)
    print(f"httptool CookieJar, new session id per response: store {s:.0f} ns, "
          f"store + next header_for {sh:.0f} ns")


if __name__ == "__main__":
    main()
