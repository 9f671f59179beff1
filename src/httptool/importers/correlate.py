"""Automatic correlation: a value the server handed out and the client sent back later.

A recorded token replays dead, so each such value becomes an ``extract`` on the earliest
response that produced it and ``${var}`` at every later use. Producers are JSON body
fields, HTML hidden ``<input>``s (a CSRF token), response headers named like a token or an
id, a redirect's ``Location`` (the whole URL the client then requests) and each value of
its query (``header:Location regex:...``). Uses are found
in request URLs (path and query), header values and bodies (JSON or form).

Left literal, never guessed: trivial values (short numbers, booleans, words), values the
client sent before any response carried them (its own input), cookies (the jar replays
those), and *ambiguous* producers: a value found only at several positions of arrays, or
a hidden input that an earlier input of the same page would shadow. Every correlation and
every ambiguous rejection is reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, quote_plus, urljoin, urlsplit

from httptool.importers.model import Request
from httptool.importers.names import Unique, identifier

#: Characters of a token as found inside a longer text (URL-unreserved).
_TOKEN = re.compile(r"[A-Za-z0-9_.~-]+")
_WORD = re.compile(r"[A-Za-z][a-z]*")
_DOTTED_NUMBER = re.compile(r"\d+(\.\d+)*")
_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
#: Response headers whose value may be handed back (besides Location).
_HEADER_PRODUCER = re.compile(r"token|csrf|xsrf|session|auth|request-id|nonce|ticket", re.I)
MIN_LENGTH = 6
MAX_VALUE = 4096
#: JSON leaves read per response at most (a huge listing is not read to the end).
MAX_LEAVES = 5000
MAX_SCAN_CHARS = 2_000_000


def trivial(value: str) -> bool:
    """Too common to mean anything: short, a word, a boolean, a version-like number."""
    if len(value) < MIN_LENGTH or len(value) > MAX_VALUE or any(c.isspace() for c in value):
        return True
    if value.lower() in ("true", "false", "null", "undefined"):
        return True
    if _WORD.fullmatch(value) and len(value) < 16:
        return True
    return bool(_DOTTED_NUMBER.fullmatch(value) and "." in value)


@dataclass(slots=True)
class Exchange:
    """One kept recording entry: the request to write and the response as recorded."""

    req: Request
    url: str  # the absolute recorded URL
    resp_headers: list[tuple[str, str]]
    resp_mime: str
    resp_text: str | None


@dataclass(slots=True)
class _Producer:
    index: int
    source: str  # the extract source text (``$.access_token``, ``regex:"..."``)
    hint: str
    where: str  # human wording of the location
    ambiguous: str | None = None
    var: str | None = None


@dataclass(slots=True)
class Report:
    correlations: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


class _Inputs(HTMLParser):
    """Hidden inputs (and ``<meta name=csrf-token>``) in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []  # (name, value, regex)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        raw = self.get_starttag_text() or ""
        if tag == "input" and a.get("type", "").lower() == "hidden" and a.get("name"):
            self.found.append((a["name"], a.get("value", ""), _html_regex(tag, raw, a["name"],
                                                                          False)))
        elif tag == "meta" and re.search("csrf|xsrf", a.get("name", ""), re.I):
            self.found.append((a["name"], a.get("content", ""), _html_regex(tag, raw, a["name"],
                                                                            True)))


def _html_regex(tag: str, raw: str, name: str, meta: bool) -> str:
    """A regex for the value attribute, quoted as this page quotes its attributes."""
    q = '"' if f'name="{name}"' in raw else "'" if f"name='{name}'" in raw else ""
    attr = "content" if meta else "value"
    value = f"{q}([^{q}]*){q}" if q else r"([^\s>]*)"
    n = re.escape(name).replace("\\-", "-")  # a hyphen is literal outside [...]
    return f"<{tag}[^>]*name={q}{n}{q}[^>]*{attr}={value}"


