"""run layer: shards, local workers, the Dask cluster, the orchestrator, signals.

This package is also the public function ``httptool.run(...)``: Python makes a loaded
subpackage an attribute of its parent, so ``httptool.run`` is this module whichever
was meant. Calling it therefore runs :func:`httptool.api.run` (imported on the first
call, keeping the package's own import cheap)."""

from __future__ import annotations

import sys
import types
from typing import Any


class _RunModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from httptool.api import run

        return run(*args, **kwargs)


sys.modules[__name__].__class__ = _RunModule
