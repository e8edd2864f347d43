"""A project's contents through the client, sync and async, over real HTTP to the emulator:
the reads (every page), ``projects.export_state``, ``projects.replace`` and its typed outcomes,
and state files.

``api`` (conftest) is parametrised over the sync client and the async client on aiohttp and on
httpx; `call` drives any resource of it the same way for all three.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from contents_seed import GMAIL, SLACK, piece_flow, seed

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.errors import (
    FeatureDisabledError,
    InvalidRequestError,
    InvalidStateError,
    PieceInstallError,
    ReplaceInProgressError,
    ReplacePreflightError,
    ServerError,
)
from activepieces_core.models.contents import ProjectState, ReplaceResult
from activepieces_core.models.state_file import read_state_file, write_state_file

pytestmark = pytest.mark.activepieces_emulator(environments=True)

#: upstream's controller answers a locked project with ``retryAfter: 5``.
RETRY_AFTER = 5.0


async def call(api: Any, path: str, *args: Any, **kwargs: Any) -> Any:
    """``client.<resource>.<method>(...)`` (``path`` = "resource.method"), awaited if async."""
    resource, method = path.split(".")
    result = getattr(getattr(api.client, resource), method)(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result


@pytest.fixture
async def project(api: Any) -> Any:
    return (await api.ensure("tenant-a", "Tenant A")).project


def bodies_of(emu: Any, project: Any) -> list[dict[str, Any]]:
    return emu.state.flows_of(project.id)


# --- reads ------------------------------------------------------------------------------------


async def test_reads_follow_every_page(api: Any, emu: Any, project: Any) -> None:
    seed(emu, project, flows=230)  # 3 pages of 100

    flows = await call(api, "flows.list", project)

    ids = [f.external_id for f in flows]
    assert sorted(ids) == sorted(f"flow-{i}" for i in range(230))  # each once, in server order
    assert emu.requests.count(route="flows.list") == 3
    by_id = {f["externalId"]: f for f in bodies_of(emu, project)}
    assert flows[7].display_name == by_id[ids[7]]["version"]["displayName"]
    assert flows[7].body == by_id[ids[7]]  # verbatim, as the server sent it


async def test_reads_folders_tables_fields_connections(api: Any, emu: Any, project: Any) -> None:
    seed(emu, project)

    folders = await call(api, "folders.list", project.id)
    tables = await call(api, "tables.list", project)
    fields = await call(api, "tables.fields", tables[0])
    every = await call(api, "app_connections.list", project)
    globals_ = await call(api, "app_connections.list", project, scope="PLATFORM")

    assert sorted((f.display_name, f.external_id) for f in folders) == [
        ("Ops", "ops"),
        ("Scratch", None),
    ]
    assert [(t.name, t.external_id, t.status) for t in tables] == [("Leads", "leads", "ENABLED")]
    assert [(f.name, f.type, f.data) for f in fields] == [
        ("Email", "TEXT", None),
        ("Stage", "STATIC_DROPDOWN", {"options": [{"value": "new"}, {"value": "won"}]}),
    ]
    assert sorted(c.external_id for c in every) == ["gmail-main", "slack-main"]
    assert [(c.external_id, c.scope, c.project_ids) for c in globals_] == [
        ("slack-main", "PLATFORM", [project.id])
    ]


async def test_a_bad_scope_is_refused_before_any_request(api: Any, emu: Any) -> None:
    with pytest.raises(InvalidRequestError, match="scope"):
        await call(api, "app_connections.list", "p1", scope="platform")
    assert len(emu.requests) == 0


# --- export -----------------------------------------------------------------------------------


async def test_export_is_the_replace_body_of_the_project(api: Any, emu: Any, project: Any) -> None:
    seed(emu, project)

    state = await call(api, "projects.export_state", project)

    body = state.to_body()
    assert body["schemaVersion"] == 1
    assert body["sourceActivepiecesVersion"] == emu.state.contents.ap_version  # /v1/flags
    assert body["flows"] == bodies_of(emu, project)
    table = emu.state.tables_of(project.id)[0]
    assert body["tables"] == [
        {
            "id": table["id"],
            "name": "Leads",
            "externalId": "leads",
            "fields": [
                {"name": "Email", "type": "TEXT", "externalId": "email", "data": None},
                {
                    "name": "Stage",
                    "type": "STATIC_DROPDOWN",
                    "externalId": "stage",
                    "data": {"options": [{"value": "new"}, {"value": "won"}]},
                },
            ],
            "status": "ENABLED",
            "trigger": None,
        }
    ]
    # Only folders with an external id take part in a replace.
    assert body["folders"] == [{"externalId": "ops", "displayName": "Ops", "displayOrder": 1}]
    assert sorted(body["connections"], key=lambda c: c["externalId"]) == [
        {"externalId": "gmail-main", "pieceName": GMAIL, "displayName": "Gmail"},
        {"externalId": "slack-main", "pieceName": SLACK, "displayName": "slack-main"},
    ]
    # Every piece version the flows use, once (the loop's Gmail step too).
    assert body["requiredPieces"] == [
        {"name": SLACK, "version": "0.5.1", "pieceType": "OFFICIAL"},
        {"name": GMAIL, "version": "0.8.0", "pieceType": "OFFICIAL"},
    ]


class _InFlight(httpx.AsyncBaseTransport):
    """httpx's own transport, counting the requests under way at once."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.now = self.most = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_async_export_reads_the_listings_at_once(emu: Any) -> None:
    wire = _InFlight()
    async with AsyncActivepiecesClient(
        api_key=emu.api_key, base_url=emu.url, http_transport=wire
    ) as client:
        project = (await client.projects.ensure("tenant-a", "Tenant A")).project
        seed(emu, project)
        wire.most = 0
        state = await client.projects.export_state(project)
    # flags, flows, folders, tables and connections were on the wire together.
    assert wire.most == 5
    assert len(state.flows) == 2


def test_async_export_runs_under_trio(emu: Any) -> None:
    """The concurrent export uses anyio, so it runs under trio as under asyncio."""
    import trio

    async def main() -> ProjectState:
        async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
            project = (await client.projects.ensure("tenant-a", "Tenant A")).project
            seed(emu, project)
            return await client.projects.export_state(project)

    state = trio.run(main)
    assert (len(state.flows), len(state.tables), len(state.folders)) == (2, 1, 1)


async def test_a_failed_listing_is_raised_as_itself(make_api: Any, emu: Any) -> None:
    """A read that fails during the (concurrent) export is the client's own error type."""
    api = make_api(max_retries=0)
    project = (await api.ensure("tenant-a", "Tenant A")).project
    emu.faults.script("folders.list", 1, "503")
    with pytest.raises(ServerError):
        await call(api, "projects.export_state", project)


# --- replace ----------------------------------------------------------------------------------


async def test_replace_of_the_export_changes_nothing(api: Any, emu: Any, project: Any) -> None:
    seed(emu, project)
    before = bodies_of(emu, project)

    result = await call(
        api, "projects.replace", project, await call(api, "projects.export_state", project)
    )

    assert isinstance(result, ReplaceResult)
    assert (result.status, result.ok, result.applied.changed) == (200, True, 0)
    counts = result.applied
    assert (counts.flows_unchanged, counts.tables_unchanged, counts.folders_unchanged) == (2, 1, 1)
    assert counts.connections_unchanged == 2
    assert bodies_of(emu, project) == before


async def test_export_then_replace_into_another_project(api: Any, emu: Any, project: Any) -> None:
    seed(emu, project)
    template = await call(api, "projects.export_state", project)
    tenant = (await api.ensure("tenant-b", "Tenant B")).project

    first = await call(api, "projects.replace", tenant.id, template)
    again = await call(
        api, "projects.replace", tenant.id, await call(api, "projects.export_state", tenant)
    )

    applied = first.applied
    assert (applied.flows_created, applied.tables_created, applied.folders_created) == (2, 1, 1)
    # The connections become placeholders someone must authorise; no secret travelled.
    assert applied.connections_created == 2
    assert sorted(c.external_id for c in first.connections_awaiting_authorization) == [
        "gmail-main",
        "slack-main",
    ]
    assert [f["externalId"] for f in bodies_of(emu, tenant)] == ["flow-0", "flow-1"]
    assert again.applied.changed == 0


