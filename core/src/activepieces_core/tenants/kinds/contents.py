"""The contents kind: a tenant's flows, tables and folders, kept those of its ``template``.

Only tenants with a ``template`` are involved: a tenant without one keeps its contents, and
nothing of it is read.

Read: the platform's plan once (`platform_flags`): a template needs ``environmentsEnabled``
(upstream gates ``POST /v1/projects/:id/replace`` on it, project-replace.module.ts @ d81c3f9),
so without it the plan is refused before anything is written. Beside it (not after it: one
round trip less), for every such tenant whose project exists, what replace compares of its
contents (`export_managed`: its flows once, its folders, its tables and their fields,
concurrently across tenants; not its connections, which replace never deletes and the diff
does not compare, nor ``GET /v1/flags``, the same for the whole platform and no part of the
diff: three reads a tenant, not five). A new tenant's project is empty.

Diff: `activepieces_core.contents_diff.diff_state` (the server's own rules for what replace
creates, updates, deletes or leaves unchanged) between the tenant's contents and its template,
one change per flow, table and folder (kinds ``flow``, ``table`` and ``folder``; deletes count
toward ``max_deletions``). The first change that writes carries the template's body (a saved
plan applies without the document); the others of the tenant name it.

Write: one ``client.projects.replace`` per tenant that has anything to change, after its
project exists (a new one is made in the project phase: `Applied.project_ids`). A 207 reports
each failed item as a failed change of that tenant; a refused replace (409 after its waits,
422, 502) fails all of the tenant's changes.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from activepieces_core.client import AsyncActivepiecesClient
from activepieces_core.tenants._construct import constructed
from activepieces_core.tenants.kinds.base import (
    Applied,
    Kind,
    PartlyWritten,
    PlanInput,
    Reading,
    StaleChange,
    compare_observed,
)
from activepieces_core.tenants.kinds.platform_flags import platform_flags
from activepieces_core.tenants.results import Action, TenantChange
from activepieces_core.tenants.spec import TenantSpec, TenantSpecError

if TYPE_CHECKING:
    from activepieces_core.contents_diff import ContentChange
    from activepieces_core.models.contents import FailedItem, ProjectState
    from activepieces_core.resources.platforms import PlatformPlan

__all__ = ["CONTENT_KINDS", "PHASE_CONTENTS", "ContentsKind", "ReplaceItemFailed"]

#: After the project phase (a new tenant's project must exist) and the piece-set moves (the
#: pieces a template's flows use must be visible), before members and deletes.
PHASE_CONTENTS = 35
#: The change kinds of a tenant's contents, in the order a plan lists them.
CONTENT_KINDS = ("folder", "table", "flow")
#: Where the template's body rides in a plan (on one change of the tenant).
STATE_KEY = "state"
#: The name of the template a change follows (``template`` as written in the document).
TEMPLATE_KEY = "template"
#: The observed key holding a digest of the tenant's whole contents (on the carrier change).
CONTENTS_KEY = "contents"


class ReplaceItemFailed(Exception):
    """One item of a replace the server could not apply (a 207's ``failed`` entry)."""


@dataclass(frozen=True)
class Contents:
    """What the contents kind read, already diffed: each tenant's changes (a new tenant's built
    while the reads were on the wire), and the templates, as built for the diff."""

    templates: dict[str, _Template] = field(default_factory=dict)
    changes: dict[str, list[TenantChange]] = field(default_factory=dict)


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Template:
    """A template as every tenant following it is diffed against: built once per plan."""

    state: ProjectState
    body: dict[str, Any]
    items: dict[tuple[str, str], dict[str, Any]]
    empty: ProjectState  # a new tenant's contents
    #: A new tenant's changes, by the template's name as tenants write it (`_new_tenant_changes`).
    new_tenant_changes: dict[str, list[TenantChange]] = field(default_factory=dict)

    @classmethod
    def of(cls, state: ProjectState) -> _Template:
        from activepieces_core.models.contents import ProjectState

        body = state.to_body()
        empty = ProjectState(source_activepieces_version=state.source_activepieces_version)
        return cls(state, body, _body_items(body), empty)

    @functools.cached_property
    def for_new_tenant(self) -> list[ContentChange]:
        """What a new tenant gets (every item created): the same for each, so diffed once."""
        return self.planned(self.empty)

    def planned(self, current: ProjectState) -> list[ContentChange]:
        """What replace does to ``current``, in the order a plan lists it (by kind, no-ops
        last within each)."""
        from activepieces_core.contents_diff import diff_state

        order = {kind: i for i, kind in enumerate(CONTENT_KINDS)}
        changes = diff_state(current, self.state)
        return sorted(changes, key=lambda c: (order.get(c.kind, 9), c.action == "noop"))


def _items(state: ProjectState | None) -> dict[tuple[str, str], dict[str, Any]]:
    """``(kind, external id) -> item`` (as the body spells it) of a state's managed parts."""
    return {} if state is None else _body_items(state.to_body(copy_flows=False))


def _body_items(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    from activepieces_core.models.contents import flow_external_id

    items: dict[tuple[str, str], dict[str, Any]] = {}
    for flow in body["flows"]:
        items[("flow", flow_external_id(flow))] = flow
    for table in body["tables"]:
        items[("table", str(table["externalId"]))] = table
    for folder in body["folders"]:
        items[("folder", str(folder["externalId"]))] = folder
    return items


def _contents_digest(state: ProjectState | None) -> str | None:
    """A digest of what replace manages (flows, tables, folders); None for no project."""
    if state is None:
        return None
    body = state.to_body(copy_flows=False)
    return _digest({k: body[k] for k in ("flows", "tables", "folders")})


def _name(kind: str, item: Mapping[str, Any] | None) -> str | None:
    if item is None:
        return None
    if kind == "flow":
        from activepieces_core.models.contents import flow_display_name

        return flow_display_name(item)
    return str(item.get("name" if kind == "table" else "displayName", ""))


def _field_value(item: Mapping[str, Any] | None, name: str) -> Any:
    if item is None:
        return None
    if name in item:
        return item[name]
    version = item.get("version")
    return version.get(name) if isinstance(version, Mapping) else None


def _diff(
    change: ContentChange, have: Mapping[str, Any] | None, want: Mapping[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """What a plan shows of one item: its name for a create or delete, else each field the
    server compares that differs (a value too large for a cell only as changed)."""
    if change.action == "create":
        return {"name": {"from": None, "to": change.display_name}}
    if change.action == "delete":
        return {"name": {"from": _name(change.kind, have), "to": None}}
    diff: dict[str, dict[str, Any]] = {}
    for name in change.fields:
        old, new = _field_value(have, name), _field_value(want, name)
        if old == new or not (_scalar(old) and _scalar(new)):  # a trigger, notes, fields...
            old, new = _CURRENT, _TEMPLATE
        diff[name] = {"from": old, "to": new}
    return diff


#: How a diff shows a value too large for a cell (the saved plan has the template).
_CURRENT, _TEMPLATE = "(as it is)", "(as in the template)"


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _tenant_changes(
    spec: TenantSpec, project_id: str | None, current: ProjectState | None, wanted: _Template
) -> list[TenantChange]:
    have_items, want_items = _items(current), wanted.items
    planned = wanted.for_new_tenant if current is None else wanted.planned(current)
    changes: list[TenantChange] = []
    carried = False
    for item in planned:
        have = have_items.get((item.kind, item.external_id))
        want = want_items.get((item.kind, item.external_id))
        data: dict[str, Any] = {"external_id": item.external_id, TEMPLATE_KEY: spec.template}
        observed: dict[str, Any] | None = None
        if current is not None and item.action != "noop":
            observed = {} if have is None else {"item": _digest(have)}
            if not carried:
                observed[CONTENTS_KEY] = _contents_digest(current)
        if item.action != "noop" and not carried:
            data[STATE_KEY] = wanted.body  # one object in memory, whichever tenants carry it
            carried = True
        action: Action = item.action
        # Built unvalidated (`TenantChange.of`): every value is one this plan made or read
        # validated; a re-sync of 1,000 tenants with a 5-flow template builds 5,000.
        changes.append(
            TenantChange.of(
                external_id=spec.external_id,
                kind=item.kind,
                key=item.display_name or item.external_id,
                action=action,
                project_id=project_id,
                target_id=None if have is None else have.get("id"),
                display_name=item.display_name,
                diff={} if item.action == "noop" else _diff(item, have, want),
                data=data,
                observed=observed or None,
            )
        )
    return changes


#: New tenants whose changes are built between two turns of the event loop (~1 ms).
_NEW_PER_TURN = 50


async def _build_new_tenants(specs: Sequence[TenantSpec], contents: Contents) -> None:
    """Each new tenant's changes (nothing to read: its project is empty), built while the plan's
    reads are on the wire, a few tenants a turn so that their answers are taken as they come
    (1,000 new tenants: ~20-45 ms no longer between the last read and the first write)."""
    for count, spec in enumerate(specs, 1):
        wanted = contents.templates[str(spec.template)]
        contents.changes[spec.external_id] = _new_tenant_changes(spec, wanted)
        if count % _NEW_PER_TURN == 0:
            await asyncio.sleep(0)


def _new_tenant_changes(spec: TenantSpec, wanted: _Template) -> list[TenantChange]:
    """A tenant without a project yet: its changes are every other new tenant's of the same
    template but for its external id, so they are built (and validated) once and copied
    (1,000 new tenants: 27 -> 16 ms, all of it before the first write)."""
    name = str(spec.template)
    first = wanted.new_tenant_changes.get(name)
    if first is None:
        first = wanted.new_tenant_changes[name] = _tenant_changes(spec, None, None, wanted)
        return first
    return [_renamed(change, spec.external_id) for change in first]


def _renamed(change: TenantChange, external_id: str) -> TenantChange:
    """``change`` for tenant ``external_id``: what ``model_copy(update=...)`` makes (its dict
    copied with the new id, no validation, no extra, no private), sharing its fields set (the
    models are frozen) instead of copying it: 3x cheaper, and 1,000 new tenants of a 5-flow
    template are 5,000 copies between the plan's reads."""
    values = {**change.__dict__, "external_id": external_id}
    return constructed(TenantChange, values, change.__pydantic_fields_set__)


class ContentsKind(Kind[Contents]):
    """The flows, tables and folders of tenants that name a ``template``."""

    name = "content"
    #: It reads the contents of the tenants whose project the project kind found, beside the
    #: piece sets (their read holds its share of the plan's gate, which this one reads through):
    #: the project kind's diff runs while the plan flags' request is on the wire.
    read_waits_for = ("project", "member", "user")
    counts_toward_max_deletions = True
    #: One replace carries all of a tenant's changes, however many.
    batch_size: ClassVar[int] = 1_000_000
    batch_per_tenant = True

    @property
    def change_kinds(self) -> tuple[str, ...]:
        return CONTENT_KINDS

    @property
    def noun(self) -> str:
        return "content item"

    def wanted(self, request: PlanInput) -> bool:
        return any(spec.template is not None for spec in request.tenants)

    async def read(
        self, client: AsyncActivepiecesClient, request: PlanInput, reading: Reading
    ) -> Contents:
        from activepieces_core.resources.contents.export import gather

        refused = False

        async def flags_read() -> PlatformPlan | None:
            nonlocal refused
            async with gate:  # one of the job's requests in flight, as every read
                flags = await platform_flags(client, reading)
            refused = flags is not None and not flags.environments_enabled
            return flags

        # The plan flags are read beside the tenants' contents, not before them (one round trip
        # less), and first: on the wire while the templates are built; once they refuse, no
        # tenant's read starts (the few in flight are reads only).
        gate = reading.budget(request.concurrency)
        flags_task = asyncio.ensure_future(flags_read())
        try:
            await asyncio.sleep(0)  # its request goes out now, not after the templates are built
            contents = Contents(
                {name: _Template.of(body) for name, body in request.templates.items()}
            )
            managed = [
                (spec, reading.projects[spec.external_id].id)
                for spec in request.tenants
                if spec.template is not None and spec.external_id in reading.projects
            ]

            def diffed(index: int, current: ProjectState) -> None:
                # Each tenant is diffed as its contents land, while the other reads are in
                # flight: the diff's CPU no longer follows the last read, and no tenant's
                # contents are held once diffed (a re-sync of 1,000 tenants: 0.3 s less).
                spec, project_id = managed[index]
                wanted = contents.templates[str(spec.template)]
                contents.changes[spec.external_id] = _tenant_changes(
                    spec, project_id, current, wanted
                )

            pids = [pid for _, pid in managed]
            new = [
                spec
                for spec in request.tenants
                if spec.template is not None and spec.external_id not in reading.projects
            ]
            flags, *_ = await gather(
                lambda: flags_task,
                lambda: _each_contents(
                    client, pids, request.concurrency, diffed, gate=gate, stop=lambda: refused
                ),
                lambda: _build_new_tenants(new, contents),
            )
        finally:
            flags_task.cancel()  # done by now, unless building what it reads beside failed
        if refused:
            _refuse(request)
        if flags is None:
            reading.warnings.append(
                "could not read the platform's plan: templates assume environmentsEnabled"
            )
        reading.requests += len(managed)
        return contents

    def diff(self, request: PlanInput, reading: Reading, state: Contents) -> list[TenantChange]:
        """The changes `read` made of each managed tenant, and a new tenant's (its template's
        every item created), in document order."""
        changes: list[TenantChange] = []
        for spec in request.tenants:
            if spec.template is None:
                continue
            diffed = state.changes.get(spec.external_id)
            if diffed is None:  # no project yet: its contents are empty
                diffed = _new_tenant_changes(spec, state.templates[spec.template])
            changes.extend(diffed)
        return changes

    def phase(self, change: TenantChange) -> int:
        return PHASE_CONTENTS

    def batch_key(self, change: TenantChange, applied: Applied) -> str | None:
        """A tenant's changes go in one replace of its project."""
        return applied.project_ids.get(change.external_id) or change.project_id

    async def write(
        self, client: AsyncActivepiecesClient, change: TenantChange, applied: Applied
    ) -> str | None:
        return await self.write_batch(client, [change], applied)

    async def write_batch(
        self, client: AsyncActivepiecesClient, changes: Sequence[TenantChange], applied: Applied
    ) -> str | None:
        project_id = self.batch_key(changes[0], applied)
        if project_id is None:
            raise RuntimeError(f"tenant {changes[0].external_id!r} has no project to fill")
        body = next((c.data[STATE_KEY] for c in changes if STATE_KEY in c.data), None)
        if body is None:  # a plan always puts it on a tenant's first write
            raise RuntimeError("the plan carries no template body for this tenant")
        wanted = _validated(body, f"template {changes[0].data[TEMPLATE_KEY]}")
        result = await client.projects.replace(project_id, wanted)
        if result.failed:
            raise PartlyWritten(_failures(changes, result.failed), project_id)
        return project_id

    async def find_stale(
        self,
        client: AsyncActivepiecesClient,
        changes: Sequence[TenantChange],
        request: PlanInput,
    ) -> list[StaleChange]:
        """Each planned tenant's contents read again (one export per tenant whose project
        existed): an item changed, appeared or vanished, or (on the tenant's first change)
        anything else of its contents moved on."""
        by_project: dict[str, list[TenantChange]] = {}
        for change in changes:
            if change.project_id is not None:  # a new tenant's project: the project kind's
                by_project.setdefault(change.project_id, []).append(change)
        states = await _read_contents(client, list(by_project), request.concurrency)
        stale: list[StaleChange] = []
        for planned, now in zip(by_project.values(), states, strict=True):
            items = _items(now)
            for change in planned:
                item = items.get((change.kind, str(change.data.get("external_id"))))
                current: dict[str, Any] | None = None if item is None else {"item": _digest(item)}
                if change.observed is not None and CONTENTS_KEY in change.observed:
                    current = {**(current or {}), CONTENTS_KEY: _contents_digest(now)}
                verdict = compare_observed(change, current)
                if verdict is not None:
                    stale.append(verdict)
        return stale


async def _read_contents(
    client: AsyncActivepiecesClient, project_ids: Sequence[str], concurrency: int
) -> list[ProjectState]:
    """Each project's state (`_each_contents`), in the order of ``project_ids``."""
    found: dict[int, ProjectState] = {}
    await _each_contents(client, project_ids, concurrency, found.__setitem__)
    return [found[index] for index in range(len(project_ids))]


async def _each_contents(
    client: AsyncActivepiecesClient,
    project_ids: Sequence[str],
    concurrency: int,
    on_read: Callable[[int, ProjectState], None],
    *,
    gate: asyncio.Semaphore | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """What replace compares of each project (`export_managed`: its flows, folders and tables;
    not its connections nor the server's version, which the diff does not use), given to
    ``on_read(index, state)`` as it lands; at most ``concurrency`` requests in flight (a
    project's listings go at once, so projects are gated too: a re-sync of 16 at a time had
    48 reads in flight). ``gate``: the requests' semaphore, when other reads share the budget;
    a project whose turn comes once ``stop()`` is true is not read."""
    from activepieces_core.resources.contents.export import export_managed

    projects = asyncio.Semaphore(concurrency)
    requests = gate or asyncio.Semaphore(concurrency)

    async def one(index: int, project_id: str) -> None:
        async with projects:
            if stop():
                return
            state = await export_managed(client.projects, project_id, gate=requests)
        on_read(index, state)

    await asyncio.gather(*(one(i, pid) for i, pid in enumerate(project_ids)))


#: Template bodies already validated, by identity (a plan's tenants share one body object):
#: ``id(body) -> (body, state)``; holding the body keeps its id from being reused.
_VALIDATED: dict[int, tuple[Mapping[str, Any], ProjectState]] = {}
_VALIDATED_MAX = 16
_VALIDATED_LOCK = threading.Lock()  # sync entry points may apply from several threads


def _validated(body: Mapping[str, Any], source: str) -> ProjectState:
    """``body`` as a `ProjectState`, validated once per body object, not once per tenant (a
    1,000-tenant onboarding deep-copied the template's flows twice per tenant for this)."""
    from activepieces_core.models.contents import ProjectState

    with _VALIDATED_LOCK:
        known = _VALIDATED.get(id(body))
    if known is not None and known[0] is body:
        return known[1]
    state = ProjectState.from_body(body, source=source)
    with _VALIDATED_LOCK:
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.pop(next(iter(_VALIDATED)))
        _VALIDATED[id(body)] = (body, state)
    return state


def _failures(
    changes: Sequence[TenantChange], failed: Sequence[FailedItem]
) -> dict[int, Exception]:
    """Each failed item as the failure of its change; items no change names (a connection)
    fail the tenant's first change, so the tenant shows failed and the error names them."""
    index = {(c.kind, str(c.data.get("external_id"))): i for i, c in enumerate(changes)}
    errors: dict[int, list[str]] = {}
    for item in failed:
        where = index.get((item.kind.lower(), item.external_id), 0)
        errors.setdefault(where, []).append(
            f"{item.kind.lower()} {item.external_id} ({item.op}): {item.error}"
        )
    return {i: ReplaceItemFailed("; ".join(lines)) for i, lines in errors.items()}


def _refuse(request: PlanInput) -> None:
    count = sum(1 for spec in request.tenants if spec.template is not None)
    message = (
        f"{count} tenant(s) name a template, but this platform's plan has environmentsEnabled "
        "off: replace (POST /v1/projects/:id/replace) answers 402 FEATURE_DISABLED there; "
        "nothing was sent"
    )
    raise TenantSpecError([{"row": None, "external_id": None, "errors": [message]}])
