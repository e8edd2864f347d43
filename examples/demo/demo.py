"""The whole product in one command: tenants onboarded, re-synced and torn down by Airflow and Prefect.

    uv run python examples/demo/demo.py

With no ``ACTIVEPIECES_URL`` set it starts the embedded Activepieces emulator as a platform whose
pieces are governed by **piece sets** (``managePiecesEnabled``) and with environments
(``environmentsEnabled``: a project's contents can be replaced), builds a template project by
hand (``template_project.py``: three flows and the Slack connection they use) and, against it:
1. exports the template project with the CLI (``activepieces projects export``) into
   ``templates/standard.json`` beside copies of the tenant documents in the workdir (both name it
   as every tenant's ``template``),
2. runs the ``activepieces_tenant_onboarding`` DAG with ``dag.test()`` on ``tenants.yaml`` (named
   piece sets, a tenant with its own list, tenants on the Default set, an admin per tenant, the
   template's flows → bulk sync → one deferrable sensor per tenant waiting for an active flow:
   each tenant's admin "signs up" a moment after the project appears),
3. edits the template project (a flow renamed, one added, one removed) and exports it again,
4. runs the Prefect onboarding flow on ``tenants-next.yaml`` (a set gains a piece, a rename, a
   longer own list, a new analyst, a new tenant; next week's template),
5. runs the ``activepieces_tenant_teardown`` DAG for two tenants, each archived first into
   ``<workdir>/archive`` (written, read back and verified before its project is deleted),
6. restores one of them from its archive with the CLI (``activepieces tenants restore``),
then prints what each Airflow/Prefect step did to each tenant and the final state: which piece
set governs each tenant, which pieces it **sees**, its **people** and its **flows**, all asked of
the emulator (what the platform holds, not what was sent). Exit code 0 only if every step
succeeded and the final state is the one the last tenant document and template ask for.

With ``ACTIVEPIECES_URL`` and ``ACTIVEPIECES_API_KEY`` set it targets that platform and only plans
(a dry run showing what onboarding would change): ``tenants.yaml`` on a platform with piece sets,
``examples/tenants.yaml`` (plain allow-lists) on one governed by the project plan. Pass
``--apply`` to run the Airflow and Prefect steps for real (piece-set platforms only; the torn-down
tenants are archived into ``./activepieces-demo-archive``, none is restored). Against a real
platform tenants' contents are left alone: the template comes from the template project the
local demo builds (make yours with ``activepieces projects export``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import template_project
import yaml
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from activepieces_core import ActivepiecesClient
from activepieces_core.models.contents import ProjectState
from activepieces_core.models.state_file import read_state_file
from activepieces_core.tenants import (
    TenantDocument,
    TenantResult,
    TenantSpec,
    load_document,
    reconcile,
)
from activepieces_core.tenants.archive import archive_name

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent
TENANTS = HERE / "tenants.yaml"
TENANTS_NEXT = HERE / "tenants-next.yaml"
#: The shared example (plain allow-lists): what a dry run plans on a project-plan platform.
LEGACY_TENANTS = EXAMPLES / "tenants.yaml"
TEARDOWN = ["initech", "stark"]
#: Brought back from its archive after the teardown (local demo).
RESTORED = "stark"
#: Where a teardown against a real platform (--apply) archives its tenants (kept after the run).
REMOTE_ARCHIVE = Path("activepieces-demo-archive")
#: Already has a user on the platform when the demo starts: a member as soon as invited.
EXISTING_USER = "admin@hooli.example"
PIECE_PREFIX = "@activepieces/piece-"

console = Console()


@dataclass(frozen=True)
class Target:
    url: str
    api_key: str


@dataclass(frozen=True)
class Step:
    title: str
    column: str | None  # its column in the summary table; None: a step outside the tenants
    command: list[str]
    before: Callable[[], None] | None = None  # done in-process just before the command
    #: A line the summary table adds to a tenant's cell of this step (or None).
    note: Callable[[str], str | None] | None = None


def _export_step(title: str, documents: Path, before: Callable[[], None] | None) -> Step:
    """``activepieces projects export`` of the template project, as a user would run it."""
    out = documents / template_project.FILE
    command = [sys.executable, "-m", "activepieces_core", "projects", "export"]
    return Step(title, None, [*command, template_project.EXTERNAL_ID, "--out", str(out)], before)


def _archived(archive: Path) -> Callable[[str], str | None]:
    """The teardown's note: where a torn-down tenant's archive is."""

    def note(external_id: str) -> str | None:
        found = archive / archive_name(external_id)
        return "archived" if found.is_file() else None

    return note


def _restore_step(archive: Path) -> Step:
    """``activepieces tenants restore`` of one torn-down tenant, as a user would run it."""
    source = archive / archive_name(RESTORED)
    command = [sys.executable, "-m", "activepieces_core", "tenants", "restore", str(source)]
    return Step(
        f"CLI: tenants restore {archive.name}/{source.name}",
        "CLI restore",
        command,
        note=lambda ext: "restored from archive" if ext == RESTORED else None,
    )


def _steps(
    workdir: Path, documents: Path, template: Any = None, archive: Path | None = None
) -> list[Step]:
    """The steps on the tenant documents copied into ``documents``. With ``template`` (the
    template project, local demo only) each tenant-document step is preceded by an export of
    the template project, the second one after next week's edits, and the teardown is followed
    by the restore of `RESTORED`. The teardown archives into ``archive`` (default
    ``<workdir>/archive``)."""
    python = sys.executable
    archive = archive or workdir / "archive"
    onboarding = Step(
        "Airflow: onboarding DAG (piece sets, admins, template flows; wait for an active flow)",
        "Airflow onboarding",
        [
            python,
            str(EXAMPLES / "airflow" / "run_dag.py"),
            "activepieces_tenant_onboarding",
            "--conf",
            json.dumps({"tenants_file": str(documents / TENANTS.name), "min_active_flows": 1}),
            "--xcom-out",
            str(workdir / "onboarding-xcom.json"),
        ],
    )
    resync = Step(
        "Prefect: onboarding flow with next week's tenant document and template",
        "Prefect re-sync",
        [python, str(EXAMPLES / "prefect" / "onboard.py"), str(documents / TENANTS_NEXT.name)],
    )
    exports: list[Step] = []
    if template is not None:
        exports = [
            _export_step(
                f"CLI: projects export {template_project.EXTERNAL_ID} → {template_project.FILE}",
                documents,
                None,
            ),
            _export_step(
                f"Template project edited by hand ({template_project.NEXT_WEEK}); "
                "CLI: projects export again",
                documents,
                template,
            ),
        ]
    teardown = Step(
        f"Airflow: teardown DAG for {', '.join(TEARDOWN)} (each archived first)",
        "Airflow teardown",
        [
            python,
            str(EXAMPLES / "airflow" / "run_dag.py"),
            "activepieces_tenant_teardown",
            "--conf",
            json.dumps({"external_ids": TEARDOWN, "archive": str(archive.resolve())}),
        ],
        note=_archived(archive),
    )
    restores = [_restore_step(archive)] if template is not None else []
    return [*exports[:1], onboarding, *exports[1:], resync, teardown, *restores]


def _environment(target: Target, workdir: Path) -> dict[str, str]:
    """Each step runs in its own process with private Airflow / Prefect homes."""
    env = dict(os.environ)
    env.update(
        {
            "ACTIVEPIECES_URL": target.url,
            "ACTIVEPIECES_API_KEY": target.api_key,
            "AIRFLOW_CONN_ACTIVEPIECES_DEFAULT": json.dumps(
                {"conn_type": "activepieces", "host": target.url, "password": target.api_key}
            ),
            "AIRFLOW_HOME": str(workdir / "airflow"),
            "PREFECT_HOME": str(workdir / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            "DO_NOT_TRACK": "1",
        }
    )
    return env


# ---- what the platform shows, per tenant (asked of the emulator) ----------------------------

People = dict[str, tuple[str, str]]  # e-mail -> (project role, "member" | "invited")


@dataclass(frozen=True)
class TenantView:
    """One tenant as the emulator has it: its project, the set governing it, what it sees,
    its people and its flows."""

    project: dict[str, Any]
    piece_set: str | None = None  # the governing set's key (None once deleted)
    sees: tuple[str, ...] = ()
    people: People = field(default_factory=dict)
    #: (external id, display name, status) of each flow, in the platform's order.
    flows: tuple[tuple[str, str, str], ...] = ()

    @property
    def deleted(self) -> bool:
        return bool(self.project.get("deleted"))


Snapshot = dict[str, TenantView]


def _people(emu: Any, project_id: str, invitations: list[dict[str, Any]]) -> People:
    """Members, then people whose invitation waits for them to sign up (or accept)."""
    found: People = {
        member["user"]["email"]: (member["projectRole"]["name"], "member")
        for member in emu.state.people.members(project_id)
    }
    for invitation in invitations:
        if invitation.get("projectId") == project_id and invitation["email"] not in found:
            found[invitation["email"]] = (invitation["projectRole"]["name"], "invited")
    return found


def _invitations(emu: Any) -> list[dict[str, Any]]:
    """The platform's invitations without their ``link``: a sign-up link is a bearer token, so
    it is dropped on read and can never reach a table, a log or a file."""
    return [
        {k: v for k, v in invitation.items() if k != "link"}
        for invitation in emu.state.people.invitations()
    ]


def _flows(emu: Any, project_id: str) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (flow["externalId"], flow["version"]["displayName"], flow["status"])
        for flow in emu.state.flows_of(project_id)
    )


def _snapshot(emu: Any) -> Snapshot:
    """Tenants' TEAM projects by external id (not the template project), deleted ones included
    (a live project wins over a deleted one), each with its governing set, visible pieces,
    people and flows."""
    projects = emu.state.projects(include_deleted=True, types=["TEAM"])
    ordered = sorted(projects, key=lambda project: project.get("deleted") is None)
    invitations = _invitations(emu)
    views: Snapshot = {}
    for project in ordered:
        if project.get("externalId") in (None, "", template_project.EXTERNAL_ID):
            continue
        if project.get("deleted"):
            views[project["externalId"]] = TenantView(project)
            continue
        visibility = emu.state.piece_sets.visibility(project["id"])
        set_id = visibility["pieceSetId"]
        views[project["externalId"]] = TenantView(
            project,
            emu.state.piece_sets.get(set_id).get("key") if set_id else "default",
            tuple(visibility["pieces"]),
            _people(emu, project["id"], invitations),
            _flows(emu, project["id"]),
        )
    return views


def _short(piece: str) -> str:
    return piece.removeprefix(PIECE_PREFIX)


def _sees(view: TenantView, catalog: list[str]) -> str:
    """Visible pieces by short name; "all N" or "all but …" when that is shorter."""
    if list(view.sees) == catalog:
        return f"all {len(catalog)}"
    hidden = [p for p in catalog if p not in view.sees]
    if len(hidden) < len(view.sees):
        return "all but " + ", ".join(sorted(_short(p) for p in hidden))
    return ", ".join(sorted(_short(p) for p in view.sees))


def _people_cell(view: TenantView) -> str:
    return "\n".join(f"{email}: {role}, {state}" for email, (role, state) in view.people.items())


def _flows_cell(view: TenantView) -> str:
    return "\n".join(
        name if status == "ENABLED" else f"{name} ({status.lower()})"
        for _, name, status in view.flows
    )


def _flow_changes(before: TenantView, after: TenantView) -> str | None:
    """ "flows +1 -1 ~1": flows added, removed and renamed (matched by external id)."""
    old = {external_id: name for external_id, name, _ in before.flows}
    new = {external_id: name for external_id, name, _ in after.flows}
    added = len(new.keys() - old.keys())
    removed = len(old.keys() - new.keys())
    renamed = sum(1 for key in new.keys() & old.keys() if new[key] != old[key])
    counts = [f"{sign}{n}" for sign, n in (("+", added), ("-", removed), ("~", renamed)) if n]
    return "flows " + " ".join(counts) if counts else None


def _change(before: TenantView | None, after: TenantView | None) -> str:
    """What one step did to a tenant, as the emulator saw it."""
    if after is None:
        return "-"
    if before is None or before.deleted:
        if after.deleted:
            return "deleted"
        return f"created\n{_flow_changes(TenantView({}), after) or 'no flows'}"
    if after.deleted:
        return "deleted"
    notes = []
    if after.project["updated"] != before.project["updated"]:
        notes.append("updated")
    if after.piece_set != before.piece_set:
        notes.append(f"set {after.piece_set}")
    gained = sorted(_short(p) for p in set(after.sees) - set(before.sees))
    lost = sorted(_short(p) for p in set(before.sees) - set(after.sees))
    if gained or lost:
        notes.append("sees " + " ".join([f"+{p}" for p in gained] + [f"-{p}" for p in lost]))
    added = sum(1 for email in after.people if email not in before.people)
    removed = sum(1 for email in before.people if email not in after.people)
    if added or removed:
        counts = (("+", added), ("-", removed))
        notes += [f"{sign}{n} {'person' if n == 1 else 'people'}" for sign, n in counts if n]
    flows = _flow_changes(before, after)
    if flows:
        notes.append(flows)
    return "\n".join(notes) or "unchanged"


def _summary(snapshots: list[Snapshot], steps: list[Step]) -> Table:
    """Table 1: what each step with a column did to each tenant, with its note."""
    shown = [(step, step.column) for step in steps if step.column is not None]
    table = Table(title="Tenants: what each step did, and the final state")
    table.add_column("tenant", no_wrap=True)
    for _, column in shown:
        table.add_column(column)
    table.add_column("final state")
    final = snapshots[-1]
    for external_id in sorted(final):
        view = final[external_id]
        changes = []
        for (step, _), (before, after) in zip(shown, itertools.pairwise(snapshots), strict=True):
            cell = _change(before.get(external_id), after.get(external_id))
            note = step.note(external_id) if step.note is not None else None
            changes.append(f"{cell}\n{note}" if note else cell)
        state = "deleted" if view.deleted else f"live · {view.project['displayName']}"
        table.add_row(external_id, *changes, state)
    return table


def _access(final: Snapshot, catalog: list[str]) -> Table:
    """Table 2: what each live tenant sees, who is in it and its flows, asked of the platform
    (not what was sent)."""
    table = Table(
        title="Live tenants: the piece set governing each, what it sees, its people, its flows"
    )
    table.add_column("tenant", no_wrap=True)
    table.add_column("piece set", no_wrap=True)
    table.add_column("sees")
    table.add_column("people", no_wrap=True)
    table.add_column("flows", no_wrap=True)
    for external_id in sorted(final):
        view = final[external_id]
        if not view.deleted:
            table.add_row(
                external_id,
                view.piece_set or "-",
                _sees(view, catalog),
                _people_cell(view),
                _flows_cell(view),
            )
    return table


def _summary_json(final: Snapshot, catalog: list[str]) -> dict[str, Any]:
    """The final columns as data (``summary.json`` in the workdir)."""
    return {
        external_id: {
            "state": "deleted" if view.deleted else "live",
            "display_name": view.project["displayName"],
            "piece_set": view.piece_set,
            "sees": sorted(_short(p) for p in view.sees),
            "sees_all": list(view.sees) == catalog,
            "people": {email: {"role": r, "state": s} for email, (r, s) in view.people.items()},
            "flows": [
                {"external_id": key, "name": name, "status": status}
                for key, name, status in view.flows
            ],
        }
        for external_id, view in sorted(final.items())
    }


# ---- the tenants' side: admins sign up, then build a flow -----------------------------------


def _signing_up(document: TenantDocument) -> dict[str, set[str]]:
    """Who signs up during the demo: the people of the day-1 tenants (added later: they wait)."""
    return {spec.external_id: set(spec.member_roles) for spec in document.tenants}


@contextmanager
def _tenant_activity(emu: Any, signers: dict[str, set[str]]) -> Iterator[None]:
    """Simulate each tenant's people a moment after its project appears: they sign up (after
    accepting their invitation, where the platform left it PENDING), then build the first flow.
    Tenants of the first document build their flow only once all their people are members, so
    the onboarding DAG's sensors finish with every admin in."""
    stop = threading.Event()
    people = emu.state.people

    def members_of(project_id: str) -> set[str]:
        return {m["user"]["email"] for m in people.members(project_id)}

    def run() -> None:
        seen: dict[str, float] = {}
        signed_up: set[str] = set()
        while not stop.wait(0.5):
            waiting = [i for i in _invitations(emu) if i["status"] == "PENDING"]
            for project in emu.state.projects(types=["TEAM"]):
                first = seen.setdefault(project["id"], time.monotonic())
                if time.monotonic() - first < 2:
                    continue
                expected = signers.get(project.get("externalId") or "", set())
                for invitation in waiting:
                    if invitation["projectId"] == project["id"] and invitation["email"] in expected:
                        people.accept_invitation(invitation["id"])
                for email in expected - signed_up:
                    emu.state.sign_up(email)
                    signed_up.add(email)
                ready = expected <= members_of(project["id"])
                if ready and project["analytics"]["activeFlows"] == 0:
                    emu.state.set_analytics(project["id"], total_flows=1, active_flows=1)

    thread = threading.Thread(target=run, name="tenant-activity", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _run_steps(
    steps: list[Step], env: dict[str, str], workdir: Path, after_step: Callable[[], None]
) -> list[bool]:
    """Run each step, calling ``after_step`` after each one with a column in the summary."""
    outcomes: list[bool] = []
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        for number, step in enumerate(steps, start=1):
            task = progress.add_task(step.title, total=1)
            if step.before is not None:
                step.before()
            log = workdir / f"step-{number}.log"
            with log.open("w") as out:
                done = subprocess.run(step.command, env=env, stdout=out, stderr=subprocess.STDOUT)
            ok = done.returncode == 0
            progress.update(task, completed=1, description=f"{'✔' if ok else '✘'} {step.title}")
            if not ok:
                progress.console.print(f"[red]step {number} failed; its log: {log}[/red]")
                progress.console.print(log.read_text()[-4000:])
            outcomes.append(ok)
            if step.column is not None:
                after_step()
    return outcomes


# ---- the final check: what the last document asks for, against what the platform shows -----


def _expected_sees(spec: TenantSpec, document: TenantDocument, catalog: list[str]) -> list[str]:
    """The catalog pieces ``spec`` should see: its named set, its own list, or Default (all)."""
    if spec.piece_set not in (None, "default"):
        named = next(s for s in document.piece_sets if s.key == spec.piece_set)
        listed = set(named.exceptions)
        return [p for p in catalog if (p in listed) == (named.allow is not None)]
    if spec.pieces is not None:
        return [p for p in catalog if p in set(spec.pieces)]
    return list(catalog)


def _expected_set(spec: TenantSpec) -> str:
    if spec.pieces is not None:
        return f"tenant:{spec.external_id}"
    return spec.piece_set or "default"


def _check_flows(emu: Any, view: TenantView, template: ProjectState) -> list[str]:
    """The tenant's flows on the platform are exactly the template's (by external id, none
    twice, with its names and statuses), and it holds the template's connections (placeholders
    awaiting authorisation)."""
    external_id = view.project["externalId"]
    has = sorted(view.flows)
    wanted = sorted(
        (flow["externalId"], flow["version"]["displayName"], flow.get("status") or "ENABLED")
        for flow in template.flows
    )
    problems = []
    if has != wanted:
        problems.append(f"{external_id}: flows {has}, expected the template's {wanted}")
    connections = {row["externalId"] for row in emu.state.connections_for(view.project["id"])}
    missing = sorted({c.external_id for c in template.connections} - connections)
    if missing:
        problems.append(f"{external_id}: no connection {missing} (the template's)")
    return problems


def _verified(path: Path) -> bool:
    """An archive that reads back whole (its digest checked)."""
    from activepieces_core.tenants.archive import InvalidArchiveError, read_archive

    try:
        read_archive(path)
    except (InvalidArchiveError, OSError, ValueError):
        return False
    return True


def _check_final(
    emu: Any,
    final: Snapshot,
    document: TenantDocument,
    members_now: set[str],
    archive: Path,
    pending_invitations: bool,
) -> list[str]:
    """Every broken rule is one message: an archive per torn-down tenant; projects (the
    restored tenant live again, as the document asks), governing set, visible pieces, people,
    flows, no tenant-owned set left without its tenant."""
    problems = [
        f"{external_id}: torn down without a verified archive in {archive}"
        for external_id in TEARDOWN
        if not _verified(archive / archive_name(external_id))
    ]
    catalog = list(emu.state.piece_sets.catalog)
    for spec in document.tenants:
        external_id = spec.external_id
        view = final.get(external_id)
        gone = external_id in TEARDOWN and external_id != RESTORED
        if view is None:
            problems.append(f"{external_id}: never created")
            continue
        if gone != view.deleted:
            problems.append(f"{external_id}: expected {'deleted' if gone else 'live'}")
            continue
        if gone:
            people = _people(emu, view.project["id"], _invitations(emu))
            if people:
                problems.append(f"{external_id}: deleted, but people remain: {sorted(people)}")
            if emu.state.flows_of(view.project["id"]):
                problems.append(f"{external_id}: deleted, but its flows remain")
            continue
        if view.project["displayName"] != spec.effective_display_name:
            problems.append(f"{external_id}: display name {view.project['displayName']!r}")
        mechanism = emu.state.piece_sets.visibility(view.project["id"])["mechanism"]
        if mechanism != "PIECE_SETS":
            problems.append(f"{external_id}: pieces governed by {mechanism}, not piece sets")
        if view.piece_set != _expected_set(spec):
            problems.append(f"{external_id}: on set {view.piece_set!r}, not {_expected_set(spec)}")
        wanted = _expected_sees(spec, document, catalog)
        if list(view.sees) != wanted:
            extra = sorted(_short(p) for p in set(view.sees) - set(wanted))
            missing = sorted(_short(p) for p in set(wanted) - set(view.sees))
            problems.append(f"{external_id}: sees {extra} too many, {missing} missing")
        roles = {email: role for email, (role, _) in view.people.items()}
        if roles != spec.member_roles:
            problems.append(f"{external_id}: people {roles}, expected {spec.member_roles}")
        for email, (_, state) in view.people.items():
            should = "member" if email in members_now else "invited"
            if external_id == RESTORED and pending_invitations:
                should = "invited"  # invited again by the restore, not yet accepted
            if state != should:
                problems.append(f"{external_id}: {email} is {state}, expected {should}")
        if spec.template is not None:
            problems += _check_flows(emu, view, document.templates[spec.template])
    owned = {s.get("key") or "" for s in emu.state.piece_sets.all()}
    owned = {key for key in owned if key.startswith("tenant:")}
    wanted_owned = {
        f"tenant:{spec.external_id}"
        for spec in document.tenants
        if spec.pieces is not None
        and (spec.external_id not in TEARDOWN or spec.external_id == RESTORED)
    }
    if owned != wanted_owned:
        problems.append(f"tenant-owned sets {sorted(owned)}, expected {sorted(wanted_owned)}")
    return problems


def _without_template(path: Path) -> dict[str, Any]:
    """A demo tenant document as data, without its ``template`` (defaults and rows)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    for row in [data.get("defaults") or {}, *data.get("tenants", [])]:
        row.pop("template", None)
    return data


def _documents(workdir: Path, templates: bool) -> Path:
    """The tenant documents copied into ``<workdir>/tenants`` (where the template file is
    exported to), or without their ``template`` when there is no template project."""
    documents = workdir / "tenants"
    (documents / template_project.FILE).parent.mkdir(parents=True, exist_ok=True)
    for path in (TENANTS, TENANTS_NEXT):
        if templates:
            shutil.copyfile(path, documents / path.name)
        else:
            text = yaml.safe_dump(_without_template(path), sort_keys=False)
            (documents / path.name).write_text(text)
    return documents


def _flows_line(template: ProjectState) -> str:
    names = ", ".join(flow["version"]["displayName"] for flow in template.flows)
    return f"{len(template.flows)} flows ({names})"


def run_local(api_key: str | None, workdir: Path | None, pending_invitations: bool) -> int:
    from activepieces_core.testing import Emulator

    with _workdir(workdir) as workdir, Emulator(api_key=api_key, environments=True) as emu:
        # A platform on piece sets, with environments (replace); an API key's invitations are
        # accepted at once, as upstream (--emulator-pending-invitations leaves them PENDING,
        # each answer carrying its link).
        emu.state.configure_platform(
            manage_pieces_enabled=True, invitations_auto_accept=not pending_invitations
        )
        emu.state.people.add_user(EXISTING_USER, first_name="Gavin", last_name="Belson")
        template = template_project.build(emu)
        console.print(
            f"[bold]Embedded Activepieces emulator[/bold] at {emu.url} "
            "(pieces governed by piece sets, environments on); template project "
            f"{template_project.EXTERNAL_ID} built by hand"
        )
        signers = _signing_up(load_document(_without_template(TENANTS)))
        documents = _documents(workdir, templates=True)
        steps = _steps(workdir, documents, lambda: template_project.next_week(emu, template))
        snapshots = [_snapshot(emu)]
        with _tenant_activity(emu, signers):
            outcomes = _run_steps(
                steps,
                _environment(Target(emu.url, emu.api_key), workdir),
                workdir,
                lambda: snapshots.append(_snapshot(emu)),
            )
        catalog = list(emu.state.piece_sets.catalog)
        final = snapshots[-1]
        console.print(_summary(snapshots, steps))
        console.print(_access(final, catalog))
        deleted = sorted(external_id for external_id, view in final.items() if view.deleted)
        if deleted:
            console.print(
                f"Deleted: {', '.join(deleted)} (their members, invitations and flows went with "
                "them)."
            )
        archive = workdir / "archive"
        archived = sorted(ext for ext in TEARDOWN if (archive / archive_name(ext)).is_file())
        console.print(
            f"Archived before deletion: {', '.join(archived) or 'none'} (in {archive}); "
            f"{RESTORED} restored from its archive with `activepieces tenants restore`."
        )
        (workdir / "summary.json").write_text(json.dumps(_summary_json(final, catalog), indent=2))
        sets = sorted(s.get("key") or "" for s in emu.state.piece_sets.all())
        console.print(f"Piece sets on the platform: {', '.join(sets)}.")
        waiting = len([i for i in _invitations(emu) if i["type"] == "PROJECT"])
        if waiting:
            how = (
                "PENDING, each with a sign-up link (a bearer token: never shown)"
                if pending_invitations
                else "for their person to sign up (the API key's invitations are accepted)"
            )
            console.print(f"{waiting} invitation{'s' if waiting > 1 else ''} wait {how}.")
        members_now = set().union(*signers.values()) | {EXISTING_USER}
        try:
            last = load_document(documents / TENANTS_NEXT.name)
        except ValueError as exc:  # the export step failed: no template file
            problems = [f"{TENANTS_NEXT.name}: {exc}"]
        else:
            problems = _check_final(emu, final, last, members_now, archive, pending_invitations)
            exported = read_state_file(documents / template_project.FILE)
            console.print(
                f"Next week's template ({template_project.FILE}, exported with the CLI): "
                f"{_flows_line(exported)}."
            )
        for problem in problems:
            console.print(f"[red]unexpected final state: {problem}[/red]")
        if not problems:
            console.print(
                "Checked with the emulator: each live tenant sees exactly the pieces of its set, "
                "its own list or Default; each has exactly its people with their roles (members "
                "once signed up, invited until then) and exactly the template's flows (by "
                "external id, none twice) with its connection awaiting authorisation; no "
                "tenant-owned set outlived its tenant; every torn-down tenant left a verified "
                "archive, and the restored one is back as the document asks."
            )
        console.print(f"{len(emu.requests)} API requests served by the emulator.")
        if all(outcomes) and not problems:
            console.print("[bold green]Demo succeeded.[/bold green]")
            return 0
        console.print("[bold red]Demo failed.[/bold red]")
        return 1


@contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    """The folder holding every step's logs and Airflow / Prefect homes (kept if given)."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="activepieces-demo-") as tmp:
        yield Path(tmp)


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_short(str(v)) for v in value) or "(none)"
    return str(value)


