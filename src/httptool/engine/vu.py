"""A virtual user: one simulated user walking a scenario's flow.

A :class:`VU` has its own variables (:class:`~httptool.engine.interpolate.Scope`), cookie
jar and keep-alive connections, all kept across its iterations, as a browser keeps them.
Everything a shard's VUs share lives in one :class:`Runtime`: the compiled requests, the
metrics recorder, data-row cursors, ``shared`` pools, the ``${COUNTER}`` sequence and the
event hook.

One request step (:meth:`VU.request`) = render -> send -> extract -> assert, repeated by
``retry``; each attempt is a real request in the metrics. A request fails when it has a
transport error, a failed extraction or assertion, or — with no assertion on ``status`` —
a status of 400 or more (DESIGN.md). Each failed request is counted once, by the first
kind that applies in the order ``variable``/``invalid``/transport kind, ``status``,
``assertion``, ``extraction`` (an assertion whose value is an undefined variable is a
``variable`` failure).

The flow is walked by plain recursion over the Plan's steps (:meth:`VU.steps`); this is
the product's core, so it is hand-written and kept lean: the common case (one ``run``
after another, static request, warm connection) costs a few attribute look-ups, the
client call and seven list appends.

Decisions where DSL.md is silent (docs/running.md repeats them):

* a ``var`` is evaluated when the VU starts (``"user-${VU}@test.com"``), or at the start
  of every iteration when it uses ``${ITER}``, ``${TIME}``, ``${UUID}``, ``${COUNTER}``,
  ``${RANDOM}`` or a shared pool: one value per iteration, the same in all its requests;
  a var that cannot be evaluated stays undefined and the requests using it say why;
* extracted variables stay with the VU across iterations until overwritten (like its
  cookies); ``foreach``/``use`` rows last for the iteration (or the loop body);
* a condition that refers to an undefined variable is false, except ``not exists`` on
  an undefined left side, which is true;
* ``foreach`` over something that is not an array runs nothing and counts the body's
  requests as skipped;
* a failed parent counts the request steps of its block as skipped as often as they
  would have run (``repeat``/``foreach`` multiply; of an ``if`` only the branch its
  condition picks now);
* ``retry`` without ``on`` retries any failed attempt (transport error, status, assertion,
  extraction); jitter scales each delay by a random factor in [0.5, 1.5); a step that
  cannot succeed as written (not buildable, undefined variable) is never retried;
* sequential ``use`` rows: one run-wide sequence per data set, dealt round-robin across
  shards;
* ``--base-url-map`` FROM matches only where a host or path segment ends;
* the scenario's ``think_time`` pauses before every request step but the first of the
  iteration, unless an explicit ``think`` came right before it;
* ``shared`` pools live in one process (one shard): VUs of other processes do not see
  each other's pushes; a pool keeps its last :data:`POOL_LIMIT` values.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from time import perf_counter_ns
from typing import Any, Protocol

from httptool.engine.checks import (
    Check,
    ExtractionError,
    Extractor,
    ResponseView,
    compile_checks,
    compile_extracts,
    evaluate_condition,
    has_status_check,
    is_truthy,
)
from httptool.engine.client import ClientContext, ConnectionPool
from httptool.engine.cookies import CookieMode, jar_factory
from httptool.engine.errors import TIMEOUT_KINDS, ErrorKind, cancelled_unsent
from httptool.engine.h2pool import H2Registry
from httptool.engine.http import H2_HEAD, Response
from httptool.engine.interpolate import (
    ESCAPERS,
    Renderer,
    RenderError,
    Scope,
    UndefinedVariable,
    compile_template,
    evaluate,
    init_globals,
    make_getter,
)
from httptool.engine.request import InvalidRequest, PreparedRequest, build_request, encode_body
from httptool.engine.trace import with_trace
from httptool.events import ITERATION, REQUEST, RESENT, VU_DONE, VU_START, Emit
from httptool.plan import (
    Condition,
    Foreach,
    If,
    MultipartBody,
    Parallel,
    Plan,
    Repeat,
    RequestSpec,
    RetrySpec,
    Run,
    ScenarioPlan,
    SharedPush,
    Step,
    Template,
    TextBody,
    Think,
    UseRow,
    Value,
    VarDef,
    flow_requests,
)
from httptool.secrets import mask_url
from httptool.wiretext import WIRE_ERRORS

#: Failure kind of a request cut by the end of the run (grace period over, second Ctrl-C).
INTERRUPTED = "interrupted"
#: A ``shared`` pool keeps at most this many values (the oldest are dropped).
POOL_LIMIT = 100_000


# --------------------------------------------------------------------------- metrics sink


class StatsSink(Protocol):
    """What a VU writes a request's numbers into (metrics.recorder.RequestStats)."""

    lat: list[int]
    end: list[int]
    vu: list[int]
    ttfb: list[int]
    conn: list[int]
    svc: list[int]
    code: list[int]  # HTTP status of each response
    bytes_sent: int
    bytes_received: int
    h2: int  # responses over HTTP/2

    def fail(self, kind: str, vu: int, end_ns: int) -> None: ...

    def error(self, kind: str, vu: int, end_ns: int) -> None: ...

    def resend(self, vu: int, end_ns: int) -> None: ...


