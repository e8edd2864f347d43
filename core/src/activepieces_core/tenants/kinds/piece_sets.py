"""The piece-set kind: which pieces a tenant sees on platforms governed by piece sets.

Read: every set, in pages of 100 (``client.piece_sets.listing``), the first page being the
probe of which mechanism governs the platform (a legacy one answers it 402 or 404). On a legacy
platform nothing more is read, ``pieces`` stays a project field (see the project kind) and a
document that names piece sets is refused before anything is sent.

Diff, on a piece-set platform (rules read from upstream, see docs/piece-sets.md):
* every set the document declares is created or converged (name and ``config.pieces`` only:
  the server merges an update, so action/trigger selections are never reset);
* a tenant with ``pieces`` owns a set keyed ``tenant:<external id>`` (`owned_key`), kept in
  step with its list; a tenant with ``piece_set`` is assigned that set; a tenant with neither
  goes back to the platform's Default set (a new project starts there);
* a set the tenant owns is deleted once the tenant no longer uses it or is pruned; ``prune``
  never deletes a set it does not own.

Writes: ``ensure`` per set (no duplicate under faults), one assign per set for up to
`Kind.batch_size` moved projects (for the Default set, one unassign per project), one delete
per dropped owned set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.errors import NotFoundError
from activepieces_core.models import Project, enum_value
from activepieces_core.models.piece_set import PieceSelection, PieceSet, PiecesMechanism
from activepieces_core.resources.piece_sets._ops import MAX_PAGE_SIZE
from activepieces_core.resources.piece_sets._ops import changes as set_changes
from activepieces_core.retries import is_ambiguous_write
from activepieces_core.tenants._fields_sets import share_fields_sets
from activepieces_core.tenants.kinds.base import (
    Applied,
    Kind,
    PlanInput,
    Reading,
    StaleChange,
    compare_observed,
    torn_down,
)
from activepieces_core.tenants.results import TenantChange
from activepieces_core.tenants.spec import OWNED_SET_PREFIX, TenantSpec, TenantSpecError

__all__ = ["PHASE_ASSIGN", "PHASE_SETS", "PHASE_SET_DELETE", "PieceSetKind"]

PHASE_SETS = 10
PHASE_ASSIGN = 30
PHASE_SET_DELETE = 60
DEFAULT_KEY = "default"
#: What a paged listing has in flight at most: a page and the next one (`pages`).
LISTING_IN_FLIGHT = 2
#: The kind of the change that moves a tenant's project onto a set.
ASSIGNMENT = "piece_set_assignment"


def owned_key(external_id: str) -> str:
    """The key of the set a tenant with its own ``pieces`` owns: ``tenant:<external id>``."""
    return OWNED_SET_PREFIX + external_id


def uses_piece_sets(reading: Reading) -> bool:
    """True when the plan found piece sets governing the platform."""
    return reading.pieces_mechanism == PiecesMechanism.PIECE_SETS


def _key_of(piece_set: PieceSet | None) -> str:
    """How a plan names the set a project is on: its key, ``default`` for the Default set (or
    none: a project resolves to Default), its id for a set made without a key."""
    if piece_set is None or piece_set.is_default:
        return DEFAULT_KEY
    return piece_set.key or piece_set.id


def _selection(data: dict[str, Any]) -> PieceSelection:
    return PieceSelection.model_validate({"mode": data["mode"], "exceptions": data["exceptions"]})


def _set_change(
    external_id: str, key: str, name: str, wish: PieceSelection, current: PieceSet | None
) -> TenantChange:
    data = {"name": name, "mode": str(enum_value(wish.mode)), "exceptions": list(wish.exceptions)}
    if current is None:
        action, diff = "create", {k: {"from": None, "to": v} for k, v in data.items()}
    elif not set_changes(current, name=name, pieces=wish):
        # A noop writes nothing and is not re-read: no payload (a no-op plan of 100,000
        # tenants with their own pieces holds 100,000 of them).
        return TenantChange.of(
            **{
                "external_id": external_id,
                "kind": "piece_set",
                "key": key,
                "action": "noop",
                "target_id": current.id,
            }
        )
    else:
        action = "update"
        have = {
            "name": current.name,
            "mode": str(enum_value(current.pieces.mode)),
            "exceptions": sorted(current.pieces.exceptions),
        }
        diff = {k: {"from": have[k], "to": v} for k, v in data.items() if have[k] != v}
    return TenantChange.of(
        **{
            "external_id": external_id,
            "kind": "piece_set",
            "key": key,
            "action": action,
            "target_id": current.id if current is not None else None,
            "display_name": name,
            "diff": diff,
            "data": data,
            "observed": None if current is None else {"id": current.id, "updated": current.updated},
        }
    )


class PieceSetKind(Kind[list[PieceSet]]):
    """Piece sets: the document's named sets, tenant-owned sets and each project's set."""

    name = "piece_set"
    #: Its probe and listing need nothing another kind reads: on the wire beside the projects
    #: listing (the project kind's diff waits for it).
    read_waits_for = ()
    #: Projects moved onto one set by one assign. Upstream's body has no upper bound
    #: (``AssignProjectsRequestBody``: ``projectIds`` min 1, packages/core/shared piece-set
    #: DTOs, read 2026-12-07) and the server moves them with one ``UPDATE ... WHERE id IN``;
    #: 500 ids are a ~12 KB body. A failed assign fails its batch's tenants (each reported).
    batch_size: ClassVar[int] = 500

    @property
    def change_kinds(self) -> tuple[str, ...]:
        return (self.name, ASSIGNMENT)

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> list[PieceSet]:
        # Beside the project kind's read: its share of the plan's reads in flight is what a
        # paged listing has in flight (a page and the next one), held for the whole read.
        held = min(LISTING_IN_FLIGHT, request.concurrency)
        gate = reading.budget(request.concurrency)
        for _ in range(held):
            await gate.acquire()
        try:
            return await self._read(client, request, reading)
        finally:
            for _ in range(held):
                gate.release()

    async def _read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> list[PieceSet]:
        # The listing's first page is the probe: no pages where piece sets do not govern.
        sets: list[PieceSet] = []
        pages = 0
        async for page in client.piece_sets.listing(limit=MAX_PAGE_SIZE):
            pages += 1
            for piece_set in page.data:
                share_fields_sets(piece_set)  # a set per tenant with its own pieces
                sets.append(piece_set)
        reading.requests += pages or 1  # the legacy platform's answer to the probe
        mechanism = await client.piece_sets.mechanism()  # known by now: nothing sent
        reading.pieces_mechanism = mechanism
        if mechanism != PiecesMechanism.PIECE_SETS:
            _refuse_on_legacy(request)
            return []
        return sets

    def diff(
        self, request: PlanInput, reading: Reading, sets: list[PieceSet]
    ) -> list[TenantChange]:
        if not uses_piece_sets(reading):
            return []
        by_key = {s.key: s for s in sets if s.key}
        by_id = {s.id: s for s in sets}
        default = next((s for s in sets if s.is_default), None)
        changes: list[TenantChange] = []
        for declared in request.piece_sets:
            wish = PieceSelection.model_validate(
                {"mode": declared.mode, "exceptions": list(declared.exceptions)}
            )
            current = by_key.get(declared.key)
            changes.append(_set_change("", declared.key, declared.effective_name, wish, current))
        for spec in request.tenants:
            changes.extend(self._tenant_changes(spec, reading, by_key, by_id, default))
        changes.extend(_owned_sets_to_drop(request, reading, by_key))
        return changes

    def _tenant_changes(
        self,
        spec: TenantSpec,
        reading: Reading,
        by_key: dict[str, PieceSet],
        by_id: dict[str, PieceSet],
        default: PieceSet | None,
    ) -> list[TenantChange]:
        ext = spec.external_id
        project: Project | None = reading.projects.get(ext)
        owned = by_key.get(owned_key(ext))
        out: list[TenantChange] = []
        if spec.pieces is not None:
            target = owned_key(ext)
            wish = PieceSelection.allow(spec.pieces)
            out.append(_set_change(ext, target, f"Tenant {ext}", wish, owned))
        else:
            target = spec.piece_set or DEFAULT_KEY
        current_set = by_id.get(project.piece_set_id or "") if project is not None else None
        current = _key_of(current_set)
        if target != current:
            to_set = default if target == DEFAULT_KEY else by_key.get(target)
            out.append(
                TenantChange.of(
                    **{
                        "external_id": ext,
                        "kind": ASSIGNMENT,
                        "key": target,
                        "action": "update",
                        "project_id": project.id if project is not None else None,
                        "diff": {"piece_set": {"from": current, "to": target}},
                        "data": {
                            "from_set_id": current_set.id if current_set is not None else None,
                            "to_set_id": to_set.id if to_set is not None else None,
                        },
                        "observed": None if project is None else {"piece_set": current},
                    }
                )
            )
        if owned is not None and spec.pieces is None:
            out.append(_delete(ext, owned))  # after the project moved off it
        return out

    def phase(self, change: TenantChange) -> int:
        if change.kind == ASSIGNMENT:
            return PHASE_ASSIGN
        return PHASE_SET_DELETE if change.action == "delete" else PHASE_SETS

    def depends_on_project(self, change: TenantChange) -> bool:
        # An owned set goes only once its tenant's project change went through: deleting it
        # under a project still on it would move that project to Default.
        owned_delete = change.action == "delete" and bool(change.external_id)
        return change.kind == ASSIGNMENT or owned_delete

    async def find_stale(
        self,
        client: AsyncActivepiecesClient,
        changes: Sequence[TenantChange],
        request: PlanInput,
    ) -> list[StaleChange]:
        """Sets by key (the set pages, once) against their planned ``id``/``updated``;
        assignments by the set each project is on now (one read per existing project)."""
        sets = [s async for s in client.piece_sets.iter(limit=MAX_PAGE_SIZE)]
        by_key = {s.key: s for s in sets if s.key}
        by_id = {s.id: s for s in sets}
        stale: list[StaleChange] = []
        moves = [c for c in changes if c.kind == ASSIGNMENT and c.project_id]
        for change in changes:
            if change.kind == "piece_set":
                found = by_key.get(str(change.key))
                now = None if found is None else {"id": found.id, "updated": found.updated}
                verdict = compare_observed(change, now)
                if verdict is not None:
                    stale.append(verdict)
        gate = asyncio.Semaphore(request.concurrency)

        async def current_key(project_id: str) -> dict[str, Any] | None:
            async with gate:
                try:
                    project = await client.projects.get(project_id)
                except NotFoundError:
                    return None  # vanished: the project check says so
            return {"piece_set": _key_of(by_id.get(project.piece_set_id or ""))}

        now_on = await asyncio.gather(*(current_key(str(c.project_id)) for c in moves))
        for change, now in zip(moves, now_on, strict=True):
            verdict = compare_observed(change, now) if now is not None else None
            if verdict is not None:
                stale.append(verdict)
        return stale

    def bind(self, change: TenantChange, made: Mapping[str, Mapping[str, str]]) -> TenantChange:
        """A move onto a declared set the plan creates learns the set's id."""
        if change.kind != ASSIGNMENT or change.data.get("to_set_id"):
            return change
        set_id = made.get(self.name, {}).get(str(change.key))
        if set_id is None:
            return change
        return change.model_copy(update={"data": {**change.data, "to_set_id": set_id}})

    def batch_key(self, change: TenantChange, applied: Applied) -> str | None:
        """Moves onto one set go together: the server's assign takes many project ids (one
        ``UPDATE ... WHERE id IN``), so a set's tenants cost one request per `batch_size`.
        Going back to Default (one unassign per project) and anything that cannot be written
        (no project, no set) go one by one, which reports them. So does a move onto a tenant's
        own set, which no other project joins: the same request, sent as soon as the engine
        comes to it, not once it has looked at every move (onboarding 10,000 tenants, a tenth
        with their own pieces: the first assign went 18 ms after the phase began)."""
        if change.kind != ASSIGNMENT or change.key == DEFAULT_KEY:
            return None
        if str(change.key).startswith(OWNED_SET_PREFIX):
            return None
        if _project_of(change, applied) is None:
            return None
        return _target_set(change, applied.ids.get(self.name, {}).get(str(change.key)))

    async def write_batch(
        self, client: AsyncActivepiecesClient, changes: Sequence[TenantChange], applied: Applied
    ) -> str | None:
        set_id = self.batch_key(changes[0], applied)
        assert set_id is not None
        await client.piece_sets.assign(set_id, [str(_project_of(c, applied)) for c in changes])
        return set_id

    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        key = str(change.key)
        ids = applied.ids.setdefault(self.name, {})
        if change.kind == ASSIGNMENT:
            return await _assign(client, change, applied, ids.get(key))
        if change.action == "delete":
            assert change.target_id is not None
            await client.piece_sets.delete(change.target_id)
            return change.target_id
        name, pieces = str(change.data["name"]), _selection(change.data)
        if change.action == "update" and change.target_id is not None:
            updated = await client.piece_sets.update(change.target_id, name=name, pieces=pieces)
            ids[key] = updated.id
            return updated.id
        try:
            # The plan proved the key absent: create without ensure's look-up (a set starts as
            # include_all, so the selection follows in one update).
            made = await client.piece_sets.create(name, key)
        except Exception as exc:
            if not is_ambiguous_write(exc):
                raise
            made = (await client.piece_sets.ensure(key, name, pieces=pieces)).piece_set
        else:
            made = await client.piece_sets.update(made.id, pieces=pieces)
        ids[key] = made.id
        return made.id


