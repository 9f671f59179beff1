"""The assertion operators, as one table keyed by :data:`httptool.plan.Operator`: how the
parser reads each one (``syntax``), how its canonical text is written (``shape``, for the
check's name in reports), and, in :mod:`httptool.engine.checks`, how it is evaluated.

Neutral like :mod:`httptool.plan` so the language and the engine read the same table.
:func:`_spec` lists every operator in one ``match`` ending in ``assert_never``: adding an
operator to ``plan.Operator`` without a row here (or without an evaluator in
``engine/checks.py``, which uses the same pattern) is a mypy error, not a run-time
``unknown operator``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, assert_never, get_args

from httptool.plan import ConditionOp, Operator

__all__ = ["NEGATABLE", "OPERATORS", "SYMBOLS", "WORDS", "OperatorSpec", "text_form"]

#: ``none``: ``left exists``; ``one``: ``left == v``; ``list``: ``left in [a, b]``;
#: ``range``: ``left between a and b``
Shape = Literal["none", "one", "list", "range"]


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """One operator. ``syntax`` is how it is written: a symbol (``<=``) or words
    (``not contains``); ``shape`` says what follows it."""

    op: Operator
    syntax: Literal["symbol", "word"]
    shape: Shape


def _spec(op: Operator) -> OperatorSpec:
    match op:
        case "==" | "!=" | "<" | "<=" | ">" | ">=":
            return OperatorSpec(op, "symbol", "one")
        case "contains" | "not contains" | "matches":
            return OperatorSpec(op, "word", "one")
        case "in" | "not in":
            return OperatorSpec(op, "word", "list")
        case "between":
            return OperatorSpec(op, "word", "range")
        case "exists" | "not exists":
            return OperatorSpec(op, "word", "none")
        case _:
            assert_never(op)


OPERATORS: dict[Operator, OperatorSpec] = {op: _spec(op) for op in get_args(Operator)}
#: the symbol operators, longest first (the parser reads ``<=`` before ``<``)
SYMBOLS: tuple[str, ...] = tuple(sorted(
    (s.op for s in OPERATORS.values() if s.syntax == "symbol"), key=len, reverse=True))
#: the word operators as the parser meets them (``not`` comes before one of NEGATABLE)
WORDS: frozenset[str] = frozenset(
    s.op for s in OPERATORS.values() if s.syntax == "word" and not s.op.startswith("not "))
NEGATABLE: tuple[str, ...] = tuple(
    s.op.removeprefix("not ") for s in OPERATORS.values() if s.op.startswith("not "))


def text_form(op: ConditionOp, left: str, value: str, values: list[str]) -> str:
    """The canonical text of ``left OP ...`` (``status in [200, 201]``); ``value`` and
    ``values`` are the operands already written as text."""
    if op == "truthy":
        return left
    shape = OPERATORS[op].shape
    if shape == "none":
        return f"{left} {op}"
    if shape == "list":
        return f"{left} {op} [{', '.join(values)}]"
    if shape == "range":
        return f"{left} {op} {values[0]} and {values[1]}"
    return f"{left} {op} {value}"
