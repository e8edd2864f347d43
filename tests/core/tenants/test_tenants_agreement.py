"""``ensure`` and the tenant plan agree, over a generated corpus of server states x wishes.

Both compare through `activepieces_core.project_diff`; this proves the property the issue
states, over real HTTP to the emulator, for the sync and the async client:
after ``apply(plan(specs))`` a new plan is all no-op and ``ensure`` with the same wish returns
``unchanged``; after ``ensure``, a plan is all no-op.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import TenantSpec, apply, plan

SLACK = "@activepieces/piece-slack"

SERVER_METADATA: list[dict[str, Any] | None] = [None, {}, {"tier": "gold"}]
# (filter type, stored list): NONE with and without a stale list, ALLOWED with and without.
SERVER_PIECES: list[tuple[str, list[str]]] = [
    ("NONE", []),
    ("NONE", [SLACK]),
    ("ALLOWED", [SLACK]),
    ("ALLOWED", []),
]
SERVER_OPTIONAL: list[dict[str, Any]] = [
    {},
    {"max_concurrent_jobs": 3, "releases_enabled": True, "icon_color": "BLUE"},
]
WISH_METADATA: list[dict[str, Any] | None] = [None, {}, {"tier": "gold"}, {"tier": "silver"}]
WISH_PIECES: list[list[str] | None] = [None, [], ["slack"], ["gmail", "slack"]]
WISH_OPTIONAL: list[dict[str, Any]] = [
    {},
    {"max_concurrent_jobs": 3},
    {"max_concurrent_jobs": 5, "releases_enabled": False},
    {"releases_enabled": True, "icon_color": "BLUE"},
    {"icon_color": "RED", "display_name": "Renamed"},
]


def _corpus() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(external id, server fields, wish) for every server state x wish; optional fields rotate
    so each combination of the core axes meets several of them."""
    rows = []
    axes = itertools.product(
        SERVER_METADATA, SERVER_PIECES, SERVER_OPTIONAL, WISH_METADATA, WISH_PIECES
    )
    for index, (s_meta, (s_filter, s_list), s_opt, w_meta, w_pieces) in enumerate(axes):
        server: dict[str, Any] = {
            "metadata": s_meta,
            "pieces_filter_type": s_filter,
            "pieces": s_list,
            **s_opt,
        }
        wish: dict[str, Any] = {"metadata": w_meta, "pieces": w_pieces}
        wish.update(WISH_OPTIONAL[index % len(WISH_OPTIONAL)])
        rows.append((f"t-{index:04d}", server, wish))
    return rows


CORPUS = _corpus()


def _seed(emu: Any) -> None:
    for ext, server, _ in CORPUS:
        emu.state.add_project(f"Tenant {ext}", external_id=ext, **server)


def _spec(ext: str, wish: dict[str, Any]) -> TenantSpec:
    return TenantSpec(
        external_id=ext,
        display_name=wish.get("display_name", f"Tenant {ext}"),
        **{k: v for k, v in wish.items() if k != "display_name"},
    )


def _ensure_options(wish: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in wish.items() if k != "display_name"}


def _name(ext: str, wish: dict[str, Any]) -> str:
    return str(wish.get("display_name", f"Tenant {ext}"))


def _writes(emu: Any) -> int:
    return sum(emu.requests.count(route=r) for r in ("create", "update", "delete"))


def test_corpus_covers_the_disagreements() -> None:
    """The cases the two comparisons used to disagree on are in the corpus."""
    pairs = {(repr(s["metadata"]), repr(w["metadata"])) for _, s, w in CORPUS}
    assert ("None", "{}") in pairs  # metadata {} wished, null stored
    stale = [(s, w) for _, s, w in CORPUS if s["pieces_filter_type"] == "NONE" and s["pieces"]]
    assert any(w["pieces"] is None for _, w in stale)  # all pieces wished, stale list stored
    assert len(CORPUS) >= 300


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_apply_then_plan_and_ensure_agree(activepieces_emulator: Any, flavour: str) -> None:
    emu = activepieces_emulator
    _seed(emu)
    specs = [_spec(ext, wish) for ext, _, wish in CORPUS]
    options = {"api_key": emu.api_key, "base_url": emu.url, "max_retries": 0}
    with ActivepiecesClient(**options) as client:
        first = plan(client, specs)
        assert first.has_changes
        report = apply(client, first)
        assert report.ok, report.failed[:3]
        again = plan(client, specs)
        assert not again.has_changes, [c for c in again.changes if c.action != "noop"][:3]
    before = _writes(emu)
    if flavour == "sync":
        with ActivepiecesClient(**options) as client:
            actions = [
                client.projects.ensure(ext, _name(ext, w), **_ensure_options(w)).action
                for ext, _, w in CORPUS
            ]
    else:
        async with AsyncActivepiecesClient(**options) as aclient:
            actions = [
                (await aclient.projects.ensure(ext, _name(ext, w), **_ensure_options(w))).action
                for ext, _, w in CORPUS
            ]
    assert set(actions) == {"unchanged"}
    assert _writes(emu) == before


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_ensure_then_plan_is_all_noop(activepieces_emulator: Any, flavour: str) -> None:
    emu = activepieces_emulator
    _seed(emu)
    options = {"api_key": emu.api_key, "base_url": emu.url, "max_retries": 0}
    if flavour == "sync":
        with ActivepiecesClient(**options) as client:
            for ext, _, w in CORPUS:
                client.projects.ensure(ext, _name(ext, w), **_ensure_options(w))
    else:
        async with AsyncActivepiecesClient(**options) as aclient:
            for ext, _, w in CORPUS:
                await aclient.projects.ensure(ext, _name(ext, w), **_ensure_options(w))
    with ActivepiecesClient(**options) as client:
        after = plan(client, [_spec(ext, wish) for ext, _, wish in CORPUS])
    assert not after.has_changes, [c for c in after.changes if c.action != "noop"][:3]


