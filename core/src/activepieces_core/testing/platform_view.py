"""``GET /v1/platforms/:id``: the one API-key read of a platform's plan flags.

``platform.controller.ts`` @ ``00ccf32``: ``securityAccess.publicPlatform([USER, SERVICE])``, 403
AUTHORIZATION when ``:id`` is not the key's platform; the body is
``PlatformWithoutSensitiveData`` (``@activepieces/shared`` 0.96.2).
"""

from __future__ import annotations

from typing import Any

from .records import Platform
from .responses import ApplicationError

#: Plan flags the emulator does not model: reported off.
_UNMODELLED_FLAGS = (
    "tablesEnabled",
    "eventStreamingEnabled",
    "analyticsEnabled",
    "showPoweredBy",
    "auditLogEnabled",
    "embeddingEnabled",
    "agentsEnabled",
    "aiProvidersEnabled",
    "chatEnabled",
    "dataManipulationEnabled",
    "manageTemplatesEnabled",
    "customAppearanceEnabled",
    "ssoEnabled",
    "secretManagersEnabled",
    "scimEnabled",
    "canary",
    "customDomainsEnabled",
)


def platform_view(platform: Platform, platform_id: str) -> dict[str, Any]:
    """``GET /v1/platforms/:id`` (``platform.controller.ts`` @ ``00ccf32``, K's read): an API
    key reads its own platform only (403 otherwise); ``PlatformWithoutSensitiveData`` with the
    plan flags the emulator models, the rest at upstream's defaults."""
    if platform_id != platform.id:
        raise ApplicationError(
            "AUTHORIZATION", {"message": "principal is not allowed to access this platform"}
        )
    limit = getattr(platform, "team_projects_limit", None)
    team_limit = {0: "NONE", 1: "ONE", "NONE": "NONE", "ONE": "ONE"}.get(limit, "UNLIMITED")
    flags = {
        "environmentsEnabled": platform.environments_enabled,
        "globalConnectionsEnabled": platform.global_connections_enabled,
        "projectRolesEnabled": platform.project_roles_enabled,
        "managePiecesEnabled": platform.manage_pieces_enabled,
        "customRolesEnabled": bool(getattr(platform, "custom_roles_enabled", False)),
    }
    plan: dict[str, Any] = dict.fromkeys(_UNMODELLED_FLAGS, False)
    plan.update(flags)
    plan.update(
        plan="enterprise",
        includedAiCredits=0,
        aiCreditsAutoTopUpState="disabled",
        teamProjectsLimit=team_limit,
        billedTeamProjectsLimit=limit if isinstance(limit, int) else None,
        projectsLimit=None,
        activeFlowsLimit=None,
        usersLimit=platform.users_limit,
        apiKeysEnabled=True,
    )
    return {
        "id": platform.id,
        "created": "2024-01-01T00:00:00.000Z",
        "updated": "2024-01-01T00:00:00.000Z",
        "ownerId": platform.owner_id,
        "name": "Emulated platform",
        "primaryColor": "#6e41e2",
        "themeColors": None,
        "logoIconUrl": "https://cdn.activepieces.com/brand/logo.svg",
        "fullLogoUrl": "https://cdn.activepieces.com/brand/full-logo.png",
        "favIconUrl": "https://cdn.activepieces.com/brand/favicon.ico",
        "filteredPieceNames": [],
        "filteredPieceBehavior": "BLOCKED",
        "cloudAuthEnabled": True,
        "googleAuthEnabled": True,
        "enforceAllowedAuthDomains": False,
        "allowedAuthDomains": [],
        "allowedEmbedOrigins": [],
        "ssoDomain": None,
        "ssoDomainVerification": None,
        "federatedAuthProviders": {},
        "emailAuthEnabled": True,
        "pinnedPieces": [],
        "pieceSelectorConfig": None,
        "plan": plan,
    }
