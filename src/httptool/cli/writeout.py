"""curl's ``-w/--write-out FORMAT`` for ``httptool exec``: the common variables, with
curl's formatting (times in seconds with six decimals, ``000`` for no status, ``HTTP`` in
capitals), ``\\n``/``\\t``/``\\r`` escapes, ``%%`` and ``@file``. A variable httptool does not
measure (``time_namelookup``: name look-up is part of connect here) or curl does not know is
left empty with a warning, as curl does for an unknown one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from httptool.engine.http import Response

__all__ = ["Transfer", "write_out"]

_VAR = re.compile(r"%\{([^}]*)\}|%%|\\[nrt\\]")
_ESCAPES = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\\\": "\\"}
#: curl variables httptool does not measure; curl would print a number
_NOT_MEASURED = {"time_namelookup", "remote_ip", "remote_port", "local_ip", "local_port",
                 "ssl_verify_result", "num_certs", "certs"}


@dataclass(frozen=True, slots=True)
class Transfer:
    """What ``-w`` reports on: the response, the request sent and the exit code."""

    resp: Response
    request_size: int  # bytes of the request sent (head and body)
    upload_size: int  # bytes of its body
    head_size: int  # bytes of the response head(s)
    exitcode: int
    errormsg: str


def _secs(ns: int) -> str:
    return f"{ns / 1e9:.6f}"


def _vars(t: Transfer) -> dict[str, Callable[[], str]]:
    r = t.resp
    connect = r.connect_ns if r.new_connection else 0
    tls = r.tls_ns if r.new_connection else 0
    first = r.first_ns - r.start_ns if r.first_ns else 0
    code = f"{r.status:03d}"
    speed = int(r.body_size / (r.total_ns / 1e9)) if r.total_ns > 0 else 0
    return {
        "http_code": lambda: code,
        "response_code": lambda: code,
        "size_download": lambda: str(r.body_size),
        "size_upload": lambda: str(t.upload_size),
        "size_header": lambda: str(t.head_size),
        "size_request": lambda: str(t.request_size),
        "speed_download": lambda: str(speed),
        "url_effective": lambda: r.url,
        "url": lambda: r.url,
        "method": lambda: r.method,
        "content_type": lambda: r.header("content-type") or "",
        "num_redirects": lambda: str(r.redirects),
        "redirect_url": lambda: "",
        "num_connects": lambda: "1" if r.new_connection else "0",
        "num_headers": lambda: str(len(r.headers)),
        "exitcode": lambda: str(t.exitcode),
        "errormsg": lambda: t.errormsg,
        "scheme": lambda: r.url.split("://", 1)[0].upper(),
        "http_version": lambda: r.http_version or "0",
        "time_total": lambda: _secs(r.total_ns),
        "time_connect": lambda: _secs(connect),
        "time_appconnect": lambda: _secs(connect + tls if tls else 0),
        "time_pretransfer": lambda: _secs(connect + tls),
        "time_starttransfer": lambda: _secs(first),
        "time_redirect": lambda: _secs(0),
    }


def write_out(fmt: str, t: Transfer, warn: Callable[[str], None]) -> str:
    """``fmt`` with its variables and escapes replaced."""
    values = _vars(t)

    def one(m: re.Match[str]) -> str:
        tok = m.group()
        if tok == "%%":
            return "%"
        if tok in _ESCAPES:
            return _ESCAPES[tok]
        name = m.group(1)
        if name in values:
            return values[name]()
        if name in _NOT_MEASURED:
            warn(f"--write-out variable '{name}' is not measured by httptool; left empty")
        else:
            warn(f"unknown --write-out variable: '{name}'")
        return ""

    return _VAR.sub(one, fmt)
