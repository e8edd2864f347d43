"""``ActivepiecesProjectSensor``: wait for a project to exist, to be gone, or to reach usage.

What is waited for is a `ProjectCondition` (``activepieces_provider.conditions``), shared with
the trigger, so the sensor's pokes and the trigger's polls decide alike.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf

from activepieces_core.parsing import exactly_one
from activepieces_provider.conditions import THRESHOLD_FIELDS, ProjectCondition
from activepieces_provider.exceptions import ProjectSensorError
from activepieces_provider.hooks.activepieces import ActivepiecesHook
from activepieces_provider.links.projects import ActivepiecesProjectLink
from activepieces_provider.operators._base import ActivepiecesHookMixin, project_target

if TYPE_CHECKING:
    from airflow.sdk import Context


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
        (imply ``exists``); templated, so rendered text such as ``"{{ params.n }}"`` is read as
        an integer (a clear error names the field otherwise).
    :param activepieces_conn_id: Airflow connection of type ``activepieces``.
    :param deferrable: defer to the triggerer; default ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = (
        "activepieces_conn_id",
        "project_id",
        "external_id",
        "wait_for",
        *THRESHOLD_FIELDS,
    )
    ui_color = "#e6dcfb"
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(
        self,
        *,
        project_id: str | None = None,
        external_id: str | None = None,
        wait_for: str = "exists",
        min_total_flows: int | str | None = None,
        min_active_flows: int | str | None = None,
        min_users: int | str | None = None,
        min_active_users: int | str | None = None,
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
        # Every threshold, by the condition's own list: one left out here would be dropped
        # silently by a deferred sensor (its trigger gets only this condition).
        return ProjectCondition.build(
            self.wait_for, **{name: getattr(self, name) for name in THRESHOLD_FIELDS}
        )

    def poke(self, context: Context) -> PokeReturnValue:
        condition = self._condition()
        target = project_target(self.project_id, self.external_id)
        project = self.hook.get_conn().projects.find(**target)
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
        # Imported on deferral only: DAG parsing should not pay for the trigger and the async
        # client it loads (bench/import_cost.py: ~15 ms). No circle: the trigger never imports
        # the sensor.
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
