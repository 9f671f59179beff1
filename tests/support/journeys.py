"""Scenario pieces several tests run: kept here so each test says only what it adds."""

from __future__ import annotations

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
