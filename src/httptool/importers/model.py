"""The importers' common shape: requests as curl would send them, before rendering."""

from __future__ import annotations

from dataclasses import dataclass, field

from httptool.errors import HttptoolError


class ImportFailure(HttptoolError):
    """An input file the importer cannot use; the message names the file and, where it
    can, the JSON pointer (or line:col) of the culprit."""


@dataclass(slots=True)
class Body:
    """A request body: ``kind`` is ``raw`` (``--data-raw`` text), ``form`` (``-F`` parts,
    each ``name=value`` or ``name=@path``), ``urlencode`` (``--data-urlencode`` parts) or
    ``file`` (``--data-binary @path``)."""

    kind: str
    text: str = ""
    parts: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Request:
    """One named request of the scenario to write."""

    name: str
    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Body | None = None
    compressed: bool = False
    user: str | None = None  # ``-u user:password``
    cookies: str | None = None  # ``-b`` pairs kept literally
    extracts: list[tuple[str, str]] = field(default_factory=list)  # (var, source text)
    status: int | None = None  # ``assert status == N``
    comments: list[str] = field(default_factory=list)
    section: str | None = None  # a folder: a comment heading above the request
    think_after_ms: int = 0


@dataclass(slots=True)
class Imported:
    """What one importer produced: vars, requests in flow order, and what it reports."""

    source: str  # "har", "postman", "openapi"
    file: str
    variables: list[tuple[str, str]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    flow: list[str] | None = None  # request names the scenario runs (None: all)
    scenario: str = "imported"
    #: closed model by default, so --vus/--duration scale it; OpenAPI runs each GET once
    load: str = "load 1 vus for 30s"
    notes: list[str] = field(default_factory=list)  # what it did
    warnings: list[str] = field(default_factory=list)
    binary_files: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes
