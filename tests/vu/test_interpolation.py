"""Variables and ``${...}`` interpolation as a VU sends them: every place a reference can
stand, every built-in, typed values, and undefined variables (a failed step that names
the variable and its line — never a literal ``${x}`` on the wire).

The target echoes what it received (``/anything``: args, headers, form, json, url), so
each test reads back what really crossed the socket."""

from __future__ import annotations

import json
import re
import time
import uuid

from httptool.plan import LoadSpec
from vu.helpers import checks, failures, reasons, reqs, run_text, vu_text

NASTY = 'say "hi" \\ back\ttab\nnewline </script> ünïcödé ✓ 日本 😀'


def _dsl_string(s: str) -> str:
    """``s`` as a double-quoted DSL string (escapes: \\" \\\\ \\n \\t)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace(
        "\t", "\\t") + '"'


def test_json_body_stays_valid_json_with_quotes_backslashes_and_unicode(target) -> None:
    text = f"""
var name = {_dsl_string(NASTY)}
var n = 42
var ok = true
request a {{
  curl -X POST http://vu.test/anything -H 'Content-Type: application/json' \\
    -d '{{"name":"${{name}}","greeting":"hello ${{name}}!","n":${{n}},"ok":${{ok}},"v":"${{VU}}"}}'
  extract {{ got = $.json
            raw = $.data }}
}}
scenario s {{ run a }}
"""
    run = vu_text(target, text, vu_ids=(7,))
    got = run.extracted()["got"]
    assert got == {"name": NASTY, "greeting": f"hello {NASTY}!", "n": 42, "ok": True, "v": "7"}
    json.loads(run.extracted()["raw"])  # the body itself parses


def test_typed_extracted_values_keep_their_json_type_in_bodies(target) -> None:
    text = """
request list { curl http://vu.test/posts/3
  extract { post = $
            id = $.id
            title = $.title } }
request echo {
  curl http://vu.test/anything --json '{"id":${id},"post":${post},"t":"${title}","s":"${id}"}'
  extract { got = $.json }
}
scenario s { run list -> echo }
"""
    run = vu_text(target, text)
    x = run.extracted()
    assert x["id"] == 3 and isinstance(x["id"], int)
    assert isinstance(x["post"], dict)
    assert x["got"] == {"id": 3, "post": x["post"], "t": x["title"], "s": "3"}


def test_query_and_path_values_are_percent_encoded(target) -> None:
    text = """
var q = "a b&c=d/é?#%+"
var seg = "x y/z?é"
request a { curl "http://vu.test/anything/${seg}/end?q=${q}&plain=1"
  extract { args = $.args
            url = $.url } }
scenario s { run a }
"""
    run = vu_text(target, text)
    x = run.extracted()
    assert x["args"] == {"q": "a b&c=d/é?#%+", "plain": "1"}
    url = x["url"]
    assert "/anything/x%20y%2Fz%3F%C3%A9/end?" in url
    assert "q=a%20b%26c%3Dd%2F%C3%A9%3F%23%25%2B" in url
    sent = reqs(run_text(target, text))[0][6]  # the URL in the event is the one sent
    assert sent.endswith(
        "/anything/x%20y%2Fz%3F%C3%A9/end?q=a%20b%26c%3Dd%2F%C3%A9%3F%23%25%2B&plain=1")


def test_headers_cookies_form_fields_and_basic_auth_interpolate(target) -> None:
    text = """
var who = "alice"
var pw = "p@ss:wörd"
var tag = 'a "quoted" value; with=stuff'
var fv = "x&y=z é"
request h { curl http://vu.test/anything -H "X-Tag: ${tag}" -H "X-Vu: vu-${VU}"
  extract { tag_seen = $.headers.X-Tag
            vu_seen = $.headers.X-Vu } }
request c { curl http://vu.test/cookies -b "k1=${who}; k2=v-${VU}"
  extract { cookies = $.cookies } }
request f { curl http://vu.test/anything -F "name=${fv}" -F "who=${who}"
  extract { form = $.form } }
request d { curl http://vu.test/anything -d "a=${fv}" -d "b=${who}"
  extract { dform = $.form } }
request u { curl -u "${who}:${pw}" "http://vu.test/basic-auth/alice/p%40ss%3Aw%C3%B6rd"
  assert { status == 200 } }
