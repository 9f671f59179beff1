"""Child processes started for a while and always stopped: the target's own process, and
the servers, browsers and tools the tests and benchmarks start the same way."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any


def parent_death_signal() -> Callable[[], None] | None:
    """Linux: a pre-exec hook that SIGTERMs the child if the parent dies without
    stopping it. ctypes is loaded here, in the parent: after fork only the C call runs."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    term = int(signal.SIGTERM)

    def hook() -> None:  # pragma: no cover - runs in the child before exec
        prctl(pr_set_pdeathsig, term)

    return hook


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds (each wait bounded); closes its
    stdout pipe if it has one. Returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    if proc.stdout is not None:
        proc.stdout.close()
    return proc.returncode
