"""Run the onboarding flow on a schedule against a real Activepieces platform.

One-time setup (the key is stored encrypted in Prefect, never in the deployment):

    prefect block register -m prefect_activepieces
    python - <<'PY'
    from prefect_activepieces import ActivepiecesCredentials
    ActivepiecesCredentials(
        base_url="https://cloud.activepieces.com/api/v1",   # or https://<host>/api/v1
        api_key="sk-...",
    ).save("activepieces-prod")
    PY

Then keep this process running (``serve`` polls for scheduled runs):

    python examples/prefect/serve.py

Tenant files are read on the machine running this process; to run on workers instead, use
``onboard_tenants.from_source(...).deploy(..., work_pool_name=...)`` with the same parameters.
"""

from __future__ import annotations

from onboard import DEFAULT_TENANT_FILE, onboard_tenants
from prefect import serve
from prefect.deployments.runner import RunnerDeployment


def nightly_deployment() -> RunnerDeployment:
    """The scheduled deployment: every night, the tenant file, a saved credentials block."""
    deployment = onboard_tenants.to_deployment(
        name="nightly-tenant-onboarding",
        cron="0 3 * * *",  # every day at 03:00 (server time zone)
        parameters={
            "tenant_file": str(DEFAULT_TENANT_FILE),
            # A block *name*: only the name is stored with each run, never the key.
            "credentials": "activepieces-prod",
        },
        tags=["activepieces"],
    )
    # Prefect types this call `RunnerDeployment | Coroutine` (it dispatches on an event loop
    # running); called from sync code, as here, it is the deployment.
    assert isinstance(deployment, RunnerDeployment)
    return deployment


if __name__ == "__main__":
    serve(nightly_deployment())
