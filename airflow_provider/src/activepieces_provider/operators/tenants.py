"""``ActivepiecesSyncTenantsOperator``: the core reconcile engine as one Airflow task."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, AssetAlias

from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.parsing import parse_bool
from activepieces_provider.operators._base import (
    ActivepiecesBaseOperator,
    json_value,
    optional_int,
    text_list,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from activepieces_core.tenants import ApplyReport

#: Alias through which one asset event per changed tenant is emitted.
TENANTS_ASSET_ALIAS = "activepieces-tenants"
#: XCom key of the per-tenant report (pushed even when the task fails).
REPORT_XCOM_KEY = "report"

_CHANGING = frozenset({"create", "update", "delete"})


class ActivepiecesSyncTenantsOperator(ActivepiecesBaseOperator):
    """Reconcile Activepieces projects with a list of tenants (plan, then apply).

    Every tenant is applied even when some fail; the task then fails with core's
    ``TenantSyncError`` (also ``activepieces_provider.exceptions.TenantSyncError``) naming them.
    The per-tenant report is pushed under the XCom key ``report`` (and returned on success).
    Each created/updated/deleted tenant emits an asset event for
    ``activepieces://<host>/projects/<external_id>`` through the asset alias
    ``activepieces-tenants`` (added to ``outlets``), so downstream DAGs can react.

    :param tenants: list of tenant dicts (e.g. an XCom), a JSON text, or a path to a
        ``.yaml``/``.json``/``.csv`` tenant file (relative paths resolve against the DAG folder).
    :param prune: delete managed projects (those with an external id) missing from the list.
    :param protect: external ids never deleted by ``prune``.
    :param max_deletions: refuse to apply (task fails, nothing written) above this many deletions.
    :param dry_run: plan only; the report lists what would change, nothing is written
        (stored and templated as ``plan_only``).
    :param concurrency: parallel API writes (default 16, core's ``DEFAULT_CONCURRENCY``).
    :param asset_alias: alias name for the asset events; ``None`` disables them.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "tenants",
        "prune",
        "protect",
        "max_deletions",
        "plan_only",
    )
    template_fields_renderers = {"tenants": "json"}

    def __init__(
        self,
        *,
        tenants: Any,
        prune: bool = False,
        protect: Sequence[str] = (),
        max_deletions: int | None = None,
        dry_run: bool = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        asset_alias: str | None = TENANTS_ASSET_ALIAS,
        **kwargs: Any,
    ) -> None:
        if asset_alias:
            outlets = list(kwargs.pop("outlets", None) or [])
            if not any(isinstance(o, AssetAlias) and o.name == asset_alias for o in outlets):
                outlets.append(AssetAlias(asset_alias))
            kwargs["outlets"] = outlets
        super().__init__(**kwargs)
        self.tenants = tenants
        self.prune = prune
        self.protect = protect
        self.max_deletions = max_deletions
        # Not ``self.dry_run``: that name is a BaseOperator method.
        self.plan_only = dry_run
        self.concurrency = concurrency
        self.asset_alias = asset_alias

    def _source(self) -> Any:
        """Tenants as ``load_tenants`` accepts them; relative file paths anchor to the DAG."""
        source = json_value(self.tenants)
        if isinstance(source, (str, Path)) and not Path(source).is_absolute():
            try:
                fileloc = getattr(self.dag, "fileloc", None)
            except RuntimeError:  # operator not attached to a DAG
                fileloc = None
            if fileloc and not Path(source).exists():
                candidate = Path(fileloc).parent / source
                if candidate.exists():
                    return candidate
        return source

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from activepieces_core.tenants import (
            DeletionLimitExceeded,
            TenantSyncError,
            load_tenants,
            reconcile,
        )

        specs = load_tenants(self._source())
        dry_run = parse_bool(self.plan_only)
        with self.client() as client:
            try:
                report = reconcile(
                    client,
                    specs,
                    prune=parse_bool(self.prune),
                    protect=tuple(text_list(self.protect) or ()),
                    concurrency=self.concurrency,
                    dry_run=dry_run,
                    max_deletions=optional_int(self.max_deletions),
                )
            except DeletionLimitExceeded as exc:
                # Deterministic guard: a retry would refuse again.
                raise AirflowFailException(str(exc)) from exc
        result = report.to_dict()
        context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=result)
        self.log.info("Tenant sync summary: %s", report.summary)
        if not dry_run:
            self._emit_asset_events(context, report)
        if report.failed:
            raise TenantSyncError.from_report(report)
        return result

    def _emit_asset_events(self, context: Context, report: ApplyReport) -> None:
        if not self.asset_alias:
            return
        events = context["outlet_events"][AssetAlias(self.asset_alias)]
        for item in report.results:
            if item.status != "succeeded" or item.action not in _CHANGING:
                continue
            events.add(
                Asset(self.hook.project_asset_uri(item.external_id)),
                extra={
                    "external_id": item.external_id,
                    "project_id": item.project_id,
                    "action": item.action,
                },
            )
