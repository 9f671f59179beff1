"""Flow statements as a VU walks them, over real sockets: nested steps and skipped
counts, parallel branches, if/else, foreach, repeat, think and the scenario's
think_time, retry (every backoff, ``on``), setup/teardown.

Timing tests measure with the ``req`` events' wall-clock stamps (taken when a response
has been handled) and keep generous upper bounds: the machine is shared."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from vu.helpers import checks, failures, reasons, reqs, run_text


def _gaps(events: list[tuple[Any, ...]]) -> list[float]:
    ts = [e[1] for e in events]
    return [b - a for a, b in pairwise(ts)]


# --------------------------------------------------------------------------- nesting


def test_failed_parent_skips_its_children_and_counts_them(target: Any) -> None:
    text = """
data rows = [{i: 1}, {i: 2}, {i: 3}, {i: 4}]
request bad { curl http://vu.test/status/500 }
request ok { curl http://vu.test/get }
request c1 { curl http://vu.test/anything/c1 }
request c2 { curl http://vu.test/anything/c2 }
request c3 { curl http://vu.test/anything/c3 }
request c4 { curl http://vu.test/anything/c4 }
request c5 { curl http://vu.test/anything/c5 }
request c6 { curl http://vu.test/anything/c6 }
request c7 { curl http://vu.test/anything/c7 }
request c8 { curl http://vu.test/anything/c8 }
request c9 { curl http://vu.test/anything/c9 }
request c10 { curl http://vu.test/anything/c10 }
scenario s {
  load 2 iterations with 1 vus
  run bad {
    run c1 -> c2 { run c3 }
    parallel { run c4  run c5 }
    repeat 3 { run c6 }
    foreach row in rows limit 2 { run c7 }
    if ${flag} == "x" { run c8 } else { run c9 }
  }
  run ok { run c10 }
}
"""
    target.reset()
    out = run_text(target, text)
    r = out.result
    assert r.skipped == {"c1": 2, "c2": 2, "c3": 2, "c4": 2, "c5": 2, "c6": 6, "c7": 4,
                         "c9": 2}
    assert r.total_requests == 6 == target.counts()["total"]  # bad, ok, c10 twice each
    assert failures(out) == {"status": 2}  # skipped steps are not failures
    assert len(reqs(out, "c10")) == 2


def test_sequence_continues_after_a_failed_step(target: Any) -> None:
    text = """
request bad { curl http://vu.test/status/503 }
request after { curl http://vu.test/get }
scenario s { run bad -> after }
"""
    out = run_text(target, text)
    assert [e[4] for e in reqs(out)] == ["bad", "after"]
    assert out.result.skipped == {}


# --------------------------------------------------------------------------- parallel


def test_parallel_branches_run_concurrently(target: Any) -> None:
    text = """
request a { curl http://vu.test/delay/300 }
request b { curl http://vu.test/delay/300 }
request c { curl http://vu.test/get }
scenario par { run c -> parallel(a, b) -> c }
scenario seq { run c -> a -> b -> c }
"""
    par = run_text(target, text, scenario="par")
    ts = [e[1] for e in reqs(par)]
    assert 0.28 <= ts[-1] - ts[0] < 0.5, ts  # both delays overlapped
    seq = run_text(target, text, scenario="seq")
    ts = [e[1] for e in reqs(seq)]
    assert ts[-1] - ts[0] >= 0.58, ts


def test_parallel_branch_extractions_are_visible_afterwards(target: Any) -> None:
    text = """
request a { curl http://vu.test/anything?x=1
  extract { x = $.args.x } }
request b { curl http://vu.test/delay/50?y=2
  extract { y = $.args.y } }
request c { curl http://vu.test/anything?y=3
  extract { z = $.args.y } }
request d { curl "http://vu.test/anything?all=${x}${y}${z}"
  assert { $.args.all == "123" } }
scenario s { load 2 iterations with 1 vus
  parallel { run a
             run b -> c }
  run d }
"""
    out = run_text(target, text)
    assert checks(out) == {'d $.args.all == "123"': (2, 0)}, reasons(out, "d")


# --------------------------------------------------------------------------- if / foreach / repeat


def test_if_else_if_else_and_truthiness(target: Any) -> None:
    text = """
data rows = [{k: "a", on: true}, {k: "b", on: false}, {k: "c", on: "yes"}, {k: 3, on: 0}]
request ra { curl http://vu.test/anything/ra }
request rb { curl http://vu.test/anything/rb }
request rc { curl http://vu.test/anything/rc }
request enabled { curl http://vu.test/anything/on }
request check { curl http://vu.test/anything?k=3
  extract { k = $.args.k } }
request big { curl http://vu.test/anything/big }
scenario s {
  foreach row in rows {
    if ${row.k} == "a" { run ra }
    else if ${row.k} in ["b", "x"] { run rb }
    else { run rc }
    if ${row.on} { run enabled }
  }
  run check
  if k >= 3 { run big }
}
"""
    out = run_text(target, text)
    names = [e[4] for e in reqs(out)]
    assert names == ["ra", "enabled", "rb", "rc", "enabled", "rc", "check", "big"]


def test_foreach_over_extracted_array_and_data_with_limit(target: Any) -> None:
    text = """
data users = [{id: 1}, {id: 2}, {id: 3}, {id: 4}, {id: 5}]
request list { curl http://vu.test/posts?userId=1
  extract { posts = $
            page = $[0] } }
request get_post { curl http://vu.test/posts/${post.id}
  assert { body.id == ${post.id} } }
request get_user { curl http://vu.test/users/${u.id} }
request nothing { curl http://vu.test/anything/never }
scenario s {
  run list {
    foreach post in posts limit 3 { run get_post }
    foreach u in users limit 2 { run get_user }
    foreach p in page { run nothing }
  }
}
"""
    target.reset()
    out = run_text(target, text)
    assert [e[6].split("/", 3)[3] for e in reqs(out)] == [
        "posts?userId=1", "posts/1", "posts/2", "posts/3", "users/1", "users/2"]
    assert checks(out) == {"get_post $.id == ${post.id}": (3, 0)}
    assert out.result.skipped == {"nothing": 1}  # page is an object, not an array
    assert "/anything/never" not in target.counts()["paths"]


def test_foreach_without_limit_and_nested_rows(target: Any) -> None:
    text = """
data outer = [{a: "x"}, {a: "y"}]
data inner = [{b: 1}, {b: 2}, {b: 3}]
request r { curl http://vu.test/anything/${o.a}-${i.b} }
scenario s { foreach o in outer { foreach i in inner { run r } } }
"""
    out = run_text(target, text)
    assert [e[6].rsplit("/", 1)[1] for e in reqs(out)] == [
        "x-1", "x-2", "x-3", "y-1", "y-2", "y-3"]


def test_repeat(target: Any) -> None:
    text = """
request r { curl http://vu.test/anything/it-${ITER} }
request s2 { curl http://vu.test/get }
scenario s { load 2 iterations with 1 vus
  repeat 3 { run r }
  repeat 2 times { run s2 } }
"""
    out = run_text(target, text)
    assert [e[6].rsplit("/", 1)[1] for e in reqs(out, "r")] == ["it-1"] * 3 + ["it-2"] * 3
    assert len(reqs(out, "s2")) == 4


# --------------------------------------------------------------------------- think


def test_think_fixed_range_and_plus_minus(target: Any) -> None:
    text = """
request r { curl http://vu.test/get }
scenario fixed { run r
  repeat 3 { think 100ms
             run r } }
scenario range { run r
  repeat 5 { think 50ms..150ms
             run r } }
scenario pm { run r
  repeat 5 { think 100ms ± 50ms
             run r } }
"""
    fixed = _gaps(reqs(run_text(target, text, scenario="fixed")))
    assert all(0.099 <= g < 0.18 for g in fixed), fixed
    for sc in ("range", "pm"):
        gaps = _gaps(reqs(run_text(target, text, scenario=sc)))
        assert len(gaps) == 5 and all(0.049 <= g < 0.23 for g in gaps), (sc, gaps)
        assert max(gaps) - min(gaps) > 0.002, (sc, gaps)  # random, not one fixed pause


def test_scenario_think_time_between_steps_not_before_the_first(target: Any) -> None:
    text = """
request r { curl http://vu.test/get }
scenario s {
  load 2 iterations with 1 vus
  think_time = 120ms
  run r -> r
  think 10ms
  run r
}
"""
    out = run_text(target, text)
    events = [e for e in out.events if e[0] in ("iter", "req")]
    kinds = [e[0] for e in events]
    assert kinds == ["iter", "req", "req", "req"] * 2
    it1, a, b, c, it2, d, *_ = events
    assert a[1] - it1[1] < 0.1  # no pause before the first step
    assert 0.119 <= b[1] - a[1] < 0.2  # think_time between steps
    assert 0.009 <= c[1] - b[1] < 0.08  # an explicit think replaces it
    assert d[1] - it2[1] < 0.1  # and a new iteration starts without one


# --------------------------------------------------------------------------- retry


RETRY = """
request constant { curl http://vu.test/status/503
  retry { max_attempts = 4  backoff = constant  base_delay = 100ms } }
request linear { curl http://vu.test/status/503
  retry { max_attempts = 4  backoff = linear  base_delay = 100ms } }
request exponential { curl http://vu.test/status/503
  retry { max_attempts = 4  backoff = exponential  base_delay = 100ms } }
request capped { curl http://vu.test/status/503
  retry { max_attempts = 4  backoff = exponential  base_delay = 100ms  max_delay = 150ms } }
request jittered { curl http://vu.test/status/503
  retry { max_attempts = 6  backoff = constant  base_delay = 40ms  jitter = true } }
scenario constant { run constant }
scenario linear { run linear }
scenario exponential { run exponential }
scenario capped { run capped }
scenario jittered { run jittered }
"""


@pytest.mark.parametrize(("kind", "delays"), [
    ("constant", [0.1, 0.1, 0.1]),
    ("linear", [0.1, 0.2, 0.3]),
    ("exponential", [0.1, 0.2, 0.4]),
    ("capped", [0.1, 0.15, 0.15]),
])
def test_retry_backoff_kinds(target: Any, kind: str, delays: list[float]) -> None:
    target.reset()
    out = run_text(target, RETRY, scenario=kind)
    events = reqs(out, kind)
    assert len(events) == 4 == target.counts()["paths"]["/status/503"]
    assert out.result.requests[kind].requests == 4  # each attempt is a request ...
    assert failures(out) == {"status": 4}  # ... and a failure
    gaps = _gaps(events)
    # 100 ms steps leave room for a loaded machine's scheduling delay (a 40 ms base with a
    # 70 ms margin failed once at load average 4.6) and still tell the kinds apart: a gap
    # shorter than wanted fails the 2 ms lower bound, a longer one by 100 ms or more (an
    # uncapped third gap, linear as exponential) fails the 90 ms upper bound
    for got, want in zip(gaps, delays, strict=True):
        assert want - 0.002 <= got < want + 0.09, (kind, gaps)


def test_retry_jitter_stays_within_half_to_one_and_a_half(target: Any) -> None:
    out = run_text(target, RETRY, scenario="jittered")
    gaps = _gaps(reqs(out))
    assert len(gaps) == 5
    assert all(0.019 <= g < 0.06 + 0.07 for g in gaps), gaps
    assert max(gaps) - min(gaps) > 0.001, gaps


def test_retry_on_filter_status_timeout_and_error(target: Any) -> None:
    text = """
request only502 { curl http://vu.test/status/503
  retry { max_attempts = 3  backoff = constant  base_delay = 10ms  on = [502] } }
request on503 { curl http://vu.test/status/503
  retry { max_attempts = 3  backoff = constant  base_delay = 10ms  on = [502, 503] } }
request slow { curl -m 0.1 http://vu.test/delay/400
  retry { max_attempts = 2  backoff = constant  base_delay = 10ms  on = [timeout] } }
request timeout_only { curl http://vu.test/status/503
  retry { max_attempts = 3  backoff = constant  base_delay = 10ms  on = [timeout] } }
request refused { curl http://127.0.0.1:9/nothing-listens
  retry { max_attempts = 3  backoff = constant  base_delay = 10ms  on = [error] } }
request failed_check { curl http://vu.test/get
  assert { status == 201 }
  retry { max_attempts = 2  backoff = constant  base_delay = 10ms } }
request check_not_in_on { curl http://vu.test/get
  assert { status == 201 }
  retry { max_attempts = 3  backoff = constant  base_delay = 10ms  on = [503] } }
scenario s { run only502 -> on503 -> slow -> timeout_only -> refused -> failed_check
                 -> check_not_in_on }
"""
    out = run_text(target, text)
    counts = {n: len(reqs(out, n)) for n in ("only502", "on503", "slow", "timeout_only",
                                              "refused", "failed_check", "check_not_in_on")}
    assert counts == {"only502": 1, "on503": 3, "slow": 2, "timeout_only": 1, "refused": 3,
                      "failed_check": 2, "check_not_in_on": 1}
    assert failures(out, "slow") == {"timeout": 2}
    assert failures(out, "refused") == {"refused": 3}


def test_retry_rerenders_and_stops_at_the_first_pass(target: Any) -> None:
    text = """
request flaky { curl http://vu.test/anything?c=${COUNTER}
  assert { $.args.c == "3" }
  retry { max_attempts = 5  backoff = constant  base_delay = 10ms } }
request child { curl http://vu.test/get }
scenario s { run flaky { run child } }
"""
    out = run_text(target, text)
    assert [e[6].rsplit("=", 1)[1] for e in reqs(out, "flaky")] == ["1", "2", "3"]
    assert [e[9] for e in reqs(out, "flaky")] == [False, False, True]
    assert checks(out) == {'flaky $.args.c == "3"': (1, 2)}
    assert len(reqs(out, "child")) == 1  # the step's outcome is its last attempt's


# --------------------------------------------------------------------------- setup / teardown


def test_setup_values_are_visible_read_only_and_teardown_runs_once(target: Any) -> None:
    text = """
request login { curl -X POST http://vu.test/login -d 'username=setup-user&password=pw'
  extract { token = $.token } }
request override { curl http://vu.test/anything?token=bogus
  extract { token = $.args.token } }
request me { curl http://vu.test/me -H "Authorization: Bearer ${token}"
  assert { status == 200
           $.user == "setup-user" } }
request logout { curl -X POST http://vu.test/logout -H "Authorization: Bearer ${token}"
  assert { $.logged_out == true } }
setup { run login }
teardown { run logout }
scenario s {
  load 4 iterations with 2 vus
  if ${VU} == 1 { run override }
  think 50ms
  run me
}
"""
    target.reset()
    out = run_text(target, text)
    assert isinstance(out.setup_values["token"], str) and out.setup_values["token"]
    me = reqs(out, "me")
    # VU 1 overrode "token" for itself only; VU 2 kept the setup's
    assert sorted((e[2], e[7]) for e in me) == [(1, 401), (1, 401), (2, 200), (2, 200)]
    assert checks(out)["logout $.logged_out == true"] == (1, 0)
    paths = target.counts()["paths"]
    assert paths["/login"] == 1 and paths["/logout"] == 1
    assert [e[2] for e in reqs(out, "login")] == [0]  # setup runs as VU 0


def test_conditions_on_undefined_variables(target: Any) -> None:
    text = """
request login { curl http://vu.test/anything?t=tok
  extract { token = $.args.t } }
request has { curl http://vu.test/anything/has }
request never { curl http://vu.test/anything/never }
scenario s { load 3 iterations with 1 vus
  if ${token} not exists { run login }
  if token exists { run has }
  if ${token} == ${undefined_thing} { run never }
  if ${undefined_thing} { run never }
}
"""
    out = run_text(target, text)
    # log in once (no token yet), then every iteration sees the token it kept
    assert [(e[3], e[4]) for e in reqs(out)] == [(1, "login"), (1, "has"), (2, "has"),
                                                 (3, "has")]
