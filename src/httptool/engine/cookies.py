"""RFC 6265 cookie jars: one per VU (default), one per process (``--cookies shared``), or
none (``--cookies off``, :class:`NullJar`).

Written by hand rather than on ``http.cookiejar``: the standard library's jar works on
``urllib.request.Request``/response objects and costs tens of microseconds per request
(see ``bench/cookies_speed.py`` and docs/benchmarks.md, "Cookie jar"), while the request
budget is a few microseconds. This jar caches the ``Cookie`` header per (secure, host), so
the common case — nothing changed since the last request — is one dict look-up. The PyPI
alternatives are tied to one client (aiohttp's jar), unmaintained parsers (``cookies``) or
untried 0.1 releases, none with a jar fast enough to call per request.

Rules (RFC 6265 §5, plus the parts of RFC 6265bis every browser and curl apply):

* domain matching; no ``Domain`` attribute makes a host-only cookie; a ``Domain`` that does
  not domain-match the request host, or that is a single label (``com``), drops the cookie
  (no public-suffix list: single-label suffixes are the guard);
* path matching; no (or a relative) ``Path`` takes the default-path of the request;
* ``Max-Age`` wins over ``Expires``; an expiry in the past (``Max-Age=0``) deletes the
  stored cookie; no expiry = kept for the jar's lifetime (a VU's whole run);
* ``Secure`` cookies are sent only over https, and only accepted from https (6265bis);
  plain http cannot overwrite a Secure cookie; ``__Secure-``/``__Host-`` prefixes enforced;
* ``HttpOnly`` and ``SameSite`` are parsed and kept (no scripts here: they change nothing);
* a new cookie replaces the one with the same (name, domain, path), keeping its creation
  time; the header lists longer paths first, then earlier creation;
* limits: name+value over 4096 bytes or an attribute value over 1024 drops the cookie or
  attribute; at most 50 cookies per domain and 3000 per jar (oldest evicted first).

Not thread-safe; safe under asyncio (no method awaits), so a shared jar may serve every VU
of a process.
"""

from __future__ import annotations

import calendar
import ipaddress
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol

MAX_COOKIE_BYTES = 4096
MAX_ATTRIBUTE_BYTES = 1024
MAX_PER_DOMAIN = 50
MAX_COOKIES = 3000
_CACHE_LIMIT = 1024
_INF = float("inf")
_MISSING: Any = object()


class Jar(Protocol):
    """The interface the HTTP client and the checks use."""

    def header_for(self, secure: bool, host: str, path: str) -> str | None: ...

    def store(self, secure: bool, host: str, path: str, set_cookie_values: list[str]) -> None:
        ...

    def get(self, name: str, host: str | None = None) -> str | None: ...

    def clear(self) -> None: ...


@dataclass(slots=True, eq=False)
class Cookie:
    name: str
    value: str
    domain: str  # canonical, lower case, no leading dot
    path: str
    host_only: bool
    secure: bool = False
    http_only: bool = False
    same_site: str = ""
    expires: float = _INF  # Unix seconds; inf = session cookie
    creation: int = 0  # jar sequence number when first stored (ordering)
    updated: int = 0  # jar sequence number of the last store (``get`` returns the newest)


# --------------------------------------------------------------------------- parsing

_DELIM = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?\Z", re.S)
_DAY = re.compile(r"(\d{1,2})(?:\D.*)?\Z", re.S)
_YEAR = re.compile(r"(\d{2,4})(?:\D.*)?\Z", re.S)
_MAX_AGE = re.compile(r"-?\d+\Z")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


