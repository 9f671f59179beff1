"""A pasted curl command -> the request curl would send (:class:`CurlRequest`).

Follows curl's own rules where they matter for what goes on the wire: ``-d`` implies POST
and a url-encoded Content-Type, ``-G`` moves data to the query, ``--json`` sets both JSON
headers, ``-F`` builds multipart, ``-I`` is HEAD, ``-X`` is sent verbatim, combined short
flags (``-sSL``, ``-XPOST``) work and ``--opt=value`` does not (curl rejects it too).
Everything curl would do by reading stdin or prompting is an error with a clear message
instead of a surprise at run time; files (``-d @file``, ``-T``, ``-b FILE``) are read now.
Every problem is reported to the caller's
:class:`~httptool.dsl.diagnostics.Diagnostics` at the exact file line/column of the word.

Decisions where curl has no answer (``${...}`` is ours, not the shell's): a reference stays
literal wherever it stands, quoted or not; ``$${`` is a literal ``${`` (``\\$`` is just ``$``
and still starts a reference). Its escaping context follows from its place: URL authority
or a leading base-URL variable ``raw``, path ``path``, query ``query``; headers, cookies,
``-u`` and ``-F`` values ``raw``; JSON bodies ``json_string``/``json_value``; url-encoded
bodies and ``--data-urlencode`` ``form``; ``-G`` data ``query``. A ``-d`` body that looks
like JSON but has no JSON Content-Type is sent as curl sends it, with a warning.

Header conventions of :attr:`CurlRequest.headers` (what the engine relies on):

* headers appear in curl's order: ``User-Agent`` (``-A``), ``Referer`` (``-e``), the ``-H``
  headers as given, then the JSON headers of ``--json``, then the body's ``Content-Type``;
* a ``-H`` header replaces the one a flag would add (``-A x -H 'User-Agent: y'`` sends y);
* ``-H 'Name:'`` (removal) is kept as a header whose value has *no parts*
  (``Template(())``): nothing is sent under that name, not even the engine's default;
* ``-H 'Name;'`` (an empty header that *is* sent) has the value ``Template(("",))``.

Bodies: ``-d``/``--data-*``/``--json`` give a :class:`~httptool.plan.TextBody`; file
contents (``@file``) are read now and become literal text (never interpolated). ``-F``
gives a :class:`~httptool.plan.MultipartBody`: ``name=@file`` parts carry ``file_content``
and ``filename``; ``name=<file`` parts carry ``file_content`` with ``filename=None`` (sent
as a plain field, as curl does). The multipart boundary is derived from a hash of the parts,
so the same command always compiles to an equal Plan.
"""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import math
import os
import re
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, urlsplit

from httptool.dsl.cookiefile import FileCookie, parse_cookie_file, select
from httptool.dsl.curl_options import OPTIONS, SHORT, expand
from httptool.dsl.diagnostics import Diagnostics
from httptool.dsl.shellwords import Locator, Word, split_words
from httptool.dsl.template import parse_ref
from httptool.plan import (
    BasicAuth,
    Body,
    CurlOptions,
    FormPart,
    Header,
    MultipartBody,
    Ref,
    RefContext,
    RetrySpec,
    Template,
    TextBody,
)
from httptool.wiretext import from_wire, to_wire

__all__ = ["CurlRequest", "parse_curl"]


@dataclass(frozen=True, slots=True)
class CurlRequest:
    """What one curl command sends; the fields map 1:1 onto :class:`plan.RequestSpec`."""

    method: str
    url: Template
    headers: tuple[Header, ...] = ()
    cookies: Template | None = None
    auth: BasicAuth | None = None
    body: Body | None = None
    options: CurlOptions = field(default_factory=CurlOptions)
    retry: RetrySpec | None = None  # --retry N, for a request without a retry block
    #: the curl program's output options as given (long name, argument or None), in
    #: order: no effect on the request; ``httptool exec`` prints as they say
    outputs: tuple[tuple[str, str | None], ...] = ()


# --------------------------------------------------------------------------- option table

# long name -> (action, takes an argument)
_LONG: dict[str, tuple[str, bool]] = {
    "request": ("request", True),
    "header": ("header", True),
    "data": ("data", True),
    "data-ascii": ("data", True),
    "data-raw": ("data-raw", True),
    "data-binary": ("data-binary", True),
    "data-urlencode": ("data-urlencode", True),
    "json": ("json", True),
    "form": ("form", True),
    "form-string": ("form-string", True),
    "cookie": ("cookie", True),
    "user": ("user", True),
    "user-agent": ("user-agent", True),
    "referer": ("referer", True),
    "get": ("get", False),
    "head": ("head", False),
    "location": ("location", False),
    "max-redirs": ("max-redirs", True),
    "insecure": ("insecure", False),
    "cacert": ("cacert", True),
    "cert": ("cert", True),
    "key": ("key", True),
    "max-time": ("max-time", True),
    "connect-timeout": ("connect-timeout", True),
    "compressed": ("compressed", False),
    "proxy": ("proxy", True),
    "url": ("url", True),
    "globoff": ("globoff", False),
    "path-as-is": ("path-as-is", False),
    "request-target": ("request-target", True),
    "url-query": ("url-query", True),
    "oauth2-bearer": ("oauth2-bearer", True),
    "upload-file": ("upload-file", True),
    "range": ("range", True),
    "resolve": ("resolve", True),
    "connect-to": ("connect-to", True),
    "ipv4": ("ipv4", False),
    "ipv6": ("ipv6", False),
    "unix-socket": ("unix-socket", True),
    "noproxy": ("noproxy", True),
    "proxy-user": ("proxy-user", True),
    "capath": ("capath", True),
    "tlsv1": ("tlsv1.0", False),
    "tlsv1.0": ("tlsv1.0", False),
    "tlsv1.1": ("tlsv1.1", False),
    "tlsv1.2": ("tlsv1.2", False),
    "tlsv1.3": ("tlsv1.3", False),
    "tls-max": ("tls-max", True),
    "location-trusted": ("location-trusted", False),
    "retry": ("retry", True),
    "retry-delay": ("retry-delay", True),
    "retry-max-time": ("retry-max-time", True),
    "retry-connrefused": ("retry-connrefused", False),
    "retry-all-errors": ("retry-all-errors", False),
    "basic": ("ignore", False),
    "http1.1": ("http1.1", False),
    "http2": ("http2", False),
    "http2-prior-knowledge": ("http2-prior-knowledge", False),
    # accepted, no effect on what is sent (output and progress of the curl tool itself)
    "output": ("ignore", True),
    "remote-name": ("ignore", False),
    "write-out": ("ignore", True),
    "dump-header": ("ignore", True),
    "silent": ("ignore", False),
    "show-error": ("ignore", False),
    "verbose": ("ignore", False),
    "include": ("ignore", False),
    "fail": ("ignore", False),
    "fail-with-body": ("ignore", False),
    "progress-bar": ("ignore", False),
    "no-progress-meter": ("ignore", False),
    "no-buffer": ("ignore", False),
}

#: --http1.1/--http2/--http2-prior-knowledge -> CurlOptions.http (docs/http2.md)
_HTTP_VERSIONS = {"http1.1": "1.1", "http2": "2", "http2-prior-knowledge": "2-prior"}

_SHORT: dict[str, str] = {
    "X": "request", "H": "header", "d": "data", "F": "form", "b": "cookie", "u": "user",
    "A": "user-agent", "e": "referer", "G": "get", "I": "head", "L": "location",
    "k": "insecure", "m": "max-time", "x": "proxy", "E": "cert", "o": "output",
    "O": "remote-name", "w": "write-out", "D": "dump-header", "s": "silent",
    "S": "show-error", "v": "verbose", "i": "include", "f": "fail", "#": "progress-bar",
    "N": "no-buffer", "g": "globoff", "T": "upload-file", "r": "range", "4": "ipv4",
    "6": "ipv6", "U": "proxy-user", "1": "tlsv1",
}

_TOKEN_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_URL_AUTH = re.compile(r"(?:[^/?#]*://)?[^/?#]*")
_REF_SPAN = re.compile(r"\$\{[^}]*\}")
_LINE_BREAK = re.compile(r"[\r\n\x00]")
_URL_BAD_CHAR = re.compile(r"[\x00-\x20\x7f]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_PCT = re.compile(r"%[0-9A-F]{2}")
_SCHEME_SLASH = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):/")
#: the words of a request block after its curl command (``assert { ... }``)
_DSL_WORDS = frozenset({"assert", "extract", "retry", "resend"})
_REF_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
#: curl's glob syntax: an unescaped ``[`` or ``{`` opens a glob; ``\\[`` is a literal.
_GLOB_OPEN = re.compile(r"(?<!\\)[\[{]")
_GLOB_ESCAPE = re.compile(r"\\([\[\]{}])")
_IPV6_HOST = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^/?#@]*@)?\[[0-9A-Fa-f:.]+(?:%[^\]]*)?\]")
#: Unquoted words a shell reads as operators (a digit prefix redirects a stream: 2>err).
_SHELL_OP = re.compile(r"(?:\|\|?|\|&|&&?|;;?|[0-9]*(?:>>?|<)|&>>?)(?:&[0-9-])?|[0-9]*>>?[^>&|;]+"
                       r"|<[^<&|;]+|&>>?.+")
_IN_JSON_STRING = re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL)
_RESOLVE = re.compile(r"\+?([^:\s]+):([0-9]{1,5}):(\S+)")
_CONNECT_TO = re.compile(r"(\[[^\]]*\]|[^:\[\]]*):([0-9]{0,5}):(\[[^\]]*\]|[^:\[\]]*):([0-9]{0,5})")
_RANGE = re.compile(r"[0-9]*-[0-9]*(?:,[0-9]*-[0-9]*)*|[0-9]+")
#: ``$NAME`` outside single quotes: a shell variable the pasted command relied on.
_SHELL_VAR = re.compile(r"'[^']*'|\$'(?:[^'\\]|\\.)*'|\\.|\$([A-Za-z_][A-Za-z0-9_]*)", re.DOTALL)

#: curl's own extension table for -F file parts (tool_formparse.c); others are octet-stream.
_MIME_BY_EXT = {
    ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
    ".svg": "image/svg+xml", ".txt": "text/plain", ".htm": "text/html",
    ".html": "text/html", ".pdf": "application/pdf", ".xml": "application/xml",
}


# --------------------------------------------------------------------------- helpers


@dataclass(slots=True)
class _Arg:
    """An option's argument: ``word.text[off:]``; ``flag`` is the option as written."""

    word: Word
    off: int
    flag: str
    flag_offset: int  # source offset of the flag

    @property
    def text(self) -> str:
        return self.word.text[self.off :] if self.off else self.word.text


@dataclass(slots=True)
class _Piece:
    """One data argument, already split: ``pending[i]`` marks refs whose escaping depends
    on the body's final kind (JSON, form or raw)."""

    parts: list[str | Ref]
    pending: list[bool]
    is_json: bool
    line: int
    col: int


@dataclass(slots=True)
class _State:
    method: str | None = None
    head_at: int = -1
    get_at: int = -1
    data_at: int = -1
    form_at: int = -1
    url: Template | None = None
    custom: list[tuple[str, Template]] = field(default_factory=list)
    user_agent: Template | None = None
    referer: Template | None = None
    pieces: list[_Piece] = field(default_factory=list)
    json_used: bool = False
    form: list[FormPart] = field(default_factory=list)
    cookies: list[Template] = field(default_factory=list)
    auth: BasicAuth | None = None
    opts: dict[str, object] = field(default_factory=dict)
    url_excused: bool = False  # a missing URL is explained by an earlier error
    url_word: Word | None = None  # the URL's word and where in it the URL starts
    url_off: int = 0
    globoff: bool = False  # -g: brackets and braces are sent as written
    url_query: list[list[str | Ref]] = field(default_factory=list)  # --url-query
    bearer: Template | None = None  # --oauth2-bearer
    upload: tuple[str, Template] | None = None  # -T: (file name, content)
    upload_at: int = -1
    cookie_file: tuple[list[FileCookie], int] | None = None  # -b FILE: cookies, offset
    proxy_user: tuple[str, int] | None = None  # -U: (user:password, offset)
    retry: dict[str, object] = field(default_factory=dict)  # --retry and --retry-*
    retry_at: int = -1
    outputs: list[tuple[str, str | None]] = field(default_factory=list)


