"""``activepieces tenants validate|plan|apply|teardown|restore|export|adopt``: tenants as code.

Reviewed changes: ``plan FILE --out PLAN.json`` saves the plan (the format of
`activepieces_core.tenants.saved`; ``plan -o json`` prints the same), ``apply PLAN.json``
applies exactly that plan, after re-reading what it touches (exit 7, nothing written, when the
server moved on). ``plan --detailed-exitcode`` exits 0 / 2 / 1 for no changes / changes / error.

Output scales to platforms: by default the summary, every failure and a sample of the changes
(with how many more there are); ``--full``, ``-o json`` or ``--report FILE`` give everything.
While planning and applying, a progress bar runs on stderr when it is a terminal (never with
``-o json``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from enum import Enum
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from activepieces_core.cli._common import (
    ExitCode,
    building_kept,
    err_console,
    fail,
    handle_errors,
    new_table,
    planning_gc,
    state,
)
from activepieces_core.config import ClientConfig
from activepieces_core.constants import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE
from activepieces_core.tenants import (
    ApplyReport,
    Plan,
    TeardownReport,
    TenantDocument,
    TenantResult,
    View,
    apply,
    check_deletions,
    document_digest,
    load_document,
    plan,
    plan_view,
    report_view,
    teardown_view,
)
from activepieces_core.tenants.adopt import Adoption, plan_adoption
from activepieces_core.tenants.archive.archiver import (
    ARCHIVE_REQUIRED,
    ArchiveTarget,
    resolve_archiver,
    store_of,
)
from activepieces_core.tenants.engine import guarded_deletions
from activepieces_core.tenants.export import Export, export_tenants
from activepieces_core.tenants.saved import canonical_parts, is_saved_plan, verify_sealed_text

__all__ = ["SAMPLE", "app"]

app = typer.Typer(
    help="Tenants as code: plan, review and apply a tenant file; tear tenants down; "
    "export and adopt projects.",
    no_args_is_help=True,
)
console = Console()

#: Changes shown by default; ``--full`` shows all.
SAMPLE = 20
#: Beyond this many failures they are listed as plain lines (a table of thousands is slow).
FAILURE_TABLE_MAX = 200
#: Plans with more changes are saved as canonical JSON, unindented (indenting 50,000 changes
#: takes seconds; canonical text is verified over its bytes, `saved.verify_sealed_text`).
INDENT_MAX_CHANGES = 2000

FileArg = Annotated[
    Path, typer.Argument(help="Tenant file (.yaml, .yml, .json or .csv).", show_default=False)
]
PlanOrFileArg = Annotated[
    Path,
    typer.Argument(
        help="Tenant file, or a plan saved by `tenants plan --out` (applied exactly).",
        show_default=False,
    ),
]
PruneOpt = Annotated[
    bool, typer.Option(help="Delete TEAM projects whose external id is not in the file.")
]
PruneMembersOpt = Annotated[
    bool,
    typer.Option(
        help="Remove members and invitations a tenant's `members` does not list "
        "(tenants that declare members only)."
    ),
]
OffboardUsersOpt = Annotated[
    bool,
    typer.Option(
        help="Deactivate users whose every project is deleted (never a platform admin, "
        "never anyone still in another project)."
    ),
]
ProtectOpt = Annotated[
    list[str] | None,
    typer.Option(help="Never delete matching external ids / project ids (glob, repeatable)."),
]
PageSizeOpt = Annotated[int, typer.Option(min=1, help="Page size of the TEAM listing.")]
FullOpt = Annotated[bool, typer.Option("--full", help="Show every change, not a sample.")]
ReportOpt = Annotated[
    Path | None,
    typer.Option("--report", dir_okay=False, help="Also write everything, as JSON, to this file."),
]
ConcurrencyOpt = Annotated[int, typer.Option(min=1, help="Requests in flight.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ArchiveOpt = Annotated[
    str | None,
    typer.Option(
        "--archive",
        metavar="DIR|URL",
        help="Archive every tenant whose project is deleted here first (a directory or an "
        "fsspec URL: file://, memory://, s3://...); required for deletes, unless --no-archive.",
    ),
]
NoArchiveOpt = Annotated[
    bool, typer.Option("--no-archive", help="Delete tenant projects without archiving them.")
]
_STYLE = {
    **{"create": "green", "update": "yellow", "delete": "red", "noop": "dim"},
    **{"succeeded": "green", "failed": "red", "planned": "cyan", "skipped": "dim"},
    **{"deleted": "green", "missing": "dim"},
}


# --------------------------------------------------------------------------- output helpers


def _progress_enabled() -> bool:
    return err_console.is_terminal and not state.json


@contextmanager
def _spinner(description: str) -> Iterator[None]:
    """A transient spinner on stderr while something without a known length runs."""
    if not _progress_enabled():  # rich's progress module is loaded only for a display
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        progress.add_task(description, total=None)
        yield


def _progress_bar(stack: ExitStack, total: int) -> Callable[[TenantResult], None]:
    """A transient bar on stderr, closed with ``stack``: the callback advancing it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = stack.enter_context(
        Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
    )
    task = progress.add_task("applying", total=total)

    def advance(result: TenantResult) -> None:
        if result.action != "noop":
            progress.advance(task)

    return advance


