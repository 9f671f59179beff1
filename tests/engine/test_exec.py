"""``httptool exec`` as a user runs it: a subprocess against the fault server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from netutil import free_port

from support.faultserver import FaultServer

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]
PY = ROOT / ".venv" / "bin" / "python"


@pytest.fixture(scope="module")
def srv() -> Iterator[FaultServer]:
    s = FaultServer().start_in_thread()
    yield s
    s.stop_thread()


def _exec(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    python = str(PY) if PY.exists() else sys.executable
    return subprocess.run([python, "-m", "httptool", "exec", *args], capture_output=True,
                          text=True, timeout=30, cwd=ROOT, env=env)


def test_get_prints_body_and_timing(srv: FaultServer):
    p = _exec(f"curl {srv.url('/chunked')}")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hello world"
    assert p.stderr.startswith("* total ") and "first byte" in p.stderr
    assert "received" in p.stderr
    p = _exec(f"curl -s {srv.url('/chunked')}")  # -s: quiet, as curl
    assert (p.returncode, p.stdout, p.stderr) == (0, "hello world", "")


def test_include_shows_status_line_and_headers(srv: FaultServer):
    p = _exec("curl", "-i", srv.url("/ok"))  # words instead of one quoted argument
    assert p.returncode == 0, p.stderr
    # (text mode reads the CRLFs curl also prints as plain newlines)
    assert p.stdout == "HTTP/1.1 200 OK\nContent-Length: 2\nContent-Type: text/plain\n\nok"


def test_post_json(srv: FaultServer):
    p = _exec(f"""curl -X POST {srv.url('/echo')} -H 'X-Trace: 7' --json '{{"name": "a b"}}'""")
    assert p.returncode == 0, p.stderr
    seen = json.loads(p.stdout)
    assert seen["method"] == "POST"
    assert json.loads(seen["body"]) == {"name": "a b"}
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["headers"]["X-Trace"] == "7"


def test_env_refs_are_rendered_and_others_refused(srv: FaultServer):
    import os

    env = {**os.environ, "TOKEN": "s3cret"}
    p = _exec(f"curl -v -H 'Authorization: Bearer ${{env.TOKEN}}' {srv.url('/echo')}", env=env)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["headers"]["Authorization"] == "Bearer s3cret"
    assert "> Authorization: Bearer ****\n" in p.stderr and "s3cret" not in p.stderr
    assert "< HTTP/1.1 200 OK" in p.stderr
    p = _exec(f"curl {srv.url('/echo')}/${{user.id}}")
    assert p.returncode == 2
    assert "'${user.id}' cannot be used here" in p.stderr
    assert "<command>:1:" in p.stderr and "^" in p.stderr


def test_verbose_masks_secrets_with_the_same_mask_as_every_other_output(srv: FaultServer):
    """``****`` as in the verbose log, --dry-run and failure reasons (it was ``***``);
    the scheme and cookie names stay, the secret values and Base64 credentials go."""
    p = _exec(f"curl -v -u alice:pa55word -H 'Cookie: sid=abc123; theme=dark' "
              f"-H 'Proxy-Authorization: Token t0ken' {srv.url('/echo')}")
    assert p.returncode == 0, p.stderr
    seen = json.loads(p.stdout)["headers"]
    assert seen["Cookie"] == "sid=abc123; theme=dark"  # really sent
    dump = [ln for ln in p.stderr.splitlines() if ln.startswith("> ")]
    assert "> Authorization: Basic ****" in dump
    assert "> Cookie: sid=****; theme=****" in dump
    assert "> Proxy-Authorization: Token ****" in dump
    for secret in ("pa55word", "YWxpY2U6cGE1NXdvcmQ=", "abc123", "dark", "t0ken"):
        assert secret not in p.stderr
    assert not [ln for ln in dump if "***" in ln and "****" not in ln]


def test_verbose_masks_the_responses_set_cookie_value(target):
    """DESIGN.md: Set-Cookie values are masked in logs; -v's response dump is one (the
    cookie's name and attributes stay). ``-i`` prints the response itself, as curl does."""
    p = _exec(f"curl -v -i {target.url}/cookies/set/sid/c00kieVAL")
    assert p.returncode == 0, p.stderr
    dump = [ln for ln in p.stderr.splitlines() if ln.lower().startswith("< set-cookie:")]
    assert dump and all(ln.split(":", 1)[1].strip().startswith("sid=****") for ln in dump)
    assert "c00kieVAL" not in p.stderr.replace("/cookies/set/sid/c00kieVAL", "")
    assert "sid=c00kieVAL" in p.stdout


def test_transport_failure_exits_with_curls_code():
    p = _exec(f"curl http://127.0.0.1:{free_port()}/")
    assert p.returncode == 7  # curl's "failed to connect"
    assert "httptool: refused: connection refused" in p.stderr
    assert p.stdout == ""


def test_bad_command_exits_2():
    p = _exec("curl --no-such-flag http://127.0.0.1/")
    assert p.returncode == 2
    assert "no-such-flag" in p.stderr
    assert "Traceback" not in p.stderr
