"""One table of secret-bearing inputs, every output (issue 22): the dry run, ``--verbose``,
``--progress``, NDJSON, CSV, the JSON summary, JUnit, the HTML report and ``exec -v`` all
follow the one rule of :mod:`httptool.secrets`, so none of them contains a secret.

Each request is sent for real to the built-in target, which echoes what it received, and
asserts on the echo: "the secret is not in the output" cannot pass because nothing was
sent."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from e2ecli import httptool_run, output_args, run_cli, write_scenario

from httptool.secrets import mask_body, mask_header, mask_url

pytestmark = pytest.mark.timeout(120)

#: (what, curl arguments after the URL or the URL's own parts, the secret, the assertion
#: on the target's echo proving the secret was sent)
TABLE: list[tuple[str, str, str, str]] = [
    ("authorization without a scheme", "{base}/anything -H 'Authorization: tok123 part2'",
     "tok123", "$.headers.Authorization exists"),
    ("bearer token", "{base}/anything -H 'Authorization: Bearer BEARER-SECRET-1'",
     "BEARER-SECRET-1", "$.headers.Authorization exists"),
    ("api key header", "{base}/anything -H 'X-Api-Key: APIKEY-SECRET-2'",
     "APIKEY-SECRET-2", "$.headers.X-Api-Key exists"),
    ("cookie", "{base}/anything -b 'sid=COOKIE-SECRET-3; theme=dark'",
     "COOKIE-SECRET-3", "$.headers.Cookie exists"),
    ("-u user:password", "{base}/anything -u ann:USER-PW-SECRET-4",
     "USER-PW-SECRET-4", "$.headers.Authorization exists"),
    ("URL userinfo", "http://bob:URL-PW-SECRET-5@{host}/anything",
     "URL-PW-SECRET-5", "$.headers.Authorization exists"),
    ("query parameters",
     "'{base}/anything?token=QTOKEN-SECRET-6&api_key=QKEY-SECRET-7&password=QPW-SECRET-8"
     "&page=2'", "QTOKEN-SECRET-6", "$.args.token exists"),
    ("JSON body fields",
     "{base}/anything --json '{{\"user\": \"ann\", \"password\": \"BODY-PW-SECRET-9\", "
     "\"api_key\": \"BODY-KEY-SECRET-10\"}}'", "BODY-PW-SECRET-9", "$.json.password exists"),
]
#: secrets that stand beside the row's own (same request, other parameter or field)
MORE = ["QKEY-SECRET-7", "QPW-SECRET-8", "BODY-KEY-SECRET-10", "part2"]


def _forms() -> list[bytes]:
    """Every secret as bytes, plus the base64 forms of the user:password pairs."""
    forms = [row[2].encode() for row in TABLE] + [m.encode() for m in MORE]
    forms += [base64.b64encode(pair.encode())
              for pair in ("ann:USER-PW-SECRET-4", "bob:URL-PW-SECRET-5")]
    return forms


def _scenario(base: str) -> str:
    host = base.removeprefix("http://")
    lines = []
    for i, (_what, args, _secret, check) in enumerate(TABLE):
        lines.append(f"request r{i} {{\n  curl {args.format(base=base, host=host)}\n"
                     f"  assert {{ status == 200\n    {check} }}\n}}")
    flow = " -> ".join(f"r{i}" for i in range(len(TABLE)))
    lines.append(f"scenario secrets: load 2 iterations with 1 vus | run {flow}")
    return "\n".join(lines) + "\n"


def _assert_clean(where: str, data: bytes) -> None:
    for secret in _forms():
        assert secret not in data, f"{secret!r} in {where}"


@pytest.mark.parametrize("workers", [1, 2])
def test_run_outputs_hold_no_secret(workers: int, tmp_path: Path, fresh_target: Any) -> None:
    f = write_scenario(tmp_path, _scenario(fresh_target.url))
    r = httptool_run(f, "--verbose", "--progress", "--workers", str(workers),
                     "--report", str(tmp_path / "report.html"), *output_args(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    # every assertion held: every secret really went out
    assert "checks .........: 100.00% passed" in r.stdout
    assert fresh_target.counts()["total"] == 2 * len(TABLE)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.suffix != ".httpx"}
    assert set(files) == {"out.ndjson", "out.csv", "summary.json", "junit.xml",
                          "report.html"}
    for where, data in {"stdout": r.stdout.encode(), "stderr": r.stderr.encode(),
                        **files}.items():
        _assert_clean(where, data)
    # what is kept for debugging is still shown: user names, parameter names, schemes
    assert "http://bob:****@" in r.stdout
    assert "token=****&api_key=****&password=****&page=2" in r.stdout


def test_dry_run_holds_no_secret(tmp_path: Path, fresh_target: Any) -> None:
    f = write_scenario(tmp_path, _scenario(fresh_target.url))
    r = run_cli("scenario", "run", str(f), "--dry-run")
    assert r.returncode == 0, r.stderr
    _assert_clean("dry run", (r.stdout + r.stderr).encode())
    assert "Authorization: ****" in r.stdout  # no scheme: nothing of it is shown
    assert "Authorization: Bearer ****" in r.stdout
    assert "X-Api-Key: ****" in r.stdout
    assert '"password": "****"' in r.stdout and '"user": "ann"' in r.stdout
    assert fresh_target.counts()["total"] == 0  # a dry run sends nothing


@pytest.mark.parametrize("row", TABLE, ids=[row[0] for row in TABLE])
def test_exec_verbose_holds_no_secret(row: tuple[str, str, str, str],
                                      fresh_target: Any) -> None:
    base = fresh_target.url
    args = row[1].format(base=base, host=base.removeprefix("http://"))
    r = run_cli("exec", "-v", f"curl -s {args}")
    assert r.returncode == 0, r.stderr
    # the echoed response body (stdout, the response itself as curl prints it): it was sent
    assert any(form in r.stdout.encode() for form in _forms())
    _assert_clean("exec -v log", r.stderr.encode())


@pytest.mark.parametrize(("show", "text"), [
    (lambda: mask_header("Authorization", "tok123 part2"), "****"),
    (lambda: mask_header("Authorization", "Bearer T0K"), "Bearer ****"),
    (lambda: mask_header("Proxy-Authorization", "Basic YTpi"), "Basic ****"),
    (lambda: mask_header("X-Auth-Token", "T0K"), "****"),
    (lambda: mask_header("Set-Cookie", "sid=T0K; Path=/; HttpOnly"), "sid=****; Path=/; HttpOnly"),
    (lambda: mask_header("Cookie", "a=T0K; b=T0K"), "a=****; b=****"),
    (lambda: mask_header("Accept", "text/html"), "text/html"),
    (lambda: mask_url("https://u:T0K@h/p?accessToken=T0K&author=x#f"),
     "https://u:****@h/p?accessToken=****&author=x#f"),
    (lambda: mask_url("http://h/login?next=a@b"), "http://h/login?next=a@b"),
    (lambda: mask_body('{"a": {"clientSecret": "T0K"}, "pwd": ${p}, "n": 1}'),
     '{"a": {"clientSecret": "****"}, "pwd": "****", "n": 1}'),
    (lambda: mask_body("user=ann&new_password=T0K"), "user=ann&new_password=****"),
])
def test_the_rule(show: Any, text: str) -> None:
    assert show() == text
