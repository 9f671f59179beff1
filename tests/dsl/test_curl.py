"""curl command -> request: curl's flags and implicit rules, quoting, escaping contexts of
``${...}`` references, and errors at exact file positions."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httptool.dsl.curl import CurlRequest, parse_curl
from httptool.dsl.diagnostics import Diagnostics
from httptool.plan import CurlOptions, MultipartBody, Ref, TextBody

pytestmark = pytest.mark.timeout(60)

FORM = "application/x-www-form-urlencoded"
DEFAULT_OPTIONS = CurlOptions()


def parse(cmd: str, base: Path | str = ".", line: int = 1, col: int = 1
          ) -> tuple[CurlRequest | None, Diagnostics]:
    d = Diagnostics()
    return parse_curl(cmd, line, col, d, str(base)), d


def summary(r: CurlRequest) -> dict[str, Any]:
    """The request as plain values (templates shown with ``${...}``)."""
    body: Any = None
    if isinstance(r.body, TextBody):
        body = r.body.content.static_text
    elif isinstance(r.body, MultipartBody):
        body = [(p.name, p.value.static_text if p.value else None, p.filename,
                 p.content_type, p.file_content) for p in r.body.parts]
    opts = {f.name: getattr(r.options, f.name) for f in fields(CurlOptions)
            if getattr(r.options, f.name) != getattr(DEFAULT_OPTIONS, f.name)}
    return {
        "method": r.method,
        "url": r.url.static_text,
        "headers": [(h.name, h.value.static_text) for h in r.headers],
        "body": body,
        "cookies": r.cookies.static_text if r.cookies else None,
        "auth": (r.auth.user.static_text, r.auth.password.static_text) if r.auth else None,
        "options": opts,
    }


# (command, expected subset of summary())
OK_CASES: list[tuple[str, dict[str, Any]]] = [
    # --- the basics and curl's implicit rules
    ("curl http://x/a", {"method": "GET", "url": "http://x/a", "headers": [], "body": None}),
    ("curl -X DELETE http://x/a", {"method": "DELETE", "body": None}),
    ("curl --request PUT http://x", {"method": "PUT"}),
    ("curl -XPATCH http://x", {"method": "PATCH"}),
    ("curl -d a=1 http://x",
     {"method": "POST", "body": "a=1", "headers": [("Content-Type", FORM)]}),
    ("curl -d a=1 -d b=2 --data-ascii c=3 http://x", {"body": "a=1&b=2&c=3"}),
    ("curl -X PUT -d a=1 http://x", {"method": "PUT", "body": "a=1"}),
    ("curl -d '' http://x", {"method": "POST", "body": ""}),
    ("curl --data-raw @notafile http://x", {"body": "@notafile"}),
    ("curl --data-binary 'a b' http://x", {"body": "a b", "headers": [("Content-Type", FORM)]}),
    ("curl --data-urlencode 'q=a b&c/d' --data-urlencode =x+y --data-urlencode 'é' http://x",
     {"body": "q=a+b%26c%2Fd&x%2By&%C3%A9"}),  # curl: a space is +
    ("curl -H 'Content-Type: text/plain' -d hello http://x",
     {"headers": [("Content-Type", "text/plain")], "body": "hello"}),
    ("curl --json '{\"a\":1}' http://x",
     {"method": "POST", "body": '{"a":1}', "headers": [
         ("Content-Type", "application/json"), ("Accept", "application/json")]}),
    ("curl --json '{\"a\":' --json '1}' -H 'Accept: text/html' http://x",
     {"body": '{"a":1}', "headers": [("Accept", "text/html"),
                                      ("Content-Type", "application/json")]}),
    ("curl -G -d q=1 -d r=2 http://x/s", {"method": "GET", "url": "http://x/s?q=1&r=2",
                                          "body": None, "headers": []}),
    ("curl --get --data-urlencode 'q=a b' 'http://x/s?z=0'",
     {"url": "http://x/s?z=0&q=a+b"}),  # curl: a space is +
    ("curl -G -I -d q=1 http://x", {"method": "HEAD", "url": "http://x?q=1"}),
    ("curl -G -d q=1 'http://x/p?a=1#top'", {"url": "http://x/p?a=1&q=1#top"}),
    ("curl -I http://x", {"method": "HEAD"}),
    ("curl --head -X GET http://x", {"method": "GET"}),  # -X wins, verbatim
    # --- headers
    ("curl -H 'X-A: 1' -H \"X-B:2\" --header 'x-c:   spaced  ' http://x",
     {"headers": [("X-A", "1"), ("X-B", "2"), ("x-c", "spaced")]}),
    ("curl -H 'X-Empty;' http://x", {"headers": [("X-Empty", "")]}),
    ("curl -H 'Accept:' http://x", {"headers": [("Accept", "")]}),  # removal marker
    ("curl -H 'X: a' -H 'X: b' http://x", {"headers": [("X", "a"), ("X", "b")]}),
    ("curl -d a=1 -H 'Content-Type:' http://x", {"headers": [("Content-Type", "")]}),
    ("curl -A 'my agent/1.0' -e http://ref/ http://x",
     {"headers": [("User-Agent", "my agent/1.0"), ("Referer", "http://ref/")]}),
    ("curl -A a -H 'User-Agent: b' http://x", {"headers": [("User-Agent", "b")]}),
    ("curl --user-agent ua --referer 'http://r;auto' http://x",
     {"headers": [("User-Agent", "ua"), ("Referer", "http://r")]}),
    # --- cookies and auth
    ("curl -b 'a=1; b=2' http://x", {"cookies": "a=1; b=2"}),
    ("curl -b a=1 --cookie b=2 http://x", {"cookies": "a=1;b=2"}),  # curl 7.88's join
    ("curl -b '${session_cookies}' http://x", {"cookies": "${session_cookies}"}),
    ("curl -u alice:s3:cret http://x", {"auth": ("alice", "s3:cret")}),
    ("curl --user 'bob:' http://x", {"auth": ("bob", "")}),
    # --- options
    ("curl -L --max-redirs 3 http://x", {"options": {"follow_redirects": True,
                                                     "max_redirs": 3}}),
    ("curl -k --compressed http://x", {"options": {"insecure": True, "compressed": True}}),
    ("curl -m 2.5 --connect-timeout 1 http://x",
     {"options": {"max_time": 2.5, "connect_timeout": 1.0}}),
    ("curl -x 127.0.0.1:3128 http://x", {"options": {"proxy": "http://127.0.0.1:3128"}}),
    ("curl --proxy http://h:1 http://x", {"options": {"proxy": "http://h:1"}}),  # socks: refused
    ("curl -L --no-location http://x", {"options": {}}),
    ("curl -sSLkvif -# --no-progress-meter --silent -o out.txt --output o2 http://x",
     {"method": "GET", "options": {"follow_redirects": True, "insecure": True}}),
    ("curl -sX POST http://x", {"method": "POST"}),
    ("curl -sLXPOST http://x", {"method": "POST", "options": {"follow_redirects": True}}),
    ("curl -sH'X: y' http://x", {"headers": [("X", "y")]}),
    ("curl --url http://x/u -s", {"url": "http://x/u"}),
    ("curl -- -weird-but-a-url", {"url": "-weird-but-a-url"}),
    # --- quoting styles, continuations, comments
    ("curl \\\n  -X POST \\\n  'http://x/a%20b' \\\n  -d \"k=\\\"v\\\"\"",
     {"method": "POST", "url": "http://x/a%20b", "body": 'k="v"'}),
    ("curl $'http://x/\\x41' -H $'X: a\\tb'", {"url": "http://x/A", "headers": [("X", "a\tb")]}),
    ("curl 'http://x/'\"p\"q -d 'a'=\"b\"", {"url": "http://x/pq", "body": "a=b"}),
    ("curl http://x/#frag # and a comment -X POST\n -s",
     {"method": "GET", "url": "http://x/#frag"}),
    # --- variables stay literal
    ("curl ${base}/users/${id}?q=${q}", {"url": "${base}/users/${id}?q=${q}"}),
    ("curl \"${base}/x\" -H 'Authorization: Bearer ${token}'",
     {"url": "${base}/x", "headers": [("Authorization", "Bearer ${token}")]}),
    ("curl http://x -d 'v=$${literal}'", {"body": "v=${literal}"}),
    ("curl ${ base }/x", {"url": "${base}/x"}),  # blanks inside ${...} never split a word
    # --- less common spellings
    ("curl --max-redirs -1 -L http://x", {"options": {"follow_redirects": True,
                                                      "max_redirs": -1}}),
    ("curl --compressed --no-compressed -k --no-insecure http://x", {"options": {}}),
    ("curl -G --json '{}' http://x", {"method": "GET", "url": "http://x?{}", "body": None}),
    ("curl -x '' http://x", {"options": {}}),
]


@pytest.mark.parametrize(("cmd", "expected"), OK_CASES)
def test_ok(cmd: str, expected: dict[str, Any]) -> None:
    r, d = parse(cmd)
    assert not d.errors, d.errors
    assert r is not None
    got = summary(r)
    assert {k: got[k] for k in expected} == expected


# (command, line, col, message substring): the command starts at line 1, col 1
ERROR_CASES: list[tuple[str, int, int, str]] = [
    ("curl", 1, 1, "has no URL"),
    ("curl -s -L", 1, 1, "has no URL"),
    ("curl http://a http://b", 1, 15, "a second URL"),
    ("curl http://a --url http://b", 1, 21, "a second URL"),
    ("curl --bogus http://x", 1, 6, "unknown curl option '--bogus'"),
    ("curl --locaton http://x", 1, 6, "did you mean '--location'"),
    ("curl -sZ http://x", 1, 8, "curl option '-Z' is not supported by httptool: the load"),
    ("curl -sW http://x", 1, 8, "unknown curl option '-W'"),
    ("curl -W http://x", 1, 6, "unknown curl option '-W'"),
    ("curl --data=a http://x", 1, 6, "write '--data VALUE'"),
    ("curl http://x -d", 1, 15, "'-d' needs an argument"),
    ("curl http://x --header", 1, 15, "'--header' needs an argument"),
    ("curl http://x -sX", 1, 17, "'-X' needs an argument"),
    ("curl -I -d a=1 http://x", 1, 6, "-I/--head cannot be combined with -d"),
    ("curl -F a=b -d c=d http://x", 1, 13, "-F/--form cannot be combined"),
    ("curl -F a=b -I http://x", 1, 13, "-I/--head cannot be combined with -F"),
    ("curl -G -F a=b http://x", 1, 6, "-G/--get cannot be combined with -F"),
    ("curl -d @- http://x", 1, 9, "reads stdin"),
    ("curl --data-binary @missing.json http://x", 1, 21, "cannot read file 'missing.json'"),
    ("curl -b cookies.txt http://x", 1, 9, "cookie file"),
    ("curl -H 'NoColon' http://x", 1, 9, "has no ':'"),
    ("curl -H 'Bad Name: v' http://x", 1, 9, "invalid header name"),
    ("curl -H '${h}: v' http://x", 1, 9, "variables are not supported in header names"),
    ("curl -H @headers.txt http://x", 1, 9, "-H @file"),
    ("curl -m soon http://x", 1, 9, "'-m' expects the total time limit"),
    ("curl --max-redirs 1.5 http://x", 1, 19, "whole number"),
    ("curl --connect-timeout -2 http://x", 1, 24, "number of seconds"),
    ("curl -X 'GET X' http://x", 1, 9, "invalid HTTP method"),
    ("curl -X ${m} http://x", 1, 9, "variables are not supported in the HTTP method"),
    ("curl ftp://x/file", 1, 6, "unsupported protocol 'ftp'"),
    ("curl 'http://x/a b'", 1, 17, "URL contains a space"),
    ("curl $'http://x/\\n'", 1, 17, "URL contains the character '\\n'"),
    ("curl -H $'X: a\\r\\nEvil: 1' http://x", 1, 15, "line break"),
    ("curl -F novalue http://x", 1, 9, "expects name=value"),
    ("curl http://x/${bad-name}", 1, 15, "invalid variable reference"),
    ("curl 'http://x/${open'", 1, 16, "unterminated '${'"),
    ("curl -d \"a=1 http://x", 1, 9, "unterminated double quote"),
    ("curl --cert c.pem:secret http://x", 1, 18, "password in --cert"),
    ("wget http://x", 1, 1, "expected a curl command"),
]


@pytest.mark.parametrize(("cmd", "line", "col", "message"), ERROR_CASES)
def test_errors(cmd: str, line: int, col: int, message: str) -> None:
    r, d = parse(cmd)
    assert r is None
    errs = [(e.line, e.col, e.message) for e in d.errors]
    assert any((el, ec) == (line, col) and message in em for el, ec, em in errs), errs


def test_error_on_third_physical_line_of_a_command_at_5_3() -> None:
    cmd = "curl -X POST ${base}/login \\\n    -H 'Accept: */*' \\\n    --frobnicate -d x=1"
    r, d = parse(cmd, line=5, col=3)
    assert r is None
    [e] = d.errors
    assert (e.line, e.col) == (7, 5)
    assert "unknown curl option '--frobnicate'" in e.message
    # and a reference on that line gets its exact file position
    r, d = parse(cmd.replace("--frobnicate ", "").replace("x=1", "'x=${v}'"), line=5, col=3)
    assert r is not None and not d.items
    assert isinstance(r.body, TextBody)
    [ref] = r.body.content.refs
    assert (ref.line, ref.col) == (7, 11)
    [base] = r.url.refs
    assert (base.line, base.col) == (5, 16)


def test_ref_position_inside_quotes_and_escapes() -> None:
    # the ref sits after a double-quoted escape: its column is the source column
    r, d = parse('curl http://x -H "X: \\"q\\" ${v}"', line=2, col=4)
    assert r is not None and not d.items
    [ref] = r.headers[0].value.refs
    assert (ref.line, ref.col) == (2, 4 + len('curl http://x -H "X: \\"q\\" '))


def test_all_problems_reported_in_one_pass() -> None:
    r, d = parse("curl --nope -Q -m x http://x http://y")
    assert r is None
    msgs = [e.message for e in d.errors]
    assert len(msgs) == 4, msgs


# ----------------------------------------------------------------- escaping contexts

def ctxs(t: Any) -> list[tuple[str, str]]:
    return [(p.text, p.ctx) for p in t.parts if isinstance(p, Ref)]


@pytest.mark.parametrize(
    ("cmd", "where", "expected"),
    [
        ("curl ${base}/users/${id}/x?q=${q}&r=${r}#${f}", "url",
         [("base", "raw"), ("id", "path"), ("q", "query"), ("r", "query"), ("f", "query")]),
        ("curl https://${host}:${port}/p/${id}", "url",
         [("host", "raw"), ("port", "raw"), ("id", "path")]),
        ("curl ${proto}://h/${p}", "url", [("proto", "raw"), ("p", "path")]),
        ("curl 'http://x/?a=${a}'", "url", [("a", "query")]),
        ("curl -G -d 'q=${q}' ${base}/s", "url", [("base", "raw"), ("q", "query")]),
        ("curl -H 'A: ${a}' http://x", "header", [("a", "raw")]),
        ("curl -b 's=${s}' http://x", "cookies", [("s", "raw")]),
        ("curl -d 'a=${a}&b=${b}' http://x", "body", [("a", "form"), ("b", "form")]),
        ("curl --data-urlencode 'n=${a} x' http://x", "body", [("a", "form")]),
        ("curl -H 'Content-Type: application/json' -d '{\"a\":\"x${s}\",\"n\":${n}}' http://x",
         "body", [("s", "json_string"), ("n", "json_value")]),
        ("curl --json '[${v}, \"${w}\", \"q\\\"${e}\"]' http://x", "body",
         [("v", "json_value"), ("w", "json_string"), ("e", "json_string")]),
        ("curl -d '  {\"a\": ${v}}' http://x", "body", [("v", "json_value")]),
        ("curl -H 'Content-Type: text/plain' -d '{${v}}' http://x", "body", [("v", "raw")]),
        ("curl -H 'content-type: application/vnd.api+json' -d 'x${v}' http://x", "body",
         [("v", "json_value")]),
        ("curl -F 'a=${a}' http://x", "form", [("a", "raw")]),
        ("curl -u '${u}:${p}' http://x", "auth", [("u", "raw"), ("p", "raw")]),
    ],
)
def test_ref_contexts(cmd: str, where: str, expected: list[tuple[str, str]]) -> None:
    r, d = parse(cmd)
    assert r is not None and not d.errors, d.errors
    if where == "url":
        got = ctxs(r.url)
    elif where == "header":
        got = ctxs(r.headers[0].value)
    elif where == "cookies":
        got = ctxs(r.cookies)
    elif where == "body":
        assert isinstance(r.body, TextBody)
        got = ctxs(r.body.content)
    elif where == "form":
        assert isinstance(r.body, MultipartBody)
        got = ctxs(r.body.parts[0].value)
    else:
        assert r.auth is not None
        got = ctxs(r.auth.user) + ctxs(r.auth.password)
    assert got == expected


def test_json_body_without_content_type_warns() -> None:
    r, d = parse("curl -X POST http://x \\\n  -d '{\"a\":1}'", line=3, col=3)
    assert r is not None and not d.errors
    [w] = d.warnings
    assert (w.line, w.col) == (4, 7)
    assert "application/x-www-form-urlencoded" in w.message
    assert summary(r)["headers"] == [("Content-Type", FORM)]  # as curl sends it


def test_lowercase_method_is_kept_with_a_warning() -> None:
    r, d = parse("curl -X post http://x")
    assert r is not None and r.method == "post"
    assert "case-sensitive" in d.warnings[0].message


def test_user_without_password_warns() -> None:
    r, d = parse("curl -u alice http://x")
    assert r is not None and summary(r)["auth"] == ("alice", "")
    assert "prompt" in d.warnings[0].message


# ----------------------------------------------------------------- files

@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "body.json").write_bytes(b'{"a":\r\n "${not_a_ref}"}\n')
    (tmp_path / "pic.png").write_bytes(b"\x89PNG\x00\xff")
    (tmp_path / "note.txt").write_bytes(b"hello\n")
    (tmp_path / "q.txt").write_bytes(b"a b")
    return tmp_path


def test_data_files(files: Path) -> None:
    r, _ = parse("curl -d @body.json http://x", files)
    assert r is not None and isinstance(r.body, TextBody)
    assert r.body.content.parts == ('{"a": "${not_a_ref}"}',)  # CR/LF stripped, never a ref
    r, _ = parse("curl --data-binary @body.json http://x", files)
    assert r is not None and isinstance(r.body, TextBody)
    assert r.body.content.parts == ('{"a":\r\n "${not_a_ref}"}\n',)
    r, _ = parse("curl --json @body.json http://x", files)
    assert r is not None and summary(r)["headers"][0] == ("Content-Type", "application/json")
    r, _ = parse("curl --data-urlencode n@q.txt --data-urlencode @q.txt http://x", files)
    assert r is not None and summary(r)["body"] == "n=a+b&a+b"  # curl: a space is +


def test_multipart(files: Path) -> None:
    cmd = ("curl -F 'title=Hi there' -F 'pic=@pic.png' -F 'doc=@note.txt;type=text/x;"
           "filename=renamed.txt' -F 'inline=<note.txt' -F 'v=\"a;b\";type=text/plain' "
           "--form-string 'raw=@not;a file' http://x")
    r, d = parse(cmd, files)
    assert r is not None and not d.items, d.items
    assert r.method == "POST"
    body = r.body
    assert isinstance(body, MultipartBody)
    assert summary(r)["body"] == [
        ("title", "Hi there", None, None, None),
        ("pic", None, "pic.png", "image/png", b"\x89PNG\x00\xff"),
        ("doc", None, "renamed.txt", "text/x", b"hello\n"),
        ("inline", None, None, None, b"hello\n"),
        ("v", "a;b", None, "text/plain", None),
        ("raw", "@not;a file", None, None, None),
    ]
    assert body.parts[1].file_path == str(files / "pic.png")
    assert summary(r)["headers"] == [
        ("Content-Type", f"multipart/form-data; boundary={body.boundary}")]
    # deterministic: the same command gives an equal request (and boundary) again
    r2, _ = parse(cmd, files)
    assert r2 == r
    # different parts -> a different boundary
    r3, _ = parse(cmd.replace("Hi there", "Bye"), files)
    assert isinstance(r3.body, MultipartBody) and r3.body.boundary != body.boundary


def test_multipart_missing_file_is_a_warning(files: Path) -> None:
    r, d = parse("curl -X POST http://x \\\n  -H 'Content-Type: multipart/form-data' \\\n"
                 "  -F \"file=@avatar.jpg\"", files, line=10, col=3)
    assert r is not None and not d.errors
    [w] = d.warnings
    assert (w.line, w.col, "avatar.jpg" in w.message) == (12, 13, True)
    assert isinstance(r.body, MultipartBody)
    part = r.body.parts[0]
    assert (part.file_path, part.file_content) == (str(files / "avatar.jpg"), None)
    # curl appends its boundary to a multipart Content-Type given with -H
    assert summary(r)["headers"] == [
        ("Content-Type", f"multipart/form-data; boundary={r.body.boundary}")]


def test_multipart_boundary_from_a_given_content_type() -> None:
    r, d = parse("curl -H 'Content-Type: multipart/form-data; boundary=XyZ' -F a=1 http://x")
    assert r is not None and not d.items
    assert isinstance(r.body, MultipartBody) and r.body.boundary == "XyZ"
    assert summary(r)["headers"] == [("Content-Type", "multipart/form-data; boundary=XyZ")]


def test_cert_paths_resolve_against_base_dir(files: Path) -> None:
    r, d = parse("curl --cacert note.txt --cert q.txt --key pic.png https://x", files)
    assert r is not None and not d.items
    assert (r.options.cacert, r.options.cert, r.options.key) == (
        str(files / "note.txt"), str(files / "q.txt"), str(files / "pic.png"))
    r, d = parse("curl -E q.txt https://x", files)
    assert r is not None and r.options.cert == str(files / "q.txt")
    r, d = parse("curl --cacert nope.pem https://x", files)
    assert r is not None and "not found" in d.warnings[0].message


# ----------------------------------------------------------------- robustness

FLAGS = ["-X", "-H", "-d", "-F", "-b", "-u", "-G", "-I", "-L", "-sSL", "--json", "--url",
         "--data-urlencode", "-m", "--max-redirs", "-x", "--", "-o", "--bogus", "-XPOST"]
ATOMS = ["http://x", "${base}/p", "'a b'", '"c\\"d"', "$'e\\n'", "\\\n", "#", "@f",
         "a=1", "X: y", "{\"j\":${v}}", "${", "'", '"', "=", ";", "n=<f", "u:p", "1.5"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FLAGS + ATOMS), max_size=12))
def test_random_commands_only_produce_diagnostics(tokens: list[str]) -> None:
    cmd = "curl " + " ".join(tokens)
    r, d = parse(cmd)
    assert r is not None or d.has_errors
    for diag in d.items:
        assert diag.line >= 1 and 1 <= diag.col <= len(cmd) + 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_random_text_only_produces_diagnostics(text: str) -> None:
    r, d = parse("curl " + text)
    assert r is not None or d.has_errors
