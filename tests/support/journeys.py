"""Scenario pieces several tests run: kept here so each test says only what it adds."""

from __future__ import annotations

#: ``login`` (a form POST) -> ``home`` (a GET), both asserting 200, against ``${env.BASE}``:
#: the journey of compare's end-to-end tests and of bench/compare_noise.py, whose noise
#: figures chose those tests' gates; a %-template (``vus``, ``duration``), see :func:`shop`
SHOP = """\
var base = "${env.BASE}"
request login {
  curl -X POST ${base}/post -d 'user=alice'
  assert { status == 200 }
}
request home {
  curl ${base}/get
  assert { status == 200 }
}
scenario shop {
  load { vus = %(vus)d  duration = %(duration)s }
  run login -> home
}
"""


def shop(vus: int, duration: str) -> str:
    """:data:`SHOP` at ``vus`` VUs for ``duration`` (e.g. ``1s``)."""
    return SHOP % {"vus": vus, "duration": duration}


#: ``login`` as ``user-${VU}`` (its token extracted) and ``me`` sent with that token, both
#: asserting 200, against ``${base}``; a piece of a ``str.format`` template (braces doubled)
LOGIN_ME = """\
request login {{
  curl -X POST ${{base}}/login -H 'Content-Type: application/json' \\
    -d '{{"username":"user-${{VU}}","password":"secret"}}'
  extract {{ token = $.token }}
  assert {{ status == 200 }}
}}
request me {{
  curl ${{base}}/me -H "Authorization: Bearer ${{token}}"
  assert {{ status == 200 }}
}}
"""
