"""The root of every error httptool raises on purpose: ``except httptool.HttptoolError``
catches a bad scenario, a file that cannot be read, a bad setting or a failed run, and
nothing that is a bug. Imports nothing, so any layer can raise these."""

from __future__ import annotations

__all__ = ["HttptoolError", "RunError", "ScenarioError", "SettingError"]


class HttptoolError(Exception):
    """Something the user can fix: a scenario, a file, a setting, an unreachable tool."""


class ScenarioError(HttptoolError):
    """A scenario file has errors. ``file``, ``line`` and ``col`` locate the first one;
    ``message`` is it alone; ``str(err)`` is every error, rendered as the command line
    shows them (``file:line:col``, the source line, a caret)."""

    def __init__(self, rendered: str, file: str, line: int, col: int, message: str) -> None:
        super().__init__(rendered)
        self.file, self.line, self.col, self.message = file, line, col, message


class SettingError(HttptoolError, ValueError):
    """A bad setting given to the API (``vus=0``, an unknown scenario name)."""


class RunError(HttptoolError):
    """The tool itself failed during a run (a shard crashed, setup failed); ``errors``
    are the lines ``scenario run`` prints as ``httptool: error: ...``."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(e.splitlines()[0] for e in errors if e.strip()))
        self.errors = errors
