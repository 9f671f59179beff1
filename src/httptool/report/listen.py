"""``HOST:PORT`` of the servers a run opens (``--dashboard``, ``--out prometheus``).

Why a module of its own: both flags read the same form, default to loopback, and must
say the same thing when a bind would expose an unauthenticated page beyond this machine.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

#: Where a server binds when only a port (or nothing) is given.
LOOPBACK = "127.0.0.1"
#: ``--dashboard``'s port when none is given (k6's dashboard port), and its address.
DASHBOARD_PORT = 5665
DASHBOARD_DEFAULT = f"{LOOPBACK}:{DASHBOARD_PORT}"


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        """True for 127.0.0.0/8, ::1 and ``localhost``."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def url(self, port: int | None = None, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if port is None else port}{path}"


def parse_listen(text: str, flag: str, default_port: int | None = None) -> ListenAddress:
    """``HOST:PORT``, ``[::1]:PORT``, ``:PORT`` or ``PORT`` (loopback), ``HOST`` alone when
    there is a ``default_port``. ValueError naming ``flag`` otherwise. Port 0: any free
    port (the URL printed at start says which)."""
    t = text.strip()
    host, port_text = LOOPBACK, ""
    if t.startswith("["):
        end = t.find("]")
        if end < 0:
            raise ValueError(f"{flag}: '{text}' has '[' without ']' (e.g. [::1]:5665)")
        host, rest = t[1:end], t[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(f"{flag}: '{text}' is not HOST:PORT (e.g. [::1]:5665)")
        port_text = rest[1:]
    elif t.count(":") == 1:
        h, _, port_text = t.partition(":")
        host = h or LOOPBACK
    elif t.isdigit():
        port_text = t
    elif t and ":" not in t:
        host = t
    else:
        raise ValueError(f"{flag}: '{text}' is not HOST:PORT (e.g. 127.0.0.1:5665)")
    if not port_text:
        if default_port is None:
            raise ValueError(f"{flag}: '{text}' has no port (e.g. 127.0.0.1:9464)")
        return ListenAddress(host, default_port)
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"{flag}: '{port_text}' is not a port number (0-65535)")
    return ListenAddress(host, int(port_text))


def exposure_warning(addr: ListenAddress, what: str) -> str | None:
    """The warning for a bind beyond loopback (None on loopback): neither server has
    authentication, so anyone who can reach the address can read the run."""
    if addr.loopback:
        return None
    return (f"{what} listens on {addr.host}, beyond this machine, without authentication: "
            "anyone who can reach it can read the run's numbers and request names")
