"""`ActivepiecesClient` and `AsyncActivepiecesClient`: configuration plus a pooled transport."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

import httpx
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import Self

from activepieces_core._http import AsyncTransport, SyncTransport
from activepieces_core.config import ClientConfig
from activepieces_core.constants import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from activepieces_core.errors import InvalidRequestError
from activepieces_core.resources import (
    AppConnectionsResource,
    AsyncAppConnectionsResource,
    AsyncFlowsResource,
    AsyncFoldersResource,
    AsyncInvitationsResource,
    AsyncPieceSetsResource,
    AsyncProjectMembersResource,
    AsyncProjectRolesResource,
    AsyncProjectsResource,
    AsyncTablesResource,
    AsyncUsersResource,
    FlowsResource,
    FoldersResource,
    InvitationsResource,
    PieceSetsResource,
    ProjectMembersResource,
    ProjectRolesResource,
    ProjectsResource,
    TablesResource,
    UsersResource,
)
from activepieces_core.resources.platforms import AsyncPlatformsResource, PlatformsResource
from activepieces_core.retries import RetryPolicy

__all__ = ["ActivepiecesClient", "AsyncActivepiecesClient"]

SleepT = TypeVar("SleepT")
HttpT = TypeVar("HttpT")
_EXTRA = ("sleep", "retry_policy", "http_transport")


def _config(**values: Any) -> ClientConfig:
    try:
        return ClientConfig(**values)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise InvalidRequestError(f"invalid client configuration: {problems}") from None


class _BaseClient(Generic[SleepT, HttpT]):
    """Constructor and factories shared by both clients; subclasses add the transport."""

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        verify: bool = True,
        headers: Mapping[str, str] | None = None,
        async_backend: Literal["auto", "aiohttp", "httpx"] = "auto",
        *,
        config: ClientConfig | None = None,
        sleep: SleepT | None = None,
        retry_policy: RetryPolicy | None = None,
        http_transport: HttpT | None = None,
    ) -> None:
        self.config: ClientConfig = config or _config(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            verify=verify,
            headers=headers,
            async_backend=async_backend,
        )
        self._setup(sleep, retry_policy, http_transport)

    def _setup(
        self, sleep: SleepT | None, policy: RetryPolicy | None, http_transport: HttpT | None
    ) -> None:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: ClientConfig, **kwargs: Any) -> Self:
        """A client for ``config`` (``sleep``/``retry_policy``/``http_transport`` allowed)."""
        return cls(config=config, **kwargs)

    @classmethod
    def from_env(cls, **kwargs: Any) -> Self:
        """Read ``ACTIVEPIECES_API_KEY`` and ``ACTIVEPIECES_URL``; keyword config overrides win."""
        extra = {k: kwargs.pop(k) for k in _EXTRA if k in kwargs}
        return cls(config=ClientConfig.from_env(**kwargs), **extra)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r})"


class ActivepiecesClient(_BaseClient[Callable[[float], None], httpx.BaseTransport]):
    """Synchronous client: one connection pool, safe to share between threads.

    ``api_key`` (or ``config=ClientConfig(...)``) is required; ``base_url`` defaults to the
    cloud and may be given with or without ``/api/v1``. For tests: ``sleep`` replaces
    `time.sleep` between retries, ``retry_policy`` overrides the policy built from the
    config, ``http_transport`` goes to `httpx.Client`. Use as a context manager.
    """

    projects: ProjectsResource
    piece_sets: PieceSetsResource
    invitations: InvitationsResource
    project_members: ProjectMembersResource
    users: UsersResource
    project_roles: ProjectRolesResource
    flows: FlowsResource
    folders: FoldersResource
    tables: TablesResource
    app_connections: AppConnectionsResource
    platforms: PlatformsResource

    def _setup(
        self,
        sleep: Callable[[float], None] | None,
        policy: RetryPolicy | None,
        http_transport: httpx.BaseTransport | None,
    ) -> None:
        self._transport = SyncTransport(
            self.config, sleep=sleep, policy=policy, http_transport=http_transport
        )
        self.projects = ProjectsResource(self._transport)
        self.piece_sets = PieceSetsResource(self._transport)
        self.invitations = InvitationsResource(self._transport)
        self.project_members = ProjectMembersResource(self._transport)
        self.users = UsersResource(self._transport)
        self.project_roles = ProjectRolesResource(self._transport)
        self.flows = FlowsResource(self._transport)
        self.folders = FoldersResource(self._transport)
        self.tables = TablesResource(self._transport)
        self.app_connections = AppConnectionsResource(self._transport)
        self.platforms = PlatformsResource(self._transport)

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


class AsyncActivepiecesClient(
    _BaseClient[Callable[[float], Awaitable[None]], httpx.AsyncBaseTransport]
):
    """Asynchronous client: one connection pool, safe to share between tasks.

    Same constructor as `ActivepiecesClient`; ``sleep`` replaces `asyncio.sleep`.
    ``async_backend``: "auto" (aiohttp under asyncio when the ``aiohttp`` extra is installed,
    else httpx's own transport, as under trio), "aiohttp" or "httpx"; ignored when
    ``http_transport`` is given. Use with ``async with``.
    """

    projects: AsyncProjectsResource
    piece_sets: AsyncPieceSetsResource
    invitations: AsyncInvitationsResource
    project_members: AsyncProjectMembersResource
    users: AsyncUsersResource
    project_roles: AsyncProjectRolesResource
    flows: AsyncFlowsResource
    folders: AsyncFoldersResource
    tables: AsyncTablesResource
    app_connections: AsyncAppConnectionsResource
    platforms: AsyncPlatformsResource

    def _setup(
        self,
        sleep: Callable[[float], Awaitable[None]] | None,
        policy: RetryPolicy | None,
        http_transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        self._transport = AsyncTransport(
            self.config, sleep=sleep, policy=policy, http_transport=http_transport
        )
        self.projects = AsyncProjectsResource(self._transport)
        self.piece_sets = AsyncPieceSetsResource(self._transport)
        self.invitations = AsyncInvitationsResource(self._transport)
        self.project_members = AsyncProjectMembersResource(self._transport)
        self.users = AsyncUsersResource(self._transport)
        self.project_roles = AsyncProjectRolesResource(self._transport)
        self.flows = AsyncFlowsResource(self._transport)
        self.folders = AsyncFoldersResource(self._transport)
        self.tables = AsyncTablesResource(self._transport)
        self.app_connections = AsyncAppConnectionsResource(self._transport)
        self.platforms = AsyncPlatformsResource(self._transport)

    @property
    def http_backend(self) -> Literal["aiohttp", "httpx"]:
        """The HTTP stack in use: "aiohttp" or "httpx" (its own transport, or an injected one)."""
        return self._transport.backend

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._transport.close()

    async def close(self) -> None:
        """Alias of `aclose`."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
