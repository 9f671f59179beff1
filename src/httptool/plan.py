"""The compiled scenario file: plain, immutable, picklable data.

The Plan is the contract between the language (``httptool.dsl``) and everything that runs
(``httptool.engine``, ``httptool.run``). It holds no behaviour beyond small look-ups, so it
can be pickled to worker processes or Dask workers and printed as JSON by
``httptool scenario convert``.

Conventions used throughout:

* Durations are ``float`` seconds (``think``, ``duration``, ``ramp_up``, retry delays,
  timeouts), except latency values in assertions and thresholds, which are ``float``
  milliseconds because that is how users write them (``latency < 500`` means 500 ms).
* Percentages (``error_rate < 1%``, ``checks > 99%``) are stored as fractions (0.01, 0.99).
* Every node carries ``line``/``col`` (1-based) of its source for run-time messages. These
  fields are excluded from equality (``compare=False``), as is any raw source text, so the
  same scenario written in two styles compiles to *equal* Plans.
* Strings that may contain ``${...}`` are :class:`Template` values: literal text pre-split
  from the variable references, so the engine renders only the parts that vary.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Literal

# --------------------------------------------------------------------------- templates

#: How a referenced value is escaped when a template is rendered (decided at compile time
#: from where the reference stands):
#:   ``raw``         inserted as text (headers, plain text bodies, base URLs before the path)
#:   ``path``        a URL path segment: percent-encode what is not allowed in a path
#:   ``query``       a URL query component: percent-encode everything reserved
#:   ``json_string`` inside a JSON string literal: JSON string escaping, no quotes added
#:   ``json_value``  in a JSON value position: the value JSON-encoded (numbers stay numbers)
#:   ``form``        an application/x-www-form-urlencoded value: form-encoded
RefContext = Literal["raw", "path", "query", "json_string", "json_value", "form"]


@dataclass(frozen=True, slots=True)
class Ref:
    """A ``${...}`` reference. ``path`` is the dotted/indexed access split into keys.

    ``${post.id}`` -> ``("post", "id")``; ``${items[0].id}`` -> ``("items", 0, "id")``;
    ``${env.HOME}`` -> ``("env", "HOME")``; built-ins are single names (``("VU",)``);
    ``${shared.pool.random}`` -> ``("shared", "pool", "random")``.
    ``${env.NAME ?? "x"}`` has the ``default`` "x": the value when NAME is set nowhere.
    """

    path: tuple[str | int, ...]
    text: str  # the source text between ${ and }
    ctx: RefContext = "raw"
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """Text with interpolations: literal ``str`` parts and :class:`Ref` parts, in order."""

    parts: tuple[str | Ref, ...]
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)

    @property
    def is_static(self) -> bool:
        return all(isinstance(p, str) for p in self.parts)

    @property
    def static_text(self) -> str:
        """The text when :attr:`is_static`; refs shown as ``${...}`` otherwise (for display)."""
        return "".join(p if isinstance(p, str) else "${" + p.text + "}" for p in self.parts)

    @property
    def refs(self) -> tuple[Ref, ...]:
        return tuple(p for p in self.parts if isinstance(p, Ref))

    @staticmethod
    def literal(text: str) -> Template:
        return Template((text,) if text else ())


#: A constant or interpolated value (assertion right sides, variable values, conditions).
Value = str | int | float | bool | None | Template

# --------------------------------------------------------------------------- requests


@dataclass(frozen=True, slots=True)
class Header:
    name: str
    value: Template


@dataclass(frozen=True, slots=True)
class BasicAuth:
    """``-u user:password`` (the password may be empty)."""

    user: Template
    password: Template


@dataclass(frozen=True, slots=True)
class TextBody:
    """A body sent as given (``-d``, ``--data-raw``, ``--data-binary``, ``--json``).

    Refs carry their escaping context (``json_string``/``json_value`` in JSON bodies,
    ``form`` in url-encoded bodies, ``raw`` otherwise).
    """

    content: Template


@dataclass(frozen=True, slots=True)
class FormPart:
    """One ``-F`` part: a value (``name=value``) or a file (``name=@path``)."""

    name: str
    value: Template | None = None
    file_path: str | None = None  # absolute path, resolved relative to the scenario file
    file_content: bytes | None = None  # read at compile time; None if the file is missing
    filename: str | None = None
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class MultipartBody:
    parts: tuple[FormPart, ...]
    boundary: str


Body = TextBody | MultipartBody


@dataclass(frozen=True, slots=True)
class CurlOptions:
    """curl options that change how a request is sent (curl's defaults)."""

    follow_redirects: bool = False  # -L
    max_redirs: int = 50  # --max-redirs (curl's default with -L)
    insecure: bool = False  # -k
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    max_time: float | None = None  # -m, seconds; None = the tool's default total timeout
    connect_timeout: float | None = None  # seconds
    compressed: bool = False
    proxy: str | None = None  # -x, e.g. "http://127.0.0.1:3128"
    #: ``resend = off`` (no curl flag): never send the request a second time on its own,
    #: not even an idempotent one on a keep-alive connection the server closed
    resend: bool = True
    path_as_is: bool = False  # --path-as-is: keep ./ and ../ segments
    request_target: str | None = None  # --request-target: sent instead of the URL's path
    # where to connect; the URL still gives the Host header and the TLS server name
    resolve: tuple[tuple[str, int, str], ...] = ()  # --resolve: (host or "*", port, address)
    connect_to: tuple[tuple[str, str, str, str], ...] = ()  # --connect-to ("" = any/same)
    ip_version: int = 0  # -4 / -6 (0: both)
    unix_socket: str | None = None  # --unix-socket PATH
    noproxy: str | None = None  # --noproxy: hosts reached without -x
    capath: str | None = None  # --capath: a directory of CA certificates
    tls_min: str | None = None  # --tlsv1.2 etc.: "1.0" .. "1.3"
    tls_max: str | None = None  # --tls-max
    location_trusted: bool = False  # --location-trusted: credentials follow redirects
    #: HTTP version (docs/http2.md): None = curl's default (https offers h2 and http/1.1 by
    #: ALPN, http is HTTP/1.1); "1.1" (--http1.1); "2" (--http2: h2c prior knowledge on
    #: http://); "2-prior" (--http2-prior-knowledge: HTTP/2 or fail, no fallback)
    http: Literal["1.1", "2", "2-prior"] | None = None


@dataclass(frozen=True, slots=True)
class Extract:
    """``NAME = SOURCE``; ``expr`` is the JSONPath, regex, header or cookie name."""

    name: str
    source: Literal["jsonpath", "regex", "header", "cookie", "status", "body"]
    expr: str = ""
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)
    #: a regex over a header's or cookie's value (``header:Location regex:"code=(\w+)"``)
    pattern: str = ""


