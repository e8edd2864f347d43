"""The platform's plan flags, read once per plan for the kinds that depend on them.

An API key learns its platform's id from any project it can list (every project carries
``platformId``; every user has a PERSONAL project, so a platform is never without one), then
reads ``GET /v1/platforms/:id`` (`activepieces_core.resources.platforms`). A server that does
not serve it (404), or refuses it, leaves the flags unknown (None): the kinds warn rather than
guess.
"""

from __future__ import annotations

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.errors import AuthorizationError, NotFoundError
from activepieces_core.resources.platforms import PlatformPlan
from activepieces_core.tenants.kinds.base import Reading

__all__ = ["platform_flags"]

_UNKNOWN = PlatformPlan.model_construct()  # the cached "could not read" marker


async def platform_flags(client: AsyncActivepiecesClient, reading: Reading) -> PlatformPlan | None:
    """The plan flags of the key's platform (read at most once per plan, kept on ``reading``);
    None when they cannot be read."""
    if reading.plan_flags is not None:
        return None if reading.plan_flags is _UNKNOWN else reading.plan_flags
    platform_id = next((p.platform_id for p in reading.projects.values() if p.platform_id), None)
    if platform_id is None:
        page = await client.projects.list(limit=1)
        reading.requests += 1
        platform_id = next((p.platform_id for p in page.data if p.platform_id), None)
    flags: PlatformPlan | None = None
    if platform_id is not None:
        try:
            flags = (await client.platforms.get(platform_id)).plan
        except (NotFoundError, AuthorizationError):
            flags = None
        reading.requests += 1
    reading.plan_flags = _UNKNOWN if flags is None else flags
    return flags