async def test_207_lists_each_item_that_failed(api: Any, emu: Any, project: Any) -> None:
    seed(emu, project)
    state = await call(api, "projects.export_state", project)
    body = state.to_body()
    body["flows"][0]["version"]["displayName"] = "Renamed"
    body["flows"].append(piece_flow("flow-new", "New"))
    emu.state.contents.failing_items = {("flow", "flow-new")}

    result = await call(api, "projects.replace", project, body)

    assert (result.status, result.ok) == (207, False)
    assert [(f.kind, f.external_id, f.op) for f in result.failed] == [
        ("flow", "flow-new", "CREATE")
    ]
    assert result.applied.flows_updated == 1  # the rest was applied


@pytest.fixture
def held(emu: Any, project: Any) -> Any:
    """``project``'s replace lock, taken as a replace running elsewhere would hold it."""
    with emu.state.lock:
        assert emu.state.contents.replacing.try_acquire(project.id)
    return project


async def test_409_waits_retry_after_then_sends_again(
    make_api: Any, sleeps: Any, emu: Any, held: Any
) -> None:
    def release(seconds: float) -> None:  # the other replace ends while we wait
        sleeps.append(seconds)
        with emu.state.lock:
            emu.state.contents.replacing.release(held.id)

    async def arelease(seconds: float) -> None:
        release(seconds)

    sleeps.sync, sleeps.async_ = release, arelease
    api = make_api()
    state = ProjectState(source_activepieces_version=emu.state.contents.ap_version)

    result = await call(api, "projects.replace", held, state)

    assert result.status == 200
    assert list(sleeps) == [RETRY_AFTER]
    assert emu.requests.count(route="projects.replace") == 2


async def test_409_after_the_waits_ran_out(api: Any, sleeps: Any, emu: Any, held: Any) -> None:
    state = ProjectState(source_activepieces_version=emu.state.contents.ap_version)

    with pytest.raises(ReplaceInProgressError) as caught:
        await call(api, "projects.replace", held, state)

    assert caught.value.retry_after == RETRY_AFTER
    assert list(sleeps) == [RETRY_AFTER] * 3  # max_retries=3 (conftest)
    assert emu.requests.count(route="projects.replace") == 4


async def test_422_says_what_to_fix_and_nothing_is_written(
    api: Any, emu: Any, project: Any
) -> None:
    seed(emu, project)
    before = bodies_of(emu, project)
    body = (await call(api, "projects.export_state", project)).to_body()
    body["sourceActivepiecesVersion"] = "99.0.0"
    body["flows"] = []

    with pytest.raises(ReplacePreflightError) as caught:
        await call(api, "projects.replace", project, body)

    error = caught.value
    assert error.status_code == 422
    assert [e["kind"] for e in error.errors] == ["AP_VERSION_MISMATCH"]
    assert "AP_VERSION_MISMATCH" in str(error)
    assert "nothing written" in str(error)
    assert bodies_of(emu, project) == before
    assert emu.requests.count(route="projects.replace") == 1


async def test_502_piece_install_failure_is_not_retried(api: Any, emu: Any, project: Any) -> None:
    seed(emu, project)
    body = (await call(api, "projects.export_state", project)).to_body()
    body["requiredPieces"].append(
        {"name": "@acme/piece-crm", "version": "1.0.0", "pieceType": "CUSTOM"}
    )
    emu.state.contents.uninstallable_pieces = {"@acme/piece-crm"}

    with pytest.raises(PieceInstallError) as caught:
        await call(api, "projects.replace", project, body)

    assert [f["pieceName"] for f in caught.value.failures] == ["@acme/piece-crm"]
    assert "@acme/piece-crm" in str(caught.value)
    assert emu.requests.count(route="projects.replace") == 1


