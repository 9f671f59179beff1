"""Syntax tree of a .httpx file, as written (every style parses to these same nodes).

The parser keeps source values (durations in seconds, percentages as fractions, strings
unsplit) and every node's line/column; the compiler turns them into the Plan and checks
their meaning. Nothing here is interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from httptool.plan import ConditionOp, Operator


@dataclass(slots=True)
class Lit:
    """A literal: ``kind`` is num, dur (seconds), pct (fraction), str, ref (text inside
    ``${}``), var (a bare variable name in a condition), word (a bare identifier such as
    ``exponential``), bool, null, list (value: list[Lit]) or json (a python value)."""

    kind: str
    value: Any
    line: int
    col: int
    quote: str = ""


@dataclass(slots=True)
class KV:
    key: str
    value: Lit
    line: int
    col: int


@dataclass(slots=True)
class VarDecl:
    name: str
    value: Lit
    line: int
    col: int


@dataclass(slots=True)
class DataDecl:
    name: str
    rows: Lit | None  # inline rows (kind json), or None with ``file``
    file: Lit | None
    line: int
    col: int


@dataclass(slots=True)
class SharedDecl:
    name: str
    line: int
    col: int


@dataclass(slots=True)
class ExtractItem:
    name: str
    source: str  # jsonpath | regex | header | cookie | status | body
    expr: str
    line: int
    col: int
    expr_line: int = 0
    expr_col: int = 0
    #: ``header:NAME regex:P`` / ``cookie:NAME regex:P``: the regex taken over that value
    pattern: str | None = None
    pattern_line: int = 0
    pattern_col: int = 0


@dataclass(slots=True)
class AssertItem:
    subject: str  # status | latency | body | json | header | size | cookie
    arg: str
    length: bool
    op: Operator
    value: Lit | None
    values: list[Lit]
    line: int
    col: int


@dataclass(slots=True)
class RetryDecl:
    fields: list[KV]
    line: int
    col: int


@dataclass(slots=True)
class RequestDecl:
    name: str
    curl: str | None
    curl_line: int
    curl_col: int
    extracts: list[ExtractItem]
    asserts: list[AssertItem]
    retry: RetryDecl | None
    style: str  # block | decorator | shorthand | json | arrow
    line: int
    col: int
    resend: Lit | None = None  # ``resend = off``


# ------------------------------------------------------------------------------ flows


@dataclass(slots=True)
class RunStep:
    name: str
    children: list[Any]
    line: int
    col: int


@dataclass(slots=True)
class ParallelStep:
    branches: list[list[Any]]
    line: int
    col: int


@dataclass(slots=True)
class CondNode:
    left: Lit
    op: ConditionOp
    value: Lit | None
    values: list[Lit]
    line: int
    col: int


@dataclass(slots=True)
class IfStep:
    branches: list[tuple[CondNode, list[Any]]]
    orelse: list[Any]
    line: int
    col: int


@dataclass(slots=True)
class ForeachStep:
    var: str
    source: str
    source_line: int
    source_col: int
    limit: Lit | None
    body: list[Any]
    line: int
    col: int


@dataclass(slots=True)
class RepeatStep:
    count: Lit
    body: list[Any]
    line: int
    col: int


@dataclass(slots=True)
class ThinkStep:
    low: float
    high: float
    line: int
    col: int


@dataclass(slots=True)
class PushStep:
    pool: str
    value: Lit
    line: int
    col: int


@dataclass(slots=True)
class UseStep:
    var: str
    data: str
    data_line: int
    data_col: int
    mode: str
    line: int
    col: int


@dataclass(slots=True)
class StageDecl:
    fields: list[KV]
    line: int
    col: int


@dataclass(slots=True)
class LoadDecl:
    fields: list[KV]
    stages: list[StageDecl]
    line: int
    col: int


@dataclass(slots=True)
class ThresholdItem:
    scope: str | None
    metric: str
    op: str
    value: Lit
    line: int
    col: int
    metric_line: int = 0
    metric_col: int = 0


@dataclass(slots=True)
class ScenarioDecl:
    name: str
    load: LoadDecl | None
    think_time: ThinkStep | None
    thresholds: list[ThresholdItem]
    cookies: Lit | None
    flow: list[Any]
    style: str
    line: int
    col: int
    had_errors: bool = False  # a statement of it failed to parse
    http: Lit | None = None  # ``http = 1.1 | 2 | auto``
    connections: Lit | None = None  # ``connections = N`` (HTTP/2, shared per origin)


@dataclass(slots=True)
class FlowDecl:
    """``setup { ... }`` or ``teardown { ... }``."""

    kind: str
    flow: list[Any]
    line: int
    col: int


@dataclass(slots=True)
class File:
    items: list[Any] = field(default_factory=list)
