"""Which implementation of the hot path runs, for ``httptool --version`` and bug reports.

Issue 20 plans a compiled hot path with this pure-Python code as its fallback; until that
module exists the answer is always the pure path. Kept free of imports so ``--version``
stays cheap.
"""

from __future__ import annotations


def hot_path() -> str:
    """``"pure Python"`` (the only path today; a compiled one will be named here)."""
    return "pure Python"
