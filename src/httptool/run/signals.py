"""Counting Ctrl-C (SIGINT) and SIGTERM while a run is on.

The handler only counts: it may run between any two bytecodes of the coordinator's main
thread (even inside a reporter's ``print``), so anything more (setting flags, telling the
listener, writing "stopping…") is done by the coordinator's loop when it next looks, within
one tick.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SignalCounter:
    """A context manager that counts stop signals; handlers are restored on exit.

    Outside the main thread (where handlers cannot be installed) it counts nothing and
    :meth:`bump` is the only way in (tests, embedding)."""

    def __init__(self, install: bool = True) -> None:
        self.count = 0
        self.first: int | None = None  # the signal that stopped the run (its name is shown)
        self.last: int | None = None
        self._install = install
        self._saved: dict[int, Any] = {}

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.first is None:
            self.first = signum
        self.last = signum

    def stopped_by(self) -> str:
        """How the summary names what stopped the run: ``Ctrl-C`` (SIGINT), ``SIGTERM``
        (a service manager, ``kill``, a CI timeout), or "" if nothing did."""
        if self.first is None:
            return ""
        return "Ctrl-C" if self.first == signal.SIGINT else signal.Signals(self.first).name

    def bump(self, signum: int = int(signal.SIGINT)) -> None:
        """Count a stop request as if the signal had come."""
        self._handler(signum, None)

    def __enter__(self) -> SignalCounter:
        if self._install and threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._saved[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sig, old in self._saved.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        self._saved.clear()
