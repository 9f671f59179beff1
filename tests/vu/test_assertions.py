"""Every assertion operator, passing and failing, on every left side, as a VU evaluates
it against a real response: each assertion is a named check counted pass/fail, and a
failed one gives the step's reason ``assert <assertion> failed: got <actual>``.

One scenario holds one request per case (one assertion each) and runs once; the cases
then read its check counts and ``req`` events."""

from __future__ import annotations

import re
from typing import Any

import pytest

from support.runshard import Outcome
from vu.helpers import checks, failures, reasons, run_text

# /anything echoes the JSON body under "json" and the X-Request-Id header back as a header
ECHO = ("curl http://vu.test/anything -H 'X-Request-Id: rid-42' "
        """--json '{"n":5,"items":[1,2,3],"name":"Widget","flag":true,"nil":null}'""")
# 302 with Set-Cookie: c=cv and n=7
COOKIES = "curl http://vu.test/cookies/set?c=cv&n=7"

# (request name, response, assertion as written, check name, reason: None = passes)
CASES: list[tuple[str, str, str, str, str | None]] = [
    ("eq_p", ECHO, "status == 200", "status == 200", None),
    ("eq_f", ECHO, "status == 201", "status == 201", "got 200"),
    ("eq_single", ECHO, "status = 200", "status == 200", None),
    ("eq_str", ECHO, '$.json.n == "5"', '$.json.n == "5"', "got 5 (a number, not a string)"),
    ("eq_bool", ECHO, "body.json.flag == true", "$.json.flag == true", None),
    ("eq_null", ECHO, "$.json.nil == null", "$.json.nil == null", None),
    ("ne_p", ECHO, "$.json.n != 4", "$.json.n != 4", None),
    ("ne_f", ECHO, "body.json.n != 5", "$.json.n != 5", "got 5"),
    ("lt_p", ECHO, "latency < 5000", "latency < 5000ms", None),
    ("lt_f", ECHO, "$.json.n < 5", "$.json.n < 5", "got 5"),
    ("lt_lat", ECHO, "latency < 0", "latency < 0ms", re.compile(r"got \d+\.\dms")),
    ("le_p", ECHO, "$.json.n <= 5", "$.json.n <= 5", None),
    ("le_f", ECHO, "$.json.n <= 4.5", "$.json.n <= 4.5", "got 5"),
    ("gt_p", ECHO, "size > 10", "size > 10", None),
    ("gt_f", ECHO, "$.json.n > 5", "$.json.n > 5", "got 5"),
    ("ge_p", ECHO, "$.json.n >= 5", "$.json.n >= 5", None),
    ("ge_f", ECHO, "$.json.items.length >= 4", "$.json.items.length >= 4", "got 3"),
    ("in_p", ECHO, "status in [200, 201]", "status in [200, 201]", None),
    ("in_f", ECHO, '$.json.name in ["a", "b"]', '$.json.name in ["a", "b"]', 'got "Widget"'),
    ("nin_p", ECHO, "$.json.n not in [1, 2]", "$.json.n not in [1, 2]", None),
    ("nin_f", ECHO, "status not in [200, 204]", "status not in [200, 204]", "got 200"),
    ("bt_p", ECHO, "$.json.n between 1 and 5", "$.json.n between 1 and 5", None),
    ("bt_lat", ECHO, "latency between 0ms and 10s", "latency between 0ms and 10000ms", None),
    ("bt_f", ECHO, "header.X-Request-Id.length between 7 and 9",
     "header.X-Request-Id.length between 7 and 9", "got 6"),
    ("ct_p", ECHO, 'body contains "Widget"', 'body contains "Widget"', None),
    ("ct_f", ECHO, "$.json.items contains 4", "$.json.items contains 4", "got [1,2,3]"),
    ("nct_p", ECHO, 'header.Content-Type not contains "xml"',
     'header.Content-Type not contains "xml"', None),
    ("nct_f", ECHO, 'body not contains "Widget"', 'body not contains "Widget"',
     re.compile(r'got "\{\\"args\\":.*\.\.\.$')),  # the body, cut at 120 characters
    ("m_p", ECHO, 'header.X-Request-Id matches "^rid-[0-9]+$"',
     'header.X-Request-Id matches "^rid-[0-9]+$"', None),
    ("m_f", ECHO, '$.json.name matches "^w"', '$.json.name matches "^w"', 'got "Widget"'),
    ("ex_p", ECHO, "$.json.nil exists", "$.json.nil exists", None),
    ("ex_f", ECHO, "header.X-Nope exists", "header.X-Nope exists", "got nothing"),
    ("nex_p", COOKIES, "cookie.zzz not exists", "cookie.zzz not exists", None),
    ("nex_f", ECHO, "$.json.n not exists", "$.json.n not exists", "got 5"),
    ("ck_p", COOKIES, 'cookie.c == "cv"', 'cookie.c == "cv"', None),
    ("ck_f", COOKIES, "cookie.n > 7", "cookie.n > 7", "got ****"),  # values are secrets
    ("len_p", ECHO, "body.json.name.length == 6", "$.json.name.length == 6", None),
    ("len_body", ECHO, "body.length > 100", "body.length > 100", None),
    ("size_f", ECHO, "size < 10", "size < 10", re.compile(r"got \d{3}$")),
    ("hdr_p", ECHO, 'header.content-type == "application/json"',
     'header.content-type == "application/json"', None),
    ("miss_f", ECHO, "$.json.missing < 3", "$.json.missing < 3", "got nothing"),
]


@pytest.fixture(scope="module")
def outcome(target: Any) -> Outcome:
    text = "\n".join(f"request {n} {{ {curl}\n  assert {{ {a} }} }}" for n, curl, a, _, _ in CASES)
    text += "\nscenario s { run " + " -> ".join(c[0] for c in CASES) + " }\n"
    return run_text(target, text)


