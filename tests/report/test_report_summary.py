"""The end-of-run summary: every section, aligned columns, units, colour on/off, --quiet."""

from __future__ import annotations

import io
import re

import pytest
from reportdata import Req, Run, build, demo_run

from httptool.metrics import RunResult
from httptool.report.info import RunInfo
from httptool.report.style import color_enabled
from httptool.report.summary import render_quiet, render_summary
from httptool.report.thresholds import evaluate_thresholds, parse_threshold_option

INFO = RunInfo("examples/scenarios/demo.httpx", "journey", "4 VUs for 8s", 2,
               1_714_560_000.0, 8.0)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def outcomes(result: RunResult, *texts: str):
    return evaluate_thresholds([parse_threshold_option(t) for t in texts], result)


def section(text: str, first: str) -> list[str]:
    """The block of lines starting at the line that begins with ``first`` (stripped)."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith(first))
    out = []
    for ln in lines[start:]:
        if not ln.strip():
            break
        out.append(ln)
    return out


def test_header_and_counts(demo: RunResult) -> None:
    text = render_summary(demo, INFO)
    assert "\x1b" not in text
    assert re.search(r"^  scenario \.+: journey \(examples/scenarios/demo\.httpx\)$", text, re.M)
    assert re.search(r"^  load \.+: 4 VUs for 8s, 2 workers$", text, re.M)
    assert re.search(r"^  started \.+: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", text, re.M)
    assert re.search(r"^  duration \.+: 8\.0s \(planned 8s\)$", text, re.M)
    assert re.search(r"^  vus \.+: 4 max, 4 created$", text, re.M)
    assert re.search(r"^  iterations \.+: 40 completed \(5\.00/s\), 0 dropped, 0 interrupted$",
                     text, re.M)
    assert re.search(r"^  requests \.+: 82 \(10\.2/s\)$", text, re.M)
    assert re.search(r"^  failures \.+: 10 \(12\.20% of requests\)$", text, re.M)
    # by kind, largest first, with the requests they hit
    kinds = re.findall(r"^    (\w+) \.+: (\d+)  \((.*)\)$", text, re.M)
    assert kinds == [("assertion", "4", "profile 4"), ("status", "4", "profile 4"),
                     ("refused", "1", "profile 1"), ("timeout", "1", "login 1")]
    assert re.search(r"^  checks \.+: 95\.06% passed  ✓ 77  ✗ 4$", text, re.M)
    assert re.search(r"^  data sent \.+: 9\.60 kB \(1\.20 kB/s\)$", text, re.M)
    assert re.search(r"^  data received \.+: 164 kB \(20\.5 kB/s\)$", text, re.M)
    assert "status ..." not in text.split("vus")[0]  # not interrupted: no status line
    assert "skipped" not in text


def test_skipped_steps() -> None:
    run = demo_run()
    run.skipped = {"profile": 3, "logout": 2}
    text = render_summary(build(run), INFO)
    assert re.search(r"^  skipped steps \.+: 5  \(profile 3, logout 2; not run: their parent "
                     r"request failed, or the list they loop over was missing\)$", text, re.M)


def test_key_value_colons_align(demo: RunResult) -> None:
    text = render_summary(demo, INFO)
    kv = [ln for ln in text.splitlines() if re.match(r"^ {2,4}[\w ]+ \.+: ", ln)]
    assert len(kv) >= 15
    assert len({ln.index(": ") for ln in kv}) == 1


def test_tables_align_and_use_fitting_units(demo: RunResult) -> None:
    text = render_summary(demo, INFO)
    lat = section(text, "latency")
    assert lat[0].split() == ["latency", "avg", "min", "med", "max", "p90", "p95", "p99",
                              "count"]
    rows = {ln.split()[0]: ln.split()[1:] for ln in lat[1:]}
    assert list(rows) == ["login", "profile", "(all)"]
    # login latencies are 40..79 ms, profile 100..295 ms (exact min/max/avg)
    assert rows["login"][:2] == ["59.5ms", "40.0ms"] and rows["login"][3] == "79.0ms"
    assert rows["profile"][1] == "100ms" and rows["profile"][3] == "295ms"
    assert rows["login"][-1] == "40" and rows["(all)"][-1] == "80"
    # right-aligned: every column after the name ends at the same offset in every row
    ends = [[m.end() for m in re.finditer(r"\S+", ln)][1:] for ln in lat]
    assert all(e == ends[0] for e in ends)
    timing = section(text, "timing (all)")
    assert [ln.split()[0] for ln in timing[1:-1]] == ["ttfb", "connect"]
    # then which latency this is (issue 23 item 10)
    assert timing[-1] == ("  latency: from the send, connection set-up (connect) left out, "
                          "as k6's http_req_duration")
    assert timing[2].split()[1:] == ["1.50ms"] * 7 + ["4"]
    assert [m.end() for m in re.finditer(r"\S+", timing[1])][1:] == ends[0]
    req = section(text, "request  ")
    assert req[0].split() == ["request", "requests", "rate", "failed", "error", "%"]
    assert [ln.split() for ln in req[1:]] == [
        ["login", "41", "5.12/s", "1", "2.44%"], ["profile", "41", "5.12/s", "9", "21.95%"],
        ["(all)", "82", "10.2/s", "10", "12.20%"]]
    assert len({len(ln) for ln in req}) == 1


def test_checks_table(demo: RunResult) -> None:
    lines = section(render_summary(demo, INFO), "check ")
    assert re.fullmatch(r"  ✓ login status == 200 +100\.00% +40 +0", lines[1])
    assert re.fullmatch(r"  ✗ profile body\.id == 1 +90\.24% +37 +4", lines[2])
    assert len({len(ln) for ln in lines}) == 1


def test_thresholds_section_and_verdict(demo: RunResult) -> None:
    outs = outcomes(demo, "p95<500ms", "login.p95 < 300ms", "error_rate<1%", "rps>=10")
    lines = section(render_summary(demo, INFO, outs), "thresholds")
    assert re.fullmatch(r"    ✓ p95 < 500ms \.+: 275ms", lines[1])
    assert re.fullmatch(r"    ✓ login\.p95 < 300ms \.+: 77\.0ms", lines[2])
    assert re.fullmatch(r"    ✗ error_rate < 1% \.+: 12\.20%", lines[3])
    assert re.fullmatch(r"    ✓ rps >= 10 \.+: 10\.2/s", lines[4])
    assert lines[5] == "  ✗ 1 of 4 thresholds failed"
    assert len({ln.index(": ") for ln in lines[1:5]}) == 1


def test_no_thresholds_no_section(demo: RunResult) -> None:
    assert "thresholds" not in render_summary(demo, INFO)


def test_quiet_prints_only_the_verdict(demo: RunResult) -> None:
    ok = outcomes(demo, "p95<500ms", "dropped==0")
    assert render_quiet(ok) == "✓ all 2 thresholds passed"
    assert render_quiet(outcomes(demo, "p95<500ms")) == "✓ the threshold passed"
    bad = outcomes(demo, "p95<500ms", "error_rate<1%")
    assert render_quiet(bad).splitlines() == ["✗ 1 of 2 thresholds failed",
                                              "  ✗ error_rate < 1%: 12.20%"]
    assert render_quiet([]) == "✓ no thresholds defined"


def test_colour_only_adds_sgr_codes(demo: RunResult) -> None:
    outs = outcomes(demo, "p95<500ms", "error_rate<1%")
    plain = render_summary(demo, INFO, outs, color=False)
    coloured = render_summary(demo, INFO, outs, color=True)
    assert "\x1b[" in coloured and "\x1b" not in plain
    assert ANSI.sub("", coloured) == plain
    assert "\x1b[31m✗\x1b[0m" in coloured and "\x1b[32m✓\x1b[0m" in coloured
    assert "\x1b" not in render_quiet(outs, color=False)
    assert ANSI.sub("", render_quiet(outs, color=True)) == render_quiet(outs)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_color_enabled_respects_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert color_enabled(_Tty()) is True
    assert color_enabled(io.StringIO()) is False  # not a terminal
    assert color_enabled(_Tty(), no_color=True) is False  # --no-color
    monkeypatch.setenv("NO_COLOR", "1")
    assert color_enabled(_Tty()) is False
    monkeypatch.setenv("NO_COLOR", "")  # empty means unset (no-color.org)
    assert color_enabled(_Tty()) is True


def test_interrupted_and_open_model() -> None:
    reqs = [Req(1 + i % 3, "get", 2 + i * 0.01, at_s=i * 0.01, service_ms=0.5 + i * 0.001)
            for i in range(300)]
    res = build(Run(reqs, iterations={1: 100, 2: 100, 3: 99}, duration_s=3.0, dropped=7,
                    interrupted=1))
    info = RunInfo("f.httpx", "open", "100 iterations/s for 10s", 1, 0.0, 10.0,
                   interrupted=True)
    text = render_summary(res, info)
    assert re.search(r"^  status \.+: interrupted \(Ctrl-C\): partial results$", text, re.M)
    assert re.search(r"^  duration \.+: 3\.0s \(planned 10s\)$", text, re.M)
    assert "started" not in text  # started_at unknown (0)
    assert re.search(r"^  iterations \.+: 299 completed \(99\.7/s\), 7 dropped, 1 interrupted$",
                     text, re.M)
    service = next(ln for ln in section(text, "timing (all)") if ln.split()[0] == "service")
    assert service.split()[1:3] == ["650µs", "500µs"]  # avg, min: µs fit
    assert "scheduled start" in text
    assert re.search(r"^  failures \.+: 0 \(0\.00% of requests\)$", text, re.M)
    # no checks: said as "none", never as "100.00% passed" of nothing; no checks table
    assert re.search(r"^  checks \.+: none$", text, re.M)
    assert "passed" not in text and "check " not in text


def test_a_failed_run_says_so_in_its_status_line() -> None:
    """A worker killed mid-run: exit 1 and the error on stderr, and the summary above it
    must not read like a whole run (QA)."""
    lost = "shard 0: shard process ended without finishing (killed by SIGKILL)"
    info = RunInfo("f.httpx", "s", "2 VUs for 10s", 2, 0.0, 10.0, errors=[lost])
    text = render_summary(build(Run([Req(1, "get", 2.0)], duration_s=3.0)), info)
    assert re.search(r"^  status \.+: failed \(shard 0: shard process ended without "
                     r"finishing \(killed by SIGKILL\)\): partial results$", text, re.M)
    # Ctrl-C after the failure: the interruption is what the status says (exit 130)
    info.interrupted, info.stopped_by = True, "SIGTERM"
    assert re.search(r"^  status \.+: interrupted \(SIGTERM\): partial results$",
                     render_summary(build(Run([])), info), re.M)


def test_empty_run_renders() -> None:
    text = render_summary(RunResult(), RunInfo("", "s", "1 VU for 1s"))
    assert re.search(r"^  requests \.+: 0 \(0\.00/s\)$", text, re.M)
    lat = section(text, "latency")
    assert lat[1].split() == ["(all)"] + ["-"] * 7 + ["0"]
    assert re.search(r"^  data sent \.+: 0 B \(-\)$", text, re.M)


def test_real_summary_file(tmp_path) -> None:
    """Render the demo run to a file (as the CLI would print it) and read it back."""
    res = build(demo_run())
    outs = outcomes(res, "p95<500ms", "checks>99%")
    path = tmp_path / "summary.txt"
    path.write_text(render_summary(res, INFO, outs) + "\n", encoding="utf-8")
    back = path.read_text(encoding="utf-8")
    assert back.startswith("Summary\n\n  scenario ")
    assert back.endswith("  ✗ 1 of 2 thresholds failed\n")
    assert max(len(ln) for ln in back.splitlines()) <= 100


def test_wide_characters_keep_columns_aligned() -> None:
    from rich.cells import cell_len

    run = demo_run()
    run.checks = {"login body contains \"日本\"": (40, 0), "profile status == 200": (41, 0)}
    lines = section(render_summary(build(run), INFO), "check ")
    assert len({cell_len(ln) for ln in lines}) == 1


def test_drops_of_a_saturated_generator_are_explained(demo: RunResult) -> None:
    demo.dropped, demo.dropped_saturated = 120, 100
    text = render_summary(demo, INFO)
    assert re.search(r"^  iterations \.+: 40 completed \(5\.00/s\), 120 dropped, 0 interrupted$",
                     text, re.M)
    assert re.search(r"^    saturated \.+: 100 of the dropped: httptool's own CPU was "
                     r"saturated \(add --workers or machines\)$", text, re.M)
    assert demo.to_dict()["iterations"]["dropped_saturated"] == 100
    demo.dropped_saturated = 0
    assert "saturated" not in render_summary(demo, INFO)
