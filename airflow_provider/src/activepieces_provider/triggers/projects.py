"""``ActivepiecesProjectTrigger``: polls a project with the async client in the triggerer.

Its first poll waits one poll interval. The sensor has just checked before deferring, so an
immediate poll learns nothing new; and on Airflow 3.3.2 a trigger that fires straight away can
resume the task before the scheduler has handled the worker's exit on deferral, and the resumed
try is then marked failed as a "state mismatch" (apache/airflow#72716).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from activepieces_provider.conditions import ProjectCondition
from activepieces_provider.hooks.activepieces import ActivepiecesHook
from activepieces_provider.operators._base import project_target


def _event(payload: dict[str, Any]) -> TriggerEvent:
    return TriggerEvent(payload)  # type: ignore[no-untyped-call]


class ActivepiecesProjectTrigger(BaseTrigger):
    """Fire once the project condition holds, or once ``deadline`` passes.

    Events: ``{"status": "success", "project": {...} | None, "message": ...}``,
    ``{"status": "timeout", "message": ...}`` or ``{"status": "error", "message": ...}``.
    Transient API failures (429, 5xx, network) keep polling; other errors end with ``error``.

    :param activepieces_conn_id: connection id (resolved with the async lookup).
    :param project_id: project id to watch (or ``external_id``).
    :param external_id: external id to watch.
    :param condition: ``ProjectCondition.to_dict()`` (``wait_for`` and analytics minimums).
    :param poll_interval: seconds between polls.
    :param first_poll_delay: seconds before the first poll (default ``poll_interval``; see the
        module docstring for why not 0). Cut short by ``deadline``.
    :param deadline: wall-clock epoch seconds after which a ``timeout`` event is sent (``None``
        = no deadline). Wall clock because the trigger may resume in another process.
    """

    def __init__(
        self,
        *,
        activepieces_conn_id: str = ActivepiecesHook.default_conn_name,
        project_id: str | None = None,
        external_id: str | None = None,
        condition: dict[str, Any] | None = None,
        poll_interval: float = 30.0,
        deadline: float | None = None,
        first_poll_delay: float | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.activepieces_conn_id = activepieces_conn_id
        self.project_id = project_id
        self.external_id = external_id
        self.condition = ProjectCondition(**(condition or {}))
        self.poll_interval = float(poll_interval)
        self.deadline = deadline
        self.first_poll_delay = (
            self.poll_interval if first_poll_delay is None else float(first_poll_delay)
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "activepieces_conn_id": self.activepieces_conn_id,
                "project_id": self.project_id,
                "external_id": self.external_id,
                "condition": self.condition.to_dict(),
                "poll_interval": self.poll_interval,
                "deadline": self.deadline,
                "first_poll_delay": self.first_poll_delay,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from activepieces_core.errors import APIError

        # Before anything, errors included: any event sent at once risks apache/airflow#72716.
        await asyncio.sleep(self._capped(self.first_poll_delay))
        try:
            client = await ActivepiecesHook(self.activepieces_conn_id).get_async_client()
        except Exception as exc:
            yield _event({"status": "error", "message": f"{type(exc).__name__}: {exc}"})
            return
        reason = "not checked yet"
        async with client:
            while True:
                try:
                    target = project_target(self.project_id, self.external_id)
                    project = await client.projects.find(**target)
                except APIError as exc:
                    if not exc.is_transient:
                        yield _event({"status": "error", "message": str(exc)})
                        return
                    reason = f"transient API error: {exc}"
                    self.log.warning("Still polling after %s", reason)
                except Exception as exc:
                    yield _event({"status": "error", "message": f"{type(exc).__name__}: {exc}"})
                    return
                else:
                    done, reason = self.condition.check(project)
                    if done:
                        payload = project.to_dict() if project is not None else None
                        yield _event({"status": "success", "project": payload, "message": reason})
                        return
                    self.log.info("Waiting: %s", reason)
                if self.deadline is not None and self.deadline <= time.time():
                    yield _event(
                        {"status": "timeout", "message": f"deadline passed; last state: {reason}"}
                    )
                    return
                await asyncio.sleep(self._capped(self.poll_interval))

    def _capped(self, delay: float) -> float:
        """``delay``, cut short so that the deadline is never overslept."""
        if self.deadline is None:
            return max(0.0, delay)
        return max(0.0, min(delay, self.deadline - time.time()))
