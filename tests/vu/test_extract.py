"""Extraction from real responses: every source, typed values, and the JSON body parsed
at most once per response however many extractions and assertions read it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from httptool.engine import checks as checks_mod
from vu.helpers import checks, run_text, vu_text


def test_every_source(target: Any) -> None:
    text = r"""
request posts { curl http://vu.test/posts?userId=2
  extract {
    whole = $
    first_id = $[0].id
    ids = $[*].id
    titles = $..title
    last = $[-1]
    status_code = status
    ctype = header:content-type
    raw = body
    first_num = regex:"\"id\": *(\\d+)"
    whole_match = regex:userId
  } }
request echo { curl http://vu.test/anything -H 'X-Request-Id: abc-123' \
  --json '{"items":[{"id":7},{"id":8}],"n":1.5,"ok":false}'
  extract {
    rid = $.headers.X-Request-Id
    rid_header = header:x-request-id
    item_ids = $.json.items[*].id
    n = $.json.n
    ok = $.json.ok
  } }
request cookie { curl http://vu.test/cookies/set/sid/s-42
  extract { sid = cookie:sid } }
scenario s { run posts -> echo -> cookie }
"""
    run = vu_text(target, text)
    x = run.extracted()
    whole = x["whole"]
    assert isinstance(whole, list) and len(whole) == 10 and whole[0]["userId"] == 2
    assert x["first_id"] == whole[0]["id"] == 11 and isinstance(x["first_id"], int)
    assert x["ids"] == list(range(11, 21))
    assert x["titles"] == [p["title"] for p in whole]
    assert x["last"] == whole[-1]
    assert x["status_code"] == 200
    assert x["ctype"].startswith("application/json")
    assert orjson.loads(x["raw"]) == whole
    assert x["first_num"] == "11"  # a regex capture is text
    assert x["whole_match"] == "userId"  # no group: the whole match
    assert x["rid"] == x["rid_header"] == "abc-123"
    assert x["item_ids"] == [7, 8]
    assert x["n"] == 1.5 and x["ok"] is False
    assert x["sid"] == "s-42"
    assert not any(st.failures for st in run.recorder.requests.values())


class _CountingOrjson:
    """Stands in for the ``orjson`` module inside engine/checks.py and counts parses."""

    JSONDecodeError = orjson.JSONDecodeError
    dumps = staticmethod(orjson.dumps)

    def __init__(self) -> None:
        self.loads_calls = 0

    def loads(self, data: Any) -> Any:
        self.loads_calls += 1
        return orjson.loads(data)


def test_json_body_is_parsed_once_per_response(target: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _CountingOrjson()
    monkeypatch.setattr(checks_mod, "orjson", counting)
    text = """
request a { curl http://vu.test/users/1
  extract { id = $.id
            city = $.address.city
            name = $.name
            all = $ }
  assert { $.id == 1
           body.address.geo.lat exists
           $.company.name.length > 0
           status == 200 } }
request plain { curl http://vu.test/users/2
  assert { status == 200 } }
scenario s { load 3 iterations with 1 vus
  run a -> plain }
"""
    run = vu_text(target, text, iterations=3)
    assert run.extracted()["id"] == 1
    # three responses of "a" each parsed once; "plain" needs no JSON and is not parsed
    assert counting.loads_calls == 3
    assert all(c.failed == 0 for c in run.recorder.checks.values())


def test_extracted_values_stay_with_the_vu_across_iterations(target: Any) -> None:
    text = """
request first { curl http://vu.test/anything?v=from-${ITER}
  extract { v = $.args.v } }
request later { curl http://vu.test/anything?seen=${v}
  assert { $.args.seen == "from-1" } }
scenario s { load 3 iterations with 1 vus
  if ${ITER} == 1 { run first }
  run later }
"""
    out = run_text(target, text)
    assert checks(out) == {'later $.args.seen == "from-1"': (3, 0)}
