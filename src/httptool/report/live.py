"""The servers a run opens for people and scrapers watching it: ``--out prometheus`` and
``--dashboard``; one object so the CLI opens, feeds, finishes and closes them together.

Why the order matters: both bind before the load (a port in use is exit 2 with nothing
sent), both are fed only merged results from the coordinator (never the hot path), and
at the end they get the final numbers before the process waits (the last Prometheus
scrape, ``--dashboard-linger``) and closes them.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from httptool.metrics.result import RunResult
from httptool.report.info import RunInfo
from httptool.report.listen import ListenAddress
from httptool.report.thresholds import ThresholdOutcome

if TYPE_CHECKING:  # prometheus_client costs ~60 ms to import: only runs that use it pay
    from httptool.plan import Threshold
    from httptool.report.prometheus import PrometheusExporter
    from httptool.report.validity import Validity


class LiveServerError(Exception):
    """A server could not be opened: one line for the user (exit 2)."""


class FinalPage(Protocol):
    """What the dashboard needs at the end (see :mod:`httptool.report.live_server`)."""

    url: str

    def update(self, result: RunResult) -> None: ...

    def finish(self, result: RunResult, info: RunInfo, outcomes: Sequence[ThresholdOutcome],
               validity: Validity | None = None) -> None: ...

    def close(self) -> None: ...


def bind_error(flag: str, addr: ListenAddress, e: OSError) -> LiveServerError:
    why = os.strerror(e.errno) if e.errno else (e.strerror or str(e))  # asyncio's is long
    return LiveServerError(f"{flag}: cannot listen on {addr.host}:{addr.port}: {why}"
                           + (" (another process uses the port; pick another one)"
                              if getattr(e, "errno", None) == 98 else ""))


class LiveOutputs:
    """Zero or more Prometheus endpoints and at most one dashboard, all already bound."""

    def __init__(self) -> None:
        self.exporters: list[PrometheusExporter] = []
        self.dashboard: FinalPage | None = None

    @property
    def active(self) -> bool:
        return bool(self.exporters) or self.dashboard is not None

    def add_prometheus(self, addr: ListenAddress, scenario: str) -> PrometheusExporter:
        from httptool.report.prometheus import PrometheusExporter

        try:
            exp = PrometheusExporter(addr, scenario)
        except OSError as e:
            raise bind_error(f"--out prometheus={addr.host}:{addr.port}", addr, e) from None
        self.exporters.append(exp)
        return exp

    def add_dashboard(self, addr: ListenAddress, info: RunInfo,
                      thresholds: Sequence[Threshold], names: Sequence[str]) -> FinalPage:
        from httptool.report.live_server import Dashboard

        try:
            self.dashboard = Dashboard(addr, info, thresholds, names)
        except OSError as e:
            raise bind_error("--dashboard", addr, e) from None
        return self.dashboard

    def update(self, result: RunResult) -> None:
        for exp in self.exporters:
            exp.update(result)
        if self.dashboard is not None:
            self.dashboard.update(result)

    def finish(self, result: RunResult, info: RunInfo, outcomes: Sequence[ThresholdOutcome],
               validity: Validity | None = None) -> None:
        for exp in self.exporters:
            exp.finish(result)
        if self.dashboard is not None:
            self.dashboard.finish(result, info, outcomes, validity)

    def hold(self, linger: bool, say: Callable[[str], None]) -> None:
        """After the run: let each scraper read the final numbers; with ``linger``, keep
        serving the dashboard's final page until Ctrl-C (or SIGTERM)."""
        for exp in self.exporters:
            exp.wait_final_scrape()
        if linger and self.dashboard is not None:
            say(f"dashboard: the final result stays at {self.dashboard.url} until Ctrl-C")
            wait_for_stop()

    def close(self) -> None:
        """Close every server (each even if another fails). Idempotent."""
        servers: list[Callable[[], None]] = [e.close for e in self.exporters]
        if self.dashboard is not None:
            servers.append(self.dashboard.close)
        self.exporters, self.dashboard = [], None
        for close in servers:
            try:
                close()
            except OSError:
                pass


def wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM (main thread; elsewhere: return at once)."""
    if threading.current_thread() is not threading.main_thread():
        return
    stop = threading.Event()
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for s, h in old.items():
            signal.signal(s, h)
