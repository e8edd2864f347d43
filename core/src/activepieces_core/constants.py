"""Constants shared by the client, the engine, the CLI and the integrations.

Import-free on purpose: an Airflow DAG file or a Prefect block may read these without paying
for httpx or pydantic.
"""

from __future__ import annotations

__all__ = [
    "API_PREFIX",
    "CLOUD_URL",
    "DEFAULT_BACKOFF_BASE",
    "DEFAULT_BACKOFF_MAX",
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TIMEOUT",
    "ENV_API_KEY",
    "ENV_URL",
    "READ_RETRYABLE_STATUSES",
    "RETRYABLE_STATUSES",
    "RETRY_DOC",
]

#: The public API prefix of every Activepieces server.
API_PREFIX = "/api/v1"
#: Activepieces Cloud, with the prefix: the default base URL.
CLOUD_URL = "https://cloud.activepieces.com" + API_PREFIX
DEFAULT_BASE_URL = CLOUD_URL

ENV_URL = "ACTIVEPIECES_URL"
ENV_API_KEY = "ACTIVEPIECES_API_KEY"

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 4
DEFAULT_BACKOFF_BASE = 0.5
DEFAULT_BACKOFF_MAX = 30.0

#: Requests in flight at once when the engine applies or looks up many tenants.
DEFAULT_CONCURRENCY = 16
#: Page size of the engine's listings (the server caps nothing; 1000 keeps pages < 1 MB).
DEFAULT_PAGE_SIZE = 1000

#: Statuses retried for idempotent writes (update, delete, assign...). Here, below both
#: `activepieces_core.errors` (``APIError.is_transient``) and `activepieces_core.retries`.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
#: Statuses retried for reads: the above and a plain 500.
READ_RETRYABLE_STATUSES = RETRYABLE_STATUSES | {500}

#: The one answer to "what is retried?", quoted by the Airflow form and the Prefect block.
RETRY_DOC = (
    "Connection failures, timeouts and 429/502/503/504 answers are retried with exponential "
    "backoff (honouring Retry-After); a plain 500 is retried only for reads. A create is "
    "resent only when nothing can have been written; otherwise it is looked up first."
)

#: Above this many tenants, members and waiting invitations are read in platform-wide listings
#: (the member kind's plan and the archiver's shared reads agree on it).
PLATFORM_WIDE_INVITATIONS = 8
