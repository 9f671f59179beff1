"""Secret masking: the one rule every output uses (dry run, ``--verbose``, ``exec -v``,
NDJSON/CSV, JSON summary, JUnit, HTML, assertion failure reasons).

Neutral like :mod:`httptool.plan`: the language, the engine, the reports and the command
line all import it, so a secret is hidden the same way wherever it is shown.

The rule (docs/outputs.md, "Secrets"):

* a **secret header** is ``Authorization``, ``Proxy-Authorization``, ``Cookie``,
  ``Set-Cookie``, or any header whose name has a secret word (``X-Api-Key``,
  ``X-Auth-Token``);
* ``Authorization: <scheme> <credentials>`` keeps a *registered* scheme word only
  (``Bearer ****``, ``Basic ****``); anything else is ``****`` whole, since a first word
  that is not a scheme may be the secret itself;
* cookies keep their names (``sid=****; theme=****``); ``Set-Cookie`` keeps its name and
  attributes (``sid=****; Path=/; HttpOnly``);
* URLs keep the user and hide the password (``https://ann:****@host/``) and hide the
  values of query parameters with a secret name (``?api_key=****&page=2``);
* JSON and form bodies hide the values of fields with a secret name.

A name is secret when one of its words (split at ``-``, ``_``, ``.``, spaces and
camelCase) is a secret word (``token``, ``password``, ``secret``, ``auth``, ...) or two
adjacent words make one (``api key``, ``private key``): ``access_token``, ``apiKey``,
``X-Api-Key`` and ``user.password`` are secret; ``author``, ``keyboard`` and ``monkey``
are not.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import unquote_plus

__all__ = [
    "MASK",
    "SECRET_HEADERS",
    "is_secret_header",
    "is_secret_name",
    "is_secret_subject",
    "mask_body",
    "mask_cookies",
    "mask_header",
    "mask_header_line",
    "mask_set_cookie",
    "mask_url",
]

MASK = "****"

#: Header names that are secret by definition (other names are secret by their words).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

#: Words that make a name secret on their own.
_SECRET_WORDS = frozenset({
    "apikey", "auth", "authorization", "cookie", "credential", "credentials", "jwt",
    "passphrase", "passwd", "password", "pwd", "secret", "session", "sessionid", "sid",
    "signature", "token",
})
#: Adjacent word pairs that make a name secret (``api_key``, ``privateKey``).
_SECRET_PAIRS = frozenset({("api", "key"), ("access", "key"), ("private", "key"),
                           ("secret", "key"), ("client", "secret")})
#: Registered HTTP authentication schemes (IANA), kept in front of the mask.
_AUTH_SCHEMES = frozenset({
    "basic", "bearer", "digest", "hoba", "mutual", "negotiate", "ntlm", "oauth",
    "scram-sha-1", "scram-sha-256", "vapid", "aws4-hmac-sha256", "token",
})

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
#: A cheap first test for a URL's query: only a query with one of these is split. Run on
#: the lower-cased text and factored by first letter: 0.2 us, where the same words as a
#: case-blind alternation took 4 us (it runs per request while an output records).
_HINTS = re.compile(
    r"t(?:oken)|p(?:ass|wd)|s(?:ecret|ession|id|ig)|auth|key|jwt|c(?:ookie|redential)")


def _maybe_secret(query: str) -> bool:
    return _HINTS.search(query.lower()) is not None


def is_secret_name(name: str) -> bool:
    """True for ``access_token``, ``apiKey``, ``X-Api-Key``, ``password``; not for
    ``author`` or ``keyboard`` (whole words only)."""
    words = [w.lower() for w in _WORD.findall(name)]
    if any(w in _SECRET_WORDS for w in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


def is_secret_header(name: str) -> bool:
    """A header whose value is never shown as sent."""
    return name.lower() in SECRET_HEADERS or is_secret_name(name)


def is_secret_subject(subject: str, arg: str, length: bool = False) -> bool:
    """Whether an assertion's subject holds a secret, so that its failure reason and its
    text (summary, reports) show ``****`` instead of the value: any cookie, a secret
    header, a JSON member with a secret name (``$.headers.Authorization``,
    ``$.access_token``). A length (``length(cookie.sid) == 32``) is no secret."""
    if length:
        return False
    if subject == "cookie":
        return True
    if subject == "header":
        return is_secret_header(arg)
    return subject == "json" and is_secret_header(_last_member(arg))


def _last_member(path: str) -> str:
    """The last member name of a JSONPath (``$.headers['Set-Cookie']`` -> ``Set-Cookie``);
    "" when it ends in an index or a wildcard."""
    names = re.findall(r"[A-Za-z_][\w-]*", path.rsplit("[", 1)[-1] if path.endswith("]")
                       else path.rsplit(".", 1)[-1])
    return names[-1] if names else ""


def mask_cookies(text: str) -> str:
    """``sid=abc; theme=dark`` -> ``sid=****; theme=****``: the names help debugging, the
    values are the secret."""
    parts = []
    for c in text.split(";"):
        name, eq, _ = c.strip().partition("=")
        parts.append(f"{name}={MASK}" if eq else MASK)
    return "; ".join(p for p in parts if p)


def mask_set_cookie(value: str) -> str:
    """``sid=abc; Path=/; HttpOnly`` -> ``sid=****; Path=/; HttpOnly``: the cookie's value
    only; its name and attributes help."""
    cookie, semi, attrs = value.partition(";")
    name, eq, _ = cookie.partition("=")
    return (f"{name.strip()}={MASK}" if eq else MASK) + semi + attrs


def mask_header(name: str, value: str) -> str:
    """The value to show for a header (unchanged unless it is a secret header)."""
    low = name.lower()
    if low == "cookie":
        return mask_cookies(value)
    if low == "set-cookie":
        return mask_set_cookie(value)
    if not is_secret_header(name):
        return value
    scheme, sep, rest = value.strip().partition(" ")
    if sep and rest.strip() and scheme.lower() in _AUTH_SCHEMES:
        return f"{scheme} {MASK}"
    return MASK


def mask_header_line(line: str) -> str:
    """``Name: value`` as shown in a log (``exec -v``); a request line (``GET /?token=x
    HTTP/1.1``) gets its target's query masked; other lines unchanged."""
    name, sep, value = line.partition(":")
    if sep and name and " " not in name:
        shown = mask_header(name, value.strip())
        return line if shown == value.strip() else f"{name}: {shown}"
    method, sp, rest = line.partition(" ")
    if sp and method.isupper():
        target, sp2, version = rest.rpartition(" ")
        if sp2 and version.startswith("HTTP/"):
            return f"{method} {mask_url(target)} {version}"
    return line