scenario s { run h -> c -> f -> d -> u }
"""
    run = vu_text(target, text, vu_ids=(3,))
    x = run.extracted()
    assert x["tag_seen"] == 'a "quoted" value; with=stuff'
    assert x["vu_seen"] == "vu-3"
    assert x["cookies"] == {"k1": "alice", "k2": "v-3"}
    assert x["form"] == {"name": "x&y=z é", "who": "alice"}
    assert x["dform"] == {"a": "x&y=z é", "b": "alice"}
    st = run.recorder.requests
    assert all(not s.failures for s in st.values()), {n: s.failures for n, s in st.items()}


def test_builtins_vu_iter_time_uuid_counter_random(target) -> None:
    body = ('{"vu":${VU},"iter":${ITER},"time":${TIME},"u1":"${UUID}","u2":"${UUID}",'
            '"c":${COUNTER},"r":${RANDOM}}')
    text = """
request a {
  curl http://vu.test/anything --json 'BODY'
  extract { got = $.json }
}
scenario s { run a }
""".replace("BODY", body)
    before = time.time() * 1000
    run = vu_text(target, text, vu_ids=(4, 9), iterations=3)
    after = time.time() * 1000
    counters = []
    for vu in run.vus:
        got = vu.scope.extracted["got"]
        assert got["vu"] == vu.id and got["iter"] == 3  # the last iteration
        assert before - 1 <= got["time"] <= after + 1
        assert uuid.UUID(got["u1"]).version == 4 and got["u1"] != got["u2"]
        assert isinstance(got["r"], int) and 0 <= got["r"] <= 2**31 - 1
        counters.append(got["c"])
    # six requests took COUNTER 1..6 (run-wide: the two VUs never share a number)
    assert len(set(counters)) == 2 and set(counters) <= set(range(1, 7))


def test_per_vu_var_and_env(target) -> None:
    text = """
var email = "user-${VU}@test.com"
var key = env.HTTPTOOL_VU_TEST_KEY
request a { curl "http://vu.test/anything?e=${email}&k=${key}&k2=${env.HTTPTOOL_VU_TEST_KEY}"
  assert { $.args.e == "user-${VU}@test.com"
           $.args.k == "s3cr3t value"
           $.args.k2 == ${key} } }
scenario s { load 6 iterations with 3 vus
  run a }
"""
    out = run_text(target, text, env={"HTTPTOOL_VU_TEST_KEY": "s3cr3t value"})
    assert out.result.total_requests == 6 and out.result.total_failures == 0, reasons(out, "a")
    assert all(p == 6 and f == 0 for p, f in checks(out).values()), checks(out)
    urls = {e[2]: e[6] for e in reqs(out)}
    assert {vu: f"user-{vu}%40test.com" in u for vu, u in urls.items()} == {
        1: True, 2: True, 3: True}


def test_dotted_and_indexed_access(target) -> None:
    text = """
request users { curl http://vu.test/users
  extract { users = $
            first = $[0]
            ids = $[*].id } }
request one { curl "http://vu.test/anything?city=${first.address.city}&second=${users[1].id}&lat=${users[0].address.geo.lat}&n=${ids.length}&third=${ids[2]}"
  extract { args = $.args } }
scenario s { run users -> one }
"""
    run = vu_text(target, text)
    x = run.extracted()
    users = x["users"]
    assert x["ids"] == [u["id"] for u in users]
    assert x["args"] == {"city": users[0]["address"]["city"], "second": str(users[1]["id"]),
                         "lat": users[0]["address"]["geo"]["lat"], "n": str(len(users)),
                         "third": str(users[2]["id"])}


def test_assertion_values_and_conditions_interpolate(target) -> None:
    text = """
var expected = "v-${VU}"
request a { curl "http://vu.test/anything?x=v-${VU}"
  extract { x = $.args.x }
  assert { $.args.x == ${expected}
           $.args.x != "v-${ITER}${ITER}"
           body contains "v-${VU}" } }
