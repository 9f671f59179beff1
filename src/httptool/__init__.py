"""httptool: run user journeys written as curl commands, under load.

The Python API (docs/api.md)::

    import httptool
    plan = httptool.load("checkout.httpx")            # ScenarioError when it has errors
    result = httptool.run(plan, vus=5, duration=2)    # the --summary-json numbers
    assert result.p95_ms < 300

``load`` and ``Result`` are imported on first use (module ``__getattr__``), so
``import httptool`` (and ``httptool --help``) loads neither the engine nor numpy.
``httptool.run`` is the ``httptool.run`` package made callable (see its docstring):
Python binds a loaded subpackage to its parent's attribute, so no function of that name
could stay there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from httptool import implementation as _implementation
from httptool.errors import HttptoolError, RunError, ScenarioError, SettingError

if TYPE_CHECKING:
    from httptool.api import Result, load, run

__version__ = "0.1.0"
__all__ = ["HttptoolError", "Result", "RunError", "ScenarioError", "SettingError", "load",
           "run"]

_implementation.install()  # the .py modules when HTTPTOOL_PURE is set or a build is stale
_LAZY = frozenset({"Result", "load"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from httptool import api

        return getattr(api, name)
    if name == "run":  # the callable run package (import it: it is not loaded yet)
        import importlib

        return importlib.import_module("httptool.run")
    raise AttributeError(f"module 'httptool' has no attribute {name!r}")
