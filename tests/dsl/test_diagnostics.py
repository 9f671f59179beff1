"""Bad inputs: each gives its exact LINE:COL, severity and message, all in one pass."""

from __future__ import annotations

import pytest

from httptool.dsl import compile_source

pytestmark = pytest.mark.timeout(30)

CASES: list[tuple[str, list[str]]] = \
[('request a {\n  curl http://h/a\n  assert status == \n}\n',
  ['3:20: error: expected a value, found end of line']),
 ('request a { curl http://h/a }\nscenario s {\n  load 0 vus for 1m\n  run a\n}\n',
  ['3:8: error: impossible load: 0 VUs']),
 ('request a { curl http://h/a }\nscenario s {\n  load 100 rps\n  run a\n}\n',
  ['3:3: error: impossible load: rps needs a duration (load 100 rps for 30s)']),
 ('request a { curl http://h/a }\nscenario s {\n  load { stage { vus = 10 } }\n  run a\n}\n',
  ['3:10: error: impossible load: a stage needs a duration']),
 ('request a { curl http://h/a }\nscenario s {\n  load 1 vus for 1s\n  run b\n}\n',
  ["4:7: error: unknown request 'b'"]),
 ('request a { curl http://h/a }\n'
  'request a { curl http://h/a }\n'
  'scenario s: load 1 vus for 1s | run a\n',
  ["2:1: error: duplicate request 'a' (first defined at line 1)"]),
 ('request a {\n  curl http://h/a\n  extract { t = $.a[ }\n}\n',
  ["3:17: error: invalid JSONPath '$.a[': unexpected end of query"]),
 ('request a {\n  curl http://h/a\n  extract { t = regex:(abc }\n}\n',
  ["3:23: error: invalid regex '(abc': missing ), unterminated subpattern at position 0"]),
 ('request a {\n  curl http://h/a --frobnicate\n}\n',
  ["2:19: error: unknown curl option '--frobnicate'"]),
 ('request a {\n  curl http://h/${who}\n}\n',
  ["2:17: warning: variable 'who' is used but never defined, extracted or bound"]),
 ('request a {\n  curl http://h/a\n  assert status = 200\n}\n',
  ["3:17: warning: single '=' in a comparison; use '=='"]),
 ('var x = "abc\nrequest a { curl http://h/a }\n',
  ['1:9: error: unterminated string: missing closing "']),
 ('request a {\n  extract { t = $.a }\n}\n', ["1:1: error: request 'a' has no curl command"]),
 ('request a { curl http://h/a }\nscenario s {\n  load 1 vus for 1s\n  think 2\n  run a\n}\n',
  ['4:9: error: a duration needs a unit: 2s or 2ms']),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load 1 vus for 1s\n'
  '  thresholds { p96 < 500ms }\n'
  '  run a\n'
  '}\n',
  ["4:16: error: unknown threshold metric 'p96'; did you mean 'p99'?"]),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load 1 vus for 1s\n'
  '  thresholds { error_rate < 5 }\n'
  '  run a\n'
  '}\n',
  ['4:29: error: error_rate compares with a percentage like 1%']),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load 1 vus for 1s\n'
  '  use row from nope\n'
  '  run a\n'
  '}\n',
  ["4:16: error: unknown data set 'nope'"]),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load 1 vus for 1s\n'
  '  shared.pool.push(${x})\n'
  '  run a\n'
  '}\n',
  ["4:3: error: unknown shared pool 'pool' (declare it: shared pool = [])",
   "4:20: warning: variable 'x' is used but never defined, extracted or bound"]),
 ('frobnicate 12\nrequest a { curl http://h/a }\n',
  ['1:1: error: expected a statement (var, data, shared, request, req, scenario, setup, '
   "teardown or NAME = ...), found 'frobnicate'"]),
 ('request a { curl http://h/a }\nscenario s {\n  load 10 vus\n  run a\n}\n',
  ['3:3: error: impossible load: vus need a duration (load 10 vus for 1m)']),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load { vus = 10  duraton = 1m }\n'
  '  run a\n'
  '}\n',
  ["3:20: error: unknown load setting 'duraton' (expected vus, rps, duration, iterations, "
   'ramp_up, max_vus, graceful_stop, per, stage)']),
 ('request a {\n  curl http://h/a\n  retry { max_attempts = 0  backoff = random }\n}\n',
  ['3:26: error: max_attempts must be at least 1',
   '3:39: error: backoff must be constant, linear or exponential']),
 ('request a {\n  curl http://h/a\n  assert latency < "fast"\n}\n',
  ['3:20: error: latency compares with a duration like 500ms']),
 ('request a {\n  curl http://h/a\n  assert status in 200\n}\n',
  ["3:17: error: 'in' needs a list like [200, 201]"]),
 ('request a { curl http://h/a }\nscenario s {\n  load 1 vus for 1s\n  run a ->\n}\n',
  ["5:1: error: expected a request name, found '}'"]),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load 1 vus for 1s\n'
  '  if ${x} { run a }\n'
  '  else frob\n'
  '}\n',
  ["5:8: error: expected '{', found 'frob'"]),
 ('request a {\n  curl http://h/a\n  assert body matches "("\n}\n',
  ["3:23: error: invalid regex '(': missing ), unterminated subpattern at position 0"]),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load 1 vus for 1s\n'
  '  foreach p in posts { run a }\n'
  '}\n',
  ["4:16: warning: 'posts' is neither a data set nor a defined or extracted variable"]),
 ('request a {\n  curl http://h/a\n',
  ["2:18: error: missing '}' to close request 'a' (opened at line 1)"]),
 ('request a { curl http://h/a }\nscenario s {\n  cookies = maybe\n  run a\n}\n',
  ['3:13: error: cookies must be shared, off or vu']),
 ('data d from "nope.csv"\n',
  ["1:13: error: cannot read data file 'nope.csv': No such file or directory"]),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load 1 vus for 1s\n'
  '  run a\n'
  '}\n'
  'scenario s {\n'
  '  run a\n'
  '}\n',
  ["6:1: error: duplicate scenario 's' (first defined at line 2)"]),
 ('request a {\n  curl http://h/a\n  assert latency < 2 + 3\n}\n',
  ["3:22: error: unexpected character '+'"]),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load 1 vus for 1s\n'
  '  think 3s..1s\n'
  '  run a\n'
  '}\n',
  ['4:9: error: the pause range ends before it starts']),
 ('@frob x\n', ["1:2: error: unknown decorator '@frob' (expected @request or @scenario)"]),
 ('req a curl http://h/a\n', ["1:7: error: expected ':', found 'curl'"]),
 ('a = curl http://h/a >> frob\n',
  ["1:24: error: expected extract, assert or retry after '>>', found 'frob'"]),
 ('s = load(10 vus, 1m) >> go(a)\n',
  ['1:25: error: expected load(...), run(...), parallel(...), think(...) or thresholds(...), '
   "found 'go'"]),
 ('request a { curl http://h/a }\n'
  'scenario s {\n'
  '  load 1 vus for 1s\n'
  '  thresholds { b.p95 < 1s }\n'
  '  run a\n'
  '}\n',
  ["4:16: error: unknown request 'b' in threshold"]),
 ("request a {\n  curl 'http://h/a\n}\n", ['2:8: error: unterminated single quote']),
 # a load that lasts 0s is reported at the 0s (it used to pass and fail at run time)
 ('request a { curl http://h/a }\nscenario s {\n  load 1 vus for 0s\n  run a\n}\n',
  ['3:18: error: impossible load: a duration of 0s runs nothing']),
 ('request a { curl http://h/a }\nscenario s {\n  load 5 rps for 0s\n  run a\n}\n',
  ['3:18: error: impossible load: a duration of 0s runs nothing']),
 ('request a { curl http://h/a }\nscenario s {\n  load { vus = 2  duration = 0ms }\n'
  '  run a\n}\n',
  ['3:30: error: impossible load: a duration of 0s runs nothing']),
 ('request a { curl http://h/a }\nscenario s {\n  load(1 vus, 0s)\n  run a\n}\n',
  ['3:15: error: impossible load: a duration of 0s runs nothing']),
 ('request a { curl http://h/a }\nscenario s {\n'
  '  load 3 iterations with 1 vus duration=0s\n  run a\n}\n',
  ['3:41: error: impossible load: a duration of 0s runs nothing']),
 ('request a { curl http://h/a }\nscenario s {\n'
  '  load { stage { duration = 0s, vus = 3 }  stage { duration = 0ms, vus = 1 } }\n'
  '  run a\n}\n',
  ['3:29: error: impossible load: the stages last 0s in total']),
 ('request a { curl http://h/a }\nscenario s {\n  load { vus = 2  duration = -1s }\n'
  '  run a\n}\n',
  ['3:30: error: duration cannot be negative']),
 ('request a { curl http://h/a }\nscenario s {\n'
  '  load { vus = 2  duration = 1s  ramp_up = -2s }\n  run a\n}\n',
  ['3:44: error: ramp_up cannot be negative']),
 # a unit-less 'for 30' gets the same hint as 'think 2' and 'duration = 30'
 ('request a { curl http://h/a }\nscenario s {\n  load 5 vus for 30\n  run a\n}\n',
  ['3:18: error: a duration needs a unit: 30s or 30ms']),
 ('request a { curl http://h/a }\nscenario s {\n  load 5 rps for 1.5\n  run a\n}\n',
  ['3:18: error: a duration needs a unit: 1.5s or 1.5ms']),
 ('request a { curl http://h/a }\nscenario s {\n  load(10 vus, 30)\n  run a\n}\n',
  ['3:16: error: a duration needs a unit: 30s or 30ms']),
 ('request a { curl http://h/a }\nscenario s {\n  load 5 vus for x\n  run a\n}\n',
  ["3:18: error: expected a duration like 2s or 500ms, found 'x'"])]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_input(source: str, expected: list[str]) -> None:
    plan, diags = compile_source(source, "f.httpx")
    got = [f"{d.line}:{d.col}: {d.severity}: {d.message}" for d in diags.sorted()]
    assert got == expected
    assert (plan is None) == any(": error: " in e for e in expected)


