"""``httptool compare`` end to end: real runs against the built-in target, one of them
against a target started with ``--delay`` (a slower build), compared through the CLI.

Runs are short (1 s, 2 VUs) and made once per module; every comparison reads the same
summary files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2ecli import cli_env, httptool_run, run_cli, write_scenario

from httptool.target.server import ProcessTarget

pytestmark = pytest.mark.timeout(180)

SCENARIO = """\
var base = "${env.BASE}"
request login {
  curl -X POST ${base}/post -d 'user=alice'
  assert { status == 200 }
}
request home {
  curl ${base}/get
  assert { status == 200 }
}
scenario shop {
  load { vus = 2  duration = 1s }
  run login -> home
}
"""
SAME_RUNS = 5


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    d = tmp_path_factory.mktemp("compare")
    f = write_scenario(d, SCENARIO)
    out: dict[str, Path] = {}
    # the service answers in 5 ms; the "slower build" in 25 ms
    for delay, names in (("5ms", ["base", *(f"same{i}" for i in range(SAME_RUNS))]),
                         ("25ms", ["slow"])):
        server = ProcessTarget(extra_args=["--delay", delay]).start()
        try:
            for name in names:
                server.reset()
                path = d / f"{name}.json"
                r = httptool_run(f, "--workers", "1", "-q", "--summary-json", str(path),
                                 env=cli_env(BASE=server.url))
                assert r.returncode == 0, r.stdout + r.stderr
                # truthful counts: the tool's request total is the server's
                assert json.loads(path.read_text())["requests"] == server.counts()["total"]
                out[name] = path
        finally:
            server.stop()
    yield out


def compare(*args: str | Path) -> tuple[int, str, str]:
    r = run_cli("compare", *(str(a) for a in args))
    assert "Traceback" not in r.stderr
    return r.returncode, r.stdout, r.stderr


def test_slower_build_is_worse_and_the_gate_exits_99(runs: dict[str, Path],
                                                     tmp_path: Path) -> None:
    code, out, _ = compare(runs["base"], runs["slow"], "--fail-on", "p95 > +50%",
                           "--fail-on", "error_rate > +0.5pp")
    assert code == 99, out
    assert "✗ p95 > +50%" in out and "✓ error_rate > +0.5pp" in out
    assert "✗ 1 of 2 gates failed" in out
    code, text, _ = compare(runs["base"], runs["slow"], "--format", "json", "--fail-on",
                            "login.p99 > +10ms")
    assert code == 99
    doc = json.loads(text)
    rows = {(r["request"], r["metric"]): r for r in doc["rows"]}
    for scope in ("login", "home", "(all)"):
        for m in ("avg", "p50", "p90", "p95"):
            assert rows[(scope, m)]["verdict"] == "worse", (scope, m)
        # 20 ms more per request (25 ms - 5 ms), whatever else the machine adds
        assert 15 <= rows[(scope, "p50")]["change"] <= 30, rows[(scope, "p50")]
        assert rows[(scope, "error_rate")]["verdict"] == "no significant change"
    assert rows[("(all)", "rps")]["verdict"] == "worse"
    assert doc["gates"]["passed"] is False


def test_same_build_fails_no_gate_in_five_runs(runs: dict[str, Path]) -> None:
    for i in range(SAME_RUNS):
        code, out, _ = compare(runs["base"], runs[f"same{i}"], "--fail-on", "p95 > +50%",
                               "--fail-on", "p50 > +25%", "--fail-on", "error_rate > +0.5pp")
        assert code == 0, out


def test_markdown_output_file(runs: dict[str, Path], tmp_path: Path) -> None:
    md = tmp_path / "cmp.md"
    code, _, err = compare(runs["base"], runs["slow"], "--format", "markdown", "-o", md)
    assert code == 0 and f"comparison written to {md}" in err
    lines = md.read_text().splitlines()
    assert lines[0] == "### httptool compare: shop"
    i = lines.index("| request | metric | baseline | current | change | verdict |")
    assert lines[i + 1] == "|---|---|--:|--:|--:|---|"
    assert any(x.startswith("| **all** | p95 |") and x.endswith("| 🔴 worse |")
               for x in lines[i + 2:])


def test_bad_inputs_exit_2_with_one_line(runs: dict[str, Path], tmp_path: Path) -> None:
    text = runs["base"].read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[:-200])
    other = json.loads(text)
    other["per_request"]["cart"] = other["per_request"].pop("home")
    other["latency_histograms"]["per_request"]["cart"] = (
        other["latency_histograms"]["per_request"].pop("home"))
    mism = tmp_path / "other.json"
    mism.write_text(json.dumps(other))
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**json.loads(text), "schema_version": 0}))
    for args, message in [
        ((cut, runs["same0"]), f"httptool: {cut}: truncated: the JSON ends at line"),
        ((runs["base"], mism), "only in the baseline: home; only in the current run: cart"),
        ((old, runs["base"]), f"httptool: {old}: summary schema_version 0 is not supported"),
        ((runs["base"], runs["slow"], "--fail-on", "p95 > 10"), "add a unit"),
        ((runs["base"], runs["slow"], "--fail-on", "cart.p95 > +1%"), "unknown request 'cart'"),
    ]:
        code, _, err = compare(*args)
        assert code == 2, err
        assert message in err and len(err.strip().splitlines()) == 1, err
    code, _, err = compare(runs["base"], mism, "--allow-mismatch")
    assert code == 0 and "mismatch allowed" in err
