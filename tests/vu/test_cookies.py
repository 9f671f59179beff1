"""Cookie jars as VUs use them: one per VU (default), one for all (``shared``), none
(``off``); ``-b`` cookies sent in addition; a jar kept across iterations and used by
parallel branches.

``/login`` issues a fresh token per login in ``Set-Cookie: session=...``; ``/me`` answers
with the user of the session cookie. Every VU logs in as ``user-<VU>``; then, after a
pause long enough for every login to finish, each VU asks who it is."""

from __future__ import annotations

import re

import pytest

from vu.helpers import checks, reasons, reqs, run_text

VUS = 20

LOGIN_THEN_ME = """
request login { curl -X POST http://vu.test/login -d 'username=user-${VU}&password=pw'
  extract { token = cookie:session }
  assert { status == 200 } }
request me { curl http://vu.test/me
  assert { status == 200
           $.user == "user-${VU}" } }
request sent { curl http://vu.test/anything -b "extra=x${VU}"
  assert { $.headers.Cookie == "extra=x${VU}; session=${token}" } }
scenario s {
  load VUS iterations with VUS vus
  run login
  think 600ms
  run me -> sent
}
""".replace("VUS", str(VUS))


def test_each_vu_has_its_own_jar(target) -> None:
    out = run_text(target, LOGIN_THEN_ME)
    assert out.result.total_requests == 3 * VUS
    assert checks(out) == {
        "login status == 200": (VUS, 0),
        "me status == 200": (VUS, 0),
        'me $.user == "user-${VU}"': (VUS, 0),
        'sent $.headers.Cookie == "extra=x${VU}; session=${token}"': (VUS, 0),
    }, reasons(out, "me")[:3] + reasons(out, "sent")[:3]


def test_shared_jar_last_login_wins_for_everyone(target) -> None:
    out = run_text(target, LOGIN_THEN_ME, cookies="shared")
    me = reqs(out, "me")
    assert len(me) == VUS and all(e[7] == 200 for e in me)  # everyone is logged in ...
    # ... as the same user: the one whose login answered last
    whos = {e[2]: re.search(r'got "(user-\d+)"', e[10]) for e in me}
    seen = {m.group(1) for m in whos.values() if m}
    assert len(seen) == 1, seen
    (winner,) = seen
    assert checks(out)['me $.user == "user-${VU}"'] == (1, VUS - 1)
    assert whos[int(winner.split("-")[1])] is None  # the winner itself passed
    # every VU's Cookie line carried the winner's session, not its own token
    assert checks(out)['sent $.headers.Cookie == "extra=x${VU}; session=${token}"'] == (
        1, VUS - 1)


def test_cookies_off_sends_none_but_still_sends_dash_b(target) -> None:
    # the Cookie line is the -b string alone: the echoed header equals it, in every VU (a
    # failure's reason would not show it: a Cookie value is masked there)
    text = LOGIN_THEN_ME.replace('$.headers.Cookie == "extra=x${VU}; session=${token}"',
                                 '$.headers.Cookie == "extra=x${VU}"')
    out = run_text(target, text, cookies="off")
    assert [e[7] for e in reqs(out, "me")] == [401] * VUS
    assert checks(out)["login status == 200"] == (VUS, 0)  # cookie:session still extracts
    assert checks(out)['sent $.headers.Cookie == "extra=x${VU}"'] == (VUS, 0)


@pytest.mark.parametrize("mode", ["vu", "shared"])
def test_scenario_cookies_setting_is_used(target, mode: str) -> None:
    text = LOGIN_THEN_ME.replace("scenario s {", f"scenario s {{\n  cookies = {mode}")
    out = run_text(target, text)
    expect = (VUS, 0) if mode == "vu" else (1, VUS - 1)
    assert checks(out)['me $.user == "user-${VU}"'] == expect


def test_jar_kept_across_iterations_and_shared_by_parallel_branches(target) -> None:
    text = """
request login { curl -X POST http://vu.test/login --json '{"username":"u${VU}","password":"p"}' }
request me { curl http://vu.test/me
  assert { status == 200
           $.user == "u${VU}" } }
request me2 { curl http://vu.test/me
  assert { $.user == "u${VU}" } }
request set { curl http://vu.test/cookies/set/flavour/v${VU}
  assert { status == 302 } }
request show { curl http://vu.test/cookies
  assert { $.cookies.flavour == "v${VU}" } }
scenario s {
  load 6 iterations with 2 vus
  if ${ITER} == 1 { run login }
  parallel { run me  run me2  run set }
  run show
}
"""
    out = run_text(target, text)
    assert len(reqs(out, "login")) == 2  # one login per VU, in its first iteration
    assert all(f == 0 for _, f in checks(out).values()), checks(out)
    assert checks(out)['me $.user == "u${VU}"'] == (6, 0)


def test_cookie_extraction_and_assertion_read_the_response_then_the_jar(target) -> None:
    text = """
request set { curl http://vu.test/cookies/set?a=1&b=two
  extract { a = cookie:a }
  assert { cookie.b == "two"
           cookie.a == 1
           cookie.zzz not exists } }
request later { curl http://vu.test/get
  extract { b = cookie:b }
  assert { cookie.a == "1" } }
request missing { curl http://vu.test/get
  extract { z = cookie:zzz } }
scenario s { run set -> later -> missing }
"""
    out = run_text(target, text)
    assert all(f == 0 for _, f in checks(out).values()), checks(out)
    assert reasons(out, "missing") == ["extract z = cookie:zzz: no such cookie"]
