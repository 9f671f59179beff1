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
from support.journeys import shop

pytestmark = pytest.mark.timeout(180)

SCENARIO = shop(2, "1s")
SAME_RUNS = 5


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ProcessTarget]]:
    """The service answering in 10 ms, and the "slower build" answering in 30 ms (10 ms,
    not less: the machine's jitter is absolute, a few ms when other tests load it)."""
    started = {name: ProcessTarget(extra_args=["--delay", delay]).start()
               for name, delay in (("fast", "10ms"), ("slow", "30ms"))}
    try:
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="module")
def runs(servers: dict[str, ProcessTarget], tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("compare")
    f = write_scenario(d, SCENARIO)
    out: dict[str, Path] = {}
    for server, names in ((servers["fast"], ["base", *(f"same{i}" for i in range(SAME_RUNS))]),
                          (servers["slow"], ["slow"])):
        for name in names:
            server.reset()
            path = d / f"{name}.json"
            r = httptool_run(f, "--workers", "1", "-q", "--summary-json", str(path),
                             env=cli_env(BASE=server.url))
            assert r.returncode == 0, r.stdout + r.stderr
            # truthful counts: the tool's request total is the server's
            assert json.loads(path.read_text())["requests"] == server.counts()["total"]
            out[name] = path
    out["scenario"] = f
    return out


def compare(*args: str | Path) -> tuple[int, str, str]:
    r = run_cli("compare", *(str(a) for a in args))
    assert "Traceback" not in r.stderr
    return r.returncode, r.stdout, r.stderr


def test_slower_build_is_worse_and_the_gate_exits_99(runs: dict[str, Path],
                                                     tmp_path: Path) -> None:
    # gates on the median: in one full-suite run on the loaded machine a p95 > +50% gate
    # held against the slower build (the tails of short runs move with the machine)
    code, out, _ = compare(runs["base"], runs["slow"], "--fail-on", "p50 > +50%",
                           "--fail-on", "error_rate > +0.5pp")
    assert code == 99, out
    assert "✗ p50 > +50%" in out and "✓ error_rate > +0.5pp" in out
    assert "✗ 1 of 2 gates failed" in out
    code, text, _ = compare(runs["base"], runs["slow"], "--format", "json", "--fail-on",
                            "login.p50 > +10ms")
    assert code == 99
    doc = json.loads(text)
    rows = {(r["request"], r["metric"]): r for r in doc["rows"]}
    for scope in ("login", "home", "(all)"):
        for m in ("avg", "p50"):
            assert rows[(scope, m)]["verdict"] == "worse", (scope, m)
        # 20 ms more per request (30 ms - 10 ms), whatever else the machine adds
        assert 15 <= rows[(scope, "p50")]["change"] <= 30, rows[(scope, "p50")]
        assert rows[(scope, "error_rate")]["verdict"] == "no significant change"
    assert rows[("(all)", "rps")]["verdict"] == "worse"
    assert doc["gates"]["passed"] is False


def test_same_build_fails_no_gate_in_five_runs(runs: dict[str, Path]) -> None:
    for i in range(SAME_RUNS):
        code, out, _ = compare(runs["base"], runs[f"same{i}"], "--fail-on", "p95 > +150%",
                               "--fail-on", "p50 > +50%", "--fail-on", "error_rate > +0.5pp")
        assert code == 0, out


def test_markdown_output_file(runs: dict[str, Path], tmp_path: Path) -> None:
    md = tmp_path / "cmp.md"
    code, _, err = compare(runs["base"], runs["slow"], "--format", "markdown", "-o", md)
    assert code == 0 and f"comparison written to {md}" in err
    lines = md.read_text().splitlines()
    assert lines[0] == "### httptool compare: shop"
    i = lines.index("| request | metric | baseline | current | change | verdict |")
    assert lines[i + 1] == "|---|---|--:|--:|--:|---|"
    assert any(x.startswith("| **all** | p50 |") and x.endswith("| 🔴 worse |")
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


def test_run_with_baseline_prints_the_comparison_and_gates(
        runs: dict[str, Path], servers: dict[str, ProcessTarget]) -> None:
    env = cli_env(BASE=servers["slow"].url)
    r = httptool_run(runs["scenario"], "--workers", "1", "--baseline", str(runs["base"]),
                     "--fail-on", "p50 > +50%", "--fail-on", "home.error_rate > +1pp", env=env)
    assert r.returncode == 99, r.stdout + r.stderr
    out = r.stdout
    # the summary, its validity line, then the comparison with its gates
    assert out.index("Summary") < out.index("validity: ✓ valid run") < out.index("Comparison")
    assert f"baseline: {runs['base']}" in out and "current:  this run" in out
    assert "✗ p50 > +50%" in out and "✓ home.error_rate > +1pp" in out
    assert "✗ 1 of 2 gates failed" in out


def test_run_refuses_a_bad_baseline_before_sending(
        runs: dict[str, Path], servers: dict[str, ProcessTarget], tmp_path: Path) -> None:
    server = servers["fast"]
    cut = tmp_path / "cut.json"
    cut.write_text(runs["base"].read_text()[:500])
    env = cli_env(BASE=server.url)
    server.reset()
    for args, message in [
        (("--baseline", str(cut)), f"httptool: --baseline: {cut}: truncated"),
        (("--fail-on", "p95 > +10%"), "--fail-on needs --baseline FILE"),
        (("--baseline", str(runs["base"]), "--fail-on", "lgin.p95 > +1%"),
         "unknown request 'lgin' (did you mean 'login'?)"),
    ]:
        r = httptool_run(runs["scenario"], "--workers", "1", *args, env=env)
        assert r.returncode == 2 and message in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    assert server.counts()["total"] == 0


def test_fail_on_invalid_exits_98_when_the_open_model_drops(
        runs: dict[str, Path], servers: dict[str, ProcessTarget], tmp_path: Path) -> None:
    # one VU at 30 ms per request cannot start 200 iterations a second: most are dropped
    env = cli_env(BASE=servers["slow"].url)
    path = tmp_path / "inv.json"
    r = httptool_run(runs["scenario"], "--workers", "1", "-q", "--rps", "200", "--max-vus", "1",
                     "--fail-on-invalid", "--summary-json", str(path), env=env)
    assert r.returncode == 98, r.stdout + r.stderr
    validity = json.loads(path.read_text())["validity"]
    assert validity["valid"] is False and validity["dropped"] > 100
    assert validity["planned_iterations"] == 200
    assert any("iterations dropped" in x for x in validity["reasons"])
    assert "validity: ✗ not valid:" in r.stdout
    # compare warns when a side is not valid
    code, _, err = compare(runs["base"], path, "--allow-mismatch")
    assert code == 0
    assert f"httptool: warning: the current run ({path}) is not a valid run:" in err


def test_a_run_cut_by_ctrl_c_is_a_baseline_with_a_warning(
        runs: dict[str, Path], servers: dict[str, ProcessTarget], tmp_path: Path) -> None:
    """A real SIGINT mid-run: its summary file is still a baseline (exit 0), and compare
    says that side is interrupted."""
    import subprocess

    from e2ecli import PROGRESS_RE, send_sigint

    f = write_scenario(tmp_path, SCENARIO.replace("duration = 1s", "duration = 20s"))
    path = tmp_path / "cut.json"
    sent: list[float] = []

    def on_line(t: float, line: str, proc: subprocess.Popen[bytes]) -> None:
        if not sent and PROGRESS_RE.match(line):  # the first progress line
            sent.append(t)
            send_sigint(proc)

    r = httptool_run(f, "--workers", "1", "--progress", "--summary-json", str(path),
                     env=cli_env(BASE=servers["fast"].url), on_line=on_line)
    assert sent and r.returncode == 130, r.stdout + r.stderr
    code, out, err = compare(path, runs["same0"])
    assert code == 0, err
    assert f"httptool: warning: the baseline ({path}) is interrupted (Ctrl-C): " \
           "partial results" in err
    assert "login" in out and "home" in out
