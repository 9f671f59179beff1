"""Reading a file the user named, with the one-line messages every command gives for it
(``PATH: no such file``, ``PATH: is a directory, not a scenario file``, ``PATH: cannot
read: Permission denied``), so a scenario and a summary file fail alike."""

from __future__ import annotations

from collections.abc import Callable


def read_input(path: str, what: str | None, error: Callable[[str], Exception],
               limit: int = -1) -> bytes:
    """The bytes of ``path`` (a ``what``: "scenario file"; at most ``limit`` of them), or
    ``error(message)`` raised."""
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory" + (f", not a {what}" if what else "")) from None
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror or e}") from None


def read_json_text(path: str, what: str, error: Callable[[str], Exception]) -> str:
    """``path`` as text for ``json.loads`` (UTF-8, newlines as text mode reads them), or
    ``error(message)`` raised: the summary files ``report`` and ``compare`` read."""
    raw = read_input(path, what, error)
    try:
        return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        raise error(f"{path}: not JSON (not UTF-8 text)") from None
