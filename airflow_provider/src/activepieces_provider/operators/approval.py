"""A human approval between a tenant plan and its apply, on Airflow's human-in-the-loop (HITL).

``ActivepiecesApproveTenantPlanOperator`` is the standard provider's ``ApprovalOperator``
(Airflow 3.1+) showing the plan task's summary. The pattern (``examples/airflow/dags/
activepieces_tenant_review.py``)::

    plan = ActivepiecesPlanTenantsOperator(task_id="plan", tenants="tenants.yaml")
    approve = ActivepiecesApproveTenantPlanOperator(task_id="approve", plan_task_id="plan")
    apply = ActivepiecesApplyTenantPlanOperator(
        task_id="apply", plan=plan.output, approved_digest=approve.reviewed_digest
    )
    plan >> approve >> apply

*Approve* runs the apply task on exactly the reviewed plan (its digest is recorded when the
review is requested and checked again on approval and by the apply task); *Reject* skips it.
Without HITL in the installed Airflow, constructing the operator raises `HITLUnavailableError`
saying what is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activepieces_provider.exceptions import HITLUnavailableError
from activepieces_provider.operators.tenants import PLAN_SUMMARY_XCOM_KEY

#: Why the HITL operators cannot be imported here (None: they can).
_HITL_PROBLEM: str | None = None

if TYPE_CHECKING:
    from airflow.providers.standard.operators.hitl import ApprovalOperator as _Approval
    from airflow.sdk import Context
    from airflow.sdk.definitions.xcom_arg import XComArg
else:
    try:
        from airflow.providers.standard.operators.hitl import ApprovalOperator as _Approval
    except Exception as exc:  # no standard provider (ImportError) or Airflow < 3.1 (its own error)
        from airflow.sdk import BaseOperator as _Approval

        _HITL_PROBLEM = f"{type(exc).__name__}: {exc}"

#: XCom key of the digest of the plan shown to the reviewer (pushed when review is requested).
REVIEWED_DIGEST_XCOM_KEY = "reviewed_plan_digest"
DEFAULT_SUBJECT = "Apply the Activepieces tenant plan?"


def _installed() -> str:
    from importlib.metadata import PackageNotFoundError, version

    import airflow

    try:
        standard = (
            f"apache-airflow-providers-standard {version('apache-airflow-providers-standard')}"
        )
    except PackageNotFoundError:
        standard = "no apache-airflow-providers-standard"
    return f"Airflow {airflow.__version__} with {standard}"


def hitl_problem() -> str | None:
    """Why HITL approvals cannot run here (None when they can)."""
    return _HITL_PROBLEM


class ActivepiecesApproveTenantPlanOperator(_Approval):
    """Ask a person to approve a saved tenant plan before it is applied (Airflow 3.1+ HITL).

    Shows ``subject`` and, as ``body``, the Markdown summary the plan task pushed (counts per
    kind, the changes, the plan's digest) in Airflow's *Required Actions*. On *Approve* it
    returns ``{"approved": True, "plan_digest": ..., "chosen_options", "responded_by_user",
    "responded_at", "params_input"}``; on *Reject* the tasks right after it are skipped and it
    returns nothing (the standard ``ApprovalOperator`` behaviour; ``fail_on_reject=True`` fails
    instead).

    When the review is requested the plan's digest is pushed under the XCom key
    ``reviewed_plan_digest`` (`reviewed_digest` is that XCom, for the apply task's
    ``approved_digest``); an approval fails if the plan task's XCom no longer holds that plan.

    :param plan_task_id: the ``ActivepiecesPlanTenantsOperator`` task whose plan is reviewed.
    :param subject: headline of the request (templated).
    :param body: Markdown shown to the reviewer (templated); default: the plan's summary.
    :param kwargs: everything ``ApprovalOperator`` takes, e.g. ``assigned_users``,
        ``notifiers``, ``response_timeout`` with ``defaults="Reject"`` (reject on timeout).
    :raises HITLUnavailableError: when the installed Airflow has no HITL operators.
    """

    def __init__(
        self,
        *,
        plan_task_id: str,
        subject: str = DEFAULT_SUBJECT,
        body: str | None = None,
        **kwargs: Any,
    ) -> None:
        if _HITL_PROBLEM is not None:
            raise HITLUnavailableError(
                f"{type(self).__name__} needs Airflow's human-in-the-loop operators "
                "(airflow.providers.standard.operators.hitl: Airflow 3.1+ and the standard "
                f"provider), which this environment does not have ({_installed()}; "
                f"{_HITL_PROBLEM}). Upgrade Airflow, or review the plan outside Airflow and "
                "give its digest to ActivepiecesApplyTenantPlanOperator(approved_digest=...)."
            )
        if body is None:
            pull = f"ti.xcom_pull(task_ids={plan_task_id!r}, key={PLAN_SUMMARY_XCOM_KEY!r})"
            body = "{{ " + pull + " }}"
        super().__init__(subject=subject, body=body, **kwargs)
        self.plan_task_id = plan_task_id

    @property
    def reviewed_digest(self) -> XComArg:
        """The digest of the plan shown for review (an XComArg for ``approved_digest``)."""
        from airflow.sdk.definitions.xcom_arg import XComArg

        return XComArg(self, key=REVIEWED_DIGEST_XCOM_KEY)

    def _plan_digest(self, context: Context) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        saved = context["ti"].xcom_pull(task_ids=self.plan_task_id)
        digest = saved.get("digest") if isinstance(saved, dict) else None
        if not isinstance(digest, str):
            raise AirflowFailException(
                f"task {self.plan_task_id!r} has no saved plan in XCom to review "
                "(expected the return value of ActivepiecesPlanTenantsOperator)"
            )
        return digest

    def execute(self, context: Context) -> Any:
        """Record which plan is shown, then request the review (the task waits for it)."""
        context["ti"].xcom_push(key=REVIEWED_DIGEST_XCOM_KEY, value=self._plan_digest(context))
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """The reviewer answered: on approval, check the plan is still the one shown."""
        from airflow.sdk.exceptions import AirflowFailException

        answer = super().execute_complete(context=context, event=event)
        approved = self.APPROVE in answer["chosen_options"]
        reviewed = context["ti"].xcom_pull(task_ids=self.task_id, key=REVIEWED_DIGEST_XCOM_KEY)
        if approved and self._plan_digest(context) != reviewed:
            raise AirflowFailException(
                f"the plan of task {self.plan_task_id!r} changed after it was shown for review "
                f"(reviewed {reviewed}); nothing was applied: plan and review again"
            )
        responded_at = answer.get("responded_at")
        return {
            "approved": approved,
            "plan_digest": reviewed,
            "chosen_options": list(answer["chosen_options"]),
            "responded_by_user": answer.get("responded_by_user"),
            "responded_at": responded_at.isoformat() if responded_at is not None else None,
            "params_input": answer.get("params_input") or {},
        }
