"""The async client's default HTTP backend: aiohttp behind httpx's interface (httpx-aiohttp).

httpx's own async transport (anyio + h11 in pure Python) costs about 3 ms of CPU per request;
aiohttp's C parser about 0.8 ms. At thousands of tenants the reconcile engine is CPU-bound on
the client, so this is the difference between meeting the latency budget and missing it by 2x
(``bench/reconcile.py``). Imported only when an async client is built: ``import aiohttp`` is
too heavy for Airflow DAG parsing. aiohttp and httpx-aiohttp come with the ``aiohttp`` extra;
without it ``async_backend="auto"`` uses httpx's own transport (`_http._aiohttp_backend`).

httpx-aiohttp maps aiohttp's errors to httpx's, but coarsely: a connection dropped after the
request was sent (``ServerDisconnectedError``) comes out as ``httpx.ConnectTimeout``, which
would say "never sent" and let a create be resent after it may have committed. `classify`
therefore reads the aiohttp exception underneath.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.request import getproxies, proxy_bypass

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

__all__ = ["ERRORS", "build_transport", "classify", "env_proxy"]

#: Failures aiohttp raises that httpx-aiohttp leaves unmapped (caught by the transport too).
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


class _Transport(AiohttpTransport):
    """httpx-aiohttp's transport, its session built by the library (TLS context, pool limits,
    keep-alive) with one change: aiohttp must not resend anything behind our back."""

    def get_client(self) -> aiohttp.ClientSession:
        session = super().get_client()
        # aiohttp silently resends GET/PUT/DELETE once when a reused connection drops. Our
        # retry layer must see every failure: a hidden DELETE resend after a committed first
        # attempt answers 404 on what looks like attempt 1, and the delete would fail.
        session._retry_connection = False  # aiohttp >= 3.11; test_aiohttp_hidden_resend_is_off
        return session


def build_transport(base_url: str, verify: ssl.SSLContext | bool) -> httpx.AsyncBaseTransport:
    """An httpx async transport on an aiohttp session (created lazily, in the running loop);
    ``verify`` is a TLS context (`_http.ssl_context`: made once) or a bool."""
    return _Transport(verify=verify, proxy=env_proxy(base_url))


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
