"""``ActivepiecesHook``: turns an Airflow connection into the core Activepieces clients."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from activepieces_provider._urls import build_base_url, project_asset_uri, project_ui_url
from activepieces_provider.get_provider_info import CLOUD_URL, UI_FIELD_BEHAVIOUR

if TYPE_CHECKING:
    from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient

_FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)


def _extra_dict(raw: str | None) -> dict[str, Any]:
    """Parse ``Connection.extra`` without the synchronous secret-masking step of ``extra_dejson``.

    The extras read here (timeout, retries, TLS) are not secrets, and skipping that step keeps
    the parse safe inside a triggerer's event loop.
    """
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise ValueError("Activepieces connection extra is not valid JSON") from exc
    if not isinstance(parsed, dict):
        return {}
    # Older connection forms stored custom fields as ``extra__<conn_type>__<field>``.
    prefix = f"extra__{ActivepiecesHook.conn_type}__"
    legacy = {k[len(prefix) :]: v for k, v in parsed.items() if k.startswith(prefix)}
    return {**legacy, **{k: v for k, v in parsed.items() if not k.startswith(prefix)}}


class ActivepiecesHook(BaseHook):
    """Build sync and async Activepieces clients from an Airflow connection.

    Connection fields: ``host`` = API base URL (empty = Activepieces Cloud), ``password`` = API
    key; extras ``timeout`` (seconds), ``max_retries`` and ``verify`` (TLS). Nothing is resolved
    until a client is requested, so constructing the hook is free.

    :param activepieces_conn_id: Airflow connection id.
    :param client_options: keyword arguments for the client overriding the connection's extras
        (e.g. ``{"timeout": 10, "max_retries": 0}``).
    """

    conn_name_attr = "activepieces_conn_id"
    default_conn_name = "activepieces_default"
    conn_type = "activepieces"
    hook_name = "Activepieces"

    def __init__(
        self,
        activepieces_conn_id: str = default_conn_name,
        *,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.activepieces_conn_id = activepieces_conn_id
        self.client_options = dict(client_options or {})
        self._base_url: str | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Connection form for Airflow < 3.2 (newer versions read ``get_provider_info``)."""
        return {key.replace("-", "_"): value for key, value in UI_FIELD_BEHAVIOUR.items()}

    def _client_kwargs(self, conn: Any) -> dict[str, Any]:
        """Client constructor arguments from a connection; shared by the sync and async paths."""
        if not conn.password:
            raise ValueError(
                f"Airflow connection {self.activepieces_conn_id!r} has no API key: "
                "put the Activepieces API key in its password field"
            )
        extra = _extra_dict(conn.extra)
        kwargs: dict[str, Any] = {"api_key": conn.password}
        base_url = build_base_url(conn.host, port=conn.port, schema=conn.schema)
        if base_url:
            kwargs["base_url"] = base_url
        if extra.get("timeout") not in (None, ""):
            kwargs["timeout"] = float(extra["timeout"])
        if extra.get("max_retries") not in (None, ""):
            kwargs["max_retries"] = int(extra["max_retries"])
        if "verify" in extra and extra["verify"] is not None:
            kwargs["verify"] = _as_bool(extra["verify"])
        kwargs.update(self.client_options)
        self._base_url = kwargs.get("base_url") or CLOUD_URL
        return kwargs

    def get_client(self) -> ActivepiecesClient:
        """A new synchronous client (use it as a context manager to close its pool)."""
        from airflow.sdk.log import mask_secret

        from activepieces_core import ActivepiecesClient

        conn = self.get_connection(self.activepieces_conn_id)
        kwargs = self._client_kwargs(conn)
        # The password is masked by the lookup already; repeat it so keys passed through
        # client_options are covered too.
        mask_secret(kwargs["api_key"])
        return ActivepiecesClient(**kwargs)

    def get_conn(self) -> ActivepiecesClient:
        """Alias of :meth:`get_client` (the ``BaseHook`` protocol)."""
        return self.get_client()

    async def get_async_client(self) -> AsyncActivepiecesClient:
        """A new async client, resolving the connection through the async lookup.

        Safe inside a trigger: the synchronous ``get_connection`` (whose secret masking talks to
        the supervisor synchronously) never runs on the event loop. ``common.compat`` awaits
        ``aget_connection`` on Airflow >= 3.3.2 and runs the sync lookup in a worker thread
        before that.
        """
        from activepieces_core import AsyncActivepiecesClient

        conn = await _aget_connection(self.activepieces_conn_id)
        return AsyncActivepiecesClient(**self._client_kwargs(conn))

    @property
    def base_url(self) -> str:
        """API base URL of the connection (resolved on first use)."""
        if self._base_url is None:
            self._client_kwargs(self.get_connection(self.activepieces_conn_id))
        return self._base_url or CLOUD_URL

    def project_url(self, project_id: str) -> str:
        """Link to the project in the Activepieces web app."""
        return project_ui_url(self.base_url, project_id)

    def project_asset_uri(self, external_id: str) -> str:
        """Asset URI ``activepieces://<host>/projects/<external_id>`` for the connection's host."""
        return project_asset_uri(self.base_url, external_id)

    def test_connection(self) -> tuple[bool, str]:
        """Authenticated, read-only probe (list one project); never raises."""
        try:
            with self.get_client() as client:
                client.projects.list(limit=1)
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return True, f"Connected to {self.base_url}: the API key can list projects."


async def _aget_connection(conn_id: str) -> Any:
    """Async connection lookup that is safe on every supported Airflow.

    ``common.compat`` (shipped with Airflow) avoids the synchronous masking call that
    ``BaseHook.aget_connection`` makes before Airflow 3.3.2.
    """
    try:
        from airflow.providers.common.compat.connection import get_async_connection
    except ImportError:  # pragma: no cover - very old common-compat
        return await ActivepiecesHook.aget_connection(conn_id)
    return await get_async_connection(conn_id, hook=ActivepiecesHook)
