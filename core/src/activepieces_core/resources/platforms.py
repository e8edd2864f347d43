"""``client.platforms``: the platform an API key belongs to (``GET /v1/platforms/:id``).

Upstream serves it to a SERVICE principal (``securityAccess.publicPlatform([USER, SERVICE])``)
and answers 403 AUTHORIZATION for any platform but the key's own (platform.controller.ts @
00ccf32463edee21d35030fc0d23867ea1d223f1); the body (``PlatformWithoutSensitiveData``) carries
the ``plan`` and its feature flags, the only place an API key can read them (``/v1/flags``
carries no plan flag). What tenants read here: ``environmentsEnabled`` (replace) and
``globalConnectionsEnabled`` (a project's global connections).
"""

from __future__ import annotations

from pydantic import Field

from activepieces_core._http import Call, path_of
from activepieces_core.models.project import APIModel
from activepieces_core.resources._base import AsyncResource, Op, SyncResource, parse, require_id

__all__ = ["AsyncPlatformsResource", "Platform", "PlatformPlan", "PlatformsResource"]


class PlatformPlan(APIModel):
    """The plan's feature flags tenants as code depends on (absent: off, as upstream's
    defaults); the rest of the plan is ignored."""

    environments_enabled: bool = False
    global_connections_enabled: bool = False
    manage_pieces_enabled: bool = False


class Platform(APIModel):
    """A platform as ``GET /v1/platforms/:id`` returns it (tolerant: extras ignored)."""

    id: str
    name: str | None = None
    owner_id: str | None = None
    plan: PlatformPlan = Field(default_factory=PlatformPlan)


def get_platform(platform_id: str) -> Op[Platform]:
    body = yield Call("GET", path_of("platforms", require_id(platform_id, "platform_id")))
    return parse(Platform, body)


class PlatformsResource(SyncResource):
    """Synchronous ``client.platforms``."""

    def get(self, platform_id: str) -> Platform:
        """The key's platform and its plan (`AuthorizationError` for any other id)."""
        return self._run(get_platform(platform_id))


class AsyncPlatformsResource(AsyncResource):
    """Asynchronous ``client.platforms``."""

    async def get(self, platform_id: str) -> Platform:
        """The key's platform and its plan (`AuthorizationError` for any other id)."""
        return await self._run(get_platform(platform_id))
