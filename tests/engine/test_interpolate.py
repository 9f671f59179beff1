"""Rendering templates: escaping per context, look-up rules, built-ins, errors."""

from __future__ import annotations

import json
import random
import time
import uuid

import pytest

from httptool.dsl.template import parse_template
from httptool.engine.interpolate import (
    RANDOM_MAX,
    HeaderInjection,
    Scope,
    UndefinedVariable,
    compile_template,
    escape,
    evaluate,
    init_globals,
    render,
    to_text,
)
from httptool.plan import Ref, RefContext, Template, VarDef

pytestmark = pytest.mark.timeout(30)

NASTY = 'He said "hi" \\ back\nslash\ttab é 日本 😀 \x01'


def T(text: str, ctx: RefContext = "raw", line: int = 1) -> Template:
    return parse_template(text, line, 1, ctx)


def one(ctx: RefContext, value: object) -> str:
    return render(T("${v}", ctx), Scope(globals={"v": value}))


# --------------------------------------------------------------------------- text forms


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("abc", "abc"),
        (42, "42"),
        (-7, "-7"),
        (1.0, "1"),
        (2.5, "2.5"),
        (1e300, "1e+300"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ([1, "a"], '[1,"a"]'),
        ({"a": 1}, '{"a":1}'),
        (2**70, str(2**70)),
    ],
)
def test_raw_text_form(value: object, text: str) -> None:
    assert one("raw", value) == text
    assert to_text(value) == text


def test_raw_keeps_everything() -> None:
    assert one("raw", NASTY) == NASTY


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("a b", "a%20b"),
        ("a/b", "a%2Fb"),
        ("a?b#c", "a%3Fb%23c"),
        ("100%", "100%25"),
        ("é", "%C3%A9"),
        ("日本", "%E6%97%A5%E6%9C%AC"),
        ("a+b,c;d=e!$&'()*", "a+b,c;d=e!$&'()*"),  # sub-delims stay
        ("user:pw@host", "user:pw@host"),  # ':' and '@' are pchar
        ("A-z_0.9~", "A-z_0.9~"),  # unreserved
        (12, "12"),
    ],
)
def test_path_segment_encoding(value: object, encoded: str) -> None:
    assert one("path", value) == encoded


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("a b", "a%20b"),
        ("a&b=c", "a%26b%3Dc"),
        ("x/y?z#w", "x%2Fy%3Fz%23w"),
        ("a+b", "a%2Bb"),
        ("é~-._", "%C3%A9~-._"),
        ("'\"", "%27%22"),
        (True, "true"),
    ],
)
def test_query_encoding(value: object, encoded: str) -> None:
    assert one("query", value) == encoded


def test_url_with_path_and_query_refs() -> None:
    scope = Scope(globals={"base": "http://127.0.0.1:8080", "id": "a b/c", "q": "x&y=z é"})
    url = Template(
        (
            Ref(("base",), "base", "raw"),
            "/items/",
            Ref(("id",), "id", "path"),
            "?q=",
            Ref(("q",), "q", "query"),
            "&n=1",
        )
    )
    assert render(url, scope) == "http://127.0.0.1:8080/items/a%20b%2Fc?q=x%26y%3Dz%20%C3%A9&n=1"


@pytest.mark.parametrize(
    ("value", "encoded"),
    [("a b", "a+b"), ("a&b=c", "a%26b%3Dc"), ("é/+", "%C3%A9%2F%2B"), (3, "3")],
)
def test_form_encoding(value: object, encoded: str) -> None:
    assert one("form", value) == encoded


def test_json_string_context_keeps_json_valid() -> None:
    t = T('{"name":"${name}","n":"${n}","b":"${b}","nil":"${nil}"}', "json_string")
    scope = Scope(globals={"name": NASTY, "n": 12, "b": True, "nil": None})
    body = render(t, scope)
    assert json.loads(body) == {"name": NASTY, "n": "12", "b": "true", "nil": "null"}
    assert "\n" not in body  # newline escaped as \n
    assert "é" in body  # UTF-8 kept, not \u-escaped