def _dsl_regex(pattern: str) -> str:
    return 'regex:"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _json_leaves(doc: object) -> Iterator[tuple[str, str, str]]:
    """(value, JSONPath, name hint) of each string or integer leaf, in document order."""
    stack: list[tuple[object, str, str, str]] = [(doc, "$", "value", "")]
    count = 0
    while stack and count < MAX_LEAVES:
        node, path, key, parent = stack.pop()
        if isinstance(node, dict):
            items = [(k, v) for k, v in node.items() if isinstance(k, str) and _SIMPLE_KEY.match(k)]
            for k, v in reversed(items):
                stack.append((v, f"{path}.{k}", k, key))
        elif isinstance(node, list):
            for i in range(len(node) - 1, -1, -1):
                stack.append((node[i], f"{path}[{i}]", key, parent))
        elif isinstance(node, str) or (isinstance(node, int) and not isinstance(node, bool)):
            count += 1
            hint = key
            if key.lower() == "id" and parent:
                hint = (parent[:-1] if parent.endswith("s") else parent) + "_id"
            yield str(node), path, hint


def _producers(ex: Exchange) -> Iterator[tuple[str, str, str, str, bool]]:
    """(value, source, hint, where, in_array) for each value this response hands out."""
    for name, value in ex.resp_headers:
        low = name.lower()
        if low != "set-cookie" and low != "location" and _HEADER_PRODUCER.search(name):
            yield value.strip(), f"header:{name}", name, f"header {name}", False
    text = ex.resp_text
    if not text or len(text) > MAX_SCAN_CHARS:
        return
    mime = ex.resp_mime.lower()
    if "json" in mime or text.lstrip()[:1] in ("{", "["):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if doc is not None:
            for value, path, hint in _json_leaves(doc):
                yield value, path, hint, f"JSON {path}", "[" in path
            return
    if "html" in mime:
        parser = _Inputs()
        try:
            parser.feed(text)
        except Exception:  # html.parser is lenient; never let a page stop the import
            return
        for name, value, pattern in parser.found:
            m = re.search(pattern, text)
            where = f"hidden input {name}" if pattern.startswith("<input") else f"meta {name}"
            ambiguous = None if m and m.group(1) == value else "an earlier element matches first"
            yield value, _dsl_regex(pattern), name, where + (f" ({ambiguous})" if ambiguous
                                                             else ""), ambiguous is not None


def _uses(req: Request) -> set[str]:
    """Candidate values a request sends: tokens of its URL, headers and body, and whole
    query, form, header and JSON string values."""
    found: set[str] = set()
    parts = urlsplit(req.url)
    found.update(_TOKEN.findall(parts.path))
    found.update(v for _, v in parse_qsl(parts.query, keep_blank_values=True))
    for _, value in req.headers:
        found.update(_TOKEN.findall(value))
        found.add(value)
        found.add(value.partition(" ")[2])
    body = req.body
    if body is not None and body.kind == "raw":
        found.update(_TOKEN.findall(body.text))
        found.update(v for _, v in parse_qsl(body.text, keep_blank_values=True))
        try:
            doc = json.loads(body.text)
        except ValueError:
            doc = None
        if doc is not None:
            found.update(v for v, _, _ in _json_leaves(doc))
    elif body is not None and body.kind == "form":
        found.update(v for _, v in body.parts)
    return found


def _replace(text: str, value: str, var: str) -> str:
    ref = "${" + var + "}"
    for form in dict.fromkeys((value, quote(value, safe=""), quote_plus(value))):
        if _TOKEN.fullmatch(form):
            text = re.sub(rf"(?<![A-Za-z0-9_.~-]){re.escape(form)}(?![A-Za-z0-9_.~-])",
                          lambda _m: ref, text)
        else:
            text = text.replace(form, ref)
    return text


def _substitute(req: Request, value: str, var: str) -> None:
    req.url = _replace(req.url, value, var)
    req.headers = [(k, _replace(v, value, var)) for k, v in req.headers]
    if req.body is not None and req.body.kind == "raw":
        req.body.text = _replace(req.body.text, value, var)
    elif req.body is not None and req.body.kind == "form":
        req.body.parts = [(k, _replace(v, value, var)) for k, v in req.body.parts]


