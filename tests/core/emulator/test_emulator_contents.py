"""The emulator's contents routes over real HTTP: ``POST /v1/projects/:id/replace`` (every status,
the unchanged/updated counting, deletes, connections) and the reads an export is built from.

Rules and their upstream sources: ``docs/upstream-contents.md``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from emulator_contents_payloads import SLACK, body, export, flow, table

from activepieces_core.testing import Emulator

ZERO_COUNTS = {
    f"{kind}{what}": 0
    for kind in ("flows", "tables", "folders")
    for what in ("Created", "Updated", "Deleted", "Unchanged")
} | {"connectionsCreated": 0, "connectionsUpdated": 0, "connectionsUnchanged": 0}


def counts(**given: int) -> dict[str, int]:
    return {**ZERO_COUNTS, **given}


@pytest.fixture
def project(emu: Emulator) -> str:
    emu.state.configure_platform(environments_enabled=True)
    return str(emu.state.add_project("Acme", external_id="acme")["id"])


def replace(api: httpx.Client, project_id: str, payload: dict[str, Any]) -> httpx.Response:
    return api.post(f"/projects/{project_id}/replace", json=payload)


# ---- statuses ---------------------------------------------------------------------------------


def test_first_replace_creates_everything_and_reports_the_placeholders(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    r = replace(api, project, body())

    assert r.status_code == 200
    answer = r.json()
    assert answer["applied"] == counts(
        flowsCreated=2, tablesCreated=1, foldersCreated=1, connectionsCreated=1
    )
    assert answer["failed"] == []
    assert answer["connectionsAwaitingAuthorization"] == [
        {"externalId": "slack-main", "pieceName": SLACK, "displayName": "Slack"}
    ]
    assert answer["piecesInstalled"] == [
        {"name": SLACK, "version": "0.5.0", "pieceType": "OFFICIAL"}
    ]
    assert isinstance(answer["durationMs"], int)
    flows = {f["externalId"]: f for f in emu.state.flows_of(project)}
    assert set(flows) == {"welcome", "crm-sync"}
    assert flows["welcome"]["status"] == "ENABLED"
    assert flows["welcome"]["publishedVersionId"] == flows["welcome"]["version"]["id"]
    assert flows["welcome"]["folderId"] is None  # replace creates flows without a folder


def test_the_same_body_again_is_all_unchanged_and_installs_nothing(
    api: httpx.Client, project: str
) -> None:
    assert replace(api, project, body()).status_code == 200

    again = replace(api, project, body()).json()

    assert again["applied"] == counts(
        flowsUnchanged=2, tablesUnchanged=1, foldersUnchanged=1, connectionsUnchanged=1
    )
    assert again["piecesInstalled"] == []


def test_replace_of_an_export_is_all_unchanged(api: httpx.Client, project: str) -> None:
    replace(api, project, body(flows=[flow(f"f{i}", f"Flow {i}") for i in range(5)]))
    version = api.get("/flags").json()["CURRENT_VERSION"]

    again = replace(api, project, export(api, project, version)).json()

    assert again["applied"] == counts(
        flowsUnchanged=5, tablesUnchanged=1, foldersUnchanged=1, connectionsUnchanged=1
    )


def test_without_environments_enabled_replace_is_feature_disabled(
    api: httpx.Client, emu: Emulator
) -> None:
    project = emu.state.add_project("Acme")["id"]

    r = replace(api, project, body())

    assert r.status_code == 402
    assert r.json()["code"] == "FEATURE_DISABLED"
    assert emu.state.flows_of(project) == []


@pytest.mark.activepieces_emulator(environments=True)
def test_the_marker_turns_environments_on(api: httpx.Client, emu: Emulator) -> None:
    project = emu.state.add_project("Acme")["id"]
    assert replace(api, project, body()).status_code == 200


def test_replace_needs_an_api_key_of_the_projects_platform(
    api: httpx.Client, anon: httpx.Client, emu: Emulator, make_api: Callable[[str], httpx.Client]
) -> None:
    other = emu.state.add_platform(environments_enabled=True)
    theirs = emu.state.add_project("Theirs", platform_id=other.id)["id"]

    assert replace(anon, theirs, body()).status_code == 403  # no principal
    assert replace(make_api("sk-" + "x" * 61), theirs, body()).status_code == 401
    forbidden = replace(api, theirs, body())
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "AUTHORIZATION"
    assert replace(api, "A" * 21, body()).status_code == 404
    assert replace(make_api(other.api_key), theirs, body()).status_code == 200


def test_a_body_that_is_not_a_replace_request_is_400(api: httpx.Client, project: str) -> None:
    bad = body()
    bad["schemaVersion"] = 2
    del bad["flows"][0]["externalId"]
    bad["tables"][0]["fields"][0]["type"] = 5

    r = replace(api, project, bad)

    assert r.status_code == 400
    message = r.json()["message"]
    assert "body/schemaVersion" in message
    assert "body/flows/0/externalId" in message
    assert "body/tables/0/fields/0/type" in message
    assert replace(api, "not-an-id", body()).status_code == 400


# ---- what counts as changed (flow-diff.service.ts) ------------------------------------------------


def _edited(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    payload = body()
    change(payload["flows"][0])
    return payload


@pytest.mark.parametrize(
    ("change", "updated"),
    [
        (lambda f: f["version"].update(displayName="Hello"), 1),
        (lambda f: f["version"]["trigger"]["settings"]["input"].update(channel="sales"), 1),
        (lambda f: f["version"]["trigger"]["settings"]["input"].update(thread="t1"), 1),
        (lambda f: f["version"].update(notes=[{"id": "n1", "content": "hi"}]), 1),
        (lambda f: f["version"]["trigger"]["settings"].update(pieceVersion="0.6.0"), 1),
        (lambda f: f.update(status="DISABLED"), 0),
        (lambda f: f.update(folderId="some-folder"), 0),
        (lambda f: f["version"]["trigger"]["settings"].update(pieceVersion="^0.5.0"), 0),
        (lambda f: f["version"]["trigger"]["settings"]["input"].update(auth="{{other}}"), 0),
        (lambda f: f["version"]["trigger"]["settings"].update(sampleData={"x": 1}), 0),
        (lambda f: f["version"]["trigger"].update(lastUpdatedDate="2030-01-01"), 0),
    ],
    ids=[
        "display-name",
        "trigger-input",
        "trigger-input-added",
        "notes",
        "piece-version",
        "status-only",
        "folder-only",
        "same-exact-version",
        "auth-only",
        "sample-data",
        "last-updated",
    ],
)
def test_what_makes_a_flow_updated(
    api: httpx.Client, project: str, change: Callable[[dict[str, Any]], None], updated: int
) -> None:
    replace(api, project, body())

    applied = replace(api, project, _edited(change)).json()["applied"]

    assert (applied["flowsUpdated"], applied["flowsUnchanged"]) == (updated, 2 - updated)


def test_a_status_only_change_is_not_applied(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    replace(api, project, body())

    replace(api, project, _edited(lambda f: f.update(status="DISABLED")))

    assert {f["status"] for f in emu.state.flows_of(project)} == {"ENABLED"}


def test_an_update_mirrors_the_status_and_keeps_the_steps_auth(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    replace(api, project, body())

    def rename_and_disable(f: dict[str, Any]) -> None:
        f["version"]["displayName"] = "Renamed"
        f["status"] = "DISABLED"
        f["version"]["trigger"]["settings"]["input"]["auth"] = "{{connections['other']}}"

    replace(api, project, _edited(rename_and_disable))

    renamed = next(f for f in emu.state.flows_of(project) if f["externalId"] == "welcome")
    assert renamed["version"]["displayName"] == "Renamed"
    assert renamed["status"] == "DISABLED"
    auth = renamed["version"]["trigger"]["settings"]["input"]["auth"]
    assert auth == "{{connections['slack']}}"


def test_a_flow_edited_in_the_ui_is_updated_back(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    replace(api, project, body())
    edited = emu.state.flows_of(project)[0]
    edited["version"]["displayName"] = "Edited by hand"
    emu.state.put_flow(project, edited)

    applied = replace(api, project, body()).json()["applied"]

    assert applied == counts(
        flowsUpdated=1,
        flowsUnchanged=1,
        tablesUnchanged=1,
        foldersUnchanged=1,
        connectionsUnchanged=1,
    )
    assert "Edited by hand" not in {
        f["version"]["displayName"] for f in emu.state.flows_of(project)
    }


def test_a_table_whose_field_changed_is_updated_and_its_fields_follow(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    replace(api, project, body())
    changed = body()
    changed["tables"][0]["fields"] = [
        {"name": "E-mail", "type": "TEXT", "externalId": "email", "data": None}
    ]

    applied = replace(api, project, changed).json()["applied"]

    assert (applied["tablesUpdated"], applied["tablesUnchanged"]) == (1, 0)
    fields = emu.state.tables_of(project)[0]["fields"]
    assert [(f["externalId"], f["name"]) for f in fields] == [("email", "E-mail")]


def test_a_table_sent_without_every_key_counts_as_updated(api: httpx.Client, project: str) -> None:
    """deep-equal compares key counts: a field without ``data`` differs from the server's."""
    replace(api, project, body())
    short = body()
    del short["tables"][0]["fields"][0]["data"]

    assert replace(api, project, short).json()["applied"]["tablesUpdated"] == 1


