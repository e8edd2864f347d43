"""``ProjectCondition``: what the project sensor and its trigger wait for, decided alike.

Below both (the sensor defers to the trigger, the trigger rebuilds the condition from its
serialized kwargs), so imports run one way: sensor -> trigger -> this module.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from activepieces_provider.operators._base import optional_int

if TYPE_CHECKING:
    from activepieces_core import Project

__all__ = ["THRESHOLD_FIELDS", "WAIT_FOR", "ProjectCondition"]

WAIT_FOR = ("exists", "gone")

#: Sensor argument -> ProjectAnalytics attribute: every analytics minimum a condition holds.
THRESHOLD_FIELDS = {
    "min_total_flows": "total_flows",
    "min_active_flows": "active_flows",
    "min_users": "total_users",
    "min_active_users": "active_users",
}


@dataclass(frozen=True)
class ProjectCondition:
    """``exists`` (optionally with analytics minimums) or ``gone``; no I/O."""

    wait_for: str = "exists"
    min_total_flows: int | None = None
    min_active_flows: int | None = None
    min_users: int | None = None
    min_active_users: int | None = None

    @classmethod
    def build(cls, wait_for: str, **thresholds: Any) -> ProjectCondition:
        """Validate (rendered) sensor arguments; thresholds may arrive as numeric strings."""
        if wait_for not in WAIT_FOR:
            raise ValueError(f"wait_for must be one of {WAIT_FOR}, got {wait_for!r}")
        values: dict[str, int | None] = {}
        for name in THRESHOLD_FIELDS:
            value = optional_int(thresholds.get(name), name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
            # A minimum of 0 always holds; dropping it also avoids waiting for analytics.
            values[name] = value or None
        if wait_for == "gone" and any(v is not None for v in values.values()):
            raise ValueError("analytics thresholds only apply to wait_for='exists'")
        return cls(wait_for=wait_for, **values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (trigger kwargs)."""
        return dataclasses.asdict(self)

    def check(self, project: Project | None) -> tuple[bool, str]:
        """Whether the condition holds for the looked-up project, and why (for the log)."""
        if self.wait_for == "gone":
            if project is None:
                return True, "project is gone"
            return False, f"project {project.id} still exists"
        if project is None:
            return False, "project does not exist yet"
        wanted = {
            field: minimum
            for name, field in THRESHOLD_FIELDS.items()
            if (minimum := getattr(self, name)) is not None
        }
        if not wanted:
            return True, f"project {project.id} exists"
        analytics = project.analytics
        if analytics is None:
            return False, f"project {project.id} has no analytics yet"
        unmet = [
            f"{field}={getattr(analytics, field, None)} < {minimum}"
            for field, minimum in wanted.items()
            if (getattr(analytics, field, None) or 0) < minimum
        ]
        if unmet:
            return False, f"project {project.id}: " + ", ".join(unmet)
        return True, f"project {project.id} reached " + ", ".join(
            f"{field}>={minimum}" for field, minimum in wanted.items()
        )
