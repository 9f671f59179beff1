"""HTTPS mode with a trustme certificate: verified by a client trusting the CA, refused by
one that does not."""

from __future__ import annotations

import ssl

import aiohttp
import pytest
from targetutil import call

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("process", [False, True])
def test_tls_verified(target_factory, process: bool) -> None:
    t = target_factory(tls=True, process=process)
    assert t.url.startswith("https://127.0.0.1:")
    r = call("GET", t.url + "/get?x=1", ssl_context=t.client_ssl())
    assert r.json()["url"] == t.url + "/get?x=1"
    assert t.counts()["paths"] == {"/get": 1}


def test_tls_unknown_ca_fails_and_insecure_works(target_factory) -> None:
    t = target_factory(tls=True)
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        call("GET", t.url + "/get", ssl_context=ssl.create_default_context())
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    assert call("GET", t.url + "/get", ssl_context=insecure).status == 200
    assert call("GET", t.url.replace("127.0.0.1", "localhost") + "/get",
                ssl_context=t.client_ssl()).status == 200
