"""``--out json=PATH``: one JSON object per request, one per line (NDJSON), streamed.

Fields in :data:`httptool.report.request_rows.FIELDS`; see docs/outputs.md.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import orjson

from httptool.events import Event
from httptool.report.linefile import LineFile
from httptool.report.request_rows import FIELDS, request_rows


class NdjsonWriter:
    """Appends a line per request event of each batch given to :meth:`handle`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._file = LineFile(path)
        self.path = self._file.path
        self.rows = 0

    def handle(self, events: Sequence[Event]) -> None:
        lines = [orjson.dumps(dict(zip(FIELDS, row, strict=True))) for row in
                 request_rows(events)]
        if lines:
            self._file.write_block(b"\n".join(lines) + b"\n")
            self.rows += len(lines)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> NdjsonWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
