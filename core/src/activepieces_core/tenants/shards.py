"""Plan once, apply in shards: a saved plan split by tenant, for workers on several machines.

>>> sharded = shard_plan(plan, 4, max_deletions=50)
>>> first = apply(client, sharded.platform)            # what belongs to no tenant, first
>>> reports = [apply(client, sharded.shard(i, after=first)) for i in range(4)]  # anywhere
>>> report = ApplyReport.merge([first, *reports])      # the counts of one unsharded apply

* **By tenant.** Every change of a tenant (its project, piece sets, people, contents) lands in
  one shard, so a shard applies only its tenants' changes, in the engine's phase order; tenants
  a change ties together (a user offboarded from several torn-down tenants) share a shard.
* **Stable.** A tenant's shard is a hash of its external id modulo the shard count
  (`shard_of`): the same tenant lands in the same shard on every run, whatever else the plan
  holds, and every worker computes the same split.
* **Platform part first.** Changes that belong to no tenant (the piece sets the document
  declares) make up `PlanShards.platform`; it is applied once, before the shards, and
  `PlanShards.shard` binds the ids it made (a new set's id) into the shard's changes
  (`Kind.bind`), so each shard is a self-contained saved plan (`Plan.to_dict`) any worker can
  take. ``protected``/``warnings``/``missing`` and ``read_requests`` stay on the platform part,
  so a merged report or view shows them once.
* **Checks.** ``max_deletions`` is held against the whole plan when splitting (a shard cannot
  see the total); each shard's apply re-checks its own changes for staleness.
* **A retried shard is planned again.** A worker that died mid-shard left some of its changes
  written: the saved shard is now stale (its own writes show as changes since planning) and
  would be refused. `areplan_shard` plans the shard's tenants again from the same document
  (the listed ones, and a teardown of the ones it deletes), so the retry writes only what is
  still missing and the platform ends as planned: every tenant once, no duplicate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import Field
from typing_extensions import Self

from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.tenants._runner import AnyClient, blocking
from activepieces_core.tenants.kinds import kind_of
from activepieces_core.tenants.loaders import TenantDocument, TenantSource, load_document
from activepieces_core.tenants.planner import aplan, aplan_teardown
from activepieces_core.tenants.results import ApplyReport, Outcome, Plan, TenantChange

__all__ = ["PlanShards", "areplan_shard", "made_ids", "replan_shard", "shard_of", "shard_plan"]


def shard_of(external_id: str, shards: int) -> int:
    """The shard (``0 .. shards-1``) of a tenant: sha256 of its external id, modulo ``shards``
    (stable across runs, processes and Python versions, unlike `hash`)."""
    digest = hashlib.sha256(external_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def _tied(change: TenantChange) -> list[str]:
    """The tenants a change is about: its own, and those it waits on (``data["tenants"]``)."""
    tenants = change.data.get("tenants") if change.kind == "user" else None
    return [change.external_id, *(str(t) for t in tenants or ())]


def _groups(changes: Iterable[TenantChange]) -> dict[str, str]:
    """Each tenant's group: the smallest external id among the tenants tied to it."""
    parent: dict[str, str] = {}

    def root(ext: str) -> str:
        parent.setdefault(ext, ext)
        while parent[ext] != ext:
            parent[ext] = parent[parent[ext]]
            ext = parent[ext]
        return ext

    for change in changes:
        tied = [root(t) for t in _tied(change)]
        first = min(tied)
        for other in tied:
            parent[other] = first
    return {ext: root(ext) for ext in parent}


def made_ids(report: ApplyReport) -> dict[str, dict[str, str]]:
    """``{kind: {key: id}}`` of what ``report`` wrote outside any tenant (a declared piece set
    and the id it has now)."""
    made: dict[str, dict[str, str]] = {}
    for result in report.results:
        if not result.external_id and result.status == "succeeded" and result.target_id:
            made.setdefault(result.kind, {})[str(result.key)] = result.target_id
    return made


