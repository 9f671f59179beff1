"""The operators table (issue 22): every ``plan.Operator`` is read by the parser, written
back in its canonical text by the compiler and evaluated by the checks, from one table.
(That no operator lacks a row or an evaluator is proven by mypy: ``assert_never``.)"""

from __future__ import annotations

from typing import get_args

import pytest

from httptool.dsl import compile_source
from httptool.engine.checks import EVALUATORS, Check, ResponseView
from httptool.operators import OPERATORS, text_form
from httptool.plan import Operator

#: op -> (the right side in a file, the canonical text, a passing and a failing body)
CASES: dict[str, tuple[str, str, bytes, bytes]] = {
    "==": ("200", "$.v == 200", b'{"v": 200}', b'{"v": 500}'),
    "!=": ("500", "$.v != 500", b'{"v": 200}', b'{"v": 500}'),
    "<": ("300", "$.v < 300", b'{"v": 200}', b'{"v": 500}'),
    "<=": ("200", "$.v <= 200", b'{"v": 200}', b'{"v": 500}'),
    ">": ("199", "$.v > 199", b'{"v": 200}', b'{"v": 100}'),
    ">=": ("200", "$.v >= 200", b'{"v": 200}', b'{"v": 100}'),
    "in": ("[200, 201]", "$.v in [200, 201]", b'{"v": 201}', b'{"v": 500}'),
    "not in": ("[500, 503]", "$.v not in [500, 503]", b'{"v": 200}', b'{"v": 503}'),
    "between": ("200 and 299", "$.v between 200 and 299", b'{"v": 204}', b'{"v": 500}'),
    "contains": ('"ok"', '$.v contains "ok"', b'{"v": "is ok"}', b'{"v": "no"}'),
    "not contains": ('"err"', '$.v not contains "err"', b'{"v": "ok"}', b'{"v": "err"}'),
    "matches": ('"^a+$"', '$.v matches "^a+$"', b'{"v": "aaa"}', b'{"v": "ab"}'),
    "exists": ("", "$.v exists", b'{"v": 1}', b'{}'),
    "not exists": ("", "$.v not exists", b'{}', b'{"v": 1}'),
}


class _Resp:
    def __init__(self, body: bytes) -> None:
        self.status, self.headers, self.body, self.latency_ms = 200, [], body, 1.0


def test_every_operator_has_one_row_and_one_evaluator() -> None:
    assert set(OPERATORS) == set(get_args(Operator)) == set(CASES)
    assert set(EVALUATORS) == set(OPERATORS) | {"truthy"}


@pytest.mark.parametrize("op", list(CASES))
def test_parse_text_and_evaluate(op: str) -> None:
    right, text, good, bad = CASES[op]
    src = f"request r {{\n  curl http://127.0.0.1:9/\n  assert {{ $.v {op} {right} }}\n}}\n"
    plan, diags = compile_source(src)
    assert plan is not None, diags.format()
    (a,) = next(r for r in plan.requests if r.name == "r").asserts
    assert (a.op, a.text) == (op, text)
    check = Check(a)
    assert check.evaluate(ResponseView(_Resp(good)), lambda v: v) is None
    why = check.evaluate(ResponseView(_Resp(bad)), lambda v: v)
    assert why is not None and why.startswith(f"assert {text} failed: got ")


def test_text_form_shapes() -> None:
    assert text_form("truthy", "${on}", "", []) == "${on}"
    assert text_form("not in", "x", "", ["1", "2"]) == "x not in [1, 2]"
    assert text_form("between", "x", "", ["1", "2"]) == "x between 1 and 2"
    assert text_form("exists", "x", "", []) == "x exists"