class _Correlator:
    """One pass over the exchanges in recorded order: first the request's uses of values
    produced earlier, then what its response produces."""

    def __init__(self, exchanges: list[Exchange], base: str, base_var: str,
                 taken: set[str]) -> None:
        self.ex, self.base, self.base_ref = exchanges, base, "${" + base_var + "}"
        self.names = Unique(taken)
        self.producers: dict[str, _Producer] = {}
        self.redirects: dict[str, tuple[int, str]] = {}  # absolute URL -> (index, Location)
        self.redirect_vars: dict[int, str] = {}
        self.sent: set[str] = set()  # values the client sent before any response had them
        self.made: dict[str, tuple[str, list[str]]] = {}  # var -> (producer, users)
        self.rejected: dict[str, str] = {}

    def used(self, var: str, producer: str, user: str) -> None:
        users = self.made.setdefault(var, (producer, []))[1]
        if user not in users:
            users.append(user)

    def as_redirect(self, url: str, user: str) -> str | None:
        """``${base}${redirect}`` when ``url`` is where an earlier response redirected."""
        hit = self.redirects.get(url)
        if hit is None:
            return None
        j, location = hit
        var = self.redirect_vars.get(j)
        if var is None:
            var = self.redirect_vars[j] = self.names("redirect")
            self.ex[j].req.extracts.append((var, "header:Location"))
        self.used(var, f"Location header of {self.ex[j].req.name}", user)
        return "${" + var + "}" if "://" in location else self.base_ref + "${" + var + "}"

    def consume(self, ex: Exchange) -> None:
        req = ex.req
        req.url = self.as_redirect(ex.url, req.name) or req.url
        req.headers = [
            (k, (self.as_redirect(v.replace(self.base_ref, self.base, 1), req.name) or v)
             if k.lower() == "referer" else v) for k, v in req.headers]
        uses: list[tuple[str, _Producer]] = []
        for value in _uses(req):
            p = self.producers.get(value)
            if p is None:
                if not trivial(value):
                    self.sent.add(value)
            elif p.ambiguous:
                self.rejected.setdefault(value, (  # never the value itself: it may be a secret
                    f"a {len(value)}-character value used by {req.name}: ambiguous in "
                    f"{self.ex[p.index].req.name} ({p.ambiguous}); left literal"))
            else:
                if p.var is None:
                    p.var = self.names(identifier(p.hint, "value"))
                    self.ex[p.index].req.extracts.append((p.var, p.source))
                uses.append((value, p))
        for value, p in sorted(uses, key=lambda u: -len(u[0])):
            assert p.var is not None
            _substitute(req, value, p.var)
            self.used(p.var, f"{p.where} of {self.ex[p.index].req.name}", req.name)

    def produce(self, i: int, ex: Exchange) -> None:
        here: dict[str, list[tuple[str, str, str, bool]]] = {}
        for name, value in ex.resp_headers:
            if name.lower() == "location" and value:
                self.redirects.setdefault(urljoin(ex.url, value), (i, value))
                # a value inside the redirect's query (an OAuth code): `header:Location
                # regex:...` takes it, when the header carries it as it is sent (not encoded)
                query = urlsplit(value).query
                as_sent = set(query.split("&"))
                for key, v in parse_qsl(query):
                    if not _TOKEN.fullmatch(key):
                        why = f"Location query {key} (a name a regex would have to escape)"
                    elif f"{key}={v}" not in as_sent:
                        why = f"Location query {key} (percent-encoded there)"
                    else:
                        pattern = "[?&]" + re.escape(key) + "=([^&#]*)"
                        here.setdefault(v, []).append(
                            ("header:Location " + _dsl_regex(pattern), key,
                             f"Location query {key}", False))
                        continue
                    here.setdefault(v, []).append(("", key, why, True))
        for value, source, hint, where, in_array in _producers(ex):
            if (trivial(value) or value in self.sent or value in self.producers
                    or value == self.base):
                continue
            here.setdefault(value, []).append((source, hint, where, in_array))
        for value, locs in here.items():
            plain = [loc for loc in locs if not loc[3]]
            source, hint, where, _ = (plain or locs)[0]
            ambiguous = None
            if not plain:
                usable = [loc for loc in locs if loc[0]]
                if not usable:
                    ambiguous = where
                elif len(usable) > 1:
                    ambiguous = f"at {len(usable)} array positions: " + ", ".join(
                        loc[0] for loc in usable[:3])
                else:
                    source, hint, where, _ = usable[0]
                    if "earlier element" in where:
                        ambiguous = "an earlier element matches first"
            self.producers[value] = _Producer(i, source, hint, where, ambiguous)


def correlate(exchanges: list[Exchange], base: str, base_var: str,
              taken: set[str]) -> Report:
    """Rewrite the requests of ``exchanges`` in place; returns what was done."""
    c = _Correlator(exchanges, base, base_var, taken)
    for i, ex in enumerate(exchanges):
        c.consume(ex)
        c.produce(i, ex)
    return Report(
        [f"{var} = {producer}, used by {', '.join(users)}"
         for var, (producer, users) in c.made.items()],
        list(c.rejected.values()))
