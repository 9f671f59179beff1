"""Issue 24: what goes on the wire is what curl sends, byte for byte.

Each probe runs real curl and ``httptool exec`` against the same capture server and compares
the captured requests (see wireutil for the only normalisation). The scenario path (plan ->
VU -> engine) is checked for the same bytes in test_scenario_wire.py.
"""

from __future__ import annotations

import pytest
from wireutil import CaptureServer, aimed, curl_sends, needs_curl, same_as_curl, tool_sends

pytestmark = [pytest.mark.timeout(60), needs_curl]


# 1. framing ---------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    "-H 'Transfer-Encoding: chunked' -d abc",
    "-H 'transfer-encoding: gzip, chunked' --data-binary 'a b'",
    "-H 'Transfer-Encoding: chunked' -d ''",
    "-H 'Transfer-Encoding: chunked' -F a=b",
])
def test_user_chunked_header_sends_a_chunked_body(cap: CaptureServer, args: str):
    sent = same_as_curl(cap, aimed(cap, f"curl {args} URL/up"))
    assert len(sent) == 1
    head, _, body = sent[0].partition(b"\r\n\r\n")
    assert b"content-length" not in head.lower()
    assert body.endswith(b"0\r\n\r\n")


def test_chunked_never_carries_a_content_length_too(cap: CaptureServer):
    # curl passes a user Content-Length through beside chunked; httptool never sends both
    sent, code, err = tool_sends(cap, aimed(
        cap, "curl -H 'Transfer-Encoding: chunked' -H 'Content-Length: 9' -d abc URL/up"))
    assert code == 0, err
    assert sent[0].endswith(b"\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    assert b"content-length" not in sent[0].lower()


# 2. bodies are bytes -----------------------------------------------------------------

@pytest.mark.parametrize("body", [
    r"$'\xc3\xa9\xeb'",  # UTF-8 é then a byte that is not UTF-8
    r"$'\351\0377'",  # octal bytes
    r"""$'{"msg":"\ud83d\ude00"}'""",  # Firefox's surrogate-pair escape for an emoji
    r"$'caf\u00e9 \U0001F600'",
    r"'{\"a\":\"é ü\"}'",
])
def test_bodies_are_the_bytes_the_shell_gave_curl(cap: CaptureServer, body: str):
    for flag in ("-d", "--data-binary", "--data-raw"):
        same_as_curl(cap, aimed(cap, f"curl {flag} {body} URL/b"))


def test_header_and_json_bodies_with_raw_bytes(cap: CaptureServer):
    same_as_curl(cap, aimed(cap, r"curl -H $'X-Name: caf\xe9' --json $'{\"n\":\"\xeb\"}' URL/j"))


def test_binary_data_file_is_sent_as_it_is(cap: CaptureServer, tmp_path):
    f = tmp_path / "blob.bin"
    f.write_bytes(bytes(range(256)))
    same_as_curl(cap, aimed(cap, f"curl --data-binary @{f} URL/f"))


# 3. URLs as curl builds them ---------------------------------------------------------

@pytest.mark.parametrize("url", [
    "'http://us%40er:pa%40ss@127.0.0.1:PORT/a'",
    "'http://user:p%3Ass%20w@127.0.0.1:PORT/a'",
    "'URL/a/./b/../c/'",
    "'URL/a/b/..'",
    "'URL/../../x?a=../b'",
    "'URL/caf\u00e9/%7e/x?q=\u00e9&r=%41'",
    "'URL/items?filter\\[status\\]=open&sort\\[0\\]=id'",
    "'URL/set\\{a,b\\}'",
    "-g 'URL/a[1]?f[x]={a}'",
    "--globoff 'URL/a\\[1\\]'",
    "--path-as-is 'URL/a/./b/../c'",
])
def test_urls(cap: CaptureServer, url: str):
    same_as_curl(cap, aimed(cap, f"curl {url}"))


def test_a_real_glob_is_refused_with_its_place(cap: CaptureServer):
    sent, code, err = tool_sends(cap, aimed(cap, "curl 'URL/page/[1-3]'"))
    assert (sent, code) == ([], 2)
    assert "<command>:1:" in err and "URL glob '[1-3]'" in err and "-g/--globoff" in err
    sent, code, err = tool_sends(cap, aimed(cap, "curl 'URL/{a,b}.json'"))
    assert code == 2 and "'{a,b}'" in err


# 4. shell operators ------------------------------------------------------------------

def test_a_trailing_pipe_or_redirection_is_ignored_with_a_warning(cap: CaptureServer):
    for tail in ("| jq .", "| jq -r '.id' | head -1", "> out.json", "2>/dev/null", "-o x 2>&1"):
        same_as_curl(cap, aimed(cap, f"curl -s URL/p {tail}"))
    _, code, err = tool_sends(cap, aimed(cap, "curl -s URL/p | jq ."))
    assert code == 0 and "warning: '| jq .' pipes curl's output" in err
    cap.take()


@pytest.mark.parametrize("op", ["&&", ";", "||", "&"])
def test_a_second_command_is_named_as_such(cap: CaptureServer, op: str):
    sent, code, err = tool_sends(cap, aimed(cap, f"curl URL/p {op} curl URL/q"))
    assert (sent, code) == ([], 2)
    assert f"the shell operator '{op}' starts another command" in err
    assert "second URL" not in err and err.count("error:") == 1


def test_stdin_redirection_is_refused(cap: CaptureServer):
    sent, code, err = tool_sends(cap, aimed(cap, "curl -d @- URL/p < body.json"))
    assert sent == []
    assert code == 2 and "'< body.json' feeds a file to curl's input" in err


# 5. --request-target -----------------------------------------------------------------

@pytest.mark.parametrize("args", ["-X OPTIONS --request-target '*'",
                                  "--request-target '/other?x=1'"])
def test_request_target(cap: CaptureServer, args: str):
    same_as_curl(cap, aimed(cap, f"curl {args} URL/a"))


# issue 23: --compressed asks what curl asks, and zstd is decoded ------------------------

def test_compressed_sends_curls_accept_encoding_and_decodes_zstd():
    import subprocess

    import zstandard
    from wireutil import CURL

    body = zstandard.ZstdCompressor(write_content_size=False).compressobj()
    data = body.compress(b'{"hello": "zstd"}' * 50) + body.flush()
    reply = (b"HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\nContent-Length: %d\r\n\r\n%s"
             % (len(data), data))
    with CaptureServer(idle=2.0, reply=reply) as cap:
        sent = same_as_curl(cap, aimed(cap, "curl --compressed URL/z"))
        assert b"\r\nAccept-Encoding: deflate, gzip, br, zstd\r\n" in sent[0]
        from click.testing import CliRunner

        from httptool.cli.exec_cmd import exec_command

        out = CliRunner().invoke(exec_command, [f"curl --compressed {cap.url('/z')}"])
        want = subprocess.run([str(CURL), "-s", "--compressed", cap.url("/z")],
                              capture_output=True, timeout=20).stdout
    assert out.exit_code == 0, out.stderr
    assert out.stdout_bytes == want == b'{"hello": "zstd"}' * 50


# issue 23: options a load test needs, and curl's encoding rules -------------------------

@pytest.mark.parametrize("args", [
    "--data-urlencode 'a=b c+d/é&'",
    "--data-urlencode 'b c' --data-urlencode '=x y'",
    "--data-urlencode 'n@x=y z'",  # the first '=' decides: name 'n@x', not a file
    "-G --data-urlencode 'q=a b'",
    "--url-query 'q=a b' --url-query 'r=é'",
    "--url-query 'a b'",
    "--oauth2-bearer tok123",
    "--sil --max-ti 5 --user-ag x/1",  # unambiguous abbreviations, as curl takes them
])
def test_options(cap: CaptureServer, args: str):
    same_as_curl(cap, aimed(cap, f"curl {args} URL/o"))


def test_ambiguous_abbreviation_and_unsupported_option_messages(cap: CaptureServer):
    _, code, err = tool_sends(cap, aimed(cap, "curl --locat URL/o"))  # curl: ambiguous too
    assert code == 2 and "'--locat' is ambiguous: it abbreviates --location, " in err
    _, code, err = tool_sends(cap, aimed(cap, "curl --digest -u a:b --ntlm URL/o"))
    assert code == 2 and err.count("error:") == 2 and "unknown" not in err
    assert "curl option '--digest' is not supported by httptool: httptool sends Basic" in err


def test_upload_file_is_a_put_of_its_bytes(cap: CaptureServer, tmp_path):
    f = tmp_path / "up load.bin"
    f.write_bytes(b"\x00\xffhello\r\n")
    # curl adds 'Expect: 100-continue' to -T and waits for the 100; httptool never sends
    # Expect (see docs/curl.md), so the oracle is curl without it
    for url in ("URL/", "URL", "URL/x/y"):
        want = [r for r in (curl_sends(cap, aimed(cap, f"curl -H 'Expect:' -T '{f}' {url}")))]
        got, code, err = tool_sends(cap, aimed(cap, f"curl -T '{f}' {url}"))
        assert (got, code) == (want, 0), err
        assert want[0].endswith(b"\r\n\r\n\x00\xffhello\r\n")


def test_a_mistyped_scheme_is_a_located_error(cap: CaptureServer):
    for url, says in (("htp:/host", "unsupported protocol 'htp'"),
                      ("htps://x", "(did you mean 'https'?)"),
                      ("http:/x", "write 'http://'")):
        _, code, err = tool_sends(cap, f"curl -s {url}")
        assert code == 2 and "<command>:1:9: error: " in err and says in err


def test_a_socks_proxy_is_refused_up_front(cap: CaptureServer):
    for proxy in ("socks5://127.0.0.1:1080", "socks5h://127.0.0.1:1080", "socks4://h:1"):
        sent, code, err = tool_sends(cap, aimed(cap, f"curl -x {proxy} URL/p"))
        assert (sent, code) == ([], 2)
        assert "<command>:1:9: error: a socks" in err and "only an HTTP proxy" in err
