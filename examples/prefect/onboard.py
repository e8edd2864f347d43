"""Onboard every tenant of a tenant file into Activepieces with Prefect (never deletes).

    python examples/prefect/onboard.py                       # examples/tenants.yaml
    python examples/prefect/onboard.py path/to/tenants.csv --dry-run
    python examples/prefect/onboard.py --block activepieces-prod
    python examples/prefect/onboard.py tenants.yaml --template-storage remote-file-system/templates

A tenant's ``template`` (its flows, tables and folders, a file ``projects export`` wrote) is
read beside the tenant file, or with ``--template-storage`` from a saved Prefect filesystem
block (``<block-type-slug>/<name>``).

Credentials, first match wins: ``--block NAME`` (a saved ActivepiecesCredentials block), the
``ACTIVEPIECES_URL`` / ``ACTIVEPIECES_API_KEY`` environment variables, else an embedded
Activepieces emulator started just for this run, so the example works with nothing else set up.
Without ``PREFECT_API_URL`` Prefect starts a temporary local server for the run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# A fresh Prefect home migrates its database on first start; the default 20 s is too short
# for a temporary server on a slow laptop. Must be set before Prefect is imported.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from prefect import flow

from prefect_activepieces import ActivepiecesCredentials, sync_tenants

DEFAULT_TENANT_FILE = Path(__file__).resolve().parents[1] / "tenants.yaml"


@flow(name="onboard-activepieces-tenants", log_prints=True)
def onboard_tenants(
    tenant_file: str,
    credentials: ActivepiecesCredentials | str,
    dry_run: bool = False,
    concurrency: int = 8,
    template_storage: str | None = None,
) -> dict[str, Any]:
    """Create or update the project of every tenant in ``tenant_file``; nothing is pruned.

    ``credentials`` is the name of a saved ActivepiecesCredentials block (what a deployment
    should pass: only the name is stored with the run) or a block instance. Templates are
    read beside the tenant file, or from the saved filesystem block ``template_storage``.
    """
    report: dict[str, Any] = sync_tenants(
        tenant_file,
        credentials,
        prune=False,
        dry_run=dry_run,
        concurrency=concurrency,
        template_storage=template_storage,
    )
    print(f"Tenants: {report['summary']}")
    return report


@contextlib.contextmanager
def platform_credentials(block: str | None) -> Iterator[ActivepiecesCredentials | str]:
    """The credentials to run with (see the module docstring)."""
    if block:
        yield block
        return
    url, key = os.environ.get("ACTIVEPIECES_URL"), os.environ.get("ACTIVEPIECES_API_KEY")
    if url and key:
        yield ActivepiecesCredentials(base_url=url, api_key=key)
        return
    # Imported here: the emulator is only needed (and only installed with the testing extra)
    # for the local demo.
    from activepieces_core.testing import Emulator

    # environments: the plan flag a tenant's template needs (replace is gated by it).
    with Emulator(environments=True) as emu:
        print(f"No ACTIVEPIECES_URL set: using an embedded emulator at {emu.url}")
        yield ActivepiecesCredentials(base_url=emu.url, api_key=emu.api_key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tenant_file", nargs="?", default=str(DEFAULT_TENANT_FILE))
    parser.add_argument("--dry-run", action="store_true", help="plan and report, change nothing")
    parser.add_argument("--block", help="name of a saved ActivepiecesCredentials block")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--template-storage", help="saved filesystem block holding the templates (slug/name)"
    )
    args = parser.parse_args(argv)
    with platform_credentials(args.block) as credentials:
        state = onboard_tenants(
            args.tenant_file,
            credentials,
            dry_run=args.dry_run,
            concurrency=args.concurrency,
            template_storage=args.template_storage,
            return_state=True,
        )
    return 0 if state.is_completed() else 1


if __name__ == "__main__":
    sys.exit(main())