class _CurlParser:
    def __init__(
        self, command: str, line: int, col: int, diags: Diagnostics, base_dir: str
    ) -> None:
        self.command = command
        self.loc = Locator(command, line, col)
        self.diags = diags
        self.base_dir = base_dir
        self.st = _State()

    # ---- positions and messages
    def err(self, message: str, offset: int) -> None:
        self.diags.error(message, *self.loc.at(offset))

    def warn(self, message: str, offset: int) -> None:
        self.diags.warning(message, *self.loc.at(offset))

    def arg_err(self, a: _Arg, message: str, k: int = 0) -> None:
        """An error about the argument (at its first quote) or about its character ``k``."""
        k += a.off
        self.err(message, a.word.start if k == 0 else a.word.source_offset(k))

    def template(
        self, w: Word, a: int, b: int | None, ctx: RefContext, text: str | None = None
    ) -> Template:
        """``w.text[a:b]`` (or ``text``, which stands at ``a``) split at ``${...}``, every
        reference positioned at its file line/column."""
        if text is None:
            text = w.text[a:b]
        line, col = self.loc.at(w.source_offset(a))
        if "${" not in text:
            return Template((text,) if text else (), line, col)
        # The same rules as template.parse_template, but with word offsets at hand so each
        # reference maps straight to its file position.
        parts: list[str | Ref] = []
        buf: list[str] = []
        last = 0
        for m in _REF_TOKEN.finditer(text):
            tok = m.group()
            if tok == "$${":
                buf.append(text[last : m.start()])
                buf.append("${")
                last = m.end()
                continue
            rl, rc = self.loc.at(w.source_offset(min(a + m.start(), len(w.text))))
            if tok == "${":
                self.diags.error("unterminated '${': missing '}'", rl, rc)
                break
            inner = m.group(1)
            parsed = parse_ref(inner)
            if isinstance(parsed, str):
                self.diags.error(parsed, rl, rc)
                continue
            buf.append(text[last : m.start()])
            lit = "".join(buf)
            if lit:
                parts.append(lit)
            buf = []
            parts.append(Ref(parsed[0], inner.strip(), ctx, rl, rc, parsed[1]))
            last = m.end()
        buf.append(text[last:])
        lit = "".join(buf)
        if lit:
            parts.append(lit)
        return Template(tuple(parts), line, col)

    def no_refs(self, a: _Arg, what: str) -> bool:
        """Reject ``${...}`` where the Plan holds plain text; True when the text is usable."""
        k = a.text.find("${")
        if k >= 0 and not a.text.startswith("$${", k - 1 if k else 0):
            self.arg_err(a, f"variables are not supported in {what}", k)
            return False
        return True

    def read_file(self, a: _Arg, k: int, path: str, what: str) -> tuple[str, bytes | None]:
        """``(absolute path, content or None when unreadable)``."""
        full = os.path.abspath(os.path.join(self.base_dir, os.path.expanduser(path)))
        try:
            with open(full, "rb") as f:
                return full, f.read()
        except OSError:
            return full, None
        except ValueError:  # embedded NUL in the path
            self.arg_err(a, f"invalid file name in {what}", k)
            return full, None

    # ---- main loop
    def parse(self) -> CurlRequest | None:
        errors_before = len(self.diags.errors)
        words = split_words(self.command, self.loc, self.diags)
        if words is None:
            return None
        if not words or words[0].text != "curl":
            at = words[0].start if words else 0
            self.err("expected a curl command (starting with the word 'curl')", at)
            return None
        curl_word = words[0]
        self.shell_vars()
        flags = True
        after_unknown = False
        i, n = 1, len(words)
        while i < n:
            w = words[i]
            t = w.text
            i += 1
            if not w.quoted and _SHELL_OP.fullmatch(t):
                i = self.shell_operator(w, words, i)
            elif flags and t.startswith("--") and len(t) > 2:
                i, after_unknown = self.long_option(w, words, i)
            elif flags and t == "--":
                flags = False
            elif flags and t.startswith("-") and len(t) > 1:
                i, after_unknown = self.short_options(w, words, i)
            else:
                if after_unknown:
                    after_unknown = False  # most likely the unknown option's argument
                    continue
                if self.st.url is not None and w.text in _DSL_WORDS:
                    self.dsl_word_in_curl(w)
                    break
                self.set_url(w, 0, w.start)
        return self.finish(curl_word, errors_before)

    def long_option(self, w: Word, words: list[Word], i: int) -> tuple[int, bool]:
        """``--name [ARG]`` at ``words[i - 1]``: the index after it, and whether it was an
        unknown option (then the next word is most likely its argument, not a URL)."""
        t = w.text
        spec = _LONG.get(t[2:])
        if spec is None:
            name, i = self.other_long(w, words, i)
            if name is None:
                return i, False
            if name == "":
                return i, not self.unknown_long(w)
            t, spec = "--" + name, _LONG[name]
        action, takes = spec
        if takes:
            if i >= len(words):
                self.err(f"curl option '{t}' needs an argument", w.start)
                return i, False
            self.apply(action, _Arg(words[i], 0, t, w.start))
            return i + 1, False
        if action == "ignore":
            self.st.outputs.append((t[2:], None))
        self.apply_bool(action, True, w.start)
        return i, False

    def short_options(self, w: Word, words: list[Word], i: int) -> tuple[int, bool]:
        """A cluster of short options (``-sSL``, ``-XPOST``, ``-d ARG``) at ``words[i - 1]``:
        the index after it and its argument, and whether an unknown option was met."""
        t, n = w.text, len(words)
        j = 1
        while j < len(t):
            c = t[j]
            at = w.start if j == 1 else w.source_offset(j)
            action = _SHORT.get(c, "")
            if not action:
                if c not in SHORT:
                    self.err(f"unknown curl option '-{c}'", at)
                    self.st.url_excused = True
                    return i, True
                if not self.not_honoured(SHORT[c], "-" + c, at):
                    j += 1
                    continue
                if j + 1 == len(t) and i < n:
                    i += 1  # its argument (one glued on, -Y100, is in this word)
                return i, False
            takes = _LONG[action][1] if action in _LONG else False
            if not takes:
                if _LONG[action][0] == "ignore":
                    self.st.outputs.append((action, None))
                self.apply_bool(_LONG[action][0], True, at)
                j += 1
                continue
            if j + 1 < len(t):
                self.apply(_LONG[action][0], _Arg(w, j + 1, "-" + c, at))
            elif i < n:
                self.apply(_LONG[action][0], _Arg(words[i], 0, "-" + c, at))
                i += 1
            else:
                self.err(f"curl option '-{c}' needs an argument", at)
            return i, False
        return i, False

    def dsl_word_in_curl(self, w: Word) -> None:
        """``curl URL  assert { status == 200 }`` on one line: the curl command runs to the
        end of the line, so ``assert`` and what follows would each be one more URL (six
        errors); one error that says how to end the command instead."""
        self.err(f"'{w.text}' is read as part of the curl command, which runs to the end "
                 f"of the line: end the curl first with ';' (curl URL ; {w.text} ...) or "
                 f"put {w.text} on a line of its own", w.start)

    def shell_vars(self) -> None:
        """``$NAME`` outside single quotes: the user's shell would have put a value
        there; httptool sends the text as written, so say what to write instead."""
        for m in _SHELL_VAR.finditer(self.command):
            if m.group(1):
                self.warn(f"'${m.group(1)}' is a shell variable: a shell would expand it, "
                          f"httptool sends it as written; for the environment variable "
                          f"write ${{env.{m.group(1)}}}", m.start())

    def shell_operator(self, w: Word, words: list[Word], i: int) -> int:
        """A shell operator after the command (``| jq .``, ``> out.json``, ``&& ...``):
        say what it is instead of taking it for a second URL. Returns where to go on
        (the end of the words when the rest is not part of this curl command)."""
        t, n = w.text, len(words)
        rest = " ".join(x.text for x in words[i - 1 :])
        if t in ("|", "|&"):
            self.warn(f"'{rest}' pipes curl's output into another program; it does not "
                      "change the request and is ignored", w.start)
            return n
        if t[0] in "<>" or t[0].isdigit() or t.startswith("&>"):
            shown = t
            if not t.lstrip("0123456789&<>") and i < n:
                shown = f"{t} {words[i].text}"
                i += 1
            if "<" in t:
                self.err(f"'{shown}' feeds a file to curl's input, which a request cannot "
                         "read; send a file with -d @file or --data-binary @file", w.start)
            else:
                self.warn(f"the shell redirection '{shown}' of curl's output is ignored "
                          "(a load test does not save responses)", w.start)
            return i
        self.st.url_excused = True
        self.err(f"the shell operator '{t}' starts another command, and a request holds "
                 "one curl command: end the curl command before it (write another request "
                 "for the rest)", w.start)
        return n

    def other_long(self, w: Word, words: list[Word], i: int) -> tuple[str | None, int]:
        """A ``--name`` the parser's table does not have: an abbreviation of one it has
        (returned), or a real curl option httptool ignores or refuses (handled: None), or
        ambiguous (an error: None); ``""`` when curl has no such option either."""
        name = w.text[2:]
        found = expand(name) if "=" not in name else []
        if len(found) > 1:
            self.st.url_excused = True
            self.err(f"curl option '{w.text}' is ambiguous: it abbreviates "
                     + ", ".join(f"--{f}" for f in found[:6])
                     + (", ..." if len(found) > 6 else ""), w.start)
            return None, i
        if not found:
            return "", i
        if found[0] in _LONG:
            return found[0], i
        if self.not_honoured(found[0], w.text, w.start) and i < len(words):
            i += 1  # the option's argument, never a URL
        return None, i

    def not_honoured(self, name: str, flag: str, at: int) -> bool:
        """Report a real curl option that httptool ignores (a warning only where
        something a user may expect does not happen) or refuses; True when it takes an
        argument."""
        opt = OPTIONS[name]
        if opt.fate == "unsupported":
            self.st.url_excused = True
            self.err(f"curl option '{flag}' is not supported by httptool: {opt.why}", at)
        elif name == "cookie-jar":
            self.warn(f"'{flag}' is accepted, but nothing is written: {opt.why}", at)
        return opt.takes_arg

    def unknown_long(self, w: Word) -> bool:
        """Report an unknown ``--option``; True when it cannot have taken an argument."""
        t = w.text
        name, eq, _ = t[2:].partition("=")
        base = name.removeprefix("no-")
        if not eq and name.startswith("no-") and base in _LONG and not _LONG[base][1]:
            self.apply_bool(_LONG[base][0], False, w.start)  # curl's --no-OPTION
            return True
        self.st.url_excused = True
        if eq and (name in _LONG or name.removeprefix("no-") in _LONG):
            self.err(
                f"unknown curl option '{t}': curl does not accept '--{name}=VALUE'; "
                f"write '--{name} VALUE'",
                w.start,
            )
            return True
        close = difflib.get_close_matches(name, list(_LONG), n=1, cutoff=0.75)
        hint = f" (did you mean '--{close[0]}'?)" if close else ""
        self.err(f"unknown curl option '{t}'{hint}", w.start)
        return False

    # ---- option actions
    def apply_bool(self, action: str, value: bool, at: int) -> None:
        st = self.st
        if action == "get":
            st.get_at = at if value else -1
        elif action == "head":
            st.head_at = at if value else -1
            st.outputs.append(("head", None))  # exec prints the head of a -I
        elif action == "location":
            st.opts["follow_redirects"] = value
        elif action == "insecure":
            st.opts["insecure"] = value
        elif action == "compressed":
            st.opts["compressed"] = value
        elif action == "path-as-is":
            st.opts["path_as_is"] = value
        elif action == "globoff":
            st.globoff = value
        elif action in ("ipv4", "ipv6"):
            st.opts["ip_version"] = (4 if action == "ipv4" else 6) if value else 0
        elif action.startswith("tlsv1."):
            st.opts["tls_min"] = action[4:] if value else None
        elif action == "location-trusted":
            st.opts["follow_redirects"] = st.opts["location_trusted"] = value
        elif action in ("retry-connrefused", "retry-all-errors"):
            st.retry[action] = value
        elif action in _HTTP_VERSIONS:  # the last one written wins, as in curl
            if value:
                st.opts["http"] = _HTTP_VERSIONS[action]
            elif st.opts.get("http") == _HTTP_VERSIONS[action]:
                del st.opts["http"]

    def apply(self, action: str, a: _Arg) -> None:
        getattr(self, "opt_" + action.replace("-", "_"))(a)

    def opt_ignore(self, a: _Arg) -> None:
        """An output option: no effect on the request; kept for ``httptool exec``."""
        name = a.flag[2:] if a.flag.startswith("--") else _SHORT[a.flag[1]]
        self.st.outputs.append((name, a.text))

    def opt_request(self, a: _Arg) -> None:
        m = a.text
        if not m:
            self.arg_err(a, f"empty HTTP method after '{a.flag}'")
            return
        if not self.no_refs(a, "the HTTP method"):
            return
        if not _TOKEN_NAME.fullmatch(m):
            self.arg_err(a, f"invalid HTTP method '{m}'")
            return
        if m != m.upper():
            self.warn(
                f"HTTP method '{m}' is sent as written (methods are case-sensitive; "
                f"did you mean '{m.upper()}'?)",
                a.word.source_offset(a.off),
            )
        self.st.method = m

    def opt_request_target(self, a: _Arg) -> None:
        if not a.text or _URL_BAD_CHAR.search(a.text):
            self.arg_err(a, f"'{a.flag}' needs a request target without blanks "
                            "(e.g. '*' or '/path?query')")
        elif self.no_refs(a, "--request-target"):
            self.st.opts["request_target"] = a.text

    def opt_url(self, a: _Arg) -> None:
        self.set_url(a.word, a.off, a.word.source_offset(a.off))

    def set_url(self, w: Word, off: int, at: int) -> None:
        if self.st.url is not None:
            self.err(
                "a second URL in one curl command (one request per curl; "
                "write another request for it)",
                at,
            )
            return
        text = w.text[off:]
        self.st.url_excused = True  # a bad URL is still the URL: no "has no URL" as well
        if not text:
            self.err("empty URL", at)
            return
        m = _SCHEME.match(text)
        if m and m.group(1).lower() not in ("http", "https"):
            hint = _scheme_hint(m.group(1))
            self.err(f"unsupported protocol '{m.group(1)}' (only http and https){hint}", at)
            return
        if m is None and (m := _SCHEME_SLASH.match(text)) is not None:
            # 'htp:/host', 'http:/host': curl reads a scheme here too (and fails at run time)
            scheme = m.group(1)
            if scheme.lower() in ("http", "https"):
                self.err(f"malformed URL: write '{scheme}://' (two slashes)", at)
            else:
                self.err(f"unsupported protocol '{scheme}' (only http and https)"
                         f"{_scheme_hint(scheme)}", at)
            return
        masked = _REF_SPAN.sub(lambda r: "x" * len(r.group()), text) if "${" in text else text
        bad = _URL_BAD_CHAR.search(masked)
        if bad is not None:
            # curl (since 7.62) rejects these too, rather than send a broken request line
            what = "a space" if bad.group() == " " else f"the character {bad.group()!r}"
            self.err(f"URL contains {what}; percent-encode it (a space is %20)",
                     w.source_offset(off + bad.start()))
            return
        self.st.url = _url_contexts(self.template(w, off, None, "raw"))
        self.st.url_word, self.st.url_off = w, off
        self.st.url_excused = False

    def opt_header(self, a: _Arg) -> None:
        text = a.text
        if text.startswith("@"):
            self.arg_err(a, "reading headers from a file (-H @file) is not supported; "
                            "write one -H per header")
            return
        colon = text.find(":")
        if colon < 0:
            semi = text.find(";")
            if semi > 0 and not text[semi + 1 :].strip():
                if self.header_name(a, text[:semi]):
                    line, col = self.loc.at(a.word.source_offset(a.off + semi))
                    self.st.custom.append((text[:semi], Template(("",), line, col)))
                return
            self.arg_err(a, f"header '{text}' has no ':' (write 'Name: value', 'Name;' "
                            "for an empty header or 'Name:' to remove one)")
            return
        name = text[:colon]
        if not self.header_name(a, name):
            return
        v0 = colon + 1
        while v0 < len(text) and text[v0] in " \t":
            v0 += 1
        v1 = len(text.rstrip(" \t\r\n"))
        if v1 <= v0:
            line, col = self.loc.at(a.word.source_offset(a.off + colon))
            self.st.custom.append((name, Template((), line, col)))  # removal
            return
        brk = _LINE_BREAK.search(text, v0, v1)
        if brk is not None:
            self.arg_err(a, f"header '{name}' contains a line break or NUL (it would split the "
                            "request)", brk.start())
            return
        self.st.custom.append((name, self.template(a.word, a.off + v0, a.off + v1, "raw")))

    def header_name(self, a: _Arg, name: str) -> bool:
        if _TOKEN_NAME.fullmatch(name) and "${" not in name:
            return True
        if "${" in name:
            self.arg_err(a, "variables are not supported in header names")
        elif not name.strip():
            self.arg_err(a, "header with an empty name")
        else:
            self.arg_err(a, f"invalid header name '{name}'")
        return False

    # data family
    def _data_at(self, a: _Arg) -> None:
        if self.st.data_at < 0:
            self.st.data_at = a.flag_offset

    def _file_piece(self, a: _Arg, strip_newlines: bool, is_json: bool) -> None:
        path = a.text[1:]
        if path == "-":
            self.arg_err(a, f"'{a.flag} @-' reads stdin, which a load test cannot do; "
                            "put the data in a file (@file) or inline")
            return
        if not path:
            self.arg_err(a, f"missing file name after '@' in '{a.flag}'")
            return
        if "${" in path:
            self.arg_err(a, "variables are not supported in file names", 1)
            return
        full, content = self.read_file(a, 1, path, a.flag)
        if content is None:
            self.arg_err(a, f"cannot read file '{path}' (looked for {full})", 1)
            return
        text = from_wire(content)  # a binary file's bytes are sent as they are, as curl does
        if strip_newlines:
            text = text.replace("\r", "").replace("\n", "")
        line, col = self.loc.at(a.word.source_offset(a.off))
        self.st.pieces.append(_Piece([text] if text else [], [False] if text else [],
                                     is_json, line, col))

    def _text_piece(self, a: _Arg, is_json: bool) -> None:
        t = self.template(a.word, a.off, None, "raw")
        self.st.pieces.append(
            _Piece(list(t.parts), [isinstance(p, Ref) for p in t.parts], is_json, t.line,
                   t.col)
        )

    def opt_data(self, a: _Arg) -> None:
        self._data_at(a)
        if a.text.startswith("@"):
            self._file_piece(a, strip_newlines=True, is_json=False)
        else:
            self._text_piece(a, False)

    def opt_data_raw(self, a: _Arg) -> None:
        self._data_at(a)
        self._text_piece(a, False)

    def opt_data_binary(self, a: _Arg) -> None:
        self._data_at(a)
        if a.text.startswith("@"):
            self._file_piece(a, strip_newlines=False, is_json=False)
        else:
            self._text_piece(a, False)

    def opt_json(self, a: _Arg) -> None:
        self._data_at(a)
        self.st.json_used = True
        if a.text.startswith("@"):
            self._file_piece(a, strip_newlines=False, is_json=True)
        else:
            self._text_piece(a, True)

    def opt_data_urlencode(self, a: _Arg) -> None:
        self._data_at(a)
        parts = self.urlencoded(a, "form")
        if parts is not None:
            line, col = self.loc.at(a.word.source_offset(a.off))
            self.st.pieces.append(_Piece(parts, [False] * len(parts), False, line, col))

    def opt_url_query(self, a: _Arg) -> None:
        """curl 7.87's ``--url-query``: ``--data-urlencode``'s forms added to the URL's
        query (after any -G data); a leading ``+`` adds the text as it is."""
        if a.text.startswith("+"):
            t = self.template(a.word, a.off + 1, None, "query")
            parts: list[str | Ref] | None = list(t.parts)
        else:
            parts = self.urlencoded(a, "query")
            if parts is not None:  # curl 7.88 writes this one's escapes in lowercase
                parts = [_PCT.sub(lambda m: m.group().lower(), p) if isinstance(p, str) else p
                         for p in parts]
        if parts is not None:
            self.st.url_query.append(parts)

    def urlencoded(self, a: _Arg, ctx: RefContext) -> list[str | Ref] | None:
        """curl's ``--data-urlencode`` rule: ``content``, ``=content``, ``name=content``,
        ``@file``, ``name@file`` (the first ``=`` decides; only without one does ``@``
        mean a file); the content is encoded as curl does (a space as ``+``, every byte but
        ``A-Za-z0-9-._~`` as ``%XX``), ``${...}`` values alike; the name is sent as written."""
        text = a.text
        eq = text.find("=")
        sep = eq if eq >= 0 else text.find("@")
        parts: list[str | Ref] = []
        name_end = sep
        if sep > 0:
            parts.extend(self.template(a.word, a.off, a.off + sep, ctx).parts)
            parts.append("=")
        if sep >= 0 and text[sep] == "@":
            path = text[name_end + 1 :]
            if path == "-":
                self.arg_err(a, f"'{a.flag} @-' reads stdin, which a load test cannot do",
                             name_end)
                return None
            if "${" in path:
                self.arg_err(a, "variables are not supported in file names", name_end + 1)
                return None
            full, content = self.read_file(a, name_end + 1, path, a.flag)
            if content is None:
                self.arg_err(a, f"cannot read file '{path}' (looked for {full})",
                             name_end + 1)
                return None
            parts.append(quote_plus(content, safe=""))
        else:
            t = self.template(a.word, a.off + sep + 1, None, ctx)
            parts.extend(quote_plus(to_wire(p), safe="") if isinstance(p, str)
                         else _with_ctx(p, "form") for p in t.parts)
        return parts

    def opt_upload_file(self, a: _Arg) -> None:
        """``-T FILE``: a PUT of the file's bytes, read now (a URL ending in ``/`` gets
        the file's name, as curl does)."""
        path = a.text
        if path in ("-", "."):
            self.arg_err(a, f"'{a.flag} {path}' reads stdin, which a load test cannot do; "
                            "name a file")
            return
        if not self.no_refs(a, "file names"):
            return
        full, content = self.read_file(a, 0, path, a.flag)
        if content is None:
            self.arg_err(a, f"cannot read file '{path}' (looked for {full})")
            return
        self.st.upload = (os.path.basename(path), Template.literal(from_wire(content)))
        self.st.upload_at = a.flag_offset

    def opt_oauth2_bearer(self, a: _Arg) -> None:
        t = self.template(a.word, a.off, None, "raw")
        self.st.bearer = Template(_merge(["Bearer ", *t.parts]), t.line, t.col)

    # multipart
    def opt_form(self, a: _Arg) -> None:
        self._form(a, literal=False)

    def opt_form_string(self, a: _Arg) -> None:
        self._form(a, literal=True)

    def _form(self, a: _Arg, literal: bool) -> None:
        if self.st.form_at < 0:
            self.st.form_at = a.flag_offset
        text = a.text
        eq = text.find("=")
        if eq < 0:
            self.arg_err(a, f"'{a.flag}' expects name=value, name=@file or name=<file")
            return
        name = text[:eq]
        if "${" in name:
            self.arg_err(a, "variables are not supported in form field names")
            return
        v0 = eq + 1
        if literal:
            value = self.template(a.word, a.off + v0, None, "raw")
            self.st.form.append(FormPart(name, value=value))
            return
        kind = text[v0 : v0 + 1]
        if kind in ("@", "<"):
            v0 += 1
        word, params = self._form_params(a, v0)
        if word is None:
            return
        wtext, wstart = word
        ctype: str | None = None
        filename: str | None = None
        for key, val, k in params:
            if key == "type":
                ctype = val
            elif key == "filename":
                filename = val
            elif key in ("headers", "encoder"):
                self.arg_err(a, f"form part parameter '{key}=' is not supported; ignored", k)
            else:
                self.arg_err(a, f"unknown form part parameter '{key}'", k)
        if kind in ("@", "<"):
            if not wtext:
                self.arg_err(a, f"missing file name after '{kind}'", v0)
                return
            if "${" in wtext:
                self.arg_err(a, "variables are not supported in file names", wstart)
                return
            full, content = self.read_file(a, wstart, wtext, a.flag)
            if content is None:
                self.diags.warning(
                    f"form file '{wtext}' not found (looked for {full}); the request will "
                    "fail until it exists",
                    *self.loc.at(a.word.source_offset(a.off + wstart)),
                )
            if kind == "@":
                if filename is None:
                    filename = os.path.basename(wtext)
                if ctype is None:
                    ext = os.path.splitext(wtext)[1].lower()
                    ctype = _MIME_BY_EXT.get(ext, "application/octet-stream")
                self.st.form.append(FormPart(name, file_path=full, file_content=content,
                                             filename=filename, content_type=ctype))
            else:
                self.st.form.append(FormPart(name, file_path=full, file_content=content,
                                             filename=filename, content_type=ctype))
            return
        value = self.template(a.word, a.off + wstart, None, "raw", text=wtext)
        self.st.form.append(FormPart(name, value=value, filename=filename,
                                     content_type=ctype))

    def _form_params(
        self, a: _Arg, v0: int
    ) -> tuple[tuple[str, int] | None, list[tuple[str, str, int]]]:
        """Split ``value;type=...;filename=...`` the way curl does (a ``"..."`` value may
        hold ``;``). Returns ``((value, its offset), [(key, val, offset)])``."""
        text = a.text
        params: list[tuple[str, str, int]] = []
        val, pos = self._param_word(a, v0)
        if val is None:
            return None, params
        word = (val, v0 + (1 if text[v0 : v0 + 1] == '"' else 0))
        while pos < len(text) and text[pos] == ";":
            p = pos + 1
            while p < len(text) and text[p] in " \t":
                p += 1
            m = re.compile(r"([A-Za-z]+)=").match(text, p)
            if m is None:
                end = text.find(";", p)
                end = len(text) if end < 0 else end
                self.arg_err(a, f"unknown form part parameter '{text[p:end]}'", p)
                pos = end
                continue
            pv, pos = self._param_word(a, m.end())
            if pv is None:
                return None, params
            params.append((m.group(1).lower(), pv, p))
        return word, params

    def _param_word(self, a: _Arg, p: int) -> tuple[str | None, int]:
        text = a.text
        if text[p : p + 1] == '"':
            m = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL).match(text, p)
            if m is None:
                self.arg_err(a, "unterminated '\"' in form value", p)
                return None, len(text)
            val = re.sub(r"\\(.)", r"\1", m.group(1), flags=re.DOTALL)
            end = text.find(";", m.end())
            return val, len(text) if end < 0 else end
        end = text.find(";", p)
        end = len(text) if end < 0 else end
        return text[p:end], end

    def opt_cookie(self, a: _Arg) -> None:
        if "=" in a.text or "${" in a.text:
            self.st.cookies.append(self.template(a.word, a.off, None, "raw"))
            return
        if a.text in ("", "-"):
            self.arg_err(a, f"'{a.flag} {a.text}' reads cookies from stdin, which a load "
                            "test cannot do; name a cookie file or write 'name=value'")
            return
        full, content = self.read_file(a, 0, a.text, a.flag)
        if content is None:  # curl silently sends no cookie; a load test should not
            self.arg_err(a, f"cannot read cookie file '{a.text}' (looked for {full}); "
                            "a cookie is written 'name=value'")
            return
        found = parse_cookie_file(content.decode("utf-8", "surrogateescape"))
        old = self.st.cookie_file[0] if self.st.cookie_file else []
        self.st.cookie_file = (old + found, a.word.source_offset(a.off))

    def opt_user(self, a: _Arg) -> None:
        text = a.text
        colon = text.find(":")
        if colon < 0:
            self.warn(f"'{a.flag}' without ':password' (curl would prompt for one); "
                      "an empty password is used", a.word.source_offset(a.off))
            user = self.template(a.word, a.off, None, "raw")
            self.st.auth = BasicAuth(user, Template((), user.line, user.col))
            return
        user = self.template(a.word, a.off, a.off + colon, "raw")
        pw = self.template(a.word, a.off + colon + 1, None, "raw")
        self.st.auth = BasicAuth(user, pw)

    def opt_user_agent(self, a: _Arg) -> None:
        self.st.user_agent = self.template(a.word, a.off, None, "raw")

    def opt_referer(self, a: _Arg) -> None:
        text = a.text
        end = len(text) - 5 if text.endswith(";auto") else len(text)
        self.st.referer = (self.template(a.word, a.off, a.off + end, "raw") if end > 0
                           else None)

    def _number(self, a: _Arg, what: str, integer: bool) -> float | None:
        text = a.text.strip()
        try:
            v = float(int(text)) if integer else float(text)
        except ValueError:
            v = math.nan
        if math.isnan(v) or math.isinf(v) or (v < 0 and not (integer and v == -1)):
            kind = "a whole number" if integer else "a number of seconds"
            self.arg_err(a, f"'{a.flag}' expects {what} as {kind}, got '{a.text}'")
            return None
        return v

    def opt_max_redirs(self, a: _Arg) -> None:
        v = self._number(a, "the redirect limit", integer=True)
        if v is not None:
            self.st.opts["max_redirs"] = int(v)

    def opt_max_time(self, a: _Arg) -> None:
        v = self._number(a, "the total time limit", integer=False)
        if v is not None:
            self.st.opts["max_time"] = v

    def opt_connect_timeout(self, a: _Arg) -> None:
        v = self._number(a, "the connect time limit", integer=False)
        if v is not None:
            self.st.opts["connect_timeout"] = v

    def _path_opt(self, a: _Arg, key: str) -> None:
        text = a.text
        if not text:
            self.arg_err(a, f"empty file name after '{a.flag}'")
            return
        if not self.no_refs(a, "certificate and key file names"):
            return
        if key == "cert":
            colon = text.find(":")
            if colon > 1 or (colon == 1 and not text[0].isalpha()):
                self.arg_err(a, "a password in --cert ('file:password') is not supported; "
                                "use an unencrypted key file with --key", colon)
                return
        full = os.path.abspath(os.path.join(self.base_dir, os.path.expanduser(text)))
        if not os.path.isfile(full):
            self.warn(f"file '{text}' not found (looked for {full})",
                      a.word.source_offset(a.off))
        self.st.opts[key] = full

    def opt_cacert(self, a: _Arg) -> None:
        self._path_opt(a, "cacert")

    def opt_cert(self, a: _Arg) -> None:
        self._path_opt(a, "cert")

    def opt_key(self, a: _Arg) -> None:
        self._path_opt(a, "key")

    def opt_proxy(self, a: _Arg) -> None:
        text = a.text.strip()
        if not self.no_refs(a, "the proxy address"):
            return
        if not text:
            self.st.opts["proxy"] = None  # curl: an empty proxy disables proxying
            return
        if "://" not in text:
            text = "http://" + text
        scheme = text.split("://", 1)[0].lower()
        if scheme != "http":  # refused now, not as a connect failure at run time
            self.arg_err(a, f"a {scheme}:// proxy is not supported by httptool: only an HTTP "
                            "proxy (-x http://host:port)")
            return
        self.st.opts["proxy"] = text

    def opt_noproxy(self, a: _Arg) -> None:
        if self.no_refs(a, "--noproxy"):
            self.st.opts["noproxy"] = a.text

    def opt_proxy_user(self, a: _Arg) -> None:
        if self.no_refs(a, "the proxy credentials"):
            self.st.proxy_user = (a.text, a.flag_offset)

    def opt_capath(self, a: _Arg) -> None:
        if not a.text or not self.no_refs(a, "certificate directory names"):
            if not a.text:
                self.arg_err(a, f"empty directory name after '{a.flag}'")
            return
        full = os.path.abspath(os.path.join(self.base_dir, os.path.expanduser(a.text)))
        if not os.path.isdir(full):
            self.warn(f"directory '{a.text}' not found (looked for {full})",
                      a.word.source_offset(a.off))
        self.st.opts["capath"] = full

    def opt_tls_max(self, a: _Arg) -> None:
        if a.text == "default":
            self.st.opts["tls_max"] = None
        elif a.text in ("1.0", "1.1", "1.2", "1.3"):
            self.st.opts["tls_max"] = a.text
        else:
            self.arg_err(a, f"'{a.flag}' expects 1.0, 1.1, 1.2, 1.3 or default, got '{a.text}'")

    def opt_unix_socket(self, a: _Arg) -> None:
        if not a.text:
            self.arg_err(a, f"empty socket path after '{a.flag}'")
        elif self.no_refs(a, "the socket path"):
            self.st.opts["unix_socket"] = os.path.abspath(
                os.path.join(self.base_dir, os.path.expanduser(a.text)))

    def opt_resolve(self, a: _Arg) -> None:
        """``[+]HOST:PORT:ADDR[,ADDR]...`` (``-HOST:PORT``, which removes an entry of
        curl's cache, has nothing to remove here)."""
        if not self.no_refs(a, "--resolve"):
            return
        if a.text.startswith("-"):
            return
        m = _RESOLVE.fullmatch(a.text)
        addrs = m.group(3).split(",") if m else []
        if m is None or not all(_is_ip(x.strip().strip("[]")) for x in addrs):
            self.arg_err(a, f"'{a.flag}' expects HOST:PORT:ADDRESS (an IP address, several "
                            f"separated by ','), got '{a.text}'")
            return
        pins = self.st.opts.setdefault("resolve", ())
        self.st.opts["resolve"] = (*pins, (m.group(1), int(m.group(2)), m.group(3)))  # type: ignore[misc]

    def opt_connect_to(self, a: _Arg) -> None:
        if not self.no_refs(a, "--connect-to"):
            return
        m = _CONNECT_TO.fullmatch(a.text)
        if m is None:
            self.arg_err(a, f"'{a.flag}' expects HOST1:PORT1:HOST2:PORT2 (any part may be "
                            f"empty), got '{a.text}'")
            return
        rules = self.st.opts.setdefault("connect_to", ())
        rule = tuple(g.strip("[]") for g in m.groups())
        self.st.opts["connect_to"] = (*rules, rule)  # type: ignore[misc]

    def opt_range(self, a: _Arg) -> None:
        if not _RANGE.fullmatch(a.text):
            self.arg_err(a, f"'{a.flag}' expects a byte range such as 0-499, 500- or -500, "
                            f"got '{a.text}'")
            return
        text = a.text + "-" if a.text.isdigit() else a.text  # curl: '600' means '600-'
        self.st.custom.insert(0, ("Range", self.template(a.word, a.off, None, "raw",
                                                          text="bytes=" + text)))

    def opt_retry(self, a: _Arg) -> None:
        v = self._number(a, "the number of retries", integer=True)
        if v is not None:
            self.st.retry["retry"] = int(v)
            self.st.retry_at = a.flag_offset

    def opt_retry_delay(self, a: _Arg) -> None:
        v = self._number(a, "the delay between retries", integer=False)
        if v is not None:
            self.st.retry["retry-delay"] = v

    def opt_retry_max_time(self, a: _Arg) -> None:
        if self._number(a, "the time allowed for retries", integer=False) is not None:
            self.warn(f"'{a.flag}' is not applied: the attempts are bounded by --retry N "
                      "(each one by -m)", a.flag_offset)

    def retry_spec(self) -> RetrySpec | None:
        """curl's ``--retry N`` as a ``retry { }`` block: N+1 attempts, on the failures
        curl calls transient (a timeout; HTTP 408, 429, 500, 502, 503, 504), waiting 1 s
        and doubling up to 10 minutes, or ``--retry-delay`` between each; with
        ``--retry-connrefused`` transport errors too; ``--retry-all-errors`` any failure."""
        r = self.st.retry
        n = r.get("retry")
        if not isinstance(n, int) or n <= 0:
            return None
        delay = r.get("retry-delay")
        on: tuple[int | str, ...] = (408, 429, 500, 502, 503, 504, "timeout")
        if r.get("retry-connrefused"):
            on = (*on, "error")
        if r.get("retry-all-errors"):
            on = ()
        line, col = self.loc.at(self.st.retry_at)
        if isinstance(delay, float) and delay > 0:
            return RetrySpec(n + 1, "constant", delay, delay, False, on, line, col)
        return RetrySpec(n + 1, "exponential", 1.0, 600.0, False, on, line, col)

    def with_proxy_user(self) -> None:
        """``-U user:password``: the proxy URL's credentials (curl decodes ``%XX`` in
        them, as in a URL's)."""
        text, at = self.st.proxy_user  # type: ignore[misc]
        proxy = self.st.opts.get("proxy")
        if not isinstance(proxy, str):
            self.warn("'-U/--proxy-user' has no effect without a proxy (-x)", at)
            return
        scheme, _, rest = proxy.partition("://")
        rest = rest.rpartition("@")[2]
        self.st.opts["proxy"] = f"{scheme}://{quote(text, safe='%:')}@{rest}"

    # ---- assembly
    def finish(self, curl_word: Word, errors_before: int) -> CurlRequest | None:
        st = self.st
        if st.url is None and not st.url_excused:
            self.err("curl command has no URL", curl_word.start)
        has_data = bool(st.pieces) or st.data_at >= 0
        if st.upload_at >= 0 and (has_data or st.form_at >= 0):
            self.err("-T/--upload-file cannot be combined with -d/--data/--json or -F "
                     "(one body per request)", st.upload_at)
        if st.form_at >= 0 and has_data:
            self.err("-F/--form cannot be combined with -d/--data/--json (curl: only one "
                     "HTTP request method)", max(st.form_at, st.data_at))
        if st.head_at >= 0 and st.form_at >= 0:
            self.err("-I/--head cannot be combined with -F/--form (curl: only one HTTP "
                     "request method)", st.head_at)
        elif st.head_at >= 0 and has_data and st.get_at < 0:
            self.err("-I/--head cannot be combined with -d/--data (curl: only one HTTP "
                     "request method; add -G to send the data in the query)", st.head_at)
        if st.get_at >= 0 and st.form_at >= 0:
            self.err("-G/--get cannot be combined with -F/--form", st.get_at)
        if st.url is not None and not st.globoff:
            st.url = self.unglob(st.url)
        if st.proxy_user is not None:
            self.with_proxy_user()
        if len(self.diags.errors) > errors_before or st.url is None:
            return None

        url = st.url
        body: Body | None = None
        custom_names = {n.lower() for n, _ in st.custom}
        headers: list[Header] = []
        if st.user_agent is not None and "user-agent" not in custom_names:
            headers.append(Header("User-Agent", st.user_agent))
        if st.referer is not None and "referer" not in custom_names:
            headers.append(Header("Referer", st.referer))
        custom_ct: int | None = None  # index of the last -H Content-Type that is sent
        for n, v in st.custom:
            headers.append(Header(n, v))
            if n.lower() == "content-type":
                custom_ct = len(headers) - 1 if v.parts else None
        if st.bearer is not None and "authorization" not in custom_names:
            headers.append(Header("Authorization", st.bearer))
        if st.json_used:
            if "content-type" not in custom_names:
                headers.append(Header("Content-Type", Template.literal("application/json")))
            if "accept" not in custom_names:
                headers.append(Header("Accept", Template.literal("application/json")))

        if st.pieces and st.get_at >= 0:
            parts, pending = _join_pieces(st.pieces)
            parts = [_with_ctx(p, "query") if isinstance(p, Ref) and pend else p
                     for p, pend in zip(parts, pending, strict=True)]
            url = _append_query(url, parts)
        elif st.data_at >= 0:
            body = self.text_body(custom_ct, headers, "content-type" in custom_names)
        elif st.form:
            body = self.multipart(custom_ct, headers, "content-type" in custom_names)
        elif st.upload is not None:
            body = TextBody(st.upload[1])
            url = _upload_url(url, st.upload[0])
        for k, q in enumerate(st.url_query):
            url = _append_query(url, q) if k == 0 else Template(
                _merge([*url.parts, "&", *q]), url.line, url.col)

        method = st.method
        if method is None:
            if st.head_at >= 0:
                method = "HEAD"
            elif st.get_at >= 0:
                method = "GET"
            elif st.upload is not None:
                method = "PUT"
            elif body is not None:
                method = "POST"
            else:
                method = "GET"
        cookies = self.cookie_header(url)
        options = CurlOptions(**st.opts) if st.opts else CurlOptions()  # type: ignore[arg-type]
        return CurlRequest(method, url, tuple(headers), cookies, st.auth, body, options,
                           self.retry_spec(), tuple(st.outputs))

    def cookie_header(self, url: Template) -> Template | None:
        """The ``Cookie`` value as curl 7.88 builds it: the cookie file's cookies for the
        URL (``; `` between them), then the ``-b name=value`` strings (``;`` between
        them, no blank: curl's own join)."""
        st = self.st
        cparts: list[str | Ref] = []
        if st.cookie_file is not None:
            found, at = st.cookie_file
            if url.refs:
                self.warn("the URL is only known at run time, so every unexpired cookie of "
                          "the cookie file is sent (curl picks them by host and path)", at)
                chosen = select(found, False, None, None)
            else:
                u = urlsplit(url.static_text if "://" in url.static_text
                             else "http://" + url.static_text)
                chosen = select(found, u.scheme == "https", u.hostname or "", u.path or "/")
            cparts.append("; ".join(f"{c.name}={c.value}" for c in chosen))
        for k, c in enumerate(st.cookies):
            if k or (cparts and cparts[0]):
                cparts.append(";" if k else "; ")
            cparts.extend(c.parts)
        merged = _merge(cparts)
        if not merged:
            return None
        line, col = (st.cookies[0].line, st.cookies[0].col) if st.cookies else (url.line, url.col)
        return Template(merged, line, col)

    def unglob(self, url: Template) -> Template:
        """curl's URL globbing: ``\\[`` ``\\]`` ``\\{`` ``\\}`` are sent as the bare
        character (Chrome's "Copy as cURL" writes ``filter\\[status\\]``); a real glob
        (``[1-3]``, ``{a,b}``) is refused, because curl turns it into one request per
        expansion and an httptool request is one request (a data list does the same job)."""
        w = self.st.url_word
        assert w is not None
        text = w.text[self.st.url_off :]
        masked = _REF_SPAN.sub(lambda r: "x" * len(r.group()), text)
        masked = _IPV6_HOST.sub(lambda r: "x" * len(r.group()), masked, count=1)
        m = _GLOB_OPEN.search(masked)
        if m is not None:
            close = "]" if m.group() == "[" else "}"
            end = masked.find(close, m.start())
            glob = text[m.start() : end + 1] if end > 0 else text[m.start() :]
            self.err(f"curl would expand the URL glob '{glob}' into one request per URL; "
                     "an httptool request sends one URL: use a data list and ${...} for "
                     "several, or -g/--globoff to send the characters as written",
                     w.source_offset(self.st.url_off + m.start()))
            return url
        if "\\" not in text:
            return url
        parts = tuple(_GLOB_ESCAPE.sub(r"\1", p) if isinstance(p, str) else p
                      for p in url.parts)
        return Template(parts, url.line, url.col)

    def text_body(
        self, custom_ct: int | None, headers: list[Header], ct_named: bool
    ) -> TextBody:
        st = self.st
        parts, pending = _join_pieces(st.pieces)
        ct_text = ""
        if custom_ct is not None:
            ct_text = headers[custom_ct].value.static_text.lower()
        elif st.json_used:
            ct_text = "application/json"
        first = st.pieces[0]
        if "json" in ct_text or st.json_used:
            kind = "json"
        elif ct_named:
            kind = "form" if "x-www-form-urlencoded" in ct_text else "raw"
        else:
            lead = parts[0].lstrip() if parts and isinstance(parts[0], str) else ""
            if lead[:1] in ("{", "["):
                kind = "json"
                self.diags.warning(
                    "this JSON body is sent as application/x-www-form-urlencoded (curl's "
                    "default for -d); add -H 'Content-Type: application/json' or use --json",
                    first.line, first.col,
                )
            else:
                kind = "form"
        if not ct_named and not st.json_used:
            headers.append(Header("Content-Type",
                                  Template.literal("application/x-www-form-urlencoded")))
        if kind == "json":
            parts = _json_contexts(parts, pending)
        elif kind == "form":
            parts = [_with_ctx(p, "form") if isinstance(p, Ref) and pend else p
                     for p, pend in zip(parts, pending, strict=True)]
        return TextBody(Template(_merge(parts), first.line, first.col))

    def multipart(
        self, custom_ct: int | None, headers: list[Header], ct_named: bool
    ) -> MultipartBody:
        parts = tuple(self.st.form)
        boundary = _boundary(parts)
        if custom_ct is not None:
            h = headers[custom_ct]
            m = re.search(r"boundary=\"?([^\";]+)", h.value.static_text)
            if m:
                boundary = m.group(1)
            else:  # curl appends its boundary to a multipart Content-Type given with -H
                headers[custom_ct] = Header(h.name, Template(
                    _merge([*h.value.parts, f"; boundary={boundary}"]), h.value.line,
                    h.value.col))
        elif not ct_named:
            headers.append(Header("Content-Type", Template.literal(
                f"multipart/form-data; boundary={boundary}")))
        return MultipartBody(parts, boundary)


