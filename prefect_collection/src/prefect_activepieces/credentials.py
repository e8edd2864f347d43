"""`ActivepiecesCredentials`: the block holding the API URL and key, handing out core clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, HttpUrl, SecretStr

from activepieces_core.config import ClientConfig
from activepieces_core.constants import (
    CLOUD_URL,
    DEFAULT_BACKOFF_BASE,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    RETRY_DOC,
)

if TYPE_CHECKING:
    # The clients (and every model and resource they load) come on first use: Prefect imports
    # each installed collection in every server, worker and block lookup (bench/import_cost.py).
    from activepieces_core.client import ActivepiecesClient, AsyncActivepiecesClient

__all__ = ["ActivepiecesCredentials", "resolve_credentials"]


class ActivepiecesCredentials(CredentialsBlock):
    """Connection to an Activepieces platform: the API base URL and a platform API key.

    The key is a `SecretStr`: it is masked in reprs, the UI and stored flow-run parameters, and
    only unwrapped while building a client. Transient failures are retried inside the client
    (see ``max_retries``).

    Examples:
        Load saved credentials and list the platform's projects:
        ```python
        from prefect_activepieces import ActivepiecesCredentials

        credentials = ActivepiecesCredentials.load("BLOCK_NAME")
        with credentials.get_client() as client:
            projects = list(client.projects.iter())
        ```
    """

    # Pinned: the slug is the block type's identity on the server; deriving it from the display
    # name would orphan saved documents if the name ever changed.
    _block_type_slug: ClassVar[str] = "activepieces-credentials"
    _block_type_name: ClassVar[str] = "Activepieces Credentials"
    # What the block catalog shows: prose for users, one paragraph (the docstring is for
    # developers and Prefect would show its hard line breaks).
    _description: ClassVar[str | None] = (
        "Connects your flows to an Activepieces platform: its API address and a platform API "
        "key, used to create, update and delete the platform's projects (one per tenant). "
        "The key is kept secret and is never shown once saved."
    )
    _logo_url: ClassVar[HttpUrl | None] = HttpUrl("https://cdn.activepieces.com/brand/logo.svg")
    _documentation_url: ClassVar[HttpUrl | None] = HttpUrl(
        "https://www.activepieces.com/docs/endpoints/projects/overview"
    )

    # Schema evolution: only ever add fields, always with defaults; never rename.
    base_url: str = Field(
        default=CLOUD_URL,
        title="Base URL",
        description=(
            f"API base URL including the /api/v1 prefix, e.g. {CLOUD_URL} "
            "or https://ap.example.com/api/v1."
        ),
    )
    api_key: SecretStr = Field(
        default=...,
        title="API key",
        description="Platform API key (starts with sk-), from the platform admin console.",
    )
    timeout: float = Field(
        default=DEFAULT_TIMEOUT,
        gt=0,
        title="Timeout",
        description="Per-request timeout in seconds.",
    )
    max_retries: int = Field(
        default=DEFAULT_MAX_RETRIES,
        ge=0,
        title="Max retries",
        description=f"How many times the client retries a failed request. {RETRY_DOC}",
    )
    backoff_base: float = Field(
        default=DEFAULT_BACKOFF_BASE,
        ge=0,
        title="Backoff base",
        description="First retry waits up to this many seconds, doubling per retry (full jitter).",
    )
    backoff_max: float = Field(
        default=DEFAULT_BACKOFF_MAX,
        ge=0,
        title="Backoff max",
        description="Upper bound in seconds of one backoff wait (a Retry-After header wins).",
    )
    verify: bool = Field(
        default=True,
        title="Verify TLS",
        description="Verify the server's TLS certificate; disable only for test servers.",
    )

    def get_config(
        self, *, timeout: float | None = None, max_retries: int | None = None
    ) -> ClientConfig:
        """The core `ClientConfig` these credentials describe (key still a `SecretStr`).

        ``timeout`` and ``max_retries`` override the block's values for this config only.
        """
        return ClientConfig(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout if timeout is None else timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
            backoff_base=self.backoff_base,
            backoff_max=self.backoff_max,
            verify=self.verify,
        )

    def get_client(
        self, *, timeout: float | None = None, max_retries: int | None = None
    ) -> ActivepiecesClient:
        """A sync core client; use it as a context manager so its connections are closed.

        ``timeout`` and ``max_retries`` override the block's values for this client; any other
        argument is a ``TypeError``.
        """
        from activepieces_core.client import ActivepiecesClient

        return ActivepiecesClient.from_config(
            self.get_config(timeout=timeout, max_retries=max_retries)
        )

    def get_async_client(
        self, *, timeout: float | None = None, max_retries: int | None = None
    ) -> AsyncActivepiecesClient:
        """An async core client (use it with ``async with``); overrides as in `get_client`."""
        from activepieces_core.client import AsyncActivepiecesClient

        return AsyncActivepiecesClient.from_config(
            self.get_config(timeout=timeout, max_retries=max_retries)
        )


def resolve_credentials(credentials: ActivepiecesCredentials | str) -> ActivepiecesCredentials:
    """Return ``credentials``, loading it first when given as the name of a saved block."""
    if isinstance(credentials, ActivepiecesCredentials):
        return credentials
    # _sync: a flow called from async code would otherwise get a coroutine back from `load`.
    loaded = ActivepiecesCredentials.load(credentials, _sync=True)  # type: ignore[call-arg]
    if not isinstance(loaded, ActivepiecesCredentials):
        raise TypeError(f"block {credentials!r} is not an ActivepiecesCredentials block")
    return loaded