def parse_cookie_date(text: str) -> float | None:
    """RFC 6265 §5.1.1 cookie-date algorithm -> Unix seconds, or None if invalid."""
    hms = day = month = year = None
    for tok in _DELIM.split(text):
        if not tok:
            continue
        if hms is None and (m := _TIME.match(tok)):
            hms = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif day is None and (m := _DAY.match(tok)):
            day = int(m.group(1))
        elif month is None and tok[:3].lower() in _MONTHS:
            month = _MONTHS[tok[:3].lower()]
        elif year is None and (m := _YEAR.match(tok)):
            year = int(m.group(1))
    if hms is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    h, mi, s = hms
    if not 1 <= day <= 31 or year < 1601 or h > 23 or mi > 59 or s > 59:
        return None
    if day > calendar.monthrange(year, month)[1]:
        return None
    return float(calendar.timegm((year, month, day, h, mi, s, 0, 0, 0)))


def default_path(request_path: str) -> str:
    """RFC 6265 §5.1.4 default-path of a request path (query ignored)."""
    p = request_path.split("?", 1)[0]
    if not p.startswith("/"):
        return "/"
    i = p.rfind("/")
    return "/" if i == 0 else p[:i]


def path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def _is_ip(host: str) -> bool:
    if not host or not (host[-1].isdigit() or ":" in host):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=1024)
