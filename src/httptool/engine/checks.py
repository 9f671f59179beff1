"""Extraction and assertions over one response.

Everything is compiled once per plan node (JSONPath via python-jsonpath, regexes via ``re``)
and evaluated against a :class:`ResponseView`, which parses the JSON body lazily — at most
once per response, and only when an extraction or assertion needs it.

Typed values: JSON numbers stay numbers and arrays stay arrays. A *singular* JSONPath (only
names and indexes: ``$.a.b[0]``) gives one value; any other (``[*]``, ``..``, slices,
filters) gives the list of matches. Extraction fails on no match (for a list path: zero
matches — extract the array itself, ``$.items``, when it may be empty).

Comparison rules (``==``, ordering, ``in``, ``between``, ``contains``):

* number vs number compares numerically (``1 == 1.0``); bools are not numbers;
* a number vs a string that spells a number (``"42"``, ``" 4.5 "``) compares numerically —
  strings from the response (headers, cookies, body, JSON) and rendered ``${...}`` values
  are coerced this way, as are ``"true"``/``"false"`` against a bool;
* a string written in quotes in the scenario is never coerced: ``body.id == "1"`` fails
  when ``id`` is the number 1 (``got 1 (a number, not a string)``);
* strings order lexicographically; other mixed types never compare (the check fails);
* a missing subject (no header, no JSON match, body not JSON) fails every operator except
  ``not exists``, with ``got nothing``.

A failed check's reason is ``assert <assertion text> failed: got <actual>`` (actual as JSON,
strings quoted and cut at 120 characters; latency as ``123.4ms``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, assert_never, get_args

import orjson

from httptool.engine.interpolate import to_text
from httptool.errors import HttptoolError
from httptool.plan import Assertion, Condition, ConditionOp, Extract, Operator, Template, Value
from httptool.secrets import MASK, is_secret_subject

if TYPE_CHECKING:
    from jsonpath import JSONPath, JSONPathEnvironment

_MISSING: Any = object()

#: Renders a plan value (constant or Template) to a typed value in the VU's scope.
RenderFn = Callable[[Value], Any]


class ResponseLike(Protocol):
    """What checks need from a response (the HTTP client's response satisfies it)."""

    # read-only members: the client's response exposes some of them as properties
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Sequence[tuple[str, str]] | Sequence[tuple[bytes, bytes]]: ...
    @property
    def body(self) -> bytes | None: ...
    @property
    def latency_ms(self) -> float: ...


class CookieLookup(Protocol):
    def get(self, name: str, host: str | None = None) -> str | None: ...


class ExtractionError(HttptoolError):
    """An extraction found nothing; ``str(err)`` is the step's failure reason."""


# --------------------------------------------------------------------------- response view


class ResponseView:
    """One response as checks see it: lazy text, JSON (parsed at most once), headers."""

    __slots__ = ("_hdrs", "_json", "_text", "host", "jar", "json_parses", "resp")

    def __init__(
        self, resp: ResponseLike, jar: CookieLookup | None = None, host: str | None = None
    ) -> None:
        self.resp = resp
        self.jar = jar
        self.host = host
        self._json: Any = _MISSING
        self._text: str | None = None
        self._hdrs: dict[str, list[str]] | None = None
        self.json_parses = 0  # how many times the body was parsed (tests prove "once")

    @property
    def status(self) -> int:
        return self.resp.status

    @property
    def latency_ms(self) -> float:
        return self.resp.latency_ms

    @property
    def size(self) -> int:
        return len(self.resp.body or b"")

    def text(self) -> str:
        if self._text is None:
            self._text = (self.resp.body or b"").decode("utf-8", "replace")
        return self._text

    def json(self) -> Any:
        """The parsed body, or ``_MISSING`` when it is empty or not JSON."""
        if self._json is _MISSING and self.json_parses == 0:
            self.json_parses += 1
            body = self.resp.body
            if body:
                try:
                    self._json = orjson.loads(body)
                except orjson.JSONDecodeError:
                    pass
        return self._json

    def _headers(self) -> dict[str, list[str]]:
        if self._hdrs is None:
            h: dict[str, list[str]] = {}
            for k, v in self.resp.headers:
                ks = k.decode("latin-1") if isinstance(k, bytes) else k
                vs = v.decode("latin-1") if isinstance(v, bytes) else v
                h.setdefault(ks.lower(), []).append(vs)
            self._hdrs = h
        return self._hdrs

    def header(self, name: str) -> str | None:
        """A header's value (case-insensitive); several values are joined by ``", "``."""
        vals = self._headers().get(name.lower())
        if not vals:
            return None
        return vals[0] if len(vals) == 1 else ", ".join(vals)

    def set_cookies(self) -> list[str]:
        return self._headers().get("set-cookie", [])

    def cookie(self, name: str) -> str | None:
        """The cookie from this response's Set-Cookie (the last one wins), else the jar."""
        found: str | None = None
        for sc in self.set_cookies():
            pair = sc.split(";", 1)[0]
            k, eq, v = pair.partition("=")
            if eq and k.strip() == name:
                found = v.strip()
        if found is None and self.jar is not None:
            found = self.jar.get(name, self.host)
        return found


# --------------------------------------------------------------------------- JSONPath

@lru_cache(maxsize=1)
def _env() -> JSONPathEnvironment:
    """python-jsonpath, imported with the first JSONPath: a scenario without one (and
    ``httptool exec``) skips its ~40 ms of import at start-up (bench/startup.py)."""
    from jsonpath import JSONPathEnvironment

    return JSONPathEnvironment()


class CompiledPath:
    """A JSONPath compiled once. Singular paths (names and indexes only) are walked
    directly — same result as python-jsonpath's ``findall``, about 10x faster."""

    __slots__ = ("_path", "_steps", "expr", "singular")

    def __init__(self, expr: str) -> None:
        from jsonpath.selectors import IndexSelector, NameSelector

        self.expr = expr
        self._path: JSONPath = _compile_jsonpath(expr)
        self.singular: bool = self._path.singular_query()
        steps: list[str | int] = []
        simple = True
        for seg in self._path.segments:
            if len(seg.selectors) != 1 or type(seg).__name__ != "JSONPathChildSegment":
                simple = False
                break
            sel = seg.selectors[0]
            if isinstance(sel, NameSelector):
                steps.append(sel.name)
            elif isinstance(sel, IndexSelector):
                steps.append(sel.index)
            else:
                simple = False
                break
        self._steps = tuple(steps) if simple and self.singular else None

    def find(self, doc: Any) -> Any:
        """The value (singular path) or list of values; ``_MISSING`` when nothing matches
        a singular path. A list path always returns a list (maybe empty)."""
        if self._steps is not None:
            v = doc
            for k in self._steps:
                if isinstance(k, str):
                    if not isinstance(v, dict) or k not in v:
                        return _MISSING
                    v = v[k]
                else:
                    if isinstance(v, list):
                        if -len(v) <= k < len(v):
                            v = v[k]
                        else:
                            return _MISSING
                    elif isinstance(v, dict) and str(k) in v:  # python-jsonpath non-strict
                        v = v[str(k)]
                    else:
                        return _MISSING
            return v
        found = self._path.findall(doc)
        if self.singular:
            return found[0] if found else _MISSING
        return found


_DASHED = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_-]*)+)")


