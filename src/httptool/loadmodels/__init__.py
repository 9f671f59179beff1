"""The load models, one module each, and the one table that names them.

``MODELS`` maps :attr:`LoadSpec.model` to its :class:`LoadModel`: the compiler picks and
checks a model through it (:func:`choose`), the CLI, the dry run, the summary header and
the run read a load's model through :func:`model_of`, and the engine keys its run loops
by the same names (``engine/executors.py`` checks at import that it has one for each).
Adding a model is one module here, its entry below, and its runner in the engine.

Plan level (beside ``plan.py``): it imports nothing above it, so ``dsl`` may use it.
"""

from __future__ import annotations

from httptool.loadmodels.base import LoadModel, Report, Settings
from httptool.loadmodels.closed import CLOSED
from httptool.loadmodels.iterations import ITERATIONS
from httptool.loadmodels.open import OPEN
from httptool.loadmodels.per_vu import PER_VU, PER_VU_ITERATIONS
from httptool.plan import LoadSpec

#: every model, in the order :func:`choose` asks them (the closed model claims the rest)
ORDER: tuple[LoadModel, ...] = (PER_VU_ITERATIONS, OPEN, ITERATIONS, CLOSED)
MODELS: dict[str, LoadModel] = {m.name: m for m in ORDER}


def model_of(load: LoadSpec) -> LoadModel:
    """The model a load spec runs."""
    return MODELS[load.model]


def choose(keys: frozenset[str], stage_kind: str | None) -> LoadModel:
    """The model a ``load`` with these settings (and stages of this kind) describes."""
    return next(m for m in ORDER if m.claims(keys, stage_kind))


__all__ = ["CLOSED", "ITERATIONS", "MODELS", "OPEN", "ORDER", "PER_VU", "PER_VU_ITERATIONS",
           "LoadModel", "Report", "Settings", "choose", "model_of"]