AssertSubject = Literal["status", "latency", "body", "json", "header", "size", "cookie"]
Operator = Literal[
    "==", "!=", "<", "<=", ">", ">=", "in", "not in", "between",
    "contains", "not contains", "matches", "exists", "not exists",
]
#: an ``if``: the assertion operators, or the truth of the left side alone
ConditionOp = Operator | Literal["truthy"]


@dataclass(frozen=True, slots=True)
class Assertion:
    """One named check. ``text`` is the canonical source form, e.g. ``status == 200``;
    the check's name in reports is ``"<request> <text>"``.

    ``subject``/``arg``: ``json`` takes a JSONPath in ``arg`` (``body.id`` and ``$.id`` both
    become ``$.id``); ``header``/``cookie`` take the name; ``length`` applies ``.length``.
    ``value`` is the right side; ``values`` holds ``in``/``not in`` lists and the two bounds
    of ``between``. Latency values are milliseconds.
    """

    text: str
    subject: AssertSubject
    op: Operator
    arg: str = ""
    length: bool = False
    value: Value = None
    values: tuple[Value, ...] = ()
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class RetrySpec:
    """``retry { ... }``. ``on`` holds status codes and/or the word ``"timeout"``/``"error"``;
    empty means: retry on transport errors and on failed assertions."""

    max_attempts: int = 3
    backoff: Literal["constant", "linear", "exponential"] = "exponential"
    base_delay: float = 0.1
    max_delay: float = 10.0
    jitter: bool = False
    on: tuple[int | str, ...] = ()
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """A named request: what curl would send, plus extraction, checks and retry.

    ``headers`` are in the order curl sends them and already include the headers curl adds
    for its flags (``Content-Type`` for ``-d``/``--json``/``-F``, ``Accept`` for ``--json``,
    ``User-Agent`` for ``-A``, ``Referer`` for ``-e``); ``cookies`` is the ``-b`` string.
    """

    name: str
    method: str
    url: Template
    headers: tuple[Header, ...] = ()
    cookies: Template | None = None
    auth: BasicAuth | None = None
    body: Body | None = None
    options: CurlOptions = CurlOptions()
    extracts: tuple[Extract, ...] = ()
    asserts: tuple[Assertion, ...] = ()
    retry: RetrySpec | None = None
    curl: str = field(default="", compare=False)  # the curl command as written
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


