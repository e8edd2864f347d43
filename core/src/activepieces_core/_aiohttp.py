"""The async client's default HTTP backend: an aiohttp session, driven directly.

httpx's own async transport (anyio + h11 in pure Python) costs about 3 ms of CPU per request;
aiohttp's C parser about 0.8 ms. At thousands of tenants the reconcile engine is CPU-bound on
the client, so this is the difference between meeting the latency budget and missing it by 2x
(``bench/reconcile.py``). The client's calls go to the session as they are (`Sender`): going
through ``httpx.AsyncClient`` and httpx-aiohttp's adapter (an ``httpx.Request`` built, a
cookie jar fed through ``urllib`` shims, an ``httpx.Response`` wrapped around aiohttp's) cost
as much CPU again as aiohttp itself (issue 22's profile: a third of the client's time).
Imported only when an async client is built: ``import aiohttp`` is too heavy for Airflow DAG
parsing. aiohttp comes with the ``aiohttp`` extra; without it ``async_backend="auto"`` uses
httpx's own transport (`_http._aiohttp_backend`).

aiohttp's errors are told apart by `classify`: only a failure to connect proves nothing was
sent; a connection dropped after the request went (``ServerDisconnectedError``) may have
committed a create.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.request import getproxies, proxy_bypass

import aiohttp
import httpx
import yarl

__all__ = ["ERRORS", "Reply", "Sender", "classify", "env_proxy"]

#: What aiohttp raises for a request that failed (`classify` tells them apart).
ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, asyncio.TimeoutError)


def env_proxy(base_url: str) -> httpx.Proxy | None:
    """The proxy the environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``…) sets for
    ``base_url``, as httpx would pick it.

    Resolved once per client: aiohttp's ``trust_env`` resolves it on every request in a
    worker thread, which costs more CPU than the request itself.
    """
    url = httpx.URL(base_url)
    if proxy_bypass(url.host):
        return None
    proxies = getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    return httpx.Proxy(proxy) if proxy else None


class Reply:
    """What `_http._finish` reads of a response: status, headers, body (and its text)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


#: httpx's default keep-alive expiry and pool size, as the httpx-aiohttp adapter used.
_KEEPALIVE = 5.0
_MAX_CONNECTIONS = 100


class Sender:
    """One aiohttp session (made lazily, in the running loop) that sends requests as given.

    Settings as httpx-aiohttp's transport (the adapter used before) made them: ``timeout`` for connecting and for each
    read, the environment's proxy (`env_proxy`), no redirects followed, no cookies kept (the
    API authenticates with the key), and aiohttp's hidden resend off (see `_session`).
    """

    def __init__(self, base_url: str, timeout: float, verify: ssl.SSLContext | bool) -> None:
        self._ssl = verify
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout, sock_read=timeout, connect=timeout
        )
        proxy = env_proxy(base_url)
        self._proxy: dict[str, Any] = {}
        if proxy is not None:
            self._proxy = {
                "proxy": str(proxy.url),
                "proxy_auth": aiohttp.BasicAuth(*proxy.auth) if proxy.auth else None,
                "proxy_headers": dict(proxy.headers) or None,
            }
        self._session: aiohttp.ClientSession | None = None

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=_MAX_CONNECTIONS, keepalive_timeout=_KEEPALIVE, ssl=self._ssl
            )
            session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), timeout=self._timeout
            )
            # aiohttp silently resends GET/PUT/DELETE once when a reused connection drops. Our
            # retry layer must see every failure: a hidden DELETE resend after a committed first
            # attempt answers 404 on what looks like attempt 1, and the delete would fail.
            session._retry_connection = False  # aiohttp >= 3.11; test_aiohttp_hidden_resend_is_off
            self._session = session
        return self._session

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], data: bytes | None
    ) -> Reply:
        """Send one request (``url`` already percent-encoded) and read the whole response."""
        async with self._session_now().request(
            method,
            yarl.URL(url, encoded=True),
            headers=headers,
            data=data,
            allow_redirects=False,
            **self._proxy,
        ) as response:
            content = await response.read()
            return Reply(response.status, response.headers, content)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def classify(exc: BaseException) -> tuple[bool, bool] | None:
    """``(timed_out, unsent)`` from the aiohttp error in or under ``exc``; None if none.

    Only a failure to connect proves nothing was written; every other error may have come
    after the server received (and committed) the request.
    """
    cause = exc if isinstance(exc, ERRORS) else exc.__cause__
    if not isinstance(cause, ERRORS):
        return None
    timed_out = isinstance(cause, (aiohttp.ServerTimeoutError, asyncio.TimeoutError))
    unsent = isinstance(cause, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))
    return timed_out, unsent
