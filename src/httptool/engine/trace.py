"""``--trace``: a W3C Trace Context ``traceparent`` header on every request.

Why a fresh trace per request, sampled: each request is the root of its own trace, so a
slow one found in the results (its trace id is in the NDJSON/CSV rows and in the slowest
requests of the summary) can be looked up in Tempo or Jaeger as it is, and the sampled
flag asks the server's tracing to keep it. Only runs with ``--trace`` call this module;
the hot path of the others pays one attribute test.
"""

from __future__ import annotations

import os
from dataclasses import replace

from httptool.engine.request import PreparedRequest


def new_ids() -> tuple[str, str]:
    """A random (trace id, parent span id), 32 and 16 lower-case hex digits, never all
    zeros (invalid in W3C Trace Context). From os.urandom (~0.5 us): a generator in the
    module would be copied, state and all, into every forked worker process."""
    raw = os.urandom(24).hex()
    trace_id, span_id = raw[:32], raw[32:]
    return (trace_id if trace_id.strip("0") else "1".zfill(32),
            span_id if span_id.strip("0") else "1".zfill(16))


def traceparent(trace_id: str, span_id: str) -> str:
    """Version 00, sampled (flags 01)."""
    return f"00-{trace_id}-{span_id}-01"


def with_trace(req: PreparedRequest) -> tuple[PreparedRequest, str]:
    """``req`` with a new ``traceparent`` header, and its trace id; a request that sets
    ``traceparent`` itself is sent as written (trace id "")."""
    if any(name.lower() == "traceparent" for name, _ in req.headers):
        return req, ""
    trace_id, span_id = new_ids()
    value = traceparent(trace_id, span_id)
    head = req.head + b"traceparent: " + value.encode("ascii") + b"\r\n"
    return replace(req, headers=(*req.headers, ("traceparent", value)), head=head,
                   wire=head + req.tail), trace_id
