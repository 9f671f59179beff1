"""Numbers as people read them: latencies, byte counts, rates, percentages, durations.

One place for units so the summary, the live panel, JUnit messages and the threshold
lines agree. Latencies and sizes keep three significant digits with trailing zeros
(``1.20ms``, ``68.2ms``, ``145ms``) so right-aligned columns line up on the unit.
"""

from __future__ import annotations

# re-exported: written below the layers, where the load models describe themselves
from httptool.wording import fmt_duration as fmt_duration
from httptool.wording import plural as plural

_LAT_UNITS = ((1e3, "µs"), (1e6, "ms"), (1e9, "s"))
_BYTE_UNITS = ("kB", "MB", "GB", "TB", "PB")


def _three(v: float) -> str | None:
    """``v`` with three significant digits (2/1/0 decimals), None when it rounds to 1000+."""
    for limit, decimals in ((10, 2), (100, 1), (1000, 0)):
        text = f"{v:.{decimals}f}"
        if float(text) < limit:
            return text
    return None


def fmt_latency_ns(ns: float) -> str:
    """A duration in nanoseconds in the unit that fits: ``850µs``, ``68.2ms``, ``1.23s``."""
    if ns <= 0:
        return "0ms"
    for i, (scale, unit) in enumerate(_LAT_UNITS):
        text = _three(ns / scale)
        if text is not None or i == len(_LAT_UNITS) - 1:
            return f"{text if text is not None else round(ns / scale)}{unit}"
    raise AssertionError("unreachable")


def fmt_latency_ms(ms: float) -> str:
    """Same as :func:`fmt_latency_ns` for a value in milliseconds (thresholds' unit)."""
    return fmt_latency_ns(ms * 1e6)


def fmt_bytes(n: float) -> str:
    """Decimal (SI) units as network tools count: ``512 B``, ``1.20 kB``, ``34.5 MB``."""
    if n < 1000:
        return f"{int(n)} B"
    v = float(n)
    for unit in _BYTE_UNITS:
        v /= 1000
        text = _three(v)
        if text is not None:
            return f"{text} {unit}"
    return f"{round(v)} {_BYTE_UNITS[-1]}"


def fmt_rate(per_s: float) -> str:
    """Events per second: ``0.50/s``, ``84.7/s``, ``1234/s``."""
    text = _three(per_s)
    return f"{text if text is not None else round(per_s)}/s"


def fmt_pct(fraction: float) -> str:
    """A fraction as a percentage with two decimals: ``0.0142`` -> ``1.42%``."""
    return f"{fraction * 100:.2f}%"


def fmt_elapsed(seconds: float) -> str:
    """A measured duration: ``22ms`` below a second, then to a tenth of a second: ``9.8s``,
    ``1m05.2s``; ``1h02m03s`` from an hour on."""
    if seconds < 0.9995:
        return f"{round(max(0.0, seconds) * 1000)}ms"
    seconds = round(seconds, 1)
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        m, s = divmod(seconds, 60)
        return f"{int(m)}m{s:04.1f}s"
    h, rem = divmod(round(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s"