class CheckSink(Protocol):
    passed: int
    failed: int


class RecorderLike(Protocol):
    """The shard's recorder as the engine sees it (metrics.recorder.Recorder); the engine
    does not import the metrics layer."""

    iter_vu: list[int]
    skipped: dict[str, int]

    def note_slow(self, latency_ns: int, trace_id: str, name: str, vu: int,
                  iteration: int) -> None: ...

    def request(self, name: str) -> Any: ...

    def check(self, name: str) -> Any: ...

    def maybe_flush(self) -> bool: ...


# --------------------------------------------------------------------------- requests


def map_url(url: str, base_url_map: Sequence[tuple[str, str]]) -> str:
    """``--base-url-map FROM=TO``: the first FROM that starts ``url`` is replaced by TO.

    FROM must end where a host or path segment ends: ``https://api.example.com`` maps
    ``https://api.example.com/x`` and ``...com?q`` but not ``https://api.example.com.au/``
    nor ``https://api.example.com:8443/`` (another origin). A TO ending in ``/`` does not
    double the slash of the rest."""
    for frm, to in base_url_map:
        if url.startswith(frm):
            rest = url[len(frm):]
            if rest and rest[0] not in "/?#" and not frm.endswith("/"):
                continue
            if to.endswith("/") and rest.startswith("/"):
                rest = rest[1:]
            return to + rest
    return url