def _dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str) + "\n"


@contextmanager
def _writing(path: Path) -> Iterator[IO[str]]:
    """``path`` opened for writing; a failure to write it is a usage error naming it."""
    try:
        with path.open("w", encoding="utf-8") as out:
            yield out
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}", ExitCode.USAGE)


def _write(path: Path, text: str) -> None:
    with _writing(path) as out:
        out.write(text)


def _save_plan(tenant_plan: Plan, path: Path) -> None:
    if len(tenant_plan.changes) <= INDENT_MAX_CHANGES:
        _write(path, _dump_json(tenant_plan.to_dict()))
        return
    with _writing(path) as out:  # canonical, a change at a time: `apply` checks its digest
        tenant_plan.write(out)


def _more_line(hidden: int, noun: str) -> None:
    if hidden > 0:
        console.print(
            f"... and {hidden} more {noun} not shown (--full, -o json or --report FILE show all)",
            highlight=False,
        )


def _styled(column: str, cell: str) -> str:
    style = _STYLE.get(cell) if column in ("action", "status") else None
    return f"[{style}]{escape(cell)}[/]" if style else escape(cell)


def _print_rows(view: View, title: str | None = None) -> None:
    """The view's rows: a table, or plain lines when there are too many for one."""
    if not view.rows:
        return
    if len(view.rows) > FAILURE_TABLE_MAX:
        out = sys.stdout
        out.write("\t".join(view.columns) + "\n")
        out.writelines("\t".join(row) + "\n" for row in view.rows)
        out.flush()
        return
    # Columns that are empty on every row shown (no kinds but projects, no errors) are left out.
    used = [i for i, _ in enumerate(view.columns) if any(row[i] for row in view.rows)]
    keep = [i for i in range(len(view.columns)) if i in used or view.columns[i] == "external_id"]
    table = new_table(*(view.columns[i].replace("_", " ") for i in keep), title=title)
    for row in view.rows:
        table.add_row(*(_styled(view.columns[i], row[i]) for i in keep))
    console.print(table)


def _print_view(view: View, noun: str, *, rows: bool = True) -> None:
    """Rows, the "more" line, the headline and the per-kind lines; warnings on stderr."""
    if rows:
        _print_rows(view)
        _more_line(view.hidden, noun)
    console.print(view.headline, highlight=False)
    for line in view.kind_lines:
        console.print(f"  {line}", highlight=False)
    for note in view.notes:
        if note.startswith("Warning: "):
            err_console.print(
                f"[yellow]warning:[/] {escape(note.removeprefix('Warning: '))}",
                highlight=False,
                soft_wrap=True,
            )
        else:
            console.print(note, highlight=False)


def _plan_summary(tenant_plan: Plan) -> None:
    _print_view(plan_view(tenant_plan, max_rows=0), "change(s)", rows=False)