def mask_url(url: str) -> str:
    """``https://ann:pw@host/x?token=t&page=2`` -> ``https://ann:****@host/x?token=****&page=2``;
    a URL without a password or a secret-named query parameter comes back as it is.
    Cheap when there is nothing to hide (two ``find`` calls and, for a query, a few
    substring tests): the engine calls it for every request an output records."""
    q = url.find("?")
    if q >= 0 and _maybe_secret(url[q:]):
        url = url[: q + 1] + _mask_query(url[q + 1:])
    at = url.find("@", 0, q if q >= 0 else len(url))
    if at < 0:
        return url
    scheme_end = url.find("://")
    if scheme_end < 0 or at < scheme_end:
        return url
    slash = url.find("/", scheme_end + 3)
    if slash != -1 and slash < at:
        return url  # the '@' is in the path, not in the authority
    userinfo = url[scheme_end + 3 : at]
    user, colon, _ = userinfo.partition(":")
    if not colon:
        return url
    return f"{url[: scheme_end + 3]}{user}:{MASK}{url[at:]}"


def _mask_query(query: str) -> str:
    frag = ""
    hash_at = query.find("#")
    if hash_at >= 0:
        query, frag = query[:hash_at], query[hash_at:]
    parts = []
    for p in query.split("&"):
        name, eq, _ = p.partition("=")
        parts.append(f"{name}={MASK}" if eq and is_secret_name(unquote_plus(name)) else p)
    return "&".join(parts) + frag


def mask_body(text: str) -> str:
    """A request body as shown (dry run): the values of secret-named fields hidden in a JSON
    document (``{"password": "****"}``, at any depth) or a form (``user=ann&password=****``);
    other text unchanged."""
    if text.lstrip()[:1] in ("{", "["):
        return _mask_json_text(text)
    if "=" in text and "\n" not in text.strip():
        return _mask_query(text)
    return text


#: ``"name": value`` where value is a string or a scalar (a number, true, a ${reference})
_JSON_MEMBER = re.compile(
    r'"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"|\$\{[^}]*\}|[^,{}\[\]\s"$]+)')


def _mask_json_text(text: str) -> str:
    """Member by member on the text, not parsed: the layout stays as written, and a
    template that is not JSON yet (``{"password": ${pw}}``) is masked the same way."""
    def repl(m: re.Match[str]) -> str:
        if not is_secret_name(m.group(1)):
            return m.group(0)
        return f'"{m.group(1)}"{m.group(2)}"{MASK}"'
    return _JSON_MEMBER.sub(repl, text)
