"""Print docs/curl.md's option table from the code that decides it.

dsl/curl.py's ``_LONG`` says what is honoured, dsl/curl_options.py what happens to every
other option of ``curl --help all``; tests/dsl/test_curl_options.py checks that the table in
docs/curl.md is this output. Run: ``.venv/bin/python scripts/curl_options_table.py``.
"""

from __future__ import annotations

from httptool.dsl.curl import _LONG
from httptool.dsl.curl_options import OPTIONS

_NOTES = {
    "compressed": "sends curl's `deflate, gzip, br, zstd`; decodes all four",
    "upload-file": "PUT of the file's bytes; no `Expect: 100-continue`",
    "cookie": "`name=value` pairs, or a Netscape cookie file read at compile time",
    "cookie-jar": "",
    "resolve": "connects to ADDRESS; Host and TLS name stay the URL's",
    "connect-to": "connects to HOST2:PORT2; Host and TLS name stay the URL's",
    "unix-socket": "connects to the socket; the URL gives Host and path",
    "retry": "becomes the request's `retry { }` (N+1 attempts, curl's transient failures)",
    "retry-connrefused": "adds transport errors to what is retried",
    "retry-all-errors": "retries any failure",
    "retry-delay": "a constant delay instead of curl's 1 s doubling",
    "retry-max-time": "accepted with a warning: --retry N bounds the attempts",
    "range": "sends `Range: bytes=RANGE`",
    "proxy-user": "Proxy-Authorization for the -x proxy",
    "noproxy": "hosts, domains, addresses or CIDR ranges reached without -x",
    "location-trusted": "-L that keeps credentials on another host",
    "globoff": "without it, `\\[` `\\]` `\\{` `\\}` are unescaped and a real glob is refused",
    "header": "`-H @file` is refused",
    "request-target": "",
    "http1.1": "https offers only `http/1.1` by ALPN (docs/http2.md)",
    "http2": "https: `h2, http/1.1` by ALPN (the default); http: h2c with prior knowledge",
    "http2-prior-knowledge": "HTTP/2 or a clear failure, never a fallback to HTTP/1.1",
}


def table() -> str:
    rows = ["| option | short | httptool | note |", "|---|---|---|---|"]
    for name, opt in OPTIONS.items():
        short = f"`-{opt.short}`" if opt.short else ""
        if name in _LONG and _LONG[name][0] != "ignore":
            fate, note = "honoured", _NOTES.get(name, "")
        elif name in _LONG or opt.fate == "ignored":
            fate, note = "accepted, no effect", opt.why
        else:
            fate, note = "not supported", opt.why
        rows.append(f"| `--{name}` | {short} | {fate} | {note.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(table(), end="")
