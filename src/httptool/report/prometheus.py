"""``--out prometheus=HOST:PORT``: a ``/metrics`` endpoint for the run, scraped live.

Why a custom collector and not prometheus_client's Counter objects: the load never
touches this module. The coordinator already merges every shard's (and every cluster
worker's) snapshots into a :class:`RunResult` a few times a second for the progress line;
:meth:`PrometheusExporter.update` only keeps a reference to the newest one, and each
scrape renders it (in prometheus_client's server thread). So the numbers a scraper sees
are the ones the summary prints, and the last scrape after the end equals the summary.

Latency is a **histogram** (``httptool_http_req_duration_seconds``, buckets
:data:`BUCKETS_S`), not a summary: buckets add up across runs, workers and instances
(``histogram_quantile`` over ``sum by (le)``), a summary's quantiles do not. The exact
percentiles stay in the summary, the JSON and the dashboard.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from itertools import pairwise
from statistics import median
from typing import Any

import numpy as np
from prometheus_client import start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from httptool.metrics.histogram import Histogram, bucket_values
from httptool.metrics.result import RunResult
from httptool.report.listen import ListenAddress

#: Upper bounds (seconds) of the latency histogram's buckets (+Inf is added).
BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
             30.0, 60.0)
#: Status label of a request that got no response (a transport error, a resent copy).
NO_RESPONSE = "0"
#: Longest wait after the run for the scraper to read the final numbers.
FINAL_SCRAPE_MAX = 15.0


def histogram_buckets(h: Histogram) -> list[tuple[str, float]]:
    """Cumulative ``(le, count)`` pairs of ``h`` at :data:`BUCKETS_S`, then ``+Inf``
    (within the histogram's 0.05 % bucket resolution)."""
    idx, counts = h.sparse()
    out: list[tuple[str, float]] = []
    if len(idx):
        values = bucket_values(idx)
        cum = np.cumsum(counts)
        for le in BUCKETS_S:
            pos = int(np.searchsorted(values, int(le * 1e9), side="right"))
            out.append((repr(le), float(cum[pos - 1]) if pos else 0.0))
    else:
        out = [(repr(le), 0.0) for le in BUCKETS_S]
    out.append(("+Inf", float(h.count)))
    return out


def families(result: RunResult, scenario: str, final: bool) -> list[Metric]:
    """Every metric of ``result``, labelled with ``scenario`` (see docs/outputs.md)."""
    reqs = CounterMetricFamily("httptool_http_reqs", "Requests sent (each resent copy "
                               "too), by HTTP status; status 0: no response",
                               labels=["scenario", "request", "status"])
    failed = CounterMetricFamily("httptool_http_req_failed", "Failed requests by kind "
                                 "(transport errors, status, assertion, ...)",
                                 labels=["scenario", "request", "kind"])
    duration = HistogramMetricFamily("httptool_http_req_duration_seconds", "Request latency "
                                     "(from the scheduled start in the open model)",
                                     labels=["scenario", "request"])
    sent = CounterMetricFamily("httptool_data_sent_bytes", "Bytes sent",
                               labels=["scenario", "request"])
    received = CounterMetricFamily("httptool_data_received_bytes", "Bytes received",
                                   labels=["scenario", "request"])
    for name, r in result.requests.items():
        counted = 0
        for code in sorted(r.statuses):
            reqs.add_metric([scenario, name, str(code)], r.statuses[code])
            counted += r.statuses[code]
        if r.errors + r.resent:
            reqs.add_metric([scenario, name, NO_RESPONSE], r.errors + r.resent)
        if r.responses > counted:  # responses recorded without a status (not the engine's)
            reqs.add_metric([scenario, name, "unknown"], r.responses - counted)
        for kind in sorted(r.failures_by_kind):
            failed.add_metric([scenario, name, kind], r.failures_by_kind[kind])
        h = r.latency_hist
        duration.add_metric([scenario, name], histogram_buckets(h), h.sum / 1e9)
        sent.add_metric([scenario, name], r.bytes_sent)
        received.add_metric([scenario, name], r.bytes_received)
    checks = CounterMetricFamily("httptool_checks", "Check evaluations by result",
                                 labels=["scenario", "check", "result"])
    for name, check in result.checks.items():
        checks.add_metric([scenario, name, "pass"], check.passed)
        checks.add_metric([scenario, name, "fail"], check.failed)
    one = [scenario]
    gauges: list[Metric] = []
    for metric_name, text, value in (
            ("httptool_vus", "VUs inside an iteration now", result.active),
            ("httptool_vus_max", "Most VUs active at once (summed over workers)",
             result.vus_max),
            ("httptool_run_finished", "1 once the run has ended (these are its final "
             "numbers)", 1 if final else 0)):
        g = GaugeMetricFamily(metric_name, text, labels=["scenario"])
        g.add_metric(one, value)
        gauges.append(g)
    counters: list[Metric] = []
    for metric_name, text, value in (
            ("httptool_iterations", "Iterations completed", result.completed),
            ("httptool_dropped_iterations", "Iterations not started (open model: no free "
             "VU)", result.dropped),
            ("httptool_interrupted_iterations", "Iterations cut at the end of the grace "
             "period", result.interrupted)):
        c = CounterMetricFamily(metric_name, text, labels=["scenario"])
        c.add_metric(one, value)
        counters.append(c)
    return [reqs, failed, duration, sent, received, checks, *counters, *gauges]


class RunCollector(Collector):
    """Renders the newest merged result on each scrape; remembers when scrapes came."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self._result = RunResult()
        self._final = False
        self.scrapes: list[float] = []
        self.final_scraped = threading.Event()

    def update(self, result: RunResult, final: bool = False) -> None:
        self._result = result  # one reference store: the scrape thread reads whole objects
        self._final = final

    def describe(self) -> list[Metric]:
        return []  # no fixed set (labels come from the run): never checked for clashes

    def collect(self) -> Iterator[Metric]:
        result, final = self._result, self._final
        self.scrapes.append(time.monotonic())
        yield from families(result, self.scenario, final)
        if final:
            self.final_scraped.set()


class PrometheusExporter:
    """The ``/metrics`` server (prometheus_client's, in a daemon thread) of one run.

    Binds in the constructor, so a port in use fails (OSError) before any load starts."""

    def __init__(self, addr: ListenAddress, scenario: str) -> None:
        self.collector = RunCollector(scenario)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        self._server: Any
        self._server, self._thread = start_http_server(addr.port, addr.host,
                                                       registry=self.registry)
        self.port = int(self._server.server_port)
        self.url = addr.url(self.port, "/metrics")

    def update(self, result: RunResult) -> None:
        self.collector.update(result)

    def finish(self, result: RunResult) -> None:
        """The run's final result: what every later scrape returns."""
        self.collector.update(result, final=True)

    def wait_final_scrape(self, limit: float = FINAL_SCRAPE_MAX) -> bool:
        """If something scraped during the run, wait (about two of its intervals, at
        most ``limit`` s) for it to scrape the final numbers, so the last values it
        stores are the summary's; nobody scraping: no wait. True if it did scrape them."""
        times = list(self.collector.scrapes)
        if not times:
            return False
        gaps = [b - a for a, b in pairwise(times)]
        wait = min(limit, 2 * median(gaps) + 1.0 if gaps else 5.0)
        return self.collector.final_scraped.wait(wait)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