def _owned_sets_to_drop(
    request: PlanInput, reading: Reading, by_key: dict[str, PieceSet]
) -> list[TenantChange]:
    """Deletes of the sets owned by tenants this plan tears down, and of owned sets whose
    tenant is gone already (left by an earlier, interrupted teardown): with ``prune`` any
    owned set of a tenant the document no longer lists, for a teardown those of the named
    tenants. Never a set the tenants do not own, never one of a protected tenant."""
    going = set(torn_down(request, reading))
    if request.teardown:
        orphans = {e for e in request.teardown if e not in reading.projects}
    elif request.prune:
        listed = {s.external_id for s in request.tenants}
        orphans = (
            {
                key.removeprefix(OWNED_SET_PREFIX)
                for key in by_key
                if key.startswith(OWNED_SET_PREFIX)
            }
            - listed
            - set(reading.projects)
        )
    else:
        return []
    drops = []
    for ext in sorted(going | orphans):
        owned = by_key.get(owned_key(ext))
        if owned is not None:
            drops.append(_delete(ext, owned))
    return drops


def _delete(external_id: str, current: PieceSet) -> TenantChange:
    return TenantChange.of(
        **{
            "external_id": external_id,
            "kind": "piece_set",
            "key": current.key,
            "action": "delete",
            "target_id": current.id,
            "display_name": current.name,
            "observed": {"id": current.id, "updated": current.updated},
        }
    )


