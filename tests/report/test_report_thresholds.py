"""Thresholds: the --threshold option parses exactly like the file, and every metric kind
passes and fails against a real merged result, including per-request scopes and gaps."""

from __future__ import annotations

import pytest
from reportdata import Req, Run, build

from httptool.dsl import compile_source
from httptool.metrics import RunResult
from httptool.report.thresholds import (
    ThresholdOutcome,
    all_passed,
    evaluate_thresholds,
    parse_threshold_option,
)

OPTIONS = ["p95<500ms", "login.p95 < 300ms", "error_rate<1%", "checks>99%", "rps>=100",
           "dropped==0", "p99 <= 2s", "avg > 1ms", "login.error_rate != 0%", "med < 250",
           "p95: 500ms", '"login.p95": "< 300ms"']


def file_thresholds(items: list[str]):
    src = ('request login { curl http://x/login }\n'
           'scenario s {\n  load 1 vus for 1s\n  run login\n'
           '  thresholds {\n' + "".join(f"    {t}\n" for t in items) + '  }\n}\n')
    plan, diags = compile_source(src)
    assert plan is not None, diags.render(src)
    return plan.scenarios[0].thresholds


def test_option_equals_file() -> None:
    from_file = file_thresholds(OPTIONS)
    from_opts = tuple(parse_threshold_option(t) for t in OPTIONS)
    assert from_opts == from_file
    assert [t.text for t in from_opts][:6] == [
        "p95 < 500ms", "login.p95 < 300ms", "error_rate < 1%", "checks > 99%", "rps >= 100",
        "dropped == 0"]
    p99 = from_opts[6]
    assert (p99.metric, p99.op, p99.value, p99.scope) == ("p99", "<=", 2000.0, None)
    er = from_opts[2]
    assert er.value == pytest.approx(0.01)


@pytest.mark.parametrize(("text", "message"), [
    ("", "expected a threshold metric"),
    ("p96<3ms", "unknown threshold metric 'p96'; did you mean"),
    ("p95 <", "expected a value"),
    ("p95 < 500ms, p99 < 1s", "one threshold per --threshold option"),
    ("p95 < 5 s", "unexpected 's'"),
    ("error_rate < 5", "percentage like 1%"),
    ("p95 < 1%", "duration like 500ms"),
    ("rps > 1s", "compares with a number"),
    ("p95 = 3ms", "use '=='"),
    ("a.b.c < 1", "expected <, <=, >, >=, == or !="),
    ('p95 < "x', "unterminated string"),
])
def test_bad_options(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="invalid --threshold") as e:
        parse_threshold_option(text)
    assert message in str(e.value)


def test_scope_checked_against_known_names() -> None:
    assert parse_threshold_option("login.p95<1s", ["login"]).scope == "login"
    with pytest.raises(ValueError, match="unknown request 'nope'"):
        parse_threshold_option("nope.p95<1s", ["login", "profile"])
    assert parse_threshold_option("nope.p95<1s").scope == "nope"  # checked at evaluation


@pytest.fixture(scope="module")
def result() -> RunResult:
    # login: 1..100 ms (100 responses) + 1 refused; profile: 200 ms x 50, 5 of them 500s
    reqs = [Req(1 + i % 5, "login", float(i), at_s=i * 0.04) for i in range(1, 101)]
    reqs.append(Req(1, "login", None, "refused", at_s=1.0))
    reqs += [Req(1 + i % 5, "profile", 200.0, "status" if i < 5 else None, at_s=i * 0.08)
             for i in range(50)]
    return build(Run(reqs, checks={"login status == 200": (100, 0),
                                   "profile status == 200": (45, 5)},
                     duration_s=4.0, dropped=3))


def outcome(result: RunResult, text: str, names=None) -> ThresholdOutcome:
    (o,) = evaluate_thresholds([parse_threshold_option(text)], result, names)
    return o


