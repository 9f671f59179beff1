"""Secrets never leave the tool (DESIGN.md: Authorization, Cookie, Set-Cookie values and
``-u`` are masked in logs and reports), and failures say why they failed."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from e2ecli import CliRun, httptool_run, output_args, write_scenario

pytestmark = pytest.mark.timeout(120)

SECRETS = ("URL-PASS-3", "HUNTER2-PW", "SEKRIT-TOKEN-1", "SEKRIT-TOKEN-2", "COOKIE-VAL-4",
           "COOKIE-VAL-5", "REFUSED-PW-6")

# Each request proves its secret was sent (the target echoes it back or checks it),
# so "not in the output" cannot pass because nothing was sent.
SCENARIO = """\
request inurl {{
  curl http://bob:URL-PASS-3@{host}/get
  assert {{ $.headers.Authorization exists }}
}}
request basic {{
  curl -u alice:HUNTER2-PW {base}/get
  assert {{ $.headers.Authorization exists }}
}}
request bearer {{
  curl {base}/bearer -H 'Authorization: Bearer SEKRIT-TOKEN-1'
  assert {{ status == 200 }}
}}
request denied {{ curl {base}/status/401 -H 'Authorization: Bearer SEKRIT-TOKEN-2' }}
request cookie_b {{
  curl {base}/cookies -b 'session=COOKIE-VAL-4; theme=dark'
  assert {{ $.cookies.session exists }}
}}
request cookie_h {{
  curl {base}/cookies -H 'Cookie: sid=COOKIE-VAL-5'
  assert {{ $.cookies.sid exists }}
}}
request refused {{ curl http://carol:REFUSED-PW-6@{closed_host}/x }}
scenario secrets: load 4 iterations with 2 vus | run inurl -> basic -> bearer -> denied -> \
cookie_b -> cookie_h -> refused
"""


def everything_written(r: CliRun, tmp_path: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.suffix != ".httpx"}
    return {"stdout": r.stdout.encode(), "stderr": r.stderr.encode(), **files}


@pytest.mark.parametrize("workers", [1, 2])
def test_no_secret_anywhere_and_masked_forms_shown(
        workers: int, tmp_path: Path, fresh_target: Any, closed_url: str) -> None:
    f = write_scenario(tmp_path, SCENARIO.format(
        base=fresh_target.url, host=fresh_target.url.removeprefix("http://"),
        closed_host=closed_url.removeprefix("http://")))
    r = httptool_run(f, "--verbose", "--progress", "--workers", str(workers),
                     *output_args(tmp_path))
    assert r.returncode == 0, r.stderr
    written = everything_written(r, tmp_path)
    assert set(written) == {"stdout", "stderr", "out.ndjson", "out.csv", "summary.json",
                            "junit.xml"}
    forms = [s.encode() for s in SECRETS]
    forms += [base64.b64encode(f"{u}:{p}".encode()) for u, p in
              (("bob", "URL-PASS-3"), ("alice", "HUNTER2-PW"), ("carol", "REFUSED-PW-6"))]
    for where, data in written.items():
        for secret in forms:
            assert secret not in data, f"{secret!r} in {where}"

    c = r.console()
    assert c.stray == []
    served = fresh_target.counts()
    assert served["paths"]["/bearer"] == 4 and served["statuses"]["401"] == 4
    # every check held: each secret was really sent
    assert c.summary_failures == 8 and "checks .........: 100.00% passed" in c.summary
    # the URL a user:password was in is shown with the password masked, in the log...
    assert {q.url for q in c.requests if "@" in q.url} == {
        f"http://bob:****@{fresh_target.url.removeprefix('http://')}/get",
        f"{closed_url.replace('http://', 'http://carol:****@')}/x"}
    # ...and in both files
    nd = written["out.ndjson"].decode()
    assert nd.count('"url":"http://bob:****@') == 4
    assert written["out.csv"].decode().count(",http://carol:****@") == 4
    # failures carry their reasons
    reasons = {q.url.rsplit("/", 1)[-1]: q.reason for q in c.requests if not q.ok}
    assert reasons["401"] == "status 401 (400 or above, and no assertion on status)"
    assert reasons["x"] == f"connection refused ({closed_url.removeprefix('http://')})"


def test_cookie_values_masked_in_failure_reasons(tmp_path: Path, fresh_target: Any) -> None:
    f = write_scenario(tmp_path, f"""\
request set_cookie {{
  curl "{fresh_target.url}/cookies/set?session=SET-COOKIE-VAL-8"
  assert {{ header.Set-Cookie == "nope" }}
}}
request jar {{
  curl "{fresh_target.url}/cookies/set?sid=SET-COOKIE-VAL-9"
  assert {{ cookie.sid == "nope" }}
}}
scenario s: load 1 iterations with 1 vus | run set_cookie -> jar
""")
    r = httptool_run(f, "--verbose", "--workers", "1", *output_args(tmp_path))
    assert r.returncode == 0, r.stderr
    c = r.console()
    assert [q.reason for q in c.requests] == [
        'assert header.Set-Cookie == "nope" failed: got ****',
        'assert cookie.sid == "nope" failed: got ****']
    for where, data in everything_written(r, tmp_path).items():
        # the URL as written carries the value in its query and is shown as sent; the
        # reasons, which quote the response's cookie, must not show it
        for url_part in (b"/cookies/set?session=SET-COOKIE-VAL-8",
                         b"/cookies/set?sid=SET-COOKIE-VAL-9"):
            data = data.replace(url_part, b"/cookies/set?...")
        for secret in (b"SET-COOKIE-VAL-8", b"SET-COOKIE-VAL-9"):
            assert secret not in data, f"{secret!r} in {where}"


def test_echoed_secret_values_masked_in_failure_reasons(tmp_path: Path,
                                                        fresh_target: Any) -> None:
    """An echo endpoint returns the request's headers in its JSON body: an assertion on
    ``$.headers.Authorization`` must not quote the token in its reason (QA)."""
    f = write_scenario(tmp_path, f"""\
request echo {{
  curl {fresh_target.url}/headers -H "Authorization: Bearer ECHOED-TOKEN-7"
  assert {{ $.headers.Authorization == "x" }}
}}
scenario s: load 1 iterations with 1 vus | run echo
""")
    r = httptool_run(f, "--verbose", "--workers", "1", *output_args(tmp_path))
    assert r.returncode == 0, r.stderr
    c = r.console()
    assert [q.reason for q in c.requests] == [
        'assert $.headers.Authorization == "x" failed: got ****']
    for where, data in everything_written(r, tmp_path).items():
        assert b"ECHOED-TOKEN-7" not in data, where