def _print_plan(
    tenant_plan: Plan, *, full: bool, archive: ArchiveTarget = ARCHIVE_REQUIRED
) -> None:
    view = plan_view(tenant_plan, max_rows=None if full else SAMPLE, archive=archive)
    _print_view(view, "change(s)")


def _print_report(report: ApplyReport, *, full: bool) -> None:
    _print_view(report_view(report, max_rows=None if full else SAMPLE), "result(s)")


def _archive_target(archive: str | None, no_archive: bool) -> ArchiveTarget:
    """``--archive`` as a store, ``--no-archive`` as None, neither as `ARCHIVE_REQUIRED`."""
    from activepieces_core.tenants.archive import ArchiveStore

    if archive is not None and no_archive:
        fail("--archive and --no-archive exclude each other", ExitCode.USAGE)
    if no_archive:
        return None
    if archive is None:
        return ARCHIVE_REQUIRED
    try:
        return ArchiveStore(archive)
    except (ValueError, ImportError) as exc:
        fail(f"--archive {archive}: {exc}", ExitCode.USAGE)


# --------------------------------------------------------------------------- validate / plan


@app.command("validate")
def validate(file: FileArg) -> None:
    """Check a tenant file without contacting the server."""
    with handle_errors():
        document = load_document(file)
    if state.json:
        state.emit_json({"valid": True, "tenants": len(document.tenants)})
    else:
        console.print(f"{file}: {len(document.tenants)} valid tenant(s)", highlight=False)


def _plan_document(
    client: ClientConfig,
    document: TenantDocument,
    prune: bool,
    protect: list[str] | None,
    page_size: int,
    *,
    prune_members: bool = False,
    offboard_users: bool = False,
) -> Plan:
    with _spinner(f"planning {len(document.tenants)} tenant(s)"), planning_gc():
        return plan(
            client,
            document,
            prune=prune,
            protect=protect or (),
            page_size=page_size,
            prune_members=prune_members,
            offboard_users=offboard_users,
        )


def _stamped(tenant_plan: Plan, document: TenantDocument) -> Plan:
    """``tenant_plan`` naming its document (only computed when the plan is written out)."""
    if tenant_plan.document_digest is not None:
        return tenant_plan
    return tenant_plan.naming(document)


@app.command("plan")
def plan_cmd(
    file: FileArg,
    prune: PruneOpt = False,
    prune_members: PruneMembersOpt = False,
    offboard_users: OffboardUsersOpt = False,
    protect: ProtectOpt = None,
    page_size: PageSizeOpt = DEFAULT_PAGE_SIZE,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", dir_okay=False, help="Save the plan here, for `tenants apply PLAN.json`."
        ),
    ] = None,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 with no changes, 2 with changes, 1 on error."
        ),
    ] = False,
    full: FullOpt = False,
    report: ReportOpt = None,
    archive: ArchiveOpt = None,
    no_archive: NoArchiveOpt = False,
) -> None:
    """Show what `apply` would change (reads only); --out saves the plan for review.

    Each tenant project to delete says where `apply --archive` will archive it."""
    try:
        target = _archive_target(archive, no_archive)
        with handle_errors():
            with planning_gc():
                document = load_document(file)  # validated before the first request
            client = state.config()
            tenant_plan = _plan_document(
                client,
                document,
                prune,
                protect,
                page_size,
                prune_members=prune_members,
                offboard_users=offboard_users,
            )
        stamped = _stamped(tenant_plan, document) if out or report or state.json else None
        for path in (out, report):
            if path is not None and stamped is not None:
                _save_plan(stamped, path)
        if state.json and stamped is not None:
            state.emit_json(stamped.to_dict())
        else:
            _print_plan(tenant_plan, full=full, archive=target)
            if out is not None:
                console.print(f"Saved the plan to {out}.", highlight=False)
    except typer.Exit as exc:
        if detailed_exitcode and exc.exit_code != 0:
            raise typer.Exit(1) from None
        raise
    if detailed_exitcode and tenant_plan.has_changes:
        state.changes_pending = True
        raise typer.Exit(2)


