"""``activepieces tenants validate|plan|apply FILE``: tenants as code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from activepieces_core.cli._common import ExitCode, err_console, fail, handle_errors, state
from activepieces_core.client import ActivepiecesClient
from activepieces_core.tenants import ApplyReport, Plan, TenantResult, apply, load_tenants, plan
from activepieces_core.tenants.engine import DEFAULT_CONCURRENCY, check_deletions

__all__ = ["app"]

app = typer.Typer(help="Tenants as code: plan and apply a tenant file.", no_args_is_help=True)
console = Console()

FileArg = Annotated[
    Path, typer.Argument(help="Tenant file (.yaml, .yml, .json or .csv).", show_default=False)
]
PruneOpt = Annotated[
    bool, typer.Option(help="Delete TEAM projects whose external id is not in the file.")
]
ProtectOpt = Annotated[
    list[str] | None,
    typer.Option(help="Never delete matching external ids / project ids (glob, repeatable)."),
]
_STYLE = {"create": "green", "update": "yellow", "delete": "red", "noop": "dim"}


def _diff_text(diff: dict[str, dict[str, object]]) -> str:
    return ", ".join(f"{k}: {v.get('from')!r} → {v.get('to')!r}" for k, v in diff.items())


def _print_table_and(table: Table, summary: str) -> None:
    if table.row_count:
        console.print(table)
    console.print(summary)


def _print_plan(the_plan: Plan, *, show_noop: bool = False) -> None:
    table = Table("action", "external id", "project id", "changes")
    for c in the_plan.changes:
        if c.action == "noop" and not show_noop:
            continue
        style = _STYLE[c.action]
        changes = _diff_text(c.diff) if c.action == "update" else (c.display_name or "")
        table.add_row(
            f"[{style}]{c.action}[/]", escape(c.external_id), c.project_id or "", escape(changes)
        )
    s = the_plan.summary
    _print_table_and(
        table,
        f"Plan: [green]{s['create']} to create[/], [yellow]{s['update']} to update[/], "
        f"[red]{s['delete']} to delete[/], {s['noop']} unchanged "
        f"({the_plan.read_requests} read request(s)).",
    )
    for ext in the_plan.protected:
        console.print(f"protected, not deleted: {ext}", highlight=False)
    for warning in the_plan.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)


def _print_report(report: ApplyReport) -> None:
    table = Table("action", "external id", "project id", "status", "error")
    for r in report.results:
        if r.status == "skipped":
            continue
        colour = {"succeeded": "green", "failed": "red", "planned": "cyan"}.get(r.status, "")
        table.add_row(
            r.action,
            escape(r.external_id),
            r.project_id or "",
            f"[{colour}]{r.status}[/]",
            escape(r.error or ""),
        )
    s = report.summary
    _print_table_and(
        table,
        f"{'Dry run' if report.dry_run else 'Applied'}: {s['succeeded']} succeeded, "
        f"{s['failed']} failed, {s['planned']} planned, {s['skipped']} unchanged "
        f"in {report.duration_seconds:.2f}s.",
    )


@app.command("validate")
def validate(file: FileArg) -> None:
    """Check a tenant file without contacting the server."""
    with handle_errors():
        specs = load_tenants(file)
    if state.json:
        state.emit_json({"valid": True, "tenants": len(specs)})
    else:
        console.print(f"{file}: {len(specs)} valid tenant(s)", highlight=False)


def _plan_file(
    client: ActivepiecesClient,
    file: Path,
    prune: bool,
    protect: list[str] | None,
    page_size: int,
) -> Plan:
    # The file is validated before the first request goes out.
    specs = load_tenants(file)
    return plan(client, specs, prune=prune, protect=protect or (), page_size=page_size)


@app.command("plan")
def plan_cmd(
    file: FileArg,
    prune: PruneOpt = False,
    protect: ProtectOpt = None,
    page_size: Annotated[int, typer.Option(help="Page size of the TEAM listing.")] = 1000,
) -> None:
    """Show what `apply` would change (reads only)."""
    with handle_errors(), state.client() as client:
        the_plan = _plan_file(client, file, prune, protect, page_size)
    if state.json:
        state.emit_json(the_plan.to_dict())
    else:
        _print_plan(the_plan)


def _confirm_deletions(the_plan: Plan, yes: bool, dry_run: bool) -> None:
    deletes = the_plan.by_action("delete")
    if not deletes or yes or dry_run:
        return
    if not sys.stdin.isatty():
        fail(
            f"the plan deletes {len(deletes)} project(s); pass --yes to confirm",
            ExitCode.REFUSED,
        )
    names = ", ".join(c.external_id for c in deletes[:10]) + (" ..." if len(deletes) > 10 else "")
    if not typer.confirm(f"Delete {len(deletes)} project(s): {names}?", default=False):
        fail("not confirmed; nothing was changed", ExitCode.REFUSED)


@app.command("apply")
def apply_cmd(
    file: FileArg,
    prune: PruneOpt = False,
    protect: ProtectOpt = None,
    max_deletions: Annotated[
        int | None, typer.Option(help="Refuse (exit 6) when more deletions are planned.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Plan and report, write nothing.")] = False,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Requests in flight.")
    ] = DEFAULT_CONCURRENCY,
    page_size: Annotated[int, typer.Option(help="Page size of the TEAM listing.")] = 1000,
) -> None:
    """Bring the platform's TEAM projects to the tenant file (exit 1 if any tenant failed)."""
    with handle_errors(), state.client() as client:
        the_plan = _plan_file(client, file, prune, protect, page_size)
        check_deletions(the_plan, max_deletions)
        if not state.json:
            _print_plan(the_plan)
        _confirm_deletions(the_plan, yes, dry_run)
        report = _apply_with_progress(client, the_plan, concurrency, dry_run, max_deletions)
    if state.json:
        state.emit_json(report.to_dict())
    else:
        _print_report(report)
    if report.failed:
        raise typer.Exit(int(ExitCode.TENANT_FAILED))


def _apply_with_progress(
    client: ActivepiecesClient,
    the_plan: Plan,
    concurrency: int,
    dry_run: bool,
    max_deletions: int | None,
) -> ApplyReport:
    todo = sum(1 for c in the_plan.changes if c.action != "noop")
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=todo == 0 or dry_run,
    ) as progress:
        task = progress.add_task("applying", total=todo)

        def advance(result: TenantResult) -> None:
            if result.action != "noop":
                progress.advance(task)

        return apply(
            client,
            the_plan,
            concurrency=concurrency,
            dry_run=dry_run,
            max_deletions=max_deletions,
            on_result=advance,
        )
