"""``httptool exec 'curl ...'``: send one curl command once and print what curl prints.

A quick way to debug a request before it goes into a scenario, and a stand-in for curl in
a shell script. Output follows curl's output options: the body on stdout (or ``-o FILE``);
``-i`` puts the response head first, ``-I`` (a HEAD) prints the head alone, ``-D FILE``
writes the head to a file; ``-f`` prints no body for a status of 400 or more and exits 22
(``--fail-with-body`` prints it and exits 22); ``-w FORMAT`` prints curl's variables at the
end; ``-v`` shows the request head (with its Cookie line) and the response head on
stderr as ``>``/``<`` lines, secrets masked. A timing line ends on stderr unless ``-s``.
Exit codes: 0 a response arrived, 22 with ``-f`` on a status of 400 or more, curl's own code
for a transport error (6 DNS, 7 connect, 28 timeout, 35/60 TLS, 52 empty reply, ...), 2 a
bad command (with its position).
"""
from __future__ import annotations

import os
import shlex
import sys
import time
from dataclasses import dataclass
from typing import NoReturn

import click

from httptool.cli.writeout import Transfer, write_out
from httptool.dsl.curl import CurlRequest, parse_curl
from httptool.dsl.diagnostics import Diagnostics
from httptool.engine.client import send
from httptool.engine.cookies import CookieJar
from httptool.engine.errors import TIMEOUT_KINDS, ErrorKind
from httptool.engine.http import Response
from httptool.engine.interpolate import RenderError, Scope, render
from httptool.engine.loop import run
from httptool.engine.request import InvalidRequest, PreparedRequest, build_request, encode_body
from httptool.plan import MultipartBody, Ref, RetrySpec, Template, TextBody
from httptool.report.units import plural
from httptool.secrets import mask_header_line
from httptool.wiretext import to_wire


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
      httptool exec 'curl -sf -o out.json -w "%{http_code} %{time_total}\\n" URL'

    Prints what curl prints for -i, -I, -D, -o, -f, --fail-with-body, -w, -s, -S
    and -v; --retry N retries as curl does. Exit codes:
    0 a response, 22 with -f on a status of 400 or more, curl's code for a transport
    error (7 connect, 28 timeout, ...), 2 a bad command. Only ${env.NAME}
    references can be used (there is no scenario to define others).
    """
    text = command[0] if len(command) == 1 else shlex.join(command)
    if not text.lstrip().startswith("curl"):
        text = "curl " + text
    req, cookies, cr = _prepare(text)
    out = Outputs.of(cr.outputs, include=include, verbose=verbose)
    resp = run(send(req, keep_body=True, cookies=cookies, jar=CookieJar()))
    if out.verbose:  # after the send: the request line names the protocol ALPN chose
        lines = _request_head(req, cookies).decode("latin-1").split("\r\n")
        if resp.protocol == "h2":
            lines[0] = lines[0].rsplit(" ", 1)[0] + " HTTP/2"
        for line in lines:
            click.echo(f"> {mask_header_line(line)}", err=True)
        click.echo(">", err=True)
    if cr.retry is not None:
        resp = _retried(cr.retry, resp, req, cookies, out)
    if resp.error is not None:
        if resp.error == ErrorKind.CLOSED and resp.body:  # curl has written what came
            _emit(out, resp, _head_bytes(resp.raw_head))
        if out.errors:
            click.echo(f"httptool: {resp.error.value}: {resp.reason}", err=True)
        _finish(out, resp, req, cookies, b"", curl_exit_code(resp), resp.reason)
    head = _head_bytes(resp.raw_head)
    if out.verbose:  # the -v dump is a log: masked (-i below is the response itself, as curl's)
        click.echo(f"* using {'HTTP/2' if resp.protocol == 'h2' else 'HTTP/1.1'} "
                   f"({resp.protocol})", err=True)
        for line in head.decode("latin-1").split("\r\n")[:-2]:
            click.echo(f"< {mask_header_line(line)}", err=True)
        click.echo("<", err=True)
    failed = _emit(out, resp, head)
    code, msg = (22, f"The requested URL returned error: {resp.status}") if failed else (0, "")
    if failed and out.errors:
        click.echo(f"httptool: (22) {msg}", err=True)
    _finish(out, resp, req, cookies, head, code, msg)


@dataclass(slots=True)
class Outputs:
    """curl's output options of the command (and exec's own -i/-v)."""

    include: bool = False
    head_only: bool = False  # -I
    verbose: bool = False
    silent: bool = False
    show_error: bool = False
    fail: bool = False
    fail_with_body: bool = False
    output: str | None = None  # -o FILE ("-": stdout)
    dump_header: str | None = None  # -D FILE
    write_out: str | None = None  # -w FORMAT

    @property
    def errors(self) -> bool:
        """Whether error messages are printed (curl: not with -s, unless -S)."""
        return not self.silent or self.show_error

    @classmethod
    def of(cls, given: tuple[tuple[str, str | None], ...], include: bool,
           verbose: bool) -> Outputs:
        o = cls(include=include, verbose=verbose)
        for name, arg in given:
            if name in ("include", "verbose", "silent", "head"):
                setattr(o, {"head": "head_only"}.get(name, name), True)
            elif name == "show-error":
                o.show_error = True
            elif name in ("fail", "fail-with-body"):
                o.fail = True
                o.fail_with_body = o.fail_with_body or name == "fail-with-body"
            elif name == "output":
                o.output = arg
            elif name == "dump-header":
                o.dump_header = arg
            elif name == "write-out":
                o.write_out = arg
        return o


def _finish(out: Outputs, resp: Response, req: PreparedRequest, cookies: str | None,
            head: bytes, code: int, msg: str) -> NoReturn:
    """The -w line, the timing line, and the exit."""
    if out.write_out is not None:
        fmt = out.write_out
        if fmt.startswith("@"):
            try:
                with open(fmt[1:], encoding="utf-8") as f:
                    fmt = f.read()
            except OSError as e:
                click.echo(f"httptool: cannot read the -w file: {e.strerror}", err=True)
                fmt = ""
        t = Transfer(resp, len(_request_head(req, cookies)) + len(req.body), len(req.body),
                     len(head), code, msg)
        _write("-", to_wire(write_out(fmt, t, lambda m: click.echo(f"httptool: {m}",
                                                                    err=True))), append=True)
    if not out.silent:
        click.echo(_timing(resp), err=True)
    sys.exit(code)


def _write(dest: str, data: bytes, append: bool) -> None:
    if dest == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        with open(dest, "ab" if append else "wb") as f:
            f.write(data)
    except OSError as e:
        click.echo(f"httptool: (23) cannot write {dest}: {e.strerror}", err=True)
        sys.exit(23)  # curl's "write error"


#: curl's exit code for a transport error (curl's man page, EXIT CODES)
_CURL_EXIT = {
    ErrorKind.DNS: 6, ErrorKind.REFUSED: 7, ErrorKind.CONNECT: 7, ErrorKind.TIMEOUT: 28,
    ErrorKind.CONNECT_TIMEOUT: 28, ErrorKind.RESET: 56, ErrorKind.PROXY: 56,
    ErrorKind.REDIRECTS: 47, ErrorKind.INVALID: 3,
}


def curl_exit_code(resp: Response) -> int:
    """The code curl exits with for ``resp``'s transport error, so a script that tests
    ``$?`` (28 for a timeout, 7 for a refused connection) works with exec too."""
    kind, why = resp.error, resp.reason
    if kind == ErrorKind.CLOSED:
        return 52 if "before response" in why else 18 if "mid-response" in why else 56
    if kind == ErrorKind.TLS:
        return 60 if "verification failed" in why else 35
    if kind == ErrorKind.MALFORMED:
        return 1 if "bad status line" in why else 61 if " body:" in why else (
            56 if "bad chunk" in why else 8)
    return _CURL_EXIT.get(kind, 1) if kind is not None else 0


def _emit(out: Outputs, resp: Response, head: bytes) -> bool:
    """Write the response where the output options say; True when ``-f`` fails it."""
    failed = out.fail and resp.status >= 400
    if out.dump_header is not None:
        _write(out.dump_header, head, append=False)
    dest = out.output or "-"
    first = True
    if out.include or out.head_only:
        _write(dest, head, append=False)
        first = False
    if not out.head_only and not (failed and not out.fail_with_body):
        _write(dest, resp.body or b"", append=not first)
    return failed


def _retried(spec: RetrySpec, resp: Response, req: PreparedRequest, cookies: str | None,
             out: Outputs) -> Response:
    """curl's ``--retry N``: up to N more attempts while the failure is one it retries
    (the ``on`` list of the retry block it maps to; any failure for ``--retry-all-errors``),
    waiting as curl does between them."""
    attempt = 1
    while attempt < spec.max_attempts:
        timeout = resp.error in TIMEOUT_KINDS
        if spec.on:
            again = resp.status in spec.on or (timeout and "timeout" in spec.on) or (
                resp.error is not None and "error" in spec.on)
        else:
            again = resp.error is not None or resp.status >= 400
        if not again:
            break
        if resp.error is None:  # curl has written this attempt's output already
            _emit(out, resp, _head_bytes(resp.raw_head))
        delay = spec.base_delay if spec.backoff == "constant" else min(
            spec.max_delay, spec.base_delay * 2 ** (attempt - 1))
        if out.errors:
            left = spec.max_attempts - attempt
            click.echo(f"httptool: will retry in {delay:g} s, {left} left", err=True)
        time.sleep(delay)
        resp = run(send(req, keep_body=True, cookies=cookies, jar=CookieJar()))
        attempt += 1
    return resp


def _request_head(req: PreparedRequest, cookies: str | None) -> bytes:
    """The request head as sent, with the Cookie line the pool adds (a fresh jar has no
    cookies, so it is the -b one)."""
    head = req.head
    if cookies and not req.has_cookie_header:
        head += b"Cookie: " + cookies.encode("latin-1", "replace") + b"\r\n"
    return head + b"\r\n"


def _head_bytes(raw: bytes) -> bytes:
    """The response head(s) as received, up to the end of the final one (a 100 Continue
    before it is printed too, as curl does)."""
    pos = 0
    while True:
        end = raw.find(b"\r\n\r\n", pos)
        if end < 0:
            return raw
        code = raw[pos + 9 : pos + 12]
        if code[:1] == b"1" and code != b"101" and end + 4 < len(raw):
            pos = end + 4
            continue
        return raw[: end + 4]


def _prepare(text: str) -> tuple[PreparedRequest, str | None, CurlRequest]:
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
        return build_request(cr.method, url, headers, body, cr.options, auth), cookies, cr
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
