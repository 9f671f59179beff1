"""Which recorded requests are page furniture, not the journey: dropped by default
(``--include-static`` keeps them). The lists are documented in docs/importing.md."""

from __future__ import annotations

from urllib.parse import urlsplit

#: Path endings of static assets: images, fonts, style sheets, scripts, media, maps.
STATIC_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp",
    ".woff", ".woff2", ".ttf", ".otf", ".eot",
    ".css", ".js", ".mjs", ".map",
    ".mp4", ".webm", ".mp3", ".ogg", ".wav", ".m4a",
})
#: Response media types of static assets (the part before ``;``), and their prefixes.
STATIC_TYPE_PREFIXES = ("image/", "font/", "audio/", "video/")
STATIC_TYPES = frozenset({
    "text/css", "text/javascript", "application/javascript", "application/x-javascript",
    "application/font-woff", "application/font-woff2", "application/vnd.ms-fontobject",
})
#: URL schemes a browser records that are never sent over the network.
NON_NETWORK_SCHEMES = frozenset({
    "data", "blob", "chrome-extension", "moz-extension", "safari-extension",
    "safari-web-extension", "chrome", "about", "ws", "wss",
})
#: Analytics, tag-manager and ad hosts (a host equal to, or ending in ``.`` + one of these).
ANALYTICS_HOSTS = (
    "google-analytics.com", "analytics.google.com", "googletagmanager.com",
    "doubleclick.net", "googlesyndication.com", "googleadservices.com", "stats.g.doubleclick.net",
    "facebook.net", "connect.facebook.net", "hotjar.com", "hotjar.io", "segment.io",
    "segment.com", "mixpanel.com", "amplitude.com", "newrelic.com", "nr-data.net",
    "sentry.io", "fullstory.com", "clarity.ms", "bat.bing.com", "intercom.io",
    "optimizely.com", "matomo.cloud", "plausible.io", "datadoghq.com",
    "browser-intake-datadoghq.com",
)


def drop_reason(url: str, mime: str = "") -> str | None:
    """Why a request is furniture (``"static asset"``, ``"analytics host"``, ...) or None."""
    scheme = url.partition(":")[0].lower()
    if scheme in NON_NETWORK_SCHEMES:
        return f"{scheme}: URL"
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in ANALYTICS_HOSTS):
        return "analytics host"
    path = parts.path.lower()
    dot = path.rfind(".")
    if dot > path.rfind("/") and path[dot:] in STATIC_EXTENSIONS:
        return "static asset"
    media = mime.split(";", 1)[0].strip().lower()
    if media in STATIC_TYPES or media.startswith(STATIC_TYPE_PREFIXES):
        return "static asset"
    return None
