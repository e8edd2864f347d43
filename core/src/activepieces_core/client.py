"""`ActivepiecesClient` and `AsyncActivepiecesClient`: configuration plus a pooled transport."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import Self

from activepieces_core._http import AsyncTransport, SyncTransport
from activepieces_core._retry import RetryPolicy
from activepieces_core.config import ClientConfig
from activepieces_core.errors import InvalidRequestError
from activepieces_core.projects import AsyncProjectsResource, ProjectsResource

__all__ = ["ActivepiecesClient", "AsyncActivepiecesClient"]


def _config(
    api_key: str | SecretStr | None,
    base_url: str | None,
    timeout: float,
    max_retries: int,
    backoff_base: float,
    backoff_max: float,
    verify: bool,
    headers: Mapping[str, str] | None,
) -> ClientConfig:
    try:
        return ClientConfig(
            api_key=api_key,  # validated (and wrapped) by the model
            base_url=base_url,  # None -> the cloud default
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            verify=verify,
            headers=headers,
        )
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise InvalidRequestError(f"invalid client configuration: {problems}") from None


class _ClientBase:
    config: ClientConfig

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r})"


class ActivepiecesClient(_ClientBase):
    """Synchronous client: one connection pool, safe to share between threads.

    ``sleep`` replaces `time.sleep` between retries (tests); ``retry_policy`` overrides the
    policy built from the config; ``http_transport`` is passed to `httpx.Client`.
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        verify: bool = True,
        headers: Mapping[str, str] | None = None,
        *,
        config: ClientConfig | None = None,
        sleep: Callable[[float], None] | None = None,
        retry_policy: RetryPolicy | None = None,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config or _config(
            api_key, base_url, timeout, max_retries, backoff_base, backoff_max, verify, headers
        )
        self._transport = SyncTransport(
            self.config, sleep=sleep, policy=retry_policy, http_transport=http_transport
        )
        self.projects = ProjectsResource(self._transport)

    @classmethod
    def from_config(cls, config: ClientConfig, **kwargs: Any) -> Self:
        """A client for ``config`` (``sleep``/``retry_policy``/``http_transport`` allowed)."""
        return cls(config=config, **kwargs)

    @classmethod
    def from_env(cls, **kwargs: Any) -> Self:
        """Read ``ACTIVEPIECES_API_KEY`` and ``ACTIVEPIECES_URL``; keyword config overrides win."""
        extra = {
            k: kwargs.pop(k) for k in ("sleep", "retry_policy", "http_transport") if k in kwargs
        }
        return cls(config=ClientConfig.from_env(**kwargs), **extra)

    def close(self) -> None:
        """Close the connection pool."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncActivepiecesClient(_ClientBase):
    """Asynchronous client: one connection pool, safe to share between tasks.

    ``sleep`` replaces `asyncio.sleep` between retries (tests).
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        verify: bool = True,
        headers: Mapping[str, str] | None = None,
        *,
        config: ClientConfig | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        retry_policy: RetryPolicy | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config or _config(
            api_key, base_url, timeout, max_retries, backoff_base, backoff_max, verify, headers
        )
        self._transport = AsyncTransport(
            self.config, sleep=sleep, policy=retry_policy, http_transport=http_transport
        )
        self.projects = AsyncProjectsResource(self._transport)

    @classmethod
    def from_config(cls, config: ClientConfig, **kwargs: Any) -> Self:
        """A client for ``config`` (``sleep``/``retry_policy``/``http_transport`` allowed)."""
        return cls(config=config, **kwargs)

    @classmethod
    def from_env(cls, **kwargs: Any) -> Self:
        """Read ``ACTIVEPIECES_API_KEY`` and ``ACTIVEPIECES_URL``; keyword config overrides win."""
        extra = {
            k: kwargs.pop(k) for k in ("sleep", "retry_policy", "http_transport") if k in kwargs
        }
        return cls(config=ClientConfig.from_env(**kwargs), **extra)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._transport.close()

    close = aclose

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
