"""Error hierarchy: one class per failure a caller may want to handle differently.

Server errors are classified by the body's ``code`` first and the HTTP status second, so they
are right against the real server (``VALIDATION`` -> 409, ``FEATURE_DISABLED`` -> 402, missing
key -> 403) and against the public docs (400 with ``statusCode`` in the body) alike.
No error text ever contains the API key.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any

from activepieces_core.constants import READ_RETRYABLE_STATUSES

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "ActivepiecesError",
    "AmbiguousExternalIdError",
    "AuthenticationError",
    "AuthorizationError",
    "ExternalIdConflictError",
    "FeatureDisabledError",
    "InvalidRequestError",
    "InvalidStateError",
    "NotFoundError",
    "PieceInstallError",
    "QuotaExceededError",
    "RateLimitedError",
    "ReplaceInProgressError",
    "ReplacePreflightError",
    "RequestValidationError",
    "ServerError",
    "UnexpectedResponseError",
    "UnknownRoleError",
    "ValidationError",
    "error_from_response",
    "parse_retry_after",
]


class ActivepiecesError(Exception):
    """Base class of every error raised by this package."""


class InvalidRequestError(ActivepiecesError, ValueError):
    """Bad input detected client-side; nothing was sent."""


class UnknownRoleError(InvalidRequestError):
    """The role name is not one of the platform's project roles (nothing was sent)."""


class InvalidStateError(InvalidRequestError):
    """A project state (a replace body, e.g. read from a file) is not valid; nothing was sent."""


class APIError(ActivepiecesError):
    """A request failed: at the transport level or with an error status.

    Attributes are ``None`` when unknown (e.g. no response was received).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        body: Any = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.code = code
        self.params: dict[str, Any] = dict(params or {})
        self.request_id = request_id
        self.method = method
        self.path = path
        self.body = body
        super().__init__(self._render())

    def _render(self) -> str:
        head = " ".join(str(p) for p in (self.status_code, self.code) if p is not None)
        text = f"{head}: {self.message}" if head else self.message
        where = " ".join(p for p in (self.method, self.path) if p)
        extras = [where] if where else []
        if self.request_id:
            extras.append(f"request_id={self.request_id}")
        return f"{text} ({', '.join(extras)})" if extras else text

    @property
    def is_transient(self) -> bool:
        """True for failures worth retrying later: connection errors, timeouts, 429, 500,
        502, 503, 504 (what `activepieces_core.retries.is_retryable` repeats for a read)."""
        return self.status_code in READ_RETRYABLE_STATUSES

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor: pickle (Airflow/Prefect results) needs an explicit recipe.
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[APIError], message: str, state: dict[str, Any]) -> APIError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    error.args = (error._render(),)
    return error


class APIConnectionError(APIError):
    """No (complete) response: connection refused, dropped, or TLS failure.

    ``may_have_reached_server`` is False only when the request provably never left
    (the connection could not be established), so a create may be retried safely.
    """

    def __init__(self, message: str, *, may_have_reached_server: bool = True, **kw: Any) -> None:
        self.may_have_reached_server = may_have_reached_server
        super().__init__(message, **kw)

    @property
    def is_transient(self) -> bool:
        """Always True: no answer came, so trying again later may get one."""
        return True


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, write, read or pool timeout)."""


class UnexpectedResponseError(APIError):
    """A success status with a body that is not the expected JSON shape (e.g. a proxy page)."""


class APIStatusError(APIError):
    """The server answered with an error status (4xx/5xx)."""


class NotFoundError(APIStatusError):
    """404 / ``ENTITY_NOT_FOUND``: the project does not exist, is deleted or not visible."""


class ValidationError(APIStatusError):
    """``VALIDATION``: a business rule refused the request (real server: 409; docs: 400)."""


class RequestValidationError(ValidationError):
    """``FST_ERR_VALIDATION`` (400): the body or query did not match the server's schema."""


