"""HAR 1.1/1.2 (Chrome, Firefox, Safari, Playwright exports) -> an :class:`Imported`.

One named request per kept entry, in recorded order; static assets and analytics dropped
(:mod:`.static`); headers curl computes itself dropped; cookies the recording saw being
set left to the jar; the most common origin as a variable; think times from the gaps;
then :mod:`.correlate` wires the values the server handed out.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from httptool.importers.correlate import Exchange, correlate
from httptool.importers.model import Body, Imported, ImportFailure, Request
from httptool.importers.names import Unique, request_name
from httptool.importers.source import load_json, need, pointer, read_text
from httptool.importers.static import drop_reason
from httptool.importers.writer import escape_template

VERSIONS = ("1.1", "1.2")
#: Request headers curl computes itself (or that only describe the browser's connection).
DROPPED_HEADERS = frozenset({
    "content-length", "host", "connection", "keep-alive", "proxy-connection",
    "transfer-encoding", "te", "upgrade", "accept-encoding", "cookie", "priority",
    "upgrade-insecure-requests", "cache-control", "pragma",
})
_BROWSER_HINTS = ("sec-fetch-", "sec-ch-")
MIN_THINK_MS = 100
MAX_THINK_MS = 60_000


@dataclass(slots=True)
class HarOptions:
    include_static: bool = False
    think: bool = True
    correlate: bool = True
    asserts: bool = True
    base_var: str = "base"
    bodies_dir: str | None = None  # where binary bodies go, relative to the output


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}" if p.scheme and p.netloc else ""


def _started(entry: dict[str, Any]) -> float | None:
    try:
        return datetime.fromisoformat(str(entry.get("startedDateTime"))).timestamp() * 1000
    except ValueError:
        return None


def _set_cookie_names(resp: dict[str, Any]) -> set[str]:
    names = {str(c.get("name")) for c in resp.get("cookies") or [] if isinstance(c, dict)}
    for h in resp.get("headers") or []:
        if isinstance(h, dict) and str(h.get("name", "")).lower() == "set-cookie":
            for line in str(h.get("value", "")).split("\n"):
                names.add(line.split("=", 1)[0].strip())
    return names


def _response_text(resp: dict[str, Any]) -> str | None:
    content = resp.get("content")
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        return None
    text: str = content["text"]
    if content.get("encoding") == "base64":
        mime = str(content.get("mimeType", ""))
        if not any(t in mime for t in ("json", "html", "text", "xml")):
            return None
        try:
            return base64.b64decode(text).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None
    return text


def _is_binary(text: str) -> bool:
    return any((ord(c) < 32 and c not in "\t\r\n") or c == "\ufffd" for c in text)


class _Entries:
    """Turns entries into requests, remembering cookies set so far."""

    def __init__(self, file: str, opts: HarOptions, imp: Imported) -> None:
        self.file, self.opts, self.imp = file, opts, imp
        self.jar: set[str] = set()
        self.names = Unique({opts.base_var})

    def headers(self, raw: list[Any], at: str, req: Request) -> None:
        for k, h in enumerate(raw):
            if not isinstance(h, dict) or not isinstance(h.get("name"), str):
                raise ImportFailure(f"{self.file}: {at}{pointer(k)} must be an object with a "
                                    "string name")
            name, value = h["name"], str(h.get("value", ""))
            low = name.lower()
            if low.startswith(":") or low.startswith(_BROWSER_HINTS):
                continue
            if low == "accept-encoding":
                req.compressed = any(e in value for e in ("gzip", "br", "deflate", "zstd"))
            if low == "cookie":
                kept = [p.strip() for p in value.split(";")
                        if p.strip() and p.split("=", 1)[0].strip() not in self.jar]
                if kept:
                    req.cookies = escape_template("; ".join(kept))
            if low in DROPPED_HEADERS:
                continue
            req.headers.append((name, escape_template(value)))

    def body(self, post: Any, at: str, req: Request) -> bool:
        """Set ``req.body``; False when the request must be skipped."""
        if not isinstance(post, dict):
            return True
        mime = str(post.get("mimeType", ""))
        text = post.get("text")
        params = post.get("params")
        if mime.startswith("multipart/form-data") and isinstance(params, list) and params:
            parts = []
            for p in params:
                if not isinstance(p, dict):
                    continue
                if p.get("fileName"):
                    parts.append((str(p.get("name", "")), "@" + str(p["fileName"])))
                    self.imp.warnings.append(
                        f"{req.name}: form field {p.get('name')} uploads the file "
                        f"{p['fileName']}: put it beside the scenario")
                else:
                    parts.append((str(p.get("name", "")),
                                  escape_template(str(p.get("value", "")))))
            req.body = Body("form", parts=parts)
            req.headers = [(k, v) for k, v in req.headers if k.lower() != "content-type"]
            return True
        if not isinstance(text, str):
            return True
        data: bytes | None = None
        if post.get("encoding") == "base64":
            try:
                data = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise ImportFailure(f"{self.file}: {at}/text is not base64") from None
        elif _is_binary(text):
            data = text.encode("latin-1") if all(ord(c) < 256 for c in text) else text.encode()
        if data is None:
            req.body = Body("raw", escape_template(text))
            return True
        if self.opts.bodies_dir is None:
            self.imp.warnings.append(
                f"{req.name} skipped: its body is binary ({at}); give -o so the body can be "
                "written beside the scenario")
            return False
        rel = f"{self.opts.bodies_dir}/{req.name}.bin"
        self.imp.binary_files[rel] = data
        req.body = Body("file", rel)
        self.imp.notes.append(f"{req.name}: binary body ({len(data)} bytes) -> {rel}")
        return True


def _check_log(doc: Any, file: str) -> list[Any]:
    if not isinstance(doc, dict):
        raise ImportFailure(f"{file}: not a HAR file: the top level must be an object with 'log'")
    log = need(doc, "log", dict, file, "")
    version = log.get("version")
    if version is not None and str(version) not in VERSIONS:
        raise ImportFailure(f"{file}: /log/version is {version!r}; HAR {' and '.join(VERSIONS)} "
                            "are supported")
    entries: list[Any] = need(log, "entries", list, file, "/log")
    return entries


def import_har(file: str, opts: HarOptions) -> Imported:
    """Read ``file`` and build the scenario (raises :class:`ImportFailure`)."""
    entries = _check_log(load_json(file, read_text(file), "HAR"), file)
    imp = Imported("har", file)
    conv = _Entries(file, opts, imp)
    kept: list[tuple[Exchange, float | None, float]] = []
    dropped: Counter[str] = Counter()
    for n, entry in enumerate(entries):
        at = pointer("log", "entries", n)
        if not isinstance(entry, dict):
            raise ImportFailure(f"{file}: {at} must be an object")
        rq = need(entry, "request", dict, file, at)
        rs = need(entry, "response", dict, file, at)
        method = need(rq, "method", str, file, at + "/request").upper()
        url = need(rq, "url", str, file, at + "/request")
        headers = need(rq, "headers", list, file, at + "/request")
        status = rs.get("status")
        content = rs.get("content") if isinstance(rs.get("content"), dict) else {}
        mime = str(content.get("mimeType", ""))
        reason = drop_reason(url, mime)
        if reason is not None and (not opts.include_static or reason.endswith("URL")):
            dropped[reason] += 1
            conv.jar |= _set_cookie_names(rs)
            continue
        if not urlsplit(url).scheme.startswith("http"):
            raise ImportFailure(f"{file}: {at}/request/url is not an http(s) URL: {url[:80]}")
        req = Request(conv.names(request_name(method, url)), method, escape_template(url))
        conv.headers(headers, at + "/request/headers", req)
        if not conv.body(rq.get("postData"), at + "/request/postData", req):
            dropped["binary body"] += 1
            continue
        if opts.asserts and isinstance(status, int) and status > 0:
            req.status = status
        elif opts.asserts:
            imp.warnings.append(f"{req.name}: no recorded status ({at}/response/status); no "
                                "status assertion")
        resp_headers = [(str(h.get("name", "")), str(h.get("value", "")))
                        for h in rs.get("headers") or [] if isinstance(h, dict)]
        kept.append((Exchange(req, url, resp_headers, mime, _response_text(rs)),
                     _started(entry), float(entry.get("time") or 0)))
        conv.jar |= _set_cookie_names(rs)
    if not kept:
        why = ", ".join(f"{n} {w}" for w, n in sorted(dropped.items())) or "no entries"
        raise ImportFailure(f"{file}: nothing to import: {why}" + (
            "; --include-static keeps static assets" if dropped.get("static asset") else ""))
    _finish(imp, kept, opts, dropped, len(entries))
    return imp


def _finish(imp: Imported, kept: list[tuple[Exchange, float | None, float]], opts: HarOptions,
            dropped: Counter[str], total: int) -> None:
    origins = Counter(_origin(ex.url) for ex, _, _ in kept)
    base = origins.most_common(1)[0][0] if origins else ""
    if base:
        imp.variables.append((opts.base_var, base))
        ref = "${" + opts.base_var + "}"
        for ex, _, _ in kept:
            r = ex.req
            if r.url.startswith(base) and r.url[len(base):len(base) + 1] in ("", "/", "?"):
                r.url = ref + r.url[len(base):]
            r.headers = [(k, ref + v[len(base):] if v.startswith(base) else v)
                         for k, v in r.headers]
    if opts.think:
        for (ex, start, took), (_, nxt, _) in itertools.pairwise(kept):
            if start is not None and nxt is not None:
                gap = round((nxt - start - took) / 10.0) * 10
                if gap >= MIN_THINK_MS:
                    ex.req.think_after_ms = min(gap, MAX_THINK_MS)
    exchanges = [ex for ex, _, _ in kept]
    imp.requests = [ex.req for ex in exchanges]
    imp.notes.insert(0, f"{total} entries: {len(kept)} requests kept" + "".join(
        f", {n} dropped ({why})" for why, n in sorted(dropped.items())))
    if opts.correlate:
        report = correlate(exchanges, base, opts.base_var,
                           {opts.base_var} | {r.name for r in imp.requests})
        imp.notes += [f"correlated {c}" for c in report.correlations]
        imp.warnings += [f"not correlated: {c}" for c in report.rejected]
        made = {v for r in imp.requests for v, _ in r.extracts}
        imp.notes.append(f"{len(made)} variables extracted from responses")


def bodies_dir_for(out: Path) -> str:
    """The folder (relative to the output) for binary bodies: ``NAME.bodies``."""
    return out.stem + ".bodies"
