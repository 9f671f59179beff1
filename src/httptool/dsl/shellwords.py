"""POSIX shell word splitting for pasted curl commands, keeping each word's source offsets.

A word's text loses its quotes and escapes, so a character in a word no longer sits at a fixed
distance from the word's start in the source. Every :class:`Word` therefore keeps a small
piece map (word offset -> source offset) so that diagnostics and ``${...}`` references point
at the exact file line and column.

The splitter is one regex over the text (tokens, not characters), because a 1 MB scenario
file full of curl commands must split in a few tens of milliseconds.

Rules (bash's, minus everything that executes or expands):

* blanks and newlines separate words; backslash-newline is removed (continuation);
* ``'...'`` is literal; ``"..."`` honours ``\\"`` ``\\\\`` ``\\$`` ``\\``` and
  backslash-newline, any other backslash stays; ``$'...'`` is ANSI-C quoting, where
  ``\\xHH`` and ``\\NNN`` are bytes (carried as :mod:`httptool.wiretext` describes);
* outside quotes a backslash makes the next character literal;
* ``#`` at the start of a word starts a comment up to the end of the line;
* ``${...}`` is never a shell expansion: it stays in the word literally (even with blanks
  inside), for the template layer to split later.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from httptool.dsl.diagnostics import Diagnostics
from httptool.wiretext import raw_byte

_TOKEN = re.compile(
    r"""
    (?P<plain>[^ \t\r\f\v\n'"\\$\#]+)
  | (?P<ws>[ \t\r\f\v\n]+)
  | (?P<sq>'[^']*')
  | (?P<dq>"(?:[^"\\]|\\.)*")
  | (?P<ansi>\$'(?:[^'\\]|\\.)*')
  | (?P<ref>\$\{[^}\n]*\})
  | (?P<cont>\\\r?\n)
  | (?P<esc>\\.)
  | (?P<hash>\#)
  | (?P<dollar>\$)
  | (?P<bad>['"]|\\)
    """,
    re.VERBOSE | re.DOTALL,
)

#: A whole word in one match: plain text (with ``${...}``) or one quoted string without
#: escapes, followed by a blank or the end. Most words of real commands take this path.
_FAST = re.compile(
    r"""(?:[ \t\r\f\v\n]|\\\r?\n)*(?:(?P<p>(?!\#)(?:\$\{[^}\n]*\}|[^ \t\r\f\v\n'"\\$]|\$(?!'))+)"""
    r"""|'(?P<s>[^']*)'|"(?P<d>[^"\\]*)")(?=[ \t\r\f\v\n]|\Z)"""
)
_BLANKS = re.compile(r"(?:[ \t\r\f\v\n]|\\\r?\n)*")
_DQ_ESC = re.compile(r"\\(?:\r?\n|[\\\"$`])")
_ANSI_ESC = re.compile(
    r"\\(?:x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|c.|.)", re.DOTALL
)
_ANSI_SIMPLE = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
    "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}


@dataclass(slots=True)
class Word:
    """One shell word: its unquoted text and where each of its characters came from.

    ``starts[i]`` is the word offset where piece ``i`` begins, ``src[i]`` the source offset
    it came from; a ``linear`` piece maps character by character (quoted or plain text), a
    non-linear one (an escape sequence) maps all its characters to the escape's position.
    """

    text: str
    start: int  # source offset of the word's first character (its first quote, if quoted)
    starts: list[int] = field(default_factory=list)
    src: list[int] = field(default_factory=list)
    linear: list[bool] = field(default_factory=list)
    quoted: bool = False  # any part of it was quoted or escaped

    def source_offset(self, k: int) -> int:
        """Source offset of word character ``k`` (``k == len(text)`` -> just past the end)."""
        if not self.starts:
            return self.start
        i = bisect_right(self.starts, k) - 1
        if i < 0:
            return self.start
        if self.linear[i]:
            return self.src[i] + (k - self.starts[i])
        return self.src[i]


class Locator:
    """Turns source offsets of a command into file line/column (1-based)."""

    __slots__ = ("col", "line", "newlines")

    def __init__(self, text: str, line: int, col: int) -> None:
        self.line = line
        self.col = col
        self.newlines = [m.start() for m in re.finditer("\n", text)] if "\n" in text else []

    def at(self, offset: int) -> tuple[int, int]:
        n = bisect_right(self.newlines, offset - 1)
        if n == 0:
            return self.line, self.col + offset
        return self.line + n, offset - self.newlines[n - 1]


def _ansi_decode(
    body: str, base: int, w: _Builder, loc: Locator, diags: Diagnostics
) -> None:
    """Append the decoded content of ``$'...'`` (``body`` starts at source ``base``)."""
    pos = 0
    for m in _ANSI_ESC.finditer(body):
        if m.start() > pos:
            w.add(body[pos : m.start()], base + pos, True)
        esc = m.group(0)
        c = esc[1]
        out: str
        if c == "x" and len(esc) > 2:
            out = raw_byte(int(esc[2:], 16))  # a byte, as bash passes it (not a character)
        elif c in "uU" and len(esc) > 2:
            cp = int(esc[2:], 16)
            if cp > 0x10FFFF:
                diags.error(f"invalid unicode escape '{esc}' in $'...'", *loc.at(base + m.start()))
                out = ""
            elif 0xDC80 <= cp <= 0xDCFF:  # would read as an escaped byte: carry its 3 bytes
                out = "".join(map(raw_byte, chr(cp).encode("utf-8", "surrogatepass")))
            else:
                out = chr(cp)
        elif c in "01234567":
            out = raw_byte(int(esc[1:], 8) & 0xFF)
        elif c == "c" and len(esc) == 3:
            out = chr(ord(esc[2].upper()) ^ 0x40) if esc[2] != "?" else "\x7f"
        else:
            out = _ANSI_SIMPLE.get(c, esc)
        if out:
            w.add(out, base + m.start(), False)
        pos = m.end()
    if pos < len(body):
        w.add(body[pos:], base + pos, True)


class _Builder:
    """Accumulates the pieces of the word being read."""

    __slots__ = ("active", "buf", "linear", "n", "quoted", "src", "start", "starts")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.buf: list[str] = []
        self.starts: list[int] = []
        self.src: list[int] = []
        self.linear: list[bool] = []
        self.n = 0
        self.start = -1
        self.active = False
        self.quoted = False

    def begin(self, offset: int) -> None:
        if not self.active:
            self.active = True
            self.start = offset

    def add(self, text: str, src: int, linear: bool) -> None:
        if not text:
            return
        self.buf.append(text)
        self.starts.append(self.n)
        self.src.append(src)
        self.linear.append(linear)
        self.n += len(text)

    def take(self) -> Word:
        w = Word("".join(self.buf), self.start, self.starts, self.src, self.linear, self.quoted)
        self.reset()
        return w


def split_words(
    text: str, loc: Locator, diags: Diagnostics
) -> list[Word] | None:
    """Split ``text`` into shell words; None (after a diagnostic) on an unterminated quote."""
    words: list[Word] = []
    pos, n = 0, len(text)
    fast = _FAST.match
    while pos < n:
        m = fast(text, pos)
        if m is not None:
            s = m.start(m.lastindex or 0)
            if m.lastgroup == "p":
                words.append(Word(m.group("p"), s, [0], [s], [True], False))
            else:  # a word that is one quoted string without escapes
                words.append(Word(m.group(m.lastgroup or 0), s - 1, [0], [s], [True], True))
            pos = m.end()
            continue
        pos = _BLANKS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            break
        word, pos = _slow_word(text, pos, loc, diags)
        if pos < 0:
            return None
        if word is not None:
            words.append(word)
    return words


def _slow_word(
    text: str, pos: int, loc: Locator, diags: Diagnostics
) -> tuple[Word | None, int]:
    """Read one word token by token from ``pos`` (a non-blank). Returns the word (None for a
    comment or a continuation) and the position after it; position -1 after an error."""
    b = _Builder()
    n = len(text)
    match = _TOKEN.match
    while pos < n:
        m = match(text, pos)
        assert m is not None  # the alternatives cover every character
        kind = m.lastgroup
        s, e = m.start(), m.end()
        if kind == "plain" or kind == "dollar" or kind == "ref":
            b.begin(s)
            b.add(m.group(), s, True)
        elif kind == "ws":
            if b.active:
                return b.take(), e
        elif kind == "sq":
            b.begin(s)
            b.quoted = True
            b.add(text[s + 1 : e - 1], s + 1, True)
        elif kind == "dq":
            b.begin(s)
            b.quoted = True
            body = text[s + 1 : e - 1]
            p = 0
            for em in _DQ_ESC.finditer(body):
                b.add(body[p : em.start()], s + 1 + p, True)
                ch = em.group()[1]
                if ch not in "\r\n":
                    b.add(ch, s + 1 + em.start(), False)
                p = em.end()
            b.add(body[p:], s + 1 + p, True)
        elif kind == "ansi":
            b.begin(s)
            b.quoted = True
            _ansi_decode(text[s + 2 : e - 1], s + 2, b, loc, diags)
        elif kind == "cont":
            pass
        elif kind == "esc":
            b.begin(s)
            b.quoted = True
            b.add(text[s + 1], s, False)
        elif kind == "hash":
            if b.active:
                b.add("#", s, True)
            else:
                nl = text.find("\n", s)
                return None, n if nl < 0 else nl
        else:  # bad: an unterminated quote, or a lone backslash at the very end
            tok = m.group()
            if tok != "\\":  # a trailing backslash continues onto nothing
                if tok == "'" and s > 0 and text[s - 1] == "$" and b.active:
                    s -= 1  # point at the $ of an unterminated $'
                diags.error(f"unterminated {_QUOTE_NAMES[tok]} quote", *loc.at(s))
                return None, -1
        pos = e
    return (b.take() if b.active else None), n


_QUOTE_NAMES = {"'": "single", '"': "double"}
