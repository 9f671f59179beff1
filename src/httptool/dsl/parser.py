"""Recursive-descent parser: tokens -> :mod:`httptool.dsl.ast`.

Hand-written (see :mod:`httptool.dsl.lexer` for why): the five request styles and four
scenario styles share one item parser each, so they cannot drift apart, and recovery is
explicit: a bad statement is reported, the parser skips to the next statement or closing
brace, and goes on, so one run reports every problem.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from httptool.dsl import ast as A
from httptool.dsl.diagnostics import DiagnosticError, Diagnostics
from httptool.dsl.lexer import Lexer, Token
from httptool.operators import NEGATABLE, OPERATORS, SYMBOLS, WORDS
from httptool.plan import Operator

_HEADER_NAME = re.compile(r"[A-Za-z0-9_\-!#$%&'*+.^`|~]+")
_COOKIE_NAME = re.compile(r"[^\s,;={}()]+")
_BARE_REGEX = re.compile(r"(?:[^\s,]|,(?=\S))+")
_CMP_PREFIX = re.compile(r"\s*(==|!=|<=|>=|<|>|=)")



def did_you_mean(t: Token, words: tuple[str, ...]) -> str:
    """``"; did you mean 'request'?"`` for a keyword typo (``requets``, ``asert``), as
    flags and names already get; "" when nothing is close."""
    if t.kind != "IDENT":
        return ""
    close = difflib.get_close_matches(str(t.value), words, n=1, cutoff=0.75)
    return f"; did you mean '{close[0]}'?" if close else ""

class _GiveUp(Exception):
    """Too many diagnostics: stop instead of reporting the same problem forever."""


def _describe(t: Token) -> str:
    if t.kind == "NL":
        return "end of line"
    if t.kind == "EOF":
        return "end of file"
    if t.kind == "STR":
        return "a string"
    return repr(t.text)


class Parser:
    def __init__(self, text: str, diags: Diagnostics) -> None:
        self.diags = diags
        self.lx = Lexer(text, diags)
        self.max_diags = 1000 + len(text)

    # ------------------------------------------------------------------ basics
    def peek(self, k: int = 0) -> Token:
        return self.lx.peek(k)

    def next(self) -> Token:
        return self.lx.next()

    def at(self, kind: str, value: object = None, k: int = 0) -> bool:
        t = self.lx.peek(k)
        return t.kind == kind and (value is None or t.value == value)

    def at_word(self, word: str, k: int = 0) -> bool:
        return self.lx.peek(k).is_("IDENT", word)

    def accept(self, kind: str, value: object = None) -> Token | None:
        if self.at(kind, value):
            return self.next()
        return None

    def fail(self, message: str, t: Token | None = None) -> DiagnosticError:
        t = t or self.peek()
        self.diags.error(message, t.line, t.col)
        if len(self.diags.items) > self.max_diags:  # a safety net, never reached in tests
            raise _GiveUp
        return DiagnosticError(message)

    def expect(self, kind: str, value: object = None, what: str = "") -> Token:
        t = self.peek()
        if t.is_(kind, value):
            return self.next()
        if t.kind == "ERR":
            self.next()
            raise DiagnosticError(str(t.value))
        want = what or (repr(value) if value is not None else kind.lower())
        raise self.fail(f"expected {want}, found {_describe(t)}", t)

    def ident(self, what: str) -> Token:
        return self.expect("IDENT", None, what)

    def skip_nl(self) -> None:
        lx = self.lx
        while True:
            t = lx.peek()
            if t.kind == "NL" or (t.kind == "PUNCT" and t.value == ";"):
                lx.next()
            else:
                return

    def skip_seps(self) -> None:
        lx = self.lx
        while True:
            t = lx.peek()
            if t.kind == "NL" or (t.kind == "PUNCT" and t.value in (",", ";")):
                lx.next()
            else:
                return

    def sync(self, top: bool = False) -> None:
        """Skip the rest of a bad statement: to the end of its line (brackets and braces
        opened on the way are skipped whole) or to an unmatched ``}`` (kept for the block
        that owns it; dropped at top level). Lexer errors on the way are not reported."""
        depth = 0
        lx = self.lx
        while True:
            t = lx.buf.pop(0) if lx.buf else lx._lex()
            if t.kind == "EOF":
                lx.buf.insert(0, t)
                return
            if t.kind == "PUNCT" and t.text in "{[(":
                depth += 1
            elif t.kind == "PUNCT" and t.text in "}])":
                if depth == 0:
                    if t.value == "}" and not top:
                        lx.buf.insert(0, t)
                        return
                    continue
                depth -= 1
            elif t.kind == "NL" and depth == 0:
                return

    def recover(self, closer: str, start: Token) -> None:
        """:meth:`sync`, then make sure the loop that owns ``closer`` moves on: a ``}`` that
        does not close it is dropped, and so is a token the failed item started at."""
        self.sync()
        t = self.peek()
        if t.kind == "EOF":
            return
        if (t.is_("PUNCT", "}") and closer != "}") or t.pos == start.pos:
            self.lx.buf.pop(0)

    def block(self, closer: str, open_: Token, item: Callable[[Token], None], missing: str,
              *, opened: str = "opened", fatal_missing: bool = True,
              skip_all: bool = True) -> None:
        """The loop of every bracketed block: items until ``closer`` (``"end"`` is the
        word), a bad item reported and skipped (:meth:`recover`), so one mistake does not
        hide the rest. At the end of the file, ``missing (opened at line N)`` is raised
        (``fatal_missing``) or reported, and the block ends there. ``skip_all``: skip
        ``;``/``,`` between items as well as newlines."""
        while True:
            if skip_all:
                self.skip_seps()
            else:
                self.skip_nl()
            t = self.peek()
            if t.is_("IDENT", "end") if closer == "end" else t.is_("PUNCT", closer):
                self.next()
                return
            if t.kind == "EOF":
                message = f"{missing} ({opened} at line {open_.line})"
                if fatal_missing:
                    raise self.fail(message, t)
                self.diags.error(message, t.line, t.col)
                return
            try:
                item(t)
            except DiagnosticError:
                self.recover(closer, t)

    def end_statement(self, closers: tuple[str, ...] = ("}",), next_word: bool = False) -> None:
        """After a statement: a newline, ``;``/``,``, a closer, or (in blocks, where
        ``parallel { run x  run y }`` is one line) the next statement's keyword."""
        t = self.peek()
        if t.kind in ("NL", "EOF") or (next_word and t.kind == "IDENT"):
            return
        if t.kind == "PUNCT" and t.value in (";", ","):
            self.next()
            return
        if t.kind == "PUNCT" and t.value in closers:
            return
        if t.kind == "IDENT" and t.value in closers:
            return
        if t.kind == "ERR":
            self.next()
            raise DiagnosticError(str(t.value))
        raise self.fail(f"unexpected {_describe(t)} after the statement", t)

    def sub(self, t: Token) -> Lexer:
        """A lexer over the inside of string token ``t`` at its true file position."""
        off = 1 if t.quote else 0
        line, col = self.lx.where(t.pos + off)
        raw = self.lx.text[t.pos + off : t.end - off] if t.quote in ("'", "`") else t.value
        return Lexer(str(raw), self.diags, line, col)

    def with_lexer(self, lx: Lexer, fn: Any, *args: Any) -> Any:
        saved = self.lx
        self.lx = lx
        try:
            out = fn(*args)
            t = self.peek()
            if t.kind not in ("EOF", "NL"):
                raise self.fail(f"unexpected {_describe(t)}", t)
            return out
        finally:
            self.lx = saved

    # ------------------------------------------------------------------ file
    def parse_file(self) -> A.File:
        f = A.File()
        try:
            self._parse_file(f)
        except _GiveUp:
            t = self.peek()
            self.diags.error("too many errors; stopped here", t.line, t.col)
        return f

    def _parse_file(self, f: A.File) -> A.File:
        while True:
            self.skip_nl()
            t = self.peek()
            if t.kind == "EOF":
                return f
            try:
                f.items.extend(self.top_statement())
                self.end_statement(())
            except DiagnosticError:
                self.sync(top=True)

    def top_statement(self) -> list[Any]:
        t = self.peek()
        if t.is_("PUNCT", "@"):
            self.next()
            kw = self.ident("'request' or 'scenario' after '@'")
            if kw.value == "request":
                return [self.request_decorated(t)]
            if kw.value == "scenario":
                return [self.scenario_decorated(t)]
            raise self.fail(f"unknown decorator '@{kw.value}' (expected @request or @scenario)", kw)
        if t.kind == "IDENT":
            if self.at("OP", "=", 1):
                return [self.arrow_definition()]
            handler = {
                "var": self.var_decl,
                "data": self.data_decl,
                "shared": self.shared_decl,
                "setup": self.flow_decl,
                "teardown": self.flow_decl,
                "request": self.request_block,
                "req": self.request_shorthand,
                "scenario": self.scenario_decl,
            }.get(str(t.value))
            if handler is not None:
                return [handler()]
            if t.value in ("extract", "assert", "retry"):
                raise self.fail(f"'{t.value}' must follow a request", t)
        if t.kind == "ERR":
            self.next()
            raise DiagnosticError(str(t.value))
        raise self.fail(
            f"expected a statement (var, data, shared, request, req, scenario, setup, "
            f"teardown or NAME = ...), found {_describe(t)}"
            + did_you_mean(t, ("var", "data", "shared", "request", "scenario", "setup",
                               "teardown")),
            t,
        )

    # ------------------------------------------------------------------ values
    def value(self, allow_word: bool = False) -> A.Lit:
        t = self.peek()
        k = t.kind
        if k in ("NUM", "DUR", "PCT"):
            self.next()
            return A.Lit(k.lower(), t.value, t.line, t.col)
        if k == "STR":
            self.next()
            return A.Lit("str", t.value, t.line, t.col, t.quote)
        if k == "REF":
            self.next()
            return A.Lit("ref", t.value, t.line, t.col)
        if t.is_("OP", "-") and self.peek(1).kind in ("NUM", "DUR", "PCT"):
            self.next()
            n = self.next()
            return A.Lit(n.kind.lower(), -n.value, t.line, t.col)  # type: ignore[operator]
        if k == "IDENT":
            if t.value in ("true", "false"):
                self.next()
                return A.Lit("bool", t.value == "true", t.line, t.col)
            if t.value == "null":
                self.next()
                return A.Lit("null", None, t.line, t.col)
            if allow_word:
                self.next()
                return A.Lit("word", t.value, t.line, t.col)
        if t.is_("PUNCT", "["):
            self.next()
            items: list[A.Lit] = []
            while True:
                self.skip_seps()
                if self.accept("PUNCT", "]"):
                    return A.Lit("list", items, t.line, t.col)
                items.append(self.value(allow_word))
                if not (self.at("PUNCT", ",") or self.at("PUNCT", "]") or self.at("NL")):
                    self.expect("PUNCT", ",", "',' or ']'")
        if k == "ERR":
            self.next()
            raise DiagnosticError(str(t.value))
        raise self.fail(f"expected a value, found {_describe(t)}", t)

    def json_value(self) -> Any:
        """JSON5-like data: unquoted keys, either quote, trailing commas, newlines."""
        self.skip_nl()
        t = self.peek()
        if t.is_("PUNCT", "["):
            self.next()
            out: list[Any] = []
            while True:
                self.skip_seps()
                if self.accept("PUNCT", "]"):
                    return out
                out.append(self.json_value())
                self.skip_nl()
                if not self.at("PUNCT", "]"):
                    self.expect("PUNCT", ",", "',' or ']'")
        if t.is_("PUNCT", "{"):
            self.next()
            obj: dict[str, Any] = {}
            while True:
                self.skip_seps()
                if self.accept("PUNCT", "}"):
                    return obj
                kt = self.peek()
                if kt.kind not in ("IDENT", "STR", "NUM"):
                    raise self.fail(f"expected a key, found {_describe(kt)}", kt)
                self.next()
                self.expect("PUNCT", ":", "':'")
                obj[str(kt.value)] = self.json_value()
                self.skip_nl()
                if not self.at("PUNCT", "}"):
                    self.expect("PUNCT", ",", "',' or '}'")
        lit = self.value()
        if lit.kind in ("dur", "pct"):
            raise self.fail("expected a JSON value", t)
        if lit.kind == "ref":
            return "${" + str(lit.value) + "}"
        return lit.value

    # ------------------------------------------------------------------ top-level decls
    def var_decl(self) -> A.VarDecl:
        kw = self.next()
        name = self.ident("a variable name")
        if not self.accept("OP", "=") and not self.accept("PUNCT", ":"):
            self.expect("OP", "=", "'='")
        t = self.peek()
        if t.is_("IDENT", "env") and self.at("PUNCT", ".", 1):
            self.next()
            self.next()
            n = self.ident("an environment variable name")
            val = A.Lit("ref", f"env.{n.value}", t.line, t.col)
        else:
            val = self.value()
            if val.kind in ("list", "dur", "pct"):
                raise self.fail("a variable holds a string, number, bool or env.NAME", t)
        return A.VarDecl(str(name.value), val, kw.line, kw.col)

    def data_decl(self) -> A.DataDecl:
        kw = self.next()
        name = self.ident("a data set name")
        if self.accept("IDENT", "from"):
            f = self.expect("STR", None, "a file name in quotes")
            return A.DataDecl(str(name.value), None, A.Lit("str", f.value, f.line, f.col),
                              kw.line, kw.col)
        self.expect("OP", "=", "'=' or 'from'")
        self.skip_nl()
        t = self.peek()
        rows = self.json_value()
        return A.DataDecl(str(name.value), A.Lit("json", rows, t.line, t.col), None,
                          kw.line, kw.col)

    def shared_decl(self) -> A.SharedDecl:
        kw = self.next()
        name = self.ident("a pool name")
        self.expect("OP", "=", "'='")
        t = self.expect("PUNCT", "[", "'[]' (a shared pool starts empty)")
        if not self.at("PUNCT", "]"):
            raise self.fail("a shared pool starts empty: write 'shared NAME = []'", t)
        self.next()
        return A.SharedDecl(str(name.value), kw.line, kw.col)

    def flow_decl(self) -> A.FlowDecl:
        kw = self.next()
        return A.FlowDecl(str(kw.value), self.step_block(), kw.line, kw.col)

    def name_token(self, what: str) -> Token:
        t = self.peek()
        if t.kind in ("IDENT", "STR"):
            self.next()
            if t.kind == "STR" and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(t.value)):
                raise self.fail(f"invalid {what} {t.value!r}: use letters, digits and _", t)
            return t
        raise self.fail(f"expected {what}, found {_describe(t)}", t)

    # ------------------------------------------------------------------ requests
    def new_request(self, name: Token, style: str, at: Token) -> A.RequestDecl:
        return A.RequestDecl(str(name.value), None, 0, 0, [], [], None, style, at.line, at.col)

    def request_block(self) -> A.RequestDecl:
        kw = self.next()
        name = self.name_token("a request name")
        req = self.new_request(name, "block", kw)
        open_ = self.expect("PUNCT", "{", "'{'")
        self.request_items(req, "}", open_)
        return req

    def request_decorated(self, at: Token) -> A.RequestDecl:
        name = self.name_token("a request name")
        req = self.new_request(name, "decorator", at)
        self.request_items(req, "end", at)
        return req

    def request_items(self, req: A.RequestDecl, closer: str, open_: Token) -> None:
        def item(_t: Token) -> None:
            self.request_item(req, "block" if closer == "}" else "line")
            self.end_statement((closer,), next_word=True)

        self.block(closer, open_, item, f"missing '{closer}' to close request '{req.name}'",
                   fatal_missing=False)
        self.check_request(req)

    def check_request(self, req: A.RequestDecl) -> None:
        if req.curl is None and req.curl_line == 0:
            self.diags.error(f"request '{req.name}' has no curl command", req.line, req.col)

    def request_item(self, req: A.RequestDecl, mode: str) -> None:
        t = self.peek()
        if t.is_("IDENT", "curl"):
            self.curl_into(req, mode)
        elif t.is_("IDENT", "extract"):
            self.next()
            req.extracts.extend(self.extract_section())
        elif t.is_("IDENT", "assert"):
            self.next()
            req.asserts.extend(self.assert_section())
        elif t.is_("IDENT", "retry"):
            self.next()
            self.retry_into(req, t)
        elif t.is_("IDENT", "resend") and (self.at("OP", "=", 1) or self.at("PUNCT", ":", 1)):
            if req.resend is not None:
                raise self.fail(f"request '{req.name}' already has a resend setting", t)
            self.next()
            self.next()
            req.resend = self.value(allow_word=True)
        elif t.kind == "ERR":
            self.next()
            raise DiagnosticError(str(t.value))
        else:
            raise self.fail(
                f"expected curl, extract, assert, retry or resend in request '{req.name}', "
                f"found {_describe(t)}"
                + did_you_mean(t, ("curl", "extract", "assert", "retry", "resend")), t)

    def curl_into(self, req: A.RequestDecl, mode: str) -> None:
        t = self.peek()
        if req.curl is not None or req.curl_line:
            raise self.fail(f"request '{req.name}' already has a curl command", t)
        if self.at("PUNCT", ":", 1):  # JSON-like: curl: `...`
            self.next()
            self.next()
            s = self.expect("STR", None, "the curl command as a string")
            sub = self.sub(s)
            text = sub.text
            lead = len(text) - len(text.lstrip())
            line, col = sub.where(lead)
            text = text.strip()
            if not text.startswith("curl"):
                text, col = "curl " + text, col - 5
            req.curl, req.curl_line, req.curl_col = text, line, col
            return
        cmd, line, col = self.lx.scan_curl(t.pos, mode)
        req.curl, req.curl_line, req.curl_col = cmd, line, col

    def request_shorthand(self) -> A.RequestDecl:
        kw = self.next()
        name = self.name_token("a request name")
        req = self.new_request(name, "shorthand", kw)
        self.expect("PUNCT", ":", "':'")
        t = self.peek()
        if not t.is_("IDENT", "curl"):
            raise self.fail(f"expected a curl command, found {_describe(t)}", t)
        self.curl_into(req, "pipe")
        while self.accept("OP", "|"):
            self.pipe_section(req)
        # extract/assert/retry lines (or statements after a ';') right after the shorthand
        # belong to it
        while True:
            k = 0
            while self.peek(k).kind == "NL" or self.peek(k).is_("PUNCT", ";"):
                k += 1
            nt = self.peek(k)
            if nt.kind == "IDENT" and nt.value in ("extract", "assert", "retry"):
                for _ in range(k):
                    self.next()
                try:
                    self.request_item(req, "line")
                    self.end_statement(())
                except DiagnosticError:
                    self.sync()
                continue
            break
        return req

    def pipe_section(self, req: A.RequestDecl) -> None:
        t = self.peek()
        if t.is_("IDENT", "extract") or t.is_("IDENT", "assert") or t.is_("IDENT", "retry"):
            self.request_item(req, "line")
            return
        raise self.fail(f"expected extract, assert or retry after '|', found {_describe(t)}", t)

    def arrow_definition(self) -> Any:
        name = self.name_token("a name")
        self.expect("OP", "=", "'='")
        t = self.peek()
        if t.is_("IDENT", "curl"):
            req = self.new_request(name, "arrow", name)
            req.curl, req.curl_line, req.curl_col = self.lx.scan_curl(t.pos, "arrow")
            while self.accept("OP", ">>"):
                s = self.peek()
                if s.kind == "IDENT" and s.value in ("extract", "assert", "retry"):
                    self.request_item(req, "line")
                else:
                    raise self.fail(
                        f"expected extract, assert or retry after '>>', found {_describe(s)}", s)
            return req
        return self.scenario_arrow(name)

    # ------------------------------------------------------------------ extract
    def section(self, item: Any, inline_stop: tuple[str, ...] = ()) -> list[Any]:
        """``{ item ... }`` / ``: { ... }`` / inline ``item, item``."""
        self.accept("PUNCT", ":")
        out: list[Any] = []
        if self.at("PUNCT", "{"):
            def one(_t: Token) -> None:
                out.append(item())
                # items may share a line: `assert { status == 200  $.id == 1 }`
                if not self.at("PATH"):
                    self.end_statement(("}",), next_word=True)

            self.block("}", self.next(), one, "missing '}'", opened="block opened")
            return out
        out.append(item())
        while self.accept("PUNCT", ","):
            out.append(item())
        return out

    def extract_section(self) -> list[A.ExtractItem]:
        return self.section(self.extract_item)

    def extract_item(self) -> A.ExtractItem:
        name = self.name_token("a variable name")
        if not self.accept("OP", "=") and not self.accept("PUNCT", ":"):
            self.expect("OP", "=", "'='")
        t = self.peek()
        if t.kind == "STR":
            self.next()
            item = self.with_lexer(self.sub(t), self.extract_from)
        else:
            item = self.extract_from()
        item.name, item.line, item.col = str(name.value), name.line, name.col
        return item

    def extract_from(self) -> A.ExtractItem:
        """A source, and for ``header:``/``cookie:`` an optional ``regex:PATTERN`` on the same
        line that takes part of that value (a code in a redirect's ``Location`` query)."""
        source, expr, line, col = self.extract_source()
        item = A.ExtractItem("", source, expr, 0, 0, line, col)
        t = self.peek()
        if (source in ("header", "cookie") and t.kind == "IDENT" and t.value == "regex"
                and t.line == line and self.at("PUNCT", ":", 1)):
            _, item.pattern, item.pattern_line, item.pattern_col = self.extract_source()
        return item

    def extract_source(self) -> tuple[str, str, int, int]:
        t = self.peek()
        if t.kind == "PATH":
            self.next()
            return "jsonpath", t.text, t.line, t.col
        if t.kind == "IDENT" and t.value in ("regex", "header", "cookie") and self.at(
            "PUNCT", ":", 1
        ):
            self.next()
            colon = self.next()
            if t.value == "regex":
                if self.at("STR"):
                    s = self.next()
                    return "regex", str(s.value), s.line, s.col
                r = self.lx.scan_re(_BARE_REGEX)
            else:
                r = self.lx.scan_re(_HEADER_NAME if t.value == "header" else _COOKIE_NAME)
            if r is None:
                raise self.fail(f"expected a {t.value} after '{t.value}:'", colon)
            return str(t.value), r.text, r.line, r.col
        if t.kind == "IDENT" and t.value in ("status", "body"):
            self.next()
            return str(t.value), "", t.line, t.col
        raise self.fail(
            "expected an extraction source: a JSONPath ($...), regex:PATTERN, header:NAME, "
            f"cookie:NAME, status or body; found {_describe(t)}", t)

    # ------------------------------------------------------------------ assert
    def assert_section(self) -> list[A.AssertItem]:
        return self.section(self.assert_item)

    def assert_item(self) -> A.AssertItem:
        t = self.peek()
        if t.kind == "STR" and self.at("PUNCT", ":", 1):  # JSON-like "body.id": 1
            self.next()
            subject, arg, length = self.with_lexer(self.sub(t), self.assert_subject)
        else:
            subject, arg, length = self.assert_subject()
        item = A.AssertItem(subject, arg, length, "==", None, [], t.line, t.col)
        if self.at("PUNCT", ":"):
            self.next()
            v = self.peek()
            if v.kind == "STR" and _CMP_PREFIX.match(str(v.value)):
                self.next()
                self.with_lexer(self.sub(v), self.assert_rest, item)
            elif v.is_("PUNCT", "["):
                item.op = "in"
                item.values = list(self.value().value)
            else:
                item.value = self.value()
            return item
        self.assert_rest(item)
        return item

    def assert_subject(self) -> tuple[str, str, bool]:
        t = self.peek()
        if t.kind == "PATH":
            self.next()
            path, length = _strip_length(t.text)
            return "json", path, length
        if t.kind == "IDENT":
            v = t.value
            if v in ("status", "latency", "size"):
                self.next()
                return str(v), "", False
            if v == "body":
                raw = self.lx.scan_path_from(t.pos)
                path, length = _strip_length("$" + raw.text[4:])
                if path == "$":
                    return "body", "", length
                return "json", path, length
            if v in ("header", "cookie") and (self.at("PUNCT", ".", 1) or self.at("PUNCT", ":", 1)):
                self.next()
                sep = self.next()
                r = self.lx.scan_re(_HEADER_NAME if v == "header" else _COOKIE_NAME)
                if r is None:
                    raise self.fail(f"expected a {v} name", sep)
                name, length = _strip_length(r.text)
                return str(v), name, length
        raise self.fail(
            "expected an assertion subject (status, latency, body, body.PATH, $.PATH, "
            f"header.NAME, size, cookie.NAME), found {_describe(t)}", t)

    def assert_rest(self, item: A.AssertItem) -> None:
        """Operator and right side."""
        item.op, item.value, item.values = self.operator_and_value(single_eq_warn=True)

    def operator_and_value(self, single_eq_warn: bool
                           ) -> tuple[Operator, A.Lit | None, list[A.Lit]]:
        """An operator of :data:`httptool.operators.OPERATORS` and what its shape says
        follows it."""
        t = self.peek()
        if t.is_("OP", "="):
            self.next()
            if single_eq_warn:
                self.diags.warning("single '=' in a comparison; use '=='", t.line, t.col)
            return "==", self.value(), []
        spec = None
        if t.kind == "OP" and t.value in SYMBOLS:
            spec = OPERATORS[t.value]  # type: ignore[index]
        elif t.kind == "IDENT" and t.value == "not":
            self.next()
            after = ", ".join(f"'{w}'" for w in NEGATABLE[:-1]) + f" or '{NEGATABLE[-1]}'"
            w2 = self.ident(f"{after} after 'not'")
            if w2.value not in NEGATABLE:
                raise self.fail(f"expected {after} after 'not'", w2)
            spec = OPERATORS[f"not {w2.value}"]  # type: ignore[index]
        elif t.kind == "IDENT" and t.value in WORDS:
            spec = OPERATORS[t.value]  # type: ignore[index]
        if spec is None:
            raise self.fail(f"expected a comparison operator, found {_describe(t)}", t)
        if t.value != "not":
            self.next()
        op = spec.op
        if spec.shape == "none":
            return op, None, []
        if spec.shape == "list":
            lst = self.value()
            if lst.kind != "list":
                raise self.fail(f"'{op}' needs a list like [200, 201]", t)
            return op, None, list(lst.value)
        if spec.shape == "range":
            lo = self.value()
            self.expect("IDENT", "and", "'and'")
            hi = self.value()
            return op, None, [lo, hi]
        return op, self.value(), []

    # ------------------------------------------------------------------ retry
    def retry_into(self, req: A.RequestDecl, kw: Token) -> None:
        if req.retry is not None:
            raise self.fail(f"request '{req.name}' already has a retry block", kw)
        req.retry = A.RetryDecl(self.kv_section(), kw.line, kw.col)

    def kv_item(self) -> A.KV:
        k = self.ident("a setting name")
        if not self.accept("OP", "=") and not self.accept("PUNCT", ":"):
            self.expect("OP", "=", "'='")
        return A.KV(str(k.value), self.value(allow_word=True), k.line, k.col)

    def kv_section(self, stage_ok: bool = False, stages: list[A.StageDecl] | None = None
                   ) -> list[A.KV]:
        """``{ k = v  k = v }``, ``( k = v, ... )``, ``: { k: v }`` or inline ``k=v, k=v``."""
        self.accept("PUNCT", ":")
        out: list[A.KV] = []
        if self.at("PUNCT", "{") or self.at("PUNCT", "("):
            open_ = self.next()
            close = "}" if open_.value == "{" else ")"

            def item(t: Token) -> None:
                if stage_ok and t.is_("IDENT", "stage") and stages is not None:
                    self.next()
                    stages.append(A.StageDecl(self.kv_section(), t.line, t.col))
                elif stage_ok and t.is_("IDENT", "stages") and stages is not None:
                    self.next()
                    self.stage_list(stages)
                else:
                    out.append(self.kv_item())

            self.block(close, open_, item, f"missing '{close}'")
            return out
        out.append(self.kv_item())
        while self.accept("PUNCT", ","):
            out.append(self.kv_item())
        return out

    def stage_list(self, stages: list[A.StageDecl]) -> None:
        if not self.accept("OP", "="):
            self.accept("PUNCT", ":")
        self.expect("PUNCT", "[", "'['")
        while True:
            self.skip_seps()
            t = self.peek()
            if self.accept("PUNCT", "]"):
                return
            if not t.is_("PUNCT", "{"):
                raise self.fail(f"expected a stage {{...}}, found {_describe(t)}", t)
            stages.append(A.StageDecl(self.kv_section(), t.line, t.col))

    # ------------------------------------------------------------------ scenarios
    def new_scenario(self, name: Token, style: str, at: Token) -> A.ScenarioDecl:
        return A.ScenarioDecl(str(name.value), None, None, [], None, [], style, at.line, at.col)

    def scenario_decl(self) -> A.ScenarioDecl:
        before = len(self.diags.errors)
        sc = self._scenario_decl()
        sc.had_errors = len(self.diags.errors) > before
        return sc

    def _scenario_decl(self) -> A.ScenarioDecl:
        kw = self.next()
        name = self.name_token("a scenario name")
        if self.accept("PUNCT", ":"):
            sc = self.new_scenario(name, "shorthand", kw)
            self.scenario_item(sc)
            while self.accept("OP", "|"):
                self.scenario_item(sc)
            return sc
        sc = self.new_scenario(name, "block", kw)
        open_ = self.expect("PUNCT", "{", "'{' or ':'")
        self.scenario_items(sc, "}", open_)
        return sc

    def scenario_decorated(self, at: Token) -> A.ScenarioDecl:
        before = len(self.diags.errors)
        name = self.name_token("a scenario name")
        sc = self.new_scenario(name, "decorator", at)
        self.scenario_items(sc, "end", at)
        sc.had_errors = len(self.diags.errors) > before
        return sc

    def scenario_items(self, sc: A.ScenarioDecl, closer: str, open_: Token) -> None:
        def item(_t: Token) -> None:
            self.scenario_item(sc)
            self.end_statement((closer,), next_word=True)

        self.block(closer, open_, item, f"missing '{closer}' to close scenario '{sc.name}'",
                   fatal_missing=False)

    def scenario_item(self, sc: A.ScenarioDecl) -> None:
        t = self.peek()
        word = t.value if t.kind == "IDENT" else None
        if word == "load":
            if sc.load is not None:
                raise self.fail(f"scenario '{sc.name}' already has a load", t)
            sc.load = self.load_decl()
        elif word == "think_time":
            self.next()
            if not self.accept("OP", "="):
                self.expect("PUNCT", ":", "'='")
            sc.think_time = self.think_spec(t)
        elif word == "thresholds":
            self.next()
            sc.thresholds.extend(self.threshold_section())
        elif word == "cookies" and (self.at("OP", "=", 1) or self.at("PUNCT", ":", 1)):
            self.next()
            self.next()
            sc.cookies = self.value(allow_word=True)
        elif word == "http" and (self.at("OP", "=", 1) or self.at("PUNCT", ":", 1)):
            if sc.http is not None:
                raise self.fail(f"scenario '{sc.name}' already has an http setting", t)
            self.next()
            self.next()
            sc.http = self.value(allow_word=True)
        elif word == "connections" and (self.at("OP", "=", 1) or self.at("PUNCT", ":", 1)):
            if sc.connections is not None:
                raise self.fail(f"scenario '{sc.name}' already has a connections setting", t)
            self.next()
            self.next()
            sc.connections = self.value(allow_word=True)
        elif word == "flow" and self.at("PUNCT", ":", 1):
            self.next()
            self.next()
            sc.flow.extend(self.flow_list())
        elif word == "name" and self.at("PUNCT", ":", 1):
            self.next()
            self.next()
            self.value()
        else:
            sc.flow.extend(self.statement())

    def flow_list(self) -> list[Any]:
        open_ = self.expect("PUNCT", "[", "'['")
        out: list[Any] = []
        while True:
            self.skip_seps()
            if self.accept("PUNCT", "]"):
                return out
            t = self.peek()
            if t.kind == "EOF":
                raise self.fail(f"missing ']' (opened at line {open_.line})", t)
            if t.kind not in ("STR", "IDENT"):
                raise self.fail(f"expected a request name, found {_describe(t)}", t)
            self.next()
            out.append(A.RunStep(str(t.value), [], t.line, t.col))

    def scenario_arrow(self, name: Token) -> A.ScenarioDecl:
        sc = self.new_scenario(name, "arrow", name)
        while True:
            t = self.ident("load(...), run(...), parallel(...), think(...) or thresholds(...)")
            if t.value == "load":
                if sc.load is not None:
                    raise self.fail(f"scenario '{sc.name}' already has a load", t)
                sc.load = self.load_args(t)
            elif t.value == "run":
                self.expect("PUNCT", "(", "'('")
                while True:
                    self.skip_nl()
                    sc.flow.extend(self.chain_element())
                    if not (self.accept("PUNCT", ",") or self.accept("OP", "->")):
                        break
                self.expect("PUNCT", ")", "')'")
            elif t.value == "parallel":
                sc.flow.append(self.parallel_args(t))
            elif t.value == "think":
                self.expect("PUNCT", "(", "'('")
                sc.flow.append(self.think_spec(t))
                self.expect("PUNCT", ")", "')'")
            elif t.value == "thresholds":
                self.expect("PUNCT", "(", "'('")
                while not self.at("PUNCT", ")"):
                    self.skip_seps()
                    sc.thresholds.append(self.threshold_item())
                    self.skip_seps()
                self.next()
            else:
                raise self.fail(
                    f"expected load(...), run(...), parallel(...), think(...) or "
                    f"thresholds(...), found {_describe(t)}", t)
            if not self.accept("OP", ">>"):
                return sc

    # ------------------------------------------------------------------ load
    def load_decl(self) -> A.LoadDecl:
        kw = self.next()
        load = A.LoadDecl([], [], kw.line, kw.col)
        t = self.peek()
        if t.is_("PUNCT", "(") :
            return self.load_args(kw)
        if t.is_("PUNCT", "{") or t.is_("PUNCT", ":"):
            load.fields = self.kv_section(stage_ok=True, stages=load.stages)
            return load
        n = self.expect("NUM", None, "a number, '{' or ':' after 'load'")
        unit = self.ident("vus, rps or iterations")
        num = A.Lit("num", n.value, n.line, n.col)
        if unit.value in ("vus", "vu"):
            load.fields.append(A.KV("vus", num, n.line, n.col))
            if self.accept("IDENT", "for"):
                load.fields.append(self.for_duration())
        elif unit.value == "rps":
            load.fields.append(A.KV("rps", num, n.line, n.col))
            if self.accept("IDENT", "for"):
                load.fields.append(self.for_duration())
        elif unit.value in ("iterations", "iteration"):
            load.fields.append(A.KV("iterations", num, n.line, n.col))
            self.per_vu(load)
            if self.accept("IDENT", "with"):
                v = self.expect("NUM", None, "a number of VUs")
                self.expect("IDENT", "vus", "'vus'")
                load.fields.append(A.KV("vus", A.Lit("num", v.value, v.line, v.col),
                                        v.line, v.col))
                self.per_vu(load)
        else:
            raise self.fail(f"expected vus, rps or iterations, found {_describe(unit)}", unit)
        # optional trailing settings: max_vus=50 ramp_up=30s ...
        while self.at("IDENT") or self.at("PUNCT", ","):
            if self.accept("PUNCT", ",") or self.per_vu(load):
                continue
            self.accept("IDENT", "with")
            k = self.ident("a load setting")
            if not self.accept("OP", "="):
                self.accept("PUNCT", ":")
            load.fields.append(A.KV(str(k.value), self.value(), k.line, k.col))
        return load

    def per_vu(self, load: A.LoadDecl) -> bool:
        """``per vu`` after ``N iterations``, ``with M vus`` or among the trailing settings:
        the setting ``per = vu`` (the compiler says where it does not belong)."""
        p = self.peek()
        if not self.accept("IDENT", "per"):
            return False
        if not self.accept("OP", "="):
            self.accept("PUNCT", ":")
        u = self.ident("'vu'")
        load.fields.append(A.KV("per", A.Lit("word", u.value, u.line, u.col), p.line, p.col))
        return True

    def for_duration(self) -> A.KV:
        """The ``D`` of ``load 10 vus for D``: a bare ``30`` gets the unit hint."""
        d = self.peek()
        seconds = self.duration()
        return A.KV("duration", A.Lit("dur", seconds, d.line, d.col), d.line, d.col)

    def load_args(self, kw: Token) -> A.LoadDecl:
        """``load(10 vus, 1m)``, ``load(100 rps, 30s)``, ``load(1000 iterations, 5 vus)``,
        ``load(vus=10, duration=1m)``."""
        load = A.LoadDecl([], [], kw.line, kw.col)
        self.expect("PUNCT", "(", "'('")
        while True:
            self.skip_nl()
            t = self.peek()
            if t.kind == "NUM" and self.at("IDENT", None, 1):
                self.next()
                u = self.next()
                key = {"vu": "vus", "iteration": "iterations"}.get(str(u.value), str(u.value))
                if key not in ("vus", "rps", "iterations"):
                    raise self.fail(f"expected vus, rps or iterations, found {_describe(u)}", u)
                load.fields.append(A.KV(key, A.Lit("num", t.value, t.line, t.col), t.line, t.col))
            elif t.kind == "DUR":
                self.next()
                load.fields.append(A.KV("duration", A.Lit("dur", t.value, t.line, t.col),
                                        t.line, t.col))
            elif t.kind == "IDENT":
                load.fields.append(self.kv_item())
            elif t.kind == "NUM":  # load(10 vus, 30): a duration without its unit
                self.duration()
            else:
                raise self.fail(f"expected a load setting, found {_describe(t)}", t)
            self.skip_nl()
            if not self.accept("PUNCT", ","):
                break
        self.expect("PUNCT", ")", "')'")
        return load

    # ------------------------------------------------------------------ thresholds
    def threshold_section(self) -> list[A.ThresholdItem]:
        self.accept("PUNCT", ":")
        out: list[A.ThresholdItem] = []
        if self.at("PUNCT", "{") or self.at("PUNCT", "["):
            open_ = self.next()
            close = "}" if open_.value == "{" else "]"
            self.block(close, open_, lambda _t: out.append(self.threshold_item()),
                       f"missing '{close}'")
            return out
        while self.peek().kind not in ("NL", "EOF") and not self.at("OP", "|") \
                and not self.at("PUNCT", "}"):
            out.append(self.threshold_item())
            self.accept("PUNCT", ",")
        return out

    def threshold_item(self) -> A.ThresholdItem:
        t = self.peek()
        if t.kind == "STR" and not self.at("PUNCT", ":", 1):
            self.next()
            return self.with_lexer(self.sub(t), self.threshold_item)
        if t.kind == "STR":  # "login.p95": "< 300ms"
            self.next()
            scope, metric, mline, mcol = self.with_lexer(self.sub(t), self.threshold_head)
        else:
            scope, metric, mline, mcol = self.threshold_head()
        if self.accept("PUNCT", ":"):
            v = self.peek()
            if v.kind == "STR":
                self.next()
                op, val = self.with_lexer(self.sub(v), self.threshold_rest)
            else:
                op, val = "<", self.value()
        else:
            op, val = self.threshold_rest()
        return A.ThresholdItem(scope, metric, op, val, t.line, t.col, mline, mcol)

    def threshold_head(self) -> tuple[str | None, str, int, int]:
        a = self.ident("a threshold metric (p95, error_rate, checks, ...)")
        if self.accept("PUNCT", "."):
            m = self.ident("a metric after the request name")
            return str(a.value), str(m.value), m.line, m.col
        return None, str(a.value), a.line, a.col

    def threshold_rest(self) -> tuple[str, A.Lit]:
        t = self.peek()
        if t.kind == "OP" and t.value in SYMBOLS:
            self.next()
            return str(t.value), self.value()
        if t.is_("OP", "="):
            self.next()
            self.diags.warning("single '=' in a comparison; use '=='", t.line, t.col)
            return "==", self.value()
        raise self.fail(f"expected <, <=, >, >=, == or !=, found {_describe(t)}", t)

    # ------------------------------------------------------------------ flow statements
    def step_block(self) -> list[Any]:
        return [s for group in self.step_groups() for s in group]

    def step_groups(self) -> list[list[Any]]:
        """A ``{ ... }`` block, one list of steps per statement (a chain gives several)."""
        open_ = self.expect("PUNCT", "{", "'{'")
        out: list[list[Any]] = []

        def item(_t: Token) -> None:
            out.append(self.statement())
            self.end_statement(("}",), next_word=True)

        self.block("}", open_, item, "missing '}'", opened="block opened",
                   fatal_missing=False, skip_all=False)
        return out

    def statement(self) -> list[Any]:
        t = self.peek()
        word = t.value if t.kind == "IDENT" else None
        if word == "run":
            self.next()
            return self.chain()
        if word == "parallel":
            self.next()
            if self.at("PUNCT", "("):
                return [self.parallel_args(t)]
            groups = [g for g in self.step_groups() if g]
            return [A.ParallelStep(groups, t.line, t.col)]
        if word == "if":
            return [self.if_stmt()]
        if word == "foreach":
            return [self.foreach_stmt()]
        if word == "repeat":
            self.next()
            n = self.value()
            self.accept("IDENT", "times")
            return [A.RepeatStep(n, self.step_block(), t.line, t.col)]
        if word == "think":
            self.next()
            return [self.think_spec(t)]
        if word == "use":
            return [self.use_stmt()]
        if word == "shared" and self.at("PUNCT", ".", 1):
            return [self.push_stmt()]
        if t.is_("OP", "->"):
            raise self.fail("'->' continues a 'run' chain: put it after 'run NAME'", t)
        if t.kind == "ERR":
            self.next()
            raise DiagnosticError(str(t.value))
        raise self.fail(
            "expected a flow statement (run, parallel, if, foreach, repeat, think, use, "
            f"shared.POOL.push) or a scenario setting, found {_describe(t)}"
            + did_you_mean(t, ("run", "parallel", "foreach", "repeat", "think", "load",
                               "thresholds", "think_time", "cookies")), t)

    def chain_element(self) -> list[Any]:
        t = self.peek()
        if t.is_("IDENT", "parallel") and self.at("PUNCT", "(", 1):
            self.next()
            return [self.parallel_args(t)]
        if t.is_("IDENT", "run") and self.peek(1).kind in ("IDENT", "STR"):
            self.next()
            t = self.peek()
        if t.kind == "STR":
            self.next()
            return [A.RunStep(str(t.value), [], t.line, t.col)]
        n = self.ident("a request name")
        return [A.RunStep(str(n.value), [], n.line, n.col)]

    def chain(self) -> list[Any]:
        steps = self.chain_element()
        while True:
            if self.accept("OP", "->"):
                self.skip_nl()
                steps.extend(self.chain_element())
                continue
            k = 0
            while self.peek(k).kind == "NL":
                k += 1
            if k and self.at("OP", "->", k):
                for _ in range(k + 1):
                    self.next()
                self.skip_nl()
                steps.extend(self.chain_element())
                continue
            break
        if self.at("PUNCT", "{"):
            last = steps[-1]
            if not isinstance(last, A.RunStep):
                raise self.fail("a nested block must follow a request name", self.peek())
            last.children = self.step_block()
        return steps

    def parallel_args(self, at: Token) -> A.ParallelStep:
        self.expect("PUNCT", "(", "'('")
        branches: list[list[Any]] = []
        while True:
            self.skip_nl()
            if self.accept("PUNCT", ")"):
                break
            branches.append(self.chain_element())
            self.skip_nl()
            if not self.at("PUNCT", ")"):
                self.expect("PUNCT", ",", "',' or ')'")
        if not branches:
            raise self.fail("parallel(...) needs at least one request", at)
        return A.ParallelStep(branches, at.line, at.col)

    def value_or_var(self) -> A.Lit:
        """A value, where a bare name (``user.id``) is a variable, not a word."""
        t = self.peek()
        if t.kind == "IDENT" and t.value not in ("true", "false", "null"):
            self.next()
            return A.Lit("var", self.dotted(t), t.line, t.col)
        return self.value()

    def cond(self) -> A.CondNode:
        t = self.peek()
        left = self.value_or_var()
        if self.at("PUNCT", "{"):
            return A.CondNode(left, "truthy", None, [], t.line, t.col)
        op, val, vals = self.operator_and_value(single_eq_warn=True)
        return A.CondNode(left, op, val, vals, t.line, t.col)

    def dotted(self, first: Token) -> str:
        parts = [str(first.value)]
        while self.at("PUNCT", ".") and self.at("IDENT", None, 1):
            self.next()
            parts.append(str(self.next().value))
        return ".".join(parts)

    def if_stmt(self) -> A.IfStep:
        kw = self.next()
        node = A.IfStep([], [], kw.line, kw.col)
        c = self.cond()
        node.branches.append((c, self.step_block()))
        while True:
            k = 0
            while self.peek(k).kind == "NL":
                k += 1
            if not self.at("IDENT", "else", k):
                return node
            for _ in range(k + 1):
                self.next()
            if self.accept("IDENT", "if"):
                c = self.cond()
                node.branches.append((c, self.step_block()))
                continue
            node.orelse = self.step_block()
            return node

    def foreach_stmt(self) -> A.ForeachStep:
        kw = self.next()
        var = self.ident("a loop variable name")
        self.expect("IDENT", "in", "'in'")
        s = self.peek()
        if s.kind == "REF":
            self.next()
            source = str(s.value).strip()
        else:
            source = self.dotted(self.ident("a data set or variable name"))
        limit = None
        if self.accept("IDENT", "limit"):
            limit = self.value()
        body = self.step_block()
        return A.ForeachStep(str(var.value), source, s.line, s.col, limit, body, kw.line, kw.col)

    def think_spec(self, at: Token) -> A.ThinkStep:
        t = self.peek()
        if t.kind == "STR":
            self.next()
            return self.with_lexer(self.sub(t), self.think_spec, at)
        base = self.duration()
        low = high = base
        if self.at("OP", "±") or self.at("OP", "+-") or self.at("OP", "+/-"):
            self.next()
            d = self.duration()
            low, high = max(base - d, 0.0), base + d
        elif self.accept("OP", ".."):
            high = self.duration()
            if high < low:
                raise self.fail("the pause range ends before it starts", t)
        return A.ThinkStep(low, high, at.line, at.col)

    def duration(self) -> float:
        t = self.peek()
        if t.kind == "DUR":
            self.next()
            return float(t.value)  # type: ignore[arg-type]
        if t.kind == "NUM":
            raise self.fail(f"a duration needs a unit: {t.text}s or {t.text}ms", t)
        raise self.fail(f"expected a duration like 2s or 500ms, found {_describe(t)}", t)

    def use_stmt(self) -> A.UseStep:
        kw = self.next()
        var = self.ident("a row variable name")
        self.expect("IDENT", "from", "'from'")
        d = self.ident("a data set name")
        mode = "sequential"
        if self.accept("IDENT", "random"):
            mode = "random"
        elif self.accept("IDENT", "sequential"):
            mode = "sequential"
        elif self.at_word("per"):
            self.next()
            self.expect("IDENT", "vu", "'vu'")
            mode = "per_vu"
        return A.UseStep(str(var.value), str(d.value), d.line, d.col, mode, kw.line, kw.col)

    def push_stmt(self) -> A.PushStep:
        kw = self.next()
        self.expect("PUNCT", ".", "'.'")
        pool = self.ident("a pool name")
        self.expect("PUNCT", ".", "'.push'")
        self.expect("IDENT", "push", "'push'")
        self.expect("PUNCT", "(", "'('")
        val = self.value_or_var()
        self.expect("PUNCT", ")", "')'")
        return A.PushStep(str(pool.value), val, kw.line, kw.col)


def _strip_length(path: str) -> tuple[str, bool]:
    if path.endswith(".length"):
        return path[: -len(".length")], True
    return path, False


def parse(text: str, diags: Diagnostics) -> A.File:
    """Parse a whole file; problems go to ``diags`` and never raise."""
    return Parser(text, diags).parse_file()
