"""OpenAPI 3.0/3.1 (JSON or YAML) and Swagger 2.0 -> an :class:`Imported`.

One request per operation, named by ``operationId`` (else method and path);
``servers[0]`` (Swagger: ``schemes``/``host``/``basePath``) as the base variable;
parameters from ``example``/``examples``/``default``/schema (a generated value when none);
JSON, url-encoded and multipart bodies generated from the schema
(:mod:`.schema_example`); security schemes as headers, query parameters or ``-u`` with
``${var}``s declared as placeholders. The scenario runs every GET operation once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from httptool.importers.model import Body, Imported, ImportFailure, Request
from httptool.importers.names import Unique, identifier, request_name
from httptool.importers.refs import RefError, deref
from httptool.importers.schema_example import Examples
from httptool.importers.source import load_json_or_yaml, need, pointer, read_text
from httptool.importers.writer import escape_template

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PLACEHOLDER = "change-me"
_SERVER_VAR = re.compile(r"\{([^{}]+)\}")
#: "no example given" (an example may itself be null)
_NONE = object()


@dataclass(slots=True)
class OpenApiOptions:
    base_var: str = "base"
    asserts: bool = True


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


class _Document:
    def __init__(self, file: str, doc: dict[str, Any], opts: OpenApiOptions,
                 imp: Imported) -> None:
        self.file, self.doc, self.opts, self.imp = file, doc, opts, imp
        self.swagger = "swagger" in doc
        self.examples = Examples(doc)
        self.names = Unique({opts.base_var})
        self.secret_vars: dict[str, str] = {}  # var -> what it is

    def deref(self, node: Any, at: str) -> Any:
        try:
            return deref(self.doc, node)[0]
        except RefError as e:
            self.imp.warnings.append(f"{at}: {e}")
            return {}

    def base_url(self) -> str:
        d = self.doc
        if self.swagger:
            scheme = (d.get("schemes") or ["https"])[0]
            host = d.get("host")
            if not host:
                self.imp.warnings.append("no /host: the base URL is http://localhost")
                return "http://localhost" + str(d.get("basePath", "")).rstrip("/")
            return f"{scheme}://{host}{str(d.get('basePath', '')).rstrip('/')}"
        servers = d.get("servers")
        if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
            self.imp.warnings.append("no /servers: the base URL is http://localhost")
            return "http://localhost"
        server = servers[0]
        url = str(server.get("url", ""))
        variables = server.get("variables") or {}

        def sub(m: re.Match[str]) -> str:
            v = variables.get(m.group(1)) or {}
            return str(v.get("default", (v.get("enum") or [m.group(1)])[0]))

        url = _SERVER_VAR.sub(sub, url).rstrip("/")
        if "://" not in url:
            self.imp.warnings.append(f"/servers/0/url is relative ({url or '/'}): the base URL "
                                     "is http://localhost" + url)
            url = "http://localhost" + url
        return url

    def explicit(self, p: dict[str, Any]) -> bool:
        """Whether the parameter itself gives a value (else one is generated)."""
        schema = self.deref(p.get("schema"), "schema") if "schema" in p else p
        if not isinstance(schema, dict):
            schema = {}
        return any(k in p for k in ("example", "examples")) or any(
            k in schema for k in ("example", "examples", "default", "enum"))

    def given_example(self, obj: dict[str, Any]) -> Any:
        """A parameter's or media type's own ``example``, else the value of its first
        ``examples`` entry, else :data:`_NONE` (then one is generated from the schema)."""
        if "example" in obj:
            return obj["example"]
        examples = obj.get("examples")
        if isinstance(examples, dict) and examples:
            first = self.deref(next(iter(examples.values())), "examples")
            if isinstance(first, dict) and "value" in first:
                return first["value"]
        return _NONE

    def param_value(self, p: dict[str, Any]) -> Any:
        if (given := self.given_example(p)) is not _NONE:
            return given
        if self.swagger and "schema" not in p:
            return self.examples.of({k: v for k, v in p.items() if k not in ("name", "in")})
        schema: Any = p.get("schema")
        if schema is None:
            content = p.get("content")
            first = next(iter(content.values()), None) if isinstance(content, dict) else None
            schema = first.get("schema", {}) if isinstance(first, dict) else {}
        return self.examples.of(schema)

    def parameters(self, path_item: dict[str, Any], op: dict[str, Any],
                   at: str) -> list[dict[str, Any]]:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for where, params in ((at.rsplit("/", 1)[0], path_item.get("parameters")),
                              (at, op.get("parameters"))):
            for n, raw in enumerate(params if isinstance(params, list) else []):
                p = self.deref(raw, f"{where}/parameters/{n}")
                if isinstance(p, dict) and "name" in p and "in" in p:
                    merged[(str(p["in"]), str(p["name"]))] = p
        return list(merged.values())

    def body(self, op: dict[str, Any], params: list[dict[str, Any]], req: Request,
             at: str) -> None:
        if self.swagger:
            body = next((p for p in params if p.get("in") == "body"), None)
            form = [p for p in params if p.get("in") == "formData"]
            if body is not None:
                self.json_body(self.examples.of(body.get("schema", {})), req)
            elif form:
                multipart = "multipart/form-data" in (op.get("consumes")
                                                      or self.doc.get("consumes") or [])
                fields = {str(p["name"]): (self.param_value(p), p.get("type") == "file")
                          for p in form if p.get("required") or len(form) <= 8}
                self.form_body(fields, multipart, req)
            return
        rb = self.deref(op.get("requestBody"), at + "/requestBody")
        content = rb.get("content") if isinstance(rb, dict) else None
        if not isinstance(content, dict) or not content:
            return
        types = list(content)
        chosen = next((t for t in types if "json" in t), None) or next(
            (t for t in types if t in ("application/x-www-form-urlencoded",
                                       "multipart/form-data")), None)
        if chosen is None:
            self.imp.warnings.append(f"{req.name}: request body type {types[0]} is not "
                                     "generated; the request is written without a body")
            return
        media = content[chosen] if isinstance(content[chosen], dict) else {}
        value = self.media_example(media)
        if "json" in chosen:
            self.json_body(value, req, None if chosen == "application/json" else chosen)
            return
        schema = self.deref(media.get("schema", {}), at)
        props = (schema.get("properties") or {}) if isinstance(schema, dict) else {}
        fields = {}
        for k, v in (value.items() if isinstance(value, dict) else []):
            prop = self.deref(props.get(k, {}), at)
            binary = isinstance(prop, dict) and prop.get("format") == "binary"
            fields[str(k)] = (v, binary)
        self.form_body(fields, chosen == "multipart/form-data", req)

    def media_example(self, media: dict[str, Any]) -> Any:
        if (given := self.given_example(media)) is not _NONE:
            return given
        return self.examples.of(media.get("schema", {}))

    def json_body(self, value: Any, req: Request, ctype: str | None = None) -> None:
        req.headers.append(("Content-Type", ctype or "application/json"))
        req.body = Body("raw", escape_template(json.dumps(value, ensure_ascii=False)))

    def form_body(self, fields: dict[str, tuple[Any, bool]], multipart: bool,
                  req: Request) -> None:
        if multipart:
            parts = []
            for k, (v, binary) in fields.items():
                if binary:
                    parts.append((k, f"@{k}.bin"))
                    self.imp.warnings.append(f"{req.name}: form field {k} is a file: put "
                                             f"{k}.bin beside the scenario")
                else:
                    parts.append((k, escape_template(_scalar(v))))
            req.body = Body("form", parts=parts)
        else:
            req.body = Body("urlencode", parts=[(k, escape_template(_scalar(v)))
                                                for k, (v, _) in fields.items()])

    def schemes(self) -> dict[str, Any]:
        if self.swagger:
            found = self.doc.get("securityDefinitions") or {}
        else:
            found = (self.doc.get("components") or {}).get("securitySchemes") or {}
        return found if isinstance(found, dict) else {}

    def secret(self, name: str, what: str) -> str:
        var = identifier(name, "secret")
        if var not in self.secret_vars:
            self.secret_vars[var] = what
        return "${" + var + "}"

    def security(self, op: dict[str, Any], req: Request) -> None:
        reqs = op.get("security", self.doc.get("security"))
        if not isinstance(reqs, list) or not reqs or not isinstance(reqs[0], dict):
            return
        schemes = self.schemes()
        for name in reqs[0]:
            s = self.deref(schemes.get(name), f"security scheme {name}")
            if not isinstance(s, dict):
                continue
            kind = str(s.get("type", ""))
            scheme = str(s.get("scheme", "")).lower()
            if (kind == "http" and scheme == "basic") or kind == "basic":
                req.user = f"{self.secret('username', 'user name')}:" \
                           f"{self.secret('password', 'password')}"
            elif kind == "http" or kind in ("oauth2", "openIdConnect"):
                var = "token" if kind == "http" else "access_token"
                req.headers.append(("Authorization", f"Bearer {self.secret(var, name)}"))
            elif kind == "apiKey":
                key = str(s.get("name", "X-API-Key"))
                ref = self.secret(key, f"API key of {name}")
                where = s.get("in", "header")
                if where == "query":
                    req.url += ("&" if "?" in req.url else "?") + f"{quote(key)}={ref}"
                elif where == "cookie":
                    req.cookies = f"{key}={ref}"
                else:
                    req.headers.append((key, ref))

    def operation(self, path: str, method: str, path_item: dict[str, Any],
                  op: dict[str, Any], at: str) -> Request:
        op_id = op.get("operationId")
        name = self.names(identifier(str(op_id)) if op_id else request_name(method, path))
        params = self.parameters(path_item, op, at)
        url_path, query, headers, cookies = path, [], [], []
        for p in params:
            value = self.param_value(p)
            where = p["in"]
            if where == "path":
                url_path = url_path.replace("{" + str(p["name"]) + "}",
                                            quote(_scalar(value), safe=""))
            elif where == "query" and (p.get("required") or self.explicit(p)):
                items = value if isinstance(value, list) else [value]
                query += [f"{quote(str(p['name']))}={quote(_scalar(v), safe='')}" for v in items]
            elif where == "header" and (p.get("required") or self.explicit(p)):
                headers.append((str(p["name"]), escape_template(_scalar(value))))
            elif where == "cookie" and p.get("required"):
                cookies.append(f"{p['name']}={_scalar(value)}")
        url = "${" + self.opts.base_var + "}" + escape_template(url_path)
        if query:
            url += "?" + "&".join(query)
        req = Request(name, method.upper(), url, headers=headers)
        if cookies:
            req.cookies = escape_template("; ".join(cookies))
        summary = op.get("summary") or op.get("description")
        req.comments.append(f"{method.upper()} {path}" + (
            f": {str(summary).strip().splitlines()[0][:90]}" if summary else ""))
        self.body(op, params, req, at)
        self.security(op, req)
        if self.opts.asserts:
            codes = sorted(str(c) for c in (op.get("responses") or {}))
            ok = next((c for c in codes if c.isdigit() and c.startswith("2")), None)
            req.status = int(ok) if ok else None
        return req


def _check(doc: Any, file: str) -> str:
    if not isinstance(doc, dict):
        raise ImportFailure(f"{file}: not an OpenAPI document: the top level must be an object")
    if "swagger" in doc:
        if str(doc["swagger"]) != "2.0":
            raise ImportFailure(f"{file}: /swagger is {doc['swagger']!r}; Swagger 2.0 and "
                                "OpenAPI 3.0/3.1 are supported")
        need(doc, "paths", dict, file, "")
        return "Swagger 2.0"
    version = str(need(doc, "openapi", str, file, ""))
    if not re.match(r"3\.[01]\.", version + "."):
        raise ImportFailure(f"{file}: /openapi is {version!r}; OpenAPI 3.0 and 3.1 (and "
                            "Swagger 2.0) are supported")
    if version.startswith("3.0"):
        need(doc, "paths", dict, file, "")
    return f"OpenAPI {version}"


def import_openapi(file: str, opts: OpenApiOptions) -> Imported:
    """Read an OpenAPI/Swagger document and build the scenario."""
    doc = load_json_or_yaml(file, read_text(file), "OpenAPI")
    version = _check(doc, file)
    imp = Imported("openapi", file, load="load 1 iterations with 1 vus")
    d = _Document(file, doc, opts, imp)
    imp.variables.append((opts.base_var, d.base_url()))
    paths = doc.get("paths") or {}
    for path, raw_item in paths.items():
        at = pointer("paths", str(path))
        item = d.deref(raw_item, at)
        if not isinstance(item, dict):
            raise ImportFailure(f"{file}: {at} must be an object")
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            if not isinstance(op, dict):
                raise ImportFailure(f"{file}: {at}/{method} must be an object")
            imp.requests.append(d.operation(str(path), method, item, op, f"{at}/{method}"))
    for var, what in d.secret_vars.items():
        imp.variables.append((var, PLACEHOLDER))
        imp.warnings.append(f"var {var} is a placeholder for the {what}: set it before a run")
    imp.warnings += sorted(set(d.examples.problems))
    if not imp.requests:
        raise ImportFailure(f"{file}: no operations under /paths (webhooks and callbacks are "
                            "not imported): nothing to write")
    imp.flow = [r.name for r in imp.requests if r.method == "GET"]
    runs = f"the {len(imp.flow)} GET ones"
    if not imp.flow:  # a scenario must run something: then every operation, in order
        imp.flow, runs = [r.name for r in imp.requests], "all of them (there is no GET)"
    title = str((doc.get("info") or {}).get("title", ""))
    imp.notes.insert(0, f"{version} {title!r}: {len(imp.requests)} operations, the scenario "
                        f"runs {runs}")
    return imp
