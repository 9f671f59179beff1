"""compare, its tests and gates on summaries built from real RunResults (Recorder ->
snapshot -> Merger -> summary_dict), written to files and read back as users do."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from reportdata import Req, Run, build

from httptool.metrics.histogram import Histogram
from httptool.report import stats
from httptool.report.compare import (
    ALL,
    BETTER,
    SAME,
    UNTESTED,
    WORSE,
    CompareInputError,
    compare_files,
)
from httptool.report.compare_out import render_markdown
from httptool.report.gates import evaluate_gates, parse_gate
from httptool.report.info import RunInfo
from httptool.report.json_summary import summary_dict


def _hist(values_ms: np.ndarray) -> Histogram:
    h = Histogram()
    h.record_many((values_ms * 1e6).astype(np.int64))
    return h


def _lognormal(seed: int, n: int, median_ms: float, sigma: float = 0.3) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(np.log(median_ms), sigma, n)


def test_mann_whitney_same_distribution_is_not_significant() -> None:
    # 200 pairs of samples of one distribution: about 1 % below 0.01, as a p-value should be
    hits = sum(stats.mann_whitney(_hist(_lognormal(2 * i, 2000, 10)),
                                  _hist(_lognormal(2 * i + 1, 2000, 10))) < stats.ALPHA  # type: ignore[operator]
               for i in range(200))
    assert hits <= 8


def test_mann_whitney_and_exceedance_see_a_shift() -> None:
    a, b = _hist(_lognormal(1, 3000, 10)), _hist(_lognormal(2, 3000, 10.6))
    assert stats.mann_whitney(a, b) < 1e-4  # type: ignore[operator]
    # only the slowest 2 % get slower: the centre barely moves, the tail test sees it
    base = _lognormal(3, 5000, 10)
    tail = base.copy()
    tail[tail > np.quantile(tail, 0.98)] *= 3
    assert stats.exceedance(_hist(base), _hist(tail), 0.99) < 1e-4  # type: ignore[operator]
    assert stats.mann_whitney(_hist(_lognormal(4, 10, 10)), Histogram()) is None


def test_two_proportions_and_rates() -> None:
    assert stats.two_proportions(0, 1000, 0, 1000) is None
    assert stats.two_proportions(5, 1000, 40, 1000) < 1e-5  # type: ignore[operator]
    assert stats.two_proportions(10, 1000, 12, 1000) > 0.5  # type: ignore[operator]
    assert stats.poisson_rates(1000, 10, 1010, 10) > 0.5  # type: ignore[operator]
    assert stats.poisson_rates(1000, 10, 1500, 10) < 1e-6  # type: ignore[operator]


def _write(tmp: Path, name: str, latencies: dict[str, np.ndarray], failures: int = 0,
           scenario: str = "shop", **info: Any) -> str:
    reqs = [Req(1, n, float(ms)) for n, arr in latencies.items() for ms in arr]
    rng = random.Random(7)
    reqs += [Req(1, next(iter(latencies)), 5.0, kind="status") for _ in range(failures)]
    rng.shuffle(reqs)
    result = build(Run(reqs, checks={f"{n} status == 200": (len(a), 0)
                                     for n, a in latencies.items()}))
    doc = summary_dict(result, RunInfo("s.httpx", scenario, "1 VU for 10s", **info))
    path = tmp / name
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("cmp")
    return {
        "base": _write(d, "base.json", {"login": _lognormal(1, 3000, 10),
                                        "home": _lognormal(2, 3000, 5)}),
        "same": _write(d, "same.json", {"login": _lognormal(3, 3000, 10),
                                        "home": _lognormal(4, 3000, 5)}),
        "slow": _write(d, "slow.json", {"login": _lognormal(5, 3000, 30),
                                        "home": _lognormal(6, 3000, 5)}, failures=60),
        "other": _write(d, "other.json", {"login": _lognormal(7, 3000, 10),
                                          "cart": _lognormal(8, 3000, 5)}),
        "partial": _write(d, "partial.json", {"login": _lognormal(9, 3000, 10),
                                              "home": _lognormal(10, 3000, 5)},
                          interrupted=True, stopped_by="Ctrl-C"),
    }


def test_same_distribution_says_no_significant_change(files: dict[str, str]) -> None:
    cmp = compare_files(files["base"], files["same"])
    verdicts = {(r.scope, r.metric): r.verdict for r in cmp.rows}
    assert set(verdicts.values()) <= {SAME, UNTESTED}, verdicts
    assert verdicts[(ALL, "max")] == UNTESTED
    assert [r.scope for r in cmp.rows[::9]] == ["login", "home", ALL]


def test_slower_request_is_worse_with_the_right_magnitude(files: dict[str, str]) -> None:
    cmp = compare_files(files["base"], files["slow"])
    p50 = cmp.row("login", "p50")
    assert p50 is not None and p50.verdict == WORSE
    assert p50.change == pytest.approx(20, rel=0.1)  # 10 ms -> 30 ms
    assert cmp.row("home", "p50").verdict == SAME  # type: ignore[union-attr]
    assert cmp.row("login", "error_rate").verdict == WORSE  # type: ignore[union-attr]
    back = compare_files(files["slow"], files["base"])
    assert back.row("login", "p95").verdict == BETTER  # type: ignore[union-attr]


@pytest.mark.parametrize(("gate", "passed"), [
    ("p95 > +10%", False), ("login.p99 > +50ms", True), ("login.p99 > +10ms", False),
    ("home.p95 > +10%", True), ("error_rate > +0.5pp", False), ("error_rate > +5pp", True),
    ("checks < -1pp", True), ("rps < -50%", True), ("p50 >= +0.5s", True),
])
def test_gates(files: dict[str, str], gate: str, passed: bool) -> None:
    cmp = compare_files(files["base"], files["slow"])
    [outcome] = evaluate_gates([parse_gate(gate, ["login", "home"])], cmp)
    assert outcome.passed is passed, outcome


def test_gates_never_fail_on_noise(files: dict[str, str]) -> None:
    cmp = compare_files(files["base"], files["same"])
    gates = [parse_gate(g) for g in ("p95 > +1%", "p50 > +0.1ms", "error_rate > +0pp")]
    outcomes = evaluate_gates(gates, cmp)
    assert all(o.passed for o in outcomes), outcomes
    assert any(o.note == "within noise" for o in outcomes)


@pytest.mark.parametrize(("text", "message"), [
    ("p95 > 10", "a change of p95 is in % or ms (add a unit)"),
    ("p95 10%", "expected [REQUEST.]METRIC OP CHANGE"),
    ("pp95 > +10%", "unknown metric 'pp95' (did you mean 'p95'?)"),
    ("error_rate > +5ms", "a change of error_rate is in % or pp"),
    ("logn.p95 > +10%", "unknown request 'logn' (did you mean 'login'?)"),
])
def test_bad_gates_are_one_line(text: str, message: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_gate(text, ["login", "home"])
    assert message in str(e.value) and "\n" not in str(e.value)


def test_mismatched_request_sets_are_refused_unless_allowed(files: dict[str, str]) -> None:
    with pytest.raises(CompareInputError) as e:
        compare_files(files["base"], files["other"])
    msg = str(e.value)
    assert "only in the baseline: home" in msg and "only in the current run: cart" in msg
    assert "--allow-mismatch" in msg
    cmp = compare_files(files["base"], files["other"], allow_mismatch=True)
    assert cmp.scopes == ["login", ALL] and cmp.only_in_current == ["cart"]
    assert any("mismatch allowed" in w for w in cmp.warnings)


def test_interrupted_baseline_is_compared_with_a_warning(files: dict[str, str]) -> None:
    cmp = compare_files(files["partial"], files["same"])
    assert cmp.warnings == [f"the baseline ({files['partial']}) is interrupted (Ctrl-C): "
                            "partial results"]


def test_bad_files_are_clear(files: dict[str, str], tmp_path: Path) -> None:
    text = Path(files["base"]).read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2])
    old = tmp_path / "old.json"
    doc = json.loads(text)
    old.write_text(json.dumps({**doc, "schema_version": 0}))
    nohist = tmp_path / "nohist.json"
    del doc["latency_histograms"]
    nohist.write_text(json.dumps(doc))
    cases = {cut: "truncated: the JSON ends at line", old: "schema_version 0 is not supported",
             nohist: "has no latency_histograms (written by an older httptool",
             tmp_path / "none.json": "no such file"}
    for path, message in cases.items():
        with pytest.raises(CompareInputError) as e:
            compare_files(str(path), files["same"])
        assert message in str(e.value), str(e.value)


def test_markdown_is_a_table(files: dict[str, str]) -> None:
    cmp = compare_files(files["base"], files["slow"])
    outcomes = evaluate_gates([parse_gate("p95 > +10%")], cmp)
    md = render_markdown(cmp, outcomes).splitlines()
    head = md.index("| request | metric | baseline | current | change | verdict |")
    assert md[head + 1] == "|---|---|--:|--:|--:|---|"
    rows = md[head + 2: head + 2 + len(cmp.rows)]
    assert all(r.startswith("| ") and r.count(" | ") == 5 for r in rows)
    assert any(r.startswith("| login | p50 |") and r.endswith("🔴 worse |") for r in rows)
    assert "**❌ 1 of 1 gate failed**" in md or "**❌ 1 of 1 gates failed**" in md


def test_html_report_with_a_baseline(files: dict[str, str]) -> None:
    from httptool.report.html import render_html

    base = json.loads(Path(files["base"]).read_text())
    slow = json.loads(Path(files["slow"]).read_text())
    page = render_html(slow, "slow.json", base, "base.json")
    assert '<section id="baseline" data-baseline="base.json">' in page
    assert 'data-request="login" data-metric="p50" data-verdict="worse"' in page
    data = json.loads(page.split('id="report-data">', 1)[1].split("</script>", 1)[0])
    s = data["series"]
    assert len(s["base_p50"]) == len(s["x"]) == len(s["p50"])
    assert len(data["curve"]["baseline"]) == len(data["curve"]["x"])
    assert "compare-table" not in render_html(slow, "slow.json")
