"""Constructs of DSL.md compile to the Plan nodes they mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from httptool.dsl import compile_source
from httptool.plan import (
    Foreach,
    If,
    Parallel,
    Plan,
    Repeat,
    Run,
    SharedPush,
    Template,
    Think,
    UseRow,
)

pytestmark = pytest.mark.timeout(30)

HEAD = """
var base = "http://127.0.0.1:8080"
var email = "user-${VU}@test.com"
var port = 8080
var home = env.HOME
shared tokens = []
data users = [
  { name: 'ann', id: 1 },
  { "name": "bob", id: 2, tags: [1, 2,], },
]
request a { curl ${base}/a }
request b { curl ${base}/b }
request c { curl ${base}/c }
"""


def ok(text: str) -> Plan:
    plan, diags = compile_source(text)
    assert plan is not None, diags.render(text)
    return plan


def flow(body: str) -> tuple:
    return ok(HEAD + "scenario s {\n  load 1 vus for 1s\n" + body + "\n}\n").scenarios[0].flow


def test_top_level_values() -> None:
    plan = ok(HEAD + "scenario s: load 1 vus for 1s | run a\n")
    v = {x.name: x.value for x in plan.variables}
    assert v["base"] == "http://127.0.0.1:8080"
    assert isinstance(v["email"], Template) and v["email"].refs[0].path == ("VU",)
    assert v["port"] == 8080
    assert isinstance(v["home"], Template) and v["home"].refs[0].path == ("env", "HOME")
    assert plan.dataset("users").rows == ({"name": "ann", "id": 1},
                                          {"name": "bob", "id": 2, "tags": [1, 2]})
    assert plan.shared == ("tokens",)


def test_nested_parallel_chain() -> None:
    f = flow("""
  run a {
    run b -> parallel(b, c) -> c
  }
  parallel {
    run a
    run b -> c
  }""")
    assert isinstance(f[0], Run) and f[0].request == "a"
    inner = f[0].children
    assert [type(s).__name__ for s in inner] == ["Run", "Parallel", "Run"]
    assert isinstance(inner[1], Parallel) and len(inner[1].branches) == 2
    p = f[1]
    assert isinstance(p, Parallel)
    assert [[s.request for s in br] for br in p.branches] == [["a"], ["b", "c"]]


def test_if_else_chain() -> None:
    f = flow("""
  run a
  if ${flag} == "new" {
    run b
  } else if flag in ["x", "y"] {
    run c
  }
  else {
    run a
  }
  if ${enabled} { run b }""")
    node = f[1]
    assert isinstance(node, If)
    assert [br.cond.text for br in node.branches] == ['${flag} == "new"', '${flag} in ["x", "y"]']
    assert node.orelse[0].request == "a"
    assert f[2].branches[0].cond.op == "truthy"


def test_foreach_repeat_think_use_push() -> None:
    f = flow("""
  foreach u in users limit 5 { run a }
  repeat 3 { run b }
  think 2s
  think 1s ± 0.5s
  think 1s..3s
  think 1s +/- 250ms
  use row from users random
  use row from users per vu
  use row from users
  shared.tokens.push(${email})""")
    assert isinstance(f[0], Foreach) and (f[0].var, f[0].source, f[0].limit) == ("u", "users", 5)
    assert isinstance(f[1], Repeat) and f[1].count == 3
    assert [(t.low, t.high) for t in f[2:6] if isinstance(t, Think)] == [
        (2.0, 2.0), (0.5, 1.5), (1.0, 3.0), (0.75, 1.25)]
    assert [u.mode for u in f[6:9] if isinstance(u, UseRow)] == ["random", "per_vu", "sequential"]
    assert isinstance(f[9], SharedPush) and f[9].value.refs[0].path == ("email",)


def test_assert_operators_and_subjects() -> None:
    plan = ok(HEAD.replace("request a { curl ${base}/a }", """
request a {
  curl ${base}/a
  assert {
    status in [200, 201]
    status not in [500]
    latency between 10ms and 2s
    body contains "ok"
    body not contains "error"
    body.name matches "^[a-z]+$"
    $.items.length >= 1
    body.items.length > 0
    header.X-Request-Id exists
    cookie.session not exists
    size < 10000
    body.id == ${port}
    body.id != null
    $.ok == true
    body.length > 2
  }
}""") + "scenario s: load 1 vus for 1s | run a\n")
    got = [(x.text, x.subject, x.op, x.arg, x.length) for x in plan.request("a").asserts]
    assert got == [
        ("status in [200, 201]", "status", "in", "", False),
        ("status not in [500]", "status", "not in", "", False),
        ("latency between 10ms and 2000ms", "latency", "between", "", False),
        ('body contains "ok"', "body", "contains", "", False),
        ('body not contains "error"', "body", "not contains", "", False),
        ('$.name matches "^[a-z]+$"', "json", "matches", "$.name", False),
        ("$.items.length >= 1", "json", ">=", "$.items", True),
        ("$.items.length > 0", "json", ">", "$.items", True),
        ("header.X-Request-Id exists", "header", "exists", "X-Request-Id", False),
        ("cookie.session not exists", "cookie", "not exists", "session", False),
        ("size < 10000", "size", "<", "", False),
        ("$.id == ${port}", "json", "==", "$.id", False),
        ("$.id != null", "json", "!=", "$.id", False),
        ("$.ok == true", "json", "==", "$.ok", False),
        ("body.length > 2", "body", ">", "", True),
    ]


def test_extract_sources_retry_thresholds_cookies() -> None:
    plan = ok(HEAD.replace("request a { curl ${base}/a }", """
