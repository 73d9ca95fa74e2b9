"""HTTP connections to one target: one httpx transport per connection, handed out from a
free list.

httpx's pool scans every connection it holds each time a request is added or answered (and
asks the socket of each idle one whether the peer closed it: two system calls), and it scans
every queued request too: with many connections in one pool that bookkeeping grows to half a
process's CPU (seen with py-spy in the demo). ``HttpPool`` therefore gives each of its
``max_connections`` connections its own ``httpx.AsyncHTTPTransport`` holding just that one
kept-alive connection; a caller waits for a free one in a semaphore, takes the transport used
last (so a light load keeps few connections warm) and gives it back when answered.

Requests go to the transport itself rather than through ``httpx.AsyncClient``: a sink needs
none of what the client adds per request (URL merging, auth and redirect flows, event
hooks). Together the two cut the client's CPU per POST by about a third (docs/performance.md).
Cookies a target sets are still kept and sent back, as the client would, and the
environment's ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY`` are honoured
as the client honours them (``environment_proxy``), unless a proxy is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.request
from collections.abc import Mapping

import httpx

# what httpx.AsyncClient sends by default, so targets see the same requests as before
_DEFAULT_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": f"python-httpx/{httpx.__version__}",
}


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY`` for https, ``HTTP_PROXY``
    for http, else ``ALL_PROXY``; none for a host ``NO_PROXY`` lists), as httpx's client
    would use it."""
    target = httpx.URL(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(target.scheme) or proxies.get("all")
    if proxy is None or urllib.request.proxy_bypass(target.host):
        return None
    return proxy


class HttpPool:
    """``async with HttpPool(...) as pool: await pool.post(url, body, headers)``."""

    def __init__(
        self,
        max_connections: int,
        timeout_s: float,
        headers: Mapping[str, str] | None = None,
        *,
        proxy: str | None = None,
    ) -> None:
        tls = httpx.create_ssl_context()  # one TLS context for all (each costs ~20 ms)
        self._transports = [
            httpx.AsyncHTTPTransport(
                verify=tls,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                proxy=proxy,
            )
            for _ in range(max_connections)
        ]
        self._idle = list(self._transports)  # a stack: the transport answered last on top
        self._headers = {**_DEFAULT_HEADERS, **(headers or {})}
        self._timeout = httpx.Timeout(timeout_s).as_dict()
        self._urls: dict[str, httpx.URL] = {}  # parsed once per target URL
        self._cookies = httpx.Cookies()
        self._free = asyncio.Semaphore(max_connections)

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(self, *_: object) -> None:
        async with contextlib.AsyncExitStack() as stack:
            for transport in self._transports:
                stack.push_async_callback(transport.aclose)

    def _request(self, url: str, content: bytes, headers: Mapping[str, str]) -> httpx.Request:
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = self._urls[url] = httpx.URL(url)
        request = httpx.Request(
            "POST",
            parsed,
            headers={**self._headers, **headers},
            content=content,
            extensions={"timeout": self._timeout},
        )
        if self._cookies:
            self._cookies.set_cookie_header(request)
        return request

    async def post(self, url: str, content: bytes, headers: Mapping[str, str]) -> httpx.Response:
        """POST and read the whole answer; transport failures raise ``httpx.HTTPError``."""
        async with self._free:  # a permit guarantees an idle transport
            transport = self._idle.pop()
            try:
                request = self._request(url, content, headers)
                response = await transport.handle_async_request(request)
                response.request = request
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            finally:
                self._idle.append(transport)
        if "set-cookie" in response.headers:
            self._cookies.extract_cookies(response)
        return response
