"""Find a project by id or external id, ``None`` when absent (sync and async twins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from activepieces_provider.exceptions import ProjectNotFoundError

if TYPE_CHECKING:
    from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient, Project


def find_project(
    client: ActivepiecesClient, project_id: str | None, external_id: str | None
) -> Project | None:
    """Project by id (404 -> ``None``) or by external id."""
    from activepieces_core.errors import NotFoundError

    if external_id:
        return client.projects.get_by_external_id(external_id)
    try:
        return client.projects.get(str(project_id))
    except NotFoundError:
        return None


async def afind_project(
    client: AsyncActivepiecesClient, project_id: str | None, external_id: str | None
) -> Project | None:
    """Async twin of :func:`find_project`."""
    from activepieces_core.errors import NotFoundError

    if external_id:
        return await client.projects.get_by_external_id(external_id)
    try:
        return await client.projects.get(str(project_id))
    except NotFoundError:
        return None


def require_project(
    client: ActivepiecesClient, project_id: str | None, external_id: str | None
) -> Project:
    """Like :func:`find_project` but a missing project is an error."""
    project = find_project(client, project_id, external_id)
    if project is None:
        raise ProjectNotFoundError(project_id=project_id, external_id=external_id)
    return project
