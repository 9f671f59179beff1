"""One shard of a run: an event loop, an executor, VUs and a metrics recorder.

:func:`run_shard` is a plain, picklable function of (:class:`ShardConfig`, channel) so it
runs the same way in a thread of the coordinating process (``--workers 1``), in a local
worker process, or on a Dask worker. It talks to the coordinator only through the channel:

* ``channel.send(msg)`` — may block (that is the verbose mode's back-pressure). Messages:
  ``("snapshot", Snapshot)`` about every ``snapshot_interval`` seconds and a final one;
  ``("events", list[Event])`` batches of VU events when ``options.events`` is set;
  ``("error", shard_index, text)`` when the shard itself failed (a bug, not a request
  failure); always ``("done", shard_index)`` last.
* ``channel.stop.is_set()`` — stop starting new work; in-flight iterations get the grace
  period. ``channel.hard_stop.is_set()`` — cut the grace short. Both are polled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from httptool.engine.executors import ShardSpec
from httptool.plan import Plan


class Flag(Protocol):
    def is_set(self) -> bool: ...


class Channel(Protocol):
    stop: Flag
    hard_stop: Flag

    def send(self, msg: tuple[Any, ...]) -> None: ...


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Command-line settings every shard needs (picklable)."""

    #: ``--base-url-map FROM=TO``: a request URL starting with FROM starts with TO instead
    base_url_map: tuple[tuple[str, str], ...] = ()
    #: ``--cookies``; None keeps the scenario's own setting
    cookies: Literal["vu", "shared", "off"] | None = None
    #: send VU events (``--verbose``, ``--out``)
    events: bool = False
    #: variables extracted by the ``setup`` flow, read-only for every VU
    setup_values: Mapping[str, Any] = field(default_factory=dict)
    #: environment for ``${env.NAME}``; None means this process's os.environ
    env: Mapping[str, str] | None = None
    snapshot_interval: float = 1.0


@dataclass(frozen=True, slots=True)
class ShardConfig:
    plan: Plan
    scenario: str
    shard: ShardSpec = ShardSpec()
    #: run-wide start, ``time.time_ns()`` taken once by the coordinator; every shard starts
    #: its load at this instant and counts its time series from it
    start_wall_ns: int = 0
    options: RunOptions = RunOptions()