class CompiledRequest:
    """A :class:`RequestSpec` ready to send: renderers for what varies, the prepared bytes
    when nothing does, compiled extractions and checks, and its metrics sinks."""

    __slots__ = (
        "auth", "body", "body_render", "check_stats", "checks", "cookies", "extractors", "headers",
        "keep_body", "method", "name", "options", "prepared", "retry", "spec", "stats",
        "status_ok", "status_rule", "url", "url_map",
    )

    def __init__(self, spec: RequestSpec, recorder: RecorderLike,
                 url_map: Sequence[tuple[str, str]] = ()) -> None:
        self.spec = spec
        self.name = spec.name
        self.method = spec.method
        self.options = spec.options
        self.url_map = tuple(url_map)
        self.url: Renderer = compile_template(spec.url)
        self.headers: tuple[tuple[str, Renderer | None], ...] = tuple(
            (h.name, compile_template(h.value, header=True) if h.value.parts else None)
            for h in spec.headers
        )
        self.cookies = (compile_template(spec.cookies, header=True)
                        if spec.cookies is not None else None)
        self.auth = ((compile_template(spec.auth.user), compile_template(spec.auth.password))
                     if spec.auth is not None else None)
        self.body = spec.body
        self.body_render = (compile_template(spec.body.content).render
                            if isinstance(spec.body, TextBody) else None)
        self.extractors: tuple[Extractor, ...] = compile_extracts(spec.extracts)
        self.checks: tuple[Check, ...] = compile_checks(spec.asserts)
        self.status_rule = not has_status_check(spec.asserts)
        self.keep_body = (any(e.source in ("jsonpath", "regex", "body") for e in spec.extracts)
                          or any(a.subject in ("body", "json", "size") for a in spec.asserts))
        self.retry: RetrySpec | None = spec.retry
        self.stats: StatsSink = recorder.request(spec.name)
        self.check_stats: tuple[CheckSink, ...] = tuple(
            recorder.check(f"{spec.name} {a.text}") for a in spec.asserts)
        #: all checks are constant status checks and nothing is extracted: a response
        #: whose status passes them all needs no ResponseView (the common case)
        self.status_ok: Callable[[int], bool] | None = None
        preds = [c.status_predicate() for c in self.checks]
        if not self.extractors and self.checks and all(p is not None for p in preds):
            if len(preds) == 1:
                self.status_ok = preds[0]
            else:
                fns = tuple(preds)
                self.status_ok = lambda st: all(f(st) for f in fns)  # type: ignore[misc]
        self.prepared: PreparedRequest | None = None
        if self._static():
            try:
                self.prepared = self._build(Scope())
            except (InvalidRequest, RenderError):
                self.prepared = None  # reported per attempt by prepare()

    def _static(self) -> bool:
        s = self.spec
        temps: list[Template] = [s.url, *(h.value for h in s.headers)]
        if s.auth is not None:
            temps += [s.auth.user, s.auth.password]
        if isinstance(s.body, TextBody):
            temps.append(s.body.content)
        elif isinstance(s.body, MultipartBody):
            temps += [p.value for p in s.body.parts if p.value is not None]
        return all(t.is_static for t in temps)

    def _build(self, scope: Scope) -> PreparedRequest:
        url = self.url.render(scope)
        if self.url_map:
            url = map_url(url, self.url_map)
        headers = tuple([(n, None if r is None else r.render(scope)) for n, r in self.headers])
        body = self.body
        if body is None:
            data = b""
        elif self.body_render is not None:  # set exactly when the body is a TextBody
            data = self.body_render(scope).encode("utf-8", WIRE_ERRORS)  # inline: -100 ns
        else:
            data = encode_body(body, lambda t: compile_template(t).render(scope))
        auth = None
        if self.auth is not None:
            auth = (self.auth[0].render(scope), self.auth[1].render(scope))
        return build_request(self.method, url, headers, data, self.options, auth)

    def prepare(self, scope: Scope) -> tuple[PreparedRequest, str | None]:
        """The request bytes and the ``-b`` cookie string for ``scope``.

        Raises :class:`RenderError` (undefined variable, header injection) or
        :class:`InvalidRequest` (e.g. the rendered URL is not a URL)."""
        cookies = self.cookies.render(scope) if self.cookies is not None else None
        prepared = self.prepared
        if prepared is None:
            prepared = self._build(scope)
        return prepared, cookies

    def shown_url(self, scope: Scope) -> str:
        """The URL for a log line when the request could not be built: every reference
        that has a value rendered, the others shown as ``${name}`` (never sent)."""
        out: list[str] = []
        for p in self.spec.url.parts:
            if isinstance(p, str):
                out.append(p)
                continue
            try:
                out.append(ESCAPERS[p.ctx](make_getter(p)(scope)))
            except RenderError:
                out.append("${" + p.text + "}")
        return map_url("".join(out), self.url_map)


# --------------------------------------------------------------------------- runtime

#: Built-ins whose value changes within a VU's life: a ``var`` using one of them is
#: evaluated again at the start of every iteration.
PER_ITERATION = frozenset({"ITER", "TIME", "UUID", "COUNTER", "RANDOM"})


def iteration_vars(variables: Sequence[VarDef]) -> tuple[VarDef, ...]:
    """The ``var``s to evaluate per iteration: those that use a :data:`PER_ITERATION`
    built-in or ``shared.POOL.random``, directly or through an earlier such var."""
    out: list[VarDef] = []
    names: set[str] = set()
    for vd in variables:
        v = vd.value
        if isinstance(v, Template) and any(
                r.path[0] in PER_ITERATION or r.path[0] == "shared" or r.path[0] in names
                for r in v.refs):
            out.append(vd)
            names.add(vd.name)
    return tuple(out)



def _with_scenario_http(spec: RequestSpec, http: str | None) -> RequestSpec:
    """The scenario's ``http =`` for a request whose curl command chose no version."""
    if http is None or spec.options.http is not None:
        return spec
    return replace(spec, options=replace(spec.options, http=http))  # type: ignore[arg-type]


