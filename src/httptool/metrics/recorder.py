"""The hot-path recorder a shard's VUs write into.

Why lists and not method calls: appending an int to a list costs ~15 ns, a Python call
several times that (DESIGN.md, "Latency recording"). So for each request name the engine
holds a :class:`RequestStats` and, for a request that got a response, does only::

    st.lat.append(latency_ns)   # open model: from the scheduled start; else from the send
    st.end.append(end_ns)       # time.monotonic_ns() when the response completed
    st.vu.append(vu_id)
    st.ttfb.append(ttfb_ns)
    st.code.append(status)      # the response's HTTP status
    st.bytes_sent += n_sent
    st.bytes_received += n_received
    # only when they apply:
    st.conn.append(connect_ns)  # a new connection was opened for this request
    st.svc.append(service_ns)   # open model: service time, from the actual send

``lat``, ``end`` and ``vu`` must stay aligned (append all three, with no ``await`` in
between). A failed request additionally calls ``st.fail(kind, vu_id, end_ns)`` (once per
request); a request that ended without a response calls only
``st.error(kind, vu_id, end_ns)`` (it counts as a request and a failure, with no latency).
A copy of a request that reached the wire, got no answer and was sent again by the client
(``Response.copies``) calls ``st.resend(vu_id, end_ns)``: a request, neither a response
nor a failure (the request's outcome is its last copy's), so that
``requests = responses + errors + resent`` and the total equals what the server received.
A completed iteration appends the VU id to ``recorder.iter_vu``; a check does
``chk.passed += 1`` or ``chk.failed += 1`` on the :class:`CheckStats` it holds.

Per-VU requests, failures and latency sums are *derived* from the same rows as the
per-name totals (the ``vu`` list), so the sum over VUs equals the total by construction.

:meth:`Recorder.maybe_flush` (cheap; call it e.g. once per iteration) folds the buffers
into histograms when they hold ``flush_at`` items; :meth:`Recorder.snapshot` always folds.
The recorder is used from one thread (the shard's event loop).
"""

from __future__ import annotations

import heapq
import time

import numpy as np

from httptool.metrics.histogram import Histogram, as_int64
from httptool.metrics.series import TimeSeries
from httptool.metrics.snapshot import RequestSnapshot, Snapshot, VUTable

#: Buffered requests that trigger a fold in maybe_flush: big batches amortise the fold's
#: fixed cost (bench/metrics_memory.py: ~350 ns/request at 16 k, ~225 at 64 k); the lists
#: then peak near 10 MB, and a snapshot (~1 s) folds whatever is buffered anyway.
FLUSH_AT = 65_536
#: ``--trace``: how many of the slowest requests (with their trace ids) are kept.
SLOWEST = 10
#: maybe_flush counts the buffers once in this many calls.
CHECK_EVERY = 32
#: A second is carried by the snapshots taken while it is among the last SERIES_WINDOW + 1
#: seconds, then dropped from the shard. With a fold at every snapshot (~1 s) only the
#: last one or two seconds still change; the margin lets a snapshot or two go missing.
SERIES_WINDOW = 3

_VU_COLS = 6  # iterations, requests, failed, latency_sum_ns, latency_count, resent
_ITER, _REQ, _FAIL, _LSUM, _LCNT, _RESENT = range(_VU_COLS)


class CheckStats:
    """Pass/fail counts of one check; the engine increments the attributes directly."""

    __slots__ = ("failed", "name", "passed")

    def __init__(self, name: str) -> None:
        self.name = name
        self.passed = 0
        self.failed = 0