# --------------------------------------------------------------------------- apply


def _read_plan_or_document(path: Path) -> Plan | TenantDocument:
    """A saved plan (verified) or a tenant document, told apart by content."""
    if path.suffix.lower() == ".json":
        try:
            raw = path.read_bytes()
        except OSError:
            raw = b""  # load_document reports it with the file's name
        # A plan saved by `plan --out`: verified over its bytes (neither decoded nor encoded
        # again to be hashed), built a change at a time once they are let go (parsed, they
        # are not needed any more). The collector is held off meanwhile: parsing and
        # validating make millions of objects the run keeps and no cycles, and each
        # collection walked every one of them made so far (~1 s of 5 at 100,000 tenants).
        with building_kept():
            parts = canonical_parts(raw)
            if parts is not None:
                del raw
                return Plan.from_parts(*parts)
        try:
            text = raw.decode("utf-8")
        except ValueError:
            text = ""  # load_document reports it with the file's name
        del raw
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if is_saved_plan(data):
            verify_sealed_text(text, data)
            del text  # ~200 MB at 100,000 tenants, not needed any more
            return Plan.from_parsed(data)
        if isinstance(data, (list, dict)):
            return load_document(data, base=path.parent)  # templates are beside the file
    return load_document(path)


def _confirm_deletions(tenant_plan: Plan, yes: bool, dry_run: bool) -> None:
    # Each kind whose deletes are guarded (projects; people with --prune-members) is asked
    # about in its own words: "Delete 2 project(s): ...? Remove 1 member(s): ...?".
    guarded = guarded_deletions(tenant_plan)
    if not guarded or yes or dry_run:
        return
    what = " and ".join(f"{k.delete_verb}s {len(going)} {k.noun}(s)" for k, going in guarded)
    if not sys.stdin.isatty():
        fail(f"the plan {what}; pass --yes to confirm", ExitCode.REFUSED)
    questions = []
    for kind, going in guarded:
        names = ", ".join(
            c.external_id
            if c.key is None
            else f"{c.key if c.kind == kind.name else c.label} ({c.external_id})"
            for c in going[:10]
        )
        more = " ..." if len(going) > 10 else ""
        verb = kind.delete_verb.capitalize()
        questions.append(f"{verb} {len(going)} {kind.noun}(s): {names}{more}?")
    if not typer.confirm(" ".join(questions), default=False):
        fail("not confirmed; nothing was changed", ExitCode.REFUSED)


def _check_document(tenant_plan: Plan, document: Path) -> None:
    digest = document_digest(load_document(document))
    if tenant_plan.document_digest is None:
        fail("the saved plan records no tenant document digest", ExitCode.USAGE)
    if tenant_plan.document_digest != digest:
        fail(
            f"the saved plan was made from another tenant document than {document} "
            f"(plan {tenant_plan.document_digest}, file {digest}); nothing was applied. Plan again.",
            ExitCode.STALE,
        )