class Runtime:
    """Everything one shard's VUs share. Numbers that must be unique run-wide (VU ids,
    ``${COUNTER}``, sequential data rows) are dealt round-robin: shard ``index`` of
    ``count`` takes ``index``, ``index + count``, ..."""

    def __init__(
        self,
        plan: Plan,
        scenario: ScenarioPlan,
        recorder: RecorderLike,
        *,
        shard_index: int = 0,
        shard_count: int = 1,
        base_url_map: Sequence[tuple[str, str]] = (),
        cookies: CookieMode | None = None,
        emit: Emit | None = None,
        setup_values: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        client: ClientContext | None = None,
        seed: int | None = None,
        counter_base: int = 0,
        trace: bool = False,
    ) -> None:
        self.plan = plan
        self.trace = trace  # --trace: a traceparent header on every request
        self.scenario = scenario
        self.recorder = recorder
        self.emit = emit
        self.setup_values: Mapping[str, Any] = dict(setup_values or {})
        self.env = env
        self.client = client or ClientContext()
        if scenario.connections:
            self.client.h2_shared = H2Registry(scenario.connections)
        self.cookie_mode: CookieMode = cookies or scenario.cookies
        self.new_jar = jar_factory(self.cookie_mode)
        self.rng = random.Random(seed)
        self.pools: dict[str, list[Any]] = {name: [] for name in plan.shared}
        local = itertools.count()
        self.next_counter: Callable[[], int] = (
            lambda: counter_base + next(local) * shard_count + shard_index + 1)
        self._shard = (shard_index, shard_count)
        self._rows: dict[str, itertools.count[int]] = {}
        self.url_map = tuple(base_url_map)
        # only the requests this flow can run: the summary lists what the scenario used
        used = set(flow_requests(scenario.flow))
        self.requests: dict[str, CompiledRequest] = {
            r.name: CompiledRequest(_with_scenario_http(r, scenario.http), recorder, self.url_map)
            for r in plan.requests if r.name in used}
        self.datasets = {d.name: d.rows for d in plan.data}
        self.think_time = scenario.think_time
        self.iteration_vars = iteration_vars(plan.variables)
        per_iteration = {v.name for v in self.iteration_vars}
        self.vu_vars = tuple(v for v in plan.variables if v.name not in per_iteration)

    def next_row_index(self, data: str) -> int:
        """The next run-wide sequential row number (0-based) of data set ``data``: each
        data set has its own sequence, dealt round-robin across shards."""
        seq = self._rows.get(data)
        if seq is None:
            seq = self._rows[data] = itertools.count()
        index, count = self._shard
        return next(seq) * count + index


# --------------------------------------------------------------------------- the VU


def _retry_delay(spec: RetrySpec, attempt: int, rng: random.Random) -> float:
    """Pause before attempt ``attempt + 1`` (``attempt`` >= 1 attempts made so far)."""
    if spec.backoff == "constant":
        d = spec.base_delay
    elif spec.backoff == "linear":
        d = spec.base_delay * attempt
    else:
        d = spec.base_delay * (2 ** (attempt - 1))
    d = min(d, spec.max_delay)
    if spec.jitter:
        d *= 0.5 + rng.random()
        d = min(d, spec.max_delay)
    return max(d, 0.0)


def _retry_wanted(spec: RetrySpec, status: int, error: ErrorKind | None) -> bool:
    """Whether a failed attempt is retried under ``on = [...]`` (empty: any failure)."""
    if not spec.on:
        return True
    for item in spec.on:
        if isinstance(item, int):
            if error is None and status == item:
                return True
        elif item == "timeout":
            if error in TIMEOUT_KINDS:
                return True
        elif item == "error" and error is not None:
            return True
    return False