class RequestStats:
    """Buffers and folded totals of one request name (see the module docstring)."""

    __slots__ = (
        "_rec", "bytes_received", "bytes_sent", "code", "conn", "connect_hist", "end", "err_end",
        "err_vu", "errors", "fail_end", "fail_vu", "failures", "h2", "lat", "latency", "name",
        "res_end", "res_vu", "resent", "responses", "service", "statuses", "svc", "ttfb",
        "ttfb_hist", "vu",
    )

    def __init__(self, name: str, recorder: Recorder) -> None:
        self.name = name
        self._rec = recorder
        # hot-path buffers (cleared in place by fold, so bound .append methods stay valid)
        self.lat: list[int] = []
        self.end: list[int] = []
        self.vu: list[int] = []
        self.ttfb: list[int] = []
        self.conn: list[int] = []
        self.svc: list[int] = []
        self.code: list[int] = []
        self.fail_end: list[int] = []
        self.fail_vu: list[int] = []
        self.err_end: list[int] = []
        self.err_vu: list[int] = []
        self.res_end: list[int] = []
        self.res_vu: list[int] = []
        self.bytes_sent = 0
        self.bytes_received = 0
        #: failed requests by kind; exact at any moment (not buffered)
        self.failures: dict[str, int] = {}
        # folded
        self.responses = 0
        self.errors = 0
        self.resent = 0
        #: responses by HTTP status (folded from ``code``; for ``--out prometheus``)
        self.statuses: dict[int, int] = {}
        #: responses that came over HTTP/2 (the others over HTTP/1.1); exact at any moment
        self.h2 = 0
        self.latency = Histogram()
        self.ttfb_hist = Histogram()
        self.connect_hist = Histogram()
        self.service: Histogram | None = None

    def fail(self, kind: str, vu: int, end_ns: int) -> None:
        """Count this request (already recorded, or recorded next) as failed, once."""
        self.failures[kind] = self.failures.get(kind, 0) + 1
        self.fail_end.append(end_ns)
        self.fail_vu.append(vu)

    def error(self, kind: str, vu: int, end_ns: int) -> None:
        """A request that ended without a response: one request, one failure, no latency."""
        self.failures[kind] = self.failures.get(kind, 0) + 1
        self.fail_end.append(end_ns)
        self.fail_vu.append(vu)
        self.err_end.append(end_ns)
        self.err_vu.append(vu)

    def resend(self, vu: int, end_ns: int) -> None:
        """A copy that reached the wire, got no answer and was sent again: one request,
        not a response nor a failure (its request's last copy carries the outcome)."""
        self.res_end.append(end_ns)
        self.res_vu.append(vu)

    def record(self, vu: int, latency_ns: int, end_ns: int, ttfb_ns: int, sent: int = 0,
               received: int = 0, connect_ns: int | None = None,
               service_ns: int | None = None, status: int | None = None) -> None:
        """A response, as one call: for tests and non-hot callers (the engine inlines it)."""
        self.lat.append(latency_ns)
        self.end.append(end_ns)
        self.vu.append(vu)
        self.ttfb.append(ttfb_ns)
        if status is not None:
            self.code.append(status)
        self.bytes_sent += sent
        self.bytes_received += received
        if connect_ns is not None:
            self.conn.append(connect_ns)
        if service_ns is not None:
            self.svc.append(service_ns)

    @property
    def pending(self) -> int:
        return len(self.lat) + len(self.err_end) + len(self.res_end)

    @property
    def requests(self) -> int:
        """Requests so far, folded or not."""
        return (self.responses + self.errors + self.resent + len(self.lat) + len(self.err_end)
                + len(self.res_end))

    def fold(self) -> None:
        """Move the buffers into histograms, the time series and the per-VU table."""
        rec = self._rec
        series = rec.series
        if self.lat:
            if not len(self.lat) == len(self.end) == len(self.vu):
                raise RuntimeError(f"request {self.name!r}: lat/end/vu buffers out of step")
            lat = as_int64(self.lat)
            ends = as_int64(self.end)
            vus = as_int64(self.vu)
            self.lat.clear()
            self.end.clear()
            self.vu.clear()
            idx = self.latency.record_many(lat)
            secs = series.second_of(ends)
            series.add_requests(secs)
            series.add_latencies(secs, idx)
            series.raise_active(secs, vus)
            table = rec.vu_columns(int(vus.max()))
            np.add.at(table[_REQ], vus, 1)
            np.add.at(table[_LSUM], vus, lat)
            np.add.at(table[_LCNT], vus, 1)
            self.responses += len(lat)
        if self.err_end:
            ends = as_int64(self.err_end)
            vus = as_int64(self.err_vu)
            self.err_end.clear()
            self.err_vu.clear()
            series.add_requests(series.second_of(ends))
            np.add.at(rec.vu_columns(int(vus.max()))[_REQ], vus, 1)
            self.errors += len(ends)
        if self.res_end:
            ends = as_int64(self.res_end)
            vus = as_int64(self.res_vu)
            self.res_end.clear()
            self.res_vu.clear()
            series.add_requests(series.second_of(ends))
            table = rec.vu_columns(int(vus.max()))
            np.add.at(table[_REQ], vus, 1)
            np.add.at(table[_RESENT], vus, 1)
            self.resent += len(ends)
        if self.fail_end:
            ends = as_int64(self.fail_end)
            vus = as_int64(self.fail_vu)
            self.fail_end.clear()
            self.fail_vu.clear()
            series.add_failures(series.second_of(ends))
            np.add.at(rec.vu_columns(int(vus.max()))[_FAIL], vus, 1)
        if self.code:
            codes, counts = np.unique(as_int64(self.code), return_counts=True)
            self.code.clear()
            for c, n in zip(codes.tolist(), counts.tolist(), strict=True):
                self.statuses[c] = self.statuses.get(c, 0) + n
        if self.ttfb:
            self.ttfb_hist.record_many(self.ttfb)
            self.ttfb.clear()
        if self.conn:
            self.connect_hist.record_many(self.conn)
            self.conn.clear()
        if self.svc:
            if self.service is None:
                self.service = Histogram()
            self.service.record_many(self.svc)
            self.svc.clear()

    def snapshot(self) -> RequestSnapshot:
        """Folded totals (call after :meth:`fold`); histograms are copies."""
        return RequestSnapshot(
            name=self.name, responses=self.responses, errors=self.errors,
            failures=dict(self.failures), bytes_sent=self.bytes_sent,
            bytes_received=self.bytes_received, latency=self.latency.copy(),
            ttfb=self.ttfb_hist.copy(), connect=self.connect_hist.copy(),
            service=None if self.service is None else self.service.copy(),
            resent=self.resent, statuses=dict(self.statuses), h2=self.h2,
        )


