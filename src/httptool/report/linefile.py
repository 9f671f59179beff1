"""An append-only file of whole lines that stays well-formed when a run is cut short.

Streaming outputs (NDJSON, CSV) write each batch of rows as one block and flush it, so
nothing is held in memory and a reader (``tail -f``) sees rows as they happen. If a write
is interrupted half-way (Ctrl-C during the write), :meth:`LineFile.close` truncates the
file back to the end of the last complete block, so the last line is always complete.
"""

from __future__ import annotations

import os
from typing import Self


class LineFile:
    """Binary file opened for writing (truncated), written in whole-line blocks."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        #: ``-`` is standard output (``--out json=-``): a copy of its descriptor, so
        #: closing the output leaves stdout itself open; a pipe cannot be truncated
        self.stdout = self.path == "-"
        self._f = (os.fdopen(os.dup(1), "wb") if self.stdout
                   else open(self.path, "wb"))  # noqa: SIM115 - closed by close()
        self._good = 0  # bytes known to be written completely
        self._partial = False
        self.closed = False

    def write_block(self, data: bytes) -> None:
        """Write ``data`` (whole lines) and flush."""
        if self.closed:
            raise ValueError(f"{self.path}: write after close")
        if not data:
            return
        self._partial = True
        self._f.write(data)
        self._f.flush()
        self._good += len(data)
        self._partial = False

    def close(self) -> None:
        """Flush and close; drop a block whose write was interrupted. Idempotent."""
        if self.closed:
            return
        self.closed = True
        try:
            if self._partial:
                try:
                    self._f.flush()
                except OSError:
                    pass
                if self.stdout:
                    self._f.write(b"\n")  # end the cut line; a reader skips it
                else:
                    self._f.truncate(self._good)
        finally:
            self._f.close()


class RowFile:
    """What every one-row-per-request output shares: its :class:`LineFile`, its path, how
    many rows it wrote, and closing (also as a context manager)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._file = LineFile(path)
        self.path = self._file.path
        self.rows = 0

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
