"""The HAR importer on the committed Chromium recording and on small hand-made HARs."""

from __future__ import annotations

from pathlib import Path

from importkit import RECORDED_HAR, entry, har, write_har

from httptool.dsl import compile_source
from httptool.importers.har import HarOptions, import_har
from httptool.importers.writer import render


def _scenario(path: Path, **opts: object) -> str:
    text = render(import_har(str(path), HarOptions(**opts)))  # type: ignore[arg-type]
    _, diags = compile_source(text, "imported.httpx")
    assert not diags.errors, diags.render(text)
    return text


def test_recorded_session_becomes_a_clean_scenario() -> None:
    imp = import_har(str(RECORDED_HAR), HarOptions())
    names = [r.name for r in imp.requests]
    assert names == ["get_app_login", "post_app_login", "get_app_welcome", "post_app_api_login",
                     "get_app_api_orders", "get_app_api_orders_id", "get_app_account",
                     "post_app_account", "get_app_account_2"]
    assert imp.notes[0] == "21 entries: 9 requests kept, 12 dropped (static asset)"
    assert imp.variables[0][0] == "base" and imp.variables[0][1].startswith("http://127.0.0.1:")
    for r in imp.requests:
        assert r.url.startswith("${base}")
        sent = {k.lower() for k, _ in r.headers}
        assert not sent & {"cookie", "host", "content-length", "connection", "accept-encoding"}
        assert not any(k.startswith(("sec-fetch-", ":")) for k in sent)
        assert r.compressed and r.cookies is None  # the session cookie is the jar's
    extracts = {v: src for r in imp.requests for v, src in r.extracts}
    assert extracts["access_token"] == "$.access_token"
    assert extracts["order_id"] == "$.orders[0].id"
    assert extracts["redirect"] == "header:Location"
    assert extracts["csrf"].startswith('regex:"<input')
    by = {r.name: r for r in imp.requests}
    assert by["post_app_login"].body is not None
    assert "csrf=${csrf}&username=alice" in by["post_app_login"].body.text
    assert ("Authorization", "Bearer ${access_token}") in by["get_app_api_orders"].headers
    assert by["get_app_api_orders_id"].url == "${base}/app/api/orders/${order_id}"
    assert by["get_app_welcome"].url == "${base}${redirect}"
    assert by["post_app_login"].status == 303
    text = _scenario(RECORDED_HAR)
    assert "think " in text


def test_flags_turn_things_off(tmp_path: Path) -> None:
    text = _scenario(RECORDED_HAR, correlate=False, think=False, asserts=False,
                     include_static=True, base_var="site")
    assert "extract" not in text and "think " not in text and "assert" not in text
    assert "/app/static/logo.png" in text and "${site}/app/login" in text


def test_trivial_and_client_values_are_not_correlated(tmp_path: Path) -> None:
    doc = har(
        entry("http://h.test/api/login", "POST", post={
            "mimeType": "application/json", "text": '{"user":"alice-1234567"}'},
            body='{"user":"alice-1234567","ok":true,"role":"admin","n":42,"token":"tk-9f8e7d6c"}'),
        entry("http://h.test/api/items?role=admin&n=42&user=alice-1234567",
              req_headers=[("X-Token", "tk-9f8e7d6c")]),
    )
    imp = import_har(str(write_har(tmp_path / "a.har", doc)), HarOptions())
    first, second = imp.requests
    assert first.extracts == [("token", "$.token")]  # not role/n/ok, not the user's own input
    assert second.url == "${base}/api/items?role=admin&n=42&user=alice-1234567"
    assert second.headers == [("X-Token", "${token}")]


def test_earliest_producer_wins_and_ambiguity_is_reported(tmp_path: Path) -> None:
    doc = har(
        entry("http://h.test/a", body='{"session":{"key":"k-111222333"}}'),
        entry("http://h.test/b", body='{"echo":"k-111222333",'
              '"ids":["dup-77665544","dup-77665544"]}'),
        entry("http://h.test/c/k-111222333/dup-77665544"),
    )
    imp = import_har(str(write_har(tmp_path / "a.har", doc)), HarOptions())
    a, b, c = imp.requests
    assert a.extracts == [("key", "$.session.key")] and b.extracts == []
    assert c.url == "${base}/c/${key}/dup-77665544"
    assert any("ambiguous" in w and "array positions" in w for w in imp.warnings)


def test_cookie_not_set_by_the_recording_stays_literal(tmp_path: Path) -> None:
    doc = har(
        entry("http://h.test/login", resp_headers=[("Set-Cookie", "sid=abc123456; Path=/")]),
        entry("http://h.test/me", req_headers=[("Cookie", "sid=abc123456; pref=dark")]),
    )
    imp = import_har(str(write_har(tmp_path / "a.har", doc)), HarOptions())
    assert imp.requests[1].cookies == "pref=dark"
    assert not imp.requests[0].extracts  # Set-Cookie is the jar's, not a correlation


