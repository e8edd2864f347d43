"""Adopt hand-made projects: give each the external id of the tenant row it already is.

A platform that predates its tenant document has TEAM projects without external ids. Planning
the document against it would create a second project per tenant; adopting first plans, for
every such project whose display name is exactly that of one tenant row (and of no other row,
with no other unlabelled project of that name), an update setting that row's external id.
Nothing is guessed: a name shared by several rows or several projects is reported as
ambiguous, a row with no unlabelled project of its name as missing (`plan` would create it),
and rows whose external id is already on a TEAM project as managed.

The result is an ordinary `Plan` (project updates of ``external_id``, each with the observed
state it was planned against), so it can be saved, reviewed and applied like any other, and is
refused as stale if the project changed in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from activepieces_core.constants import DEFAULT_PAGE_SIZE
from activepieces_core.models import Project, ProjectType
from activepieces_core.project_diff import observed_state
from activepieces_core.tenants._runner import AnyClient, async_client, blocking
from activepieces_core.tenants.loaders import TenantDocument, TenantSource, load_document
from activepieces_core.tenants.results import Plan, TenantChange

__all__ = ["Adoption", "Ambiguity", "MatchBy", "aplan_adoption", "plan_adoption"]

MatchBy = Literal["display-name"]


@dataclass(frozen=True)
class Ambiguity:
    """A display name that several rows or several unlabelled projects share: not adopted."""

    display_name: str
    external_ids: tuple[str, ...]
    project_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "display_name": self.display_name,
            "external_ids": list(self.external_ids),
            "project_ids": list(self.project_ids),
        }


@dataclass
class Adoption:
    """The adoption ``plan`` and every row it could not adopt, by reason."""

    plan: Plan
    ambiguous: list[Ambiguity] = field(default_factory=list)
    #: Rows with no unlabelled project of their display name (`plan` would create them).
    missing: list[str] = field(default_factory=list)
    #: Rows whose external id already is on a TEAM project (nothing to adopt).
    managed: list[str] = field(default_factory=list)
    #: Unlabelled TEAM projects matching no row (left alone).
    unmatched_projects: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; ``plan`` is the saved-plan format."""
        return {
            "plan": self.plan.to_dict(),
            "ambiguous": [a.to_dict() for a in self.ambiguous],
            "missing": list(self.missing),
            "managed": list(self.managed),
            "unmatched_projects": list(self.unmatched_projects),
        }


def _adopt_change(external_id: str, project: Project) -> TenantChange:
    observed = observed_state(project)
    observed["external_id"] = project.external_id  # the field this change writes
    return TenantChange(
        external_id=external_id,
        action="update",
        project_id=project.id,
        display_name=project.display_name,
        diff={"external_id": {"from": project.external_id, "to": external_id}},
        observed=observed,
    )


async def aplan_adoption(
    client: AnyClient,
    specs: TenantSource | TenantDocument,
    *,
    match: MatchBy = "display-name",
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Adoption:
    """Plan adopting the unlabelled TEAM projects that match tenant rows (reads only).

    ``match="display-name"``: the project's display name equals the row's display name
    (``display_name``, else its external id) exactly. One paged TEAM listing.
    """
    if match != "display-name":
        raise ValueError(f"unknown match {match!r} (supported: display-name)")
    document = load_document(specs)
    projects: list[Project] = []
    async with async_client(client) as ac:
        async for project in ac.projects.iter(types=[ProjectType.TEAM], limit=page_size):
            if project.is_team:
                projects.append(project)
    labelled = {p.external_id for p in projects if p.external_id}
    unlabelled: dict[str, list[Project]] = {}
    for project in sorted(projects, key=lambda p: p.id):
        if not project.external_id:
            unlabelled.setdefault(project.display_name, []).append(project)
    rows_by_name: dict[str, list[str]] = {}
    managed: list[str] = []
    for spec in document.tenants:
        if spec.external_id in labelled:
            managed.append(spec.external_id)
        else:
            rows_by_name.setdefault(spec.effective_display_name, []).append(spec.external_id)
    adoption = Adoption(plan=Plan(), managed=managed)
    changes: list[TenantChange] = []
    reported: set[str] = set()
    for spec in document.tenants:
        name = spec.effective_display_name
        rows = rows_by_name.get(name)
        if rows is None or spec.external_id not in rows:
            continue  # managed already
        candidates = unlabelled.get(name, [])
        if not candidates:
            adoption.missing.append(spec.external_id)
        elif len(candidates) == 1 and len(rows) == 1:
            changes.append(_adopt_change(spec.external_id, candidates[0]))
        elif name not in reported:
            reported.add(name)
            ids = tuple(p.id for p in candidates)
            adoption.ambiguous.append(Ambiguity(name, tuple(rows), ids))
    adoption.unmatched_projects = [
        p.id for name, group in unlabelled.items() if name not in rows_by_name for p in group
    ]
    adoption.plan = Plan(
        changes=changes, read_requests=max(1, -(-len(projects) // page_size))
    ).naming(document)
    return adoption


plan_adoption = blocking(aplan_adoption, "Sync `aplan_adoption`: plan adopting projects.")