class FeatureDisabledError(APIStatusError):
    """402 / ``FEATURE_DISABLED``: the platform's plan does not allow this."""


class QuotaExceededError(FeatureDisabledError):
    """``QUOTA_EXCEEDED`` (402): a plan limit was reached."""


class AuthenticationError(APIStatusError):
    """401: the API key is unknown or invalid."""


class AuthorizationError(APIStatusError):
    """403: no or malformed credentials, or the project belongs to another platform."""


class ExternalIdConflictError(APIStatusError):
    """The externalId is already taken (409 ``PROJECT_EXTERNAL_ID_ALREADY_EXISTS``) or, from
    ``ensure(if_exists="fail")``, a project with it already exists."""


class AmbiguousExternalIdError(ExternalIdConflictError):
    """The server shows more than one live project with the same externalId."""


class RateLimitedError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ServerError(APIStatusError):
    """5xx. ``retry_after`` is set when the server (or a proxy) sent ``Retry-After``.

    A 500 on create is what the real server answers to a duplicate externalId.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ReplaceInProgressError(APIStatusError):
    """409 ``REPLACE_IN_PROGRESS``: another replace of the project is running (raised once the
    client's waits of ``retry_after`` seconds ran out)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ReplacePreflightError(APIStatusError):
    """422 on replace: a preflight check failed and nothing was written. ``errors`` are the
    server's items (``kind``: AP_VERSION_MISMATCH, PIECE_VERSION_MISMATCH,
    CONNECTION_PIECE_MISMATCH, with their fields); the message says what to fix."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The server's preflight errors, as sent."""
        return _items(self.body, "errors")


class PieceInstallError(APIStatusError):
    """502 on replace: a required piece could not be installed; nothing else was touched.
    ``failures`` are ``{pieceName, version, pieceType, message}`` items."""

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The server's piece install failures, as sent."""
        return _items(self.body, "failures")

    @property
    def is_transient(self) -> bool:
        """False: the same pieces would fail to install again (not a gateway hiccup)."""
        return False


def _items(body: Any, key: str) -> list[dict[str, Any]]:
    items = body.get(key) if isinstance(body, Mapping) else None
    return [dict(i) for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _describe(item: Mapping[str, Any]) -> str:
    """One preflight error or install failure in words (its kind or piece, then the rest)."""
    head = item.get("kind") or item.get("pieceName") or "error"
    text = item.get("message")
    rest = ", ".join(
        f"{k}={v}" for k, v in item.items() if k not in ("kind", "message") and v is not None
    )
    return f"{head}: {text} ({rest})" if text and rest else f"{head}: {text or rest}"


def _replace_error(status: int, body: Any) -> tuple[type[APIStatusError], str] | None:
    """The replace route's own answers (upstream project-replace.controller.ts: bodies with no
    ``code``): 409 ``{error: REPLACE_IN_PROGRESS, retryAfter}``, 422 ``{errors}``, 502
    ``{failures}``; None for any other answer."""
    if not isinstance(body, Mapping):
        return None
    if status == 409 and body.get("error") == "REPLACE_IN_PROGRESS":
        return ReplaceInProgressError, "another replace of this project is in progress"
    if status == 422 and isinstance(body.get("errors"), list):
        found = "; ".join(_describe(i) for i in _items(body, "errors")) or "no details"
        return ReplacePreflightError, f"replace preflight failed, nothing written: {found}"
    if status == 502 and isinstance(body.get("failures"), list):
        found = "; ".join(_describe(i) for i in _items(body, "failures")) or "no details"
        return PieceInstallError, f"a required piece could not be installed: {found}"
    return None


_BY_CODE: dict[str, type[APIStatusError]] = {
    "ENTITY_NOT_FOUND": NotFoundError,
    "VALIDATION": ValidationError,
    "FST_ERR_VALIDATION": RequestValidationError,
    "FEATURE_DISABLED": FeatureDisabledError,
    "QUOTA_EXCEEDED": QuotaExceededError,
    "AUTHENTICATION": AuthenticationError,
    "INVALID_API_KEY": AuthenticationError,
    "INVALID_BEARER_TOKEN": AuthenticationError,
    "AUTHORIZATION": AuthorizationError,
    "PERMISSION_DENIED": AuthorizationError,
    "SESSION_EXPIRED": AuthorizationError,
    "PROJECT_EXTERNAL_ID_ALREADY_EXISTS": ExternalIdConflictError,
}

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: RequestValidationError,
    401: AuthenticationError,
    402: FeatureDisabledError,
    403: AuthorizationError,
    404: NotFoundError,
    409: ValidationError,
    422: RequestValidationError,
    429: RateLimitedError,
}

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def _error_class(status: int, code: str | None) -> type[APIStatusError]:
    if status == 429:
        return RateLimitedError
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code and code.startswith("FST_"):
        # Fastify's own 4xx (bad JSON, empty body, schema): the request shape was rejected.
        return RequestValidationError if status < 500 else ServerError
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIStatusError)


