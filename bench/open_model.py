"""Open model pacing on one core: achieved rate, worst 1-s window, dropped, CPU.

Not a test. Run as root on Debian (installs nginx and wrk when missing):

    .venv/bin/python bench/open_model.py [--rates 10000,50000] [--duration 10] [--rounds 3] \
        [--profile]

For each rate R the scenario ``load R rps for D`` of one static GET (``assert { status ==
200 }``) runs through ``run_shard`` (one shard, child pinned to CPU 1) against nginx
(CPU 0); the rates are interleaved in every round. Reported per rate (medians over the
rounds): the achieved rate (requests that completed within the load's D seconds, from
the run's time series ``RunResult.series``, / D), the worst full 1-s window of that
series (second 0 and seconds from D on are partial and left out), dropped iterations (no
free VU, and the pool at ``max_vus`` or the generator's loop saturated: see
engine/saturation.py), how long ``run_shard`` ran past D (iterations that found a free
VU late start late rather than being dropped), latency p99 measured from the
scheduled start vs service time p99 (the difference is the pacer's lag), and the
generator's CPU (seconds, and per request). Goal: achieved rate and every full 1-s
window within 0.5 % of R, nothing dropped. ``--profile`` adds one run at the first rate
under py-spy.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from _common import (
    ensure_tools,
    machine,
    machine_line,
    median,
    nginx,
    per_request,
    profile_report,
    run_scenario,
    scenario_text,
    table,
    write_json,
)

GOAL = 0.005  # 0.5 %



def windows(r: dict[str, Any], duration: int) -> list[int]:
    """Requests of the full seconds 1 .. D-1 (0 where a second had none)."""
    per = {int(s): int(n) for s, n in r["series"]}
    return [per.get(s, 0) for s in range(1, duration)]


def measure(base: str, rate: int, duration: int) -> dict[str, Any]:
    """One run at ``rate`` for ``duration`` s: the shard child's figures plus the pacing
    ones (``achieved``, ``achieved_dev``, ``worst_window``, ``worst_dev``, ``min_window``,
    ``max_window``, ``overrun``)."""
    text = scenario_text(base, "open", f"{rate} rps for {duration}s")
    r = per_request(run_scenario(text, timeout=duration + 90, nofile=20000))
    w = windows(r, duration)
    in_d = sum(n for sec, n in r["series"] if 0 <= sec < duration)
    r["achieved"] = in_d / duration
    r["overrun"] = r["seconds"] - duration
    r["achieved_dev"] = (r["achieved"] - rate) / rate
    r["worst_window"] = max(w, key=lambda n: abs(n - rate))
    r["worst_dev"] = (r["worst_window"] - rate) / rate
    r["min_window"], r["max_window"] = min(w), max(w)
    return r


def round_text(rate: int, r: dict[str, Any]) -> str:
    svc = r["service_ms"] or {}
    return (f"R={rate}: achieved {r['achieved']:,.1f}/s "
            f"(run took {r['seconds']:.1f} s for {r['completed']:,} iterations) "
            f"({r['achieved_dev']:+.3%}), windows {r['min_window']:,}–"
            f"{r['max_window']:,}, dropped {r['dropped']:,}, failures "
            f"{r['failures']}, p99 {r['latency_ms']['p99']:.2f} ms (service "
            f"{svc.get('p99', 0):.2f}), VUs {r['vus_created']}, CPU "
            f"{r['cpu']:.1f} s, {r['us_per_req']:.2f} µs/req (user "
            f"{r['user_us']:.2f}, sys {r['sys_us']:.2f})")


def met(rs: list[dict[str, Any]]) -> bool:
    """Every round within the goal: achieved rate and every full second, nothing dropped."""
    return all(abs(r["achieved_dev"]) <= GOAL and abs(r["worst_dev"]) <= GOAL
               and r["dropped"] == 0 for r in rs)


def summary_table(runs: dict[int, list[dict[str, Any]]]) -> str:
    """Medians per rate (worst window over all rounds) as a markdown table."""
    rows = []
    for rate, rs in runs.items():
        ach = median(rs, lambda r: r["achieved"])
        worst = max(rs, key=lambda r: abs(r["worst_dev"]))  # worst of all rounds
        rows.append([
            f"{rate:,}/s", f"{ach:,.0f} ({(ach - rate) / rate:+.2%})",
            f"{worst['worst_window']:,} ({worst['worst_dev']:+.2%})",
            f"{median(rs, lambda r: r['dropped']):,.0f} (max {max(r['dropped'] for r in rs):,})",
            f"{median(rs, lambda r: r['latency_ms']['p99']):.2f} / "
            f"{median(rs, lambda r: (r['service_ms'] or {}).get('p99', 0)):.2f}",
            f"{median(rs, lambda r: r['overrun']):.1f} s",
            f"{median(rs, lambda r: r['vus_created']):,.0f}",
            f"{median(rs, lambda r: r['cpu']):.1f}",
            f"{median(rs, lambda r: r['us_per_req']):.2f} ("
            f"{median(rs, lambda r: r['user_us']):.2f} + {median(rs, lambda r: r['sys_us']):.2f})",
            "met" if met(rs) else "NOT met",
        ])
    return table(["target R", "achieved (median)", "worst full 1-s window (all rounds)",
                  "dropped (median)", "p99 ms from schedule / service (median)",
                  "ran past D (median)", "VUs created", "CPU s",
                  "CPU µs/request (user + system)", "goal ±0.5 %, 0 dropped"], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", default="10000,50000")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="one more run under py-spy")
    args = ap.parse_args()
    rates = [int(x) for x in args.rates.split(",")]
    ensure_tools()
    m = machine()
    runs: dict[int, list[dict[str, Any]]] = {r: [] for r in rates}
    with nginx(connections=8192) as base:
        for rnd in range(1, min(args.rounds, 20) + 1):
            for rate in rates:
                r = measure(base, rate, args.duration)
                runs[rate].append(r)
                print(f"round {rnd} {round_text(rate, r)}", file=sys.stderr)
        prof: dict[str, Any] = {}
        if args.profile:
            prof = profile_report(scenario_text(base, "open",
                                                f"{rates[0]} rps for {args.duration}s"),
                                  args.duration + 90, "open_model")
    md = summary_table(runs)
    print(f"\n{machine_line(m)} · {args.duration}s × {args.rounds} rounds\n")
    print(md)
    if prof:
        print("\n" + prof["markdown"])
    path = write_json("open_model", {"machine": m, "args": vars(args),
                                     "runs": {str(k): v for k, v in runs.items()},
                                     "goal": GOAL, "table": md, "profile": prof})
    print(f"JSON: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
