"""Transport: request building and response/error handling shared by sync and async.

Only ``send`` differs between `SyncTransport` and `AsyncTransport`; everything that decides
(building, parsing, error mapping, retry policy) lives in the shared functions here.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import os
import ssl
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, Protocol
from urllib.parse import quote, unquote, urlencode

import anyio
import httpx

from activepieces_core._encoded import EncodedBody
from activepieces_core._json import loads
from activepieces_core.config import ClientConfig
from activepieces_core.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    NotFoundError,
    UnexpectedResponseError,
    error_from_response,
)
from activepieces_core.retries import RetryMode, RetryPolicy

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
    retry: RetryMode | None = None
    gone_ok: bool = False

    @property
    def retry_mode(self) -> RetryMode:
        """``retry`` if given, else "read" for GET and "idempotent" for other methods."""
        if self.retry is not None:
            return self.retry
        return "read" if self.method == "GET" else "idempotent"


@dataclass(frozen=True)
class Sleep:
    """Instruction to wait (between ensure's create attempts), run by the injected sleep."""

    seconds: float


def path_of(*segments: str) -> str:
    """``/projects/<id>`` with each segment percent-encoded (ids never escape their slot)."""
    return "".join("/" + quote(s, safe="") for s in segments)


@functools.lru_cache(maxsize=1024)
def _parsed(url: str) -> httpx.URL:
    # `httpx.URL` is immutable, so parsed ``.../projects`` and recent ``.../projects/<id>`` are
    # shared; queries vary (cursors, external ids) and are not cached.
    return httpx.URL(url)


class _RequestBuilder:
    """Builds `httpx.Request` objects from `Call` with one URL parse each.

    ``client.build_request`` with a relative path and ``params`` parses the URL three times
    (merge with the base, then merge the query); that was a tenth of the client's CPU per call.
    The query is encoded here (``types`` repeats) and the absolute URL parsed once.
    """

    def __init__(self, http: httpx.Client | httpx.AsyncClient, config: ClientConfig) -> None:
        self._http = http
        self._base = config.base_url.rstrip("/")

    def __call__(self, call: Call) -> httpx.Request:
        if call.params:
            url: httpx.URL | str = _with_query(self._base + call.path, call.params)
        else:
            url = _parsed(self._base + call.path)
        if call.body is None:
            return self._http.build_request(call.method, url)
        return self._http.build_request(
            call.method, url, content=_json_bytes(call.body), headers=_JSON_CONTENT
        )


def _with_query(url: str, params: Params) -> str:
    """``url?query``, every name and value percent-encoded (``types`` repeats)."""
    return url + "?" + urlencode(list(params), quote_via=quote, safe="")


#: What httpx's ``json=`` sets, for a body encoded here.
_JSON_CONTENT = {"Content-Type": "application/json"}


def _encode(body: Mapping[str, Any]) -> bytes:
    # httpx's own encoding of ``json=`` (compact, UTF-8, no NaN): every stack sends the same.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _json_bytes(body: Mapping[str, Any]) -> bytes:
    """A call's body as sent; one sent many times (an `EncodedBody`, e.g. a template's replace
    body) is encoded once."""
    if isinstance(body, EncodedBody):
        return body.encoded(_encode)
    return _encode(body)


class Response(Protocol):
    """What `_finish` reads of a response: an ``httpx.Response`` or aiohttp's `Reply`."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...


#: ``(timed_out, unsent)`` of a transport failure, or None to let httpx's types decide.
Classifier = Callable[[BaseException], "tuple[bool, bool] | None"]


def _httpx_classify(exc: BaseException) -> tuple[bool, bool]:
    # Never reached the server: nothing can have been written.
    unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    return isinstance(exc, httpx.TimeoutException), unsent


def _refusal(exc: BaseException) -> int | None:
    """ECONNREFUSED if the connection was refused (anywhere in the chain), else None."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno == errno.ECONNREFUSED:
            return errno.ECONNREFUSED
        # aiohttp keeps the socket error on ``os_error``; httpx chains it as the cause.
        todo += [getattr(current, "os_error", None), current.__cause__, current.__context__]
    return None


def _transport_error(
    call: Call, path: str, exc: BaseException, classify: Classifier | None = None
) -> APIError:
    verdict = classify(exc) if classify is not None else None
    timed_out, unsent = verdict if verdict is not None else _httpx_classify(exc)
    refused = _refusal(exc)
    if refused is not None:
        # Same words on every stack: aiohttp's refusal surfaces as httpx's "ConnectTimeout".
        timed_out, unsent = False, True
        message = f"connection refused: [Errno {refused}] {os.strerror(refused)}"
    else:
        what = "timed out" if timed_out else "connection failed"
        message = f"{what}: {type(exc).__name__}: {exc}".rstrip(": ")
    cls = APITimeoutError if timed_out else APIConnectionError
    return cls(
        message,
        may_have_reached_server=not unsent,
        method=call.method,
        path=path,
    )


def _finish(call: Call, path: str, response: Response, attempt: int, secret: str) -> Any:
    """The parsed JSON body (None for 204), or the mapped error raised."""
    status = response.status_code
    request_id = response.headers.get("x-request-id")
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %d (attempt %d, request_id=%s)",
            call.method,
            path,
            status,
            attempt,
            request_id,
        )
    # JSON from bytes (UTF-8 per RFC 8259): ``response.text`` sniffs the charset through
    # ``email.message`` on every call; the text is decoded only for errors and odd bodies.
    raw = response.content
    blank = not raw.strip()
    try:
        body = None if blank else loads(raw)
    except ValueError:
        body = None
    if status < 400:
        if status != 204 and body is None and not blank:
            raise UnexpectedResponseError(
                f"expected a JSON body, got {response.headers.get('content-type', '?')}",
                status_code=status,
                request_id=request_id,
                method=call.method,
                path=path,
            )
        return body
    error = error_from_response(
        status,
        body,
        text=response.text,
        request_id=request_id,
        retry_after=response.headers.get("retry-after"),
        method=call.method,
        path=path,
        secret=secret,
    )
    if call.gone_ok and attempt > 1 and isinstance(error, NotFoundError):
        return None
    raise error


