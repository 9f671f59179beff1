"""Template render alone: ns per render of a JSON body and a URL, pure vs compiled copies.

Not a test. Each ``--src`` tree (default: this checkout's src/; add the copies that
bench/compiled_copies.py prints) runs in its own child pinned to CPU 1, interleaved round
by round; medians of the rounds::

    .venv/bin/python bench/render_speed.py --rounds 3 \\
        --src src --src /tmp/httptool-compiled/cython/src --src /tmp/httptool-compiled/mypyc/src

The child renders ``{"user":"${user}","pass":"${pw}"}`` (JSON string escaping) and
``http://127.0.0.1:8080/me/${token}`` (path escaping) with compiled Renderers, 200,000
times, 7 times, and prints the median and which file ``interpolate`` came from. ``--pure``
adds each tree again with ``HTTPTOOL_PURE=1`` (the checkout's compiled build vs its
``.py``, same rounds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from _common import ROOT, pure_env

PURE = "(HTTPTOOL_PURE=1)"

CHILD = """
import json, statistics, sys, time
sys.path.insert(0, {src!r})
from httptool.dsl.template import parse_template
from httptool.engine import interpolate
from httptool.engine.interpolate import Scope, compile_template
body = compile_template(parse_template('{{"user":"${{user}}","pass":"${{pw}}"}}', 1, 1,
                                       "json_string"))
url = compile_template(parse_template("http://127.0.0.1:8080/me/${{token}}", 1, 1, "path"))
scope = Scope(globals={{"user": "alice", "pw": 7, "token": "abc123"}})
rb, ru = body.render, url.render
assert rb(scope) == '{{"user":"alice","pass":"7"}}' and ru(scope).endswith("/me/abc123")
times = []
for _ in range(7):
    t = time.perf_counter()
    for _ in range(200_000):
        rb(scope)
        ru(scope)
    times.append((time.perf_counter() - t) / 200_000 * 1e9)
print(json.dumps({{"ns": statistics.median(times), "file": interpolate.__file__}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", action="append", default=[], help="a tree holding httptool/")
    ap.add_argument("--pure", action="store_true",
                    help="each tree also with HTTPTOOL_PURE=1 (its compiled build unused)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    trees = [str(Path(s).resolve()) for s in (args.src or [str(ROOT / "src")])]
    trees += [f"{t} {PURE}" for t in trees] if args.pure else []
    runs: dict[str, list[float]] = {t: [] for t in trees}
    files: dict[str, str] = {}
    for rnd in range(1, min(args.rounds, 20) + 1):
        for t in trees:
            tree, pure = t.removesuffix(f" {PURE}"), t.endswith(PURE)
            env = pure_env(pure)
            out = subprocess.run(["taskset", "-c", "1", sys.executable, "-c",
                                  CHILD.format(src=tree)], capture_output=True, text=True,
                                 check=True, timeout=300, env=env).stdout
            doc = json.loads(out.strip().splitlines()[-1])
            runs[t].append(doc["ns"])
            files[t] = Path(doc["file"]).name
            print(f"round {rnd}: {t} {doc['ns']:.0f} ns", file=sys.stderr)
    print("| tree | interpolate from | ns per body + URL render (median) |\n|---|---|---:|")
    for t in trees:
        print(f"| {t} | {files[t]} | {statistics.median(runs[t]):.0f} |")


if __name__ == "__main__":
    main()
