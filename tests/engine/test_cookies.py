"""RFC 6265 cookie jar: matching, expiry, Secure, ordering, limits, modes."""

from __future__ import annotations

import calendar

import pytest

from httptool.engine.cookies import (
    MAX_PER_DOMAIN,
    CookieJar,
    NullJar,
    canonical_host,
    default_path,
    jar_factory,
    parse_cookie_date,
    path_matches,
)

pytestmark = pytest.mark.timeout(30)

NOW = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = NOW

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def jar(clock: Clock) -> CookieJar:
    return CookieJar(clock=clock)


def send(jar: CookieJar, url_host: str, path: str = "/", secure: bool = False) -> str | None:
    return jar.header_for(secure, url_host, path)


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 21 Oct 2015 07:28:00 GMT", (2015, 10, 21, 7, 28, 0)),
        ("Sun, 06-Nov-94 08:49:37 GMT", (1994, 11, 6, 8, 49, 37)),
        ("Sunday, 06-Nov-94 08:49:37 GMT", (1994, 11, 6, 8, 49, 37)),
        ("Sun Nov  6 08:49:37 1994", (1994, 11, 6, 8, 49, 37)),
        ("Thu, 01 Jan 2037 00:00:00 GMT", (2037, 1, 1, 0, 0, 0)),
        ("1 jan 30 00:00:01", (2030, 1, 1, 0, 0, 1)),
    ],
)
def test_cookie_date_parsing(text: str, expected: tuple[int, ...]) -> None:
    assert parse_cookie_date(text) == calendar.timegm((*expected, 0, 0, 0))


@pytest.mark.parametrize(
    "text",
    ["", "garbage", "31 Feb 2020 00:00:00", "Wed, 21 Oct 2015 25:00:00 GMT",
     "Wed, 21 Oct 1500 07:28:00", "Wed, 32 Oct 2015 07:28:00"],
)
def test_invalid_cookie_dates(text: str) -> None:
    assert parse_cookie_date(text) is None


@pytest.mark.parametrize(
    ("req", "default"),
    [("", "/"), ("/", "/"), ("/a", "/"), ("/a/", "/a"), ("/a/b/c", "/a/b"),
     ("/a/b?x=/y/z", "/a"), ("rel", "/")],
)
def test_default_path(req: str, default: str) -> None:
    assert default_path(req) == default


@pytest.mark.parametrize(
    ("req", "cookie", "match"),
    [("/", "/", True), ("/a/b", "/a", True), ("/a", "/a", True), ("/a/", "/a", True),
     ("/ab", "/a", False), ("/a/b", "/a/", True), ("/", "/a", False), ("/A", "/a", False)],
)
def test_path_match(req: str, cookie: str, match: bool) -> None:
    assert path_matches(req, cookie) is match


def test_canonical_host() -> None:
    assert canonical_host("Example.COM") == "example.com"
    assert canonical_host("example.com:8080") == "example.com"
    assert canonical_host("example.com.") == "example.com"
    assert canonical_host("[::1]:8080") == "::1"
    assert canonical_host("::1") == "::1"


# --------------------------------------------------------------------------- domains


def test_host_only_cookie(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", ["sid=1"])
    assert send(jar, "example.com") == "sid=1"
    assert send(jar, "EXAMPLE.com:8080") == "sid=1"
    assert send(jar, "www.example.com") is None
    assert send(jar, "other.com") is None


def test_domain_cookie_reaches_subdomains(jar: CookieJar) -> None:
    jar.store(False, "www.example.com", "/", ["d=1; Domain=.Example.com"])
    assert send(jar, "example.com") == "d=1"
    assert send(jar, "a.b.example.com") == "d=1"
    assert send(jar, "notexample.com") is None
    assert send(jar, "example.org") is None


@pytest.mark.parametrize(
    "domain",
    ["other.com", "ww.example.com", "com", "xample.com", "sub.www.example.com"],
)
def test_foreign_or_public_suffix_domain_is_rejected(jar: CookieJar, domain: str) -> None:
    jar.store(False, "www.example.com", "/", [f"x=1; Domain={domain}"])
    assert jar.cookies() == []


def test_single_label_host_may_set_its_own_domain(jar: CookieJar) -> None:
    jar.store(False, "localhost", "/", ["x=1; Domain=localhost"])
    assert send(jar, "localhost") == "x=1"
    assert jar.cookies()[0].host_only


def test_ip_hosts_match_exactly(jar: CookieJar) -> None:
    jar.store(False, "127.0.0.1:8080", "/", ["a=1", "b=2; Domain=127.0.0.1", "c=3; Domain=0.0.1"])
    assert send(jar, "127.0.0.1") == "a=1; b=2"
    assert send(jar, "10.127.0.0.1") is None


# --------------------------------------------------------------------------- paths and order


def test_path_and_default_path(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/app/login", ["def=1", "root=2; Path=/",
                                                    "api=3; Path=/api", "rel=4; Path=x"])
    assert send(jar, "example.com", "/app") == "def=1; rel=4; root=2"
    assert send(jar, "example.com", "/app/x?q=1") == "def=1; rel=4; root=2"
    assert send(jar, "example.com", "/api/v1") == "api=3; root=2"
    assert send(jar, "example.com", "/apiv1") == "root=2"
    assert send(jar, "example.com", "/") == "root=2"