def test_every_problem_in_one_pass_with_source_and_caret() -> None:
    src = (
        "var base = \"http://h\"\n"
        "request a {\n"
        "  curl ${base}/a --bogus\n"
        "  extract { t = $.x[ }\n"
        "  assert status = 200\n"
        "}\n"
        "scenario s {\n"
        "  load 0 vus for 1m\n"
        "  run nope\n"
        "}\n"
    )
    _, diags = compile_source(src, "f.httpx")
    text = diags.render(src)
    assert text.splitlines()[0] == "f.httpx:3:18: error: unknown curl option '--bogus'"
    assert text.splitlines()[1:3] == ["    curl ${base}/a --bogus", "  " + " " * 17 + "^"]
    assert "f.httpx:4:17: error: invalid JSONPath '$.x['" in text
    assert "f.httpx:5:17: warning: single '=' in a comparison; use '=='" in text
    assert "f.httpx:8:8: error: impossible load: 0 VUs" in text
    assert "f.httpx:9:7: error: unknown request 'nope'" in text
    assert text.splitlines()[-1] == "4 errors, 1 warning"


@pytest.mark.parametrize("load", [
    "load { stage { duration = 0s, vus = 5 }  stage { duration = 1s, vus = 5 } }",
    "load { vus = 2  duration = 1s  ramp_up = 0s  graceful_stop = 0s }",
])
def test_zero_stage_ramp_up_and_grace_are_valid(load: str) -> None:
    """A 0s stage jumps to its target (as in k6); 0s ramp-up or grace means none."""
    plan, diags = compile_source(f"request a {{ curl http://h/a }}\n"
                                 f"scenario s {{\n  {load}\n  run a\n}}\n", "f.httpx")
    assert diags.items == []
    assert plan is not None


