"""Response models: tolerant of unknown fields and unknown enum values."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from activepieces_core.models.enums import (
    ColorName,
    LenientColorName,
    LenientPiecesFilterType,
    LenientProjectType,
    PiecesFilterType,
    ProjectType,
)

__all__ = ["APIModel", "Project", "ProjectAnalytics", "ProjectIcon", "ProjectPlan"]

# Plain strings: the enums are ``str`` enums, so a member and an unknown value kept as a
# string (lenient parsing) compare alike; read once, as plans test every project listed.
_TEAM = ProjectType.TEAM.value
_PERSONAL = ProjectType.PERSONAL.value
_ALLOWED = PiecesFilterType.ALLOWED.value


#: Validation context for input nobody else holds (a response body just decoded, a state's
#: parts built for it): models that keep raw parts (`contents.Flow`, `contents.ProjectState`)
#: keep them as they are instead of copying them.
OWNED: dict[str, bool] = {"owned": True}


def is_owned(context: Any) -> bool:
    """Whether a validation ``context`` says the input is `OWNED`."""
    return isinstance(context, dict) and bool(context.get("owned"))


class APIModel(BaseModel):
    """Base of response models: snake_case fields, camelCase on the wire, extras ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        # Each model's validator is built on its first use, not on import: a run uses a few of
        # the API's models (a plan without templates no contents model), and every
        # ``activepieces`` command paid for building all of them at start-up.
        defer_build=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with the API's camelCase keys (for XCom, Prefect results, files)."""
        return self.model_dump(mode="json", by_alias=True)


class ProjectIcon(APIModel):
    """``{"color": ColorName}``; an unknown colour is kept as a string."""

    color: LenientColorName | None = None


class ProjectPlan(APIModel):
    """The project's plan: which pieces are visible, and limits."""

    id: str | None = None
    created: str | None = None
    updated: str | None = None
    project_id: str | None = None
    locked: bool = False
    name: str | None = None
    pieces_filter_type: LenientPiecesFilterType = PiecesFilterType.NONE
    pieces: list[str] = Field(default_factory=list)
    active_flows_limit: int | None = None


class ProjectAnalytics(APIModel):
    """Usage counters returned with every project."""

    total_users: int = 0
    active_users: int = 0
    total_flows: int = 0
    active_flows: int = 0


class Project(APIModel):
    """A project (``ProjectWithLimits``). Timestamps are the server's ISO-8601 strings."""

    id: str
    created: str | None = None
    updated: str | None = None
    owner_id: str | None = None
    display_name: str
    platform_id: str | None = None
    type: LenientProjectType = ProjectType.TEAM
    icon: ProjectIcon | None = None
    external_id: str | None = None
    # The create route accepts any number, so a non-integer may come back.
    max_concurrent_jobs: int | float | None = None
    releases_enabled: bool = False
    metadata: dict[str, Any] | None = None
    pool_id: str | None = None
    notify_flow_owner_on_failure: bool = False
    #: The piece set the project is on (platforms with ``managePiecesEnabled``; None = Default).
    piece_set_id: str | None = None
    worker_group_id: str | None = None
    execution_data_retention_days: int | None = None
    sensitive: bool = False
    plan: ProjectPlan | None = None
    analytics: ProjectAnalytics | None = None

    @property
    def active_flows_limit(self) -> int | None:
        """The plan's cap on enabled flows (None: no cap, or no plan)."""
        return self.plan.active_flows_limit if self.plan is not None else None

    @property
    def is_personal(self) -> bool:
        """PERSONAL projects belong to a user and cannot be deleted."""
        return bool(self.type == _PERSONAL)

    @property
    def is_team(self) -> bool:
        """TEAM projects are the tenants this package manages (PERSONAL ones are users')."""
        return bool(self.type == _TEAM)

    @property
    def allowed_pieces(self) -> list[str] | None:
        """The pieces the plan's filter allows, sorted: None when every piece is allowed.

        A list stored under filter ``NONE`` decides nothing, so it reads as None here.
        """
        if self.pieces_filter_type != _ALLOWED:
            return None
        return sorted(self.pieces)

    @property
    def icon_color(self) -> ColorName | str | None:
        """The icon colour, or None."""
        return self.icon.color if self.icon is not None else None

    @property
    def pieces_filter_type(self) -> PiecesFilterType | str:
        """The plan's filter type (``NONE`` when the plan is absent)."""
        return self.plan.pieces_filter_type if self.plan is not None else PiecesFilterType.NONE

    @property
    def pieces(self) -> list[str]:
        """The plan's stored piece list (meaningful only when the filter is ``ALLOWED``)."""
        return list(self.plan.pieces) if self.plan is not None else []