def test_regression_metadata_empty_against_null(activepieces_emulator: Any) -> None:
    """``metadata: {}`` against a stored null: unchanged for both (neither holds anything)."""
    emu = activepieces_emulator
    emu.state.add_project("Acme", external_id="acme", metadata=None)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        spec = TenantSpec(external_id="acme", display_name="Acme", metadata={})
        assert not plan(client, [spec]).has_changes
        assert client.projects.ensure("acme", "Acme", metadata={}).action == "unchanged"
    assert _writes(emu) == 0


def test_regression_all_pieces_against_a_stale_list(activepieces_emulator: Any) -> None:
    """Every piece wished, filter NONE with an old stored list: unchanged for both."""
    emu = activepieces_emulator
    emu.state.add_project("Acme", external_id="acme", pieces=[SLACK], pieces_filter_type="NONE")
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as client:
        assert not plan(client, [TenantSpec(external_id="acme", display_name="Acme")]).has_changes
        assert client.projects.ensure("acme", "Acme", pieces=None).action == "unchanged"
    assert _writes(emu) == 0


# ---- the server's own state, against an oracle written here (not `project_diff`) -----------
#: Every seventh tenant of the corpus: every server state meets several wishes in it.
SAMPLE = CORPUS[::7]


def _expected(ext: str, server: dict[str, Any], wish: dict[str, Any]) -> dict[str, Any]:
    """What the platform must hold once ``wish`` is applied to ``server``, spelled out from
    the rules (``docs``/the README): a field the wish leaves out keeps the server's value;
    metadata null and ``{}`` hold the same; no pieces wish means every piece (filter NONE)."""
    metadata = server["metadata"] if wish["metadata"] is None else wish["metadata"]
    if wish["pieces"] is None:
        pieces: tuple[str, list[str] | None] = ("NONE", None)  # a stale list decides nothing
    else:
        pieces = ("ALLOWED", sorted(f"@activepieces/piece-{p}" for p in wish["pieces"]))
    optional = {**server, **wish}
    return {
        "displayName": wish.get("display_name", f"Tenant {ext}"),
        "metadata": metadata or {},
        "pieces": pieces,
        "maxConcurrentJobs": optional.get("max_concurrent_jobs"),
        "releasesEnabled": bool(optional.get("releases_enabled", False)),
        "icon": optional.get("icon_color"),
    }


def _held(project: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    plan_ = project["plan"]
    listed = plan_["pieces"] if plan_["piecesFilterType"] == "ALLOWED" else None
    return {
        "displayName": project["displayName"],
        "metadata": project["metadata"] or {},
        "pieces": (plan_["piecesFilterType"], listed),
        "maxConcurrentJobs": project["maxConcurrentJobs"],
        "releasesEnabled": project["releasesEnabled"],
        # a colour never wished nor seeded is the server's pick: not compared
        "icon": project["icon"]["color"] if expected["icon"] is not None else None,
    }


def _assert_server_holds_the_wishes(emu: Any) -> None:
    by_ext = {p["externalId"]: p for p in emu.state.projects(types=["TEAM"])}
    wrong = []
    for ext, server, wish in SAMPLE:
        expected = _expected(ext, server, wish)
        held = _held(by_ext[ext], expected)
        if held != expected:
            wrong.append((ext, server, wish, held, expected))
    assert not wrong, wrong[:2]


def test_the_sample_meets_every_axis() -> None:
    assert {repr(s["metadata"]) for _, s, _ in SAMPLE} == {"None", "{}", "{'tier': 'gold'}"}
    assert {(s["pieces_filter_type"], bool(s["pieces"])) for _, s, _ in SAMPLE} == {
        ("NONE", False), ("NONE", True), ("ALLOWED", True), ("ALLOWED", False),
    }  # fmt: skip
    assert {repr(w["pieces"]) for _, _, w in SAMPLE} >= {"None", "[]", "['slack']"}
    wished = {k for _, _, w in SAMPLE for k in w}
    assert {"max_concurrent_jobs", "releases_enabled", "icon_color", "display_name"} <= wished


def test_apply_leaves_the_server_holding_every_wish(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    _seed(emu)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, max_retries=0) as client:
        report = apply(client, plan(client, [_spec(ext, wish) for ext, _, wish in SAMPLE]))
    assert report.ok, report.failed[:3]
    _assert_server_holds_the_wishes(emu)


def test_ensure_leaves_the_server_holding_every_wish(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    _seed(emu)
    with ActivepiecesClient(api_key=emu.api_key, base_url=emu.url, max_retries=0) as client:
        for ext, _, w in SAMPLE:
            client.projects.ensure(ext, _name(ext, w), **_ensure_options(w))
    _assert_server_holds_the_wishes(emu)