# --------------------------------------------------------------------------- pure helpers


def _with_ctx(r: Ref, ctx: RefContext) -> Ref:
    return r if r.ctx == ctx else Ref(r.path, r.text, ctx, r.line, r.col, r.default)


def _merge(parts: list[str | Ref]) -> tuple[str | Ref, ...]:
    out: list[str | Ref] = []
    for p in parts:
        if isinstance(p, str):
            if not p:
                continue
            if out and isinstance(out[-1], str):
                out[-1] = out[-1] + p
                continue
        out.append(p)
    return tuple(out)


def _join_pieces(pieces: list[_Piece]) -> tuple[list[str | Ref], list[bool]]:
    """Data arguments joined as curl does: ``&`` between them, none between ``--json``
    pieces."""
    parts: list[str | Ref] = []
    pending: list[bool] = []
    prev_json = False
    for k, pc in enumerate(pieces):
        if k and not (pc.is_json and prev_json):
            parts.append("&")
            pending.append(False)
        parts.extend(pc.parts)
        pending.extend(pc.pending)
        prev_json = pc.is_json
    return parts, pending


def _url_contexts(t: Template) -> Template:
    """Refs in the scheme/authority (or a leading base-URL variable) are ``raw``, in the
    path ``path``, in the query (and fragment) ``query``."""
    if not t.refs:
        return t
    s = "".join(p if isinstance(p, str) else "\x00" for p in t.parts)
    auth_end = _URL_AUTH.match(s).end()  # type: ignore[union-attr]
    q = s.find("?", auth_end)
    h = s.find("#", auth_end)
    path_end = min(x for x in (q, h, len(s)) if x >= 0)
    out: list[str | Ref] = []
    off = 0
    for p in t.parts:
        if isinstance(p, Ref):
            ctx: RefContext = "raw" if off < auth_end else "path" if off < path_end else "query"
            out.append(_with_ctx(p, ctx))
            off += 1
        else:
            out.append(p)
            off += len(p)
    return Template(tuple(out), t.line, t.col)


