"""Postman collection v2.0/v2.1 (+ an optional environment) -> an :class:`Imported`.

Folders become comment sections and request-name prefixes; ``{{var}}`` becomes ``${var}``
with collection (then environment) variables as ``var`` lines; auth is bearer, basic or
an API key (header or query), inherited from the folder or the collection; bodies are
raw/JSON, url-encoded, form-data (files as ``-F name=@path``), a file, or GraphQL.
Pre-request and test scripts are never run: each becomes a comment and a warning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from httptool.importers.model import Body, Imported, ImportFailure, Request
from httptool.importers.names import Unique, identifier
from httptool.importers.source import load_json, need, pointer, read_text
from httptool.importers.writer import escape_template

#: the one test-script line read: a status check (``pm.response.to.have.status(200)``)
_STATUS_TEST = re.compile(
    r"(?:to\.have\.status|to\.be\.status|responseCode\.code\s*===?|response\.code\)"
    r"\.to\.(?:equal|eql))\(?\s*(\d{3})\b")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_VAR = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
#: Postman's dynamic variables that have a built-in of the language
_DYNAMIC = {"$guid": "UUID", "$randomUUID": "UUID", "$timestamp": "TIME",
            "$isoTimestamp": "TIME", "$randomInt": "RANDOM"}
SCRIPT_LINES = 12
#: Auth types with no equivalent here (the request is written without them, with a warning)
_UNSUPPORTED_AUTH = ("digest", "oauth1", "hawk", "awsv4", "ntlm", "akamai", "edgegrid",
                     "jwt", "asap")


@dataclass(slots=True)
class PostmanOptions:
    environment: str | None = None
    base_var: str = "base"


def _kv(items: Any) -> list[tuple[str, str]]:
    """``[{key, value, disabled}]`` as pairs, disabled ones left out."""
    out = []
    for it in items if isinstance(items, list) else []:
        if isinstance(it, dict) and not it.get("disabled") and it.get("enabled", True):
            key = it.get("key")
            if key is not None:
                value = it.get("value")
                out.append((str(key), "" if value is None else
                            value if isinstance(value, str) else json.dumps(value)))
    return out


def _auth_params(auth: dict[str, Any]) -> dict[str, str]:
    """v2.1 writes ``[{key, value}]``, v2.0 an object: both as a dict."""
    raw = auth.get(str(auth.get("type")))
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return dict(_kv(raw))


class _Collection:
    def __init__(self, file: str, opts: PostmanOptions, imp: Imported) -> None:
        self.file, self.opts, self.imp = file, opts, imp
        self.var_names: dict[str, str] = {}  # Postman name -> identifier
        self.var_unique = Unique({opts.base_var})
        self.names = Unique({opts.base_var})
        self.used: set[str] = set()

    def var(self, name: str) -> str:
        ident = self.var_names.get(name)
        if ident is None:
            ident = self.var_names[name] = self.var_unique(identifier(name, "v", lower=False))
        return ident

    def template(self, text: str, where: str) -> str:
        """Postman text -> template text: ``{{a-b}}`` -> ``${a_b}``, ``${`` escaped."""
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name.startswith("$"):
                builtin = _DYNAMIC.get(name)
                if builtin is None:
                    self.imp.warnings.append(f"{where}: dynamic variable {{{{{name}}}}} has no "
                                             "equivalent; written as the text " + name[1:])
                    return name[1:]
                return "${" + builtin + "}"
            self.used.add(name)
            return "${" + self.var(name) + "}"
        return _VAR.sub(sub, escape_template(text))

    def auth(self, auth: Any, req: Request) -> None:
        if not isinstance(auth, dict):
            return
        kind = str(auth.get("type", "noauth"))
        p = _auth_params(auth)
        t = lambda s: self.template(s, req.name)  # noqa: E731
        if kind == "noauth":
            return
        req.headers = [(k, v) for k, v in req.headers if k.lower() != "authorization"]
        if kind == "bearer":
            req.headers.append(("Authorization", f"Bearer {t(p.get('token', ''))}"))
        elif kind == "oauth2" and p.get("accessToken"):
            req.headers.append(("Authorization", f"Bearer {t(p['accessToken'])}"))
        elif kind == "basic":
            req.user = f"{t(p.get('username', ''))}:{t(p.get('password', ''))}"
        elif kind == "apikey":
            key, value = t(p.get("key", "X-API-Key")), t(p.get("value", ""))
            if p.get("in") == "query":
                req.url += ("&" if "?" in req.url else "?") + f"{key}={value}"
            else:
                req.headers.append((key, value))
        else:
            self.imp.warnings.append(f"{req.name}: {kind} auth is not supported; the request "
                                     "is written without it")

    def body(self, body: Any, req: Request) -> None:
        if not isinstance(body, dict) or body.get("disabled"):
            return
        mode = body.get("mode")
        t = lambda s: self.template(s, req.name)  # noqa: E731
        has_type = any(k.lower() == "content-type" for k, _ in req.headers)
        if mode == "raw" and body.get("raw"):
            req.body = Body("raw", t(str(body["raw"])))
            lang = (body.get("options") or {}).get("raw", {}).get("language")
            if lang == "json" and not has_type:
                req.headers.append(("Content-Type", "application/json"))
        elif mode == "urlencoded" and _kv(body.get("urlencoded")):
            req.body = Body("urlencode", parts=[(t(k), t(v))
                                                for k, v in _kv(body["urlencoded"])])
        elif mode == "formdata" and _kv(body.get("formdata")):
            parts = []
            for it in body["formdata"]:
                if not isinstance(it, dict) or it.get("disabled") or it.get("key") is None:
                    continue
                if it.get("type") == "file":
                    src = it.get("src")
                    src = src[0] if isinstance(src, list) and src else src
                    path = str(src or it["key"])
                    parts.append((t(str(it["key"])), "@" + path))
                    self.imp.warnings.append(f"{req.name}: form field {it['key']} uploads "
                                             f"the file {path}: put it beside the scenario")
                else:
                    parts.append((t(str(it["key"])), t(str(it.get("value") or ""))))
            req.body = Body("form", parts=parts)
        elif mode == "file" and isinstance(body.get("file"), dict) and body["file"].get("src"):
            req.body = Body("file", str(body["file"]["src"]))
            self.imp.warnings.append(f"{req.name}: the body is the file {body['file']['src']}: "
                                     "put it beside the scenario")
        elif mode == "graphql" and isinstance(body.get("graphql"), dict):
            g = body["graphql"]
            doc: dict[str, Any] = {"query": str(g.get("query", ""))}
            variables = g.get("variables")
            if isinstance(variables, str) and variables.strip():
                try:
                    doc["variables"] = json.loads(variables)
                except ValueError:
                    self.imp.warnings.append(f"{req.name}: GraphQL variables are not JSON; "
                                             "left out")
            req.body = Body("raw", t(json.dumps(doc)))
            if not has_type:
                req.headers.append(("Content-Type", "application/json"))

    def url(self, url: Any, at: str) -> str:
        if isinstance(url, str):
            return url
        if not isinstance(url, dict):
            raise ImportFailure(f"{self.file}: {at}/url must be a string or an object")
        if isinstance(url.get("raw"), str):
            return str(url["raw"])
        host = url.get("host", "")
        host = ".".join(map(str, host)) if isinstance(host, list) else str(host)
        path = url.get("path", "")
        path = "/".join(map(str, path)) if isinstance(path, list) else str(path)
        proto = f"{url['protocol']}://" if url.get("protocol") else ""
        port = f":{url['port']}" if url.get("port") else ""
        query = "&".join(f"{k}={v}" for k, v in _kv(url.get("query")))
        return f"{proto}{host}{port}/{path.lstrip('/')}" + (f"?{query}" if query else "")

    def scripts(self, events: Any, req: Request) -> None:
        for ev in events if isinstance(events, list) else []:
            if not isinstance(ev, dict) or not isinstance(ev.get("script"), dict):
                continue
            code = ev["script"].get("exec", [])
            lines = code.splitlines() if isinstance(code, str) else [str(x) for x in code]
            lines = [x for x in lines if x.strip()]
            if not lines:
                continue
            listen = str(ev.get("listen", "script"))
            req.comments.append(f"{listen} script (not run by httptool):")
            req.comments += [f"  {x}" for x in lines[:SCRIPT_LINES]]
            if len(lines) > SCRIPT_LINES:
                req.comments.append(f"  ... {len(lines) - SCRIPT_LINES} more lines")
            m = _STATUS_TEST.search("\n".join(lines)) if listen == "test" else None
            if m and req.status is None:
                req.status = int(m.group(1))
            self.imp.warnings.append(
                f"{req.name}: its {listen} script is not run (kept as a comment"
                + (f"; its status check is assert status == {req.status})" if m else ")"))

    def request(self, item: dict[str, Any], at: str, prefix: list[str],
                auth: Any) -> Request | None:
        spec = item["request"]
        if isinstance(spec, str):
            spec = {"url": spec, "method": "GET"}
        if not isinstance(spec, dict):
            raise ImportFailure(f"{self.file}: {at}/request must be an object or a URL string")
        title = str(item.get("name") or "request")
        name = self.names(identifier("_".join([*prefix, title]), "req"))
        method = str(spec.get("method") or "GET").upper()
        raw_url = self.url(spec.get("url", ""), at + "/request")
        if not raw_url.strip():
            self.imp.warnings.append(f"{title!r} skipped: it has no URL ({at}/request/url)")
            return None
        # Postman percent-encodes what a URL cannot hold as typed; curl needs it done
        raw_url = _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", raw_url.strip())
        req = Request(name, method, self.template(raw_url, name))
        if title != name:
            req.comments.append(title)
        desc = spec.get("description")
        if isinstance(desc, str) and desc.strip():
            req.comments.append(desc.strip().splitlines()[0][:100])
        req.headers = [(self.template(k, name), self.template(v, name))
                       for k, v in _kv(spec.get("header"))]
        self.body(spec.get("body"), req)
        self.auth(spec.get("auth", auth), req)
        self.scripts(item.get("event"), req)
        return req

    def walk(self, items: Any, at: str, prefix: list[str], auth: Any, section: str | None,
             events: list[Any]) -> None:
        if not isinstance(items, list):
            raise ImportFailure(f"{self.file}: {at} must be an array")
        for n, item in enumerate(items):
            where = f"{at}/{n}"
            if not isinstance(item, dict):
                raise ImportFailure(f"{self.file}: {where} must be an object")
            if "item" in item:
                name = str(item.get("name") or f"folder {n + 1}")
                self.scripts_of_folder(item.get("event"), name)
                self.walk(item["item"], where + "/item", [*prefix, name],
                          item.get("auth", auth),
                          " / ".join([*prefix, name]), events)
            elif "request" in item:
                req = self.request(item, where, prefix, auth)
                if req is None:
                    continue
                req.section, section = (section, None) if section else (None, None)
                self.imp.requests.append(req)
            else:
                raise ImportFailure(f"{self.file}: {where} has neither 'request' nor 'item'")

    def scripts_of_folder(self, events: Any, name: str) -> None:
        if any(isinstance(e, dict) and e.get("script") for e in events or []):
            self.imp.warnings.append(f"folder {name}: its scripts are not run")


def _version(doc: dict[str, Any], file: str, imp: Imported) -> str:
    if "info" not in doc and isinstance(doc.get("item"), list):
        imp.warnings.append("no /info/schema: read as a collection v2.1")
        return "v2.1"
    info = need(doc, "info", dict, file, "")
    schema = str(info.get("schema", ""))
    m = re.search(r"collection/(v\d+\.\d+)\.\d+", schema)
    if m is None and "_postman_id" not in info:
        raise ImportFailure(f"{file}: /info/schema is {schema!r}: not a Postman collection "
                            "v2.0 or v2.1")
    version = m.group(1) if m else "v2.1"
    if version not in ("v2.0", "v2.1"):
        raise ImportFailure(f"{file}: /info/schema is collection {version}; v2.0 and v2.1 are "
                            "supported (export the collection again as v2.1)")
    return version


def _environment(path: str) -> list[tuple[str, str]]:
    doc = load_json(path, read_text(path), "Postman environment")
    values = need(doc, "values", list, path, "")
    out = []
    for n, v in enumerate(values):
        if not isinstance(v, dict) or "key" not in v:
            raise ImportFailure(f"{path}: missing required field {pointer('values', n, 'key')}")
        if v.get("enabled", True):
            out.append((str(v["key"]), "" if v.get("value") is None else str(v["value"])))
    return out


def import_postman(file: str, opts: PostmanOptions) -> Imported:
    """Read a collection (and ``opts.environment``) and build the scenario."""
    doc = load_json(file, read_text(file), "Postman collection")
    if not isinstance(doc, dict):
        raise ImportFailure(f"{file}: not a Postman collection: the top level must be an object")
    if "requests" in doc and "info" not in doc:
        raise ImportFailure(f"{file}: a Postman collection v1 (top-level 'requests'); v2.0 and "
                            "v2.1 are supported (export the collection again as v2.1)")
    imp = Imported("postman", file, load="load 1 iterations with 1 vus")
    version = _version(doc, file, imp)
    items = need(doc, "item", list, file, "")
    col = _Collection(file, opts, imp)
    values = dict(_kv(doc.get("variable")))
    if opts.environment:
        values.update(_environment(opts.environment))
    for name in values:
        col.var(name)
    if any(isinstance(e, dict) and e.get("script") for e in doc.get("event") or []):
        imp.warnings.append("the collection's scripts are not run")
    col.walk(items, "/item", [], doc.get("auth"), None, [])
    if not imp.requests:
        raise ImportFailure(f"{file}: the collection has no request: nothing to write")
    _base(imp, opts.base_var)
    for name, value in values.items():
        imp.variables.append((col.var(name), col.template(value, f"variable {name}")))
    undefined = sorted(n for n in col.used if n not in values)
    for n in undefined:
        imp.warnings.append(f"{{{{{n}}}}} is used but defined neither in the collection nor in "
                            "an environment (set by a script?): define var "
                            f"{col.var(n)} or pass --environment")
    title = (doc.get("info") or {}).get("name", "")
    imp.notes.insert(0, f"collection {version} {title!r}: "
                        f"{len(imp.requests)} requests, {len(values)} variables")
    return imp


def _base(imp: Imported, base_var: str) -> None:
    """The most common literal origin as a variable (URLs built on ``{{baseUrl}}`` keep it)."""
    origins: dict[str, int] = {}
    for r in imp.requests:
        p = urlsplit(r.url)
        if p.scheme in ("http", "https") and p.netloc and "$" not in p.netloc:
            o = f"{p.scheme}://{p.netloc}"
            origins[o] = origins.get(o, 0) + 1
    if not origins:
        return
    base = max(origins, key=lambda o: origins[o])
    imp.variables.append((base_var, base))
    for r in imp.requests:
        if r.url.startswith(base) and r.url[len(base):len(base) + 1] in ("", "/", "?"):
            r.url = "${" + base_var + "}" + r.url[len(base):]
