"""Units: the unit that fits, three significant digits, no rounding into 1000 of a unit."""

from __future__ import annotations

import pytest

from httptool.report.units import (
    fmt_bytes,
    fmt_duration,
    fmt_elapsed,
    fmt_latency_ms,
    fmt_latency_ns,
    fmt_pct,
    fmt_rate,
)


@pytest.mark.parametrize(("ns", "text"), [
    (0, "0ms"), (500, "0.50µs"), (12_340, "12.3µs"), (850_000, "850µs"),
    (999_499, "999µs"), (999_600, "1.00ms"), (1_204_000, "1.20ms"), (68_240_000, "68.2ms"),
    (145_400_000, "145ms"), (999_600_000, "1.00s"), (1_230_000_000, "1.23s"),
    (12_345_000_000, "12.3s"), (2_000_000_000_000, "2000s"),
])
def test_latency_units(ns: int, text: str) -> None:
    assert fmt_latency_ns(ns) == text


def test_latency_ms_matches_ns() -> None:
    assert fmt_latency_ms(312.0) == "312ms"
    assert fmt_latency_ms(0.25) == "250µs"


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 B"), (999, "999 B"), (1000, "1.00 kB"), (1204, "1.20 kB"), (999_999, "1.00 MB"),
    (34_500_000, "34.5 MB"), (7_000_000_000, "7.00 GB"),
])
def test_bytes_units(n: int, text: str) -> None:
    assert fmt_bytes(n) == text


def test_rates_percentages_durations() -> None:
    assert [fmt_rate(x) for x in (0, 0.5, 84.66, 999.7, 12345.6)] == \
        ["0.00/s", "0.50/s", "84.7/s", "1000/s", "12346/s"]
    assert fmt_pct(0.0142) == "1.42%"
    assert fmt_pct(1.0) == "100.00%"
    assert [fmt_duration(x) for x in (None, 0.5, 30, 90, 3600, 0)] == \
        ["?", "500ms", "30s", "1m30s", "1h", "0s"]
    assert [fmt_elapsed(x) for x in (0, 9.84, 59.96, 65.2, 3723.4)] == \
        ["0ms", "9.8s", "1m00.0s", "1m05.2s", "1h02m03s"]
    assert [fmt_elapsed(x) for x in (0.0224, 0.9994, 0.9996, 1.04)] == \
        ["22ms", "999ms", "1.0s", "1.0s"]
