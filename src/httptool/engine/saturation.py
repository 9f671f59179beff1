"""Is this shard's event loop itself the bottleneck? The open model's pool growth guard.

An open-model iteration that finds no free VU gets a new one (up to ``max_vus``): right
when the *server* is slow, since the VUs are waiting for it. When the *generator* cannot
keep up — its thread busy all the time — a new VU cannot start anything sooner: it opens
one more connection and adds work to a loop that is already late, so the pool grew
without bound while the achieved rate fell (bench/open_model.py, 50,000/s on one core:
27,000/s with 2,800 VUs; the same run capped at 200 VUs did 46,000/s). So while the loop
is saturated the pool does not grow and such an iteration is counted as dropped, as at
``max_vus``: the summary's dropped count is the sign to add ``--workers``.

(Lateness is no test: a saturated pacer that drops what it cannot start stays within a
loop cycle of its schedule, so it never looks late.)

"Saturated" is measured, not guessed: the event loop thread's CPU time over the last
:data:`WINDOW_NS` of wall time. A loop frozen by something that does not use the CPU (a
blocking sleep, a stopped process) is late but not saturated, and still grows the pool;
so does every loop in the first window, when nothing is measured yet. A loop starved by
other processes or a VM's CPU steal may be overloaded without its thread reaching the
bound: the guard does not fire then, and the pool grows as it did before the guard.
"""

from __future__ import annotations

from time import thread_time_ns

#: Length of one measurement window (wall time). Short, as the pool can grow fast: a
#: 50,000/s schedule makes 2,500 iterations in 50 ms.
WINDOW_NS = 50_000_000
#: Share of one core the loop thread must have used over a window to count as saturated.
#: High, because a loop that is busy but keeping up may need more VUs for a slow server;
#: overloaded loops measured 0.99-1.00 (bench/open_model.py at 50,000/s).
CPU_SHARE = 0.95


class LoopSaturation:
    """Updated by the pacer on each pass (cheap: one clock read per window); the pool may
    grow while :attr:`saturated` is False."""

    __slots__ = ("_cpu0", "_t0", "saturated", "saturated_ns", "windows_saturated")

    def __init__(self, now_ns: int) -> None:
        self._t0 = now_ns
        self._cpu0 = thread_time_ns()
        self.saturated = False
        #: windows that ended saturated (for tests and diagnostics)
        self.windows_saturated = 0
        #: wall time of those windows (the run's validity verdict: how long, which shard)
        self.saturated_ns = 0

    def update(self, now_ns: int) -> None:
        """Close the window if ``now_ns`` (monotonic) is past its end."""
        wall = now_ns - self._t0
        if wall < WINDOW_NS:
            return
        cpu = thread_time_ns()
        self.saturated = cpu - self._cpu0 >= CPU_SHARE * wall
        if self.saturated:
            self.windows_saturated += 1
            self.saturated_ns += wall
        self._t0, self._cpu0 = now_ns, cpu