def _append_query(url: Template, data: list[str | Ref]) -> Template:
    """``-G``: the data joins the URL's query (``?`` or ``&``), before any ``#fragment``."""
    parts = list(url.parts)
    tail: list[str | Ref] = []
    for i, p in enumerate(parts):
        if isinstance(p, str) and "#" in p:
            k = p.index("#")
            tail = [p[k:], *parts[i + 1 :]]
            parts = [*parts[:i], p[:k]]
            break
    lit = "".join(p for p in parts if isinstance(p, str))
    sep = "&" if "?" in lit else "?"
    return Template(_merge([*parts, sep, *data, *tail]), url.line, url.col)


def _json_contexts(parts: list[str | Ref], pending: list[bool]) -> list[str | Ref]:
    """Refs inside a JSON string literal become ``json_string``, others ``json_value``."""
    in_str = False
    out: list[str | Ref] = []
    for p, pend in zip(parts, pending, strict=True):
        if isinstance(p, str):
            i = 0
            while True:
                if in_str:
                    m = _IN_JSON_STRING.match(p, i)
                    if m is None:
                        break
                    in_str, i = False, m.end()
                else:
                    j = p.find('"', i)
                    if j < 0:
                        break
                    in_str, i = True, j + 1
            out.append(p)
        elif pend:
            out.append(_with_ctx(p, "json_string" if in_str else "json_value"))
        else:
            out.append(p)
    return out


