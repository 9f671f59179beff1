"""``--out KIND=PATH``: parsing the option and opening the streaming writer it names.

``prometheus=HOST:PORT`` is parsed here too (its "path" is the address), but it is no
event writer: :mod:`httptool.report.live` opens it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from httptool.events import Event
from httptool.report.csv_out import CsvWriter
from httptool.report.ndjson import NdjsonWriter

#: Accepted kinds -> canonical kind (``ndjson`` is an alias of ``json``).
KINDS = {"json": "json", "ndjson": "json", "csv": "csv", "prometheus": "prometheus"}


class EventWriter(Protocol):
    """A streaming output: ``handle`` each batch of events as it arrives, ``close`` once
    (also after Ctrl-C; the file then ends with a complete line)."""

    def handle(self, events: Sequence[Event]) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class OutSpec:
    kind: str  # "json" (NDJSON), "csv" or "prometheus" (path: HOST:PORT)
    path: str


def parse_out_option(text: str) -> OutSpec:
    """``json=PATH`` / ``ndjson=PATH`` / ``csv=PATH`` -> :class:`OutSpec`; ValueError with
    a message naming the option otherwise."""
    kind, sep, path = text.partition("=")
    kind = kind.strip().lower()
    if not sep:
        raise ValueError(f"invalid --out {text!r}: expected KIND=PATH, e.g. json=results.ndjson "
                         "or csv=results.csv")
    if kind not in KINDS:
        raise ValueError(f"invalid --out {text!r}: unknown output kind {kind!r} "
                         "(use json, csv or prometheus)")
    if not path.strip():
        what = "address (HOST:PORT)" if KINDS[kind] == "prometheus" else "file path"
        raise ValueError(f"invalid --out {text!r}: missing the {what} after '='")
    return OutSpec(KINDS[kind], path)


def stdout_spec(specs: Sequence[OutSpec]) -> OutSpec | None:
    """The one output written to standard output (``json=-``), if any; ValueError for two
    (their lines would interleave). The console output then goes to stderr."""
    on_stdout = [s for s in specs if s.path == "-"]
    if len(on_stdout) > 1:
        raise ValueError("only one --out can write to standard output ('-')")
    return on_stdout[0] if on_stdout else None


def open_event_writer(spec: OutSpec) -> NdjsonWriter | CsvWriter:
    """Create (truncate) the file and return its writer; OSError if it cannot be opened."""
    if spec.kind == "csv":
        return CsvWriter(spec.path)
    return NdjsonWriter(spec.path)