# Errors at the end of the file point just after its last visible character, so they show
# a source line and a caret (they used to point at the empty line after the last newline).
END_OF_FILE = [
    ("request a { curl http://h/a }\nscenario s {\n  run a\n\n\n",
     ["f.httpx:3:8: error: missing '}' to close scenario 's' (opened at line 2)",
      "    run a",
      "         ^"]),
    ("request a { curl http://h/a }\nscenario s {\n  run a  # the end\n",
     ["f.httpx:3:19: error: missing '}' to close scenario 's' (opened at line 2)",
      "    run a  # the end",
      "  " + " " * 18 + "^"]),
    ("request a {\n  curl http://h/a\n  assert { status == 200\n",
     ["f.httpx:3:25: error: missing '}' (block opened at line 3)",
      "    assert { status == 200",
      "                          ^",
      "f.httpx:3:25: error: missing '}' to close request 'a' (opened at line 1)",
      "    assert { status == 200",
      "                          ^"]),
    # an unterminated quote in a one-line block: only the quote, the block still closes
    ('request a { curl "http://h/a }\nscenario s { run a }\n',
     ["f.httpx:1:18: error: unterminated double quote",
      '  request a { curl "http://h/a }',
      "                   ^"]),
    ('request a { curl "http://h/${x} }\nscenario s { run a }\n',
     ["f.httpx:1:18: error: unterminated double quote",
      '  request a { curl "http://h/${x} }',
      "                   ^"]),
    # ... a '}' the quote's own text balances is not the block's
    ('request a {\n  curl "http://h/{a}\n}\nscenario s { run a }\n',
     ["f.httpx:2:8: error: unterminated double quote",
      '    curl "http://h/{a}',
      "         ^"]),
]