def _project_of(change: TenantChange, applied: Applied) -> str | None:
    return applied.project_ids.get(change.external_id) or change.project_id


def _target_set(change: TenantChange, made: str | None) -> str | None:
    return str(change.data.get("to_set_id") or made or "") or None


async def _assign(
    client: AsyncActivepiecesClient, change: TenantChange, applied: Applied, made: str | None
) -> str:
    project_id = _project_of(change, applied)
    if project_id is None:
        raise RuntimeError(f"tenant {change.external_id!r} has no project to assign")
    if change.key == DEFAULT_KEY:
        from_id = change.data.get("from_set_id")
        if from_id:  # leaving a set is going back to Default
            await client.piece_sets.unassign(str(from_id), project_id)
        return str(change.data.get("to_set_id") or "")
    set_id = _target_set(change, made)
    if set_id is None:
        raise RuntimeError(f"piece set {change.key!r} was not created; nothing to assign")
    await client.piece_sets.assign(set_id, [project_id])
    return set_id


def _refuse_on_legacy(request: PlanInput) -> None:
    errors: list[dict[str, Any]] = []
    if request.piece_sets:
        message = "piece_sets need a platform governed by piece sets (this one uses project plans)"
        errors.append({"row": "piece_sets", "external_id": None, "errors": [message]})
    for index, spec in enumerate(request.tenants):
        if spec.piece_set is not None:
            message = (
                f"piece_set {spec.piece_set!r}: this platform has no piece sets "
                "(use pieces, or enable managePiecesEnabled)"
            )
            errors.append({"row": index, "external_id": spec.external_id, "errors": [message]})
    if errors:
        raise TenantSpecError(errors)
