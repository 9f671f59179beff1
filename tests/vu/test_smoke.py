"""The VU path end to end through run_shard, against the built-in target."""

from __future__ import annotations

from httptool.plan import LoadSpec
from support.runshard import plan_from, run_plan

SCENARIO = """
var base = "http://example.test"
request login {
  curl -X POST ${base}/login -H 'Content-Type: application/json' \
    -d '{"username":"u-${VU}","password":"p"}'
  extract { token = $.token }
  assert { status == 200 }
}
request me {
  curl ${base}/me -H "Authorization: Bearer ${token}"
  assert { status == 200 }
}
scenario s {
  load 10 iterations with 2 vus
  run login { run me }
}
"""


def test_iterations_count_matches_server(target) -> None:
    target.reset()
    out = run_plan(plan_from(SCENARIO), base_url_map=(("http://example.test", target.url),))
    r = out.result
    assert r.completed == 10
    assert r.total_requests == 20 == target.counts()["total"]
    assert r.total_failures == 0, out.requests()[:3]
    assert sum(v.requests for v in r.vus) == 20
    assert len(out.requests()) == 20


def test_two_shards_split_iterations_exactly(target) -> None:
    target.reset()
    out = run_plan(plan_from(SCENARIO), shards=2,
                   load=LoadSpec("iterations", vus=3, iterations=11),
                   base_url_map=(("http://example.test", target.url),))
    assert out.result.completed == 11
    assert out.result.total_requests == 22 == target.counts()["total"]
    assert sorted(v.vu for v in out.result.vus) == [1, 2, 3]


def test_requests_the_scenario_never_runs_are_not_in_the_result(target) -> None:
    text = SCENARIO.replace("scenario s {", """request unused {
  curl ${base}/get
}
scenario s {""")
    out = run_plan(plan_from(text), base_url_map=(("http://example.test", target.url),))
    assert set(out.result.requests) == {"login", "me"}