def _message(status: int, body: Any, text: str) -> str:
    if isinstance(body, Mapping):
        params = body.get("params")
        for candidate in (
            params.get("message") if isinstance(params, Mapping) else None,
            body.get("message"),
            body.get("error"),
        ):
            if isinstance(candidate, str) and candidate:
                return candidate
        if isinstance(params, Mapping) and params:
            return ", ".join(f"{k}={v}" for k, v in params.items())
    elif text:
        # HTML from a proxy: its <title> (or the first bit of text) says what happened.
        found = _TITLE.search(text)
        snippet = found.group(1) if found else _TAGS.sub(" ", text)
        snippet = " ".join(snippet.split())[:200]
        if snippet:
            return snippet
    return f"HTTP {status}"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent/bad."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, parsed.timestamp() - current)


def _scrubbed(value: Any, secret: str) -> Any:
    """``value`` (parsed JSON) with ``secret`` replaced by ``***`` in every string, keys too."""
    if isinstance(value, str):
        return value.replace(secret, "***")
    if isinstance(value, Mapping):
        return {_scrubbed(k, secret): _scrubbed(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, secret) for item in value]
    return value


def error_from_response(
    status: int,
    body: Any,
    *,
    text: str = "",
    request_id: str | None = None,
    retry_after: str | None = None,
    method: str | None = None,
    path: str | None = None,
    secret: str | None = None,
) -> APIStatusError:
    """Build the error for an error response. ``body`` is the parsed JSON or None.

    ``secret`` is scrubbed from the message, the body and its params (``***``), in case a
    proxy echoes request headers: the error is logged, pickled and stored by orchestrators.
    """
    if secret:
        body, text = _scrubbed(body, secret), text.replace(secret, "***")
    code = body.get("code") if isinstance(body, Mapping) else None
    code = code if isinstance(code, str) else None
    params = body.get("params") if isinstance(body, Mapping) else None
    params = params if isinstance(params, Mapping) else {}
    message = _message(status, body, text)
    cls = _error_class(status, code)
    replace_error = _replace_error(status, body)
    if replace_error is not None:
        cls, message = replace_error
    if secret:
        message = message.replace(secret, "***")
    kw: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "params": params,
        "request_id": request_id,
        "method": method,
        "path": path,
        "body": body if isinstance(body, Mapping) else None,
    }
    if cls in (RateLimitedError, ServerError):
        kw["retry_after"] = parse_retry_after(retry_after)
    if cls is ReplaceInProgressError:
        hint = body.get("retryAfter") if isinstance(body, Mapping) else None
        if isinstance(hint, (int, float)) and not isinstance(hint, bool):
            kw["retry_after"] = max(0.0, float(hint))
        else:
            kw["retry_after"] = parse_retry_after(retry_after)
    return cls(message, **kw)