request yes { curl http://vu.test/anything?branch=yes }
request no { curl http://vu.test/anything?branch=no }
scenario s { load 4 iterations with 2 vus
  run a
  if ${x} == "v-${VU}" { run yes } else { run no } }
"""
    out = run_text(target, text)
    assert all(f == 0 for _, f in checks(out).values()), checks(out)
    assert [p for p, _ in checks(out).values()] == [4, 4, 4]
    assert len(reqs(out, "yes")) == 4 and not reqs(out, "no")


def test_undefined_variables_fail_the_step_with_name_and_line(target) -> None:
    target.reset()
    text = """
request p { curl http://vu.test/anything/${nope_path} }
request q { curl "http://vu.test/anything?x=${nope_query}" }
request h { curl http://vu.test/anything -H "X-A: ${nope_header}" }
request b { curl http://vu.test/anything --json '{"a":"${nope_body}"}' }
request c { curl http://vu.test/anything -b "k=${nope_cookie}" }
request u { curl http://vu.test/anything -u "${nope_user}:pw" }
request f { curl http://vu.test/anything -F "a=${nope_form}" }
request d { curl http://vu.test/anything -d "a=${post.id}" }
request ok { curl http://vu.test/anything?fine=1 }
scenario s { run p -> q -> h -> b -> c -> u -> f -> d -> ok }
"""
    out = run_text(target, text)
    lines = {n: i + 1 for i, line in enumerate(text.splitlines())
             for n in [re.match(r"request (\w+)", line)] if n for n in [n.group(1)]}
    expect = {"p": "nope_path", "q": "nope_query", "h": "nope_header", "b": "nope_body",
              "c": "nope_cookie", "u": "nope_user", "f": "nope_form", "d": "post.id"}
    for name, var in expect.items():
        (reason,) = reasons(out, name)
        assert reason == f"undefined variable '{var}' (line {lines[name]})", reason
        assert failures(out, name) == {"variable": 1}
    assert failures(out) == {"variable": 8}
    assert reasons(out, "ok") == [""]  # the next step still runs
    counts = target.counts()
    assert counts["total"] == 1 and counts["paths"] == {"/anything": 1}  # none was sent


def test_undefined_variable_in_an_assertion_counts_as_variable_and_is_not_retried(target) -> None:
    text = """
request a { curl http://vu.test/anything
  assert { status == ${nope} }
  retry { max_attempts = 3  backoff = constant  base_delay = 10ms } }
scenario s { run a }
"""
    out = run_text(target, text)
    assert reasons(out, "a") == [
        "assert status == ${nope} failed: undefined variable 'nope' (line 3)"]
    assert failures(out) == {"variable": 1}
    assert checks(out) == {"a status == ${nope}": (0, 1)}


def test_a_var_that_cannot_be_evaluated_says_why(target) -> None:
    text = """
var key = env.HTTPTOOL_SURELY_UNSET_VAR
var header = "Key ${key}"
request a { curl http://vu.test/anything -H "X-Key: ${header}" }
request b { curl http://vu.test/anything?ok=1 }
scenario s { run a -> b }
"""
    out = run_text(target, text, env={})
    (reason,) = reasons(out, "a")
    assert reason == ("undefined variable 'header' (line 4): var header has no value: "
                      "undefined variable 'key' (line 3)")
    assert reasons(out, "b") == [""]


def test_no_literal_dollar_brace_reaches_the_server_and_escape_is_literal(target) -> None:
    text = """
var v = "value"
request a { curl "http://vu.test/anything/${v}?q=${v}" -H "X-V: ${v}" --json '{"v":"${v}"}' \\
  -b "c=${v}"
  assert { body not contains "$${"
           body contains "value" } }
request esc { curl http://vu.test/anything -H 'X-Lit: $${v}'
  assert { $.headers.X-Lit == "$${v}" } }
scenario s { run a -> esc }
"""
    target.reset()
    out = run_text(target, text)
    # (a check's canonical text shows the escaped literal unescaped)
    assert checks(out) == {'a body not contains "${"': (1, 0), 'a body contains "value"': (1, 0),
                           'esc $.headers.X-Lit == "${v}"': (1, 0)}
    assert not any("${" in p for p in target.counts()["paths"])


def test_vars_with_changing_builtins_are_evaluated_once_per_iteration(target) -> None:
    text = """
var email = "user-${VU}@test.com"
var order = "o-${VU}-${ITER}-${COUNTER}"
var rid = "${UUID}"
var ref = "ref:${order}"
request create { curl "http://vu.test/anything?o=${order}&e=${email}&r=${rid}&f=${ref}"
  extract { a = $.args } }
request get { curl "http://vu.test/anything?o=${order}&r=${rid}&f=${ref}"
  extract { b = $.args } }
scenario s { run create -> get }
"""
    out = run_text(target, text, load=LoadSpec("iterations", vus=2, iterations=6))
    by_iter: dict[tuple[int, int], list[str]] = {}
    for e in reqs(out):
        query = dict(kv.split("=", 1) for kv in e[6].split("?", 1)[1].split("&"))
        by_iter.setdefault((e[2], e[3]), []).append(query["o"] + "|" + query["r"])
        assert query["f"] == "ref%3A" + query["o"]
    assert len(by_iter) == 6
    # the same value in both requests of an iteration ...
    assert all(len(v) == 2 and v[0] == v[1] for v in by_iter.values())
    values = [v[0] for v in by_iter.values()]
    # ... a new one in every iteration, numbered by VU, ITER and a run-wide COUNTER
    assert len(set(values)) == 6
    assert sorted(int(v.split("|")[0].split("-")[3]) for v in values) == list(range(1, 7))
    assert all(v.startswith(f"o-{vu}-{it}-") for (vu, it), (v, _) in by_iter.items())
