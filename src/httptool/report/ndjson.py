"""``--out json=PATH``: one JSON object per request, one per line (NDJSON), streamed.

Fields in :data:`httptool.report.request_rows.FIELDS`; see docs/outputs.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from httptool.events import Event
from httptool.report.linefile import RowFile
from httptool.report.request_rows import FIELDS, request_rows


class NdjsonWriter(RowFile):
    """Appends a line per request event of each batch given to :meth:`handle`."""

    def handle(self, events: Sequence[Event]) -> None:
        lines = [orjson.dumps(dict(zip(FIELDS, row, strict=True))) for row in
                 request_rows(events)]
        if lines:
            self._file.write_block(b"\n".join(lines) + b"\n")
            self.rows += len(lines)
