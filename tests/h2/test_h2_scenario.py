"""``scenario run`` over HTTP/2 against the built-in target's h2/h2c ports: the
scenario's ``http =`` setting, ``--http1.1``/``--http2`` overriding it, parallel branches
multiplexed on each VU's connection, and the tool's request count equal to the server's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from httptool.target.server import ProcessTarget
from support.scenariorun import scenario_run

pytestmark = pytest.mark.timeout(90)


def _scenario(tmp_path: Path, https: str, plain: str, ca: str, http: str) -> Path:
    text = f"""
request get {{
  curl {https}/get --cacert {ca}
  assert status == 200
}}
request post {{
  curl {plain}/post -d 'a=1'
}}
scenario main {{
  http = {http}
  load {{ vus = 3
    iterations = 30 }}
  run get
  parallel {{
    run post
    run get
  }}
}}
"""
    path = tmp_path / "h2.httpx"
    path.write_text(text)
    return path


def _run(path: Path, tmp_path: Path, *args: str) -> tuple[dict, list[dict], str]:
    summary, rows = tmp_path / "s.json", tmp_path / "rows.ndjson"
    p = subprocess.run([sys.executable, "-m", "httptool", "scenario", "run", str(path),
                        "--workers", "1", "--summary-json", str(summary),
                        "--out", f"json={rows}", *args],
                       capture_output=True, text=True, timeout=80)
    assert p.returncode == 0, p.stdout + p.stderr
    return (json.loads(summary.read_text()),
            [json.loads(line) for line in rows.read_text().splitlines()], p.stdout)


def _run_text(tmp_path: Path, text: str, *args: str) -> tuple[dict, list[dict], str]:
    path = tmp_path / "h2.httpx"
    path.write_text(text)
    return _run(path, tmp_path, *args)


def test_http2_setting_multiplexes_and_counts_match(
        h2target: tuple[ProcessTarget, str], tmp_path: Path) -> None:
    server, ca = h2target
    server.reset()
    path = _scenario(tmp_path, server.h2_urls["h2"], server.h2_urls["h2c"], ca, "2")
    summary, rows, console = _run(path, tmp_path)
    counts = server.counts()
    assert counts["total"] == 90 == len(rows)
    assert counts["paths"] == {"/get": 60, "/post": 30}
    assert all(r["ok"] and r["protocol"] == "h2" for r in rows)
    assert (summary["requests"], summary["failures"], summary["resent"]) == (90, 0, 0)
    # 3 VUs x 2 origins; the parallel branches were streams on those connections
    assert summary["total"]["protocols"] == {"http/1.1": 0, "h2": 90}
    assert summary["total"]["connections_opened"] == 6
    assert "  protocols ......: h2 100% of responses; 6 connections opened" in console


def test_command_line_http11_overrides_the_file(
        h2target: tuple[ProcessTarget, str], tmp_path: Path) -> None:
    server, ca = h2target
    server.reset()
    # the h2c port speaks only HTTP/2: forced to HTTP/1.1 every request to it fails, and
    # the h2 port offers only h2 by ALPN, so --http1.1 cannot reach it either
    path = _scenario(tmp_path, server.url, server.url, ca, "2")
    summary, rows, console = _run(path, tmp_path, "--http1.1")
    assert len(rows) == 90 and all(r["ok"] and r["protocol"] == "http/1.1" for r in rows)
    assert server.counts()["total"] == 90
    assert summary["total"]["protocols"] == {"http/1.1": 90, "h2": 0}
    assert "protocols" not in console  # an HTTP/1.1 run's summary is as it was


def test_connections_setting_shares_few_connections_among_vus(
        h2target: tuple[ProcessTarget, str], tmp_path: Path) -> None:
    server, _ = h2target
    server.reset()
    summary, rows, console = _run_text(tmp_path, f"""
request get {{
  curl --http2 {server.h2_urls["h2c"]}/get
  assert status == 200
}}
scenario main {{
  connections = 2
  load {{ vus = 10
    iterations = 60 }}
  run get
}}
""")
    assert server.counts()["total"] == 60 == len(rows) == summary["requests"]
    assert all(r["ok"] and r["protocol"] == "h2" for r in rows)
    assert summary["total"]["connections_opened"] == 2  # not 10: one per VU
    assert "h2 100% of responses; 2 connections opened" in console


def test_connections_setting_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "bad.httpx"
    path.write_text("request get {\n  curl http://127.0.0.1:9/\n}\n"
                    "scenario main {\n  connections = 0\n  run get\n}\n")
    p = subprocess.run([sys.executable, "-m", "httptool", "scenario", "run", str(path)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "bad.httpx:5:17: error: connections must be a whole number of at least 1" \
        in p.stderr
    assert "Traceback" not in p.stderr


def test_two_workers_merge_the_protocol_mix(
        h2target: tuple[ProcessTarget, str], tmp_path: Path) -> None:
    server, ca = h2target
    server.reset()
    p, summary = scenario_run(tmp_path, f"""
request get {{
  curl {server.h2_urls["h2"]}/get --cacert {ca}
}}
scenario main {{
  load {{ vus = 4
    iterations = 40 }}
  run get
}}
""", "--workers", "2")
    assert p.returncode == 0, p.stdout + p.stderr
    assert summary["shards"] == 2
    assert summary["requests"] == 40 == server.counts()["total"]
    assert summary["total"]["protocols"] == {"http/1.1": 0, "h2": 40}
    assert summary["total"]["connections_opened"] == 4


def test_target_h2_port_in_use_is_one_line_and_exit_2(
        h2target: tuple[ProcessTarget, str]) -> None:
    server, _ = h2target
    busy = server.h2_urls["h2c"].rsplit(":", 1)[1]
    p = subprocess.run([sys.executable, "-m", "httptool", "target", "--port", "0",
                        "--h2c-port", busy], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert p.stderr.strip() == (f"httptool target: cannot listen on 127.0.0.1:{busy}: address "
                                "already in use (another server is listening there; pick "
                                "another --h2-port/--h2c-port)")


def test_open_model_over_h2c_counts_match(
        h2target: tuple[ProcessTarget, str], tmp_path: Path) -> None:
    server, _ = h2target
    server.reset()
    summary, rows, _ = _run_text(tmp_path, f"""
request get {{
  curl {server.h2_urls["h2c"]}/get
  extract {{ host = $.headers.Host }}
  assert status == 200
}}
scenario main {{
  http = 2
  load 40 rps for 1s
  run get
}}
""")
    assert summary["requests"] == len(rows) == server.counts()["total"]
    assert 30 <= summary["requests"] <= 41
    assert summary["failures"] == 0 and {r["protocol"] for r in rows} == {"h2"}
