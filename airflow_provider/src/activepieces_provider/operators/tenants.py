"""Tenants as code in Airflow: sync in one task, or plan -> review -> apply the saved plan.

``ActivepiecesSyncTenantsOperator`` plans and applies at once. For reviewed changes,
``ActivepiecesPlanTenantsOperator`` saves the plan (``Plan.to_dict()``, sealed with a digest)
to XCom with a readable summary, a reviewer approves it (see
`activepieces_provider.operators.approval`), and ``ActivepiecesApplyTenantPlanOperator``
applies exactly that plan, refusing it when the platform changed since it was made.

``ActivepiecesTeardownTenantsOperator`` tears named tenants down through core's teardown plan
(their projects, the piece sets they own, optionally their people's accounts).

Every operator here that can delete a tenant project (sync with ``prune``, apply, teardown)
takes ``archive``: where each such tenant is archived, and read back, before its delete
(`activepieces_provider.archive_storage`; ``ActivepiecesRestoreTenantOperator`` brings one
back). Not given, a plan that deletes a tenant project fails the task before any write;
``archive=None`` spelled out deletes without archives.

The sync, plan and apply operators take a whole tenant document: ``tenants`` (rows),
``piece_sets``, ``defaults`` with ``member_role``, the tenants' ``members`` and the 2026 project
fields travel through as core reads them; plans and reports list every kind of change
(``project``, ``piece_set``, ``piece_set_assignment``, ``member``, ``user``, and a tenant's
contents: ``flow``, ``table``, ``folder``) with its ``kind`` and ``key``.

Boolean and integer arguments (``prune``, ``prune_members``, ``dry_run``, ``check_stale``,
``offboard_users``, ``missing_ok``, ``max_deletions``) take the value or its rendered text
(``prune="{{ params.prune }}"``): ``"False"``, ``"false"``, ``"0"`` are false; other text fails
the task with ``InvalidArgumentError`` naming the argument, before any request.

A tenant's ``template`` (a replace body, e.g. written by ``ActivepiecesExportProjectOperator``)
is read relative to the document, or to the DAG's folder for a document given as data; the
``template``/``templates`` arguments give templates from elsewhere (an ``ObjectStoragePath``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, AssetAlias

from activepieces_core.constants import DEFAULT_CONCURRENCY
from activepieces_core.parsing import is_blank
from activepieces_provider.archive_storage import ARCHIVE_REQUIRED, archive_target
from activepieces_provider.operators._base import (
    ActivepiecesBaseOperator,
    argument_bool,
    json_value,
    optional_int,
    text_list,
)
from activepieces_provider.state_storage import dag_relative, read_state, state_argument

if TYPE_CHECKING:
    from airflow.sdk import Context, XComArg

    from activepieces_core import ActivepiecesClient
    from activepieces_core.tenants import ApplyReport, Plan, TenantDocument

#: Alias through which one asset event per changed tenant project is emitted.
TENANTS_ASSET_ALIAS = "activepieces-tenants"
#: XCom key of the per-change report (pushed even when the task fails).
REPORT_XCOM_KEY = "report"
#: XCom key of the plan task's Markdown summary (what the approval shows).
PLAN_SUMMARY_XCOM_KEY = "plan_summary"
#: XCom key of the stale changes when the apply task refused a plan.
STALE_XCOM_KEY = "stale"
#: Changes listed in task logs and plan summaries (the XComs always hold all of them).
DEFAULT_MAX_ROWS = 50

#: Key of a document given as data (``document_to_dict``) holding its templates' bodies.
TEMPLATES_KEY = "templates"

_CHANGING = frozenset({"create", "update", "delete"})
#: ``plan_text``'s default: archives not mentioned.
_UNSHOWN: Any = object()


# ------------------------------------------------------------------------------ text helpers


def document_to_dict(document: TenantDocument) -> dict[str, Any]:
    """A loaded tenant document as JSON-safe data that the sync and plan operators read back
    (XCom): with the bodies of the templates it names under ``templates``, so the task that
    reads it needs no access to the files."""
    data: dict[str, Any] = {
        "piece_sets": [s.model_dump(mode="json", exclude_none=True) for s in document.piece_sets],
        "tenants": [spec.to_dict() for spec in document.tenants],
    }
    if document.templates:
        data[TEMPLATES_KEY] = {name: t.to_body() for name, t in document.templates.items()}
    return data


def report_text(report: ApplyReport, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """The report as log text (core's `report_view`): counts per kind, failures, then changes."""
    from activepieces_core.tenants import report_view

    return report_view(report, max_rows).text(f"the XCom {REPORT_XCOM_KEY!r}")


def plan_text(plan: Plan, max_rows: int = DEFAULT_MAX_ROWS, *, archive: Any = _UNSHOWN) -> str:
    """The plan as log text (core's `plan_view`): counts per kind, the changes (capped); with
    ``archive`` (core's archive target), where each project delete's archive goes."""
    from activepieces_core.tenants import plan_view

    shown = {} if archive is _UNSHOWN else {"archive": archive}
    return plan_view(plan, max_rows, **shown).text("the saved plan")


def plan_markdown(plan: Plan, digest: str, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """The plan for a reviewer (core's `plan_view` as Markdown) with its digests."""
    from activepieces_core.tenants import plan_view

    view = plan_view(plan, max_rows)
    lines = [view.markdown("the saved plan").rstrip("\n")]
    if not view.rows:
        lines += ["", "Nothing to change."]
    lines += [
        "",
        f"Plan `{digest}`"
        + (f", document `{plan.document_digest}`" if plan.document_digest else ""),
        "",
        "Approving applies exactly this plan. If the platform changed since it was made, the "
        "apply task refuses it and writes nothing.",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- shared plumbing


def _alias_outlets(kwargs: dict[str, Any], asset_alias: str | None) -> None:
    """Add the asset alias to ``outlets`` (Airflow needs declared outlets to accept events)."""
    if asset_alias:
        outlets = list(kwargs.pop("outlets", None) or [])
        if not any(isinstance(o, AssetAlias) and o.name == asset_alias for o in outlets):
            outlets.append(AssetAlias(asset_alias))
        kwargs["outlets"] = outlets


class _ReportingOperator(ActivepiecesBaseOperator):
    """Applies changes: pushes the report, logs it, emits asset events, fails on failures."""

    def __init__(
        self,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        asset_alias: str | None = TENANTS_ASSET_ALIAS,
        **kwargs: Any,
    ) -> None:
        _alias_outlets(kwargs, asset_alias)
        super().__init__(**kwargs)
        self.concurrency = concurrency
        self.asset_alias = asset_alias

    def finish(self, context: Context, report: ApplyReport) -> dict[str, Any]:
        """Push and log ``report``; emit asset events; ``TenantSyncError`` if anything failed."""
        from activepieces_core.tenants import TenantSyncError

        result = report.to_dict()
        context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=result)
        self.log.info("%s", report_text(report))
        if not report.dry_run:
            self._emit_asset_events(context, report)
        if report.failed:
            raise TenantSyncError.from_report(report)
        return result

    def _emit_asset_events(self, context: Context, report: ApplyReport) -> None:
        if not self.asset_alias:
            return
        events = context["outlet_events"][AssetAlias(self.asset_alias)]
        for item in report.results:
            # One event per tenant project written; piece-set and member changes hang off it.
            if item.kind != "project" or item.status != "succeeded":
                continue
            if item.action not in _CHANGING:
                continue
            events.add(
                Asset(self.hook.project_asset_uri(item.external_id)),
                extra={
                    "external_id": item.external_id,
                    "project_id": item.project_id,
                    "action": item.action,
                },
            )


class _DeletingOperator(_ReportingOperator):
    """Applies changes that may delete tenant projects: each archived first to ``archive``."""

    def __init__(self, *, archive: Any = ARCHIVE_REQUIRED, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.archive = archive

    def archive_target(self) -> Any:
        """Core's archive target for the rendered ``archive``."""
        return archive_target(self, self.archive)


def _template_names(source: Any) -> set[str]:
    """The ``template`` names a document given as data (a mapping or rows) spells."""
    rows = source.get("tenants") if isinstance(source, Mapping) else source
    rows = rows if isinstance(rows, list) else [source] if isinstance(source, Mapping) else []
    defaults = source.get("defaults") if isinstance(source, Mapping) else None
    found = [row.get("template") for row in rows if isinstance(row, Mapping)]
    if isinstance(defaults, Mapping):
        found.append(defaults.get("template"))
    return {name for name in found if isinstance(name, str) and name.strip()}


def templates_argument(value: Any) -> Any:
    """The ``templates`` argument as stored: bodies given as data validated now (never
    rendered by Jinja); paths, URLs and ``ObjectStoragePath``s kept for run time."""
    if isinstance(value, Mapping):
        return {str(name): state_argument(source) for name, source in value.items()}
    return value


class _DocumentArgs:
    """The tenant-document arguments shared by the sync and the plan operators."""

    tenants: Any
    prune: Any
    protect: Any
    prune_members: Any
    template: Any
    templates: Any

    def document(self) -> TenantDocument:
        """The validated document with its templates (``TenantSpecError`` lists every bad row
        or template; nothing is sent)."""
        from activepieces_core.tenants import load_document

        assert isinstance(self, ActivepiecesBaseOperator)
        source = dag_relative(self, json_value(self.tenants))
        document = load_document(source, templates=self._given_templates(source))
        return self._with_default_template(document)

    def _given_templates(self, source: Any) -> dict[str, Any]:
        """Templates not read from beside the document: the bodies a ``document_to_dict``
        value carries, DAG-folder files for a document given as data, the ``templates``
        argument (which wins)."""
        assert isinstance(self, ActivepiecesBaseOperator)
        given: dict[str, Any] = {}
        if isinstance(source, Mapping) and isinstance(source.get(TEMPLATES_KEY), Mapping):
            given.update(source[TEMPLATES_KEY])
        if isinstance(source, Mapping | list):
            # Data has no folder of its own: its relative names are the DAG folder's files.
            for name in _template_names(source) - set(given):
                found = dag_relative(self, name)
                if found is not name:
                    given[name] = found
        named = json_value(self.templates)
        if not is_blank(named):
            if not isinstance(named, Mapping):
                raise ValueError(
                    f"templates must map template names to files, got {type(named).__name__}"
                )
            given.update({str(k): read_state(self, v)[0] for k, v in named.items()})
        return given

    def _with_default_template(self, document: TenantDocument) -> TenantDocument:
        """The ``template`` argument made the template of every tenant that names none."""
        assert isinstance(self, ActivepiecesBaseOperator)
        if is_blank(self.template):
            return document
        state, where = read_state(self, self.template)
        name = where if where != "<data>" else "<template argument>"
        tenants = [
            spec if spec.template is not None else spec.model_copy(update={"template": name})
            for spec in document.tenants
        ]
        templates = {**document.templates, name: state}
        return dataclasses.replace(document, tenants=tenants, templates=templates)

    def plan_options(self) -> dict[str, Any]:
        """``prune``, ``protect`` and ``prune_members`` as core's planner takes them."""
        return {
            "prune": argument_bool("prune", self.prune),
            "protect": tuple(text_list(self.protect) or ()),
            "prune_members": argument_bool("prune_members", self.prune_members),
        }


_DOCUMENT_FIELDS = ("tenants", "prune", "protect", "prune_members", "template", "templates")

# ---------------------------------------------------------------------------------- operators


class ActivepiecesSyncTenantsOperator(_DocumentArgs, _DeletingOperator):
    """Reconcile Activepieces tenants with a tenant document (plan, then apply, in one task).

    Every change is applied even when some fail; the task then fails with core's
    ``TenantSyncError`` (also ``activepieces_provider.exceptions.TenantSyncError``) naming the
    tenants. The report (one result per change, with ``kind`` and ``key``) is pushed under the
    XCom key ``report`` (and returned on success). Each created/updated/deleted tenant project
    emits an asset event for ``activepieces://<host>/projects/<external_id>`` through the asset
    alias ``activepieces-tenants`` (added to ``outlets``).

    :param tenants: a tenant document: a mapping with ``tenants`` (and optionally
        ``piece_sets`` and ``defaults``), a list of tenant rows (e.g. an XCom), JSON text, or a
        path to a ``.yaml``/``.json``/``.csv`` file (relative paths resolve against the DAG
        folder). Tenants may name a ``piece_set``, list ``pieces`` and ``members``, and name a
        ``template`` (a replace body file, relative to the document; for a document given as
        data, to the DAG's folder).
    :param template: the template of every tenant that names none (as ``defaults.template``):
        a file path (relative: the DAG's folder), URL text (``s3://...``), an
        ``ObjectStoragePath``, or the body as a dict (validated when the DAG is parsed, never
        rendered by Jinja). A tenant's flows, tables and folders are made its template's
        (those it lacks are deleted and count toward ``max_deletions``); tenants without a
        template keep their contents.
    :param templates: ``{name: location}``: read the template a document names
        ``template: <name>`` from here instead (same kinds of location as ``template``).
    :param prune: delete managed projects (those with an external id) missing from the document.
    :param protect: patterns never deleted by ``prune`` (external ids, or e-mails for members).
    :param prune_members: remove people (members and waiting invitations) that a tenant's
        ``members`` does not list; tenants without ``members`` are never touched. Removals count
        toward ``max_deletions``.
    :param max_deletions: refuse to apply (task fails, nothing written) when the plan deletes
        more projects, or removes more members, than this.
    :param dry_run: plan only; the report lists what would change, nothing is written
        (stored and templated as ``plan_only``).
    :param concurrency: parallel API writes (default 16, core's ``DEFAULT_CONCURRENCY``).
    :param asset_alias: alias name for the asset events; ``None`` disables them.
    :param archive: where each tenant whose project is deleted (``prune``) is archived
        first (its row, project and contents; written, read back and verified before the
        delete): a directory, URL text (``s3://...``, ``file://``; templated) or an
        ``ObjectStoragePath`` (its connection's credentials). A tenant whose archive cannot be
        written is failed with the reason and keeps its project. Required when the plan
        deletes a tenant project (the task fails before any write otherwise); ``None``
        spelled out deletes without archives.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        *_DOCUMENT_FIELDS,
        "max_deletions",
        "plan_only",
        "archive",
    )
    template_fields_renderers = {"tenants": "json"}

    def __init__(
        self,
        *,
        tenants: Any,
        prune: bool | str = False,
        protect: Sequence[str] = (),
        prune_members: bool | str = False,
        template: Any = None,
        templates: Any = None,
        max_deletions: int | str | None = None,
        dry_run: bool | str = False,
        concurrency: int = DEFAULT_CONCURRENCY,
        asset_alias: str | None = TENANTS_ASSET_ALIAS,
        archive: Any = ARCHIVE_REQUIRED,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            concurrency=concurrency, asset_alias=asset_alias, archive=archive, **kwargs
        )
        self.tenants = tenants
        self.prune = prune
        self.protect = protect
        self.prune_members = prune_members
        self.template = state_argument(template)
        self.templates = templates_argument(templates)
        self.max_deletions = max_deletions
        # Not ``self.dry_run``: that name is a BaseOperator method.
        self.plan_only = dry_run

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from activepieces_core.tenants import DeletionLimitExceeded, reconcile
        from activepieces_core.tenants.archive import ArchiveRequiredError

        document = self.document()
        options = self.plan_options()
        dry_run = argument_bool("dry_run", self.plan_only)
        max_deletions = optional_int(self.max_deletions, "max_deletions")
        archive = self.archive_target()
        with self.client() as client:
            try:
                report = reconcile(
                    client,
                    document,
                    concurrency=self.concurrency,
                    dry_run=dry_run,
                    max_deletions=max_deletions,
                    archive=archive,
                    **options,
                )
            except (DeletionLimitExceeded, ArchiveRequiredError) as exc:
                # Deterministic guard: a retry would refuse again.
                raise AirflowFailException(str(exc)) from exc
        return self.finish(context, report)


class ActivepiecesPlanTenantsOperator(_DocumentArgs, ActivepiecesBaseOperator):
    """Plan the changes that bring the platform to a tenant document (reads only).

    Returns the saved plan (``Plan.to_dict()``: JSON with ``format_version``, the document's
    digest and a ``digest`` over the rest, so an edited plan is refused) and pushes a Markdown
    summary under the XCom key ``plan_summary`` for a reviewer
    (``ActivepiecesApproveTenantPlanOperator`` shows it). Apply it with
    ``ActivepiecesApplyTenantPlanOperator(plan=<this task>.output)``.

    :param tenants: a tenant document: a mapping with ``tenants`` (and optionally
        ``piece_sets`` and ``defaults``), a list of tenant rows (e.g. an XCom), JSON text, or a
        path to a ``.yaml``/``.json``/``.csv`` file (relative paths resolve against the DAG
        folder). Tenants may name a ``piece_set``, list ``pieces`` and ``members``, and name a
        ``template``.
    :param template, templates: as for ``ActivepiecesSyncTenantsOperator``; the plan lists
        each tenant's flows, tables and folders to create, update and delete, and carries the
        templates' bodies, so applying it needs no file.
    :param prune: delete managed projects (those with an external id) missing from the document.
    :param protect: patterns never deleted by ``prune`` (external ids, or e-mails for members).
    :param prune_members: remove people (members and waiting invitations) that a tenant's
        ``members`` does not list; tenants without ``members`` are never touched. Removals count
        toward ``max_deletions``.
    :param concurrency: parallel reads (default 16).
    :param max_rows: changes listed in the summary and the log (the plan has all of them).
    :param skip_if_no_changes: end the task as *skipped* (so the review and apply tasks after it
        are skipped too) when the plan changes nothing.
    """

    template_fields: Sequence[str] = (*ActivepiecesBaseOperator.template_fields, *_DOCUMENT_FIELDS)
    template_fields_renderers = {"tenants": "json"}

    def __init__(
        self,
        *,
        tenants: Any,
        prune: bool | str = False,
        protect: Sequence[str] = (),
        prune_members: bool | str = False,
        template: Any = None,
        templates: Any = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_rows: int = DEFAULT_MAX_ROWS,
        skip_if_no_changes: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tenants = tenants
        self.prune = prune
        self.protect = protect
        self.prune_members = prune_members
        self.template = state_argument(template)
        self.templates = templates_argument(templates)
        self.concurrency = concurrency
        self.max_rows = max_rows
        self.skip_if_no_changes = skip_if_no_changes

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowSkipException

        from activepieces_core.tenants import plan

        document = self.document()
        options = self.plan_options()
        with self.client() as client:
            tenant_plan = plan(client, document, concurrency=self.concurrency, **options)
        saved = tenant_plan.to_dict()
        context["ti"].xcom_push(
            key=PLAN_SUMMARY_XCOM_KEY,
            value=plan_markdown(tenant_plan, saved["digest"], self.max_rows),
        )
        self.log.info("%s\nPlan digest: %s", plan_text(tenant_plan, self.max_rows), saved["digest"])
        if self.skip_if_no_changes and not tenant_plan.has_changes:
            raise AirflowSkipException("the plan changes nothing: nothing to review or apply")
        return saved


class ActivepiecesApplyTenantPlanOperator(_DeletingOperator):
    """Apply a saved tenant plan exactly, refusing it when stale or edited.

    Before writing, core re-reads what the plan touches and refuses the whole plan
    (``StalePlanError``, nothing written; the stale changes go to the XCom key ``stale``) when
    any of it changed, appeared or vanished since planning: plan again and review again. A plan
    edited by hand fails its digest check (``InvalidPlanError``). Both fail the task without
    retries. The report is handled as by ``ActivepiecesSyncTenantsOperator``.

    :param plan: the saved plan: the plan task's output (``plan_task.output``), its JSON text,
        or the path of a plan file written by ``activepieces tenants plan --out``.
    :param approved_digest: when given, the plan's ``digest`` must equal it (e.g. the digest
        the approval task recorded, ``ActivepiecesApproveTenantPlanOperator``), so only the
        reviewed plan is ever applied.
    :param max_deletions: refuse the plan if it deletes more projects, or removes more members.
    :param check_stale: re-read and refuse a stale plan (default). ``False`` applies it as is.
    :param concurrency: parallel API writes (default 16).
    :param asset_alias: as for ``ActivepiecesSyncTenantsOperator``.
    :param archive: as for ``ActivepiecesSyncTenantsOperator``: required when the plan
        deletes a tenant project; ``None`` spelled out deletes without archives.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "plan",
        "approved_digest",
        "max_deletions",
        "check_stale",
        "archive",
    )

    def __init__(
        self,
        *,
        plan: Any,
        approved_digest: str | XComArg | None = None,
        max_deletions: int | str | None = None,
        check_stale: bool | str = True,
        concurrency: int = DEFAULT_CONCURRENCY,
        asset_alias: str | None = TENANTS_ASSET_ALIAS,
        archive: Any = ARCHIVE_REQUIRED,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            concurrency=concurrency, asset_alias=asset_alias, archive=archive, **kwargs
        )
        self.plan = plan
        self.approved_digest = approved_digest
        self.max_deletions = max_deletions
        self.check_stale = check_stale

    def _saved_plan(self) -> dict[str, Any]:
        source = dag_relative(self, json_value(self.plan))
        if isinstance(source, str | Path):
            path = Path(source)
            try:
                source = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(
                    f"plan: cannot read a saved plan from {str(path)[:200]!r}: {exc}"
                ) from exc
        if not isinstance(source, dict):
            raise ValueError(
                f"plan must be a saved plan (a dict, its JSON text or a file), got {type(source).__name__}"
            )
        return source

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from activepieces_core.tenants import (
            DeletionLimitExceeded,
            InvalidPlanError,
            Plan,
            StalePlanError,
            apply,
        )
        from activepieces_core.tenants.archive import ArchiveRequiredError

        max_deletions = optional_int(self.max_deletions, "max_deletions")
        check_stale = argument_bool("check_stale", self.check_stale)
        saved = self._saved_plan()
        try:
            tenant_plan = Plan.from_dict(saved)
        except InvalidPlanError as exc:
            raise AirflowFailException(str(exc)) from exc
        digest = str(saved.get("digest"))
        if not is_blank(self.approved_digest) and str(self.approved_digest).strip() != digest:
            raise AirflowFailException(
                f"refusing to apply: the plan's digest {digest} is not the approved "
                f"{str(self.approved_digest).strip()}; nothing was applied"
            )
        archive = self.archive_target()
        self.log.info("Applying plan %s\n%s", digest, plan_text(tenant_plan, archive=archive))
        with self.client() as client:
            try:
                report = apply(
                    client,
                    tenant_plan,
                    concurrency=self.concurrency,
                    max_deletions=max_deletions,
                    check_stale=check_stale,
                    archive=archive,
                )
            except StalePlanError as exc:
                context["ti"].xcom_push(key=STALE_XCOM_KEY, value=[s.to_dict() for s in exc.stale])
                raise AirflowFailException(str(exc)) from exc
            except (DeletionLimitExceeded, ArchiveRequiredError) as exc:
                raise AirflowFailException(str(exc)) from exc
        return self.finish(context, report)


# ---------------------------------------------------------------------------------- teardown


class ActivepiecesTeardownTenantsOperator(_DeletingOperator):
    """Tear down exactly the named tenants, through core's teardown plan, in one task.

    Core plans (`activepieces_core.tenants.plan_teardown`: a few tenants are looked up one by
    one, more are found with one paged listing) and applies at once (no staleness re-read:
    the plan is moments old). Each tenant's TEAM project is deleted (its memberships go with
    it), the piece set it owns (``tenant:<external id>``, on piece-set platforms) too, also one
    that an earlier, interrupted teardown left behind; named sets shared by tenants stay.
    Every tenant is attempted; then the task fails with core's ``TenantSyncError`` if any
    failed. An external id on several TEAM projects follows core's rule (the lowest project id
    is torn down, a warning names the others).

    :param external_ids: the tenants: a list (e.g. an XCom), JSON text or comma-separated text.
    :param offboard_users: also deactivate each user whose every project was torn down (never a
        platform admin, never anyone still in another project).
    :param missing_ok: an external id with no TEAM project is ``missing`` (default) rather
        than a failure.
    :param max_deletions: refuse (task fails, nothing written) when the plan deletes more
        projects than this.
    :param concurrency: parallel API requests (default 16, core's ``DEFAULT_CONCURRENCY``).
    :param asset_alias: as for ``ActivepiecesSyncTenantsOperator`` (one event per deleted
        project); ``None`` disables them.
    :param archive: as for ``ActivepiecesSyncTenantsOperator``: required when anything is
        deleted; ``None`` spelled out deletes without archives.
    :return: ``{"results": [{"external_id", "project_id", "status", "error", "archive"}],
        "summary": {"total", "deleted", "missing", "failed"}, "warnings": [...]}``, status
        ``deleted`` / ``missing`` / ``failed``; ``archive`` is where a deleted tenant's archive
        was written. Core's apply report (every change, with its ``kind``) is pushed under the
        XCom key ``report``.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "external_ids",
        "offboard_users",
        "missing_ok",
        "max_deletions",
        "archive",
    )

    def __init__(
        self,
        *,
        external_ids: Any,
        offboard_users: bool | str = False,
        missing_ok: bool | str = True,
        max_deletions: int | str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        asset_alias: str | None = TENANTS_ASSET_ALIAS,
        archive: Any = ARCHIVE_REQUIRED,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            concurrency=concurrency, asset_alias=asset_alias, archive=archive, **kwargs
        )
        self.external_ids = external_ids
        self.offboard_users = offboard_users
        self.missing_ok = missing_ok
        self.max_deletions = max_deletions

    def _plan(self, client: ActivepiecesClient, ids: list[str], *, offboard: bool) -> Plan:
        from activepieces_core.tenants import plan_teardown

        return plan_teardown(client, ids, offboard_users=offboard, concurrency=self.concurrency)

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from activepieces_core.tenants import (
            DeletionLimitExceeded,
            TeardownReport,
            apply,
            teardown_ids,
            teardown_view,
        )
        from activepieces_core.tenants.archive import ArchiveRequiredError, store_of

        ids = teardown_ids(text_list(self.external_ids) or [])
        offboard = argument_bool("offboard_users", self.offboard_users)
        missing_ok = argument_bool("missing_ok", self.missing_ok)
        max_deletions = optional_int(self.max_deletions, "max_deletions")
        archive = self.archive_target()
        with self.client() as client:
            tenant_plan = self._plan(client, ids, offboard=offboard)
            self.log.info(
                "Teardown of %d tenant(s)\n%s", len(ids), plan_text(tenant_plan, archive=archive)
            )
            if tenant_plan.missing:
                self.log.info("No TEAM project: %s", ", ".join(tenant_plan.missing))
            try:
                report = apply(
                    client,
                    tenant_plan,
                    concurrency=self.concurrency,
                    max_deletions=max_deletions,
                    check_stale=False,
                    archive=archive,
                )
            except (DeletionLimitExceeded, ArchiveRequiredError) as exc:
                raise AirflowFailException(str(exc)) from exc
        context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=report.to_dict())
        self.log.info("%s", report_text(report))
        self._emit_asset_events(context, report)
        teardown = TeardownReport.build(
            ids, tenant_plan, report, missing_ok=missing_ok, archive=store_of(archive)
        )
        self.log.info("%s", teardown_view(teardown).text())
        error = teardown.error()
        if error is not None:
            raise error
        return teardown.to_dict()
