"""Render ``${...}`` templates against a VU's variables.

A :class:`~httptool.plan.Template` is compiled once into a :class:`Renderer` (a constant for
static text; otherwise the literal parts plus one getter and one escaper per reference) so a
request renders with a few dict look-ups and one ``str.join``.

Look-up order of a name (first hit wins):

1. built-ins ``VU`` ``ITER`` ``TIME`` ``UUID`` ``COUNTER`` ``RANDOM``, ``env.NAME`` and
   ``shared.POOL.random`` — reserved: a variable of the same name never shadows them;
2. rows bound by ``foreach``/``use`` (:meth:`Scope.bind`);
3. variables this VU extracted;
4. variables extracted by ``setup`` (read-only);
5. global ``var`` values (evaluated once per VU by :func:`init_globals`).

Values are typed (numbers, bools, ``None``, lists, dicts, strings) and turned into text only
when rendered, by the escaping context of the reference (:data:`httptool.plan.RefContext`):

* text form (``raw``, ``path``, ``query``, ``form``, ``json_string``): strings as they are,
  ``true``/``false`` for bools, ``null`` for ``None`` (as JSON and JavaScript write them),
  integral numbers without ``.0`` (``1.0`` -> ``1``, as JavaScript prints it), other floats
  by ``repr``, lists and dicts as compact JSON;
* ``path``: percent-encoded as an RFC 3986 path segment (unreserved, sub-delims, ``:`` and
  ``@`` kept; ``/ ? #``, space, ``%`` and non-ASCII as UTF-8 encoded);
* ``query``: everything but unreserved percent-encoded, space as ``%20``;
* ``form``: ``application/x-www-form-urlencoded`` (space as ``+``);
* ``json_string``: JSON string escaping without the quotes (the text form escaped);
* ``json_value``: the value as JSON (strings quoted, numbers/bools/null/arrays/objects as is).

An undefined name raises :class:`UndefinedVariable` (never a literal ``${x}`` on the wire);
a CR, LF or NUL rendered into a header value raises :class:`HeaderInjection`.
"""

from __future__ import annotations

import itertools
import os
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import orjson

from httptool.errors import HttptoolError
from httptool.plan import Ref, RefContext, Template, Value, VarDef
from httptool.wiretext import to_wire

BUILTINS = frozenset({"VU", "ITER", "TIME", "UUID", "COUNTER", "RANDOM"})
#: ``${RANDOM}`` is uniform in ``[0, RANDOM_MAX]`` (a positive 32-bit signed integer).
RANDOM_MAX = 2**31 - 1

_MISSING: Any = object()


