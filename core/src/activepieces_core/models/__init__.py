"""Pydantic models of the Projects API (responses tolerant, requests strict)."""

from activepieces_core.models.enums import ColorName, PiecesFilterType, ProjectType, enum_value
from activepieces_core.models.page import Page
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
    "APIModel",
    "ColorName",
    "CreateProjectRequest",
    "IconRequest",
    "Page",
    "PiecesFilterType",
    "PlanRequest",
    "Project",
    "ProjectAnalytics",
    "ProjectIcon",
    "ProjectPlan",
    "ProjectType",
    "UpdateProjectRequest",
    "enum_value",
]