def _compile_jsonpath(expr: str) -> JSONPath:
    """Compile, rewriting ``.X-Request-Id`` to ``['X-Request-Id']`` if the library refuses
    dashed names (python-jsonpath 2.x accepts them; older or stricter versions may not)."""
    from jsonpath import JSONPath

    env = _env()
    try:
        p = env.compile(expr)
    except Exception:
        p = None
    if not isinstance(p, JSONPath):
        rewritten = _DASHED.sub(lambda m: "['" + m.group(1) + "']", expr)
        try:
            p = env.compile(rewritten)
        except Exception as e:
            raise ValueError(f"invalid JSONPath {expr!r}: {e}") from None
        if not isinstance(p, JSONPath):
            raise ValueError(f"invalid JSONPath {expr!r}: not a single path")
    return p


@lru_cache(maxsize=4096)
def compile_path(expr: str) -> CompiledPath:
    """A cached :class:`CompiledPath`; raises ValueError for an invalid expression."""
    return CompiledPath(expr)


@lru_cache(maxsize=4096)
def compile_regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError(f"invalid regex {pattern!r}: {e}") from None


# --------------------------------------------------------------------------- extraction


def extract_text(e: Extract) -> str:
    """``NAME = SOURCE`` as written (for messages)."""
    src = e.source
    if src == "jsonpath":
        return f"{e.name} = {e.expr}"
    if src in ("regex", "header", "cookie"):
        return f"{e.name} = {src}:{e.expr}" + (f" regex:{e.pattern}" if e.pattern else "")
    return f"{e.name} = {src}"