class RenderError(HttptoolError):
    """A template could not be rendered; ``str(err)`` is the user-facing message."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


class UndefinedVariable(RenderError):
    """``${name}`` has no value: the step fails with this message."""

    def __init__(self, name: str, line: int = 0, col: int = 0) -> None:
        where = f" (line {line})" if line else ""
        super().__init__(f"undefined variable '{name}'{where}", line, col)
        self.name = name


class HeaderInjection(RenderError):
    """A value rendered into a header holds CR, LF or NUL (it would split the header)."""

    def __init__(self, name: str, line: int = 0, col: int = 0) -> None:
        where = f" (line {line})" if line else ""
        super().__init__(
            f"variable '{name}' holds a line break or NUL, not allowed in a header{where}",
            line,
            col,
        )
        self.name = name


# --------------------------------------------------------------------------- scope


@dataclass(slots=True, eq=False)
class Scope:
    """One VU's variables. Cheap to :meth:`bind` (a new Scope sharing all but the rows), so
    parallel branches and ``foreach`` bodies get their own rows over shared extractions."""

    vu: int = 1
    iter: int = 0
    globals: dict[str, Any] = field(default_factory=dict)
    setup: Mapping[str, Any] = field(default_factory=dict)  # never written by a VU
    extracted: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, Any] = field(default_factory=dict)
    pools: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    next_counter: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)
    rng: random.Random = field(default_factory=random.Random)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def lookup(self, name: str) -> Any:
        """The user variable ``name`` (rows, extracted, setup, globals) or ``_MISSING``."""
        v = self.rows.get(name, _MISSING) if self.rows else _MISSING
        if v is _MISSING:
            v = self.extracted.get(name, _MISSING)
            if v is _MISSING:
                v = self.setup.get(name, _MISSING)
                if v is _MISSING:
                    v = self.globals.get(name, _MISSING)
        return v

    def bind(self, **rows: Any) -> Scope:
        """A scope with extra row variables; extractions and everything else are shared."""
        return Scope(
            self.vu, self.iter, self.globals, self.setup, self.extracted,
            {**self.rows, **rows}, self.pools, self.next_counter, self.rng, self.env,
        )

    def set(self, name: str, value: Any) -> None:
        """Store an extracted value (visible to every scope bound from this one)."""
        self.extracted[name] = value


def init_globals(
    scope: Scope, variables: Sequence[VarDef], errors: dict[str, RenderError] | None = None
) -> None:
    """Evaluate ``var`` definitions in order into ``scope.globals`` (once per VU).

    A later var may use an earlier one. A var that cannot be evaluated (a missing
    ``env.NAME``, an undefined name) raises :class:`RenderError` — unless ``errors`` is
    given: then the var stays undefined and its error is stored there under its name, so
    a request that uses it can say why (a VU must start even if one var is unusable).
    """
    for vd in variables:
        try:
            scope.globals[vd.name] = evaluate(vd.value, scope)
        except RenderError as e:
            if errors is None:
                raise
            errors[vd.name] = e
            scope.globals.pop(vd.name, None)  # no stale value from an earlier evaluation


# --------------------------------------------------------------------------- text forms


def to_text(v: Any) -> str:
    """The text form of a value (see the module docstring)."""
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if v is None:
        return "null"
    if t is float:
        if v.is_integer() and abs(v) < 2**53:
            return str(int(v))
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(v)
    if isinstance(v, list | tuple | dict):
        return to_json(v)
    return str(v)


def to_json(v: Any) -> str:
    """``v`` as compact JSON text (orjson, with a fallback for integers beyond 64 bits)."""
    try:
        return orjson.dumps(v).decode()
    except TypeError:  # beyond 64-bit integers, lone surrogates: rare, so ASCII-escape all
        import json

        return json.dumps(v, separators=(",", ":"), default=str)


_PATH_SAFE = "!$&'()*+,;=:@"  # sub-delims, ':' and '@' (RFC 3986 pchar); unreserved implied


def _esc_raw(v: Any) -> str:
    return v if type(v) is str else to_text(v)


def _memo(encode: Callable[[str], str]) -> Callable[[Any], str]:
    """Memoise a percent-encoder (urllib's ``quote`` costs ~0.4 µs; ids and tokens repeat).
    Integers never need encoding."""
    memo: dict[str, str] = {}

    def esc(v: Any) -> str:
        t = type(v)
        if t is int:
            return str(v)
        s = v if t is str else to_text(v)
        out = memo.get(s)
        if out is None:
            out = encode(s)
            if len(memo) >= 4096:
                memo.clear()
            memo[s] = out
        return out

    return esc


def _utf8(s: str) -> bytes:
    return to_wire(s)  # escaped bytes and lone surrogates (env vars) must not crash


_esc_path = _memo(lambda s: quote(_utf8(s), safe=_PATH_SAFE))
_esc_query = _memo(lambda s: quote(_utf8(s), safe=""))
_esc_form = _memo(lambda s: quote_plus(_utf8(s), safe=""))


def _esc_json_string(v: Any) -> str:
    return to_json(v if type(v) is str else to_text(v))[1:-1]


def _esc_json_value(v: Any) -> str:
    return to_json(v)


ESCAPERS: dict[str, Callable[[Any], str]] = {
    "raw": _esc_raw,
    "path": _esc_path,
    "query": _esc_query,
    "form": _esc_form,
    "json_string": _esc_json_string,
    "json_value": _esc_json_value,
}


def escape(value: Any, ctx: RefContext) -> str:
    """``value`` rendered for the escaping context ``ctx``."""
    return ESCAPERS[ctx](value)


# --------------------------------------------------------------------------- getters

Getter = Callable[[Scope], Any]


def _walk(value: Any, keys: Sequence[str | int]) -> Any:
    """Dotted/indexed access into a value; ``_MISSING`` when a key does not lead anywhere.

    A digit key on a list indexes it (``items.0``), an int key on a dict tries the key's
    text, and ``length`` on a list/string/dict without such a key gives its length.
    """
    for k in keys:
        if isinstance(value, dict):
            nv = value.get(k if type(k) is str else str(k), _MISSING)
            if nv is _MISSING and k == "length":
                nv = len(value)
            value = nv
        elif isinstance(value, list | tuple):
            if isinstance(k, int):
                idx = k
            elif k.isdigit():
                idx = int(k)
            elif k == "length":
                value = len(value)
                continue
            else:
                return _MISSING
            if -len(value) <= idx < len(value):
                value = value[idx]
            else:
                return _MISSING
        elif isinstance(value, str) and k == "length":
            value = len(value)
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _time_ms(_: Scope) -> int:
    return time.time_ns() // 1_000_000


def _uuid(_: Scope) -> str:
    return str(uuid.uuid4())


def _random(scope: Scope) -> int:
    return scope.rng.randint(0, RANDOM_MAX)


def make_getter(ref: Ref) -> Getter:
    """A function ``scope -> value`` for ``ref``; raises :class:`UndefinedVariable`."""
    path = ref.path
    head = path[0]
    rest = path[1:]
    text, line, col = ref.text, ref.line, ref.col

    def undefined() -> UndefinedVariable:
        return UndefinedVariable(text, line, col)

    if head in BUILTINS and not rest:
        simple: dict[str, Getter] = {
            "VU": lambda s: s.vu,
            "ITER": lambda s: s.iter,
            "TIME": _time_ms,
            "UUID": _uuid,
            "COUNTER": lambda s: s.next_counter(),
            "RANDOM": _random,
        }
        return simple[str(head)]

    if head == "env" and len(path) == 2:
        name = str(path[1])
        default = ref.default

        def get_env(s: Scope) -> Any:
            v = s.env.get(name)
            if v is None:
                if default is None:
                    raise undefined()
                return default
            return v

        return get_env

    if head == "shared" and len(path) >= 3 and path[2] == "random":
        pool_name, tail = str(path[1]), path[3:]

        def get_shared(s: Scope) -> Any:
            pool = s.pools.get(pool_name)
            if not pool:
                raise undefined()
            v = pool[s.rng.randrange(len(pool))]
            if tail:
                v = _walk(v, tail)
                if v is _MISSING:
                    raise undefined()
            return v

        return get_shared

    name = str(head)
    if not rest:

        def get_name(s: Scope) -> Any:  # Scope.lookup inlined: this is the hot path
            v = s.rows.get(name, _MISSING) if s.rows else _MISSING
            if v is _MISSING:
                v = s.extracted.get(name, _MISSING)
                if v is _MISSING:
                    v = s.setup.get(name, _MISSING)
                    if v is _MISSING:
                        v = s.globals.get(name, _MISSING)
                        if v is _MISSING:
                            raise undefined()
            return v

        return get_name

    def get_path(s: Scope) -> Any:
        v = s.lookup(name)
        if v is not _MISSING:
            v = _walk(v, rest)
        if v is _MISSING:
            raise undefined()
        return v

    return get_path


# --------------------------------------------------------------------------- renderers


class Renderer:
    """A compiled template: ``render(scope) -> str``; ``value(scope)`` keeps the type of a
    template that is one bare reference (``"${post_id}"`` -> ``1``, not ``"1"``).

    ``render`` is bound at construction to the cheapest strategy for the template's shape
    (constant, one reference, or literal parts with holes)."""

    __slots__ = ("_fns", "_parts", "_refs", "const", "render", "single", "template")

    def __init__(self, template: Template, header: bool = False) -> None:
        self.template = template
        self.const: str | None = template.static_text if template.is_static else None
        parts: list[str] = []
        fns: list[tuple[int, Callable[[Scope], str]]] = []
        refs: list[Ref] = []
        single: Getter | None = None
        for p in template.parts:
            if isinstance(p, str):
                parts.append(p)
            else:
                get, esc = make_getter(p), ESCAPERS[p.ctx]
                single = get
                fns.append((len(parts), _compose(get, esc)))
                refs.append(p)
                parts.append("")
        self._parts = parts
        self._fns = tuple(fns)
        self._refs = tuple(refs)
        #: getter of the only part when the template is exactly one reference
        self.single: Getter | None = single if len(parts) == 1 and len(fns) == 1 else None
        render: Callable[[Scope], str]
        if self.const is not None:
            const = self.const
            render = lambda _s: const  # noqa: E731
        elif self.single is not None:
            render = fns[0][1]
        else:
            render = self._render_parts
        if header and self.const is None:
            inner = render

            def render(scope: Scope) -> str:
                out = inner(scope)
                if "\r" in out or "\n" in out or "\0" in out:
                    self._blame(scope)
                return out

        self.render = render

    def _render_parts(self, scope: Scope) -> str:
        buf = self._parts.copy()
        for i, fn in self._fns:
            buf[i] = fn(scope)
        return "".join(buf)

    def _blame(self, scope: Scope) -> None:
        """Raise :class:`HeaderInjection` naming the reference that brought the break."""
        for (_, fn), ref in zip(self._fns, self._refs, strict=True):
            v = fn(scope)
            if "\r" in v or "\n" in v or "\0" in v:
                raise HeaderInjection(ref.text, ref.line, ref.col)
        raise HeaderInjection("(literal text)", self.template.line, self.template.col)

    def value(self, scope: Scope) -> Any:
        if self.single is not None:
            return self.single(scope)
        return self.render(scope)


def _compose(get: Getter, esc: Callable[[Any], str]) -> Callable[[Scope], str]:
    if esc is _esc_raw:

        def raw(scope: Scope) -> str:
            v = get(scope)
            return v if type(v) is str else to_text(v)

        return raw
    return lambda scope: esc(get(scope))


_cache: dict[tuple[int, bool], tuple[Template, Renderer]] = {}


def compile_template(template: Template, header: bool = False) -> Renderer:
    """The renderer of ``template`` (cached per template object: Plans live for the run).

    ``header=True`` rejects CR/LF/NUL in rendered values (header injection).
    """
    key = (id(template), header)
    hit = _cache.get(key)
    if hit is not None and hit[0] is template:
        return hit[1]
    r = Renderer(template, header)
    if len(_cache) > 100_000:  # a runaway producer of templates; never grow without bound
        _cache.clear()
    _cache[key] = (template, r)
    return r


def render(template: Template, scope: Scope, header: bool = False) -> str:
    """``template`` as text in ``scope``."""
    return compile_template(template, header).render(scope)


def evaluate(value: Value, scope: Scope) -> Any:
    """A plan :data:`~httptool.plan.Value` in ``scope``: constants as they are, a template
    of one bare reference as the typed value, any other template as text."""
    if isinstance(value, Template):
        return compile_template(value).value(scope)
    return value
