"""Extraction, assertions and conditions over a response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from jsonpath import JSONPathEnvironment

from httptool.dsl.template import parse_template
from httptool.engine.checks import (
    _MISSING,
    Check,
    CompiledPath,
    ExtractionError,
    Extractor,
    ResponseView,
    compile_checks,
    evaluate_condition,
    has_status_check,
    is_truthy,
)
from httptool.engine.cookies import CookieJar
from httptool.engine.interpolate import Scope, UndefinedVariable, evaluate
from httptool.plan import Assertion, Condition, Extract, Template, Value

pytestmark = pytest.mark.timeout(30)

DOC = {
    "id": 1,
    "access_token": "tok-123",
    "price": 9.5,
    "active": True,
    "nothing": None,
    "name": "Widget Pro",
    "count_str": "42",
    "items": [{"id": 10, "tags": ["a"]}, {"id": 11, "tags": []}],
    "headers": {"X-Request-Id": "req-7", "Content-Type": "text/plain"},
    "empty": [],
}


@dataclass
class Resp:
    status: int = 200
    headers: list[tuple[Any, Any]] = field(default_factory=list)
    body: bytes | None = None
    latency_ms: float = 12.0


def view(body: Any = DOC, status: int = 200, headers: list[tuple[Any, Any]] | None = None,
         latency: float = 12.0, jar: CookieJar | None = None) -> ResponseView:
    raw = body if isinstance(body, bytes | type(None)) else orjson.dumps(body)
    hs = headers if headers is not None else [
        ("Content-Type", "application/json"),
        ("X-Request-Id", "abc-1"),
        ("Content-Length", "123"),
        ("Set-Cookie", "session=s1; Path=/; HttpOnly"),
        ("Set-Cookie", "theme=dark"),
        ("Vary", "Accept"),
        ("Vary", "Origin"),
    ]
    return ResponseView(Resp(status, hs, raw, latency), jar=jar, host="example.com")


SCOPE = Scope(extracted={"post_id": 1, "post_id_text": "1", "name": "Widget Pro",
                         "lo": 5, "hi": 10, "flag": True, "pat": "^Wid"})


def render(v: Value) -> Any:
    return evaluate(v, SCOPE)


def T(text: str) -> Template:
    return parse_template(text, 1, 1)


# --------------------------------------------------------------------------- extraction


def ex(source: str, expr: str = "", name: str = "v") -> Extractor:
    return Extractor(Extract(name, source, expr))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("$.access_token", "tok-123"),
        ("$.id", 1),
        ("$.price", 9.5),
        ("$.active", True),
        ("$.nothing", None),
        ("$.items", DOC["items"]),
        ("$.items[0].id", 10),
        ("$.items[-1].id", 11),
        ("$.items[*].id", [10, 11]),
        ("$.items[0].tags", ["a"]),
        ("$.headers.X-Request-Id", "req-7"),
        ("$.headers['Content-Type']", "text/plain"),
        ("$.empty", []),
        ("$..id", [1, 10, 11]),
    ],
)
def test_jsonpath_extraction_typed(expr: str, value: Any) -> None:
    got = ex("jsonpath", expr).run(view())
    assert got == value and type(got) is type(value)


def test_jsonpath_whole_body_and_top_level_array() -> None:
    assert ex("jsonpath", "$").run(view()) == DOC
    arr = [{"id": 3}, {"id": 4}]
    assert ex("jsonpath", "$[0].id").run(view(arr)) == 3
    assert ex("jsonpath", "$[*].id").run(view(arr)) == [3, 4]


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("$.missing", "extract v = $.missing: no match"),
        ("$.items[5].id", "extract v = $.items[5].id: no match"),
        ("$.empty[*].id", "extract v = $.empty[*].id: no match"),
        ("$.id.deeper", "extract v = $.id.deeper: no match"),
    ],
)
def test_jsonpath_no_match(expr: str, reason: str) -> None:
    with pytest.raises(ExtractionError) as ei:
        ex("jsonpath", expr).run(view())
    assert str(ei.value) == reason


def test_extract_token_message() -> None:
    with pytest.raises(ExtractionError, match=r"^extract token = \$\.access_token: no match$"):
        ex("jsonpath", "$.access_token", "token").run(view({"other": 1}))


@pytest.mark.parametrize("body", [b"<html>not json</html>", b"", None])
def test_jsonpath_on_non_json(body: bytes | None) -> None:
    with pytest.raises(ExtractionError, match="response body is not JSON"):
        ex("jsonpath", "$.id").run(view(body))


def test_fast_path_agrees_with_python_jsonpath() -> None:
    env = JSONPathEnvironment()
    docs = [DOC, [DOC, {"0": "zero"}], {"0": "key"}, "text", 5, None, {"a": {"b": [1, [2, 3]]}}]
    exprs = ["$.id", "$[0]", "$[1]['0']", "$[1][0]", "$[0].items[1].id", "$.a.b[1][0]",
             "$.a.b[-1][-2]", "$.headers.X-Request-Id", "$.x.y", "$[5]", "$[-9]", "$['0']"]
    for expr in exprs:
        cp = CompiledPath(expr)
        assert cp._steps is not None, expr  # these all take the fast path
        for d in docs:
            want = env.compile(expr).findall(d)
            got = cp.find(d)
            assert (got is _MISSING and want == []) or want == [got], (expr, d, got, want)


def test_invalid_jsonpath_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid JSONPath"):
        ex("jsonpath", "$.[")


def test_regex_extraction() -> None:
    v = view({"token": "abc123", "n": 5})
    assert ex("regex", r'"token":"(\w+)"').run(v) == "abc123"
    assert ex("regex", r"abc\d+").run(v) == "abc123"  # whole match without groups
    assert ex("regex", r"(?:x)?(\d)").run(v) == "1"
    with pytest.raises(ExtractionError, match=r"^extract v = regex:zzz\(\\d\+\): no match$"):
        ex("regex", r"zzz(\d+)").run(v)
    with pytest.raises(ExtractionError, match="no match"):
        ex("regex", r"(zzz)?abc").run(v)  # the group did not take part
    with pytest.raises(ValueError, match="invalid regex"):
        ex("regex", "(")


def test_header_extraction_case_insensitive() -> None:
    assert ex("header", "x-request-id").run(view()) == "abc-1"
    assert ex("header", "CONTENT-TYPE").run(view()) == "application/json"
    assert ex("header", "Vary").run(view()) == "Accept, Origin"
    bytes_headers = view(headers=[(b"X-Token", b"bt")])
    assert ex("header", "x-token").run(bytes_headers) == "bt"
    with pytest.raises(ExtractionError, match=r"^extract v = header:X-None: no such header$"):
        ex("header", "X-None").run(view())


def test_cookie_extraction_response_then_jar() -> None:
    jar = CookieJar()
    jar.store(False, "example.com", "/", ["jarred=j1", "session=old"])
    v = view(jar=jar)
    assert ex("cookie", "session").run(v) == "s1"  # this response wins over the jar
    assert ex("cookie", "theme").run(v) == "dark"
    assert ex("cookie", "jarred").run(v) == "j1"
    with pytest.raises(ExtractionError, match=r"^extract v = cookie:none: no such cookie$"):
        ex("cookie", "none").run(v)


def test_status_and_body_extraction() -> None:
    v = view(b"plain \xc3\xa9 text", status=201)
    assert ex("status").run(v) == 201
    assert ex("body").run(v) == "plain é text"


def test_json_parsed_once_and_lazily() -> None:
    v = view()
    ex("status").run(v)
    ex("header", "X-Request-Id").run(v)
    Check(Assertion("status == 200", "status", "==", value=200)).evaluate(v, render)
    assert v.json_parses == 0
    for expr in ("$.id", "$.items[*].id", "$.access_token"):
        ex("jsonpath", expr).run(v)
    Check(Assertion("body.id == 1", "json", "==", arg="$.id", value=1)).evaluate(v, render)
    assert v.json_parses == 1
    bad = view(b"not json")
    for _ in range(3):
        with pytest.raises(ExtractionError):
            ex("jsonpath", "$.id").run(bad)
    assert bad.json_parses == 1


# --------------------------------------------------------------------------- assertions


def A(text: str, subject: str, op: str, arg: str = "", value: Value = None,
      values: tuple[Value, ...] = (), length: bool = False) -> Assertion:
    return Assertion(text, subject, op, arg, length, value, values)  # type: ignore[arg-type]


# (assertion, response, expected result: None = pass, else the exact reason)
CASES: list[tuple[Assertion, ResponseView, str | None]] = [
    (A("status == 200", "status", "==", value=200), view(), None),
    (A("status == 200", "status", "==", value=200), view(status=401),
     "assert status == 200 failed: got 401"),
    (A("status != 500", "status", "!=", value=500), view(), None),
    (A("status != 200", "status", "!=", value=200), view(), "assert status != 200 failed: got 200"),
    (A("status < 300", "status", "<", value=300), view(), None),
    (A("status < 200", "status", "<", value=200), view(), "assert status < 200 failed: got 200"),
    (A("status <= 200", "status", "<=", value=200), view(), None),
    (A("status <= 199", "status", "<=", value=199), view(), "assert status <= 199 failed: got 200"),
    (A("status > 199", "status", ">", value=199), view(), None),
    (A("status > 200", "status", ">", value=200), view(), "assert status > 200 failed: got 200"),
    (A("status >= 200", "status", ">=", value=200), view(), None),
    (A("status >= 201", "status", ">=", value=201), view(), "assert status >= 201 failed: got 200"),
    (A("status in [200, 201]", "status", "in", values=(200, 201)), view(status=201), None),
    (A("status in [200, 201]", "status", "in", values=(200, 201)), view(status=302),
     "assert status in [200, 201] failed: got 302"),
    (A("status not in [500, 502]", "status", "not in", values=(500, 502)), view(), None),
    (A("status not in [500, 502]", "status", "not in", values=(500, 502)), view(status=502),
     "assert status not in [500, 502] failed: got 502"),
    (A("status between 200 and 299", "status", "between", values=(200, 299)),
     view(status=299), None),
    (A("status between 200 and 299", "status", "between", values=(200, 299)),
     view(status=200), None),
    (A("status between 200 and 299", "status", "between", values=(200, 299)),
     view(status=300), "assert status between 200 and 299 failed: got 300"),
    (A("latency < 500ms", "latency", "<", value=500.0), view(latency=123.45), None),
    (A("latency < 500ms", "latency", "<", value=500.0), view(latency=734.25),
     "assert latency < 500ms failed: got 734.2ms"),
    (A('body contains "Widget"', "body", "contains", value="Widget"), view(), None),
    (A('body contains "Gadget"', "body", "contains", value="Gadget"), view({"a": "b"}),
     'assert body contains "Gadget" failed: got "{\\"a\\":\\"b\\"}"'),
    (A('body not contains "error"', "body", "not contains", value="error"), view(), None),
    (A('body not contains "Widget"', "body", "not contains", value="Widget"),
     view(b"Widget!"), 'assert body not contains "Widget" failed: got "Widget!"'),
    (A('body matches "^\\{"', "body", "matches", value="^\\{"), view(), None),
    (A('body matches "^<html"', "body", "matches", value="^<html"), view(b"plain"),
     'assert body matches "^<html" failed: got "plain"'),
    (A("body exists", "body", "exists"), view(b"x"), None),
    (A("body exists", "body", "exists"), view(b""), "assert body exists failed: got nothing"),
    (A("body not exists", "body", "not exists"), view(None), None),
    (A("body.id == 1", "json", "==", "$.id", 1), view(), None),
    (A("body.id == 2", "json", "==", "$.id", 2), view(), "assert body.id == 2 failed: got 1"),
    (A('body.name == "Widget Pro"', "json", "==", "$.name", "Widget Pro"), view(), None),
    (A('body.name != "Widget Pro"', "json", "!=", "$.name", "Widget Pro"), view(),
     'assert body.name != "Widget Pro" failed: got "Widget Pro"'),
    (A("body.price > 9", "json", ">", "$.price", 9), view(), None),
    (A("body.price >= 10", "json", ">=", "$.price", 10), view(),
     "assert body.price >= 10 failed: got 9.5"),
    (A("body.active == true", "json", "==", "$.active", True), view(), None),
    (A("body.active == false", "json", "==", "$.active", False), view(),
     "assert body.active == false failed: got true"),
    (A("body.nothing == null", "json", "==", "$.nothing", None), view(), None),
    (A("body.items[*].id contains 11", "json", "contains", "$.items[*].id", 11), view(), None),
    (A("body.items[*].id contains 12", "json", "contains", "$.items[*].id", 12), view(),
     "assert body.items[*].id contains 12 failed: got [10,11]"),
    (A("body.items.length == 2", "json", "==", "$.items", 2, length=True), view(), None),
    (A("body.items.length > 2", "json", ">", "$.items", 2, length=True), view(),
     "assert body.items.length > 2 failed: got 2"),
    (A("body.name.length == 10", "json", "==", "$.name", 10, length=True), view(), None),
    (A("body.empty[*].length == 0", "json", "==", "$.empty[*]", 0, length=True), view(), None),
    (A("body.id exists", "json", "exists", "$.id"), view(), None),
    (A("body.nothing exists", "json", "exists", "$.nothing"), view(), None),
    (A("body.nope exists", "json", "exists", "$.nope"), view(),
     "assert body.nope exists failed: got nothing"),
    (A("body.nope not exists", "json", "not exists", "$.nope"), view(), None),
    (A("body.id not exists", "json", "not exists", "$.id"), view(),
     "assert body.id not exists failed: got 1"),
    (A("body.id == 1", "json", "==", "$.id", 1), view(b"<html>"),
     "assert body.id == 1 failed: got nothing"),
    (A("body.nope != 1", "json", "!=", "$.nope", 1), view(),
     "assert body.nope != 1 failed: got nothing"),
    (A("body.id in [1, 2]", "json", "in", "$.id", values=(1, 2)), view(), None),
    (A('body.name in ["a", "b"]', "json", "in", "$.name", values=("a", "b")), view(),
     'assert body.name in ["a", "b"] failed: got "Widget Pro"'),
    (A("body.price between 9 and 10", "json", "between", "$.price", values=(9, 10)),
     view(), None),
    (A("body.price between 1 and 9", "json", "between", "$.price", values=(1, 9)), view(),
     "assert body.price between 1 and 9 failed: got 9.5"),
    (A('body.name matches "^Wid.*Pro$"', "json", "matches", "$.name", "^Wid.*Pro$"), view(),
     None),
    (A('body.name not contains "Pro"', "json", "not contains", "$.name", "Pro"), view(),
     'assert body.name not contains "Pro" failed: got "Widget Pro"'),
    (A("header.Content-Type contains \"json\"", "header", "contains", "Content-Type", "json"),
     view(), None),
    (A("header.content-type == \"text/html\"", "header", "==", "content-type", "text/html"),
     view(), 'assert header.content-type == "text/html" failed: got "application/json"'),
    (A("header.Content-Length == 123", "header", "==", "Content-Length", 123), view(), None),
    (A("header.Content-Length < 100", "header", "<", "Content-Length", 100), view(),
     'assert header.Content-Length < 100 failed: got "123"'),
    (A("header.X-Missing exists", "header", "exists", "X-Missing"), view(),
     "assert header.X-Missing exists failed: got nothing"),
    (A("header.X-Missing not exists", "header", "not exists", "X-Missing"), view(), None),
    (A("header.X-Request-Id.length == 5", "header", "==", "X-Request-Id", 5, length=True),
     view(), None),
    (A("size == 5", "size", "==", value=5), view(b"12345"), None),
    (A("size < 3", "size", "<", value=3), view(b"12345"), "assert size < 3 failed: got 5"),
    (A("size == 0", "size", "==", value=0), view(None), None),
    (A('cookie.session == "s1"', "cookie", "==", "session", "s1"), view(), None),
    (A("cookie.session exists", "cookie", "exists", "session"), view(), None),
    (A("cookie.nope exists", "cookie", "exists", "nope"), view(),
     "assert cookie.nope exists failed: got nothing"),
    (A('cookie.theme == "light"', "cookie", "==", "theme", "light"), view(),
     'assert cookie.theme == "light" failed: got ****'),  # cookie values are secrets
]


@pytest.mark.parametrize(("assertion", "resp", "result"), CASES,
                         ids=[f"{c[0].text}->{'pass' if c[2] is None else 'fail'}" for c in CASES])
def test_assertions(assertion: Assertion, resp: ResponseView, result: str | None) -> None:
    assert Check(assertion).evaluate(resp, render) == result


def test_every_operator_passes_and_fails() -> None:
    ops: dict[str, set[bool]] = {}
    for a, _, result in CASES:
        ops.setdefault(a.op, set()).add(result is None)
    assert set(ops) == {"==", "!=", "<", "<=", ">", ">=", "in", "not in", "between",
                        "contains", "not contains", "matches", "exists", "not exists"}
    assert all(v == {True, False} for v in ops.values()), ops
    subjects = {a.subject for a, _, _ in CASES}
    assert subjects == {"status", "latency", "body", "json", "header", "size", "cookie"}


# --------------------------------------------------------------------------- coercion


def test_template_right_side_numbers_compare_numerically() -> None:
    v = view()
    ok = Check(A("body.id == ${post_id}", "json", "==", "$.id", T("${post_id}")))
    assert ok.evaluate(v, render) is None
    text = Check(A("body.id == ${post_id_text}", "json", "==", "$.id", T("${post_id_text}")))
    assert text.evaluate(v, render) is None  # "1" from a variable vs the number 1
    built = Check(A("body.id == 0${post_id}", "json", "==", "$.id", T("0${post_id}")))
    assert built.evaluate(v, render) is None  # rendered text "01" spells the number 1
    name = Check(A("body.name == ${name}", "json", "==", "$.name", T("${name}")))
    assert name.evaluate(v, render) is None
    between = Check(A("body.price between ${lo} and ${hi}", "json", "between", "$.price",
                      values=(T("${lo}"), T("${hi}"))))
    assert between.evaluate(v, render) is None
    matches = Check(A("body.name matches ${pat}", "json", "matches", "$.name", T("${pat}")))
    assert matches.evaluate(v, render) is None


def test_quoted_string_compares_as_string() -> None:
    v = view()
    assert Check(A('body.id == "1"', "json", "==", "$.id", "1")).evaluate(v, render) == (
        'assert body.id == "1" failed: got 1 (a number, not a string)'
    )
    assert Check(A('status == "200"', "status", "==", value="200")).evaluate(v, render) == (
        'assert status == "200" failed: got 200 (a number, not a string)'
    )
    assert Check(A('body.count_str == "42"', "json", "==", "$.count_str", "42")).evaluate(
        v, render) is None
    # a JSON string that spells a number still compares with a number
    assert Check(A("body.count_str == 42", "json", "==", "$.count_str", 42)).evaluate(
        v, render) is None
    assert Check(A("body.count_str > 40", "json", ">", "$.count_str", 40)).evaluate(
        v, render) is None


def test_mismatched_types_never_equal_or_order() -> None:
    v = view()
    assert Check(A("body.active == 1", "json", "==", "$.active", 1)).evaluate(v, render) == (
        "assert body.active == 1 failed: got true"
    )
    assert Check(A("body.items > 1", "json", ">", "$.items", 1)).evaluate(v, render) == (
        'assert body.items > 1 failed: got [{"id":10,"tags":["a"]},{"id":11,"tags":[]}]'
        " (cannot compare an array with a number)"
    )
    assert Check(A('body.name < "X"', "json", "<", "$.name", "X")).evaluate(v, render) is None
    flag = Check(A("body.active == ${flag}", "json", "==", "$.active", T("${flag}")))
    assert flag.evaluate(v, render) is None


def test_long_actual_values_are_cut() -> None:
    big = b"x" * 1000
    reason = Check(A('body contains "y"', "body", "contains", value="y")).evaluate(
        view(big), render)
    assert reason is not None and reason.endswith('xxx...') and len(reason) < 200


def test_undefined_variable_in_right_side_propagates() -> None:
    c = Check(A("body.id == ${missing}", "json", "==", "$.id", parse_template("${missing}", 7)))
    with pytest.raises(UndefinedVariable, match="line 7"):
        c.evaluate(view(), render)


def test_compile_helpers() -> None:
    asserts = (A("status == 200", "status", "==", value=200),
               A("body.id == 1", "json", "==", "$.id", 1))
    assert len(compile_checks(asserts)) == 2
    assert has_status_check(asserts)
    assert not has_status_check(asserts[1:])
    with pytest.raises(ValueError, match="invalid regex"):
        Check(A('body matches "("', "body", "matches", value="("))
    with pytest.raises(ValueError, match="invalid JSONPath"):
        Check(A("body.[ == 1", "json", "==", "$.[", 1))


# --------------------------------------------------------------------------- conditions


def C(left: Value, op: str, value: Value = None, values: tuple[Value, ...] = ()) -> Condition:
    return Condition("cond", left, op, value, values)


@pytest.mark.parametrize(
    ("cond", "result"),
    [
        (C(T("${name}"), "==", "Widget Pro"), True),
        (C(T("${name}"), "==", "new_api"), False),
        (C(T("${name}"), "!=", "new_api"), True),
        (C(T("${post_id}"), "<", 2), True),
        (C(T("${post_id}"), ">=", 2), False),
        (C(T("${post_id_text}"), "==", 1), True),
        (C(T("${post_id}"), "in", None, (1, 2)), True),
        (C(T("${post_id}"), "not in", None, (1, 2)), False),
        (C(T("${post_id}"), "between", None, (0, 1)), True),
        (C(T("${name}"), "contains", "Pro"), True),
        (C(T("${name}"), "not contains", "Pro"), False),
        (C(T("${name}"), "matches", "^W"), True),
        (C(T("${flag}"), "truthy"), True),
        (C(T("${post_id}"), "truthy"), True),
        (C(T("x${post_id}"), "truthy"), True),
        (C(False, "truthy"), False),
        (C(T("${name}"), "exists"), True),
    ],
)
def test_conditions(cond: Condition, result: bool) -> None:
    assert evaluate_condition(cond, render) is result


@pytest.mark.parametrize(
    ("value", "truth"),
    [(None, False), (False, False), (0, False), (0.0, False), ("", False), ("false", False),
     ("False", False), ("0", False), ("null", False), ([], False), ({}, False),
     (True, True), (1, True), ("yes", True), ("true", True), ([0], True), ({"a": 0}, True)],
)
def test_truthiness(value: Any, truth: bool) -> None:
    assert is_truthy(value) is truth


def test_condition_undefined_variable_raises() -> None:
    with pytest.raises(UndefinedVariable, match="'enabled'"):
        evaluate_condition(C(parse_template("${enabled}", 3), "truthy"), render)