class Extractor:
    """A compiled :class:`~httptool.plan.Extract`: ``run(view)`` gives the typed value or
    raises :class:`ExtractionError` (``extract token = $.access_token: no match``)."""

    __slots__ = ("_part", "_path", "_regex", "extract", "name", "text")

    def __init__(self, e: Extract) -> None:
        self.extract = e
        self.name = e.name
        self.text = extract_text(e)
        self._path = compile_path(e.expr) if e.source == "jsonpath" else None
        self._regex = compile_regex(e.expr) if e.source == "regex" else None
        self._part = compile_regex(e.pattern) if e.pattern else None

    def _fail(self, why: str) -> ExtractionError:
        return ExtractionError(f"extract {self.text}: {why}")

    def run(self, view: ResponseView) -> Any:
        src = self.extract.source
        if self._path is not None:
            doc = view.json()
            if doc is _MISSING:
                raise self._fail("response body is not JSON")
            v = self._path.find(doc)
            if v is _MISSING or (not self._path.singular and not v):
                raise self._fail("no match")
            return v
        if self._regex is not None:
            return self._search(self._regex, view.text())
        if src == "header":
            hv = view.header(self.extract.expr)
            if hv is None:
                raise self._fail("no such header")
            return hv if self._part is None else self._search(self._part, hv)
        if src == "cookie":
            cv = view.cookie(self.extract.expr)
            if cv is None:
                raise self._fail("no such cookie")
            return cv if self._part is None else self._search(self._part, cv)
        if src == "status":
            return view.status
        if src == "body":
            return view.text()
        raise self._fail(f"unknown source {src!r}")


    def _search(self, regex: re.Pattern[str], text: str) -> str:
        """The first group of the first match (the whole match without a group)."""
        m = regex.search(text)
        if m is None:
            raise self._fail("no match")
        if regex.groups:
            g = m.group(1)
            if g is None:
                raise self._fail("no match")
            return g
        return m.group(0)


def compile_extracts(extracts: Iterable[Extract]) -> tuple[Extractor, ...]:
    return tuple(Extractor(e) for e in extracts)


# --------------------------------------------------------------------------- comparison

_NUM = re.compile(r"\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*\Z")


def _is_num(v: object) -> TypeGuard[int | float]:
    t = type(v)
    return t is int or t is float


def _as_num(v: Any) -> float | int | None:
    """A number, or a string that spells one; None otherwise."""
    t = type(v)
    if t is int or t is float:
        return v
    if t is str and _NUM.match(v):
        f = float(v)
        return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
    return None


def _coerce_pair(a: Any, b: Any, b_strict: bool) -> tuple[Any, Any]:
    """Bring ``a`` (actual) and ``b`` (expected) to comparable types where the rules allow.

    ``b_strict``: ``b`` is a quoted string in the scenario (never coerced)."""
    if type(a) is str and type(b) is str:
        return a, b
    if _is_num(a) and _is_num(b):
        return a, b
    if b_strict:
        return a, b
    if _is_num(a) or _is_num(b):
        na, nb = _as_num(a), _as_num(b)
        if na is not None and nb is not None:
            return na, nb
        return a, b
    if type(a) is bool and type(b) is str and b.strip().lower() in ("true", "false"):
        return a, b.strip().lower() == "true"
    if type(b) is bool and type(a) is str and a.strip().lower() in ("true", "false"):
        return a.strip().lower() == "true", b
    return a, b


def _same_kind(a: Any, b: Any) -> bool:
    if _is_num(a):
        return _is_num(b)
    if type(a) is bool:
        return type(b) is bool
    return type(a) is type(b) or (isinstance(a, list | tuple) and isinstance(b, list | tuple))