def _describe(result: TenantResult) -> str:
    """A planned change in a line: field names for projects (metadata can be long), the new
    values for piece sets, assignments and people."""
    if result.kind == "project":
        return ", ".join(result.diff)
    parts = []
    for name, change in result.diff.items():
        before, after = change.get("from"), change.get("to")
        shown = _value(after) if before is None else f"{_value(before)} → {_value(after)}"
        parts.append(f"{name}: {shown}")
    return "; ".join(parts)


def run_remote(target: Target, apply: bool) -> int:
    with ActivepiecesClient(api_key=target.api_key, base_url=target.url) as client:
        piece_sets = client.piece_sets.supported()
        mechanism = "piece sets" if piece_sets else "the project plan (no piece sets)"
        console.print(f"{target.url}: pieces are governed by {mechanism}.")
        if apply and not piece_sets:
            console.print(
                "[red]--apply runs the demo's tenant documents, which declare piece sets; this "
                "platform has none. Apply the plain example instead:[/red]\n"
                f"  activepieces tenants apply {LEGACY_TENANTS}"
            )
            return 2
        console.print(
            "Tenants' contents are left alone: the demo's template comes from the template "
            "project it builds on the embedded emulator (make yours with `activepieces projects "
            "export`)."
        )
        if not apply:
            document = TENANTS if piece_sets else LEGACY_TENANTS
            source = _without_template(document) if piece_sets else document
            report = reconcile(client, source, dry_run=True)
    if apply:
        with _workdir(None) as workdir:
            documents = _documents(workdir, templates=False)
            steps = _steps(workdir, documents, archive=REMOTE_ARCHIVE)
            outcomes = _run_steps(steps, _environment(target, workdir), workdir, lambda: None)
        console.print(f"Torn-down tenants' archives: {REMOTE_ARCHIVE.resolve()}.")
        return 0 if all(outcomes) else 1
    name = document.relative_to(EXAMPLES.parent)
    table = Table(title=f"Dry run of {name} against {target.url}: what would change")
    for column in ("tenant", "kind", "key", "action"):
        table.add_column(column)
    table.add_column("changes", overflow="fold")
    for result in report.results:
        table.add_row(
            result.external_id, result.kind, result.key or "", result.action, _describe(result)
        )
    console.print(table)
    console.print("Nothing was changed. Run with --apply to run the DAGs and the flow for real.")
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apply", action="store_true", help="against a real platform: change it")
    parser.add_argument("--emulator-api-key", help="API key of the embedded emulator")
    parser.add_argument(
        "--emulator-pending-invitations",
        action="store_true",
        help="embedded emulator: leave invitations PENDING, each answer carrying its sign-up "
        "link (as a server that does not auto-accept does), e.g. for a leak check",
    )
    parser.add_argument("--workdir", type=Path, help="keep logs and Airflow/Prefect homes here")
    args = parser.parse_args(argv)
    url, key = os.environ.get("ACTIVEPIECES_URL"), os.environ.get("ACTIVEPIECES_API_KEY")
    if url and key:
        return run_remote(Target(url, key), args.apply)
    return run_local(args.emulator_api_key, args.workdir, args.emulator_pending_invitations)


if __name__ == "__main__":
    sys.exit(main())
