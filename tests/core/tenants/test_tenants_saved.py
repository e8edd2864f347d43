"""Saved plans from Python: the dict format, its digests, and the staleness check before apply."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import pickle
import re
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
from activepieces_core.tenants import (
    PLAN_FORMAT_VERSION,
    InvalidPlanError,
    Plan,
    StaleChange,
    StalePlanError,
    TenantChange,
    aapply,
    aplan,
    apply,
    document_digest,
    find_stale,
    load_document,
    plan,
    reconcile,
)
from activepieces_core.tenants.kinds.projects import STALE_LOOKUP_MAX
from activepieces_core.tenants.saved import (
    body_digest,
    canonical_json,
    canonical_parts,
    seal,
    sealed_text,
    verify_sealed,
    verify_sealed_text,
)

SPECS = [
    {"external_id": "keep", "display_name": "Keep"},
    {"external_id": "upd", "display_name": "New name", "metadata": {"tier": "gold"}},
    {"external_id": "new", "display_name": "Brand new", "pieces": ["slack"]},
]


def _seed(emu: Any) -> dict[str, str]:
    return {
        "keep": emu.state.add_project("Keep", external_id="keep")["id"],
        "upd": emu.state.add_project("Old name", external_id="upd")["id"],
        "gone": emu.state.add_project("Gone", external_id="gone")["id"],
    }


@pytest.fixture
def pruning_plan(activepieces_emulator: Any, client: ActivepiecesClient) -> Plan:
    """A pruning plan of `SPECS` over `_seed`: one change of each action."""
    _seed(activepieces_emulator)
    return plan(client, SPECS, prune=True)


def _through_json(data: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(data))
    return loaded


def test_round_trip_keeps_everything_and_the_digest(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    _seed(activepieces_emulator)
    p = plan(client, SPECS, prune=True)
    data = _through_json(p.to_dict())
    assert data["format_version"] == PLAN_FORMAT_VERSION == 4
    assert data["digest"].startswith("sha256:")
    assert data["digest"] == body_digest(data)
    assert data["summary"] == {"create": 1, "update": 1, "delete": 1, "noop": 1}
    back = Plan.from_dict(data)
    assert back == p
    assert back.to_dict() == data
    # every change that touches an existing project records what it was planned against
    observed = {c.external_id: c.observed for c in back.changes}
    assert observed["new"] is None
    upd = observed["upd"]
    assert upd is not None
    assert upd["display_name"] == "Old name"
    assert upd["updated"]
    assert observed["gone"] is not None


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["changes"][1]["diff"]["display_name"].update(to="Evil"),
        lambda d: d["changes"].pop(),
        lambda d: d.update(prune=False),
        lambda d: d["summary"].update(delete=0),
        lambda d: d.pop("digest"),
        lambda d: d.update(digest="sha256:" + "0" * 64),
    ],
    ids=["diff", "dropped-change", "option", "summary", "no-digest", "forged-digest"],
)
def test_a_plan_edited_by_hand_is_refused(
    activepieces_emulator: Any,
    client: ActivepiecesClient,
    writes: Callable[[], int],
    edit: Callable[[dict[str, Any]], Any],
) -> None:
    _seed(activepieces_emulator)
    data = _through_json(plan(client, SPECS, prune=True).to_dict())
    edit(data)
    with pytest.raises(InvalidPlanError, match="digest"):
        Plan.from_dict(data)
    with pytest.raises(InvalidPlanError):
        apply(client, data)
    assert writes() == 0
    assert isinstance(InvalidPlanError("x"), ValueError)


def test_a_bad_plan_is_refused_before_the_job_makes_its_clients(
    activepieces_emulator: Any, client: ActivepiecesClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(activepieces_emulator)
    data = _through_json(plan(client, SPECS, prune=True).to_dict())
    data["changes"].pop()

    def no_client(*_: Any, **__: Any) -> Any:
        raise AssertionError("a client was made for a plan that is refused")

    monkeypatch.setattr(AsyncActivepiecesClient, "from_config", no_client)
    with pytest.raises(InvalidPlanError, match="digest"):
        apply(client, data)


def test_format_versions() -> None:
    data = Plan().to_dict()
    verify_sealed(data)
    newer = {**data, "format_version": PLAN_FORMAT_VERSION + 1}
    newer["digest"] = body_digest(newer)
    with pytest.raises(InvalidPlanError, match=f"format_version {PLAN_FORMAT_VERSION + 1}"):
        Plan.from_dict(newer)
    with pytest.raises(InvalidPlanError, match="format_version"):
        Plan.from_dict({"changes": []})
    # verify=False reads an unsealed dict (e.g. one built by hand in a test)
    assert Plan.from_dict({"changes": []}, verify=False) == Plan()


def test_document_digest_ignores_spelling_but_not_content(tmp_path: Any) -> None:
    yaml_doc = tmp_path / "t.yaml"
    yaml_doc.write_text(
        "# comment\ndefaults: {metadata: {a: 1}}\ntenants:\n  - {external_id: x, pieces: [slack]}\n"
    )
    csv_doc = tmp_path / "t.csv"
    csv_doc.write_text('external_id,pieces,metadata\nx,@activepieces/piece-slack,"{""a"": 1}"\n')
    a, b = load_document(yaml_doc), load_document(csv_doc)
    assert document_digest(a) == document_digest(b) == document_digest(a.tenants)
    other = load_document([{"external_id": "x", "pieces": ["gmail"], "metadata": {"a": 1}}])
    assert document_digest(other) != document_digest(a)


def test_a_server_change_between_plan_and_apply_refuses_everything(
    activepieces_emulator: Any, client: ActivepiecesClient, writes: Callable[[], int]
) -> None:
    emu = activepieces_emulator
    ids = _seed(emu)
    saved = _through_json(plan(client, SPECS, prune=True).to_dict())
    client.projects.update(ids["upd"], display_name="Changed by hand")  # changed
    client.projects.delete(ids["gone"])  # vanished
    client.projects.create("Brand new", external_id="new")  # appeared
    before = emu.state.projects(types=["TEAM"])
    emu.requests.clear()
    with pytest.raises(StalePlanError) as caught:
        apply(client, saved, archive=None)
    assert writes() == 0
    assert emu.state.projects(types=["TEAM"]) == before
    error = caught.value
    assert error.external_ids == ["upd", "new", "gone"]
    by_tenant = {s.external_id: s for s in error.stale}
    assert by_tenant["upd"].reason == "changed"
    assert set(by_tenant["upd"].fields) == {"display_name", "updated"}
    assert by_tenant["new"].reason == "appeared"
    assert by_tenant["gone"].reason == "vanished"
    for name in ("upd", "new", "gone"):
        assert name in str(error)
    assert "nothing was applied" in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert again.stale == error.stale
    assert str(again) == str(error)
    # the noop tenant "keep" is not re-read: it would not be written
    assert "keep" not in error.external_ids


def test_an_untouched_saved_plan_applies_exactly(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    emu = activepieces_emulator
    ids = _seed(emu)
    saved = _through_json(plan(client, SPECS, prune=True).to_dict())
    client.projects.update(ids["keep"], metadata={"touched": True})  # a noop tenant: irrelevant
    emu.requests.clear()
    report = apply(client, saved, archive=None)
    assert report.ok, report.to_dict()
    assert {r.external_id: r.status for r in report.results} == {
        "keep": "skipped",
        "upd": "succeeded",
        "new": "succeeded",
        "gone": "succeeded",
    }
    # few changes: one lookup each (create: by external id; update/delete: by id), then writes
    assert emu.requests.count(route="list") == 1  # the create's lookup by external id
    assert emu.requests.count(route="get") == 2
    assert not plan(client, SPECS, prune=True).has_changes


def test_check_stale_false_skips_the_re_read(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    emu = activepieces_emulator
    ids = _seed(emu)
    p = plan(client, SPECS)
    client.projects.update(ids["upd"], metadata={"x": 1})
    emu.requests.clear()
    assert apply(client, p, check_stale=False).ok
    assert emu.requests.count(route="get") == emu.requests.count(route="list") == 0
    # reconcile plans and applies at once: no re-read either
    emu.requests.clear()
    reconcile(client, [*SPECS, {"external_id": "more"}])
    assert emu.requests.count(route="get") == 0


def test_a_large_plan_is_rechecked_with_one_listing(
    activepieces_emulator: Any, client: ActivepiecesClient, writes: Callable[[], int]
) -> None:
    emu = activepieces_emulator
    n = STALE_LOOKUP_MAX + 8
    for i in range(n):
        emu.state.add_project(f"T{i}", external_id=f"t{i:03d}")
    specs = [{"external_id": f"t{i:03d}", "display_name": f"Renamed {i}"} for i in range(n)]
    specs.append({"external_id": "fresh"})
    p = plan(client, specs, page_size=10)
    victim = next(c for c in p.changes if c.external_id == "t005")
    assert victim.project_id is not None
    client.projects.update(victim.project_id, metadata={"k": "v"})
    emu.requests.clear()
    stale = find_stale(client, p, page_size=10)
    assert stale == [StaleChange("t005", "project", "changed", None, ("metadata", "updated"))]
    assert emu.requests.count(route="list") == len(emu.requests) == -(-n // 10)
    emu.requests.clear()
    with pytest.raises(StalePlanError, match="t005: project changed"):
        apply(client, p)
    assert writes() == 0
    client.projects.create("Fresh", external_id="fresh")
    assert {s.reason for s in find_stale(client, p)} == {"changed", "appeared"}


def test_dry_run_of_a_stale_plan_reports_it(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    ids = _seed(activepieces_emulator)
    p = plan(client, SPECS)
    client.projects.delete(ids["upd"])
    with pytest.raises(StalePlanError, match="upd: project vanished"):
        apply(client, p, dry_run=True)


def test_async_apply_of_a_saved_plan(activepieces_emulator: Any) -> None:
    emu = activepieces_emulator
    ids = _seed(emu)

    async def main() -> None:
        async with AsyncActivepiecesClient(api_key=emu.api_key, base_url=emu.url) as ac:
            saved = (await aplan(ac, SPECS)).to_dict()
            await ac.projects.update(ids["upd"], display_name="Moved on")
            with pytest.raises(StalePlanError):
                await aapply(ac, saved)
            fresh = (await aplan(ac, SPECS)).to_dict()
            assert (await aapply(ac, fresh)).ok

    asyncio.run(main())


def test_document_digest_is_the_documents_taken_when_first_read(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    _seed(activepieces_emulator)
    document = load_document(SPECS)
    p = plan(client, document)
    # The planner does not digest the document (a pass over every row); reading it does.
    assert p._document_digest is None
    assert p.document_digest == document_digest(document)
    data = p.to_dict()
    assert data["document_digest"] == p.document_digest
    again = Plan.from_dict(_through_json(data))
    assert again.document_digest == p.document_digest
    assert again == p
    assert p.naming("sha256:other").document_digest == "sha256:other"
    assert p.document_digest == document_digest(document)  # naming copies, never edits
    assert Plan().document_digest is None
    assert Plan().to_dict()["document_digest"] is None
    assert Plan(document_digest="sha256:given").document_digest == "sha256:given"
    pickled = pickle.loads(pickle.dumps(plan(client, document)))
    assert pickled._document is None  # the digest travels, not the document
    assert pickled.document_digest == document_digest(document)


def test_a_noop_carries_no_spec_and_no_observed_state(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    _seed(activepieces_emulator)
    p = plan(client, SPECS)
    by_id = {c.external_id: c for c in p.changes}
    assert by_id["keep"].action == "noop"
    assert by_id["keep"].spec is None
    assert by_id["keep"].observed is None
    assert by_id["keep"].project_id is not None
    assert by_id["upd"].action == "update"
    assert by_id["upd"].spec is not None
    assert by_id["upd"].observed is not None


def test_a_canonical_saved_plan_is_verified_over_its_text(pruning_plan: Plan) -> None:
    made = pruning_plan
    data = made.to_dict()
    text = sealed_text(data)
    assert text == canonical_json(data).decode() + "\n"
    for one in (made, Plan()):  # written a change at a time: the same text
        out = io.StringIO()
        one.write(out)
        assert out.getvalue() == sealed_text(one.to_dict())
    verify_sealed_text(text, json.loads(text))  # intact: accepted
    # An edit of the text is refused, however the digest is found.
    edited = text.replace('"New name"', '"Other name"', 1)
    assert edited != text
    with pytest.raises(InvalidPlanError, match="digest"):
        verify_sealed_text(edited, json.loads(edited))
    # Text that is not canonical (indented) is checked in full: intact is accepted...
    indented = json.dumps(data, indent=2)
    verify_sealed_text(indented, json.loads(indented))
    # ... and the format version is checked on the short path too.
    newer = {**data, "format_version": PLAN_FORMAT_VERSION + 1}
    newer["digest"] = body_digest(newer)
    with pytest.raises(InvalidPlanError, match=f"format_version {PLAN_FORMAT_VERSION + 1}"):
        verify_sealed_text(sealed_text(newer), newer)


def _format_1(made: Plan) -> dict[str, Any]:
    """``made`` as format 1 saved it: every field of every change, nulls and label included."""
    data = made.model_dump(mode="json")
    data["format_version"] = 1
    data["document_digest"] = made.document_digest
    return seal(data)


def test_format_2_leaves_out_what_reading_back_restores(pruning_plan: Plan) -> None:
    made = pruning_plan
    data = made.to_dict()
    for change in data["changes"]:
        assert "label" not in change
        assert None not in change.values(), change
        assert change.get("diff", True), change
        assert change.get("data", True), change
        assert None not in (change.get("spec") or {}).values(), change
    create = next(c for c in data["changes"] if c["action"] == "create")
    assert "observed" not in create  # planned against nothing: read back as None
    assert len(canonical_json(data)) < 0.75 * len(canonical_json(_format_1(made)))
    assert Plan.from_dict(data) == made


def test_a_format_1_plan_is_still_read_and_saved_again_in_the_current_format(
    pruning_plan: Plan,
) -> None:
    made = pruning_plan
    old = _through_json(_format_1(made))
    assert old["changes"][0]["label"] == "project"
    assert "spec" in old["changes"][0]
    for back in (Plan.from_dict(old), Plan.from_text(sealed_text(old))):
        assert back is not None
        assert back.format_version == 1
        assert back.changes == made.changes
        assert back.to_dict() == made.to_dict()  # saved again: the current format
    edited = _through_json(old)
    edited["changes"][0]["display_name"] = "Evil"
    with pytest.raises(InvalidPlanError, match="digest"):
        Plan.from_dict(edited)


def test_format_3_leaves_the_people_out_of_project_specs_and_format_2_is_still_read(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    rows = {
        "defaults": {"member_role": "Admin"},
        "tenants": [{"external_id": "new", "members": ["ada@new.example"]}],
    }
    made = plan(client, rows)
    data = _through_json(made.to_dict())
    create = data["changes"][0]
    assert (create["kind"], create["action"]) == ("project", "create")
    assert "members" not in create["spec"]
    assert "member_role" not in create["spec"]
    assert [c["key"] for c in data["changes"][1:]] == ["ada@new.example"]  # its own change
    back = Plan.from_text(sealed_text(data))
    assert back is not None
    assert back.changes[0].spec is not None
    assert back.changes[0].spec.members is None
    assert back.changes[1:] == made.changes[1:]
    # A format 2 file held the people in the spec: read as it was written, saved as format 3.
    old = made.model_dump(mode="json", exclude_none=True, exclude={"label"})
    old.update(format_version=2, document_digest=made.document_digest)
    old = _through_json(seal(old))
    assert old["changes"][0]["spec"]["members"] == [{"email": "ada@new.example"}]
    for two in (Plan.from_dict(old), Plan.from_text(sealed_text(old))):
        assert two is not None
        assert two.format_version == 2
        assert two.changes == made.changes
        assert two.to_dict() == data
    edited = _through_json(old)
    edited["changes"][0]["spec"]["members"][0]["email"] = "eve@new.example"
    with pytest.raises(InvalidPlanError, match="digest"):
        Plan.from_dict(edited)


def test_a_canonical_text_is_read_a_change_at_a_time_and_any_edit_is_refused(
    pruning_plan: Plan,
) -> None:
    made = pruning_plan
    text = sealed_text(made.to_dict())
    parts = canonical_parts(text)
    assert parts is not None
    rest, changes = parts
    assert "changes" not in rest
    assert rest["digest"] == made.to_dict()["digest"]
    assert len(changes) == len(made.changes)
    back = Plan.from_text(text)
    assert back == made
    again = canonical_parts(text + "\n\n")  # final newlines are no part of what is hashed
    assert again is not None
    assert Plan.from_parts(*again) == made  # what `tenants apply` builds once the text is let go
    assert again[1] == [None] * len(made.changes)  # each change's dict let go once built
    # The file's bytes, as `tenants apply PLAN.json` reads them: the same plan, the same checks.
    raw = text.encode("utf-8")
    from_bytes = canonical_parts(raw + b"\n")
    assert from_bytes is not None
    assert Plan.from_parts(*from_bytes) == made
    assert canonical_parts(raw.replace(b'"New name"', b'"Other name"', 1)) is None
    not_utf8 = raw.rstrip(b"\n").replace(b'"New name"', b'"New \xff"', 1)
    member = re.search(rb',"digest":"sha256:[0-9a-f]{64}"', not_utf8)
    assert member is not None
    body = not_utf8[: member.start()] + not_utf8[member.end() :]
    resealed = (
        body[: member.start()]
        + b',"digest":"sha256:'
        + (hashlib.sha256(body).hexdigest().encode() + b'"' + body[member.start() :])
    )
    with pytest.raises(InvalidPlanError, match="not JSON"):  # its digest holds: refused
        canonical_parts(resealed)
    # Parsed with a string cache: what every change repeats is one string, not one per change.
    assert len({id(change.kind) for change in back.changes}) == 1
    # Any one byte changed (here: each of a few positions) is no longer the canonical text
    # of its digest; the full check then refuses it, whatever the byte.
    for at in range(1, len(text) - 1, max(1, len(text) // 40)):
        edited = text[:at] + ("0" if text[at] != "0" else "1") + text[at + 1 :]
        assert canonical_parts(edited) is None
        assert Plan.from_text(edited) is None
        try:
            data = json.loads(edited)
        except ValueError:
            continue  # not even JSON: no plan at all
        with pytest.raises(InvalidPlanError):
            verify_sealed_text(edited, data)
    # A newer format is refused on this path too.
    newer = {**made.to_dict(), "format_version": PLAN_FORMAT_VERSION + 1}
    with pytest.raises(InvalidPlanError, match=f"format_version {PLAN_FORMAT_VERSION + 1}"):
        canonical_parts(sealed_text(seal(newer)))
    assert canonical_parts("{}") is None
    assert canonical_parts(sealed_text(Plan().to_dict())) is not None  # no changes at all


def test_a_document_digest_is_the_canonical_json_of_its_rows(tmp_path: Any) -> None:
    # Hashed a row at a time, it must stay the digest of the whole body's canonical JSON (the
    # digest every saved plan records): the same bytes, streamed.
    folders = [{"externalId": "ops", "displayName": "Ops", "displayOrder": 0}]
    state = {"schemaVersion": 1, "sourceActivepiecesVersion": "0.70.0", "folders": folders}
    (tmp_path / "t.json").write_text(json.dumps(state))
    source = {
        "piece_sets": [{"key": "gold", "allow": ["slack"]}],
        "tenants": [
            {"external_id": "a", "piece_set": "gold", "members": ["x@a.example"]},
            {"external_id": "b", "metadata": {"é": [1, None]}, "template": "t.json"},
        ],
    }
    (tmp_path / "doc.json").write_text(json.dumps(source))
    document = load_document(tmp_path / "doc.json")
    assert document.templates
    body = {
        "tenants": [spec.model_dump(mode="json") for spec in document.tenants],
        "piece_sets": [s.model_dump(mode="json") for s in document.piece_sets],
        "templates": {name: state.to_body() for name, state in document.templates.items()},
    }
    whole = "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()
    assert document_digest(document) == whole
    assert (
        document_digest(load_document([]))
        == "sha256:" + hashlib.sha256(canonical_json({"piece_sets": [], "tenants": []})).hexdigest()
    )


def _format_3(data: dict[str, Any]) -> dict[str, Any]:
    """A format 4 plan dict as format 3 saved it: every change with its own values."""
    old = _through_json(data)
    for name, flat in old.pop("shared").items():
        for index, first in zip(flat[0::2], flat[1::2], strict=True):
            old["changes"][index][name] = old["changes"][first][name]
    old["format_version"] = 3
    return _through_json(seal(old))  # each change's own values, as a file holds them


def _resealed(data: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> str:
    """``data`` edited and sealed again, as canonical text: only the reading checks catch it."""
    edited = _through_json(data)
    edit(edited)
    return sealed_text(seal(edited))


def test_format_4_writes_a_value_many_changes_share_once_and_format_3_is_still_read(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    rows = [
        {"external_id": f"t{i}", "members": [f"a{i}@t.example:Admin", f"e{i}@t.example"]}
        for i in range(3)
    ]
    made = plan(client, rows)
    data = _through_json(made.to_dict())
    assert data["format_version"] == 4
    members = [i for i, c in enumerate(made.changes) if c.kind == "member"]
    admins = [i for i in members if made.changes[i].data == {"role": "Admin"}]
    # Each admin's diff and data are written with the first admin only.
    first = admins[0]
    for name in ("diff", "data"):
        flat = data["shared"][name]
        pairs = set(zip(flat[0::2], flat[1::2], strict=True))
        assert {(i, first) for i in admins[1:]} <= pairs
        assert name in data["changes"][first]
        assert all(name not in data["changes"][i] for i in admins[1:])
    old = _format_3(data)
    assert len(canonical_json(data)) < len(canonical_json(old))
    # Read as `tenants apply PLAN.json` reads it, as from_dict does, and as pydantic does
    # (a plan inside another model); the last two leave the caller's dict as it was.
    given = json.dumps(data)
    for back in (
        Plan.from_text(sealed_text(data)),
        Plan.from_dict(data),
        Plan.model_validate(data),
    ):
        assert back is not None
        assert [back.changes[i] for i in members] == [made.changes[i] for i in members]
        assert back.to_dict() == data  # the projects' specs too (their people left out)
        for i in admins[1:]:  # read back as one object, as it was planned
            assert back.changes[i].diff is back.changes[first].diff
            assert back.changes[i].data is back.changes[first].data
            # ... and set, as in the change that wrote it
            assert back.changes[i].model_fields_set == back.changes[first].model_fields_set
            assert {"diff", "data"} <= back.changes[i].model_fields_set
    assert json.dumps(data) == given
    # A change that shares its diff but has no data of its own: its fields set says so.
    last = admins[-1]

    def no_data(plan: dict[str, Any]) -> None:
        flat = plan["shared"]["data"]
        pairs = [(i, j) for i, j in zip(flat[0::2], flat[1::2], strict=True) if i != last]
        plan["shared"]["data"] = [n for pair in pairs for n in pair]

    only_diff = Plan.from_text(_resealed(data, no_data))
    assert only_diff is not None
    assert only_diff.changes[last].diff is only_diff.changes[first].diff
    assert only_diff.changes[last].data == {}
    assert "diff" in only_diff.changes[last].model_fields_set
    assert "data" not in only_diff.changes[last].model_fields_set
    # Format 3 held each change's own values: read as written, saved again as format 4.
    for three in (Plan.from_dict(old), Plan.from_text(sealed_text(old))):
        assert three is not None
        assert three.format_version == 3
        assert [three.changes[i] for i in members] == [made.changes[i] for i in members]
        again = three.to_dict()  # the same changes, as format 4 (its own copies: none shared)
        assert again["format_version"] == 4
        assert again["changes"] == _format_3(data)["changes"]
    # ``shared`` is under the digest: an edit of it is refused.
    text = sealed_text(data)
    pair = ',"diff":[' + ",".join(map(str, data["shared"]["diff"][:2]))
    edited = text.replace(pair, pair[:-1] + str(int(pair[-1]) + 1), 1)
    assert edited != text
    assert Plan.from_text(edited) is None
    with pytest.raises(InvalidPlanError, match="digest"):
        verify_sealed(json.loads(edited))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value

    return edit


def test_a_resealed_plan_that_is_not_one_is_refused_with_what_is_wrong(
    activepieces_emulator: Any, client: ActivepiecesClient
) -> None:
    rows = [{"external_id": f"t{i}", "members": [f"a{i}@t.example:Admin"]} for i in range(3)]
    made = plan(client, rows)
    data = _through_json(made.to_dict())
    later, earlier = data["shared"]["diff"][:2]
    own = data["changes"][earlier]["diff"]
    for edit, message in (
        (_set("changes/1/action", "bogus"), "change 1, action: Input should be"),
        (_set("shared/diff", [earlier, later]), "not an earlier change"),  # backwards
        (_set("shared/diff", [later, later]), "not an earlier change"),
        (_set("shared/diff", [len(data["changes"]), earlier]), "not an earlier change"),
        (_set("shared/diff", [later, -1]), "not an earlier change"),
        (_set("shared/diff", [later]), "not a list of pairs"),
        (_set("shared/diff", [later, "0"]), "not a list of pairs"),
        (_set("shared/spec", []), "maps fields among"),
        (_set(f"changes/{later}/diff", own), f"change {later} has its own 'diff'"),
        (_set(f"changes/{later}/diff", []), f"change {later} has its own 'diff'"),
        (_set("shared/diff", [later, earlier] * 2), f"change {later} has its own 'diff'"),
        (_set(f"changes/{later}", [own]), f"change {later} is not a JSON object"),
        (_set("changes/0/diff", {"display_name": "x"}), "change 0, diff: each field's change"),
        (_set("changes/0/data", ["x"]), "change 0, data: Input should be"),
    ):
        text = _resealed(data, edit)
        with pytest.raises(InvalidPlanError, match=message):
            Plan.from_text(text)  # the path of `tenants apply PLAN.json`
        if "Input should be" not in message:  # the dict path: pydantic's own error for that
            with pytest.raises(InvalidPlanError, match=message):
                Plan.from_dict(json.loads(text))


def test_a_changes_dicts_are_held_as_given_from_python_and_validated_from_json() -> None:
    # Held, not copied (a saved plan's parsed dicts are only its own; copies were 0.4 s to
    # make at 100,000 tenants), still checked to be dicts; JSON is validated as typed.
    diff = {"display_name": {"from": None, "to": "A"}}
    change = TenantChange.model_validate(
        {"external_id": "a", "action": "create", "diff": diff, "data": diff, "observed": diff}
    )
    assert change.diff is diff
    assert change.data is diff
    assert change.observed is diff
    with pytest.raises(ValidationError, match="instance of dict"):
        TenantChange.model_validate({"external_id": "a", "action": "create", "diff": [1]})
    with pytest.raises(ValidationError, match=r"diff\.display_name"):
        TenantChange.model_validate_json(
            '{"external_id": "a", "action": "create", "diff": {"display_name": 1}}'
        )
    assert TenantChange.model_validate_json(change.model_dump_json()) == change
