"""HTTP/2 codec alone: ns per request's frames + HPACK, compiled build vs ``.py``.

Not a test. The per-request work of engine/h2frames and engine/h2hpack as the h2 client
does it: encode a request's header block (memoised), frame it, decode a response block
(nginx-like, from the ``hpack`` library's encoder, which refers to its dynamic table, so
every block takes the full decoding path, not the memo; a fresh ``date`` every 1,000).
Each variant (the checkout's build, and with ``--pure`` the same tree under
``HTTPTOOL_PURE=1``) runs in its own child pinned to CPU 1, interleaved round by round; medians::

    .venv/bin/python bench/h2codec_speed.py --rounds 5 --pure
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from _common import ROOT, pure_env

CHILD = """
import json, statistics, sys, time
sys.path.insert(0, {src!r})
import hpack
from httptool.engine import h2frames
from httptool.engine.h2hpack import Decoder
req = [(b":method", b"GET"), (b":scheme", b"http"), (b":authority", b"127.0.0.1:8443"),
       (b":path", b"/static"), (b"user-agent", b"httptool/0.1.0"), (b"accept", b"*/*")]
enc = hpack.Encoder()
blocks = [enc.encode([(b":status", b"200"), (b"server", b"nginx/1.22.1"),
                      (b"date", b"Fri, 04 Dec 2026 01:%02d:%02d GMT" % divmod(i, 60)),
                      (b"content-type", b"text/plain"), (b"content-length", b"2")])
          for i in range(200)]
dec = Decoder(65536)
times = []
for _ in range(7):
    t = time.perf_counter()
    for b in blocks:
        for _ in range(1000):
            h2frames.headers_frames(1, h2frames.encode(req), True, 16384)
            dec.decode(b)
    times.append((time.perf_counter() - t) / 200_000 * 1e9)
print(json.dumps({{"ns": statistics.median(times), "file": h2frames.__file__}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pure", action="store_true", help="also under HTTPTOOL_PURE=1")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    variants = ["compiled build", *(["HTTPTOOL_PURE=1"] if args.pure else [])]
    runs: dict[str, list[float]] = {v: [] for v in variants}
    files: dict[str, str] = {}
    for rnd in range(1, min(args.rounds, 20) + 1):
        for v in variants:
            env = pure_env(v != variants[0])
            out = subprocess.run(["taskset", "-c", "1", sys.executable, "-c",
                                  CHILD.format(src=str(ROOT / "src"))], env=env,
                                 capture_output=True, text=True, check=True,
                                 timeout=300).stdout
            doc = json.loads(out.strip().splitlines()[-1])
            runs[v].append(doc["ns"])
            files[v] = os.path.basename(doc["file"])
            print(f"round {rnd}: {v} {doc['ns']:.0f} ns", file=sys.stderr)
    print("| variant | h2frames from | ns per request's frames + HPACK (median) |")
    print("|---|---|---:|")
    for v in variants:
        print(f"| {v} | {files[v]} | {statistics.median(runs[v]):.0f} |")


if __name__ == "__main__":
    main()