request a {
  curl ${base}/a
  extract {
    t = $.access_token
    rid = $.headers.X-Request-Id
    all = $
    first = $[0].id
    ids = $.items[*].id
    csrf = regex:name="csrf"
    csrf2 = regex:"value=(\\d+)"
    h = header:X-Request-Id
    s = cookie:session
    code = status
    raw = body
  }
  retry { max_attempts = 4  backoff = linear  base_delay = 100ms  max_delay = 5s
          jitter = true  on = [502, 503, timeout] }
}""") + """
scenario s {
  load 1 vus for 1s
  cookies = shared
  think_time = 1s ± 0.5s
  thresholds { p95 < 500ms  error_rate < 1%  checks > 99%  a.p95 < 300ms  rps > 100  dropped == 0 }
  run a
}
""")
    r = plan.request("a")
    assert [(e.name, e.source, e.expr) for e in r.extracts] == [
        ("t", "jsonpath", "$.access_token"), ("rid", "jsonpath", "$.headers.X-Request-Id"),
        ("all", "jsonpath", "$"), ("first", "jsonpath", "$[0].id"),
        ("ids", "jsonpath", "$.items[*].id"), ("csrf", "regex", 'name="csrf"'),
        ("csrf2", "regex", "value=(\\d+)"), ("h", "header", "X-Request-Id"),
        ("s", "cookie", "session"), ("code", "status", ""), ("raw", "body", ""),
    ]
    assert r.retry is not None
    assert (r.retry.max_attempts, r.retry.backoff, r.retry.base_delay, r.retry.max_delay,
            r.retry.jitter, r.retry.on) == (4, "linear", 0.1, 5.0, True, (502, 503, "timeout"))
    sc = plan.scenarios[0]
    assert sc.cookies == "shared"
    assert (sc.think_time.low, sc.think_time.high) == (0.5, 1.5)
    assert [(t.text, t.metric, t.op, t.value, t.scope) for t in sc.thresholds] == [
        ("p95 < 500ms", "p95", "<", 500.0, None),
        ("error_rate < 1%", "error_rate", "<", 0.01, None),
        ("checks > 99%", "checks", ">", 0.99, None),
        ("a.p95 < 300ms", "p95", "<", 300.0, "a"),
        ("rps > 100", "rps", ">", 100.0, None),
        ("dropped == 0", "dropped", "==", 0.0, None),
    ]


def test_bare_regex_stops_at_blank() -> None:
    plan = ok(HEAD.replace("request a { curl ${base}/a }", """
request a {
  curl ${base}/a
  extract { n = regex:id=(\\d{2,3}) }
}""") + "scenario s: load 1 vus for 1s | run a\n")
    assert plan.request("a").extracts[0].expr == "id=(\\d{2,3})"


def test_data_from_files(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("name,id\nann,1\nbob,2\n")
    (tmp_path / "items.json").write_text('[{"sku": "x"}, {"sku": "y"}]')
    src = HEAD + 'data people from "users.csv"\ndata items from "items.json"\n' \
        "scenario s {\n load 1 vus for 1s\n use p from people\n run a\n}\n"
    path = tmp_path / "s.httpx"
    path.write_text(src)
    plan, diags = compile_source(src, str(path))
    assert plan is not None, diags.render(src)
    assert plan.dataset("people").rows == ({"name": "ann", "id": "1"}, {"name": "bob", "id": "2"})
    assert plan.dataset("items").rows == ({"sku": "x"}, {"sku": "y"})


def test_setup_teardown_and_default_load() -> None:
    plan = ok(HEAD + "setup { run a }\nteardown {\n run b\n}\nscenario s {\n run c\n}\n")
    assert [s.request for s in plan.setup] == ["a"]
    assert [s.request for s in plan.teardown] == ["b"]
    ld = plan.scenarios[0].load
    assert (ld.model, ld.iterations, ld.vus) == ("iterations", 1, 1)


def test_keywords_are_contextual() -> None:
    plan = ok('var base = "http://h"\nrequest load { curl ${base}/x }\n'
              "request run { curl ${base}/y }\n"
              "scenario s { load 1 vus for 1s\n run load -> run\n}\n")
    assert [s.request for s in plan.scenarios[0].flow] == ["load", "run"]


def test_comment_and_hash_in_quoted_curl_argument() -> None:
    plan = ok('request a {\n  curl "http://h/x#frag" # a comment\n}\n'
              "scenario s: load 1 vus for 1s | run a\n")
    assert plan.request("a").url.static_text.startswith("http://h/x")


def test_statements_may_share_a_line_inside_blocks() -> None:
    f = flow("  parallel { run a  run b -> c }\n  run a run b")
    assert isinstance(f[0], Parallel)
    assert [[s.request for s in br] for br in f[0].branches] == [["a"], ["b", "c"]]
    assert [s.request for s in f[1:]] == ["a", "b"]


def test_extract_and_assert_items_may_share_a_line() -> None:
    one = """