def values_equal(a: Any, b: Any, b_strict: bool = False) -> bool:
    a, b = _coerce_pair(a, b, b_strict)
    if not _same_kind(a, b) and not (a is None and b is None):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _order(a: Any, b: Any, b_strict: bool) -> tuple[Any, Any] | None:
    """Comparable (a, b) for <, <=, >, >=, or None when they cannot be ordered."""
    a, b = _coerce_pair(a, b, b_strict)
    if _is_num(a) and _is_num(b):
        return a, b
    if type(a) is str and type(b) is str:
        return a, b
    return None


def _kind_name(v: Any) -> str:
    if type(v) is bool:
        return "a bool"
    if _is_num(v):
        return "a number"
    if v is None:
        return "null"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list | tuple):
        return "an array"
    return "an object"


def _show(v: Any, latency: bool = False) -> str:
    if v is _MISSING:
        return "nothing"
    if latency and _is_num(v):
        return f"{v:.1f}ms"
    try:
        s = orjson.dumps(v).decode()
    except TypeError:
        s = repr(v)
    return s if len(s) <= 120 else s[:117] + "..."


# --------------------------------------------------------------------------- assertions

def is_truthy(v: Any) -> bool:
    """Truth of a value for ``if ${x}``: false for missing, null, false, 0, "", [] and {},
    and for the strings "false", "0" and "null" (as rendered values often are)."""
    if v is _MISSING or v is None:
        return False
    if type(v) is str:
        return v.strip().lower() not in ("", "false", "0", "null")
    return bool(v)


def _expected(v: Value, render: RenderFn) -> tuple[Any, bool]:
    """(value, strict): strict when ``v`` is a quoted string constant in the scenario."""
    if isinstance(v, Template):
        return render(v), False
    return v, isinstance(v, str)


def _length(v: Any) -> Any:
    if isinstance(v, str | list | tuple | dict):
        return len(v)
    return _MISSING


#: ``(actual, value, values, render) -> None`` when it holds, else a why-suffix
Evaluator = Callable[[Any, Value, Sequence[Value], RenderFn], str | None]


def _eq(actual: Any, value: Value, values: Sequence[Value], render: RenderFn) -> str | None:
    exp, strict = _expected(value, render)
    if values_equal(actual, exp, strict):
        return None
    if strict and not isinstance(actual, str) and _as_num(exp) is not None:
        return f" ({_kind_name(actual)}, not a string)"
    return ""


def _ne(actual: Any, value: Value, values: Sequence[Value], render: RenderFn) -> str | None:
    exp, strict = _expected(value, render)
    return "" if values_equal(actual, exp, strict) else None


def _order_op(ok: Callable[[Any, Any], bool]) -> Evaluator:
    def evaluate(actual: Any, value: Value, values: Sequence[Value],
                 render: RenderFn) -> str | None:
        exp, strict = _expected(value, render)
        pair = _order(actual, exp, strict)
        if pair is None:
            return f" (cannot compare {_kind_name(actual)} with {_kind_name(exp)})"
        return None if ok(*pair) else ""
    return evaluate


def _in(actual: Any, value: Value, values: Sequence[Value], render: RenderFn) -> str | None:
    for item in values:
        exp, strict = _expected(item, render)
        if values_equal(actual, exp, strict):
            return None
    return ""


def _between(actual: Any, value: Value, values: Sequence[Value],
             render: RenderFn) -> str | None:
    if len(values) != 2:
        return " (between needs two bounds)"
    lo_v, lo_s = _expected(values[0], render)
    hi_v, hi_s = _expected(values[1], render)
    p1, p2 = _order(actual, lo_v, lo_s), _order(actual, hi_v, hi_s)
    if p1 is None or p2 is None:
        return f" (cannot compare {_kind_name(actual)} with the bounds)"
    return None if p1[1] <= p1[0] and p2[0] <= p2[1] else ""


