"""The request log: one record per request, in completion order, for tests and benchmarks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestRecord:
    """``status`` is None when the connection was dropped (no response sent)."""

    route: str  # list/get/create/update/delete/worker_groups, or "not_found"
    method: str
    path: str
    status: int | None
    fault: str | None
    request_id: str
    #: The client's end of the connection it came on (``host:port``): how many connections a
    #: job opened. None when the server does not say.
    peer: str | None = None


class RequestLog:
    """List-like, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def count(self, route: str | None = None, method: str | None = None) -> int:
        """Requests matching ``route`` and ``method`` (None = any)."""
        with self._lock:
            return sum(
                1
                for r in self._records
                if (route is None or r.route == route) and (method is None or r.method == method)
            )

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        with self._lock:
            return iter(list(self._records))

    def __getitem__(self, index: int) -> RequestRecord:
        with self._lock:
            return self._records[index]

    def __repr__(self) -> str:
        return f"RequestLog({len(self)} requests)"
