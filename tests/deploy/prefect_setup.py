"""Set up a Prefect server the way a user would, then print the deployment ids as JSON.

Run by ``test_deploy_prefect.py`` in its own process with ``PREFECT_API_URL`` pointing at the
server under test; the API key comes from ``ACTIVEPIECES_API_KEY`` (never from the command line).

1. save an `ActivepiecesCredentials` block (the block type was registered with
   ``prefect block register -m prefect_activepieces`` before);
2. deploy ``sync_tenants``, ``onboard_tenant`` and ``teardown_tenants`` from the installed
   package (module-path entrypoints: a worker imports ``prefect_activepieces.flows``, no code is
   copied) to a process work pool, with the block's *name* as the default ``credentials``;
3. deploy the sharded example (``examples/prefect/sharded.py``) from its folder to the same
   pool: ``apply_shard`` as ``apply-activepieces-shard/shards`` (the name the parent runs) and
   the parent ``sharded_apply``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from prefect import Flow, deploy
from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType

from prefect_activepieces import ActivepiecesCredentials
from prefect_activepieces.flows import onboard_tenant, sync_tenants, teardown_tenants

SHARDED_DIR = Path(__file__).resolve().parents[2] / "examples" / "prefect"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--block", required=True)
    parser.add_argument("--pool", required=True)
    args = parser.parse_args()

    ActivepiecesCredentials(
        base_url=args.base_url,
        api_key=os.environ["ACTIVEPIECES_API_KEY"],
        timeout=5.0,
        max_retries=2,
    ).save(args.block, overwrite=True)

    flows: dict[str, Flow[..., Any]] = {
        "sync_tenants": sync_tenants,
        "onboard_tenant": onboard_tenant,
        "teardown_tenants": teardown_tenants,
    }
    deployments: list[RunnerDeployment] = []
    for name, flow in flows.items():
        deployment = flow.to_deployment(
            name=f"deploy-test-{name.replace('_', '-')}",
            entrypoint_type=EntrypointType.MODULE_PATH,
            parameters={"credentials": args.block},
            tags=["activepieces"],
        )
        assert isinstance(deployment, RunnerDeployment)  # sync call: not a coroutine
        deployments.append(deployment)
    ids = deploy(
        *deployments,
        work_pool_name=args.pool,
        build=False,
        push=False,
        print_next_steps_message=False,
        ignore_warnings=True,
    )
    assert isinstance(ids, list)  # sync call: not a coroutine
    found = dict(zip(flows, map(str, ids), strict=True))
    for entrypoint, name in (("apply_shard", "shards"), ("sharded_apply", "deploy-test-sharded")):
        sharded = Flow.from_source(source=str(SHARDED_DIR), entrypoint=f"sharded.py:{entrypoint}")
        assert isinstance(sharded, Flow)  # sync call: not a coroutine
        found[entrypoint] = str(
            sharded.deploy(
                name=name, work_pool_name=args.pool, print_next_steps=False, ignore_warnings=True
            )
        )
    print(json.dumps(found))


if __name__ == "__main__":
    main()
