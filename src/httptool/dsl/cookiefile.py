"""``-b FILE``: the cookies of a Netscape/curl cookie file that curl would send.

Read at compile time (the file belongs to the command, as ``-d @file`` does), with curl's
rules: a line is ``domain, include-subdomains, path, secure, expires, name, value`` split
by tabs (``#HttpOnly_`` before the domain is kept; other ``#`` lines are comments);
expired cookies are dropped (0 means a session cookie); a secure cookie goes to https or
to a loopback host; the chosen ones are ordered as curl orders them (longer path, then
longer domain, then longer name first; else the file's order).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["FileCookie", "parse_cookie_file", "select"]

_LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class FileCookie:
    domain: str  # lower-case, without a leading dot
    subdomains: bool
    path: str
    secure: bool
    expires: int
    name: str
    value: str


def parse_cookie_file(text: str) -> list[FileCookie]:
    """Every well-formed line of the file (curl skips the others too)."""
    out: list[FileCookie] = []
    for line in text.splitlines():
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_"):]
        elif line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\r\n").split("\t")
        if len(f) == 6:  # a cookie without a value
            f.append("")
        if len(f) != 7 or not f[5]:
            continue
        try:
            expires = int(f[4])
        except ValueError:
            continue
        out.append(FileCookie(f[0].lower().lstrip("."), f[1].upper() == "TRUE", f[2] or "/",
                              f[3].upper() == "TRUE", expires, f[5], f[6]))
    return out


def _path_matches(request_path: str, cookie_path: str) -> bool:
    if cookie_path == "/" or request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def select(cookies: list[FileCookie], secure: bool, host: str | None, path: str | None,
           now: float | None = None) -> list[FileCookie]:
    """The cookies for a request to ``host``/``path`` (None: any host, any path: the URL
    is only known at run time), in curl's order."""
    now = time.time() if now is None else now
    host = host.lower().strip("[]") if host is not None else None
    secure = secure or host in _LOOPBACK
    chosen = []
    for c in cookies:
        if c.expires and c.expires < now:
            continue
        if c.secure and not secure:
            continue
        if host is not None and host != c.domain and not (
                c.subdomains and host.endswith("." + c.domain)):
            continue
        if path is not None and not _path_matches(path, c.path):
            continue
        chosen.append(c)
    return sorted(chosen, key=lambda c: (-len(c.path), -len(c.domain), -len(c.name)))
