"""sync_tenants(require_approval=True): a real pause, answered through Prefect's resume API.

The flow runs in the test's thread on the harness server; a reviewer thread waits for the run
to be Paused with its form saved, then calls ``resume_flow_run(flow_run_id, run_input=...)``,
as the UI's Resume button does.
"""

from __future__ import annotations

import contextvars
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.exceptions import NotPausedError
from prefect.flow_runs import resume_flow_run

from activepieces_core.errors import ActivepiecesError
from activepieces_core.tenants import (
    DeletionLimitExceeded,
    Plan,
    StalePlanError,
    document_digest,
    load_document,
)
from prefect_activepieces import (
    ActivepiecesCredentials,
    PlanRejectedError,
    TenantPlanReview,
    sync_tenants,
)

TENANTS: list[dict[str, Any]] = [
    {"external_id": "acme", "display_name": "Acme", "members": ["ops@acme.example:Admin"]},
    {"external_id": "globex", "display_name": "Globex"},
]
WAIT = 90.0  # seconds a reviewer waits for the pause (a loaded CI box is slow)


class Reviewer:
    """Answers the paused run named ``name``; ``before`` runs first (e.g. to change the server)."""

    def __init__(
        self,
        api: Any,
        name: str,
        run_input: dict[str, Any],
        before: Callable[[FlowRun], None] | None = None,
    ) -> None:
        self.api = api
        self.name = name
        self.run_input = run_input
        self.before = before
        self.description: str | None = None
        self.error: BaseException | None = None
        # The harness's settings live in context variables, which a new thread does not inherit.
        context = contextvars.copy_context()
        self.thread = threading.Thread(target=context.run, args=(self._review,), daemon=True)

    def _review(self) -> None:
        try:
            run, self.description = self.api.paused_run(self.name, WAIT)
            if self.before is not None:
                self.before(run)
            self._resume(run)
        except BaseException as exc:  # re-raised in the test's thread by join()
            self.error = exc

    def _resume(self, run: FlowRun) -> None:
        """Resume until the run has left its pause: the server can answer a resume sent a
        moment too early with WAIT or ABORT, which `resume_flow_run` does not raise for."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                resume_flow_run(run.id, run_input=self.run_input)
            except NotPausedError:
                return  # an earlier resume took
            settle = time.monotonic() + 5
            while time.monotonic() < settle:
                state = self.api.flow_run(run.id).state
                if state is None or state.type != StateType.PAUSED:
                    return
                time.sleep(0.2)
        raise TimeoutError(f"flow run {run.id} never left its pause")

    def join(self) -> None:
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the reviewer never finished"
        if self.error is not None:
            raise self.error


@contextmanager
def reviewer(
    api: Any, run_input: dict[str, Any], before: Callable[[FlowRun], None] | None = None
) -> Iterator[tuple[Any, Reviewer]]:
    """A uniquely named `sync_tenants` and the reviewer that will answer its pause."""
    name = f"review-{uuid.uuid4().hex[:12]}"
    review = Reviewer(api, name, run_input, before)
    review.thread.start()
    yield sync_tenants.with_options(flow_run_name=name), review
    review.join()


def _team(emu: Any) -> dict[str, dict[str, Any]]:
    return {p["externalId"]: p for p in emu.state.projects(types=["TEAM"]) if p.get("externalId")}


def test_approved_plan_is_applied_as_reviewed(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    with reviewer(prefect_api, {"decision": "approve", "comment": "looks right"}) as (flow, review):
        state = flow(
            TENANTS,
            credentials,
            require_approval=True,
            approval_poll_interval=1,
            approval_timeout=60,
            return_state=True,
        )
    assert state.is_completed()
    report = state.result()
    assert set(_team(emulator)) >= {"acme", "globex"}
    assert report["review"]["decision"] == "approve"
    assert report["review"]["comment"] == "looks right"

    run_id = state.state_details.flow_run_id
    found = prefect_api.artifacts(run_id)
    plan_rows = prefect_api.table(found["activepieces-tenants-plan"])
    planned = [(r["external_id"], r["what"]) for r in plan_rows]
    applied = [
        (r["external_id"] or "(platform)", r["label"])
        for r in report["results"]
        if r["action"] != "noop"
    ]
    assert sorted(applied) == sorted(planned)  # exactly the reviewed changes, nothing re-planned
    assert report["review"]["plan_digest"].startswith("sha256:")
    assert "**Approved** by the reviewer: looks right" in found["activepieces-tenants-summary"].data
    assert review.description is not None
    assert "# Review the Activepieces tenant plan" in review.description
    assert "| create | acme | member ops@acme.example |" in review.description
    assert "| 2 | 0 | 0 | 0 |" in review.description  # two projects to create
    logs = [log.message for log in prefect_api.logs(run_id)]
    assert any("Pausing flow" in m for m in logs)


def test_rejected_plan_cancels_the_run_and_keeps_the_plan(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    with reviewer(prefect_api, {"decision": "reject", "comment": "not before Monday"}) as (flow, _):
        state = flow(
            TENANTS,
            credentials,
            require_approval=True,
            approval_poll_interval=1,
            approval_timeout=60,
            return_state=True,
        )
    assert state.type == StateType.CANCELLED
    assert state.message.startswith("Cancelled by the reviewer: not before Monday")
    run = prefect_api.flow_run(state.state_details.flow_run_id)
    assert run.state is not None
    assert run.state.type == StateType.CANCELLED  # what the server and the UI show
    assert "not before Monday" in (run.state.message or "")
    assert emulator.requests.count(method="POST") == 0
    assert not _team(emulator)

    with pytest.raises(PlanRejectedError) as excinfo:
        state.result()
    rejected = excinfo.value
    assert isinstance(rejected, ActivepiecesError)
    assert rejected.comment == "not before Monday"
    assert {c["external_id"] for c in rejected.plan["changes"]} == {"acme", "globex"}
    # The saved plan names the document it was planned from, as the CLI's saved plans do.
    assert rejected.plan["document_digest"] == document_digest(load_document(TENANTS))
    assert Plan.from_dict(rejected.plan).has_changes  # intact: its digest still verifies

    found = prefect_api.artifacts(state.state_details.flow_run_id)
    assert {r["external_id"] for r in prefect_api.table(found["activepieces-tenants-plan"])} == {
        "acme",
        "globex",
    }
    summary = found["activepieces-tenants-summary"].data
    assert "**Rejected** by the reviewer: not before Monday" in summary
    assert "**Not applied**: rejected by the reviewer" in summary
    report = prefect_api.table(found["activepieces-tenants-report"])
    assert {r["status"] for r in report} == {"not applied"}


def test_approved_but_stale_plan_writes_nothing(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    acme = emulator.state.add_project("Acme (old)", external_id="acme")

    def change_by_hand(_: FlowRun) -> None:
        emulator.state.replace(acme["id"], {"displayName": "Renamed by hand"})

    with reviewer(prefect_api, {"decision": "approve"}, before=change_by_hand) as (flow, _):
        state = flow(
            TENANTS[:1], credentials, require_approval=True, approval_poll_interval=1, approval_timeout=60,
            return_state=True,
        )  # fmt: skip
    assert state.is_failed()
    with pytest.raises(StalePlanError) as excinfo:
        state.result()
    assert excinfo.value.external_ids == ["acme"]
    assert emulator.requests.count(method="POST") == 0
    assert _team(emulator)["acme"]["displayName"] == "Renamed by hand"
    summary = prefect_api.artifacts(state.state_details.flow_run_id)[
        "activepieces-tenants-summary"
    ].data
    assert "**Approved** by the reviewer" in summary
    assert "**Not applied**: the plan is stale" in summary


def test_no_review_in_time_fails_with_nothing_applied(
    credentials: ActivepiecesCredentials, emulator: Any, prefect_api: Any
) -> None:
    state = sync_tenants(
        TENANTS,
        credentials,
        require_approval=True,
        approval_timeout=2,
        approval_poll_interval=1,
        return_state=True,
    )
    assert state.is_failed()
    # The engine raises FlowPauseTimeout; the server may already have failed the expired pause.
    assert "never resumed" in (state.message or "")
    assert emulator.requests.count(method="POST") == 0
    summary = prefect_api.artifacts(state.state_details.flow_run_id)[
        "activepieces-tenants-summary"
    ].data
    assert "**Not applied**: no review within 2 s" in summary


def test_nothing_to_review_does_not_pause(
    credentials: ActivepiecesCredentials, emulator: Any
) -> None:
    sync_tenants(TENANTS, credentials)
    # A pause would time out after 1 s and fail the run: these must finish without one.
    quick = {"require_approval": True, "approval_timeout": 1, "approval_poll_interval": 1}
    again = sync_tenants(TENANTS, credentials, **quick)
    assert {r["status"] for r in again["results"]} == {"skipped"}
    assert "review" not in again
    dry = sync_tenants([{"external_id": "new"}], credentials, dry_run=True, **quick)
    assert {r["status"] for r in dry["results"]} == {"planned"}

    emulator.state.add_project("Stray", external_id="stray")
    refused = sync_tenants(
        TENANTS, credentials, prune=True, max_deletions=0, return_state=True, **quick
    )
    with pytest.raises(DeletionLimitExceeded):  # refused before asking anyone
        refused.result()
    assert "stray" in _team(emulator)


def test_review_form() -> None:
    assert TenantPlanReview(decision="approve").approved
    rejected = TenantPlanReview(decision="reject", comment="no")
    assert not rejected.approved
    assert rejected.to_dict() == {"decision": "reject", "comment": "no"}
    with pytest.raises(ValueError):
        TenantPlanReview(decision="maybe")  # type: ignore[arg-type]
    schema = TenantPlanReview.model_json_schema()
    assert schema["required"] == ["decision"]