def test_a_folder_renamed_or_moved_is_updated(api: httpx.Client, project: str) -> None:
    replace(api, project, body())
    moved = body(
        folders=[{"externalId": "onboarding", "displayName": "Onboarding", "displayOrder": 3}]
    )

    applied = replace(api, project, moved).json()["applied"]

    assert (applied["foldersUpdated"], applied["foldersUnchanged"]) == (1, 0)


# ---- deletes and connections --------------------------------------------------------------------


def test_items_missing_from_the_payload_are_deleted_but_connections_stay(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    replace(api, project, body())
    emu.state.contents.put_folder(project, "Made by hand")  # no external id: never managed

    answer = replace(
        api, project, body(flows=[], tables=[], folders=[], connections=[], pieces=[])
    ).json()

    assert answer["applied"] == counts(flowsDeleted=2, tablesDeleted=1, foldersDeleted=1)
    assert emu.state.flows_of(project) == []
    assert emu.state.tables_of(project) == []
    assert [f["displayName"] for f in emu.state.folders_of(project)] == ["Made by hand"]
    assert [c["externalId"] for c in emu.state.connections_for(project)] == ["slack-main"]
    assert answer["connectionsAwaitingAuthorization"] == []


def test_a_flow_in_a_deleted_folder_becomes_uncategorised(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    replace(api, project, body())
    folder = emu.state.folders_of(project)[0]
    edited = emu.state.flows_of(project)[0]
    emu.state.put_flow(project, {**edited, "folderId": folder["id"]})

    replace(api, project, body(folders=[]))

    assert {f["folderId"] for f in emu.state.flows_of(project)} == {None}


def test_a_global_connection_of_the_project_is_used_not_duplicated(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    emu.state.add_global_connection("slack-main", project_ids=[project], piece_name=SLACK)

    answer = replace(api, project, body()).json()

    assert answer["applied"]["connectionsCreated"] == 0
    assert answer["applied"]["connectionsUnchanged"] == 1
    assert answer["connectionsAwaitingAuthorization"] == []  # the global one is ACTIVE
    rows = api.get("/app-connections", params={"projectId": project, "scope": "PLATFORM"})
    assert [(c["externalId"], c["projectIds"]) for c in rows.json()["data"]] == [
        ("slack-main", [project])
    ]
    assert (
        api.get("/app-connections", params={"projectId": project, "scope": "PROJECT"}).json()[
            "data"
        ]
        == []
    )


def test_a_global_connection_not_attached_gets_a_project_placeholder_beside_it(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    emu.state.add_global_connection("slack-main", piece_name=SLACK)

    answer = replace(api, project, body()).json()

    assert answer["applied"]["connectionsCreated"] == 1
    listed = api.get("/app-connections", params={"projectId": project}).json()["data"]
    assert [(c["scope"], c["status"], c["type"]) for c in listed] == [
        ("PROJECT", "MISSING", "NO_AUTH")
    ]


def test_project_create_and_update_attach_global_connections_when_enabled(
    api: httpx.Client, emu: Emulator
) -> None:
    emu.state.add_global_connection("slack-main")
    created = api.post(
        "/projects", json={"displayName": "Off", "globalConnectionExternalIds": ["slack-main"]}
    ).json()
    assert emu.state.global_connections()[0]["projectIds"] == []  # ignored when disabled

    emu.state.configure_platform(global_connections_enabled=True)
    api.post(f"/projects/{created['id']}", json={"globalConnectionExternalIds": ["slack-main"]})

    listed = api.get("/app-connections", params={"projectId": created["id"], "scope": "PLATFORM"})
    assert [c["projectIds"] for c in listed.json()["data"]] == [[created["id"]]]


# ---- 207, 409, 422, 502 ---------------------------------------------------------------------------


def test_a_failed_item_makes_a_207_and_the_rest_is_applied(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    emu.state.contents.failing_items.add(("flow", "crm-sync"))

    r = replace(api, project, body())

    assert r.status_code == 207
    answer = r.json()
    assert [(f["kind"], f["externalId"], f["op"]) for f in answer["failed"]] == [
        ("flow", "crm-sync", "CREATE")
    ]
    # Unchanged comes from the diff: the failed create is neither created nor unchanged.
    assert (answer["applied"]["flowsCreated"], answer["applied"]["flowsUnchanged"]) == (1, 0)
    assert [f["externalId"] for f in emu.state.flows_of(project)] == ["welcome"]


def test_a_second_replace_while_one_runs_is_409_with_retry_after(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    emu.state.contents.replace_seconds = 1.0
    first: list[httpx.Response] = []
    runner = threading.Thread(target=lambda: first.append(replace(api, project, body())))
    runner.start()
    while project not in emu.state.contents.replacing.projects:  # the first holds the lock
        time.sleep(0.005)

    second = replace(api, project, body())
    runner.join()

    assert second.status_code == 409
    assert second.json() == {"error": "REPLACE_IN_PROGRESS", "retryAfter": 5}
    assert first[0].status_code == 200
    assert replace(api, project, body()).status_code == 200  # the lock was released


@pytest.mark.parametrize("from_arrival", [False, True])
def test_route_latency_is_spent_holding_the_lock(
    api: httpx.Client, emu: Emulator, project: str, from_arrival: bool
) -> None:
    """Either way the latency is spent holding the lock (with ``latency_from_arrival`` the
    replace is applied first), and the lock is let go once the answer is out."""
    emu.faults.latency_from_arrival = from_arrival
    emu.faults.set("projects.replace", latency=1.0)
    runner = threading.Thread(target=lambda: replace(api, project, body()))
    runner.start()
    while project not in emu.state.contents.replacing.projects:
        time.sleep(0.005)
    emu.faults.set("projects.replace")  # no latency for the second

    assert replace(api, project, body()).status_code == 409
    runner.join()
    assert replace(api, project, body()).status_code == 200  # the lock was released


def test_from_arrival_a_replace_is_applied_at_once_and_holds_the_lock_for_its_latency(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    """The benches' mode: the work runs inside the latency (upstream writes while holding the
    lock, and no read takes it), the lock is kept until the answer is due, released before it
    leaves."""
    seen: list[tuple[float, list[str], bool]] = []

    async def sleep(seconds: float) -> None:  # the wait, skipped: what was true when it began
        flows = [f["externalId"] for f in emu.state.flows_of(project)]
        seen.append((seconds, sorted(flows), project in emu.state.contents.replacing.projects))

    emu.faults.sleep = sleep
    emu.faults.latency_from_arrival = True
    emu.faults.set("projects.replace", latency=0.5)
    emu.state.contents.replace_seconds = 0.25

    assert replace(api, project, body()).status_code == 200

    [(seconds, flows, locked)] = seen
    assert flows == ["crm-sync", "welcome"]  # applied...
    assert locked  # ...with the lock still held
    assert 0.6 < seconds <= 0.75  # what was left of the latency and the work's own time
    assert project not in emu.state.contents.replacing.projects  # released before the answer


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.0.0", "Major version mismatch (source major=1, dest major=0)"),
        ("0.99.0", "Destination Activepieces version (0.78.0) is older than source (0.99.0)"),
        ("latest", "Cannot parse versions (source=latest, dest=0.78.0)"),
    ],
)
def test_an_incompatible_source_version_is_422_and_writes_nothing(
    api: httpx.Client, emu: Emulator, project: str, version: str, message: str
) -> None:
    r = replace(api, project, body(version=version))

    assert r.status_code == 422
    assert r.json() == {
        "errors": [
            {
                "kind": "AP_VERSION_MISMATCH",
                "sourceVersion": version,
                "destVersion": "0.78.0",
                "message": message,
            }
        ]
    }
    _assert_untouched(api, emu, project)


def test_piece_and_connection_mismatches_are_422_and_write_nothing(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    emu.state.contents.installed(emu.platform_id)[SLACK] = ["0.5.3"]
    emu.state.add_global_connection("slack-main", project_ids=[project], piece_name="@x/gmail")
    payload = body(pieces=[{"name": SLACK, "version": "~0.5.0", "pieceType": "OFFICIAL"}])

    r = replace(api, project, payload)

    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "kind": "PIECE_VERSION_MISMATCH",
            "pieceName": SLACK,
            "sourceVersion": "~0.5.0",
            "destVersion": "0.5.3",
        },
        {
            "kind": "CONNECTION_PIECE_MISMATCH",
            "externalId": "slack-main",
            "expectedPieceName": SLACK,
            "foundPieceName": "@x/gmail",
        },
    ]
    _assert_untouched(api, emu, project, connections=1)


def test_a_piece_that_cannot_be_installed_is_502_and_writes_nothing(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    emu.state.contents.uninstallable_pieces.add(SLACK)

    r = replace(api, project, body())

    assert r.status_code == 502
    [failure] = r.json()["failures"]
    assert (failure["pieceName"], failure["version"], failure["pieceType"]) == (
        SLACK,
        "0.5.0",
        "OFFICIAL",
    )
    assert failure["message"]
    _assert_untouched(api, emu, project)


def _assert_untouched(api: httpx.Client, emu: Emulator, project: str, connections: int = 0) -> None:
    assert emu.state.flows_of(project) == []
    assert emu.state.tables_of(project) == []
    assert emu.state.folders_of(project) == []
    assert len(emu.state.connections_for(project)) == connections
    assert emu.state.contents.installed(emu.platform_id).get(SLACK, ["0.5.3"]) in (["0.5.3"],)


# ---- reads ---------------------------------------------------------------------------------------


def test_flows_page_with_limit_and_cursor_to_the_end(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    replace(api, project, body(flows=[flow(f"f{i:02}", f"Flow {i}") for i in range(25)]))

    seen: list[str] = []
    sizes: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"projectId": project, "limit": 10}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/flows", params=params).json()
        seen += [f["externalId"] for f in page["data"]]
        sizes.append(len(page["data"]))
        cursor = page["next"]
        if cursor is None:
            break

    assert sizes == [10, 10, 5]
    assert sorted(seen) == [f"f{i:02}" for i in range(25)]
    default = api.get("/flows", params={"projectId": project}).json()
    assert len(default["data"]) == 10  # the controller's `limit ?? 10`


def test_reads_need_a_project_of_the_keys_platform(
    api: httpx.Client, anon: httpx.Client, emu: Emulator, project: str
) -> None:
    other = emu.state.add_platform()
    theirs = emu.state.add_project("Theirs", platform_id=other.id)["id"]
    replace(api, project, body())
    table_id = emu.state.tables_of(project)[0]["id"]

    for path in ("/flows", "/folders", "/tables", "/app-connections"):
        assert api.get(path, params={"projectId": theirs}).status_code == 403
        assert anon.get(path, params={"projectId": project}).status_code == 403
        assert api.get(path).status_code == 400  # projectId is required
    assert api.get("/fields", params={"tableId": table_id}).status_code == 200
    assert api.get("/fields", params={"tableId": "missing"}).status_code == 404
    assert (
        api.get("/app-connections", params={"projectId": project, "scope": "X"}).status_code == 400
    )


def test_fields_are_a_plain_array_with_dropdown_data(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    replace(api, project, body(tables=[table("leads", "Leads")]))
    listed = api.get("/tables", params={"projectId": project}).json()["data"]

    fields = api.get("/fields", params={"tableId": listed[0]["id"]}).json()

    assert [(f["externalId"], f.get("data")) for f in fields] == [
        ("email", None),
        ("stage", {"options": [{"value": "new"}, {"value": "won"}]}),
    ]


def test_flags_carry_the_version_without_a_key(anon: httpx.Client, emu: Emulator) -> None:
    emu.state.contents.ap_version = "0.80.1"
    assert anon.get("/flags").json()["CURRENT_VERSION"] == "0.80.1"


def test_a_platform_reads_its_own_plan_flags(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    other = emu.state.add_platform()

    mine = api.get(f"/platforms/{emu.platform_id}").json()

    assert mine["plan"]["environmentsEnabled"] is True
    assert mine["plan"]["globalConnectionsEnabled"] is False
    assert api.get(f"/platforms/{other.id}").status_code == 403


# ---- faults ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route", ["flows.list", "folders.list", "tables.list", "app_connections.list", "flags.get"]
)
def test_faults_reach_the_read_routes(
    api: httpx.Client, emu: Emulator, project: str, route: str
) -> None:
    emu.faults.script(route, 1, "503")
    path = {
        "flows.list": "/flows",
        "folders.list": "/folders",
        "tables.list": "/tables",
        "app_connections.list": "/app-connections",
        "flags.get": "/flags",
    }[route]

    assert api.get(path, params={"projectId": project}).status_code == 503
    assert api.get(path, params={"projectId": project}).status_code == 200
    assert emu.requests.count(route) == 2


def test_a_faulted_replace_writes_nothing_and_a_dropped_answer_wrote_everything(
    api: httpx.Client, emu: Emulator, project: str
) -> None:
    emu.faults.script("projects.replace", 1, "500")
    assert replace(api, project, body()).status_code == 500
    assert emu.state.flows_of(project) == []

    emu.faults.script("projects.replace", 1, "drop_after")
    with pytest.raises(httpx.TransportError):
        replace(api, project, body())
    assert len(emu.state.flows_of(project)) == 2  # applied, the answer was lost

    again = replace(api, project, body())  # the lock was released; the re-run is a no-op
    assert again.status_code == 200
    assert again.json()["applied"]["flowsUnchanged"] == 2


def test_the_cli_and_emulator_options_turn_the_plan_flags_on() -> None:
    from activepieces_core.testing.cli import _parser

    args = _parser().parse_args(["--environments", "--global-connections"])
    assert (args.environments, args.global_connections) == (True, True)
    with Emulator(environments=True, global_connections=True) as emu:
        platform = emu.state.platform()
        assert (platform.environments_enabled, platform.global_connections_enabled) == (True, True)
        emu.reset()
        assert emu.state.platform().environments_enabled  # kept in the fixtures: survives reset
