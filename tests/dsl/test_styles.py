# ruff: noqa: E501  (single-line styles are long by nature)
"""Every style of DSL.md compiles the same scenario to an *equal* Plan."""

from __future__ import annotations

import pytest

from httptool.dsl import compile_source
from httptool.plan import Plan

pytestmark = pytest.mark.timeout(30)

VAR = 'var base = "http://127.0.0.1:8080"\n'

REQUEST_STYLES = {
    "block": """
request login {
  curl -X POST ${base}/login \\
    -H 'Content-Type: application/json' \\
    -d '{"email":"user-${VU}@test.com","password":"secret"}'
  extract { token = $.access_token }
  assert { status == 200
    latency < 500ms }
}
""",
    "block_inline": """
request login {
  curl -X POST ${base}/login -H 'Content-Type: application/json' -d '{"email":"user-${VU}@test.com","password":"secret"}'
  extract token = $.access_token
  assert status == 200, latency < 500
}
""",
    "decorator": """
@request login
  curl -X POST ${base}/login \\
    -H 'Content-Type: application/json' \\
    -d '{"email":"user-${VU}@test.com","password":"secret"}'
  extract {
    token = $.access_token
  }
  assert status == 200, latency < 500ms
end
""",
    "shorthand_pipes": """
req login: curl -X POST ${base}/login -H 'Content-Type: application/json' -d '{"email":"user-${VU}@test.com","password":"secret"}' | extract token=$.access_token | assert status==200, latency<500ms
""",
    "shorthand_lines": """
req login: curl -X POST ${base}/login -H 'Content-Type: application/json' -d '{"email":"user-${VU}@test.com","password":"secret"}'
extract token=$.access_token
assert status==200
assert latency < 500ms
""",
    "json": """
request "login" {
  curl: `curl -X POST ${base}/login -H 'Content-Type: application/json' -d '{"email":"user-${VU}@test.com","password":"secret"}'`,
  extract: { token: "$.access_token" },
  assert: { status: 200, latency: "<500ms" }
}
""",
    "arrow": """
login = curl -X POST ${base}/login -H 'Content-Type: application/json' -d '{"email":"user-${VU}@test.com","password":"secret"}' >> extract token=$.access_token >> assert status==200, latency<500ms
""",
    "single_line_block": """
request login { curl -X POST ${base}/login -H 'Content-Type: application/json' -d '{"email":"user-${VU}@test.com","password":"secret"}' }
""",
}

GET = """
request me {
  curl ${base}/me -H "Authorization: Bearer ${token}"
}
"""

SCENARIO_STYLES = {
    "block": """
scenario smoke {
  load 10 vus for 1m
  run login -> me
}
""",
    "chain_lines": """
scenario smoke {
  load { vus = 10  duration = 1m }
  run login
    -> me
}
""",
    "decorator": """
@scenario smoke
  load: vus=10, duration=1m
  run login
  run me
end
""",
    "shorthand": "scenario smoke: load 10 vus for 1m | run login -> me\n",
    "arrow": "smoke = load(10 vus, 1m) >> run(login, me)\n",
    "json": """
scenario "smoke" {
  load: { vus: 10, duration: "1m" },
  flow: ["login", "me"]
}
""",
}


def compile_ok(text: str) -> Plan:
    plan, diags = compile_source(text)
    assert plan is not None, diags.render(text)
    assert not diags.errors
    return plan


def strip_login(plan: Plan) -> Plan:
    """The single-line block has no extract/assert: compare only what it has."""
    return plan


@pytest.mark.parametrize("style", sorted(REQUEST_STYLES))
def test_request_styles_equal(style: str) -> None:
    ref = compile_ok(VAR + REQUEST_STYLES["block"] + GET + SCENARIO_STYLES["block"])
    plan = compile_ok(VAR + REQUEST_STYLES[style] + GET + SCENARIO_STYLES["block"])
    if style == "single_line_block":
        r, p = ref.request("login"), plan.request("login")
        assert (p.method, p.url, p.headers, p.body) == (r.method, r.url, r.headers, r.body)
        return
    assert plan == ref
    assert plan.request("login").asserts[1].text == "latency < 500ms"


@pytest.mark.parametrize("style", sorted(SCENARIO_STYLES))
def test_scenario_styles_equal(style: str) -> None:
    ref = compile_ok(VAR + REQUEST_STYLES["block"] + GET + SCENARIO_STYLES["block"])
    plan = compile_ok(VAR + REQUEST_STYLES["block"] + GET + SCENARIO_STYLES[style])
    assert plan == ref
    assert [s.request for s in plan.scenarios[0].flow] == ["login", "me"]


def test_styles_differ_when_meaning_differs() -> None:
    a = compile_ok(VAR + REQUEST_STYLES["block"] + GET + SCENARIO_STYLES["block"])
    b = compile_ok(VAR + REQUEST_STYLES["block"] + GET + "scenario smoke: load 11 vus for 1m"
                   " | run login -> me\n")
    assert a != b


LOAD_FORMS = {
    "load 100 rps for 30s": ("rps", None, 100.0, 30.0, None),
    "load { rps = 100  duration = 30s }": ("rps", None, 100.0, 30.0, None),
    "load: rps=100, duration=30s": ("rps", None, 100.0, 30.0, None),
    "load 1000 iterations with 5 vus": ("iterations", 5, None, None, 1000),
    "load { iterations = 1000  vus = 5 }": ("iterations", 5, None, None, 1000),
    "load 10 vus for 1m30s": ("vus", 10, None, 90.0, None),
}


@pytest.mark.parametrize("form", sorted(LOAD_FORMS))
def test_load_forms(form: str) -> None:
    plan = compile_ok(VAR + GET + f"scenario s {{\n  {form}\n  run me\n}}\n")
    ld = plan.scenarios[0].load
    assert (ld.model, ld.vus, ld.rps, ld.duration, ld.iterations) == LOAD_FORMS[form]


def test_stages_ramp_and_options() -> None:
    plan = compile_ok(VAR + GET + """
scenario s {
  load {
    stage { duration = 1m, vus = 10 }
    stage { duration = 10s, vus = 100 }
    ramp_up = 30s
    max_vus = 200
    graceful_stop = 10s
  }
  run me
}
scenario r {
  load { stage { duration = 1m, rps = 200 } }
  run me
}
""")
    ld = plan.scenarios[0].load
    assert [(s.duration, s.target) for s in ld.stages] == [(60.0, 10.0), (10.0, 100.0)]
    assert (ld.model, ld.ramp_up, ld.max_vus, ld.graceful_stop) == ("vus", 30.0, 200, 10.0)
    assert ld.total_duration == 70.0
    assert plan.scenarios[1].load.model == "rps"


def test_crlf_line_endings_compile_the_same() -> None:
    src = VAR + REQUEST_STYLES["block"] + REQUEST_STYLES["decorator"].replace("login", "l2") \
        + GET + SCENARIO_STYLES["chain_lines"]
    assert compile_ok(src.replace("\n", "\r\n")) == compile_ok(src)
