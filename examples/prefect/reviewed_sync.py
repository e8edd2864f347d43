"""Reviewed tenant sync: every plan waits for a person before anything is applied.

Serve the deployment (one-time setup of the ``activepieces-prod`` block: see serve.py):

    python examples/prefect/reviewed_sync.py serve

Each run plans, publishes the plan artifact and pauses. Answer it on the run's page in the
Prefect UI (Resume shows the review form), or from a terminal:

    python examples/prefect/reviewed_sync.py approve <flow-run-id> "checked the plan"
    python examples/prefect/reviewed_sync.py reject <flow-run-id> "not before Monday"

Approved, the run applies exactly the plan that was reviewed (and refuses it, writing nothing,
if the platform changed in the meantime); rejected, it ends Cancelled with the plan kept.
Every tenant the prune deletes is archived first into ``archive`` (a directory or an fsspec
URL such as ``s3://bucket/activepieces-archives``); ``restore_tenant`` brings one back.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from uuid import UUID

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.flow_runs import resume_flow_run

from prefect_activepieces import sync_tenants

DEFAULT_TENANT_FILE = Path(__file__).resolve().parents[1] / "tenants.yaml"
#: Where pruned tenants are archived before their project is deleted (on the worker).
DEFAULT_ARCHIVE = str(Path.home() / "activepieces-archives")


def reviewed_deployment(
    tenant_file: str = str(DEFAULT_TENANT_FILE), archive: str = DEFAULT_ARCHIVE
) -> RunnerDeployment:
    """A deployment of `sync_tenants` that prunes, but only after a reviewer approves, and
    archives every tenant it deletes into ``archive`` first."""
    deployment = sync_tenants.to_deployment(
        name="reviewed-tenant-sync",
        cron="0 6 * * 1-5",  # weekday mornings, when reviewers are around
        parameters={
            "tenants": tenant_file,
            "credentials": "activepieces-prod",  # a block name: the key is never stored
            "prune": True,
            "archive": archive,  # each pruned tenant archived (and read back) before its delete
            "max_deletions": 5,
            "require_approval": True,
            "approval_timeout": 8 * 3600,  # a working day, then the run fails unapplied
        },
        tags=["activepieces", "needs-review"],
    )
    # Prefect types this call `RunnerDeployment | Coroutine` (it dispatches on an event loop
    # running); called from sync code, as here, it is the deployment.
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def answer(flow_run_id: str, decision: str, comment: str = "") -> None:
    """Resume a paused reviewed run with the reviewer's decision (``approve`` / ``reject``)."""
    resume_flow_run(UUID(flow_run_id), run_input={"decision": decision, "comment": comment})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the reviewed deployment")
    for decision in ("approve", "reject"):
        one = commands.add_parser(decision, help=f"{decision} a paused run's plan")
        one.add_argument("flow_run_id")
        one.add_argument("comment", nargs="?", default="")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(reviewed_deployment())
    else:
        answer(args.flow_run_id, args.command, args.comment)
        done = {"approve": "approved", "reject": "rejected"}[args.command]
        print(f"{done} flow run {args.flow_run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
