"""``httptool exec 'curl ...'``: send one curl command once and show the answer.

A quick way to debug a request before it goes into a scenario. Output follows curl: the
body on stdout; with ``-i`` (ours or the curl command's) the status line and response
headers first; with ``-v`` the request and response heads on stderr as ``>``/``<`` lines.
A timing line always ends on stderr. Exit codes: 0 a response arrived (whatever its
status), 1 a transport error (with its reason), 2 a bad command (with its position).
"""

from __future__ import annotations

import os
import shlex
import sys

import click

from httptool.dsl.curl import CurlRequest, parse_curl
from httptool.dsl.diagnostics import Diagnostics
from httptool.engine.client import send
from httptool.engine.cookies import CookieJar
from httptool.engine.http import Response
from httptool.engine.interpolate import RenderError, Scope, render
from httptool.engine.loop import run
from httptool.engine.request import InvalidRequest, PreparedRequest, build_request, encode_body
from httptool.plan import MultipartBody, Ref, Template, TextBody
from httptool.report.units import plural
from httptool.secrets import mask_header_line

#: curl short flags that take an argument: a cluster stops at them (``-XPOST``).
_SHORT_WITH_ARG = set("XHdFbuAeomxEwD")


@click.command(
    "exec",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option("-i", "--include", is_flag=True, help="Print the status line and headers.")
@click.option("-v", "--verbose", is_flag=True, help="Print request and response heads to stderr.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_command(command: tuple[str, ...], include: bool, verbose: bool) -> None:
    """Run one curl command once and print the response and its timing.

    COMMAND is the curl command as one quoted argument or as the remaining words:

    \b
      httptool exec 'curl -s https://example.com/'
      httptool exec -i curl -X POST --json '{"a":1}' http://127.0.0.1:8080/post

    Only ${env.NAME} references can be used (there is no scenario to define others).
    """
    text = command[0] if len(command) == 1 else shlex.join(command)
    if not text.lstrip().startswith("curl"):
        text = "curl " + text
    flags = _tool_flags(text)
    include = include or "i" in flags
    verbose = verbose or "v" in flags
    req, cookies = _prepare(text)
    if verbose:
        for line in req.wire.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n"):
            click.echo(f"> {mask_header_line(line)}", err=True)
        click.echo(">", err=True)
    resp = run(send(req, keep_body=True, cookies=cookies, jar=CookieJar()))
    if resp.error is not None:
        click.echo(f"httptool: {resp.error.value}: {resp.reason}", err=True)
        click.echo(_timing(resp), err=True)
        sys.exit(1)
    head = [f"HTTP/{resp.http_version} {resp.status} {resp.reason_phrase}".rstrip()]
    head += [f"{k.decode('latin-1')}: {v.decode('latin-1')}" for k, v in resp.headers]
    if verbose:  # the -v dump is a log: masked (-i below is the response itself, as curl's)
        for line in head:
            click.echo(f"< {mask_header_line(line)}", err=True)
        click.echo("<", err=True)
    out = sys.stdout.buffer
    if include:
        out.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace"))
    out.write(resp.body or b"")
    out.flush()
    click.echo(_timing(resp), err=True)


def _prepare(text: str) -> tuple[PreparedRequest, str | None]:
    """Parse, check and render the command; exits 2 with a located message if it is bad."""
    diags = Diagnostics(file="<command>")
    cr = parse_curl(text, 1, 1, diags, base_dir=os.getcwd())
    if cr is not None:
        for ref in _refs(cr):
            if len(ref.path) != 2 or ref.path[0] != "env":
                diags.error(f"'${{{ref.text}}}' cannot be used here: exec runs one request "
                            "outside a scenario; only ${env.NAME} is available",
                            ref.line, ref.col)
    if cr is None or diags.has_errors:
        click.echo(diags.render(text), err=True)
        sys.exit(2)
    if diags.warnings:  # e.g. an ignored '| jq .': said, then the request is sent
        click.echo(diags.render(text), err=True)
    scope = Scope()
    try:
        url = render(cr.url, scope)
        headers = [(h.name, render(h.value, scope, header=True) if h.value.parts else None)
                   for h in cr.headers]
        body = encode_body(cr.body, lambda t: render(t, scope))
        auth = (render(cr.auth.user, scope), render(cr.auth.password, scope)) if cr.auth else None
        cookies = render(cr.cookies, scope, header=True) if cr.cookies is not None else None
        return build_request(cr.method, url, headers, body, cr.options, auth), cookies
    except RenderError as e:
        click.echo(f"<command>:{e.line}:{e.col}: error: {e}", err=True)
    except InvalidRequest as e:
        click.echo(f"<command>: error: {e}", err=True)
    sys.exit(2)


def _refs(cr: CurlRequest) -> list[Ref]:
    templates: list[Template | None] = [cr.url, cr.cookies]
    templates += [h.value for h in cr.headers]
    if cr.auth is not None:
        templates += [cr.auth.user, cr.auth.password]
    if isinstance(cr.body, TextBody):
        templates.append(cr.body.content)
    elif isinstance(cr.body, MultipartBody):
        templates += [p.value for p in cr.body.parts]
    return [r for t in templates if t is not None for r in t.refs]


def _tool_flags(text: str) -> set[str]:
    """Which of curl's -i/-v the command itself carries (they change what we print)."""
    try:
        words = shlex.split(text.replace("\\\n", " "))
    except ValueError:
        return set()
    found: set[str] = set()
    for w in words[1:]:
        if w in ("--include", "--verbose"):
            found.add(w[2])
        elif w.startswith("-") and not w.startswith("--"):
            for c in w[1:]:
                if c in _SHORT_WITH_ARG:
                    break
                if c in "iv":
                    found.add(c)
    return found


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f} ms"


def _timing(r: Response) -> str:
    parts = [f"total {_ms(r.total_ns)}"]
    if r.new_connection:
        parts.append(f"connect {_ms(r.connect_ns)}")
        if r.tls_ns:
            parts.append(f"TLS {_ms(r.tls_ns)}")
    if r.ttfb_ns:
        parts.append(f"first byte {_ms(r.ttfb_ns)}")
    parts.append(f"sent {r.bytes_sent} B, received {r.bytes_received} B")
    if r.redirects:
        parts.append(plural(r.redirects, "redirect"))
    return "* " + " · ".join(parts)
