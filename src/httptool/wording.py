"""How the tool writes counts and planned durations, below every layer that prints them.

The load models (plan level) describe themselves with these, and the reports print the
same words, so a load reads the same in a dry run, the summary and the HTML report.
"""

from __future__ import annotations


def plural(n: int | None, noun: str) -> str:
    """``1 VU``, ``2 VUs``, ``0 workers``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def fmt_duration(seconds: float | None) -> str:
    """A planned duration as written in scenario files: ``30s``, ``1m30s``, ``500ms``."""
    if seconds is None:
        return "?"
    if seconds < 1 and seconds != 0:
        return f"{seconds * 1000:g}ms"
    s = round(seconds, 3)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    parts = []
    if h:
        parts.append(f"{int(h)}h")
    if m:
        parts.append(f"{int(m)}m")
    if sec or not parts:
        parts.append(f"{sec:g}s")
    return "".join(parts)