# --------------------------------------------------------------------------- flows


@dataclass(frozen=True, slots=True)
class Condition:
    """``if`` condition: ``left OP value`` with the assertion operators, or ``op="truthy"``
    to test the truth of ``left`` (``if ${enabled} { ... }``)."""

    text: str
    left: Value
    op: ConditionOp
    value: Value = None
    values: tuple[Value, ...] = ()
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Run:
    """``run NAME``; ``children`` (a nested block) run only if this request succeeded."""

    request: str
    children: tuple[Step, ...] = ()
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Parallel:
    """Branches run concurrently inside the VU; the step ends when all branches end."""

    branches: tuple[tuple[Step, ...], ...]
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class IfBranch:
    cond: Condition
    body: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class If:
    branches: tuple[IfBranch, ...]  # if, else if, ...
    orelse: tuple[Step, ...] = ()
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Foreach:
    """``foreach VAR in SOURCE [limit N] { ... }``; SOURCE is a data set or a variable
    holding an array."""

    var: str
    source: str
    body: tuple[Step, ...]
    limit: int | None = None
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Repeat:
    count: int
    body: tuple[Step, ...]
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Think:
    """Pause for a uniformly random time in ``[low, high]`` seconds (equal for a fixed
    pause; ``1s ± 0.5s`` is ``[0.5, 1.5]``; ``1s..3s`` is ``[1, 3]``)."""

    low: float
    high: float
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class SharedPush:
    """``shared.POOL.push(VALUE)``: add a value to a run-wide pool."""

    pool: str
    value: Template
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class UseRow:
    """``use VAR from DATA [random|per vu]``: bind one row of a data set for this iteration."""

    var: str
    data: str
    mode: Literal["sequential", "random", "per_vu"] = "sequential"
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


Step = Run | Parallel | If | Foreach | Repeat | Think | SharedPush | UseRow



def flow_requests(steps: tuple[Step, ...], acc: list[str] | None = None) -> list[str]:
    """The names of every request ``steps`` may run, at any depth, first use first."""
    acc = [] if acc is None else acc
    for s in steps:
        if isinstance(s, Run):
            if s.request not in acc:
                acc.append(s.request)
            flow_requests(s.children, acc)
        elif isinstance(s, Parallel):
            for b in s.branches:
                flow_requests(b, acc)
        elif isinstance(s, If):
            for br in s.branches:
                flow_requests(br.body, acc)
            flow_requests(s.orelse, acc)
        elif isinstance(s, Foreach | Repeat):
            flow_requests(s.body, acc)
    return acc

# --------------------------------------------------------------------------- load


@dataclass(frozen=True, slots=True)
class Stage:
    """Ramp linearly from the previous stage's target (0 at start) to ``target`` (VUs or
    iterations/s, by the load model) over ``duration`` seconds."""

    duration: float
    target: float


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """How much load: ``model`` names a load model of ``httptool.loadmodels`` — ``vus``
    (closed), ``rps`` (open, iterations started per second) or ``iterations`` (a fixed
    total shared by ``vus`` VUs).

    With ``stages`` the VU count (``vus``) or the rate (``rps``) follows the stages and the
    duration is their sum.
    """

    model: str  # a key of httptool.loadmodels.MODELS
    vus: int | None = None
    rps: float | None = None
    duration: float | None = None
    iterations: int | None = None
    ramp_up: float | None = None
    max_vus: int | None = None
    stages: tuple[Stage, ...] = ()
    graceful_stop: float = 5.0
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)

    @property
    def total_duration(self) -> float | None:
        if self.stages:
            return sum(s.duration for s in self.stages)
        return self.duration