@pytest.mark.parametrize(("text", "actual", "passed"), [
    ("p95 < 500ms", 200.0, True),
    ("p50 < 100ms", 75.0, True),  # 1..100 ms and 50 x 200 ms: the 75th of 150 is 75 ms
    ("p90 > 200ms", 200.0, False),
    ("login.p95 < 96ms", 95.0, True),  # percentiles within 0.05 % (histogram buckets)
    ("login.p95 < 94ms", 95.0, False),
    ("login.p99 <= 100ms", 99.0, True),
    ("login.med > 49ms", 50.0, True),
    ("login.med > 51ms", 50.0, False),
    ("login.min >= 1ms", 1.0, True),
    ("login.max < 100ms", 100.0, False),
    ("login.avg < 50ms", 50.5, False),
    ("profile.avg == 200ms", 200.0, True),
    ("error_rate < 5%", 6 / 151, True),
    ("error_rate < 3%", 6 / 151, False),
    ("login.error_rate <= 1%", 1 / 101, True),
    ("profile.error_rate < 5%", 0.1, False),
    ("checks > 99%", 145 / 150, False),
    ("checks >= 96%", 145 / 150, True),
    ("login.checks == 100%", 1.0, True),
    ("profile.checks > 95%", 0.9, False),
    ("rps >= 37", 151 / 4, True),
    ("rps > 40", 151 / 4, False),
    ("profile.rps == 12.5", 12.5, True),
    ("dropped == 0", 3.0, False),
    ("dropped <= 3", 3.0, True),
])
def test_each_metric_kind(result: RunResult, text: str, actual: float, passed: bool) -> None:
    o = outcome(result, text)
    assert o.note == ""
    assert o.actual == pytest.approx(actual, rel=1e-3)
    assert o.passed is passed


def test_shown_values(result: RunResult) -> None:
    assert outcome(result, "login.p95 < 1s").shown == "95.0ms"
    assert outcome(result, "error_rate < 5%").shown == "3.97%"
    assert outcome(result, "rps > 1").shown == "37.8/s"
    assert outcome(result, "dropped == 0").shown == "3"


def test_missing_data_never_passes(result: RunResult) -> None:
    o = outcome(result, "nope.p95 < 1s", ["login", "profile", "logout"])
    assert (o.actual, o.passed, o.note) == (None, False, "unknown request 'nope'")
    o = outcome(result, "logn.p95 < 1s", ["login", "profile"])
    assert o.note == "unknown request 'logn' (did you mean 'login'?)"
    o = outcome(result, "logout.p95 < 1s", ["login", "profile", "logout"])
    assert (o.passed, o.note) == (False, "request 'logout' never ran")
    assert outcome(result, "logout.error_rate < 1%").note == "request 'logout' never ran"
    only_errors = build(Run([Req(1, "down", None, "refused")], duration_s=1.0))
    o = outcome(only_errors, "p95 < 1s")
    assert (o.actual, o.passed, o.note) == (None, False, "no response was measured")
    o = outcome(only_errors, "error_rate < 100%")
    assert (o.actual, o.passed) == (1.0, False)  # 1 of 1 failed: a real value
    empty = build(Run([], duration_s=1.0))
    assert outcome(empty, "error_rate < 1%").note == "no request was sent"
    assert outcome(empty, "checks > 99%").note == "no check ran"
    assert outcome(result, "login.checks > 99%").passed
    o = outcome(build(Run([Req(1, "a", 5.0)])), "a.checks > 99%")
    assert (o.passed, o.note) == (False, "no check ran")
    assert outcome(empty, "rps < 10").passed  # a rate of 0 is a measurement
    assert outcome(empty, "dropped == 0").passed


def test_all_passed(result: RunResult) -> None:
    outs = evaluate_thresholds([parse_threshold_option(t) for t in ("p95<1s", "dropped<5")],
                               result)
    assert all_passed(outs) and all_passed([])
    outs += evaluate_thresholds([parse_threshold_option("dropped==0")], result)
    assert not all_passed(outs)
    assert [o.to_dict()["passed"] for o in outs] == [True, True, False]
    assert outs[2].to_dict() == {"threshold": "dropped == 0", "metric": "dropped",
                                 "scope": None, "op": "==", "value": 0.0, "actual": 3.0,
                                 "passed": False, "note": ""}


@pytest.mark.parametrize(("option", "shown"), [
    ("rps>1000000", "rps > 1000000"),  # was `rps > 1e+06`
    ("p99<0.1234567", "p99 < 0.1234567ms"),  # was rounded to six digits
    ("rps>=2.5", "rps >= 2.5"),
    ("dropped==0", "dropped == 0"),
])
def test_threshold_values_are_shown_as_written(option: str, shown: str) -> None:
    assert parse_threshold_option(option).text == shown
