"""Request counters of the built-in target.

Plain dict increments on every request (no locks, no logging): the target must keep up
with a load generator doing thousands of requests per second, and tests compare these
numbers exactly with what the client reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Distinct paths kept by name; beyond this (e.g. a scenario hitting /anything/${UUID})
#: further new paths are summed under OTHER so memory stays bounded.
MAX_PATHS = 10_000
OTHER = "(other)"


@dataclass(slots=True)
class Counts:
    """What the server saw, counted when a request starts being handled."""

    total: int = 0
    paths: dict[str, int] = field(default_factory=dict)
    methods: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)

    def start(self, method: str, path: str) -> None:
        self.total += 1
        paths = self.paths
        n = paths.get(path)
        if n is not None:
            paths[path] = n + 1
        elif len(paths) < MAX_PATHS:
            paths[path] = 1
        else:
            paths[OTHER] = paths.get(OTHER, 0) + 1
        methods = self.methods
        methods[method] = methods.get(method, 0) + 1

    def status(self, code: int) -> None:
        statuses = self.statuses
        statuses[code] = statuses.get(code, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy (status codes become string keys, as JSON requires)."""
        return {
            "total": self.total,
            "paths": dict(self.paths),
            "methods": dict(self.methods),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }

    def reset(self) -> None:
        self.total = 0
        self.paths = {}
        self.methods = {}
        self.statuses = {}