@pytest.mark.parametrize(("source", "expected"), END_OF_FILE)
def test_end_of_file_errors_show_the_last_line_and_a_caret(source: str,
                                                           expected: list[str]) -> None:
    _, diags = compile_source(source, "f.httpx")
    lines = diags.render(source).splitlines()
    assert lines[:-1] == expected
    assert lines[-1] == f"{len(expected) // 3} error{'s' if len(expected) > 3 else ''}"


def test_recovery_keeps_later_statements() -> None:
    src = "request a {\n  curl http://h/a\n  frob x y\n}\nscenario s: load 1 vus for 1s | run a\n"
    plan, diags = compile_source(src, "f.httpx")
    assert [f"{d.line}:{d.col}" for d in diags.items] == ["3:3"]
    assert plan is None


# Found by the long fuzz run: a '}' inside a block closed by ')', ']' or 'end' made recovery
# loop forever. Each must end with located errors.
STRAY_BRACES = [
    ("x = curl http://h >> retry(max_attempts=1 }",
     ["1:43: error: expected a setting name, found '}'",
      "1:44: error: missing ')' (opened at line 1)"]),
    ("@request a\n curl http://h\n}\nend\n",
     ["3:1: error: expected curl, extract, assert, retry or resend in request 'a', found '}'"]),
    ("scenario s { thresholds [ } ] }",
     ["1:27: error: expected a threshold metric (p95, error_rate, checks, ...), found '}'"]),
    ("@scenario s\n}\nend\n",
     ["2:1: error: expected a flow statement (run, parallel, if, foreach, repeat, think, use, "
      "shared.POOL.push) or a scenario setting, found '}'"]),
]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("source", "expected"), STRAY_BRACES)
def test_stray_brace_recovery_terminates(source: str, expected: list[str]) -> None:
    _, diags = compile_source(source, "f.httpx")
    assert [f"{d.line}:{d.col}: {d.severity}: {d.message}" for d in diags.sorted()] == expected


def test_a_reference_in_a_single_quoted_string_is_kept_but_warned_about() -> None:
    """DSL.md: never a silent literal ``${x}`` on the wire. Single quotes are raw (a
    decision): the value keeps the text, and validate says so; ``$${`` is not warned."""
    source = ("var s2 = 'raw ${VU}'\nvar s3 = 'cost $${x}'\nvar s4 = \"x-${VU}\"\n"
              "request a { curl http://h/${s2}/${s3}/${s4} }\n"
              "scenario s {\n  load 1 iterations with 1 vus\n  run a\n}\n")
    plan, diags = compile_source(source, "f.httpx")
    assert plan is not None
    assert diags.render(source).splitlines() == [
        "f.httpx:1:15: warning: '${VU}' in a single-quoted string is kept as written "
        "(single quotes are raw); use double quotes to fill it in",
        "  var s2 = 'raw ${VU}'",
        "                ^",
        "1 warning"]
    assert {v.name: v.value for v in plan.variables}["s2"] == "raw ${VU}"