def test_analytics_data_urls_and_pseudo_headers(tmp_path: Path) -> None:
    doc = har(
        entry("https://www.google-analytics.com/g/collect?v=2"),
        entry("data:image/png;base64,AAAA"),
        entry("http://h.test/page", req_headers=[(":authority", "h.test"), (":path", "/page"),
                                                 ("X-Keep", "${not a var}")], mime="text/html"),
    )
    imp = import_har(str(write_har(tmp_path / "a.har", doc)), HarOptions(include_static=True))
    assert [r.name for r in imp.requests] == ["get_g_collect",
                                              "get_page"]
    assert imp.requests[1].headers == [("X-Keep", "$${not a var}")]
    imp = import_har(str(write_har(tmp_path / "a.har", doc)), HarOptions())
    assert [r.name for r in imp.requests] == ["get_page"]
    assert "1 dropped (analytics host)" in imp.notes[0]
    assert "1 dropped (data: URL)" in imp.notes[0]


def test_header_meta_and_query_producers(tmp_path: Path) -> None:
    page = ('<html><head><meta name="csrf-token" content="m3ta-t0ken-55"></head>'
            "<body><form><input type=hidden name=nonce value=n0nce-8812></form></body></html>")
    doc = har(
        entry("http://h.test/form", mime="text/html", body=page,
              resp_headers=[("X-CSRF-Token", "hdr-t0ken-9a8b"), ("Date", "Mon, 01 Jan 2024")]),
        entry("http://h.test/save?nonce=n0nce-8812", "POST",
              req_headers=[("X-CSRF-Token", "hdr-t0ken-9a8b"), ("X-Meta", "m3ta-t0ken-55")],
              post={"mimeType": "application/json", "text": '{"nonce": "n0nce-8812"}'}),
    )
    imp = import_har(str(write_har(tmp_path / "a.har", doc)), HarOptions())
    form, save = imp.requests
    assert dict(form.extracts) == {
        "x_csrf_token": "header:X-CSRF-Token",
        "csrf_token": 'regex:"<meta[^>]*name=\\"csrf-token\\"[^>]*content=\\"([^\\"]*)\\""',
        "nonce": 'regex:"<input[^>]*name=nonce[^>]*value=([^\\\\s>]*)"'}
    assert save.url == "${base}/save?nonce=${nonce}"
    assert save.headers == [("X-CSRF-Token", "${x_csrf_token}"), ("X-Meta", "${csrf_token}")]
    assert save.body is not None and save.body.text == '{"nonce": "${nonce}"}'
    _scenario(write_har(tmp_path / "a.har", doc))


def test_a_value_in_a_redirect_query_is_taken_from_the_location_header(
        tmp_path: Path) -> None:
    doc = har(
        entry("http://h.test/authorize", status=302,
              resp_headers=[("Location", "/callback?code=c0de-4455667788&state=xyz")]),
        entry("http://h.test/callback?code=c0de-4455667788&state=xyz"),
        entry("http://h.test/token", "POST", post={
            "mimeType": "application/x-www-form-urlencoded",
            "text": "grant_type=authorization_code&code=c0de-4455667788"}),
    )
    imp = import_har(str(write_har(tmp_path / "a.har", doc)), HarOptions())
    authorize, callback, token = imp.requests
    assert callback.url == "${base}${redirect}"
    assert dict(authorize.extracts) == {
        "redirect": "header:Location",
        "code": 'header:Location regex:"[?&]code=([^&#]*)"'}
    assert token.body is not None
    assert token.body.text == "grant_type=authorization_code&code=${code}"
    assert any("code = Location query code of" in c and "post_token" in c
               for c in imp.notes), imp.notes
    assert not any("c0de" in w for w in imp.warnings)
    _scenario(write_har(tmp_path / "a.har", doc))


def test_a_percent_encoded_redirect_query_value_is_reported(tmp_path: Path) -> None:
    doc = har(
        entry("http://h.test/authorize", status=302,
              resp_headers=[("Location", "/callback?code=c0de%2B4455667788")]),
        entry("http://h.test/token", "POST", post={
            "mimeType": "application/x-www-form-urlencoded",
            "text": "code=c0de%2B4455667788"}),
    )
    imp = import_har(str(write_har(tmp_path / "a.har", doc)), HarOptions())
    assert any("Location query code (percent-encoded there)" in w for w in imp.warnings), \
        imp.warnings
    assert not any("c0de" in w for w in imp.warnings)
