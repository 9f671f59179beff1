"""Encoding requests to bytes: curl's header order and rules, URL parsing, the cache."""

from __future__ import annotations

import pytest

from httptool.engine.request import (
    InvalidRequest,
    build_request,
    encode_body,
    parse_url,
    resolve_location,
)
from httptool.plan import CurlOptions, FormPart, MultipartBody, Template, TextBody


def test_wire_format_and_header_order():
    req = build_request("POST", "http://api.test:8080/a/b?x=1#frag",
                        [("Content-Type", "application/json"), ("X-A", "1")], b'{"k":1}',
                        CurlOptions(compressed=True), auth=("u", "p"))
    assert req.wire == (
        b"POST /a/b?x=1 HTTP/1.1\r\nHost: api.test:8080\r\nUser-Agent: httptool/0.1\r\n"
        b"Accept: */*\r\nContent-Type: application/json\r\nX-A: 1\r\n"
        b"Authorization: Basic dTpw\r\nAccept-Encoding: deflate, gzip, br, zstd\r\n"
        b"Content-Length: 7\r\n\r\n{\"k\":1}"
    )
    assert req.wire == req.head + req.tail
    assert req.origin == ("http", "api.test", 8080, None, None, None)


def test_caller_headers_replace_or_remove_defaults():
    req = build_request("GET", "http://h/", [("User-Agent", "me"), ("Accept", None),
                                             ("Host", "other"), ("X-Empty", "")])
    assert req.wire == (b"GET / HTTP/1.1\r\nUser-Agent: me\r\nHost: other\r\n"
                        b"X-Empty:\r\n\r\n")  # curl sends an empty header as "Name:"


def test_static_request_is_encoded_once():
    a = build_request("GET", "http://h/x", [("A", "1")])
    b = build_request("GET", "http://h/x", [("A", "1")])
    assert a is b
    assert build_request("GET", "http://h/y", [("A", "1")]) is not a


def test_proxy_uses_absolute_form_for_http_only():
    opts = CurlOptions(proxy="http://127.0.0.1:3128")
    assert build_request("GET", "http://h:81/p", options=opts).wire.startswith(
        b"GET http://h:81/p HTTP/1.1\r\n")
    assert build_request("GET", "https://h/p", options=opts).wire.startswith(
        b"GET /p HTTP/1.1\r\n")


@pytest.mark.parametrize(
    ("text", "scheme", "host", "port", "target", "host_header"),
    [
        ("http://example.com", "http", "example.com", 80, "/", "example.com"),
        ("example.com/a", "http", "example.com", 80, "/a", "example.com"),
        ("https://EX.com:443/?q", "https", "ex.com", 443, "/?q", "ex.com"),
        ("http://[::1]:8080/v6", "http", "::1", 8080, "/v6", "[::1]:8080"),
        ("http://u:p@h:1/x", "http", "h", 1, "/x", "h:1"),
        ("http://h?x=1", "http", "h", 80, "/?x=1", "h"),
    ],
)
def test_parse_url(text, scheme, host, port, target, host_header):
    u = parse_url(text)
    assert (u.scheme, u.host, u.port, u.target, u.host_header) == (
        scheme, host, port, target, host_header)


def test_userinfo_becomes_basic_auth():
    assert b"Authorization: Basic dTpw\r\n" in build_request("GET", "http://u:p@h/").wire


@pytest.mark.parametrize("bad", ["ftp://h/", "http://h:99999/", "http:///x", "http://[::1/"])
def test_invalid_urls(bad: str):
    with pytest.raises(InvalidRequest):
        build_request("GET", bad)


def test_header_injection_refused():
    with pytest.raises(InvalidRequest):
        build_request("GET", "http://h/", [("X", "a\r\nEvil: 1")])


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        ("https://o.test/z", "https://o.test/z"),
        ("//o.test/z", "http://o.test/z"),
        ("/abs?q=1", "http://h:81/abs?q=1"),
        ("rel", "http://h:81/a/rel"),
        ("../up", "http://h:81/up"),
        ("?q=2", "http://h:81/a/b?q=2"),
    ],
)
def test_resolve_location(loc: str, expected: str):
    assert resolve_location(parse_url("http://h:81/a/b?x"), loc) == expected


def test_multipart_body_layout():
    body = MultipartBody(
        (FormPart("a", Template.literal("1")),
         FormPart("f", file_path="/x/n.txt", file_content=b"data", filename="n.txt",
                  content_type="text/plain")),
        "BOUND")
    assert encode_body(body, lambda t: t.static_text) == (
        b'--BOUND\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b'--BOUND\r\nContent-Disposition: form-data; name="f"; filename="n.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\ndata\r\n--BOUND--\r\n")
    assert encode_body(TextBody(Template.literal("é")), lambda t: t.static_text) == (
        "é".encode())
    assert encode_body(None, lambda t: "") == b""
