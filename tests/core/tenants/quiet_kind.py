"""`QuietKind`: the base of the tests' own kinds, which override only what they watch."""

from __future__ import annotations

from typing import Any

from activepieces_core import AsyncActivepiecesClient
from activepieces_core.tenants import TenantChange
from activepieces_core.tenants.kinds import Applied, Kind, PlanInput, Reading


class QuietKind(Kind[Any]):
    """Reads nothing, plans nothing, writes nothing (phase 0)."""

    name = "quiet"

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> Any:
        return None

    def diff(self, request: PlanInput, reading: Reading, state: Any) -> list[TenantChange]:
        return []

    def phase(self, change: TenantChange) -> int:
        return 0

    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        return None