def _contains(actual: Any, value: Value, values: Sequence[Value],
              render: RenderFn) -> str | None:
    exp, strict = _expected(value, render)
    if isinstance(actual, str):
        hit = to_text(exp) in actual
    elif isinstance(actual, list | tuple):
        hit = any(values_equal(x, exp, strict) for x in actual)
    elif isinstance(actual, dict):
        hit = isinstance(exp, str) and exp in actual
    else:
        return f" ({_kind_name(actual)} cannot contain anything)"
    return None if hit else ""


def _matches(actual: Any, value: Value, values: Sequence[Value],
             render: RenderFn) -> str | None:
    exp, _ = _expected(value, render)
    pattern = compile_regex(to_text(exp))
    subject = actual if isinstance(actual, str) else to_text(actual)
    return None if pattern.search(subject) else ""


def _negated(holds: Evaluator) -> Evaluator:
    """``not in``, ``not contains``: fails where ``holds`` passes; an explanation from
    ``holds`` (it could not look inside the value) fails the negation too."""
    def evaluate(actual: Any, value: Value, values: Sequence[Value],
                 render: RenderFn) -> str | None:
        why = holds(actual, value, values, render)
        return "" if why is None else (None if why == "" else why)
    return evaluate


def _present(missing_ok: bool) -> Evaluator:
    def evaluate(actual: Any, value: Value, values: Sequence[Value],
                 render: RenderFn) -> str | None:
        return None if (actual is _MISSING) == missing_ok else ""
    return evaluate


def _truthy(actual: Any, value: Value, values: Sequence[Value],
            render: RenderFn) -> str | None:
    return None if is_truthy(actual) else ""


def _evaluator(op: ConditionOp) -> Evaluator:
    """Every operator's evaluator; ``assert_never`` makes a missing one a mypy error."""
    match op:
        case "==":
            return _eq
        case "!=":
            return _ne
        case "<":
            return _order_op(operator.lt)
        case "<=":
            return _order_op(operator.le)
        case ">":
            return _order_op(operator.gt)
        case ">=":
            return _order_op(operator.ge)
        case "in":
            return _in
        case "not in":
            return _negated(_in)
        case "between":
            return _between
        case "contains":
            return _contains
        case "not contains":
            return _negated(_contains)
        case "matches":
            return _matches
        case "exists":
            return _present(False)
        case "not exists":
            return _present(True)
        case "truthy":
            return _truthy
        case _:
            assert_never(op)


EVALUATORS: dict[str, Evaluator] = {
    op: _evaluator(op) for op in (*get_args(Operator), "truthy")}
#: the operators that decide on a missing value themselves (the others fail on it)
_SEE_MISSING = frozenset({"exists", "not exists", "truthy"})


def compare(
    op: str, actual: Any, value: Value, values: Sequence[Value], render: RenderFn
) -> str | None:
    """Apply ``op`` to ``actual``; None when it holds, else a short why-suffix ("" for the
    plain ``got <actual>``, or an explanation like ``(a number, not a string)``)."""
    evaluate = EVALUATORS.get(op)
    if evaluate is None:
        return f" (unknown operator {op!r})"
    if actual is _MISSING and op not in _SEE_MISSING:
        return ""
    return evaluate(actual, value, values, render)


def _fast_pass(a: Assertion) -> Callable[[Any], bool] | None:
    """A quick "certainly passes" test for the common checks against constants (same-type
    ``==``, ``in`` lists, numeric ordering and ``between``); anything it does not accept
    goes through :func:`compare`, which alone decides failures and their reasons."""
    if a.op == "==" and not isinstance(a.value, Template):
        exp, t = a.value, type(a.value)
        if t in (int, str, bool, float):
            return lambda v: type(v) is t and v == exp
        return None
    if a.op == "in" and a.values and not any(isinstance(x, Template) for x in a.values):
        ints = frozenset(x for x in a.values if type(x) is int)
        strs = frozenset(x for x in a.values if type(x) is str)
        return lambda v: (type(v) is int and v in ints) or (type(v) is str and v in strs)
    cmp = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}.get(a.op)
    if cmp is not None and _is_num(a.value):
        bound = a.value
        return lambda v: (type(v) is int or type(v) is float) and cmp(v, bound)
    if a.op == "between" and len(a.values) == 2 and all(_is_num(x) for x in a.values):
        lo, hi = a.values
        return lambda v: (type(v) is int or type(v) is float) and lo <= v <= hi  # type: ignore[operator]
    return None