@app.command("apply")
def apply_cmd(
    file: PlanOrFileArg,
    prune: PruneOpt = False,
    prune_members: PruneMembersOpt = False,
    offboard_users: OffboardUsersOpt = False,
    protect: ProtectOpt = None,
    max_deletions: Annotated[
        int | None, typer.Option(help="Refuse (exit 6) when more deletions are planned.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Plan and report, write nothing.")] = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    page_size: PageSizeOpt = DEFAULT_PAGE_SIZE,
    document: Annotated[
        Path | None,
        typer.Option(
            "--document",
            dir_okay=False,
            help="Saved plans: refuse (exit 7) unless planned from this tenant file.",
        ),
    ] = None,
    full: FullOpt = False,
    report: ReportOpt = None,
    archive: ArchiveOpt = None,
    no_archive: NoArchiveOpt = False,
) -> None:
    """Bring the platform to a tenant file, or apply a saved plan exactly (exit 1: a tenant failed).

    A tenant project is deleted only after its archive is written to --archive and read back
    (a tenant whose archive fails is reported failed, not deleted); --no-archive skips that.

    A saved plan is first checked against the server: if any project it touches changed,
    appeared or vanished since it was planned, nothing is applied (exit 7: plan again).
    """
    target = _archive_target(archive, no_archive)
    with handle_errors():
        with planning_gc():
            source = _read_plan_or_document(file)
        saved = isinstance(source, Plan)
        if saved and (prune or protect or prune_members or offboard_users):
            fail(
                "--prune, --prune-members, --offboard-users and --protect are for planning; "
                "a saved plan applies as it is",
                ExitCode.USAGE,
            )
        if not saved and document is not None:
            fail("--document checks a saved plan; FILE is a tenant document", ExitCode.USAGE)
        client = state.config()
        if isinstance(source, Plan):
            tenant_plan = source
            if document is not None:
                _check_document(tenant_plan, document)
        else:
            tenant_plan = _plan_document(
                client,
                source,
                prune,
                protect,
                page_size,
                prune_members=prune_members,
                offboard_users=offboard_users,
            )
        check_deletions(tenant_plan, max_deletions)
        resolve_archiver(target, tenant_plan, client.base_url, dry_run=dry_run)  # before asking
        if not state.json:
            _plan_summary(tenant_plan)
        _confirm_deletions(tenant_plan, yes, dry_run)
        # A saved plan may be hours old: re-read what it touches. One just made is not.
        result = _apply_with_progress(
            client,
            tenant_plan,
            concurrency,
            dry_run,
            max_deletions,
            check_stale=saved,
            archive=target,
        )
    if report is not None:
        _write(report, _dump_json(result.to_dict()))
    if state.json:
        state.emit_json(result.to_dict())
    else:
        _print_report(result, full=full)
    if result.failed:
        raise typer.Exit(int(ExitCode.TENANT_FAILED))


def _apply_with_progress(
    client: ClientConfig,
    tenant_plan: Plan,
    concurrency: int,
    dry_run: bool,
    max_deletions: int | None,
    *,
    check_stale: bool,
    archive: ArchiveTarget = ARCHIVE_REQUIRED,
) -> ApplyReport:
    todo = sum(1 for c in tenant_plan.changes if c.action != "noop")
    with ExitStack() as stack:
        shown = todo > 0 and not dry_run and _progress_enabled()
        return apply(
            client,
            tenant_plan,
            concurrency=concurrency,
            dry_run=dry_run,
            max_deletions=max_deletions,
            on_result=_progress_bar(stack, todo) if shown else None,
            check_stale=check_stale,
            archive=archive,
        )


# --------------------------------------------------------------------------- teardown


@app.command("teardown")
def teardown_cmd(
    external_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="EXTERNAL_ID", help="External ids of the tenants.", show_default=False
        ),
    ],
    offboard_users: OffboardUsersOpt = False,
    max_deletions: Annotated[
        int | None, typer.Option(help="Refuse (exit 6) when more deletions are planned.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting.")] = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    archive: ArchiveOpt = None,
    no_archive: NoArchiveOpt = False,
) -> None:
    """Tear down exactly the named tenants: project, own piece set, and with --offboard-users
    the users left with no project (exit 1: a tenant failed).

    Each tenant is first archived to --archive DIR|URL and read back (`tenants restore`
    brings it back); a tenant whose archive fails is failed, not deleted. --no-archive skips
    archives. Prints deleted / missing / failed per tenant (missing: no TEAM project).
    """
    from activepieces_core.tenants import plan_teardown, teardown_ids

    target = _archive_target(archive, no_archive)
    with handle_errors():
        external_ids = teardown_ids(external_ids)
        client = state.config()
        with _spinner(f"planning the teardown of {len(external_ids)} tenant(s)"):
            tenant_plan = plan_teardown(client, external_ids, offboard_users=offboard_users)
        check_deletions(tenant_plan, max_deletions)
        resolve_archiver(target, tenant_plan, client.base_url)  # refused before asking
        if not state.json:
            _plan_summary(tenant_plan)
        _confirm_deletions(tenant_plan, yes, False)
        report = _apply_with_progress(
            client,
            tenant_plan,
            concurrency,
            False,
            max_deletions,
            check_stale=False,
            archive=target,
        )
    teardown = TeardownReport.build(external_ids, tenant_plan, report, archive=store_of(target))
    if state.json:
        state.emit_json({**teardown.to_dict(), "report": report.to_dict()})
    else:
        _print_view(teardown_view(teardown), "tenant(s)")
    if teardown.failed_external_ids:
        raise typer.Exit(int(ExitCode.TENANT_FAILED))


