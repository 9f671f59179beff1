"""Tokens of the .httpx language, pulled one at a time by the parser.

Why a hand-written, pull-based lexer (and no generator such as Lark):

* **Contextual extents.** A curl command is not made of our tokens: its end depends on the
  style it stands in (a newline; ``>>`` in the arrow style; `` | `` in the shorthand; an
  unmatched ``}`` in a one-line block) and on shell quoting. Only the parser knows the
  style, so it asks the lexer for a raw curl scan at the right moment
  (:meth:`Lexer.scan_curl`). JSONPaths, header names with ``-`` and bare regexes are
  scanned the same way, on request.
* **Contextual keywords.** Keywords are plain identifiers; the parser decides by position,
  so a request may be called ``load`` or ``run``.
* **Exact carets.** Every token carries its 1-based line and column (in characters).
* **Speed.** One compiled regex per token class and no backtracking grammar: a 1 MB file
  tokenises in well under a second.

Errors found while lexing are stored in an ``ERR`` token and reported only when the parser
consumes it, so look-ahead over text that turns out to be a curl command never produces a
false message.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from httptool.dsl.diagnostics import Diagnostics

_SKIP = re.compile(r"(?:[ \t\r\f\v]+|\\\r?\n|#[^\n]*)+")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|h|m|s))+(?![A-Za-z0-9_])")
_DUR_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = ("->", ">>", "==", "!=", "<=", ">=", "+/-", "+-", "..", "<", ">", "=", "±", "|", "-")
_MASTER = re.compile(
    r"(?:[ \t\r\f\v]+|\\\r?\n|\#[^\n]*)*+"
    r"(?:(?P<nl>\n)"
    r"|(?P<dur>(?:\d+(?:\.\d+)?(?:ms|h|m|s))+(?![A-Za-z0-9_]))"
    r"|(?P<pct>\d+(?:\.\d+)?%)"
    r"|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<ref>\$\{[^}\n]*\})"
    r'|(?P<dq>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<sq>'[^'\n]*')"
    r"|(?P<bt>`[^`]*`)"
    r"|(?P<op>" + "|".join(re.escape(op) for op in _OPS) + ")"
    r"|(?P<punct>[{}\[\](),:.@;])"
    r"|(?=[^\n]))"
)
_DQ_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r", "$": "\\$"}
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PATH_KEY = re.compile(r"\*|[A-Za-z0-9_\-]+")


@dataclass(slots=True)
class Token:
    """``kind`` is one of NL EOF IDENT NUM DUR PCT STR REF PATH OP PUNCT ERR."""

    kind: str
    value: object
    text: str
    line: int
    col: int
    pos: int
    end: int
    quote: str = ""  # for STR: the quote character

    def is_(self, kind: str, value: object = None) -> bool:
        return self.kind == kind and (value is None or self.value == value)


def parse_duration(text: str) -> float:
    """``1m30s`` -> 90.0 (seconds)."""
    return sum(float(n) * _UNIT[u] for n, u in _DUR_PART.findall(text))


def _unescape_dq(body: str) -> str:
    if "\\" not in body:
        return body
    return re.sub(r"\\(.)", lambda m: _DQ_ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


class Lexer:
    """Tokens of ``text``; ``line``/``col`` give the position of ``text[0]`` in the file
    (sub-lexers read strings of the JSON-like style at their true position)."""

    def __init__(self, text: str, diags: Diagnostics, line: int = 1, col: int = 1) -> None:
        self.text = text
        self.diags = diags
        self.line0 = line
        self.col0 = col
        self.pos = 0
        self.buf: list[Token] = []
        self.nl = [m.start() for m in re.finditer("\n", text)]

    # ------------------------------------------------------------------ positions
    def where(self, pos: int) -> tuple[int, int]:
        n = bisect_right(self.nl, pos - 1)
        if n == 0:
            return self.line0, self.col0 + pos
        return self.line0 + n, pos - self.nl[n - 1]

    # ------------------------------------------------------------------ token stream
    def peek(self, k: int = 0) -> Token:
        buf = self.buf
        if k < len(buf):
            return buf[k]
        while len(self.buf) <= k:
            self.buf.append(self._lex())
        return self.buf[k]

    def next(self) -> Token:
        tok = self.buf.pop(0) if self.buf else self._lex()
        if tok.kind == "ERR":
            line, col = tok.line, tok.col
            self.diags.error(str(tok.value), line, col)
        return tok

    def rewind(self) -> int:
        """Drop look-ahead; the raw position is where the first buffered token started."""
        if self.buf:
            self.pos = self.buf[0].pos
            self.buf.clear()
        return self.pos

    def skip_blanks(self) -> None:
        m = _SKIP.match(self.text, self.pos)
        if m:
            self.pos = m.end()

    def _tok(self, kind: str, value: object, start: int, end: int, quote: str = "") -> Token:
        line, col = self.where(start)
        self.pos = end
        return Token(kind, value, self.text[start:end], line, col, start, end, quote)

    def _lex(self) -> Token:
        text = self.text
        p = self.pos
        m = _MASTER.match(text, p)
        if m is None:  # only blanks/comments up to the end
            self.skip_blanks()
            return self._eof(self.pos)
        kind = m.lastgroup
        s, e = m.start(kind) if kind else m.end(), m.end()
        if kind == "nl":
            return self._tok("NL", None, s, e)
        if kind == "ident":
            return self._tok("IDENT", m.group(kind), s, e)
        if kind == "punct":
            return self._tok("PUNCT", m.group(kind), s, e)
        if kind == "op":
            return self._tok("OP", m.group(kind), s, e)
        if kind == "num":
            g = m.group(kind)
            num: float | int = float(g) if "." in g else int(g)
            return self._tok("NUM", num, s, e)
        if kind == "pct":
            return self._tok("PCT", float(m.group(kind)[:-1]) / 100.0, s, e)
        if kind == "dur":
            return self._tok("DUR", parse_duration(m.group(kind)), s, e)
        if kind == "ref":
            return self._tok("REF", m.group(kind)[2:-1], s, e)
        if kind == "dq":
            return self._tok("STR", _unescape_dq(m.group(kind)[1:-1]), s, e, '"')
        if kind == "sq":
            return self._tok("STR", m.group(kind)[1:-1], s, e, "'")
        if kind == "bt":
            return self._tok("STR", m.group(kind)[1:-1], s, e, "`")
        # rest: a '$' path, an unterminated quote or reference, an unknown character
        p = e
        if p >= len(text):
            return self._eof(p)
        c = text[p]
        if c == "$":
            if text.startswith("${", p):
                return self._tok("ERR", "unterminated '${': missing '}'", p, p + 2)
            end = self.path_end(p)
            return self._tok("PATH", text[p:end], p, end)
        if c in "\"'`":
            return self._unterminated(p, c)
        return self._tok("ERR", f"unexpected character {c!r}", p, p + 1)

    def end_where(self) -> tuple[int, int]:
        """Where an error about the end of the text points: just after its last visible
        character (not on the empty line after a final newline), so it has a line to show
        with a caret."""
        return self.where(len(self.text.rstrip()))

    def _eof(self, p: int) -> Token:
        tok = self._tok("EOF", None, p, p)
        tok.line, tok.col = self.end_where()
        return tok

    def _unterminated(self, p: int, q: str) -> Token:
        end = self.text.find("\n", p)
        end = len(self.text) if end < 0 else end
        return self._tok("ERR", f"unterminated string: missing closing {q}", p, end)

    # ------------------------------------------------------------------ raw scans
    def path_end(self, p: int) -> int:
        """End of a JSONPath starting at ``text[p] == '$'``: names (with ``-``), ``*``,
        ``..`` and bracketed selectors with quotes and nesting."""
        text, n = self.text, len(self.text)
        i = p + 1
        while i < n:
            c = text[i]
            if c == ".":
                i += 2 if text.startswith("..", i) else 1
                m = _PATH_KEY.match(text, i)
                if m:
                    i = m.end()
            elif c == "[":
                depth, open_at = 0, i
                while i < n:
                    ch = text[i]
                    if ch in "'\"":
                        close = text.find(ch, i + 1)
                        if close < 0 or "\n" in text[i:close]:
                            return self._blank_after(open_at)
                        i = close + 1
                        continue
                    if ch == "\n":
                        return self._blank_after(open_at)
                    if ch == "[":
                        depth += 1
                    elif ch == "]":
                        depth -= 1
                        if depth == 0:
                            i += 1
                            break
                    i += 1
                else:
                    return self._blank_after(open_at)
            else:
                break
        return i

    def _blank_after(self, i: int) -> int:
        """An unclosed ``[`` ends the path at the next blank (so a ``}`` after it stays)."""
        m = re.compile(r"[^\s}]*").match(self.text, i)
        return m.end() if m else i

    def scan_re(self, pattern: re.Pattern[str]) -> Token | None:
        """Match ``pattern`` right after blanks at the raw position (look-ahead dropped)."""
        self.rewind()
        self.skip_blanks()
        m = pattern.match(self.text, self.pos)
        if not m or m.end() == self.pos:
            return None
        return self._tok("RAW", m.group(), self.pos, m.end())

    def scan_path_from(self, start: int) -> Token:
        """A path (``$.a``) or a dotted name (``body.items[0].id``) starting at ``start``."""
        self.buf.clear()
        if self.text.startswith("$", start):
            end = self.path_end(start)
        else:
            m = _IDENT.match(self.text, start)
            end = self._suffix_end(m.end() if m else start)
        return self._tok("RAW", self.text[start:end], start, end)

    def _suffix_end(self, i: int) -> int:
        if i < len(self.text) and self.text[i] in ".[":
            return self.path_end(i - 1)  # path_end scans from its argument + 1
        return i

    def scan_curl(self, start: int, mode: str) -> tuple[str, int, int]:
        """The raw curl command starting at ``start`` (the word ``curl``).

        It ends at an unquoted, un-backslashed newline or ``;``; in ``arrow`` mode also at an
        unquoted ``>>``; in ``pipe`` mode at an unquoted ``|`` after a blank; in ``block``
        mode at an unmatched unquoted ``}`` (``${...}`` braces belong to the reference).
        A comment (``#`` at a word start) ends it too. A quote left open runs to the end of
        its line (in a block: to the line's last ``}`` if that closes the block), so the
        rest of the file still parses (the curl parser reports the quote).
        Returns (command, line, col) and moves past it.
        """
        self.buf.clear()
        text, n = self.text, len(self.text)
        i = start
        depth = 0
        end = n
        while i < n:
            c = text[i]
            if c == "\n":
                end = i
                break
            if c == "\\":
                i += 3 if text.startswith("\r\n", i + 1) else 2
                continue
            if c == "'" or c == '"' or (c == "$" and text.startswith("$'", i)):
                j = self._quote_end(i)
                if j < 0:  # unterminated: stop at this line's end (or its block's '}')
                    end = self._open_quote_end(i, depth if mode == "block" else -1)
                    break
                i = j
                continue
            if c == "$" and text.startswith("${", i):
                close = text.find("}", i)
                nl = text.find("\n", i)
                if close >= 0 and (nl < 0 or close < nl):
                    i = close + 1
                    continue
                i += 1
                continue
            if c == "#" and (i == start or text[i - 1] in " \t"):
                end = i
                break
            if c == ";":  # as in a shell: ends the command (and the statement)
                end = i
                break
            if c == "{":
                depth += 1
            elif c == "}":
                if depth == 0 and mode == "block":
                    end = i
                    break
                depth = max(depth - 1, 0)
            elif (c == ">" and mode == "arrow" and text.startswith(">>", i)) or (
                c == "|" and mode == "pipe" and i > start and text[i - 1] in " \t"
            ):
                end = i
                break
            i += 1
        else:
            end = n
        cmd = text[start:end].rstrip()
        line, col = self.where(start)
        self.pos = end
        return cmd, line, col

    def _open_quote_end(self, i: int, depth: int) -> int:
        """Where a command with a quote left open at ``i`` ends: its line's end, or in a
        block (``depth`` >= 0 braces open in the command) the line's last ``}`` when that
        brace closes the block, so ``request a { curl "http://h }`` reports only the quote
        and not also a missing ``}`` at the end of the file."""
        text = self.text
        nl = text.find("\n", i)
        nl = len(text) if nl < 0 else nl
        rest = text[i:nl]
        if depth >= 0 and rest.count("}") > rest.count("{") + depth:
            return i + rest.rindex("}")
        return nl

    def _quote_end(self, i: int) -> int:
        """Index after the quote opened at ``i``, or -1 when it never closes."""
        text = self.text
        if text[i] == "'":
            j = text.find("'", i + 1)
            return -1 if j < 0 else j + 1
        k = i + (2 if text[i] == "$" else 1)
        q = "'" if text[i] == "$" else '"'
        n = len(text)
        while k < n:
            ch = text[k]
            if ch == "\\":
                k += 2
                continue
            if ch == q:
                return k + 1
            k += 1
        return -1