@pytest.mark.parametrize(("name", "written", "check", "why"),
                         [(c[0], c[2], c[3], c[4]) for c in CASES], ids=[c[0] for c in CASES])
def test_operator(outcome: Outcome, name: str, written: str, check: str,
                  why: str | re.Pattern[str] | None) -> None:
    assert checks(outcome)[f"{name} {check}"] == ((1, 0) if why is None else (0, 1))
    (reason,) = reasons(outcome, name)
    if why is None:
        assert reason == ""
        assert failures(outcome, name) == {}
        return
    prefix = f"assert {check} failed: "
    assert reason.startswith(prefix), reason
    if isinstance(why, str):
        assert reason == prefix + why
    else:
        assert why.fullmatch(reason[len(prefix):]), reason
    assert failures(outcome, name) == {"assertion": 1}


def test_every_operator_is_covered_both_ways() -> None:
    ops = ["==", "!=", "<", "<=", ">", ">=", " in ", "not in", "between", "contains",
           "not contains", "matches", "exists", "not exists"]
    for op in ops:
        found = [c for c in CASES if op in c[3]]
        assert any(c[4] is None for c in found), op
        assert any(c[4] is not None for c in found), op


def test_all_checks_counted_first_failure_is_the_reason(target: Any) -> None:
    text = """
request a { curl http://vu.test/anything?x=1
  assert { status == 200
           $.args.x == "2"
           latency < 5s
           $.args.x == "3" } }
scenario s { load 3 iterations with 1 vus
  run a }
"""
    out = run_text(target, text)
    assert checks(out) == {'a status == 200': (3, 0), 'a $.args.x == "2"': (0, 3),
                           'a latency < 5000ms': (3, 0), 'a $.args.x == "3"': (0, 3)}
    assert reasons(out, "a") == ['assert $.args.x == "2" failed: got "1"'] * 3
    assert failures(out) == {"assertion": 3}  # each failed request counted once
    assert out.result.checks_passed == 6 and out.result.checks_failed == 6


def test_quoted_reference_keeps_its_quotes_in_the_check_name(target: Any) -> None:
    """docs/language.md: strings appear in double quotes in check names, also a string
    that is only a reference (``"${email}"``); a bare ``${email}`` stays bare. Both are
    the same check at run time (same value), so only the name tells them apart."""
    text = """
var email = "ann@test.com"
request me { curl http://vu.test/anything?user=ann@test.com
  assert { $.args.user == "${email}"
           $.args.user == ${email}
           $.args.user in ["${email}", "bob"]
           $.args.user != "x-${email}" } }
scenario s { load 1 iterations with 1 vus
  run me }
"""
    out = run_text(target, text)
    assert checks(out) == {'me $.args.user == "${email}"': (1, 0),
                           "me $.args.user == ${email}": (1, 0),
                           'me $.args.user in ["${email}", "bob"]': (1, 0),
                           'me $.args.user != "x-${email}"': (1, 0)}


def test_failure_kinds_status_rule_and_extraction(target: Any) -> None:
    text = """
request plain404 { curl http://vu.test/status/404 }
request asserted404 { curl http://vu.test/status/404
  assert { status == 404 } }
request status_and_check { curl http://vu.test/status/500
  assert { body contains "x" } }
request no_match { curl http://vu.test/get
  extract { t = $.nope } }
request not_json { curl http://vu.test/html
  extract { t = $.a } }
request bad_regex { curl http://vu.test/get
  extract { t = regex:zz(\\d+)zz } }
request no_header { curl http://vu.test/get
  extract { t = header:X-Nope } }
request extraction_and_check { curl http://vu.test/get
  extract { t = $.nope }
  assert { status == 201 } }
scenario s { run plain404 -> asserted404 -> status_and_check -> no_match -> not_json
                 -> bad_regex -> no_header -> extraction_and_check }
"""
    out = run_text(target, text)
    expect = {
        "plain404": ("status", "status 404 (400 or above, and no assertion on status)"),
        "asserted404": (None, ""),
        "status_and_check": ("status", "status 500 (400 or above, and no assertion on status)"),
        "no_match": ("extraction", "extract t = $.nope: no match"),
        "not_json": ("extraction", "extract t = $.a: response body is not JSON"),
        "bad_regex": ("extraction", r"extract t = regex:zz(\d+)zz: no match"),
        "no_header": ("extraction", "extract t = header:X-Nope: no such header"),
        "extraction_and_check": ("assertion", "assert status == 201 failed: got 200"),
    }
    for name, (kind, reason) in expect.items():
        assert reasons(out, name) == [reason], name
        assert failures(out, name) == ({kind: 1} if kind else {}), name
    assert checks(out)['status_and_check body contains "x"'] == (0, 1)


def test_a_request_without_a_response_still_counts_the_bytes_it_sent(target: Any) -> None:
    """A timeout: the request went out (the server received it) and no response came; its
    bytes count in "data sent" (QA: 3 timed-out requests showed 0 B sent); a refused
    connection sent nothing."""
    out = run_text(target, """
request slow { curl -m 0.2 http://vu.test/delay/1000 }
request ok { curl http://vu.test/get }
scenario s {
  load 3 iterations with 1 vus
  run slow -> ok
}
""")
    assert failures(out, "slow") == {"timeout": 3}
    slow, ok = out.result.requests["slow"], out.result.requests["ok"]
    # the same GET head but for the path
    assert slow.bytes_sent == 3 * (ok.bytes_sent // 3 + len("/delay/1000") - len("/get")) > 0
    assert slow.bytes_received == 0
    assert out.result.total.bytes_sent == slow.bytes_sent + ok.bytes_sent
