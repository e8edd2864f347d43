"""Plumbing shared by the operators and the sensor: hook, client lifetime, link, arguments.

One line of operator classes: ``ActivepiecesBaseOperator`` (connection) ->
``ActivepiecesProjectOperator`` (one project named by id or external id). The sensor is a
``BaseSensorOperator`` and takes the same hook plumbing from ``ActivepiecesHookMixin``.

Templated fields may arrive as rendered strings (Jinja renders to text unless the DAG sets
``render_template_as_native_obj``), so the argument helpers below also accept text. An operator
types such an argument as its value or text (``prune: bool | str``) and reads it with
:func:`argument_bool` / :func:`optional_int` at the start of ``execute``: text that is no such
value is an :class:`InvalidArgumentError` naming the argument, before any request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from activepieces_core.parsing import exactly_one, is_blank, parse_bool
from activepieces_provider.exceptions import InvalidArgumentError
from activepieces_provider.hooks.activepieces import ActivepiecesHook
from activepieces_provider.links.projects import PROJECT_URL_ATTR, PROJECT_URL_XCOM_KEY

if TYPE_CHECKING:
    from airflow.sdk import Context

    from activepieces_core import ActivepiecesClient, Project


def json_value(value: Any) -> Any:
    """Decode a JSON object/array given as text; anything else is returned unchanged."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        return json.loads(value)
    return value


def text_list(value: Any) -> list[str] | None:
    """A list argument given as a list, JSON text or comma-separated text; blank -> ``None``."""
    decoded = json_value(value)
    if is_blank(decoded):
        return None
    if isinstance(decoded, str):
        return [part.strip() for part in decoded.split(",") if part.strip()]
    return [str(item) for item in decoded]


def argument_bool(name: str, value: bool | str | None) -> bool:
    """Boolean argument that may arrive rendered as text, read by core's ``parse_bool``
    (``"false"``, ``"False"``, ``"0"``, ``"no"``, blank are false; never "non-empty is true")."""
    try:
        return parse_bool(value)
    except ValueError as exc:
        raise InvalidArgumentError(f"{name}: {exc}") from None


def optional_int(value: Any, name: str) -> int | None:
    """Integer argument that may arrive rendered as text; blank/``"None"`` means unset."""
    if is_blank(value) or (isinstance(value, str) and value.strip() == "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{name}: not an integer: {value!r}") from None


def project_target(project_id: Any, external_id: Any) -> dict[str, str | None]:
    """Core's ``projects.find``/``discard`` arguments; a blank rendered id is not given."""
    return {
        "project_id": None if is_blank(project_id) else str(project_id),
        "external_id": None if is_blank(external_id) else str(external_id),
    }


class ActivepiecesHookMixin:
    """The hook of ``activepieces_conn_id``, its client's lifetime and the project link.

    For classes deriving from ``BaseOperator`` that declare ``activepieces_conn_id`` in their
    own ``__init__`` (Airflow checks mapped arguments against those signatures).
    """

    activepieces_conn_id: str

    @cached_property
    def hook(self) -> ActivepiecesHook:
        """Hook for the (rendered) connection id; built on first use inside ``execute``."""
        return ActivepiecesHook(activepieces_conn_id=self.activepieces_conn_id)

    @contextmanager
    def client(self) -> Iterator[ActivepiecesClient]:
        """The hook's client for a block; closed afterwards, so no pool outlives the task."""
        try:
            yield self.hook.get_conn()
        finally:
            self.hook.close()

    def close_hook(self) -> None:
        """Close the hook's client if one was built (the hook itself is never built here)."""
        hook = self.__dict__.get("hook")
        if hook is not None:
            hook.close()

    def on_kill(self) -> None:
        """Release the hook's connections when the task is killed (best effort)."""
        self.close_hook()

    def push_project_link(self, context: Context, project_id: str) -> None:
        """Record the project's web-app URL for the extra link (one per map index)."""
        url = self.hook.project_url(project_id)
        # Kept on the task too: Airflow 3 evaluates the link in this process right after the
        # task, and a task that failed before this point must yield no link, not an XCom miss.
        setattr(self, PROJECT_URL_ATTR, url)
        context["ti"].xcom_push(key=PROJECT_URL_XCOM_KEY, value=url)


class ActivepiecesBaseOperator(ActivepiecesHookMixin, BaseOperator):
    """Base of the Activepieces operators; subclasses implement ``execute`` with :meth:`client`.

    :param activepieces_conn_id: Airflow connection of type ``activepieces``.
    """

    template_fields: Sequence[str] = ("activepieces_conn_id",)
    ui_color = "#e6dcfb"

    def __init__(
        self, *, activepieces_conn_id: str = ActivepiecesHook.default_conn_name, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.activepieces_conn_id = activepieces_conn_id


class ActivepiecesProjectOperator(ActivepiecesBaseOperator):
    """Base of the operators acting on one project, named by id or by external id.

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "project_id",
        "external_id",
    )

    def __init__(
        self, *, project_id: str | None = None, external_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.external_id = external_id

    def check_target(self) -> None:
        """Exactly one of ``project_id`` / ``external_id`` (a blank rendered value is not one)."""
        exactly_one(project_id=self.project_id, external_id=self.external_id)

    def find_target(self, client: ActivepiecesClient) -> Project | None:
        """The target project, ``None`` when it does not exist."""
        return client.projects.find(**project_target(self.project_id, self.external_id))

    def require_target(self, client: ActivepiecesClient) -> Project:
        """The target project; :class:`ProjectNotFoundError` when it does not exist."""
        project = self.find_target(client)
        if project is None:
            from activepieces_provider.exceptions import ProjectNotFoundError

            raise ProjectNotFoundError(project_id=self.project_id, external_id=self.external_id)
        return project