ThresholdMetric = Literal[
    "p50", "p90", "p95", "p99", "avg", "min", "med", "max",
    "error_rate", "checks", "rps", "dropped",
]


@dataclass(frozen=True, slots=True)
class Threshold:
    """A pass/fail gate: ``[scope.]metric op value``. Latency values are milliseconds,
    ``error_rate``/``checks`` fractions, ``rps`` per second, ``dropped`` a count."""

    text: str  # canonical form, e.g. "login.p95 < 300ms"
    metric: ThresholdMetric
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: float
    scope: str | None = None  # request name, or None for the whole run
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ScenarioPlan:
    name: str
    load: LoadSpec
    flow: tuple[Step, ...]
    think_time: Think | None = None  # default pause between steps
    thresholds: tuple[Threshold, ...] = ()
    cookies: Literal["vu", "shared", "off"] = "vu"
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)
    #: ``http = 1.1 | 2``: the HTTP version of requests without a curl flag for it
    http: Literal["1.1", "2"] | None = None
    #: ``connections = N``: HTTP/2 connections per origin shared by all VUs of a process
    #: (h2load's model); None = one per VU per origin (k6's)
    connections: int | None = None


# --------------------------------------------------------------------------- file level


@dataclass(frozen=True, slots=True)
class VarDef:
    """``var NAME = VALUE``. A Template value is evaluated per VU (it may use ``${VU}``)."""

    name: str
    value: Value
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class DataSet:
    """``data NAME = [...]`` or ``data NAME from "file"``: rows read at compile time, so the
    Plan carries them to every worker."""

    name: str
    rows: tuple[dict[str, Any], ...]
    source: str | None = field(default=None, compare=False)  # file path, if from a file
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Plan:
    """A compiled, validated scenario file."""

    variables: tuple[VarDef, ...] = ()
    data: tuple[DataSet, ...] = ()
    requests: tuple[RequestSpec, ...] = ()
    scenarios: tuple[ScenarioPlan, ...] = ()
    setup: tuple[Step, ...] = ()
    teardown: tuple[Step, ...] = ()
    shared: tuple[str, ...] = ()
    source: str = field(default="", compare=False)  # path of the scenario file

    def request(self, name: str) -> RequestSpec:
        for r in self.requests:
            if r.name == name:
                return r
        raise KeyError(name)

    def scenario(self, name: str | None = None) -> ScenarioPlan:
        """The named scenario, or the first one when ``name`` is None."""
        if name is None:
            if not self.scenarios:
                raise KeyError("no scenario")
            return self.scenarios[0]
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(name)

    def dataset(self, name: str) -> DataSet:
        for d in self.data:
            if d.name == name:
                return d
        raise KeyError(name)


def with_http(plan: Plan, http: Literal["1.1", "2"]) -> Plan:
    """``plan`` with every request and scenario speaking ``http``: ``scenario run
    --http1.1/--http2`` wins over the file's ``http =`` and the requests' curl flags."""
    return replace(
        plan,
        requests=tuple(replace(r, options=replace(r.options, http=http)) for r in plan.requests),
        scenarios=tuple(replace(s, http=http) for s in plan.scenarios))


# --------------------------------------------------------------------------- JSON view

#: Union members that get a ``"type"`` field in the JSON view so it can be read back.
_TAGGED = (Run, Parallel, If, Foreach, Repeat, Think, SharedPush, UseRow,
           TextBody, MultipartBody, Ref, Template)


def to_jsonable(obj: Any) -> Any:
    """The Plan (or any part of it) as JSON-ready data, for ``scenario convert``.

    Union members carry a ``type`` field; bytes become ``{"base64": ...}``.
    """
    if is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        if isinstance(obj, _TAGGED):
            out["type"] = type(obj).__name__
        for f in fields(obj):
            out[f.name] = to_jsonable(getattr(obj, f.name))
        return out
    if isinstance(obj, tuple | list):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, bytes):
        import base64

        return {"base64": base64.b64encode(obj).decode("ascii")}
    return obj