def canonical_host(host: str) -> str:
    """Lower case, port and IPv6 brackets removed, trailing dot dropped."""
    h = host.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        return h[1:end] if end > 0 else h[1:]
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def domain_matches(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3 domain-match of a canonical host against a cookie domain."""
    if host == domain:
        return True
    return host.endswith("." + domain) and not _is_ip(host)


#: (name, value, max_age, expires, domain, path, secure, http_only, same_site)
ParsedCookie = tuple[str, str, "float | None", "float | None", str, str, bool, bool, str]


@lru_cache(maxsize=4096)
def parse_set_cookie(line: str) -> ParsedCookie | None:
    """RFC 6265 §5.2 parse of one Set-Cookie value (cached: servers repeat them), or None
    when the cookie is to be ignored. ``max_age`` is seconds (``-inf`` for <= 0)."""
    if "\r" in line or "\n" in line or "\0" in line:
        return None
    pair, _, attrs = line.partition(";")
    name, eq, value = pair.partition("=")
    if not eq:
        return None
    name, value = name.strip(" \t"), value.strip(" \t")
    if not name or len(name) + len(value) > MAX_COOKIE_BYTES:
        return None
    max_age: float | None = None
    expires: float | None = None
    domain = ""
    path = ""
    secure = http_only = False
    same_site = ""
    if attrs:
        for av in attrs.split(";"):
            k, _, v = av.partition("=")
            k = k.strip(" \t").lower()
            v = v.strip(" \t")
            if len(v) > MAX_ATTRIBUTE_BYTES:
                continue
            if k == "max-age":
                if _MAX_AGE.match(v):
                    delta = int(v)
                    max_age = -_INF if delta <= 0 else float(delta)
            elif k == "expires":
                t = parse_cookie_date(v)
                if t is not None:
                    expires = t
            elif k == "domain":
                if v:
                    domain = v.lstrip(".").lower()
            elif k == "path":
                path = v if v.startswith("/") else ""
            elif k == "secure":
                secure = True
            elif k == "httponly":
                http_only = True
            elif k == "samesite":
                same_site = v.lower()
    return name, value, max_age, expires, domain, path, secure, http_only, same_site


@dataclass(slots=True)
class _Entry:
    """Cached cookies for one (secure, host): sorted, with the header when every cookie's
    path is ``/`` (then the request path does not matter)."""

    cookies: tuple[Cookie, ...]
    header: str | None
    all_root: bool
    min_expires: float
    by_path: dict[str, str | None] = field(default_factory=dict)


# --------------------------------------------------------------------------- the jar


class CookieJar:
    """An RFC 6265 jar (see the module docstring). ``clock`` returns Unix seconds."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._by_domain: dict[str, dict[tuple[str, str], Cookie]] = {}
        self._count = 0
        self._seq = 0
        self._secure_cache: dict[str, _Entry] = {}
        self._plain_cache: dict[str, _Entry] = {}

    # ---------------------------------------------------------------- sending

    def header_for(self, secure: bool, host: str, path: str) -> str | None:
        """The ``Cookie`` header value for a request, or None when no cookie applies."""
        if not self._count:  # most load-test requests: nothing was ever set
            return None
        cache = self._secure_cache if secure else self._plain_cache
        e = cache.get(host)
        if e is None or (e.min_expires != _INF and self._clock() >= e.min_expires):
            e = self._entry(secure, host)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[host] = e
        if e.all_root:
            return e.header
        hit = e.by_path.get(path, _MISSING)
        if hit is not _MISSING:
            return hit
        p = path.split("?", 1)[0] if "?" in path else path
        if not p.startswith("/"):
            p = "/"
        parts = [f"{c.name}={c.value}" for c in e.cookies if path_matches(p, c.path)]
        header = "; ".join(parts) if parts else None
        if len(e.by_path) >= _CACHE_LIMIT:
            e.by_path.clear()
        e.by_path[path] = header
        return header

    def _entry(self, secure: bool, raw_host: str) -> _Entry:
        host = canonical_host(raw_host)
        now = self._clock()
        found: list[Cookie] = []
        for dom in self._candidate_domains(host):
            bucket = self._by_domain.get(dom)
            if not bucket:
                continue
            expired = [k for k, c in bucket.items() if c.expires <= now]
            for k in expired:
                del bucket[k]
                self._count -= 1
            for c in bucket.values():
                if c.host_only and dom != host:
                    continue
                if c.secure and not secure:
                    continue
                found.append(c)
        found.sort(key=lambda c: (-len(c.path), c.creation))
        all_root = all(c.path == "/" for c in found)
        header = "; ".join(f"{c.name}={c.value}" for c in found) if found else None
        min_exp = min((c.expires for c in found), default=_INF)
        return _Entry(tuple(found), header if all_root else None, all_root, min_exp)

    @staticmethod
    def _candidate_domains(host: str) -> Iterable[str]:
        yield host
        if _is_ip(host):
            return
        i = host.find(".")
        while i >= 0:
            yield host[i + 1 :]
            i = host.find(".", i + 1)

    # ---------------------------------------------------------------- receiving

    def store(self, secure: bool, host: str, path: str, set_cookie_values: list[str]) -> None:
        """Apply a response's ``Set-Cookie`` values (RFC 6265 §5.2-5.3)."""
        if not set_cookie_values:
            return
        h = canonical_host(host)
        changed = False
        for sc in set_cookie_values:
            changed |= self._store_one(secure, h, path, sc)
        if changed:
            self._secure_cache.clear()
            self._plain_cache.clear()

    def _store_one(self, secure: bool, host: str, req_path: str, line: str) -> bool:
        parsed = parse_set_cookie(line)
        if parsed is None:
            return False
        name, value, max_age, expires, domain, path, c_secure, http_only, same_site = parsed
        now = self._clock()
        if max_age is not None:
            exp = max_age if max_age == -_INF else now + max_age
        elif expires is not None:
            exp = expires
        else:
            exp = _INF

        if domain:
            if "." not in domain:  # a single label is a public suffix: only its own host
                if domain != host:
                    return False
                host_only = True
            elif not domain_matches(host, domain):
                return False
            else:
                host_only = _is_ip(host)  # an IP address only ever matches itself
        else:
            domain, host_only = host, True
        if not path:
            path = default_path(req_path)

        if c_secure and not secure:
            return False
        if name.startswith("__Secure-") and not (c_secure and secure):
            return False
        if name.startswith("__Host-") and not (
            c_secure and secure and host_only and path == "/"
        ):
            return False

        bucket = self._by_domain.setdefault(domain, {})
        key = (path, name)
        old = bucket.get(key)
        if not secure and old is None and self._shadows_secure(name, domain, path):
            return False
        if old is not None and old.secure and not secure:
            return False
        if exp <= now:  # expired: delete the stored cookie, store nothing
            if old is not None:
                del bucket[key]
                self._count -= 1
                return True
            return False
        self._seq += 1
        if old is not None:
            # Same cookie again (servers re-send sessions): a later expiry needs no new
            # Cookie header, since cached entries re-check their earliest expiry anyway.
            same = (old.value == value and old.secure == c_secure
                    and old.host_only == host_only and exp >= old.expires)
            old.value, old.host_only, old.secure = value, host_only, c_secure
            old.http_only, old.same_site, old.expires = http_only, same_site, exp
            old.updated = self._seq
            return not same
        bucket[key] = Cookie(
            name, value, domain, path, host_only, c_secure, http_only, same_site, exp,
            self._seq, self._seq,
        )
        self._count += 1
        if len(bucket) > MAX_PER_DOMAIN:
            self._evict(bucket, len(bucket) - MAX_PER_DOMAIN)
        if self._count > MAX_COOKIES:
            self._evict_global(self._count - MAX_COOKIES)
        return True

    def _shadows_secure(self, name: str, domain: str, path: str) -> bool:
        """6265bis: an insecure origin may not set a cookie over a matching Secure one."""
        for dom, bucket in self._by_domain.items():
            if not (domain_matches(dom, domain) or domain_matches(domain, dom)):
                continue
            for c in bucket.values():
                if c.secure and c.name == name and path_matches(path, c.path):
                    return True
        return False

    def _evict(self, bucket: dict[tuple[str, str], Cookie], n: int) -> None:
        now = self._clock()
        order = sorted(bucket.items(), key=lambda kv: (kv[1].expires > now, kv[1].creation))
        for k, _ in order[:n]:
            del bucket[k]
            self._count -= 1

    def _evict_global(self, n: int) -> None:
        now = self._clock()
        every = [(c.expires > now, c.creation, dom, k)
                 for dom, b in self._by_domain.items() for k, c in b.items()]
        every.sort()
        for _, _, dom, k in every[:n]:
            del self._by_domain[dom][k]
            self._count -= 1

    # ---------------------------------------------------------------- look-ups

    def get(self, name: str, host: str | None = None) -> str | None:
        """The value of cookie ``name`` (most recently set; only cookies that would be
        sent to ``host`` when it is given, paths and Secure aside)."""
        now = self._clock()
        h = canonical_host(host) if host else None
        best: Cookie | None = None
        for dom, bucket in self._by_domain.items():
            if h is not None and not domain_matches(h, dom):
                continue
            for c in bucket.values():
                if c.name != name or c.expires <= now:
                    continue
                if h is not None and c.host_only and h != dom:
                    continue
                if best is None or c.updated > best.updated:
                    best = c
        return best.value if best is not None else None

    def cookies(self) -> list[Cookie]:
        """Every stored, unexpired cookie (for tests and debugging)."""
        now = self._clock()
        return [c for b in self._by_domain.values() for c in b.values() if c.expires > now]

    def __len__(self) -> int:
        return len(self.cookies())

    def clear(self) -> None:
        self._by_domain.clear()
        self._count = 0
        self._secure_cache.clear()
        self._plain_cache.clear()


class NullJar:
    """``--cookies off``: stores nothing, sends nothing."""

    def header_for(self, secure: bool, host: str, path: str) -> str | None:
        return None

    def store(self, secure: bool, host: str, path: str, set_cookie_values: list[str]) -> None:
        return None

    def get(self, name: str, host: str | None = None) -> str | None:
        return None

    def clear(self) -> None:
        return None


CookieMode = Literal["vu", "shared", "off"]


def jar_factory(mode: CookieMode) -> Callable[[], Jar]:
    """A function giving each new VU its jar: a fresh one (``vu``), the process's single
    jar (``shared``) or a :class:`NullJar` (``off``)."""
    if mode == "vu":
        return CookieJar
    if mode == "shared":
        shared = CookieJar()
        return lambda: shared
    if mode == "off":
        null = NullJar()
        return lambda: null
    raise ValueError(f"unknown cookie mode {mode!r}")
