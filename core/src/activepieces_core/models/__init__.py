"""Pydantic models of the Projects API (responses tolerant, requests strict)."""

from activepieces_core.models.contents import (
    AppConnection,
    Flow,
    Folder,
    ProjectState,
    ReplaceCounts,
    ReplaceResult,
    Table,
)
from activepieces_core.models.enums import ColorName, PiecesFilterType, ProjectType, enum_value
from activepieces_core.models.page import Page
from activepieces_core.models.people import (
    DEFAULT_PROJECT_ROLES,
    Invitation,
    InvitationStatus,
    InvitationType,
    PlatformRole,
    ProjectMember,
    ProjectRef,
    ProjectRole,
    User,
    UserStatus,
)
from activepieces_core.models.piece_set import (
    PieceSelection,
    PieceSelectionMode,
    PieceSet,
    PieceSetConfig,
    PiecesMechanism,
    RequiredActions,
)
from activepieces_core.models.project import (
    APIModel,
    Project,
    ProjectAnalytics,
    ProjectIcon,
    ProjectPlan,
)
from activepieces_core.models.requests import (
    CreateProjectRequest,
    IconRequest,
    PlanRequest,
    UpdateProjectRequest,
)

__all__ = [
    "DEFAULT_PROJECT_ROLES",
    "APIModel",
    "AppConnection",
    "ColorName",
    "CreateProjectRequest",
    "Flow",
    "Folder",
    "IconRequest",
    "Invitation",
    "InvitationStatus",
    "InvitationType",
    "Page",
    "PieceSelection",
    "PieceSelectionMode",
    "PieceSet",
    "PieceSetConfig",
    "PiecesFilterType",
    "PiecesMechanism",
    "PlanRequest",
    "PlatformRole",
    "Project",
    "ProjectAnalytics",
    "ProjectIcon",
    "ProjectMember",
    "ProjectPlan",
    "ProjectRef",
    "ProjectRole",
    "ProjectState",
    "ProjectType",
    "ReplaceCounts",
    "ReplaceResult",
    "RequiredActions",
    "Table",
    "UpdateProjectRequest",
    "User",
    "UserStatus",
    "enum_value",
]