def test_json_string_escapes_exactly() -> None:
    assert one("json_string", 'a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_json_value_context_types() -> None:
    t = T(
        '{"s":${s},"i":${i},"f":${f},"t":${t},"z":${z},"arr":${arr},"obj":${obj}}',
        "json_value",
    )
    scope = Scope(
        globals={"s": NASTY, "i": 7, "f": 2.5, "t": False, "z": None,
                 "arr": [1, "x", {"k": [None]}], "obj": {"q": 'a"b'}}
    )
    assert json.loads(render(t, scope)) == {
        "s": NASTY, "i": 7, "f": 2.5, "t": False, "z": None,
        "arr": [1, "x", {"k": [None]}], "obj": {"q": 'a"b'},
    }
    assert one("json_value", "x") == '"x"'
    assert one("json_value", 5) == "5"


def test_escape_function_matches_renderer() -> None:
    for ctx in ("raw", "path", "query", "json_string", "json_value", "form"):
        assert escape("a b/é\"", ctx) == one(ctx, "a b/é\"")


# --------------------------------------------------------------------------- look-ups


def test_dotted_and_indexed_access() -> None:
    scope = Scope(
        globals={
            "post": {"id": 5, "user": {"address": {"city": "Oslo"}}, "X-Id": "h"},
            "items": [{"id": 10}, {"id": 11, "tags": ["a", "b"]}],
        }
    )
    assert render(T("${post.id}"), scope) == "5"
    assert render(T("${post.user.address.city}"), scope) == "Oslo"
    assert render(T("${post.X-Id}"), scope) == "h"
    assert render(T("${items[0].id}-${items[1].id}"), scope) == "10-11"
    assert render(T("${items[1].tags[1]}"), scope) == "b"
    assert render(T("${items.0.id}"), scope) == "10"
    assert render(T("${items.length}"), scope) == "2"
    assert render(T("${post.user.address.city.length}"), scope) == "4"


@pytest.mark.parametrize(
    "text",
    ["${nope}", "${post.missing}", "${items[5].id}", "${post.id.deeper}", "${items.x}"],
)
def test_undefined_paths(text: str) -> None:
    scope = Scope(globals={"post": {"id": 5}, "items": [{"id": 1}]})
    with pytest.raises(UndefinedVariable) as ei:
        render(T("GET " + text, line=12), scope)
    name = text[2:-1]
    assert ei.value.name == name
    assert ei.value.line == 12
    assert str(ei.value) == f"undefined variable '{name}' (line 12)"


def test_undefined_reports_its_own_line_for_equal_templates() -> None:
    a, b = T("${token}", line=3), T("${token}", line=9)
    assert a == b  # positions are not part of equality...
    for t, line in ((a, 3), (b, 9)):  # ...but each renderer keeps its own
        with pytest.raises(UndefinedVariable, match=f"line {line}"):
            render(t, Scope())


def test_null_value_is_defined() -> None:
    assert render(T("${x}"), Scope(extracted={"x": None})) == "null"


def test_env_variables() -> None:
    scope = Scope(env={"API_KEY": "k 1"})
    assert render(T("${env.API_KEY}"), scope) == "k 1"
    assert render(T("?k=${env.API_KEY}", "query"), scope) == "?k=k%201"
    with pytest.raises(UndefinedVariable, match=r"'env\.MISSING'"):
        render(T("${env.MISSING}"), scope)


def test_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPTOOL_TEST_VAR", "yes")
    assert render(T("${env.HTTPTOOL_TEST_VAR}"), Scope()) == "yes"


def test_scope_precedence_rows_extracted_setup_globals() -> None:
    scope = Scope(globals={"a": "g", "b": "g", "c": "g", "d": "g"},
                  setup={"a": "s", "b": "s", "c": "s"},
                  extracted={"a": "e", "b": "e"},
                  rows={"a": "r"})
    assert render(T("${a}${b}${c}${d}"), scope) == "resg"


def test_builtins_are_reserved() -> None:
    scope = Scope(vu=4, iter=2, globals={"VU": "shadow"}, extracted={"ITER": "x"})
    assert render(T("${VU}/${ITER}"), scope) == "4/2"


def test_bind_shares_extractions_not_rows() -> None:
    base = Scope(globals={"g": 1})
    child = base.bind(post={"id": 3})
    assert render(T("${post.id}"), child) == "3"
    with pytest.raises(UndefinedVariable):
        render(T("${post.id}"), base)
    child.set("token", "t1")
    assert render(T("${token}"), base) == "t1"


def test_builtin_values() -> None:
    counter = iter(range(100, 200))
    scope = Scope(vu=7, iter=3, next_counter=lambda: next(counter), rng=random.Random(1))
    assert render(T("${VU}-${ITER}"), scope) == "7-3"
    before = time.time_ns() // 1_000_000
    ms = int(render(T("${TIME}"), scope))
    assert before <= ms <= time.time_ns() // 1_000_000
    assert render(T("${COUNTER},${COUNTER}"), scope) == "100,101"
    r = [int(render(T("${RANDOM}"), scope)) for _ in range(200)]
    assert all(0 <= x <= RANDOM_MAX for x in r) and len(set(r)) > 190


def test_uuid_is_fresh_per_use() -> None:
    a, b = render(T("${UUID} ${UUID}"), Scope()).split()
    assert a != b
    assert uuid.UUID(a).version == 4 and uuid.UUID(b).version == 4


def test_counter_unique_across_shards() -> None:
    shards = 3
    seen: set[str] = set()
    for idx in range(shards):
        local = iter(range(10))
        scope = Scope(next_counter=lambda idx=idx, local=local: next(local) * shards + idx)
        for _ in range(10):
            seen.add(render(T("${COUNTER}"), scope))
    assert len(seen) == 30


def test_shared_pool_random() -> None:
    pools = {"tokens": ["a", "b", "c"], "empty": [], "objs": [{"id": 9}]}
    scope = Scope(pools=pools, rng=random.Random(2))
    got = {render(T("${shared.tokens.random}"), scope) for _ in range(100)}
    assert got == {"a", "b", "c"}
    assert render(T("${shared.objs.random.id}"), scope) == "9"
    for text in ("${shared.empty.random}", "${shared.nope.random}"):
        with pytest.raises(UndefinedVariable):
            render(T(text), scope)


def test_init_globals_per_vu() -> None:
    variables = (
        VarDef("base", "http://x"),
        VarDef("n", 3),
        VarDef("email", T("user-${VU}@test.com")),
        VarDef("url", T("${base}/u/${email}")),
        VarDef("copy", T("${n}")),
    )
    s1, s2 = Scope(vu=1), Scope(vu=2)
    init_globals(s1, variables)
    init_globals(s2, variables)
    assert s1.globals["email"] == "user-1@test.com"
    assert s2.globals["email"] == "user-2@test.com"
    assert s2.globals["url"] == "http://x/u/user-2@test.com"
    assert s1.globals["copy"] == 3  # a bare reference keeps its type


def test_init_globals_undefined() -> None:
    with pytest.raises(UndefinedVariable, match="'later' \\(line 4\\)"):
        init_globals(Scope(), (VarDef("a", T("${later}", line=4)), VarDef("later", 1)))


def test_evaluate_typed_values() -> None:
    scope = Scope(extracted={"post_id": 1, "ids": [1, 2], "name": "x"})
    assert evaluate(T("${post_id}"), scope) == 1
    assert evaluate(T("${ids}"), scope) == [1, 2]
    assert evaluate(T("id-${post_id}"), scope) == "id-1"
    assert evaluate(200, scope) == 200
    assert evaluate("quoted", scope) == "quoted"
    assert evaluate(None, scope) is None


# --------------------------------------------------------------------------- headers, speed path


@pytest.mark.parametrize("bad", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\0b"])
def test_header_injection_rejected(bad: str) -> None:
    scope = Scope(extracted={"token": bad})
    with pytest.raises(HeaderInjection, match=r"'token'.*line 5"):
        render(T("Bearer ${token}", line=5), scope, header=True)
    with pytest.raises(HeaderInjection):
        render(T("${token}", line=5), scope, header=True)
    assert render(T("Bearer ${token}"), scope) == "Bearer " + bad  # bodies may hold them


def test_static_template_is_constant() -> None:
    t = T("http://example.com/a b")
    r = compile_template(t)
    assert r.const == "http://example.com/a b"
    assert r.render(Scope()) is r.render(Scope())
    assert compile_template(t) is r
    assert render(Template(()), Scope()) == ""


def test_dollar_escape_is_literal() -> None:
    assert render(T("cost $${x} ${y}"), Scope(globals={"y": 2})) == "cost ${x} 2"


# --------------------------------------------------------------------------- properties

from urllib.parse import unquote, unquote_plus  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_round_trips_through_every_context(text: str) -> None:
    scope = Scope(globals={"v": text})
    body = render(T('{"a":"${v}"}', "json_string"), scope)
    assert json.loads(body)["a"] == text
    assert json.loads(render(T("[${v}]", "json_value"), scope)) == [text]
    assert unquote(render(T("${v}", "query"), scope), errors="surrogatepass") == text
    path = render(T("${v}", "path"), scope)
    assert "/" not in path and "?" not in path and "#" not in path and " " not in path
    assert unquote(path, errors="surrogatepass") == text
    assert unquote_plus(render(T("${v}", "form"), scope), errors="surrogatepass") == text
