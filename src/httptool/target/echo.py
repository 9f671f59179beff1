"""The httpbin-shaped echo of a request (``args``, ``headers``, ``origin``, ``url``, body)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import orjson
from aiohttp import BodyPartReader, web
from multidict import MultiDict, MultiMapping

REQUEST_ID = "X-Request-Id"

_title_cache: dict[str, str] = {}


def title_case(name: str) -> str:
    """``x-request-id`` -> ``X-Request-Id`` (cached: the same few names every request)."""
    t = _title_cache.get(name)
    if t is None:
        t = "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))
        if len(_title_cache) < 4096:
            _title_cache[name] = t
    return t


def json_response(
    obj: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """orjson-encoded JSON (aiohttp's json_response uses the slower stdlib encoder)."""
    return web.Response(
        body=orjson.dumps(obj), status=status, headers=headers, content_type="application/json"
    )


def request_id(request: web.Request) -> str:
    """The client's own X-Request-Id, else a fresh one (a gateway stamping request ids)."""
    return request.headers.get(REQUEST_ID) or str(uuid.uuid4())


def echo_headers(request: web.Request, rid: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in request.headers.items():
        t = title_case(k)
        out[t] = f"{out[t]},{v}" if t in out else v
    out[REQUEST_ID] = rid
    return out


def multi_to_dict(md: MultiMapping[Any]) -> dict[str, Any]:
    """One value per key, a list when a key repeats (httpbin's shape for args and form)."""
    out: dict[str, Any] = {}
    for k, v in md.items():
        if k in out:
            prev = out[k]
            if isinstance(prev, list):
                prev.append(v)
            else:
                out[k] = [prev, v]
        else:
            out[k] = v
    return out


def _as_text(raw: bytes, content_type: str) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        ctype = content_type or "application/octet-stream"
        return f"data:{ctype};base64,{base64.b64encode(raw).decode()}"


async def body_fields(request: web.Request) -> dict[str, Any]:
    """``data``/``json``/``form``/``files`` of the request body, decoded like httpbin."""
    form: dict[str, Any] = {}
    files: dict[str, Any] = {}
    data = ""
    parsed: Any = None
    ctype = request.content_type
    if ctype.startswith("multipart/"):
        reader = await request.multipart()
        fields: list[tuple[str, str]] = []
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):  # nested multipart: not decoded
                continue
            raw = await part.read(decode=True)
            name = part.name or ""
            text = _as_text(raw, part.headers.get("Content-Type", ""))
            if part.filename is not None:
                files[name] = text
            else:
                fields.append((name, text))
        form = multi_to_dict(MultiDict(fields))
    elif ctype == "application/x-www-form-urlencoded":
        form = multi_to_dict(await request.post())
    else:
        raw = await request.read()
        if raw:
            data = _as_text(raw, ctype)
            try:
                parsed = orjson.loads(raw)
            except orjson.JSONDecodeError:
                parsed = None
    return {"data": data, "files": files, "form": form, "json": parsed}


async def echo(request: web.Request, *, body: bool) -> web.Response:
    """The httpbin answer for /get, /post, /anything...; stamps X-Request-Id both ways."""
    rid = request_id(request)
    out: dict[str, Any] = {
        "args": multi_to_dict(request.query),
        "headers": echo_headers(request, rid),
        "method": request.method,
        "origin": request.remote or "",
        "url": str(request.url),
    }
    if body:
        out.update(await body_fields(request))
    return json_response(out, headers={REQUEST_ID: rid})