class Check:
    """A compiled :class:`~httptool.plan.Assertion`: ``evaluate(view, render)`` returns None
    when it holds, else the reason (``assert status == 200 failed: got 401``, as in DESIGN.md)."""

    __slots__ = ("_fast", "_path", "_secret", "assertion", "name", "text")

    def __init__(self, a: Assertion) -> None:
        if a.op not in EVALUATORS:
            raise ValueError(f"unknown assertion operator {a.op!r}")
        self.assertion = a
        self.text = a.text
        self._path = compile_path(a.arg or "$") if a.subject == "json" else None
        if a.op == "matches" and not isinstance(a.value, Template) and a.value is not None:
            compile_regex(str(a.value))  # invalid regexes fail at compile time
        self._fast = _fast_pass(a)
        #: the actual value is a secret (a cookie, Authorization...): never in a reason;
        #: also a JSON value under such a key (an echo service's ``$.headers.Authorization``)
        self._secret = is_secret_subject(a.subject, a.arg, a.length)

    def status_predicate(self) -> Callable[[Any], bool] | None:
        """For a plain check on ``status`` with constant values, a function of the
        status that is True exactly when the check passes (the VU's fast path: no view,
        no render); None otherwise."""
        a = self.assertion
        if a.subject != "status" or a.length or self._fast is None:
            return None
        if isinstance(a.value, Template) or any(isinstance(v, Template) for v in a.values):
            return None
        return self._fast

    def subject(self, view: ResponseView) -> Any:
        """The left side's value, or ``_MISSING``."""
        a = self.assertion
        s = a.subject
        if s == "status":
            v: Any = view.status
        elif s == "latency":
            v = view.latency_ms
        elif s == "json":
            doc = view.json()
            v = _MISSING if doc is _MISSING or self._path is None else self._path.find(doc)
        elif s == "header":
            v = view.header(a.arg)
            v = _MISSING if v is None else v
        elif s == "body":
            v = view.text()
            if not v and a.op in ("exists", "not exists"):
                v = _MISSING
        elif s == "size":
            v = view.size
        elif s == "cookie":
            v = view.cookie(a.arg)
            v = _MISSING if v is None else v
        else:
            v = _MISSING
        if a.length and v is not _MISSING:
            v = _length(v)
        return v

    def evaluate(self, view: ResponseView, render: RenderFn) -> str | None:
        a = self.assertion
        actual = self.subject(view)
        fast = self._fast
        if fast is not None and fast(actual):
            return None
        why = compare(a.op, actual, a.value, a.values, render)
        if why is None:
            return None
        if self._secret:
            shown = MASK if actual is not _MISSING else _show(actual)
        else:
            shown = _show(actual, latency=a.subject == "latency" and not a.length)
        return f"assert {a.text} failed: got {shown}{why}"


def compile_checks(asserts: Iterable[Assertion]) -> tuple[Check, ...]:
    return tuple(Check(a) for a in asserts)


def has_status_check(asserts: Iterable[Assertion]) -> bool:
    """Whether any assertion is on ``status`` (else status >= 400 is a failure)."""
    return any(a.subject == "status" and not a.length for a in asserts)


def evaluate_condition(cond: Condition, render: RenderFn) -> bool:
    """The truth of an ``if`` condition (same operators and rules as assertions, plus
    ``truthy``). Undefined variables propagate as the renderer raises them."""
    left = render(cond.left) if isinstance(cond.left, Template) else cond.left
    if cond.op not in EVALUATORS:
        raise ValueError(f"unknown condition operator {cond.op!r}")
    return compare(cond.op, left, cond.value, cond.values, render) is None


__all__ = [
    "Check",
    "CompiledPath",
    "CookieLookup",
    "ExtractionError",
    "Extractor",
    "RenderFn",
    "ResponseLike",
    "ResponseView",
    "compare",
    "compile_checks",
    "compile_extracts",
    "compile_path",
    "compile_regex",
    "evaluate_condition",
    "extract_text",
    "has_status_check",
    "is_truthy",
    "values_equal",
]