class PlanShards(Outcome):
    """A plan split for workers: ``platform`` (apply first, once) and ``shards`` (apply each
    anywhere, in any order, concurrently). JSON round-trip via `to_dict` / `from_dict`."""

    platform: Plan
    shards: list[Plan] = Field(default_factory=list)

    def shard(self, index: int, *, after: ApplyReport | Mapping[str, Any] | None = None) -> Plan:
        """Shard ``index``; ``after`` (the platform part's report, or its dict) binds the ids
        the platform part made into its changes. The platform part must have been applied
        before a shard that needs one of its sets."""
        shard = self.shards[index]
        if after is None:
            return shard
        report = after if isinstance(after, ApplyReport) else ApplyReport.from_dict(dict(after))
        made = made_ids(report)
        if not made:
            return shard
        changes = [kind_of(c.kind).bind(c, made) for c in shard.changes]
        return shard.model_copy(update={"changes": changes})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild from `to_dict` output; each part is a saved plan, verified as one."""
        return cls(
            platform=Plan.from_dict(data["platform"]),
            shards=[Plan.from_dict(s) for s in data.get("shards", [])],
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"platform": saved plan, "shards": [saved plan, ...]}``."""
        return {
            "platform": self.platform.to_dict(),
            "shards": [s.to_dict() for s in self.shards],
        }


def shard_plan(plan: Plan, shards: int, *, max_deletions: int | None = None) -> PlanShards:
    """Split ``plan`` into its platform part and ``shards`` tenant shards (some may be empty).

    Raises `DeletionLimitExceeded` when the whole plan deletes more than ``max_deletions``,
    and ValueError for fewer than one shard. Changes keep their plan order within each part;
    every shard names the plan's tenant document (``document_digest``).
    """
    from activepieces_core.tenants.engine import check_deletions

    if shards < 1:
        raise ValueError("shards must be at least 1")
    check_deletions(plan, max_deletions)
    tenant_changes = [c for c in plan.changes if c.external_id]
    group = _groups(tenant_changes)
    parts: list[list[TenantChange]] = [[] for _ in range(shards)]
    for change in tenant_changes:
        parts[shard_of(group[change.external_id], shards)].append(change)
    digest = plan.document_digest
    platform = plan.model_copy(update={"changes": [c for c in plan.changes if not c.external_id]})
    return PlanShards(
        platform=platform.naming(digest),
        shards=[
            Plan(changes=part, prune=plan.prune, format_version=plan.format_version).naming(digest)
            for part in parts
        ],
    )


async def areplan_shard(
    client: AnyClient,
    shard: Plan | Mapping[str, Any],
    document: TenantSource | TenantDocument,
    *,
    protect: Sequence[str] = (),
    prune_members: bool = False,
    offboard_users: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Plan:
    """``shard`` planned again against the server as it is now (reads only), for a retry.

    The tenants the shard lists are planned from ``document`` (the one the whole plan came
    from; ``protect``/``prune_members``/``offboard_users`` as planned then), those it deletes
    are planned as a teardown; changes outside the shard's tenants (a declared piece set: the
    platform part's) are left out. What the dead attempt wrote is a noop now, what it did not
    is planned again. Limit: a user to offboard whose last membership went with a project the
    dead attempt deleted is no longer found (the membership is gone).
    """
    if not isinstance(shard, Plan):
        shard = Plan.from_dict(dict(shard))
    full = load_document(document)
    mine = {c.external_id for c in shard.changes}
    going = list(
        dict.fromkeys(
            c.external_id for c in shard.changes if c.kind == "project" and c.action == "delete"
        )
    )
    subset = TenantDocument(
        tenants=[t for t in full.tenants if t.external_id in mine],
        piece_sets=full.piece_sets,
        templates=full.templates,
    )
    listed = await aplan(
        client, subset, protect=protect, prune_members=prune_members, concurrency=concurrency
    )
    changes = [c for c in listed.changes if c.external_id]
    missing: list[str] = []
    if going:
        torn = await aplan_teardown(
            client, going, protect=protect, offboard_users=offboard_users, concurrency=concurrency
        )
        changes += [c for c in torn.changes if c.external_id]
        missing = torn.missing
    return Plan(
        changes=changes,
        prune=shard.prune,
        warnings=listed.warnings,
        read_requests=listed.read_requests,
        missing=missing,
    ).naming(shard.document_digest)


replan_shard = blocking(areplan_shard, "Sync `areplan_shard`: a shard planned again for a retry.")
