"""Approval between plan and apply: pause the flow run until a person approves or rejects.

`sync_tenants(..., require_approval=True)` publishes the plan, then calls `wait_for_review`:
the run goes to Paused and the Prefect UI shows a form (`TenantPlanReview`) with the plan's
counts and first changes. Resuming it with ``{"decision": "approve"}`` applies exactly the
saved plan; ``{"decision": "reject", "comment": "..."}`` cancels the run. From code:
``prefect.flow_runs.resume_flow_run(flow_run_id, run_input={"decision": "approve"})``.

The pause is in-process (``pause_flow_run``): the flow's process keeps the saved plan in
memory and polls the server every ``poll_interval`` seconds until the review or the timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import Field

from prefect_activepieces.artifacts import DEFAULT_KEY, review_markdown

__all__ = ["DEFAULT_POLL_INTERVAL", "DEFAULT_TIMEOUT", "TenantPlanReview", "wait_for_review"]

DEFAULT_TIMEOUT = 3600
"""Seconds a plan waits for its review before the run fails (nothing applied)."""

DEFAULT_POLL_INTERVAL = 10
"""Seconds between the paused run's checks for a review."""


class TenantPlanReview(RunInput):
    """The reviewer's answer to a paused `sync_tenants` run."""

    decision: Literal["approve", "reject"] = Field(
        description="approve applies exactly the plan shown; reject cancels the run."
    )
    comment: str = Field(
        default="",
        description="Why: kept in the run's summary, and in its state message on rejection.",
    )

    @property
    def approved(self) -> bool:
        """True when the reviewer approved the plan."""
        return self.decision == "approve"

    def to_dict(self) -> dict[str, Any]:
        """``{"decision", "comment"}``, as the summary and the flow's result record it."""
        return {"decision": self.decision, "comment": self.comment}


def wait_for_review(
    plan: Mapping[str, Any],
    key: str = DEFAULT_KEY,
    *,
    timeout: int = DEFAULT_TIMEOUT,
    poll_interval: int = DEFAULT_POLL_INTERVAL,
) -> TenantPlanReview:
    """Pause the current flow run until its plan is reviewed; return the review.

    The form's description is `review_markdown` of ``plan``. Raises Prefect's
    ``FlowPauseTimeout`` when nobody answers within ``timeout`` seconds.
    """
    if timeout < 1 or poll_interval < 1:
        raise ValueError("the review timeout and poll interval are at least 1 second")
    form = TenantPlanReview.with_initial_data(description=review_markdown(plan, key))
    # _sync: a sync flow called under an async parent must still block here, not get a coroutine.
    answer = pause_flow_run(  # type: ignore[call-overload]
        wait_for_input=form, timeout=timeout, poll_interval=poll_interval, _sync=True
    )
    if not isinstance(answer, TenantPlanReview):
        raise TypeError(f"the review came back as {type(answer).__name__}, not a TenantPlanReview")
    return answer
