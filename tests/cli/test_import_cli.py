"""``httptool import`` on bad input, as a user meets it: one clear located message, exit 2,
no traceback, and an existing output file left untouched (the write is atomic)."""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "importers"))
from importkit import RECORDED_HAR, entry, har, httptool, write_har


def _fails(args: list[str], out: Path | None = None) -> str:
    if out is not None:
        out.write_text("previous scenario\n")
        args = [*args, "-o", str(out)]
    r = httptool("import", *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    if out is not None:
        assert out.read_text() == "previous scenario\n"
        assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []
    return r.stderr


def test_not_json_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.har"
    bad.write_text('{"log": {\n  "entries": [,]\n}}')
    err = _fails(["har", str(bad)], tmp_path / "out.httpx")
    assert f"{bad}:2:15: not JSON (HAR files are JSON): Expecting value" in err
    assert '  "entries": [,]' in err and "^" in err


def test_not_utf8_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.har"
    bad.write_bytes(b'{"log": {"entries": [],\n "comment": "caf\xe9"}}')
    err = _fails(["har", str(bad)], tmp_path / "out.httpx")
    assert f"{bad}:2:17: not UTF-8 text: byte 0xe9" in err


@pytest.mark.parametrize(("doc", "message"), [
    ({"log": {"version": "2.0", "entries": []}},
     "/log/version is '2.0'; HAR 1.1 and 1.2 are supported"),
    ({"entries": []}, "missing required field /log"),
    ({"log": {"entries": {}}}, "/log/entries must be an array, found an object"),
    (har({"request": {"method": "GET", "headers": []}, "response": {}}),
     "missing required field /log/entries/0/request/url"),
    (har(entry("http://h.test/a"), {"request": {"method": "GET", "url": "http://h.test/",
                                               "headers": []}}),
     "missing required field /log/entries/1/response"),
    ([1, 2], "not a HAR file"),
])
def test_wrong_shape_names_the_json_pointer(tmp_path: Path, doc: object, message: str) -> None:
    f = tmp_path / "x.har"
    f.write_text(json.dumps(doc))
    assert message in _fails(["har", str(f)], tmp_path / "out.httpx")


def test_missing_file_and_bad_var_name(tmp_path: Path) -> None:
    assert "no such file" in _fails(["har", str(tmp_path / "none.har")])
    r = httptool("import", "har", str(RECORDED_HAR), "--base-url-var", "1bad")
    assert r.returncode == 2 and "is not a variable name" in r.stderr


def test_binary_body_goes_beside_the_output(tmp_path: Path) -> None:
    blob = bytes(range(256))
    doc = har(entry("http://h.test/upload", "POST", post={
        "mimeType": "application/octet-stream", "text": base64.b64encode(blob).decode(),
        "encoding": "base64"}), entry("http://h.test/after"))
    src = write_har(tmp_path / "bin.har", doc)
    out = tmp_path / "out" / "up.httpx"
    r = httptool("import", "har", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "up.bodies" / "post_upload.bin").read_bytes() == blob
    assert "--data-binary @up.bodies/post_upload.bin" in out.read_text()
    v = httptool("scenario", "validate", str(out))
    assert v.returncode == 0, v.stderr
    r = httptool("import", "har", str(src))  # stdout: nowhere to put the bytes
    assert r.returncode == 0
    assert "post_upload skipped: its body is binary (/log/entries/0/request/postData)" in r.stderr
    assert "request get_after" in r.stdout and "request post_upload" not in r.stdout


def test_ten_thousand_entries(tmp_path: Path) -> None:
    entries = [entry(f"http://h.test/api/items/{i}?page={i % 7}",
                     body=json.dumps({"id": i, "next": f"cur-{i:08d}x"}))
               for i in range(10_000)]
    src = write_har(tmp_path / "big.har", har(*entries))
    out = tmp_path / "big.httpx"
    t0 = time.monotonic()
    r = httptool("import", "har", str(src), "-o", str(out), "--no-think", timeout=120)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr[-2000:]
    assert "10000 entries: 10000 requests kept" in r.stderr
    text = out.read_text()
    assert text.count("\nrequest get_api_items_id") == 10_000
    assert took < 30, took


def test_help_lists_the_importers() -> None:
    r = httptool("import", "--help")
    assert r.returncode == 0
    for name in ("har", "postman", "openapi"):
        assert name in r.stdout
    assert "import" in httptool("--help").stdout


def test_postman_bad_input(tmp_path: Path) -> None:
    v1 = tmp_path / "v1.json"
    v1.write_text(json.dumps({"name": "old", "requests": [{"url": "http://h.test/"}]}))
    assert "a Postman collection v1" in _fails(["postman", str(v1)], tmp_path / "o.httpx")
    good = Path(__file__).resolve().parents[1] / "data" / "postman" / "sample-collection.json"
    env = tmp_path / "env.json"
    env.write_text(json.dumps({"values": [{"value": "x"}]}))
    err = _fails(["postman", str(good), "--environment", str(env)], tmp_path / "o.httpx")
    assert f"{env}: missing required field /values/0/key" in err


def test_openapi_yaml_error_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "api.yaml"
    bad.write_text("openapi: 3.0.0\npaths:\n  /a:\n    get: {responses: [}\n")
    err = _fails(["openapi", str(bad)], tmp_path / "o.httpx")
    assert f"{bad}:4:" in err and "neither JSON nor valid YAML" in err and "^" in err
