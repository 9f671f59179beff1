"""``--out prometheus=HOST:PORT`` as a user meets it: the text format mid-run, a port in
use (exit 2, nothing sent) and the address forms."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from httptool.metrics.histogram import Histogram
from httptool.report.listen import parse_listen
from httptool.report.prometheus import histogram_buckets
from support.livecli import cli, free_port, load_json, run_on_busy_port, write_scenario


def test_metrics_mid_run_are_prometheus_text_and_grow(target: Any, tmp_path: Path) -> None:
    port = free_port()
    scenario = write_scenario(tmp_path, target.url, vus=2, duration="3s")
    summary = tmp_path / "s.json"
    proc = cli("scenario", "run", str(scenario), "--workers", "1",
               "--out", f"prometheus={port}", "--summary-json", str(summary))
    reads: list[str] = []
    deadline = time.monotonic() + 10
    while len(reads) < 2 and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                assert r.headers["Content-Type"].startswith("text/plain")
                text = r.read().decode()
            if "httptool_http_reqs_total{" in text:
                reads.append(text)
                time.sleep(1.3)  # shards snapshot once a second
        except OSError:
            time.sleep(0.1)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert len(reads) == 2

    def count(text: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("httptool_http_reqs_total{"))
    assert 0 < count(reads[0]) < count(reads[1]) <= load_json(summary)["requests"]
    text = reads[1]
    assert "# TYPE httptool_http_req_duration_seconds histogram" in text
    assert 'httptool_http_req_duration_seconds_bucket{le="+Inf",request="home",' \
           'scenario="watch"}' in text
    assert "# TYPE httptool_vus gauge" in text


def test_a_port_in_use_is_exit_2_before_anything_is_sent(target: Any, tmp_path: Path) -> None:
    run, port = run_on_busy_port(target, tmp_path, "--out",
                                 "prometheus=127.0.0.1:{port}")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1] == (
        f"httptool: --out prometheus=127.0.0.1:{port}: cannot listen on 127.0.0.1:{port}: "
        "Address already in use (another process uses the port; pick another one)")
    assert "Traceback" not in run.stderr
    assert target.counts()["total"] == 0


@pytest.mark.parametrize(("text", "host", "port"), [
    ("9464", "127.0.0.1", 9464), (":9464", "127.0.0.1", 9464),
    ("0.0.0.0:80", "0.0.0.0", 80), ("[::1]:5665", "::1", 5665)])
def test_listen_forms(text: str, host: str, port: int) -> None:
    addr = parse_listen(text, "--out")
    assert (addr.host, addr.port) == (host, port)
    assert addr.loopback == (host != "0.0.0.0")


@pytest.mark.parametrize("text", ["host:port", "1:2:3", "[::1", "127.0.0.1:70000"])
def test_bad_listen_forms_are_one_line(text: str) -> None:
    with pytest.raises(ValueError, match=r"^--out: "):
        parse_listen(text, "--out")


def test_histogram_buckets_are_cumulative_seconds() -> None:
    h = Histogram()
    h.record_many([500_000, 2_000_000, 2_000_000, 70_000_000_000])  # 0.5 ms, 2 ms x2, 70 s
    b = dict(histogram_buckets(h))
    assert (b["0.001"], b["0.0025"], b["1.0"], b["60.0"], b["+Inf"]) == (1, 3, 3, 3, 4)


def test_only_a_bind_beyond_loopback_warns() -> None:
    from httptool.report.listen import exposure_warning

    assert exposure_warning(parse_listen("127.0.0.2:1", "--dashboard"), "--dashboard") is None
    assert exposure_warning(parse_listen("localhost:1", "--dashboard"), "--dashboard") is None
    text = exposure_warning(parse_listen("0.0.0.0:5665", "--dashboard"), "--dashboard")
    assert text is not None and "without authentication" in text
