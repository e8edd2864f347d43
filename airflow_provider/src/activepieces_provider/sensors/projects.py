"""``ActivepiecesProjectSensor``: wait for a project to exist, to be gone, or to reach usage.

``ProjectCondition`` (what is waited for) is defined here and shared with the trigger, so the
sensor's pokes and the trigger's polls decide alike.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf

from activepieces_core.parsing import exactly_one
from activepieces_provider.exceptions import ProjectSensorError
from activepieces_provider.hooks.activepieces import ActivepiecesHook, find_project
from activepieces_provider.links.projects import ActivepiecesProjectLink
from activepieces_provider.operators._base import ActivepiecesHookMixin, optional_int

if TYPE_CHECKING:
    from airflow.sdk import Context

    from activepieces_core import Project

WAIT_FOR = ("exists", "gone")

# Sensor argument -> ProjectAnalytics attribute.
_THRESHOLD_FIELDS = {
    "min_total_flows": "total_flows",
    "min_active_flows": "active_flows",
    "min_users": "total_users",
    "min_active_users": "active_users",
}


@dataclass(frozen=True)
class ProjectCondition:
    """``exists`` (optionally with analytics minimums) or ``gone``; no I/O."""

    wait_for: str = "exists"
    min_total_flows: int | None = None
    min_active_flows: int | None = None
    min_users: int | None = None
    min_active_users: int | None = None

    @classmethod
    def build(cls, wait_for: str, **thresholds: Any) -> ProjectCondition:
        """Validate (rendered) sensor arguments; thresholds may arrive as numeric strings."""
        if wait_for not in WAIT_FOR:
            raise ValueError(f"wait_for must be one of {WAIT_FOR}, got {wait_for!r}")
        values: dict[str, int | None] = {}
        for name in _THRESHOLD_FIELDS:
            value = optional_int(thresholds.get(name))
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
            # A minimum of 0 always holds; dropping it also avoids waiting for analytics.
            values[name] = value or None
        if wait_for == "gone" and any(v is not None for v in values.values()):
            raise ValueError("analytics thresholds only apply to wait_for='exists'")
        return cls(wait_for=wait_for, **values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (trigger kwargs)."""
        return dataclasses.asdict(self)

    def check(self, project: Project | None) -> tuple[bool, str]:
        """Whether the condition holds for the looked-up project, and why (for the log)."""
        if self.wait_for == "gone":
            if project is None:
                return True, "project is gone"
            return False, f"project {project.id} still exists"
        if project is None:
            return False, "project does not exist yet"
        wanted = {
            field: minimum
            for name, field in _THRESHOLD_FIELDS.items()
            if (minimum := getattr(self, name)) is not None
        }
        if not wanted:
            return True, f"project {project.id} exists"
        analytics = project.analytics
        if analytics is None:
            return False, f"project {project.id} has no analytics yet"
        unmet = [
            f"{field}={getattr(analytics, field, None)} < {minimum}"
            for field, minimum in wanted.items()
            if (getattr(analytics, field, None) or 0) < minimum
        ]
        if unmet:
            return False, f"project {project.id}: " + ", ".join(unmet)
        return True, f"project {project.id} reached " + ", ".join(
            f"{field}>={minimum}" for field, minimum in wanted.items()
        )


class ActivepiecesProjectSensor(ActivepiecesHookMixin, BaseSensorOperator):
    """Wait until a project (by id or external id) exists, is gone, or reaches analytics minimums.

    Works in ``poke`` and ``reschedule`` mode and, with ``deferrable=True``, hands the polling to
    :class:`~activepieces_provider.triggers.projects.ActivepiecesProjectTrigger` (async client,
    deadline = the sensor's ``timeout``). Returns (XCom) the project dict, ``None`` for ``gone``,
    and links the found project (**Activepieces Project** button). Pokes share one client.

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project.
    :param wait_for: ``"exists"`` (default) or ``"gone"``.
    :param min_total_flows, min_active_flows, min_users, min_active_users: analytics minimums
        (imply ``exists``).
    :param activepieces_conn_id: Airflow connection of type ``activepieces``.
    :param deferrable: defer to the triggerer; default ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = (
        "activepieces_conn_id",
        "project_id",
        "external_id",
        "wait_for",
        "min_total_flows",
        "min_active_flows",
        "min_users",
        "min_active_users",
    )
    ui_color = "#e6dcfb"
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(
        self,
        *,
        project_id: str | None = None,
        external_id: str | None = None,
        wait_for: str = "exists",
        min_total_flows: int | None = None,
        min_active_flows: int | None = None,
        min_users: int | None = None,
        min_active_users: int | None = None,
        activepieces_conn_id: str = ActivepiecesHook.default_conn_name,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.external_id = external_id
        self.wait_for = wait_for
        self.min_total_flows = min_total_flows
        self.min_active_flows = min_active_flows
        self.min_users = min_users
        self.min_active_users = min_active_users
        self.activepieces_conn_id = activepieces_conn_id
        self.deferrable = deferrable

    def _condition(self) -> ProjectCondition:
        exactly_one(project_id=self.project_id, external_id=self.external_id)
        return ProjectCondition.build(
            self.wait_for,
            min_total_flows=self.min_total_flows,
            min_active_flows=self.min_active_flows,
            min_users=self.min_users,
            min_active_users=self.min_active_users,
        )

    def poke(self, context: Context) -> PokeReturnValue:
        condition = self._condition()
        project = find_project(
            self.hook.get_conn(), self.project_id or None, self.external_id or None
        )
        done, reason = condition.check(project)
        self.log.info("%s: %s", self.project_id or self.external_id, reason)
        if done and project is not None:
            self.push_project_link(context, project.id)
        return PokeReturnValue(
            is_done=done, xcom_value=project.to_dict() if project is not None else None
        )

    def execute(self, context: Context) -> Any:
        try:
            if not self.deferrable:
                return super().execute(context)
            first = self.poke(context)
            if first.is_done:  # already there: never involve the triggerer
                return first.xcom_value
        finally:
            self.close_hook()
        from activepieces_provider.triggers.projects import ActivepiecesProjectTrigger

        self.defer(
            trigger=ActivepiecesProjectTrigger(
                activepieces_conn_id=self.activepieces_conn_id,
                project_id=self.project_id,
                external_id=self.external_id,
                condition=self._condition().to_dict(),
                poll_interval=self.poke_interval,
                deadline=time.time() + self.timeout if self.timeout else None,
            ),
            method_name="execute_complete",
            # The trigger enforces the deadline itself and reports it as an event, so the
            # timeout lands in execute_complete (soft_fail honoured) instead of bypassing it.
            timeout=None,
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: return the project or raise on timeout/error."""
        from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException

        status = event.get("status") if isinstance(event, dict) else None
        message = event.get("message", "") if isinstance(event, dict) else ""
        target = self.project_id or self.external_id
        if status == "success":
            self.log.info("%s: %s", target, message)
            project = event.get("project") if isinstance(event, dict) else None
            if isinstance(project, dict) and project.get("id"):
                self.push_project_link(context, str(project["id"]))
            return project
        if status == "timeout":
            text = f"Sensor for project {target} timed out: {message}"
            if self.soft_fail:
                raise AirflowSkipException(text)
            raise AirflowSensorTimeout(text)
        if status == "error":
            raise ProjectSensorError(f"Sensor for project {target} failed: {message}")
        raise ProjectSensorError(f"Unexpected trigger event for project {target}: {event!r}")
