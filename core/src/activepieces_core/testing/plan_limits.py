"""The platform plan's team-project limit: upstream's number, and the old names as aliases.

Upstream's platform plan now holds ``billedTeamProjectsLimit: number | null`` next to
``projectsLimit``, ``activeFlowsLimit`` and ``usersLimit`` (``PlatformPlanWithOnlyLimits``;
``OPEN_SOURCE_PLAN`` has 1, the free cloud plan 0, paid plans null). Older servers had the enum
``TeamProjectsLimit`` = ``NONE`` | ``ONE`` | ``UNLIMITED``; those names stay accepted here and
mean 0, 1 and no limit (None). Sources and what could not be confirmed:
``docs/upstream-emulator-updates.md``.
"""

from __future__ import annotations

from typing import TypeAlias

from .responses import ApplicationError

#: The enum names older servers used, and the number each means now (None = no limit).
TEAM_PROJECTS_LIMIT_NAMES: dict[str, int | None] = {"NONE": 0, "ONE": 1, "UNLIMITED": None}
TEAM_PROJECTS_LIMITS: tuple[str, ...] = tuple(TEAM_PROJECTS_LIMIT_NAMES)

#: A team-project limit as given: a number, None, an old name, or a number's text.
TeamProjectsLimit: TypeAlias = int | str | None


def team_projects_limit(value: TeamProjectsLimit) -> int | None:
    """``billedTeamProjectsLimit`` from a number (>= 0), None or an old name (ValueError else)."""
    if isinstance(value, str):
        name = value.strip().upper()
        if name in TEAM_PROJECTS_LIMIT_NAMES:
            return TEAM_PROJECTS_LIMIT_NAMES[name]
        value = int(name) if name.isdigit() else -1
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise ValueError(
        f"team_projects_limit must be a number >= 0, None or one of {TEAM_PROJECTS_LIMITS}"
    )


def check_team_project_create(limit: int | None, team_projects: int) -> None:
    """The create-time check of ``platform-project-controller.ts``
    (``assertMaximumNumberOfProjectsReachedByEdition``) on the numeric limit: 0 refuses every
    team project (409 ``VALIDATION``), n refuses the (n+1)th live one (402
    ``FEATURE_DISABLED``), None never refuses. Soft-deleted projects do not count."""
    if limit is None:
        return
    if limit == 0:
        raise ApplicationError(
            "VALIDATION", {"message": "Team projects are not available on your current plan"}
        )
    if team_projects >= limit:
        noun = "team project" if limit == 1 else "team projects"
        raise ApplicationError(
            "FEATURE_DISABLED",
            {
                "message": f"Maximum limit of {limit} {noun} reached for this plan. "
                "Upgrade your plan to add more team projects."
            },
        )