request a {
  curl http://x/y
  extract { t = $.token  u = header:X-Id }
  assert { status == 200  latency < 500  $.id == 1  header.Content-Type contains "json" }
}
scenario s { run a }
"""
    many = """
request a {
  curl http://x/y
  extract {
    t = $.token
    u = header:X-Id
  }
  assert {
    status == 200
    latency < 500
    $.id == 1
    header.Content-Type contains "json"
  }
}
scenario s { run a }
"""
    p1, d1 = compile_source(one, "one.httpx")
    p2, _ = compile_source(many, "many.httpx")
    assert p1 is not None and not d1.items, d1.render(one)
    assert p1 == p2 and len(p1.requests[0].asserts) == 4


def test_unquoted_semicolon_ends_a_curl_command() -> None:
    """As in a shell: `curl URL ; assert ...` is two statements, in every style that scans
    a curl command (it used to give five 'a second URL' errors)."""
    plan, diags = compile_source(
        'request lit { curl "http://127.0.0.1:8080/get" ; assert status == 200 }\n'
        "@request dec\n  curl http://h/d; extract { t = $.t }\nend\n"
        "req sh: curl http://h/s ; assert status == 201\n"
        "arr = curl http://h/a;\n"
        "scenario s { run lit -> dec -> sh -> arr }\n", "f.httpx")
    assert diags.items == []
    assert plan is not None
    got = {r.name: (r.url.static_text, [a.text for a in r.asserts],
                    [e.name for e in r.extracts]) for r in plan.requests}
    assert got == {"lit": ("http://127.0.0.1:8080/get", ["status == 200"], []),
                   "dec": ("http://h/d", [], ["t"]),
                   "sh": ("http://h/s", ["status == 201"], []),
                   "arr": ("http://h/a", [], [])}


def test_quoted_or_escaped_semicolon_stays_in_the_curl_argument() -> None:
    plan = ok('request a { curl "http://h/a;b" -H \'X-A: 1;2\' -b "k=v; m=n" }\n'
              "request b { curl http://h/x\\;y ; assert status == 200 }\n"
              "scenario s { run a -> b }\n")
    a, b = plan.request("a"), plan.request("b")
    assert a.url.static_text == "http://h/a;b"
    assert [(h.name, h.value.static_text) for h in a.headers] == [("X-A", "1;2")]
    assert a.cookies is not None and a.cookies.static_text == "k=v; m=n"
    assert b.url.static_text == "http://h/x;y"
    assert [x.text for x in b.asserts] == ["status == 200"]


@pytest.mark.parametrize(("written", "name"), [
    ('$.user == "${email}"', '$.user == "${email}"'),
    ("$.user == ${email}", "$.user == ${email}"),
    ('$.user != "x-${email}"', '$.user != "x-${email}"'),
    ("$.user == 'raw ${email}'", '$.user == "raw ${email}"'),
    ('$.user in ["${email}", ${email}, "lit"]', '$.user in ["${email}", ${email}, "lit"]'),
    ('$.n between ${port} and "${port}"', '$.n between ${port} and "${port}"'),
    ('body contains "${email}"', 'body contains "${email}"'),
])
def test_check_name_keeps_string_quotes(written: str, name: str) -> None:
    """docs/language.md: in an assertion's canonical text (its check name) strings are in
    double quotes, also a string that is only a reference; a bare reference is bare."""
    plan = ok(HEAD + f"request me {{ curl ${{base}}/me\n  assert {{ {written} }} }}\n")
    assert [a.text for a in plan.request("me").asserts] == [name]


def test_json_like_assertion_quotes_a_reference_string() -> None:
    plan = ok(HEAD + 'request me { curl ${base}/me\n  assert: { "body.user": "${email}" } }\n')
    assert [a.text for a in plan.request("me").asserts] == ['$.user == "${email}"']