def test_order_longest_path_then_creation(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", ["b=1; Path=/", "a=2; Path=/a/b", "c=3; Path=/a"])
    jar.store(False, "example.com", "/", ["d=4; Path=/a"])
    assert send(jar, "example.com", "/a/b/c") == "a=2; c=3; d=4; b=1"


def test_overwrite_keeps_creation_order(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", ["a=1", "b=2"])
    jar.store(False, "example.com", "/", ["a=updated"])
    assert send(jar, "example.com") == "a=updated; b=2"
    assert len(jar) == 2


def test_same_name_different_path_or_domain_coexist(jar: CookieJar) -> None:
    jar.store(False, "www.example.com", "/", ["a=host", "a=dom; Domain=example.com",
                                              "a=sub; Path=/sub"])
    assert len(jar) == 3
    assert send(jar, "www.example.com", "/sub/x") == "a=sub; a=host; a=dom"


# --------------------------------------------------------------------------- expiry


def test_max_age_and_expiry(jar: CookieJar, clock: Clock) -> None:
    jar.store(False, "example.com", "/", ["short=1; Max-Age=10", "session=2"])
    assert send(jar, "example.com") == "short=1; session=2"
    clock.t += 9
    assert send(jar, "example.com") == "short=1; session=2"
    clock.t += 1
    assert send(jar, "example.com") == "session=2"
    assert jar.get("short") is None


def test_max_age_wins_over_expires(jar: CookieJar, clock: Clock) -> None:
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    future = "Thu, 01 Jan 2099 00:00:00 GMT"
    jar.store(False, "example.com", "/", [f"a=1; Expires={past}; Max-Age=100",
                                          f"b=2; Max-Age=100; Expires={past}",
                                          f"c=3; Max-Age=0; Expires={future}"])
    assert send(jar, "example.com") == "a=1; b=2"
    clock.t += 101
    assert send(jar, "example.com") is None


def test_expires_in_the_past_deletes(jar: CookieJar, clock: Clock) -> None:
    jar.store(False, "example.com", "/", ["a=1", "b=2; Expires=Thu, 01 Jan 2099 00:00:00 GMT"])
    assert send(jar, "example.com") == "a=1; b=2"
    jar.store(False, "example.com", "/", ["a=; Expires=Wed, 21 Oct 2015 07:28:00 GMT"])
    assert send(jar, "example.com") == "b=2"


@pytest.mark.parametrize("max_age", ["0", "-1"])
def test_deletion_via_max_age_zero(jar: CookieJar, max_age: str) -> None:
    jar.store(False, "example.com", "/", ["sid=abc", "keep=1"])
    jar.store(False, "example.com", "/", [f"sid=; Max-Age={max_age}"])
    assert send(jar, "example.com") == "keep=1"
    assert jar.get("sid") is None


def test_deletion_needs_same_path_and_domain(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", ["sid=abc; Path=/"])
    jar.store(False, "example.com", "/x/y", ["sid=; Max-Age=0"])  # default path /x: other key
    assert send(jar, "example.com") == "sid=abc"


def test_invalid_max_age_is_ignored(jar: CookieJar, clock: Clock) -> None:
    jar.store(False, "example.com", "/", ["a=1; Max-Age=1x", "b=2; Max-Age=", "c=3; Max-Age=5"])
    clock.t += 1e6
    assert send(jar, "example.com") == "a=1; b=2"


def test_expiry_refresh_without_change(jar: CookieJar, clock: Clock) -> None:
    jar.store(False, "example.com", "/", ["s=1; Max-Age=10"])
    assert send(jar, "example.com") == "s=1"
    clock.t += 8
    jar.store(False, "example.com", "/", ["s=1; Max-Age=10"])  # same cookie, later expiry
    clock.t += 8
    assert send(jar, "example.com") == "s=1"
    clock.t += 3
    assert send(jar, "example.com") is None


# --------------------------------------------------------------------------- Secure, HttpOnly


def test_secure_only_over_https(jar: CookieJar) -> None:
    jar.store(True, "example.com", "/", ["s=1; Secure", "p=2"])
    assert send(jar, "example.com", secure=True) == "s=1; p=2"
    assert send(jar, "example.com", secure=False) == "p=2"


def test_secure_cookie_from_http_is_ignored(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", ["s=1; Secure"])
    assert jar.cookies() == []


def test_http_cannot_overwrite_secure(jar: CookieJar) -> None:
    jar.store(True, "example.com", "/", ["s=secret; Secure"])
    jar.store(False, "example.com", "/", ["s=evil"])
    assert send(jar, "example.com", secure=True) == "s=secret"
    jar.store(False, "example.com", "/", ["s=evil; Path=/sub"])
    assert send(jar, "example.com", "/sub", secure=True) == "s=secret"


def test_prefixes(jar: CookieJar) -> None:
    jar.store(True, "example.com", "/a/b", [
        "__Secure-ok=1; Secure", "__Secure-bad=1",
        "__Host-ok=1; Secure; Path=/", "__Host-dom=1; Secure; Path=/; Domain=example.com",
        "__Host-path=1; Secure",
    ])
    assert sorted(c.name for c in jar.cookies()) == ["__Host-ok", "__Secure-ok"]


def test_httponly_and_samesite_kept(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", ["h=1; HttpOnly; SameSite=Lax"])
    (c,) = jar.cookies()
    assert c.http_only and c.same_site == "lax"
    assert send(jar, "example.com") == "h=1"


# --------------------------------------------------------------------------- parsing edge cases


def test_malformed_set_cookie_values(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", [
        "noequals", "=novalue", " spaced = v a l ; Path=/", "q=\"quoted\"", "e=",
        "crlf=a\r\nX: y", "big=" + "x" * 5000,
    ])
    assert send(jar, "example.com") == 'spaced=v a l; q="quoted"; e='


def test_attribute_names_case_insensitive(jar: CookieJar, clock: Clock) -> None:
    jar.store(True, "www.example.com", "/", ["a=1; PATH=/p; DOMAIN=example.com; MAX-AGE=5; SECURE"])
    (c,) = jar.cookies()
    assert (c.path, c.domain, c.secure, c.host_only) == ("/p", "example.com", True, False)
    assert c.expires == NOW + 5


def test_per_domain_limit_evicts_oldest(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", [f"c{i}=v" for i in range(MAX_PER_DOMAIN + 5)])
    names = {c.name for c in jar.cookies()}
    assert len(names) == MAX_PER_DOMAIN
    assert "c0" not in names and f"c{MAX_PER_DOMAIN + 4}" in names


# --------------------------------------------------------------------------- get, clear, modes


def test_get(jar: CookieJar) -> None:
    jar.store(False, "a.example.com", "/", ["sid=a"])
    jar.store(False, "b.example.com", "/", ["sid=b"])
    jar.store(False, "b.example.com", "/", ["wide=w; Domain=example.com"])
    assert jar.get("sid") == "b"  # most recently set
    assert jar.get("sid", "a.example.com") == "a"
    assert jar.get("sid", "c.example.com") is None
    assert jar.get("wide", "c.example.com") == "w"
    assert jar.get("nope") is None


def test_clear(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", ["a=1"])
    assert send(jar, "example.com") == "a=1"
    jar.clear()
    assert send(jar, "example.com") is None
    assert len(jar) == 0


def test_cache_is_invalidated_by_store(jar: CookieJar) -> None:
    jar.store(False, "example.com", "/", ["a=1; Path=/x"])
    assert send(jar, "example.com", "/x") == "a=1"
    jar.store(False, "example.com", "/", ["a=2; Path=/x"])
    assert send(jar, "example.com", "/x") == "a=2"
    jar.store(False, "example.com", "/", ["b=3"])
    assert send(jar, "example.com", "/") == "b=3"


def test_null_jar() -> None:
    j = NullJar()
    j.store(False, "example.com", "/", ["a=1"])
    assert j.header_for(False, "example.com", "/") is None
    assert j.get("a") is None
    j.clear()


def test_modes() -> None:
    per_vu = jar_factory("vu")
    a, b = per_vu(), per_vu()
    a.store(False, "example.com", "/", ["sid=a"])
    b.store(False, "example.com", "/", ["sid=b"])
    assert a.header_for(False, "example.com", "/") == "sid=a"
    assert b.header_for(False, "example.com", "/") == "sid=b"

    shared = jar_factory("shared")
    c, d = shared(), shared()
    assert c is d
    c.store(False, "example.com", "/", ["sid=c"])
    assert d.header_for(False, "example.com", "/") == "sid=c"

    off = jar_factory("off")()
    assert isinstance(off, NullJar)
    with pytest.raises(ValueError):
        jar_factory("bogus")  # type: ignore[arg-type]