class Recorder:
    """All metrics of one shard. ``t0_ns`` is the monotonic origin of the time series
    (give every shard the same origin so their seconds line up; see :func:`origin_ns`)."""

    def __init__(self, shard: int = 0, t0_ns: int | None = None,
                 flush_at: int = FLUSH_AT) -> None:
        self.shard = shard
        self.t0_ns = time.monotonic_ns() if t0_ns is None else t0_ns
        self.flush_at = flush_at
        self.requests: dict[str, RequestStats] = {}
        self.checks: dict[str, CheckStats] = {}
        self.series = TimeSeries(self.t0_ns)
        #: hot path: append the VU id when an iteration completes
        self.iter_vu: list[int] = []
        self.completed = 0
        self.dropped = 0
        self.dropped_saturated = 0
        self.dropped_connecting = 0
        self.dropped_late = 0
        self.interrupted = 0
        #: steps skipped because their parent failed, by request name (not requests)
        self.skipped: dict[str, int] = {}
        # gauges the shard keeps current
        self.vus = 0
        self.vus_max = 0
        self.active = 0
        #: ``--trace``: min-heap of the slowest (latency_ns, trace_id, name, vu, iteration)
        self.slowest: list[tuple[int, str, str, int, int]] = []
        self._vu = np.zeros((_VU_COLS, 64), dtype=np.int64)
        self._seq = 0
        self._countdown = CHECK_EVERY

    def request(self, name: str) -> RequestStats:
        """The stats of request ``name`` (created on first use; hold on to it)."""
        st = self.requests.get(name)
        if st is None:
            st = self.requests[name] = RequestStats(name, self)
        return st

    def check(self, name: str) -> CheckStats:
        """The counters of check ``name`` (created on first use; hold on to it)."""
        c = self.checks.get(name)
        if c is None:
            c = self.checks[name] = CheckStats(name)
        return c

    def note_slow(self, latency_ns: int, trace_id: str, name: str, vu: int,
                  iteration: int) -> None:
        """A traced response: kept if among the :data:`SLOWEST` so far (``--trace`` only)."""
        heap = self.slowest
        if len(heap) < SLOWEST:
            heapq.heappush(heap, (latency_ns, trace_id, name, vu, iteration))
        elif latency_ns > heap[0][0]:
            heapq.heapreplace(heap, (latency_ns, trace_id, name, vu, iteration))

    def vu_columns(self, max_vu: int) -> np.ndarray:
        """The dense per-VU table, grown to hold VU id ``max_vu``."""
        cap = self._vu.shape[1]
        if max_vu >= cap:
            while cap <= max_vu:
                cap *= 2
            grown = np.zeros((_VU_COLS, cap), dtype=np.int64)
            grown[:, : self._vu.shape[1]] = self._vu
            self._vu = grown
        return self._vu

    def sample_active(self, active: int, now_ns: int | None = None) -> None:
        """Record the number of VUs inside an iteration now (the shard calls this often
        enough, e.g. every 100 ms and at every snapshot, for per-second maxima)."""
        self.active = active
        self.vus_max = max(self.vus_max, active)
        self.series.sample_active(time.monotonic_ns() if now_ns is None else now_ns, active)

    @property
    def pending(self) -> int:
        return len(self.iter_vu) + sum(st.pending for st in self.requests.values())

    def maybe_flush(self) -> bool:
        """Fold when ``flush_at`` requests are buffered; returns True if it folded.

        Cheap enough to call once per iteration: it counts the buffers only every
        ``CHECK_EVERY`` calls (~40 ns per call otherwise), so a fold may come up to that
        many iterations late, which only bounds the buffers' size a little higher."""
        self._countdown -= 1
        if self._countdown > 0:
            return False
        self._countdown = CHECK_EVERY
        if self.pending >= self.flush_at:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Fold every buffer now."""
        for st in self.requests.values():
            st.fold()
        if self.iter_vu:
            vus = as_int64(self.iter_vu)
            self.iter_vu.clear()
            np.add.at(self.vu_columns(int(vus.max()))[_ITER], vus, 1)
            self.completed += len(vus)

    def snapshot(self, now_ns: int | None = None, final: bool = False) -> Snapshot:
        """Fold, then the cumulative state (see :mod:`httptool.metrics.snapshot`)."""
        now = time.monotonic_ns() if now_ns is None else now_ns
        self.flush()
        self._seq += 1
        used = np.flatnonzero(self._vu[_ITER] | self._vu[_REQ])
        cols = self._vu[:, used]
        table = VUTable(used.astype(np.int64), *(cols[i].copy() for i in range(_VU_COLS)))
        series = self.series
        latest = max(series.seconds, default=series.sealed)
        snap = Snapshot(
            shard=self.shard, seq=self._seq, elapsed_ns=max(0, now - self.t0_ns), final=final,
            requests={n: st.snapshot() for n, st in self.requests.items()},
            checks={n: (c.passed, c.failed) for n, c in self.checks.items()},
            vu_table=table, completed=self.completed, dropped=self.dropped,
            dropped_saturated=self.dropped_saturated,
            dropped_connecting=self.dropped_connecting, dropped_late=self.dropped_late,
            interrupted=self.interrupted,
            vus=self.vus, vus_max=self.vus_max,
            active=self.active, series_from=series.sealed, series=series.window(series.sealed),
            skipped=dict(self.skipped), slowest=sorted(self.slowest, reverse=True),
        )
        # Seconds older than the window no longer change: they have now been sent in
        # SERIES_WINDOW + 1 snapshots, so drop them (bounded memory on long runs).
        series.seal(latest - SERIES_WINDOW)
        return snap


def origin_ns(start_wall_ns: int) -> int:
    """The monotonic origin matching a run-wide wall-clock start time (``time.time_ns()``
    taken once by the coordinator), so every shard's second 0 starts at the same instant."""
    return time.monotonic_ns() - (time.time_ns() - start_wall_ns)