class VU:
    """One virtual user. ``iteration()`` runs the scenario's flow once (the executor calls
    it); ``close()`` releases its connections."""

    __slots__ = ("_closed", "_started", "client", "emit", "id", "iter", "iter_scope", "jar",
                 "lag_ns", "open_model", "paused", "requested", "rt", "scope", "trace",
                 "trace_id", "var_errors")

    def __init__(self, rt: Runtime, vu_id: int) -> None:
        self.rt = rt
        self.id = vu_id
        self.iter = 0
        self.emit = rt.emit
        self.trace = rt.trace
        self.trace_id = ""  # of the request being sent (--trace)
        if rt.trace and rt.emit is not None:
            self.emit = self._traced_emit(rt.emit)
        self.jar = rt.new_jar()
        self.client = ConnectionPool(rt.client, None if rt.cookie_mode == "off" else self.jar)
        if rt.url_map:
            url_map = rt.url_map
            self.client.rewrite = lambda url: map_url(url, url_map)
        kwargs: dict[str, Any] = {}
        if rt.env is not None:
            kwargs["env"] = rt.env
        self.scope = Scope(vu=vu_id, iter=0, setup=rt.setup_values, pools=rt.pools,
                           next_counter=rt.next_counter, rng=rt.rng, **kwargs)
        #: ``var``s that could not be evaluated for this VU (they stay undefined)
        self.var_errors: dict[str, RenderError] = {}
        init_globals(self.scope, rt.vu_vars, self.var_errors)
        b = self.scope
        self.iter_scope = Scope(vu_id, 0, b.globals, b.setup, b.extracted, {}, b.pools,
                                b.next_counter, b.rng, b.env)
        self.lag_ns = 0
        self.open_model = False
        self.requested = False  # a request step ran in this iteration (think_time)
        self.paused = False  # an explicit think just ran (no think_time on top of it)
        self._started = False
        self._closed = False

    def _traced_emit(self, emit: Emit) -> Emit:
        """``emit`` that adds the request's trace id to request events (item 12, after the
        protocol, "" when there is none): only runs with ``--trace`` and events pay it."""
        def traced(ev: tuple[Any, ...]) -> None:
            if ev[0] is REQUEST or ev[0] is RESENT:
                ev = (*ev[:11], ev[11] if len(ev) > 11 else "", self.trace_id)
            emit(ev)
        return traced

    # ------------------------------------------------------------------ iterations
    async def iteration(self, scheduled_ns: int | None = None) -> None:
        emit = self.emit
        self.iter += 1
        if scheduled_ns is not None:
            # open model: every latency of this iteration includes its start delay
            self.open_model = True
            self.lag_ns = max(0, perf_counter_ns() - scheduled_ns)
        if emit is not None:
            now = time.time()
            if not self._started:
                emit((VU_START, now, self.id))
            emit((ITERATION, now, self.id, self.iter))
        self._started = True
        self.requested = self.paused = False
        # one Scope per VU, re-armed for each iteration (cheaper than a new one): the
        # iteration number and fresh rows; everything else is the VU's own
        scope = self.iter_scope
        scope.iter = self.iter
        if scope.rows:
            scope.rows = {}
        if self.rt.iteration_vars:
            init_globals(scope, self.rt.iteration_vars, self.var_errors)
        await self.steps(self.rt.scenario.flow, scope)
        rec = self.rt.recorder
        rec.iter_vu.append(self.id)
        rec.maybe_flush()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.close()
        if self.emit is not None and self._started:
            self.emit((VU_DONE, time.time(), self.id))

    # ------------------------------------------------------------------ flow walking
    async def steps(self, steps: Sequence[Step], scope: Scope) -> None:
        rt = self.rt
        for step in steps:
            if type(step) is Run:
                cr = rt.requests[step.request]
                if cr.retry is None and rt.think_time is None:
                    # request() inlined for its common case (no retry, no think_time):
                    # one coroutine frame less per request
                    self.paused = False
                    ok = (await self._attempt(cr, scope))[0]
                else:
                    ok = await self.request(cr, scope)
                if step.children:
                    if ok:
                        await self.steps(step.children, scope)
                    else:
                        self._skip(step.children, scope)
            else:
                await self._other(step, scope)

    async def _other(self, step: Step, scope: Scope) -> None:
        if isinstance(step, Think):
            self.paused = True
            await self._pause(step.low, step.high)
        elif isinstance(step, Parallel):
            await asyncio.gather(*(self.steps(b, scope.bind()) for b in step.branches))
        elif isinstance(step, If):
            for br in step.branches:
                if self._condition(br.cond, scope):
                    await self.steps(br.body, scope)
                    return
            if step.orelse:
                await self.steps(step.orelse, scope)
        elif isinstance(step, Foreach):
            items = self._items(step.source, scope)
            if items is None:
                self._skip(step.body, scope)
                return
            if step.limit is not None:
                items = items[: step.limit]
            for item in items:
                await self.steps(step.body, scope.bind(**{step.var: item}))
        elif isinstance(step, Repeat):
            for _ in range(step.count):
                await self.steps(step.body, scope)
        elif isinstance(step, UseRow):
            rows = self.rt.datasets.get(step.data, ())
            if rows:
                if step.mode == "random":
                    row = rows[self.rt.rng.randrange(len(rows))]
                elif step.mode == "per_vu":
                    row = rows[(self.id - 1) % len(rows)]
                else:
                    row = rows[self.rt.next_row_index(step.data) % len(rows)]
                scope.rows[step.var] = row
        elif isinstance(step, SharedPush):
            try:
                value = compile_template(step.value).value(scope)
            except RenderError:
                return
            pool = self.rt.pools.setdefault(step.pool, [])
            pool.append(value)
            if len(pool) > POOL_LIMIT:
                del pool[: len(pool) - POOL_LIMIT]
        elif isinstance(step, Run):  # pragma: no cover - handled in steps()
            await self.steps((step,), scope)

    def _skip(self, steps: Sequence[Step], scope: Scope, times: int = 1) -> None:
        """Count the request steps below ``steps`` that will not run (their parent failed)
        as skipped, as often as they would have run: ``repeat N`` N times, ``foreach``
        once per item it would take (once when its list is not known yet), and of an
        ``if`` only the branch its condition picks now."""
        if times <= 0:
            return
        skipped = self.rt.recorder.skipped
        for step in steps:
            if isinstance(step, Run):
                skipped[step.request] = skipped.get(step.request, 0) + times
                self._skip(step.children, scope, times)
            elif isinstance(step, Parallel):
                for b in step.branches:
                    self._skip(b, scope, times)
            elif isinstance(step, If):
                body = step.orelse
                for br in step.branches:
                    if self._condition(br.cond, scope):
                        body = br.body
                        break
                self._skip(body, scope, times)
            elif isinstance(step, Repeat):
                self._skip(step.body, scope, times * step.count)
            elif isinstance(step, Foreach):
                items = self._items(step.source, scope)
                n = 1 if items is None else len(items)
                if step.limit is not None:
                    n = min(n, step.limit)
                self._skip(step.body, scope, times * n)

    def _condition(self, cond: Condition, scope: Scope) -> bool:
        """An ``if`` condition. An undefined left side is a missing value (only ``not
        exists`` holds: ``if ${token} not exists { run login }``); any other undefined
        reference makes the condition false."""
        def render(v: Value) -> Any:
            return evaluate(v, scope)

        try:
            left = render(cond.left)
        except RenderError:
            return cond.op == "not exists"
        try:
            if cond.op == "truthy":
                return is_truthy(left)
            return evaluate_condition(cond, lambda v: left if v is cond.left else render(v))
        except RenderError:
            return False

    def _items(self, source: str, scope: Scope) -> list[Any] | None:
        """The rows of data set ``source``, or the array held by variable ``source``
        (dotted access allowed: ``page.items``); None when it is not an array."""
        rows = self.rt.datasets.get(source)
        if rows is not None:
            return list(rows)
        head, *rest = source.split(".")
        v: Any = scope.lookup(head)
        for key in rest:
            v = v.get(key) if isinstance(v, dict) else None
        return v if isinstance(v, list) else None

    async def _pause(self, low: float, high: float) -> None:
        d = low if high <= low else self.rt.rng.uniform(low, high)
        if d > 0:
            await asyncio.sleep(d)

    # ------------------------------------------------------------------ one request step
    async def request(self, cr: CompiledRequest, scope: Scope) -> bool:
        """Run one request step (with its retries); True when the last attempt passed."""
        think = self.rt.think_time
        if think is not None:
            if self.requested and not self.paused:
                await self._pause(think.low, think.high)
            self.requested = True
        self.paused = False
        retry = cr.retry
        attempts = retry.max_attempts if retry is not None else 1
        attempt = 0
        while True:
            attempt += 1
            ok, status, error = await self._attempt(cr, scope)
            if ok or retry is None or attempt >= attempts:
                return ok
            if error is ErrorKind.INVALID or not _retry_wanted(retry, status, error):
                return False  # INVALID: a retry would fail the same way (see _attempt)
            await asyncio.sleep(_retry_delay(retry, attempt, self.rt.rng))

    async def _attempt(self, cr: CompiledRequest, scope: Scope
                       ) -> tuple[bool, int, ErrorKind | None]:
        """Send once; (passed, status, error). ``error`` is the transport error kind, or
        ``INVALID`` when the step cannot succeed as written (the request cannot be built,
        or an assertion refers to an undefined variable), which is never retried."""
        st = cr.stats
        vu = self.id
        emit = self.emit
        try:
            req, cookies = cr.prepare(scope)
        except (RenderError, InvalidRequest) as e:
            return self._unbuildable(cr, scope, e)
        if self.trace:
            req, self.trace_id = with_trace(req)
        try:
            resp: Response = await self.client.send(req, keep_body=cr.keep_body,
                                                    cookies=cookies)
        except asyncio.CancelledError as e:
            # cut at the end of the grace period (or a second Ctrl-C). Written, the request
            # counts — one with no response, of kind interrupted; cut while its connection
            # was still being opened, the server got nothing and neither does the count
            if not cancelled_unsent(e):
                self._interrupted(cr, req)
            raise
        error = resp.error
        end = resp.end_ns or perf_counter_ns()
        if error is not None:
            return self._failed(cr, req, resp, error, end)
        # latency leaves out the set-up of a connection this request opened (DNS, TCP,
        # proxy tunnel, TLS: the `connect` figure), as k6's http_req_duration does; in the
        # open model it counts from the iteration's scheduled start, set-up included (no
        # coordinated omission), and `service` is the k6-comparable figure
        total = end - resp.start_ns
        setup = resp.connect_ns + resp.tls_ns if resp.new_connection else 0
        service = total - setup
        if self.open_model:
            st.lat.append(total + self.lag_ns)
            st.svc.append(service)
        else:
            st.lat.append(service)
        if self.trace and self.trace_id:
            self.rt.recorder.note_slow(service + self.lag_ns if self.open_model else service,
                                       self.trace_id, cr.name, vu, self.iter)
        st.end.append(end)
        st.vu.append(vu)
        st.ttfb.append(resp.ttfb_ns)
        st.code.append(resp.status)
        st.bytes_sent += resp.bytes_sent
        st.bytes_received += resp.bytes_received
        if resp.raw_head.startswith(H2_HEAD):  # the protocol mix of the summary
            st.h2 += 1
        if resp.new_connection:
            st.conn.append(setup)
        if resp.copies is not None:  # HTTP/2: the resent copy may share a new connection
            self._resent(cr, req, resp.copies)
        status = resp.status
        reason = ""
        kind = ""
        if cr.status_rule and status >= 400:
            kind = "status"
            reason = f"status {status} (400 or above, and no assertion on status)"
        status_ok = cr.status_ok
        if status_ok is not None and status_ok(status):
            for cs in cr.check_stats:
                cs.passed += 1
        elif cr.extractors or cr.checks:
            kind, reason = self._verify(cr, resp, req, scope, kind, reason)
        if kind:
            st.fail(kind, vu, end)
        if emit is not None:
            emit((REQUEST, time.time(), vu, self.iter, cr.name, req.method,
                  mask_url(req.url_text), status, service / 1e6, not kind, reason,
                  resp.protocol))
        return not kind, status, ErrorKind.INVALID if kind == "variable" else None

    # The paths of _attempt that a plain passing request never takes, kept apart so that
    # the one it takes reads straight through.
    def _unbuildable(self, cr: CompiledRequest, scope: Scope, e: Exception
                     ) -> tuple[bool, int, ErrorKind | None]:
        """The request could not be built (an undefined variable, a bad URL): counted as
        an error of its own kind, never retried."""
        self.trace_id = ""  # nothing was sent, so no trace (a rare path: no test)
        kind = "variable" if isinstance(e, RenderError) else ErrorKind.INVALID.value
        cr.stats.error(kind, self.id, perf_counter_ns())
        if self.emit is not None:
            message = self._why(e) if isinstance(e, RenderError) else str(e)
            self.emit((REQUEST, time.time(), self.id, self.iter, cr.name, cr.method,
                       mask_url(cr.shown_url(scope)), 0, 0.0, False, message))
        return False, 0, ErrorKind.INVALID

    def _interrupted(self, cr: CompiledRequest, req: PreparedRequest) -> None:
        """Cut at the end of the grace period (or a second Ctrl-C) after it was written:
        a request with no response, of kind interrupted (one cut while its connection was
        still being opened reached no server and is not counted: the caller's check)."""
        cr.stats.error(INTERRUPTED, self.id, perf_counter_ns())
        if self.emit is not None:
            self.emit((REQUEST, time.time(), self.id, self.iter, cr.name, req.method,
                       mask_url(req.url_text), 0, 0.0, False,
                       "interrupted: the run ended before the response"))

    def _failed(self, cr: CompiledRequest, req: PreparedRequest, resp: Response,
                error: ErrorKind, end: int) -> tuple[bool, int, ErrorKind | None]:
        """A transport error (timeout, reset, refused...): counted with its bytes, since a
        request that went out did reach the server."""
        st = cr.stats
        if resp.copies is not None:
            self._resent(cr, req, resp.copies)
        st.bytes_sent += resp.bytes_sent
        st.bytes_received += resp.bytes_received
        st.error(error.value, self.id, end)
        if self.emit is not None:
            self.emit((REQUEST, time.time(), self.id, self.iter, cr.name, req.method,
                       mask_url(req.url_text), 0, (end - resp.start_ns) / 1e6, False,
                       resp.reason or error.value))
        return False, 0, error

    def _verify(self, cr: CompiledRequest, resp: Response, req: PreparedRequest,
                scope: Scope, kind: str, reason: str) -> tuple[str, str]:
        """Extractions, then assertions: the failure kind and reason ('' when it passed).
        A failed assertion wins over a failed extraction; an undefined variable in an
        assertion (the scenario's mistake) wins over both."""
        view = ResponseView(resp, self.jar, req.url.host)
        for ex in cr.extractors:
            try:
                scope.extracted[ex.name] = ex.run(view)
            except ExtractionError as e:
                if not kind:
                    kind, reason = "extraction", str(e)
        if not cr.checks:
            return kind, reason

        def render(v: Value) -> Any:
            return evaluate(v, scope)

        first_fail = bad_var = ""
        for check, cs in zip(cr.checks, cr.check_stats, strict=True):
            try:
                why = check.evaluate(view, render)
            except RenderError as e:
                why = f"assert {check.text} failed: {self._why(e)}"
                bad_var = bad_var or why
            if why is None:
                cs.passed += 1
            else:
                cs.failed += 1
                if not first_fail:
                    first_fail = why
        if bad_var:
            return "variable", bad_var
        if first_fail and kind in ("", "extraction"):
            return "assertion", first_fail
        return kind, reason

    def _resent(self, cr: CompiledRequest, req: PreparedRequest,
                copies: list[Response]) -> None:
        """Count the copies the client sent before the one that ended the request: each
        reached the wire (the server may have received it), so each is a request."""
        st = cr.stats
        emit = self.emit
        for copy in copies:
            st.resend(self.id, copy.end_ns)
            st.bytes_sent += copy.bytes_sent
            if emit is not None:
                ended = time.time() - (perf_counter_ns() - copy.end_ns) / 1e9
                emit((RESENT, ended, self.id, self.iter, cr.name, req.method,
                      mask_url(req.url_text), 0, (copy.end_ns - copy.start_ns) / 1e6, False,
                      f"{copy.reason}; resent on a new connection"))

    def _why(self, e: RenderError) -> str:
        """The message of a render error; for a ``var`` that could not be evaluated when
        this VU started, also why (``undefined variable 'token' (line 9): var token has no
        value: undefined variable 'env.TOKEN' (line 2)``)."""
        msg = str(e)
        if isinstance(e, UndefinedVariable) and self.var_errors:
            head = e.name.split(".", 1)[0].split("[", 1)[0].strip()
            cause = self.var_errors.get(head)
            if cause is not None and cause is not e:
                msg += f": var {head} has no value: {cause}"
        return msg