# --------------------------------------------------------------------------- export


class ProjectTypeOpt(str, Enum):
    """``--types`` values: tenants are TEAM projects."""

    TEAM = "TEAM"


def _export_text(export: Export, path: Path | None) -> str:
    as_json = state.json or (path is not None and path.suffix.lower() == ".json")
    if as_json:
        return _dump_json(export.document)
    header = (
        f"# Tenant document exported by `activepieces tenants export`: "
        f"{len(export.tenants)} TEAM project(s)"
        + (f", {len(export.left_out)} left out (see stderr)" if export.left_out else "")
        + ".\n"
    )
    import yaml  # loaded for a YAML export only, not by every run of the command

    return header + yaml.safe_dump(
        export.document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


@app.command("export")
def export_cmd(
    types: Annotated[
        list[ProjectTypeOpt] | None,
        typer.Option("--types", help="Project types to export (tenants are TEAM projects)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", dir_okay=False, help="Write here (.json: JSON) instead of stdout."),
    ] = None,
    page_size: PageSizeOpt = DEFAULT_PAGE_SIZE,
) -> None:
    """Write the platform's TEAM projects as a tenant document that `plan` finds unchanged."""
    chosen = [t.value for t in types or [ProjectTypeOpt.TEAM]]
    with handle_errors(), _spinner("reading TEAM projects"):
        export = export_tenants(state.config(), types=chosen, page_size=page_size)
    for item in export.left_out:
        prune = (
            f"; `plan --prune` would delete it unless you pass --protect {item.external_id}"
            if item.prunable
            else ""
        )
        err_console.print(
            f"[yellow]left out:[/] {item.project_id} ({escape(item.display_name)}): "
            f"{escape(item.reason)}{escape(prune)}",
            highlight=False,
            soft_wrap=True,
        )
    for item in export.unmanaged:
        err_console.print(
            f"[yellow]unmanaged:[/] {escape(item.external_id or item.project_id)}: "
            f"{escape(item.reason)} (its value cannot be written in a tenant document)",
            highlight=False,
            soft_wrap=True,
        )
    text = _export_text(export, out)
    if out is None:
        sys.stdout.write(text)
    else:
        _write(out, text)
        err_console.print(f"Wrote {len(export.tenants)} tenant(s) to {out}.", highlight=False)


# --------------------------------------------------------------------------- adopt


class MatchOpt(str, Enum):
    """``--match`` values."""

    display_name = "display-name"


def _print_adoption(adoption: Adoption, *, full: bool) -> None:
    changes = adoption.plan.changes
    if changes:
        shown = changes if full else changes[:SAMPLE]
        table = new_table("external id", "project id", "display name", title="to adopt")
        for c in shown:
            table.add_row(escape(c.external_id), c.project_id or "", escape(c.display_name or ""))
        console.print(table)
        _more_line(len(changes) - len(shown), "project(s)")
    for amb in adoption.ambiguous:
        console.print(
            f"[yellow]ambiguous, not adopted:[/] {escape(amb.display_name)!r}: "
            f"rows {escape(', '.join(amb.external_ids))}; "
            f"projects {', '.join(amb.project_ids)}",
            highlight=False,
            soft_wrap=True,
        )
    if adoption.missing:
        console.print(
            f"[yellow]missing[/] (no project without an external id has the row's display "
            f"name; `tenants plan` would create them): {escape(', '.join(adoption.missing))}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"Adopt: {len(changes)} project(s) to label, {len(adoption.ambiguous)} ambiguous "
        f"name(s), {len(adoption.missing)} missing, {len(adoption.managed)} already managed, "
        f"{len(adoption.unmatched_projects)} unlabelled project(s) matching no row.",
        highlight=False,
    )


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        fail("not confirmed (stdin is not a terminal): pass --yes, or --out", ExitCode.REFUSED)
    if not typer.confirm(question, default=False):
        fail("not confirmed; nothing was changed", ExitCode.REFUSED)


@app.command("adopt")
def adopt_cmd(
    file: FileArg,
    match: Annotated[
        MatchOpt, typer.Option("--match", help="How a project matches a tenant row.")
    ] = MatchOpt.display_name,
    yes: YesOpt = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", dir_okay=False, help="Save the plan here instead of applying it."),
    ] = None,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    page_size: PageSizeOpt = DEFAULT_PAGE_SIZE,
    full: FullOpt = False,
) -> None:
    """Label hand-made projects with the external id of the tenant row they match.

    Only projects without an external id whose display name matches exactly one row (and
    that row no other such project) are adopted; ambiguous and missing matches are listed.
    """
    with handle_errors():
        document = load_document(file)
        client = state.config()
        with _spinner("reading TEAM projects"):
            adoption = plan_adoption(client, document, match=match.value, page_size=page_size)
        tenant_plan = adoption.plan
        if not state.json:
            _print_adoption(adoption, full=full)
        result: ApplyReport | None = None
        if out is not None:
            _save_plan(tenant_plan, out)
            if not state.json:
                console.print(f"Saved the plan to {out}.", highlight=False)
        elif tenant_plan.has_changes:
            _confirm(f"Label {len(tenant_plan.changes)} project(s) with their external id?", yes)
            result = _apply_with_progress(
                client, tenant_plan, concurrency, False, None, check_stale=True
            )
    if state.json:
        data = adoption.to_dict()
        data["report"] = result.to_dict() if result is not None else None
        state.emit_json(data)
    elif result is not None:
        _print_report(result, full=full)
    if result is not None and result.failed:
        raise typer.Exit(int(ExitCode.TENANT_FAILED))


