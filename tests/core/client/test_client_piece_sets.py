"""``client.piece_sets`` and the new project fields, sync and async, over real HTTP.

``api`` (from conftest) is parametrised over the sync client, the async client on aiohttp and
the async client on httpx; `call` drives ``client.piece_sets`` the same way for all three.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from activepieces_core import (
    ActivepiecesClient,
    AsyncActivepiecesClient,
    PieceSelection,
    PieceSelectionMode,
    PieceSet,
    PieceSetEnsureResult,
    PiecesMechanism,
    Project,
)
from activepieces_core.errors import (
    AuthenticationError,
    FeatureDisabledError,
    InvalidRequestError,
    NotFoundError,
    ValidationError,
)
from activepieces_core.resources.piece_sets._ops import update_body

SLACK = "@activepieces/piece-slack"
GMAIL = "@activepieces/piece-gmail"
OPENAI = "@activepieces/piece-openai"
PS_WRITES = ("piece_sets.create", "piece_sets.update", "piece_sets.delete")


async def call(api: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``client.piece_sets.<method>(...)``, awaited when the client is async."""
    result = getattr(api.client.piece_sets, method)(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result


async def collect(api: Any, **kwargs: Any) -> list[PieceSet]:
    rows = api.client.piece_sets.iter(**kwargs)
    if isinstance(api.client, AsyncActivepiecesClient):
        return [row async for row in rows]
    return list(rows)


def writes(emu: Any) -> int:
    return sum(emu.requests.count(route=r) for r in PS_WRITES)


@pytest.fixture
def on(emu: Any) -> Any:
    """The default platform with ``managePiecesEnabled``."""
    emu.state.configure_platform(manage_pieces_enabled=True)
    return emu


# ---- which mechanism governs -------------------------------------------------------------------


async def test_mechanism_is_probed_once_and_cached(api: Any, emu: Any) -> None:
    assert await call(api, "mechanism") is PiecesMechanism.PROJECT_PLAN  # 402
    assert await call(api, "supported") is False
    emu.state.configure_platform(manage_pieces_enabled=True)
    assert await call(api, "mechanism") is PiecesMechanism.PROJECT_PLAN  # cached
    assert emu.requests.count(route="piece_sets.list") == 1
    api.client.piece_sets.set_mechanism(None)  # forget: probe again
    assert await call(api, "mechanism") is PiecesMechanism.PIECE_SETS
    assert await call(api, "supported") is True
    assert emu.requests.count(route="piece_sets.list") == 2


async def test_mechanism_can_be_set_without_a_probe(api: Any, emu: Any) -> None:
    api.client.piece_sets.set_mechanism("PIECE_SETS")
    assert await call(api, "mechanism") is PiecesMechanism.PIECE_SETS
    api.client.piece_sets.set_mechanism(PiecesMechanism.PROJECT_PLAN)
    assert await call(api, "supported") is False
    assert len(emu.requests) == 0
    with pytest.raises(InvalidRequestError, match="PIECE_SETS, PROJECT_PLAN"):
        api.client.piece_sets.set_mechanism("SETS")


async def test_a_server_without_the_module_is_the_project_plan(make_api: Any, emu: Any) -> None:
    api = make_api(base_url=emu.base_url + "/elsewhere/api/v1")  # every route answers 404
    assert await call(api, "mechanism") is PiecesMechanism.PROJECT_PLAN


async def pages_of_listing(api: Any, **kwargs: Any) -> list[list[str]]:
    """The keys on each page `listing` yields, sync or async."""
    pages = api.client.piece_sets.listing(**kwargs)
    if isinstance(api.client, AsyncActivepiecesClient):
        return [[s.key for s in page.data] async for page in pages]
    return [[s.key for s in page.data] for page in pages]


async def test_listing_probes_with_its_first_page(api: Any, emu: Any) -> None:
    # A legacy platform (402): no pages, the mechanism learnt and kept, one request.
    assert await pages_of_listing(api) == []
    assert emu.requests.count(route="piece_sets.list") == 1
    assert await call(api, "mechanism") is PiecesMechanism.PROJECT_PLAN
    assert await pages_of_listing(api) == []  # known: nothing sent
    assert emu.requests.count(route="piece_sets.list") == 1
    # A piece-set platform: its pages, the first of them the probe (no ?limit=1 before it).
    emu.state.configure_platform(manage_pieces_enabled=True)
    for k in range(4):
        emu.state.piece_sets.add(f"Set {k}", f"k{k}", mode="include_all", exceptions=[])
    api.client.piece_sets.set_mechanism(None)
    emu.requests.clear()
    pages = await pages_of_listing(api, limit=2)
    assert {"k0", "k1", "k2", "k3"} <= {key for page in pages for key in page}
    assert len(pages) >= 2
    # one request a page, each a page of the listing
    assert [(r.route, r.path) for r in emu.requests] == [
        ("piece_sets.list", "/api/v1/piece-sets")
    ] * len(pages)
    assert await call(api, "mechanism") is PiecesMechanism.PIECE_SETS
    assert len(emu.requests) == len(pages)


async def test_listing_on_a_server_without_the_module_is_empty(make_api: Any, emu: Any) -> None:
    api = make_api(base_url=emu.base_url + "/elsewhere/api/v1")  # every route answers 404
    assert await pages_of_listing(api) == []
    assert await call(api, "mechanism") is PiecesMechanism.PROJECT_PLAN


async def test_listing_raises_other_failures(make_api: Any, emu: Any) -> None:
    api = make_api(api_key="sk-" + "x" * 61)
    with pytest.raises(AuthenticationError):
        await pages_of_listing(api)


async def test_other_probe_failures_are_raised(make_api: Any, emu: Any) -> None:
    api = make_api(api_key="sk-" + "x" * 61)
    with pytest.raises(AuthenticationError):
        await call(api, "mechanism")


async def test_routes_on_a_legacy_platform_raise_feature_disabled(api: Any) -> None:
    with pytest.raises(FeatureDisabledError):
        await call(api, "create", "Gold", "gold")


# ---- crud ------------------------------------------------------------------------------------


async def test_create_get_update_list(api: Any, on: Any) -> None:
    created = await call(api, "create", "Gold tier", "gold")
    assert isinstance(created, PieceSet)
    assert (created.name, created.key, created.is_default) == ("Gold tier", "gold", False)
    assert created.pieces == PieceSelection(mode=PieceSelectionMode.INCLUDE_ALL, exceptions=[])
    assert await call(api, "get", created.id) == created
    assert await call(api, "get_by_key", "gold") == created
    assert await call(api, "get_by_key", "silver") is None

    updated = await call(
        api, "update", created, name="Gold", pieces=PieceSelection.allow(["slack", "gmail"])
    )
    assert updated.name == "Gold"
    assert updated.key == "gold"
    assert updated.pieces.mode is PieceSelectionMode.EXCLUDE_ALL
    assert updated.pieces.exceptions == [GMAIL, SLACK]
    assert updated.is_visible(SLACK)
    assert not updated.is_visible(OPENAI)
    renamed = await call(api, "update", created.id, key="gold-2")
    assert renamed.key == "gold-2"
    await call(api, "create", "Silver", "silver")
    page = await call(api, "list", limit=1)
    assert len(page.data) == 1
    assert page.next is not None
    assert sorted(s.name for s in await collect(api, limit=1)) == ["Gold", "Silver"]


async def test_update_with_nothing_to_change_sends_nothing(api: Any, on: Any) -> None:
    created = await call(api, "create", "Gold", "gold")
    on.requests.clear()
    assert await call(api, "update", created) is created
    assert len(on.requests) == 0
    assert await call(api, "update", created.id) == created  # one GET
    assert [r.route for r in on.requests] == ["piece_sets.get"]


async def test_update_never_touches_action_and_trigger_selections(api: Any, on: Any) -> None:
    created = await call(api, "create", "Gold", "gold")
    # Someone (the UI) curates actions and requires one; the store applies it as the server.
    record = on.state.piece_sets.record(created.id)
    on.state.piece_sets.update(
        record,
        {
            "actions": {SLACK: {"mode": "selected", "selected": ["send_message"]}},
            "requiredActions": {"mode": "ALL", "actions": {SLACK: ["send_message"]}},
        },
    )
    updated = await call(
        api, "update", created.id, name="New", pieces=PieceSelection.block(["openai"])
    )
    assert updated.config.selected_actions == {SLACK: ["send_message"]}
    assert updated.config.required_actions is not None
    assert updated.config.required_actions.actions == {SLACK: ["send_message"]}
    # The body has name, key (both spellings) and pieces, never the component fields.
    body = update_body(name="n", key="k", pieces=PieceSelection.allow(["slack"]))
    assert body == {
        "name": "n",
        "key": "k",
        "externalId": "k",
        "pieces": {"mode": "exclude_all", "exceptions": [SLACK]},
    }


async def test_delete_duplicate_assign_unassign_for_project(api: Any, on: Any) -> None:
    project = Project.model_validate(on.state.add_project("Acme", external_id="acme"))
    default = await call(api, "for_project", project)
    assert default.is_default
    assert (default.key, default.name) == ("default", "Default")
    gold = await call(api, "create", "Gold", "gold")
    await call(api, "update", gold, pieces={"mode": "exclude_all", "exceptions": ["slack"]})
    await call(api, "assign", gold, [project])
    assert (await call(api, "for_project", project.id)).id == gold.id
    assert on.state.visible_pieces(project.id) == [SLACK]

    copy = await call(api, "duplicate", gold, "Gold copy")
    assert copy.id != gold.id
    assert copy.pieces.exceptions == [SLACK]
    assert copy.key != "gold"

    await call(api, "unassign", gold, project)
    assert (await call(api, "for_project", project)).id == default.id
    await call(api, "assign", gold.id, [project.id])
    await call(api, "delete", gold)  # its project moves to Default
    assert on.state.get_project(project.id)["pieceSetId"] == default.id
    with pytest.raises(NotFoundError):
        await call(api, "get", gold.id)
    with pytest.raises(ValidationError, match="default piece set"):
        await call(api, "delete", default.id)  # the server refuses
    with pytest.raises(InvalidRequestError, match="Default set"):
        await call(api, "delete", default)  # refused before sending
    with pytest.raises(InvalidRequestError, match="Default set"):
        await call(api, "unassign", default, project)


async def test_delete_counts_a_404_on_retry_as_done(make_api: Any, on: Any) -> None:
    api = make_api(backoff_base=0, backoff_max=0)
    gold = await call(api, "create", "Gold", "gold")
    on.faults.script("piece_sets.delete", 1, "drop_after")
    await call(api, "delete", gold)
    assert on.requests.count(route="piece_sets.delete") == 2
    assert on.state.piece_sets.by_key("gold") is None


@pytest.mark.parametrize(
    ("method", "args", "kwargs"),
    [
        ("create", ("", "k"), {}),
        ("create", ("Name", "   "), {}),
        ("create", ("Name", ""), {}),
        ("list", (), {"limit": 0}),
        ("list", (), {"limit": 101}),
        ("get", ("",), {}),
        ("get_by_key", (" ",), {}),
        ("update", ("id",), {"pieces": {"mode": "all"}}),
        ("update", ("id",), {"pieces": {"mode": "include_all", "exceptions": ["bad name"]}}),
        ("update", ("id",), {"pieces": ["slack"]}),
        ("update", ("id",), {"name": ""}),
        ("duplicate", ("id", ""), {}),
        ("assign", ("id", []), {}),
        ("assign", ("id", "project-id"), {}),
        ("unassign", ("id", ""), {}),
        ("ensure", ("", "Name"), {}),
        ("ensure", ("key", "Name"), {"if_exists": "maybe"}),
        ("ensure", ("key", "Name"), {"pieces": {"mode": "exclude_all", "exceptions": "slack"}}),
    ],
)
async def test_bad_input_is_refused_before_sending(
    api: Any, on: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequestError):
        await call(api, method, *args, **kwargs)
    assert len(on.requests) == 0


def test_iter_checks_its_limit_before_any_request(emu: Any) -> None:
    with (
        ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client,
        pytest.raises(InvalidRequestError),
    ):
        client.piece_sets.iter(limit=500)
    assert len(emu.requests) == 0


# ---- ensure ----------------------------------------------------------------------------------


async def test_ensure_creates_then_is_unchanged(api: Any, on: Any) -> None:
    result = await call(api, "ensure", "gold", "Gold tier", pieces=PieceSelection.allow(["slack"]))
    assert isinstance(result, PieceSetEnsureResult)
    assert result.action == "created"
    assert result.created
    assert result.piece_set.pieces.exceptions == [SLACK]
    assert writes(on) == 2  # create + the pieces update
    on.requests.clear()
    again = await call(api, "ensure", "gold", "Gold tier", pieces=PieceSelection.allow(["slack"]))
    assert again.action == "unchanged"
    assert again.piece_set.id == result.piece_set.id
    assert [r.route for r in on.requests] == ["piece_sets.list"]
    assert again.to_dict()["pieceSet"]["key"] == "gold"


async def test_ensure_without_pieces_creates_with_one_write(api: Any, on: Any) -> None:
    result = await call(api, "ensure", "plain", "Plain")
    assert result.piece_set.pieces.mode is PieceSelectionMode.INCLUDE_ALL
    assert writes(on) == 1


async def test_ensure_converges_name_and_pieces(api: Any, on: Any) -> None:
    on.state.piece_sets.add("Old name", "gold", mode="include_all", exceptions=[OPENAI, SLACK])
    block = PieceSelection.block(["slack", "openai"])  # same set of names, other order
    unchanged = await call(api, "ensure", "gold", "Old name", pieces=block)
    assert unchanged.action == "unchanged"
    updated = await call(api, "ensure", "gold", "Gold", pieces=PieceSelection.allow(["gmail"]))
    assert updated.action == "updated"
    assert updated.piece_set.name == "Gold"
    assert updated.piece_set.pieces.exceptions == [GMAIL]
    left = await call(api, "ensure", "gold", "Gold")  # pieces None: the selection is kept
    assert left.action == "unchanged"
    assert left.piece_set.pieces.exceptions == [GMAIL]


async def test_ensure_if_exists(api: Any, on: Any) -> None:
    on.state.piece_sets.add("Old", "gold")
    returned = await call(api, "ensure", "gold", "New", if_exists="return")
    assert (returned.action, returned.piece_set.name) == ("unchanged", "Old")
    with pytest.raises(ValidationError, match="already exists"):
        await call(api, "ensure", "gold", "New", if_exists="fail")
    assert writes(on) == 0


async def test_ensure_finds_sets_beyond_the_first_page(api: Any, on: Any) -> None:
    for i in range(120):
        on.state.piece_sets.add(f"Set {i}", f"set-{i}")
    result = await call(api, "ensure", "set-119", "Set 119")
    assert result.action == "unchanged"
    assert on.requests.count(route="piece_sets.list") == 2
    assert writes(on) == 0


async def test_ensure_on_an_external_id_era_server(api: Any, on: Any) -> None:
    """Older servers read ``externalId``: the client sends both spellings and reads either."""
    on.state.piece_sets.schema = "externalId"
    first = await call(api, "ensure", "gold", "Gold", pieces=PieceSelection.allow(["slack"]))
    assert first.action == "created"
    assert first.piece_set.key == "gold"
    second = await call(api, "ensure", "gold", "Gold", pieces=PieceSelection.allow(["slack"]))
    assert second.action == "unchanged"
    assert [s["externalId"] for s in on.state.piece_sets.all()] == ["gold"]


@pytest.mark.parametrize("kind", ["drop_after", "slow", "drop_before", "500", "503_html", "429"])
async def test_ensure_survives_one_failed_create(make_api: Any, on: Any, kind: str) -> None:
    api = make_api(timeout=1.0, max_retries=3, backoff_base=0, backoff_max=0)
    on.faults.set("piece_sets.create", slow_seconds=600)  # held until the client hangs up
    on.faults.script("piece_sets.create", 1, kind)
    result = await call(api, "ensure", "gold", "Gold", pieces=PieceSelection.allow(["slack"]))
    assert result.action == "created"
    sets = [s for s in on.state.piece_sets.all() if s["key"] == "gold"]
    assert len(sets) == 1
    assert sets[0]["config"]["pieces"] == {"mode": "exclude_all", "exceptions": [SLACK]}
    committed = kind in ("drop_after", "slow")
    # A create that may have committed is followed by a lookup, not a blind second create.
    assert on.requests.count(route="piece_sets.create") == (1 if committed else 2)


async def test_ensure_gives_up_after_bounded_attempts(make_api: Any, on: Any) -> None:
    api = make_api(max_retries=2, backoff_base=0, backoff_max=0)
    on.faults.set("piece_sets.create", rate=1.0, kinds=["500"])
    with pytest.raises(Exception, match="500"):
        await call(api, "ensure", "gold", "Gold")
    assert on.requests.count(route="piece_sets.create") == 3
    assert on.state.piece_sets.all() == []


@pytest.mark.parametrize("schema", ["key", "externalId"])
async def test_concurrent_ensures_race_to_one_set(on: Any, gate: Any, schema: str) -> None:
    """All see "absent", all create; the losers get the taken-key 409 (or the older server's
    500) and find the winner."""
    on.state.piece_sets.schema = schema
    gate("piece_sets.list", 4)  # no look-up is answered before all four are in flight
    async with AsyncActivepiecesClient(
        api_key=on.api_key, base_url=on.url, backoff_base=0, backoff_max=0
    ) as client:
        results = await asyncio.gather(
            *(client.piece_sets.ensure("gold", "Gold") for _ in range(4))
        )
    assert len({r.piece_set.id for r in results}) == 1
    assert len(on.state.piece_sets.all()) == 1
    assert on.requests.count(route="piece_sets.create") == 4  # the race did happen
    refused = [r for r in on.requests if r.route == "piece_sets.create" and r.status != 201]
    assert {r.status for r in refused} == {409 if schema == "key" else 500}


FAULTS = {"429": 1.0, "503_html": 1.0, "slow": 1.0, "drop_before": 1.0, "drop_after": 1.0}


def wish(i: int) -> tuple[str, str, PieceSelection]:
    names = ["slack", "gmail", "hubspot", "openai"]
    pieces = (
        PieceSelection.allow(names[: 1 + i % 4]) if i % 2 else PieceSelection.block(names[i % 4 :])
    )
    return f"set-{i:03d}", f"Set {i:03d}", pieces


def assert_no_duplicates(emu: Any, n: int) -> None:
    sets = [s for s in emu.state.piece_sets.all() if not s["isDefault"]]
    counts = Counter(s["key"] for s in sets)
    assert not {k: c for k, c in counts.items() if c > 1}
    assert len(sets) == n
    for s in sets:
        _, name, pieces = wish(int(s["key"].split("-")[1]))
        assert s["name"] == name
        assert s["config"]["pieces"] == {
            "mode": pieces.mode.value,  # type: ignore[union-attr]
            "exceptions": pieces.exceptions,
        }


async def test_60_sets_with_20_percent_faults_async(on: Any) -> None:
    n = 60
    on.faults.seed(5)
    on.faults.set("*", rate=0.2, kinds=FAULTS, retry_after=0, slow_seconds=0.6)
    async with AsyncActivepiecesClient(
        api_key=on.api_key,
        base_url=on.url,
        timeout=0.3,
        max_retries=8,
        backoff_base=0,
        backoff_max=0,
    ) as client:
        gate = asyncio.Semaphore(8)

        async def one(i: int) -> str:
            async with gate:
                key, name, pieces = wish(i)
                return (await client.piece_sets.ensure(key, name, pieces=pieces)).action

        # Every 5th set is ensured twice at once (two workers racing).
        order = [j for i in range(n) for j in ([i, i] if i % 5 == 0 else [i])]
        actions = await asyncio.gather(*(one(i) for i in order))
    injected = dict(on.faults.injected)
    assert set(injected) == set(FAULTS), injected
    assert Counter(actions)["created"] >= n
    assert_no_duplicates(on, n)


def test_60_sets_with_20_percent_faults_sync_threads(on: Any) -> None:
    n = 60
    on.faults.seed(6)
    on.faults.set("*", rate=0.2, kinds=FAULTS, retry_after=0, slow_seconds=0.6)
    with ActivepiecesClient(
        api_key=on.api_key,
        base_url=on.url,
        timeout=0.3,
        max_retries=8,
        backoff_base=0,
        backoff_max=0,
    ) as client:

        def one(i: int) -> str:
            key, name, pieces = wish(i)
            return client.piece_sets.ensure(key, name, pieces=pieces).action

        order = [j for i in range(n) for j in ([i, i] if i % 5 == 0 else [i])]
        with ThreadPoolExecutor(max_workers=8) as pool:
            actions = list(pool.map(one, order))
    assert Counter(actions)["created"] >= n
    assert sum(on.faults.injected.values()) > 20
    assert_no_duplicates(on, n)


# ---- models ----------------------------------------------------------------------------------


def test_piece_set_model_is_tolerant() -> None:
    older = PieceSet.model_validate(
        {
            "id": "a" * 21,
            "name": "Gold",
            "externalId": "gold",
            "isDefault": False,
            "includeNewPieces": True,  # an old field: ignored
            "config": {"pieces": {"mode": "some_future_mode", "exceptions": [SLACK]}},
        }
    )
    assert older.key == "gold"
    assert older.pieces.mode == "some_future_mode"
    assert older.config.selected_actions == {}
    assert older.config.required_actions is None
    newest = PieceSet.model_validate(
        {"id": "b" * 21, "name": "D", "key": "default", "isDefault": True}
    )
    assert newest.key == "default"
    assert newest.is_default
    assert newest.pieces.mode is PieceSelectionMode.INCLUDE_ALL
    assert newest.to_dict()["key"] == "default"


def test_piece_selection_helpers() -> None:
    allow = PieceSelection.allow(["slack", "@activepieces/piece-gmail", "slack"])
    assert allow.mode is PieceSelectionMode.EXCLUDE_ALL
    assert allow.exceptions == [GMAIL, SLACK]
    assert allow.is_visible(SLACK)
    assert not allow.is_visible(OPENAI)
    block = PieceSelection.block(["openai"])
    assert block.is_visible(SLACK)
    assert not block.is_visible(OPENAI)
    assert PieceSelection.block().exceptions == []
    assert PieceSelection(mode="exclude_all", exceptions=[SLACK, GMAIL]).same_as(allow)
    assert not block.same_as(PieceSelection.allow(["openai"]))
    with pytest.raises(InvalidRequestError):
        PieceSelection.allow("slack")


# ---- project fields --------------------------------------------------------------------------


async def test_project_fields_read_and_update(api: Any, emu: Any) -> None:
    emu.state.configure_platform(worker_groups_enabled=True, manage_pieces_enabled=True)
    created = await api.create("Acme", external_id="acme")
    assert created.piece_set_id is not None
    assert created.notify_flow_owner_on_failure is False
    assert created.sensitive is False
    assert created.active_flows_limit is None
    updated = await api.update(
        created.id,
        notify_flow_owner_on_failure=True,
        sensitive=True,
        execution_data_retention_days=14,
        worker_group_id="gpu",
        active_flows_limit=3,
    )
    assert updated.notify_flow_owner_on_failure is True
    assert updated.sensitive is True
    assert updated.execution_data_retention_days == 14
    assert updated.worker_group_id == "gpu"
    assert updated.active_flows_limit == 3
    assert updated.plan is not None
    assert updated.plan.pieces_filter_type == "NONE"  # untouched by the limit


@pytest.mark.parametrize(
    "fields",
    [
        {"active_flows_limit": 0},
        {"active_flows_limit": -2},
        {"active_flows_limit": True},
        {"active_flows_limit": 2.5},
        {"execution_data_retention_days": 0},
        {"execution_data_retention_days": "30"},
        {"notify_flow_owner_on_failure": "yes"},
        {"sensitive": 1},
        {"worker_group_id": 5},
    ],
)
async def test_bad_project_fields_are_refused_before_sending(
    api: Any, emu: Any, fields: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequestError):
        await api.update("a" * 21, **fields)
    assert len(emu.requests) == 0