def ssl_context(verify: bool) -> ssl.SSLContext:
    """The TLS context for ``verify``, made once per process and the CA settings of the
    environment (``SSL_CERT_FILE``, ``SSL_CERT_DIR``, as httpx reads them).

    Making one parses the CA bundle: 20-400 ms of CPU, paid by every client otherwise (twice
    by an async one on aiohttp), and the tenant entry points build an async client per call
    from a sync one. A context is safe to share between clients, threads and event loops.
    """
    return _ssl_context(verify, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=8)
def _ssl_context(verify: bool, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context(verify=verify)


def _http_kwargs(config: ClientConfig) -> dict[str, Any]:
    return {
        "base_url": config.base_url + "/",
        "headers": config.request_headers(),
        "timeout": config.timeout,
        "verify": ssl_context(config.verify),
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
        self._build = _RequestBuilder(self._http, config)
        #: The default headers (key included), as on the async transport.
        self.headers: MutableMapping[str, str] = self._http.headers

    def execute(self, call: Call) -> Any:
        """Send ``call`` with retries per its mode; return the parsed body."""
        return self.policy.call(call.retry_mode, self.sleep, lambda n: self._once(call, n))

    def _once(self, call: Call, attempt: int) -> Any:
        request = self._build(call)
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            raise _transport_error(call, request.url.path, exc) from exc
        return _finish(call, request.url.path, response, attempt, self._secret)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def _trio_running() -> bool:
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_trio_token()
    except RuntimeError:
        return False
    return True


def _aiohttp_backend(backend: Literal["auto", "aiohttp", "httpx"]) -> ModuleType | None:
    """`activepieces_core._aiohttp` if ``backend`` picks it, else None (httpx's transport).

    "auto" takes aiohttp under asyncio when the ``aiohttp`` extra is installed and falls back
    to httpx's own transport otherwise; "aiohttp" without the extra is an ImportError that
    names it.
    """
    if backend == "httpx" or (backend == "auto" and _trio_running()):
        return None
    try:
        from activepieces_core import _aiohttp
    except ModuleNotFoundError as exc:
        if exc.name != "aiohttp":  # the extra is missing (yarl comes with it)
            raise
        if backend == "auto":
            return None
        raise ModuleNotFoundError(
            f'async_backend="aiohttp" needs {exc.name}: pip install "activepieces-core[aiohttp]"',
            name=exc.name,
        ) from exc
    return _aiohttp


class AsyncTransport:
    """An aiohttp session (`activepieces_core._aiohttp.Sender`) or an `httpx.AsyncClient` (one
    pool, task-safe), plus the retry loop.

    aiohttp's unless the config asks for httpx's own transport, trio is running (aiohttp is
    asyncio-only), the ``aiohttp`` extra is not installed or a transport is injected. The
    default headers (key included) are `headers` on either.
    """

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
        aio = None if http_transport is not None else _aiohttp_backend(config.async_backend)
        self.backend: Literal["aiohttp", "httpx"] = "httpx" if aio is None else "aiohttp"
        if aio is None:
            self._http = httpx.AsyncClient(transport=http_transport, **_http_kwargs(config))
            self._build = _RequestBuilder(self._http, config)
            self.headers: MutableMapping[str, str] = self._http.headers
            self._send = self._send_httpx
            return
        self._sender = aio.Sender(config.base_url, config.timeout, ssl_context(config.verify))
        self._classify: Classifier = aio.classify
        self._errors: tuple[type[BaseException], ...] = aio.ERRORS
        self._base = config.base_url.rstrip("/")
        self._base_path = httpx.URL(self._base).path
        self.headers = dict(config.request_headers())
        self._send = self._send_aiohttp

    async def execute(self, call: Call) -> Any:
        """Send ``call`` with retries per its mode; return the parsed body."""
        return await self.policy.acall(call.retry_mode, self.sleep, lambda n: self._send(call, n))

    async def _send_httpx(self, call: Call, attempt: int) -> Any:
        request = self._build(call)
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as exc:
            raise _transport_error(call, request.url.path, exc) from exc
        return _finish(call, request.url.path, response, attempt, self._secret)

    async def _send_aiohttp(self, call: Call, attempt: int) -> Any:
        url = self._base + call.path
        if call.params:
            url = _with_query(url, call.params)
        data = None if call.body is None else _json_bytes(call.body)
        headers = self.headers if data is None else {**self.headers, **_JSON_CONTENT}
        path = unquote(self._base_path + call.path)  # as httpx's ``URL.path`` reads it
        try:
            reply = await self._sender.send(call.method, url, headers, data)
        except self._errors as exc:
            raise _transport_error(call, path, exc, self._classify) from exc
        return _finish(call, path, reply, attempt, self._secret)

    async def close(self) -> None:
        """Close the connection pool."""
        if self.backend == "aiohttp":
            await self._sender.close()
        else:
            await self._http.aclose()