def _upload_url(url: Template, name: str) -> Template:
    """curl's ``-T``: a URL whose path is empty or ends in ``/`` gets the file's name."""
    lit = url.parts[-1] if url.parts and isinstance(url.parts[-1], str) else None
    if lit is None or "?" in lit or "#" in lit:
        return url
    after_scheme = lit.split("://", 1)[-1] if len(url.parts) == 1 else lit
    if lit.endswith("/") or (len(url.parts) == 1 and "/" not in after_scheme):
        sep = "" if lit.endswith("/") else "/"
        return Template(_merge([*url.parts, sep + quote(name)]), url.line, url.col)
    return url


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _scheme_hint(scheme: str) -> str:
    """``htp`` -> " (did you mean 'http'?)": a mistyped scheme is the usual cause."""
    close = difflib.get_close_matches(scheme.lower(), ["http", "https"], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _boundary(parts: tuple[FormPart, ...]) -> str:
    """A boundary that depends only on the parts (not on paths or positions)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(repr((
            p.name,
            p.value.static_text if p.value is not None else None,
            hashlib.sha256(p.file_content).hexdigest() if p.file_content is not None else None,
            os.path.basename(p.file_path) if p.file_path else None,
            p.filename,
            p.content_type,
        )).encode("utf-8", "surrogatepass"))
    return "-" * 24 + h.hexdigest()[:16]  # the length of curl's boundary


def parse_curl(
    command: str, line: int, col: int, diags: Diagnostics, base_dir: str = "."
) -> CurlRequest | None:
    """Parse ``command`` (raw source starting with ``curl``, which stands at ``line``/
    ``col`` of the scenario file). Problems go to ``diags``; None when one of them makes
    the request unusable. ``base_dir`` is where ``@file`` arguments are looked up."""
    return _CurlParser(command, line, col, diags, base_dir).parse()