@pytest.mark.activepieces_emulator(environments=False)
async def test_402_without_environments(api: Any, emu: Any, project: Any) -> None:
    state = ProjectState(source_activepieces_version=emu.state.contents.ap_version)
    with pytest.raises(FeatureDisabledError):
        await call(api, "projects.replace", project, state)


@pytest.mark.parametrize("fault", ["drop_after", "500", "502"])
async def test_an_ambiguous_failure_is_resent_without_duplicates(
    api: Any, emu: Any, project: Any, fault: str
) -> None:
    seed(emu, project)
    body = (await call(api, "projects.export_state", project)).to_body()
    body["flows"].append(piece_flow("flow-new", "New"))
    emu.faults.script("projects.replace", 1, fault)

    result = await call(api, "projects.replace", project, body)

    assert emu.requests.count(route="projects.replace") == 2
    assert [f["externalId"] for f in bodies_of(emu, project)].count("flow-new") == 1
    # Whether the first attempt got through or not, the flow is there once.
    created, unchanged = result.applied.flows_created, result.applied.flows_unchanged
    assert (created, unchanged) in ((1, 2), (0, 3))


async def test_a_bad_state_is_refused_before_any_request(api: Any, emu: Any, project: Any) -> None:
    bad = {"schemaVersion": 1, "sourceActivepiecesVersion": "0.78.0", "flows": [{"id": "x"}]}
    with pytest.raises(InvalidStateError, match=r"flows\[0\]\.version must be an object"):
        await call(api, "projects.replace", project, bad)
    assert emu.requests.count(route="projects.replace") == 0


# --- state files ------------------------------------------------------------------------------


def test_a_state_file_round_trips(tmp_path: Path, emu: Any) -> None:
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        project = client.projects.ensure("tenant-a", "Tenant A").project
        seed(emu, project)
        state = client.projects.export_state(project)
    for name in ("template.json", "template.yaml"):
        path = write_state_file(tmp_path / name, state)
        assert read_state_file(path) == state
    assert json.loads((tmp_path / "template.json").read_text())["flows"] == state.flows


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"schemaVersion": 2, "sourceActivepiecesVersion": "0.78.0"}', "schemaVersion"),
        ('{"sourceActivepiecesVersion": "1", "tables": [{"id": "t"}]}', "tables.0.name"),
        (
            '{"sourceActivepiecesVersion": "1", "folders": ['
            '{"externalId": "a", "displayName": "A", "displayOrder": 1},'
            '{"externalId": "a", "displayName": "B", "displayOrder": 2}]}',
            "two folders have externalId 'a'",
        ),
    ],
)
def test_a_bad_state_file_is_a_typed_error_naming_it(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InvalidStateError, match=problem) as caught:
        read_state_file(path)
    assert str(path) in str(caught.value)


def test_a_callers_dicts_are_copied_and_a_states_body_is_its_own() -> None:
    """A flow or state built from a caller's dict does not follow later edits of it, and
    ``to_body()`` is the caller's to change (the no-copy paths are for decoded responses and
    for bodies sent at once)."""
    from activepieces_core.models.contents import Flow

    raw = piece_flow("f1", "Flow one")
    flow = Flow.model_validate({"id": "f1", **raw})
    state = ProjectState.from_body({"sourceActivepiecesVersion": "0.70.0", "flows": [raw]})
    raw["version"]["displayName"] = "edited by the caller"
    assert flow.body["version"]["displayName"] == "Flow one"
    assert state.flows[0]["version"]["displayName"] == "Flow one"
    body = state.to_body()
    body["flows"][0]["version"]["displayName"] = "edited in the body"
    assert state.flows[0]["version"]["displayName"] == "Flow one"
    assert state.to_body(copy_flows=False)["flows"][0] is state.flows[0]
