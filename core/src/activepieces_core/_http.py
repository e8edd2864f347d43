"""Transport: request building and response/error handling shared by sync and async.

Only ``send`` differs between `SyncTransport` and `AsyncTransport`; everything that decides
(building, parsing, error mapping, retry policy) lives in the shared functions here.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
import httpx

from activepieces_core._retry import RetryMode, RetryPolicy
from activepieces_core.config import ClientConfig
from activepieces_core.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    NotFoundError,
    UnexpectedResponseError,
    error_from_response,
)

__all__ = ["AsyncTransport", "Call", "Sleep", "SyncTransport", "path_of"]

logger = logging.getLogger("activepieces_core")

Params = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Call:
    """One API call, described without doing any I/O.

    ``gone_ok``: a 404 on a retry (after an attempt that may have reached the server) means
    an earlier attempt already did the job (delete), so it is success (``None``).
    """

    method: str
    path: str
    params: Params | None = None
    body: Mapping[str, Any] | None = None
    retry: RetryMode = "idempotent"
    gone_ok: bool = False


@dataclass(frozen=True)
class Sleep:
    """Instruction to wait (between ensure's create attempts), run by the injected sleep."""

    seconds: float


def path_of(*segments: str) -> str:
    """``/projects/<id>`` with each segment percent-encoded (ids never escape their slot)."""
    return "".join("/" + quote(s, safe="") for s in segments)


def _build(client: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
    return client.build_request(
        call.method,
        call.path.lstrip("/"),
        params=list(call.params) if call.params else None,
        json=dict(call.body) if call.body is not None else None,
    )


def _transport_error(call: Call, request: httpx.Request, exc: httpx.HTTPError) -> APIError:
    # Never reached the server: nothing can have been written.
    unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    what = "timed out" if cls is APITimeoutError else "connection failed"
    return cls(
        f"{what}: {type(exc).__name__}: {exc}".rstrip(": "),
        may_have_reached_server=not unsent,
        method=call.method,
        path=request.url.path,
    )


def _finish(
    call: Call, request: httpx.Request, response: httpx.Response, attempt: int, secret: str
) -> Any:
    """The parsed JSON body (None for 204), or the mapped error raised."""
    status = response.status_code
    request_id = response.headers.get("x-request-id")
    logger.debug(
        "%s %s -> %d (attempt %d, request_id=%s)",
        call.method,
        request.url.path,
        status,
        attempt,
        request_id,
    )
    text = response.text
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    if status < 400:
        if status != 204 and body is None and text.strip():
            raise UnexpectedResponseError(
                f"expected a JSON body, got {response.headers.get('content-type', '?')}",
                status_code=status,
                request_id=request_id,
                method=call.method,
                path=request.url.path,
            )
        return body
    error = error_from_response(
        status,
        body,
        text=text,
        request_id=request_id,
        retry_after=response.headers.get("retry-after"),
        method=call.method,
        path=request.url.path,
        secret=secret,
    )
    if call.gone_ok and attempt > 1 and isinstance(error, NotFoundError):
        return None
    raise error


def _http_kwargs(config: ClientConfig) -> dict[str, Any]:
    return {
        "base_url": config.base_url + "/",
        "headers": config.request_headers(),
        "timeout": config.timeout,
        "verify": config.verify,
    }


def _policy(config: ClientConfig) -> RetryPolicy:
    return RetryPolicy(
        max_retries=config.max_retries,
        backoff_base=config.backoff_base,
        backoff_max=config.backoff_max,
    )


class SyncTransport:
    """One `httpx.Client` (one pool, thread-safe) plus the retry loop."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        sleep: Callable[[float], None] | None = None,
        policy: RetryPolicy | None = None,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.policy = policy or _policy(config)
        self.sleep = sleep or time.sleep
        self._secret = config.api_key.get_secret_value()
        self._http = httpx.Client(transport=http_transport, **_http_kwargs(config))

    def execute(self, call: Call) -> Any:
        """Send ``call`` with retries per its mode; return the parsed body."""
        for attempt in self.policy.retrying(call.retry, self.sleep):
            with attempt:
                return self._once(call, attempt.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _once(self, call: Call, attempt: int) -> Any:
        request = _build(self._http, call)
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            raise _transport_error(call, request, exc) from exc
        return _finish(call, request, response, attempt, self._secret)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


class AsyncTransport:
    """One `httpx.AsyncClient` (one pool, task-safe) plus the retry loop."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        policy: RetryPolicy | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.policy = policy or _policy(config)
        self.sleep = sleep or anyio.sleep  # asyncio or trio, whichever runs httpx
        self._secret = config.api_key.get_secret_value()
        self._http = httpx.AsyncClient(transport=http_transport, **_http_kwargs(config))

    async def execute(self, call: Call) -> Any:
        """Send ``call`` with retries per its mode; return the parsed body."""
        async for attempt in self.policy.async_retrying(call.retry, self.sleep):
            with attempt:
                return await self._once(call, attempt.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _once(self, call: Call, attempt: int) -> Any:
        request = _build(self._http, call)
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as exc:
            raise _transport_error(call, request, exc) from exc
        return _finish(call, request, response, attempt, self._secret)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
