"""Parse + compile speed of a generated ~1 MB scenario file (goal: under 1 s).

    .venv/bin/python bench/parse_speed.py [--size-mb 1.0] [--repeat 5] [--keep FILE]

The file mixes every request style (block with multi-line curl, decorator, shorthand,
JSON-like, arrow) with browser-like header-heavy curls, and scenarios whose flows use
chains, nesting, parallel, if/else, foreach and thresholds. Prints the best and median
wall time of parse+compile over --repeat runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from httptool.dsl import compile_source

HEADERS = "".join(
    f"    -H '{name}: {value}' \\\n"
    for name, value in [
        ("accept", "application/json"), ("accept-language", "en-US,en;q=0.9"),
        ("cache-control", "no-cache"), ("sec-fetch-mode", "cors"),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/143.0"),
    ]
)


def request_text(i: int) -> str:
    style = i % 5
    if style == 0:
        return (
            f"request r{i} {{\n  curl -X POST ${{base}}/posts/{i}?page=${{ITER}} \\\n{HEADERS}"
            f"    -H 'Authorization: Bearer ${{token}}' -H 'Content-Type: application/json' \\\n"
            f"    -d '{{\"title\":\"t{i}\",\"user\":\"${{VU}}\",\"n\":{i}}}'\n"
            f"  extract {{\n    id{i} = $.id\n    rid{i} = header:X-Request-Id\n  }}\n"
            f"  assert {{\n    status in [200, 201]\n    latency < 500ms\n"
            f"    body.title == \"t{i}\"\n  }}\n"
            f"  retry {{ max_attempts = 3  backoff = exponential  base_delay = 100ms }}\n}}\n"
        )
    if style == 1:
        return (
            f"@request r{i}\n  curl ${{base}}/users/{i} -H 'Accept: application/json'\n"
            f"  assert status == 200, $.id exists\nend\n"
        )
    if style == 2:
        return (
            f"req r{i}: curl -sS ${{base}}/posts/{i} -H 'X-N: {i}' | extract t{i}=$.title"
            f" | assert status==200\n"
        )
    if style == 3:
        return (
            f'request "r{i}" {{ curl: `curl ${{base}}/comments?postId={i}`, '
            f'extract: {{ c{i}: "$[0].id" }}, assert: {{ status: 200, latency: "<800ms" }} }}\n'
        )
    return f"r{i} = curl ${{base}}/todos/{i} >> extract d{i}=$.done >> assert status==200\n"


def scenario_text(j: int, first: int, n: int) -> str:
    names = [f"r{first + k}" for k in range(n)]
    return (
        f"scenario s{j} {{\n  load {{ vus = 10  duration = 1m  ramp_up = 10s }}\n"
        f"  thresholds {{ p95 < 500ms  error_rate < 1%  {names[0]}.p99 < 1s }}\n"
        f"  run {names[0]} -> {names[1]}\n    -> {names[2]}\n"
        f"  run {names[3]} {{\n    parallel {{\n      run {names[4]}\n      run {names[5]}\n"
        f"    }}\n  }}\n  if ${{flag}} == \"on\" {{ run {names[6]} }} else {{ think 1s..2s }}\n"
        f"  foreach row in rows limit 3 {{ run {names[7]} }}\n}}\n"
    )


def generate(size: int) -> str:
    parts = ['var base = "http://127.0.0.1:8080"\nvar token = "t"\nvar flag = "on"\n',
             "data rows = [ { id: 1 }, { id: 2 } ]\n"]
    total = sum(map(len, parts))
    i = j = 0
    while total < size:
        for _ in range(8):
            t = request_text(i)
            parts.append(t)
            total += len(t)
            i += 1
        t = scenario_text(j, i - 8, 8)
        parts.append(t)
        total += len(t)
        j += 1
    return "".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", help="also write the generated file here")
    args = ap.parse_args()
    text = generate(int(args.size_mb * 1024 * 1024))
    if args.keep:
        Path(args.keep).write_text(text, encoding="utf-8")
    with tempfile.TemporaryDirectory() as d:
        path = str(Path(d) / "big.httpx")
        Path(path).write_text(text, encoding="utf-8")
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            plan, diags = compile_source(text, path)
            times.append(time.perf_counter() - t0)
        if plan is None:
            print(diags.render(text)[:2000], file=sys.stderr)
            return 1
    print(f"file: {len(text) / 1024 / 1024:.2f} MB, {text.count(chr(10))} lines, "
          f"{len(plan.requests)} requests, {len(plan.scenarios)} scenarios, "
          f"{len(diags.warnings)} warnings")
    print(f"parse+compile: best {min(times):.3f} s, median {statistics.median(times):.3f} s "
          f"over {args.repeat} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
