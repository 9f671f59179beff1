"""AST -> :class:`~httptool.plan.Plan`, with every semantic check in one pass.

Checks: duplicate names, unknown requests/data sets/pools/scenario, variables used but
never defined (warning), JSONPath and regex syntax, impossible loads, unknown settings.
Canonical ``text`` for assertions and thresholds is rebuilt from the meaning (never copied
from the source), so every style of the same scenario compiles to an equal Plan.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import re
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import replace
from functools import lru_cache
from typing import Any, Literal

from httptool import loadmodels
from httptool.dsl import ast as A
from httptool.dsl.curl import parse_curl
from httptool.dsl.diagnostics import Diagnostics
from httptool.dsl.lexer import _DURATION, parse_duration
from httptool.dsl.template import parse_ref_path, parse_template
from httptool.operators import text_form
from httptool.plan import (
    Assertion,
    Condition,
    DataSet,
    Extract,
    Foreach,
    If,
    IfBranch,
    LoadSpec,
    MultipartBody,
    Parallel,
    Plan,
    Ref,
    Repeat,
    RequestSpec,
    RetrySpec,
    Run,
    ScenarioPlan,
    SharedPush,
    Stage,
    Step,
    Template,
    TextBody,
    Think,
    Threshold,
    UseRow,
    Value,
    VarDef,
)

BUILTINS = frozenset({"VU", "ITER", "TIME", "UUID", "COUNTER", "RANDOM", "env", "shared"})
LATENCY_METRICS = ("p50", "p90", "p95", "p99", "avg", "min", "med", "max")
RATE_METRICS = ("error_rate", "checks")
METRICS = (*LATENCY_METRICS, *RATE_METRICS, "rps", "dropped")
LOAD_KEYS = ("vus", "rps", "duration", "iterations", "ramp_up", "max_vus", "graceful_stop",
             "per")
RETRY_KEYS = ("max_attempts", "backoff", "base_delay", "max_delay", "jitter", "on")
_DASHED = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_-]*)+)")


def fmt_num(v: float) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    # whole numbers without an exponent (`rps > 1000000`, not `1e+06`); others in
    # their shortest exact form (`:g` kept six digits: 0.1234567 became 0.123457)
    if v == v and abs(v) < 1e15 and v.is_integer():
        return str(int(v))
    return repr(v)


def fmt_value(v: Value, latency: bool = False) -> str:
    """Canonical right side of an assertion or condition."""
    if latency and isinstance(v, int | float) and not isinstance(v, bool):
        return f"{fmt_num(v)}ms"
    if v is None:
        return "null"
    if isinstance(v, bool | int | float):
        return fmt_num(v)
    if isinstance(v, Template):
        if len(v.parts) == 1 and isinstance(v.parts[0], Ref):
            return v.static_text
        return json.dumps(v.static_text, ensure_ascii=False)
    return json.dumps(v, ensure_ascii=False)


def operand_text(v: Value, lit: A.Lit | None, latency: bool = False) -> str:
    """An assertion's right side as its check name shows it. A quoted string stays in
    double quotes even when it is only a reference (``"${email}"``), as docs/language.md
    says; a bare ``${email}`` is shown bare. (:func:`fmt_value` alone cannot tell the two
    apart: both compile to a one-reference template.)"""
    if lit is not None and lit.kind == "str" and isinstance(v, Template):
        return json.dumps(v.static_text, ensure_ascii=False)
    return fmt_value(v, latency)


@lru_cache(maxsize=4096)
def check_jsonpath(expr: str) -> str | None:
    """None when python-jsonpath accepts ``expr`` (dashed keys allowed), else the reason."""
    import jsonpath

    try:
        jsonpath.compile(expr)
        return None
    except Exception as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        try:
            jsonpath.compile(_DASHED.sub(lambda m: "['" + m.group(1) + "']", expr))
            return None
        except Exception:
            return first


def template_refs(obj: Any) -> Iterator[Ref]:
    """Every :class:`Ref` inside a value, header list, body or template."""
    if isinstance(obj, Template):
        yield from obj.refs
    elif isinstance(obj, TextBody):
        yield from obj.content.refs
    elif isinstance(obj, MultipartBody):
        for p in obj.parts:
            if p.value is not None:
                yield from p.value.refs
    elif isinstance(obj, tuple | list):
        for x in obj:
            yield from template_refs(x)


class Compiler:
    def __init__(self, diags: Diagnostics, base_dir: str) -> None:
        self.diags = diags
        self.base_dir = base_dir
        self.request_names: dict[str, A.RequestDecl] = {}
        self.data_names: set[str] = set()
        self.pools: set[str] = set()
        self.bound: set[str] = set()  # foreach / use variables
        self.refs: list[Ref] = []
        self.foreach_sources: list[tuple[str, int, int]] = []

    def err(self, msg: str, line: int, col: int) -> None:
        self.diags.error(msg, line, col)

    def warn(self, msg: str, line: int, col: int) -> None:
        self.diags.warning(msg, line, col)

    # ------------------------------------------------------------------ file
    def compile(self, f: A.File, source: str, scenario: str | None) -> Plan:
        variables: list[VarDef] = []
        data: list[DataSet] = []
        requests: list[RequestSpec] = []
        scenarios: list[ScenarioPlan] = []
        setup: list[Step] = []
        teardown: list[Step] = []
        seen: dict[tuple[str, str], tuple[int, int]] = {}

        def unique(kind: str, name: str, line: int, col: int) -> bool:
            prev = seen.get((kind, name))
            if prev:
                self.err(f"duplicate {kind} '{name}' (first defined at line {prev[0]})",
                         line, col)
                return False
            seen[(kind, name)] = (line, col)
            return True

        # names first, so flows may refer to requests defined further down
        for it in f.items:
            if isinstance(it, A.RequestDecl) and it.name not in self.request_names:
                self.request_names[it.name] = it
            elif isinstance(it, A.DataDecl):
                self.data_names.add(it.name)
            elif isinstance(it, A.SharedDecl):
                self.pools.add(it.name)
        def add(out: list[Any], kind: str, it: Any, make: Callable[[Any], Any]) -> None:
            """Compile the declaration ``it`` into ``out`` unless its name is taken (or
            compiling it failed, which reported why)."""
            if unique(kind, it.name, it.line, it.col):
                made = make(it)
                if made is not None:
                    out.append(made)

        for it in f.items:
            if isinstance(it, A.VarDecl):
                add(variables, "variable", it,
                    lambda v: VarDef(v.name, self.var_value(v.value), v.line, v.col))
            elif isinstance(it, A.DataDecl):
                add(data, "data set", it, self.dataset)
            elif isinstance(it, A.SharedDecl):
                unique("shared pool", it.name, it.line, it.col)
            elif isinstance(it, A.RequestDecl):
                add(requests, "request", it, self.request)
            elif isinstance(it, A.ScenarioDecl):
                add(scenarios, "scenario", it, self.scenario)
            elif isinstance(it, A.FlowDecl) and unique(it.kind, it.kind, it.line, it.col):
                (setup if it.kind == "setup" else teardown).extend(self.steps(it.flow))
        if scenario is not None and all(s.name != scenario for s in scenarios):
            first = next((s for s in f.items if isinstance(s, A.ScenarioDecl)), None)
            names = ", ".join(s.name for s in scenarios) or "none"
            self.err(f"unknown scenario '{scenario}' (scenarios in this file: {names})",
                     first.line if first else 1, first.col if first else 1)
        self.check_refs(variables, requests)
        return Plan(
            variables=tuple(variables),
            data=tuple(data),
            requests=tuple(requests),
            scenarios=tuple(scenarios),
            setup=tuple(setup),
            teardown=tuple(teardown),
            shared=tuple(sorted(self.pools)),
            source=source,
        )

    # ------------------------------------------------------------------ values
    def template(self, text: str, line: int, col: int) -> Template:
        t = parse_template(text, line, col, "raw", self.diags)
        self.refs.extend(t.refs)
        return t

    def warn_raw_reference(self, s: str, lit: A.Lit) -> None:
        """A ``${...}`` in a single-quoted (raw) string is sent as written: legal, and
        sometimes meant, but DSL.md promises never a *silent* literal ``${x}``."""
        i = s.find("${")
        while i > 0 and s[i - 1] == "$":  # $${ means a literal ${ anyway
            i = s.find("${", i + 2)
        if i < 0:
            return
        end = s.find("}", i)
        ref = s[i:end + 1] if end > 0 else s[i:]
        col = lit.col + 1 + i if "\n" not in s[:i] else lit.col
        self.warn(f"'{ref}' in a single-quoted string is kept as written (single quotes are "
                  f"raw); use double quotes to fill it in", lit.line, col)

    def lit_value(self, lit: A.Lit, what: str) -> Value:
        k = lit.kind
        if k in ("num", "bool", "null"):
            return lit.value
        if k == "str":
            s = str(lit.value)
            if "${" in s and lit.quote != "'":
                return self.template(s, lit.line, lit.col + (1 if lit.quote else 0))
            if lit.quote == "'":
                self.warn_raw_reference(s, lit)
            return s
        if k == "ref":
            return self.template("${" + str(lit.value) + "}", lit.line, lit.col)
        if k == "var":
            path = parse_ref_path(str(lit.value))
            if path is None:
                self.err(f"invalid variable name '{lit.value}'", lit.line, lit.col)
                return None
            ref = Ref(path, str(lit.value), "raw", lit.line, lit.col)
            self.refs.append(ref)
            return Template((ref,), lit.line, lit.col)
        if k == "word":
            self.err(f"unexpected word '{lit.value}' in {what}: quote strings", lit.line, lit.col)
            return None
        if k == "dur":
            self.err(f"a duration does not fit {what}", lit.line, lit.col)
            return None
        if k == "pct":
            self.err(f"a percentage does not fit {what}", lit.line, lit.col)
            return None
        self.err(f"a list does not fit {what}", lit.line, lit.col)
        return None

    def var_value(self, lit: A.Lit) -> Value:
        return self.lit_value(lit, "a variable")

    def seconds(self, lit: A.Lit, what: str) -> float | None:
        """A duration in seconds; None after an error (no unit, not a duration, negative)."""
        if lit.kind == "dur":
            if float(lit.value) < 0:
                self.err(f"{what} cannot be negative", lit.line, lit.col)
                return None
            return float(lit.value)
        if lit.kind == "str" and _DURATION.fullmatch(str(lit.value)):
            return parse_duration(str(lit.value))
        if lit.kind == "num":
            self.err(f"{what} needs a unit: {fmt_num(lit.value)}s or {fmt_num(lit.value)}ms",
                     lit.line, lit.col)
            return None
        self.err(f"{what} must be a duration like 30s or 1m", lit.line, lit.col)
        return None

    def integer(self, lit: A.Lit, what: str, minimum: int = 0) -> int | None:
        if lit.kind == "num" and isinstance(lit.value, int) and not isinstance(lit.value, bool):
            if lit.value < minimum:
                self.err(f"{what} must be at least {minimum}", lit.line, lit.col)
                return None
            return lit.value
        self.err(f"{what} must be a whole number", lit.line, lit.col)
        return None

    # ------------------------------------------------------------------ data
    def dataset(self, d: A.DataDecl) -> DataSet | None:
        if d.file is not None:
            return self.data_file(d, d.file)
        assert d.rows is not None
        rows = d.rows.value
        if not isinstance(rows, list):
            self.err(f"data '{d.name}' must be a list of objects", d.rows.line, d.rows.col)
            return None
        if not all(isinstance(r, dict) for r in rows):
            self.err(f"every row of data '{d.name}' must be an object {{...}}",
                     d.rows.line, d.rows.col)
            return None
        return DataSet(d.name, tuple(rows), None, d.line, d.col)

    def data_file(self, d: A.DataDecl, f: A.Lit) -> DataSet | None:
        name = str(f.value)
        path = os.path.normpath(os.path.join(self.base_dir, os.path.expanduser(name)))
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError, ValueError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            self.err(f"cannot read data file '{name}': {reason}", f.line, f.col)
            return None
        rows: list[dict[str, Any]]
        if name.lower().endswith(".json"):
            try:
                doc = json.loads(text)
            except ValueError as e:
                self.err(f"data file '{name}' is not valid JSON: {e}", f.line, f.col)
                return None
            if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
                self.err(f"data file '{name}' must hold a JSON array of objects", f.line, f.col)
                return None
            rows = doc
        elif name.lower().endswith(".csv"):
            try:
                reader = csv.DictReader(io.StringIO(text))
                rows = [dict(r) for r in reader]
            except csv.Error as e:
                self.err(f"data file '{name}' is not valid CSV: {e}", f.line, f.col)
                return None
            if reader.fieldnames is None:
                self.err(f"data file '{name}' has no header row", f.line, f.col)
                return None
        else:
            self.err(f"data file '{name}' must end in .csv or .json", f.line, f.col)
            return None
        return DataSet(d.name, tuple(rows), path, d.line, d.col)

    # ------------------------------------------------------------------ requests
    def request(self, r: A.RequestDecl) -> RequestSpec | None:
        extracts = tuple(e for e in (self.extract(x) for x in r.extracts) if e is not None)
        asserts = tuple(a for a in (self.assertion(x) for x in r.asserts) if a is not None)
        retry = self.retry(r.retry) if r.retry is not None else None
        if r.curl is None:
            return None
        cr = parse_curl(r.curl, r.curl_line, r.curl_col, self.diags, self.base_dir)
        if cr is None:
            return None
        for obj in (cr.url, [h.value for h in cr.headers], cr.cookies, cr.body):
            self.refs.extend(template_refs(obj))
        if cr.auth is not None:
            self.refs.extend(template_refs([cr.auth.user, cr.auth.password]))
        if cr.retry is not None:  # --retry N stands for a retry block; a written one wins
            if retry is None:
                retry = cr.retry
            else:
                self.diags.warning("--retry is overridden by this request's retry block",
                                   cr.retry.line, cr.retry.col)
        options = cr.options
        if r.resend is not None and not self.resend(r.resend):
            options = replace(options, resend=False)
        return RequestSpec(
            name=r.name, method=cr.method, url=cr.url, headers=cr.headers,
            cookies=cr.cookies, auth=cr.auth, body=cr.body, options=options,
            extracts=extracts, asserts=asserts, retry=retry, curl=r.curl,
            line=r.line, col=r.col,
        )

    def resend(self, v: A.Lit) -> bool:
        """``resend = off|on`` (also false/true): whether the client may send the request
        again on its own after a reused connection closed without an answer."""
        word = v.value if v.kind in ("word", "str", "bool") else None
        if word in ("off", False, "false"):
            return False
        if word in ("on", True, "true"):
            return True
        self.err("resend must be on or off", v.line, v.col)
        return True

    def extract(self, x: A.ExtractItem) -> Extract | None:
        if x.source == "jsonpath":
            why = check_jsonpath(x.expr)
            if why is not None:
                self.err(f"invalid JSONPath '{x.expr}': {why}", x.expr_line, x.expr_col)
                return None
        regexes = [(x.pattern, x.pattern_line, x.pattern_col)] if x.pattern is not None else []
        if x.source == "regex":
            regexes.append((x.expr, x.expr_line, x.expr_col))
        for pattern, line, col in regexes:
            try:
                re.compile(pattern)
            except re.error as e:
                self.err(f"invalid regex '{pattern}': {e}", line, col)
                return None
        return Extract(x.name, x.source, x.expr, x.line, x.col,  # type: ignore[arg-type]
                       x.pattern or "")

    def assertion(self, a: A.AssertItem) -> Assertion | None:
        latency = a.subject == "latency"
        if a.subject == "json":
            why = check_jsonpath(a.arg)
            if why is not None:
                self.err(f"invalid JSONPath '{a.arg}': {why}", a.line, a.col)
                return None
        value: Value = None
        values: tuple[Value, ...] = ()
        ok = True
        if a.value is not None:
            value = self.operand(a.value, latency, a)
            ok = value is not None or a.value.kind == "null"
        if a.values:
            vals = [self.operand(v, latency, a) for v in a.values]
            pairs = zip(vals, a.values, strict=True)
            ok = ok and all(v is not None or lit.kind == "null" for v, lit in pairs)
            values = tuple(vals)
        if not ok:
            return None
        if a.op == "matches":
            if not isinstance(value, str):
                assert a.value is not None
                self.err("'matches' needs a regex in quotes", a.value.line, a.value.col)
                return None
            try:
                re.compile(value)
            except re.error as e:
                assert a.value is not None
                self.err(f"invalid regex '{value}': {e}", a.value.line, a.value.col)
                return None
        shown = [operand_text(v, lit, latency) for v, lit in zip(values, a.values, strict=True)]
        text = text_form(a.op, self.subject_text(a), operand_text(value, a.value, latency)
                         if a.value is not None else "", shown)
        return Assertion(text, a.subject, a.op, a.arg, a.length,  # type: ignore[arg-type]
                         value, values, a.line, a.col)

    @staticmethod
    def subject_text(a: A.AssertItem) -> str:
        base = {"json": a.arg, "header": f"header.{a.arg}", "cookie": f"cookie.{a.arg}"}.get(
            a.subject, a.subject)
        return base + (".length" if a.length else "")

    def operand(self, lit: A.Lit, latency: bool, a: A.AssertItem) -> Value:
        if latency:
            if lit.kind == "dur":
                return float(lit.value) * 1000.0
            if lit.kind == "num":
                return float(lit.value)
            if lit.kind == "ref":
                return self.lit_value(lit, "an assertion")
            self.err("latency compares with a duration like 500ms", lit.line, lit.col)
            return None
        if (lit.kind == "dur" and a.subject in ("status", "size")) or lit.kind == "dur":
            self.err("a duration only fits 'latency'", lit.line, lit.col)
            return None
        return self.lit_value(lit, "an assertion")

    def retry(self, r: A.RetryDecl) -> RetrySpec | None:
        kw: dict[str, Any] = {}
        for f in r.fields:
            if f.key not in RETRY_KEYS:
                self.err(f"unknown retry setting '{f.key}' (expected "
                         f"{', '.join(RETRY_KEYS)})", f.line, f.col)
                continue
            if f.key in kw:
                self.err(f"duplicate retry setting '{f.key}'", f.line, f.col)
                continue
            v = f.value
            if f.key == "max_attempts":
                n = self.integer(v, "max_attempts", 1)
                if n is not None:
                    kw["max_attempts"] = n
            elif f.key == "backoff":
                word = v.value if v.kind in ("word", "str") else None
                if word not in ("constant", "linear", "exponential"):
                    self.err("backoff must be constant, linear or exponential", v.line, v.col)
                else:
                    kw["backoff"] = word
            elif f.key in ("base_delay", "max_delay"):
                s = self.seconds(v, f.key)
                if s is not None:
                    kw[f.key] = s
            elif f.key == "jitter":
                if v.kind != "bool":
                    self.err("jitter must be true or false", v.line, v.col)
                else:
                    kw["jitter"] = v.value
            elif f.key == "on":
                items = v.value if v.kind == "list" else [v]
                on: list[int | str] = []
                for it in items:
                    if it.kind == "num" and isinstance(it.value, int) and 100 <= it.value <= 599:
                        on.append(it.value)
                    elif it.kind in ("word", "str") and it.value in ("timeout", "error"):
                        on.append(str(it.value))
                    else:
                        self.err("retry 'on' takes status codes, timeout or error",
                                 it.line, it.col)
                kw["on"] = tuple(on)
        return RetrySpec(**kw, line=r.line, col=r.col)

    # ------------------------------------------------------------------ scenarios
    def scenario(self, s: A.ScenarioDecl) -> ScenarioPlan:
        load = self.load(s.load, s) if s.load is not None else LoadSpec(
            loadmodels.ITERATIONS.name, vus=1, iterations=1, line=s.line, col=s.col)
        think = Think(s.think_time.low, s.think_time.high, s.think_time.line,
                      s.think_time.col) if s.think_time else None
        thresholds = tuple(t for t in (self.threshold(x) for x in s.thresholds) if t)
        cookies = "vu"
        if s.cookies is not None:
            c = s.cookies.value if s.cookies.kind in ("word", "str") else None
            if c not in ("vu", "shared", "off"):
                self.err("cookies must be shared, off or vu", s.cookies.line, s.cookies.col)
            else:
                cookies = str(c)
        http = self.http_setting(s.http) if s.http is not None else None
        connections = None
        if s.connections is not None:
            v = s.connections
            if v.kind == "num" and isinstance(v.value, int) and v.value >= 1:
                connections = v.value
            else:
                self.err("connections must be a whole number of at least 1 (HTTP/2 "
                         "connections per origin, shared by all VUs)", v.line, v.col)
        flow = tuple(self.steps(s.flow))
        if not flow and not s.had_errors:
            self.err(f"scenario '{s.name}' runs nothing (add: run REQUEST)", s.line, s.col)
        return ScenarioPlan(s.name, load, flow, think, thresholds, cookies,  # type: ignore[arg-type]
                            s.line, s.col, http=http, connections=connections)

    def http_setting(self, v: A.Lit) -> Literal["1.1", "2"] | None:
        """``http = 1.1 | 2 | auto``: the HTTP version of the scenario's requests that do
        not choose one with a curl flag (docs/http2.md)."""
        text = str(v.value).lower() if v.kind in ("num", "word", "str") else ""
        if text in ("1.1", "2", "2.0"):
            return "1.1" if text == "1.1" else "2"
        if text != "auto":
            self.err("http must be 1.1, 2 or auto", v.line, v.col)
        return None

    def load(self, d: A.LoadDecl, s: A.ScenarioDecl) -> LoadSpec:
        """A scenario's load settings as a LoadSpec, with located errors: the settings'
        values and stages here, what each model needs in its ``loadmodels`` module."""
        kw: dict[str, Any] = {}
        pos: dict[str, A.KV] = {}
        for f in d.fields:
            if f.key not in LOAD_KEYS:
                self.err(f"unknown load setting '{f.key}' (expected {', '.join(LOAD_KEYS)}, "
                         "stage)", f.line, f.col)
                continue
            if f.key in kw:
                self.err(f"duplicate load setting '{f.key}'", f.line, f.col)
                continue
            pos[f.key] = f
            v = f.value
            if f.key in ("duration", "ramp_up", "graceful_stop"):
                kw[f.key] = self.seconds(v, f.key)
            elif f.key == "per":
                if v.kind in ("word", "str") and v.value in loadmodels.PER_VU:
                    kw[f.key] = "vu"
                else:
                    self.err("per takes vu: each VU runs the iterations "
                             f"({loadmodels.per_vu.EXAMPLE})", v.line, v.col)
                    kw[f.key] = None
            elif f.key == "rps":
                if v.kind != "num":
                    self.err("rps must be a number", v.line, v.col)
                    kw[f.key] = None
                else:
                    kw[f.key] = float(v.value)
            else:
                kw[f.key] = self.integer(v, f.key, 0)
        stages, stage_kind, first_stage_duration = self.stages(d.stages)
        model = loadmodels.choose(frozenset(kw), stage_kind)
        for key in ("vus", "rps", "iterations", "max_vus"):
            if kw.get(key) == 0:
                v = pos[key].value
                what = "VUs" if key in ("vus", "max_vus") else key
                self.err(f"impossible load: 0 {what}", v.line, v.col)
        self.check_zero_time(kw, pos, stages, first_stage_duration)
        has_time = "duration" in kw or bool(d.stages) or len(pos) < len(d.fields)
        settings = loadmodels.Settings(
            kw, {k: (f.value.line, f.value.col) for k, f in pos.items()},
            {k: (f.line, f.col) for k, f in pos.items()}, has_time, d.line, d.col)
        model.check(settings, self.err)
        for key, value in model.defaults.items():
            if kw.get(key) is None and key not in pos:
                kw[key] = value
        if kw.get("graceful_stop") is None:
            kw.pop("graceful_stop", None)
        for key in model.marks:
            kw.pop(key, None)
        return LoadSpec(model.name, stages=tuple(stages), line=d.line, col=d.col, **kw)

    def stages(self, decls: list[A.StageDecl]) -> tuple[list[Stage], str | None, A.Lit | None]:
        """The ``stage { duration = D, vus|rps|target = N }`` list, with located errors:
        the stages, their kind (vus or rps, never mixed) and the first one's duration."""
        stages: list[Stage] = []
        stage_kind = None
        first_stage_duration: A.Lit | None = None
        for st in decls:
            sd: float | None = None
            target: float | None = None
            for f in st.fields:
                if f.key == "duration":
                    sd = self.seconds(f.value, "a stage duration")
                    first_stage_duration = first_stage_duration or f.value
                elif f.key in ("vus", "rps", "target"):
                    if f.value.kind != "num":
                        self.err(f"stage {f.key} must be a number", f.value.line, f.value.col)
                        continue
                    target = float(f.value.value)
                    if f.key != "target":
                        if stage_kind and stage_kind != f.key:
                            self.err("stages mix vus and rps", f.line, f.col)
                        stage_kind = f.key
                else:
                    self.err(f"unknown stage setting '{f.key}' (expected duration, vus, rps)",
                             f.line, f.col)
            if sd is None:
                if not any(f.key == "duration" for f in st.fields):
                    self.err("impossible load: a stage needs a duration", st.line, st.col)
                continue
            if target is None:
                self.err("a stage needs a target (vus = N or rps = N)", st.line, st.col)
                continue
            stages.append(Stage(sd, target))
        return stages, stage_kind, first_stage_duration

    def check_zero_time(self, kw: dict[str, Any], pos: dict[str, A.KV], stages: list[Stage],
                        first_stage: A.Lit | None) -> None:
        """A load that lasts 0s runs nothing: say so here, at the ``0s``, instead of letting
        the run fail later with a message about a flag the user never gave. A 0s stage is
        fine (an instant jump to its target, as in k6) as long as the stages last longer."""
        if kw.get("duration") == 0:
            v = pos["duration"].value
            self.err("impossible load: a duration of 0s runs nothing", v.line, v.col)
        if stages and first_stage is not None and sum(st.duration for st in stages) == 0:
            self.err("impossible load: the stages last 0s in total", first_stage.line,
                     first_stage.col)

    def threshold(self, t: A.ThresholdItem,
                  scopes: Container[str] | None = None) -> Threshold | None:
        """``scopes``: the request names a scope may name (default: the file's)."""
        if t.metric not in METRICS:
            close = difflib.get_close_matches(t.metric, METRICS, 1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self.err(f"unknown threshold metric '{t.metric}'{hint}", t.metric_line,
                     t.metric_col)
            return None
        if t.scope is not None and t.scope not in (
                self.request_names if scopes is None else scopes):
            self.err(f"unknown request '{t.scope}' in threshold", t.line, t.col)
            return None
        v = t.value
        value: float
        if t.metric in LATENCY_METRICS:
            if v.kind == "dur":
                value = float(v.value) * 1000.0
            elif v.kind == "num":
                value = float(v.value)
            else:
                self.err(f"{t.metric} compares with a duration like 500ms", v.line, v.col)
                return None
            shown = f"{fmt_num(value)}ms"
        elif t.metric in RATE_METRICS:
            if v.kind == "pct" or (v.kind == "num" and 0 <= v.value <= 1):
                value = float(v.value)
            else:
                self.err(f"{t.metric} compares with a percentage like 1%", v.line, v.col)
                return None
            shown = f"{fmt_num(round(value * 100, 10))}%"
        else:
            if v.kind != "num":
                self.err(f"{t.metric} compares with a number", v.line, v.col)
                return None
            value = float(v.value)
            shown = fmt_num(value)
        name = f"{t.scope}.{t.metric}" if t.scope else t.metric
        return Threshold(f"{name} {t.op} {shown}", t.metric, t.op, value, t.scope,  # type: ignore[arg-type]
                         t.line, t.col)

    # ------------------------------------------------------------------ flows
    def steps(self, items: Iterable[Any]) -> list[Step]:
        out: list[Step] = []
        for s in items:
            step = self.step(s)
            if step is not None:
                out.append(step)
        return out

    def step(self, s: Any) -> Step | None:
        if isinstance(s, A.RunStep):
            if s.name not in self.request_names:
                close = difflib.get_close_matches(s.name, list(self.request_names), 1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.err(f"unknown request '{s.name}'{hint}", s.line, s.col)
            return Run(s.name, tuple(self.steps(s.children)), s.line, s.col)
        if isinstance(s, A.ParallelStep):
            return Parallel(tuple(tuple(self.steps(b)) for b in s.branches), s.line, s.col)
        if isinstance(s, A.IfStep):
            branches = tuple(IfBranch(self.condition(c), tuple(self.steps(b)))
                             for c, b in s.branches)
            return If(branches, tuple(self.steps(s.orelse)), s.line, s.col)
        if isinstance(s, A.ForeachStep):
            self.bound.add(s.var)
            root = s.source.split(".")[0].split("[")[0]
            self.foreach_sources.append((root, s.source_line, s.source_col))
            limit = None
            if s.limit is not None:
                limit = self.integer(s.limit, "limit", 1)
            return Foreach(s.var, s.source, tuple(self.steps(s.body)), limit, s.line, s.col)
        if isinstance(s, A.RepeatStep):
            n = self.integer(s.count, "repeat count", 0)
            return Repeat(n or 0, tuple(self.steps(s.body)), s.line, s.col)
        if isinstance(s, A.ThinkStep):
            return Think(s.low, s.high, s.line, s.col)
        if isinstance(s, A.PushStep):
            if s.pool not in self.pools:
                self.err(f"unknown shared pool '{s.pool}' (declare it: shared {s.pool} = [])",
                         s.line, s.col)
            v = self.lit_value(s.value, "a pool value")
            tpl = v if isinstance(v, Template) else Template.literal(
                "" if v is None else fmt_value(v) if not isinstance(v, str) else v)
            return SharedPush(s.pool, tpl, s.line, s.col)
        if isinstance(s, A.UseStep):
            self.bound.add(s.var)
            if s.data not in self.data_names:
                self.err(f"unknown data set '{s.data}'", s.data_line, s.data_col)
            return UseRow(s.var, s.data, s.mode, s.line, s.col)  # type: ignore[arg-type]
        return None

    def condition(self, c: A.CondNode) -> Condition:
        left = self.lit_value(c.left, "a condition")
        value = self.lit_value(c.value, "a condition") if c.value is not None else None
        values = tuple(self.lit_value(v, "a condition") for v in c.values)
        text = text_form(c.op, fmt_value(left), fmt_value(value),
                         [fmt_value(v) for v in values])
        return Condition(text, left, c.op, value, values, c.line, c.col)

    # ------------------------------------------------------------------ variables
    def check_refs(self, variables: list[VarDef], requests: list[RequestSpec]) -> None:
        defined = set(BUILTINS) | {v.name for v in variables} | self.data_names | self.bound
        for r in requests:
            defined.update(e.name for e in r.extracts)
        for root, line, col in self.foreach_sources:
            if root not in defined:
                self.warn(f"'{root}' is neither a data set nor a defined or extracted "
                          "variable", line, col)
        seen: set[tuple[int, int, str]] = set()
        for ref in self.refs:
            head = ref.path[0]
            key = (ref.line, ref.col, str(head))
            if key in seen:
                continue
            seen.add(key)
            if head == "shared" and len(ref.path) >= 2 and ref.path[1] not in self.pools:
                self.warn(f"unknown shared pool '{ref.path[1]}'", ref.line, ref.col)
            elif head not in defined:
                self.warn(f"variable '{head}' is used but never defined, extracted or bound",
                          ref.line, ref.col)


def compile_file(
    f: A.File, diags: Diagnostics, base_dir: str, source: str = "", scenario: str | None = None
) -> Plan:
    return Compiler(diags, base_dir).compile(f, source, scenario)