# --------------------------------------------------------------------------- restore


@app.command("restore")
def restore_cmd(
    archive: Annotated[
        str,
        typer.Argument(
            metavar="ARCHIVE",
            help="An archive written by teardown/apply --archive (a path or an fsspec URL).",
            show_default=False,
        ),
    ],
    external_id: Annotated[
        str | None, typer.Option("--external-id", help="Restore under this external id.")
    ] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Restore under this display name.")
    ] = None,
    replace_existing: Annotated[
        bool,
        typer.Option(
            "--replace-existing",
            help="Overwrite a live tenant with the same external id (refused otherwise, exit 6).",
        ),
    ] = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
) -> None:
    """Bring a tenant back from its archive: project fields, piece set or own pieces, members
    (invited again) and its flows, tables and folders (exit 1: a part failed; 6: refused).

    Running it twice changes nothing the second time. Connections come back as placeholders
    awaiting authorisation (secrets are never archived); they are listed.
    """
    from activepieces_core.tenants.archive import ArchiveError, RestoreRefused, restore

    with handle_errors():
        client = state.config()
        try:
            with _spinner("restoring"):
                result = restore(
                    client,
                    archive,
                    external_id=external_id,
                    display_name=display_name,
                    replace_existing=replace_existing,
                    concurrency=concurrency,
                )
        except RestoreRefused as exc:
            fail(str(exc), ExitCode.REFUSED)
        except ArchiveError as exc:
            fail(str(exc), ExitCode.USAGE)
    if state.json:
        state.emit_json(result.to_dict())
    else:
        _print_report(result.report, full=True)
        console.print(
            f"Restored {result.external_id} ({result.action}) as project {result.project_id} "
            f"from {archive}.",
            highlight=False,
        )
        if result.connections_awaiting_authorization:
            console.print(
                "Connections awaiting authorisation again: "
                + ", ".join(result.connections_awaiting_authorization),
                highlight=False,
            )
    if not result.ok:
        raise typer.Exit(int(ExitCode.TENANT_FAILED))
