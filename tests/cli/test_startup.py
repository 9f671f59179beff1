"""``httptool --help`` and ``--version`` start like a small CLI: they import no layer below
the command line (issue 20). An import check in a fresh interpreter, not a timer, so it
cannot flake on a busy machine; bench/startup.py measures the time itself."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from httptool.cli.app import COMMANDS, cli
from httptool.cli.lazy import load_command, stand_in

#: what --help and --version must not load: the layers, the heavy libraries
HEAVY = ("httptool.engine", "httptool.target", "httptool.report.html", "httptool.metrics",
         "httptool.run", "httptool.dsl", "aiohttp", "numpy", "dask", "jinja2")

PROBE = """
import json, sys
from httptool.cli import main
try:
    main({args!r})
except SystemExit as e:
    code = e.code
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def loaded_by(args: list[str]) -> tuple[int, list[str], str]:
    code = PROBE.format(args=args)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    out = r.stdout.strip().splitlines()
    doc = json.loads(out[-1])
    return doc["code"], doc["modules"], "\n".join(out[:-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["-h"]])
def test_help_and_version_import_no_layer(args: list[str]) -> None:
    code, modules, text = loaded_by(args)
    assert code == 0
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY
                   or any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == [], f"{args} imported {heavy}"
    assert "exec" in text or "version" in text


def test_version_names_the_hot_path() -> None:
    from httptool.implementation import hot_path  # its cases: tests/test_implementation.py

    code, _, text = loaded_by(["--version"])
    assert code == 0
    assert text == f"httptool, version 0.1.0 ({hot_path()})"
    assert hot_path().startswith(("compiled: ", "pure Python: "))


@pytest.mark.parametrize("limit", [30, 45, 60, 200])
def test_stored_one_line_help_is_the_commands_own(limit: int) -> None:
    """The root's listing shows the stored line; it must read as the command's own would."""
    for name, (target, short) in COMMANDS.items():
        own = load_command(target).get_short_help_str(limit)
        assert own == stand_in(name, short).get_short_help_str(limit), name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_loads_and_runs(name: str) -> None:
    r = CliRunner().invoke(cli, [name, "--help"], prog_name="httptool")
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"Usage: httptool {name} "), r.output


def test_exec_of_one_curl_loads_no_target_report_or_jsonpath() -> None:
    """``exec`` should start like curl: what it cannot use stays unloaded (a refused
    connection is enough: the request path is loaded and run)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    code, modules, _ = loaded_by(["exec", f"curl -s http://127.0.0.1:{port}/"])
    assert code != 0
    assert "httptool.engine.client" in modules  # it did try
    unused = ("aiohttp", "dask", "jsonpath", "httptool.target", "httptool.report.html",
              "jinja2", "h2", "hpack")
    assert sorted(m for m in modules if m.split(".")[0] in unused
                  or any(m == u or m.startswith(u + ".") for u in unused)) == []


def test_a_quiet_scenario_run_loads_only_what_it_uses(tmp_path) -> None:
    """No JSONPath in the file, no terminal: their libraries stay unloaded (python-jsonpath,
    the live panel's rich modules), as do the target's (aiohttp) and dask's."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    f = tmp_path / "one.httpx"
    f.write_text(f"request a {{\n  curl http://127.0.0.1:{port}/\n}}\n"
                 "scenario s {\n  load 1 iterations with 1 vus\n  run a\n}\n")
    code, modules, _ = loaded_by(["scenario", "run", str(f), "--workers", "1", "--quiet"])
    assert code == 0, code  # a refused request is a failure, not a failed run
    assert "httptool.engine.vu" in modules  # it did run
    unused = ("aiohttp", "dask", "jsonpath", "httptool.target", "rich.live", "rich.panel",
              "rich.table", "h2", "hpack")
    assert sorted(m for m in modules if m.split(".")[0] in unused
                  or any(m == u or m.startswith(u + ".") for u in unused)) == []
