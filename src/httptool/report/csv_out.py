"""``--out csv=PATH``: one CSV row per request (header first), streamed.

Same fields and values as the NDJSON output; ``ok`` is ``true``/``false``. Written with
the csv module (RFC 4180 quoting, ``\\r\\n`` line ends), UTF-8.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence

from httptool.events import Event
from httptool.report.linefile import RowFile
from httptool.report.request_rows import FIELDS, request_rows


class CsvWriter(RowFile):
    """Writes the header at once, then the request rows of each batch."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._buf = io.StringIO()
        self._csv = csv.writer(self._buf)
        self._csv.writerow(FIELDS)
        self._flush_buf()

    def _flush_buf(self) -> None:
        self._file.write_block(self._buf.getvalue().encode("utf-8"))
        self._buf.seek(0)
        self._buf.truncate()

    def handle(self, events: Sequence[Event]) -> None:
        n = 0
        for row in request_rows(events):
            self._csv.writerow((*row[:8], "true" if row[8] else "false", row[9],
                                "true" if row[10] else "false", row[11], row[12]))
            n += 1
        if n:
            self._flush_buf()
            self.rows += n
