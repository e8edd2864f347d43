"""Piece-set and people operators against the emulator over real HTTP.

What a project can see is asked of the emulator (``visible_pieces``), and who is in a project
of its people store, never read back from what the operators returned.
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from activepieces_core.errors import ActivepiecesError, NotFoundError
from activepieces_core.testing.piece_sets import PIECE_CATALOG
from activepieces_provider.exceptions import (
    MemberNotFoundError,
    PieceSetNotFoundError,
    PieceSetsNotEnabledError,
    ProjectNotFoundError,
)
from activepieces_provider.links.projects import PROJECT_URL_XCOM_KEY
from activepieces_provider.operators.members import (
    ActivepiecesInviteMemberOperator,
    ActivepiecesRemoveMemberOperator,
)
from activepieces_provider.operators.piece_sets import (
    ActivepiecesAssignPieceSetOperator,
    ActivepiecesDeletePieceSetOperator,
    ActivepiecesEnsurePieceSetOperator,
)

SLACK, GMAIL, OPENAI = (f"@activepieces/piece-{n}" for n in ("slack", "gmail", "openai"))


@pytest.fixture
def platform(emulator: Any) -> Any:
    """A piece-set platform (``managePiecesEnabled``) with one tenant project."""
    emulator.state.configure_platform(manage_pieces_enabled=True)
    emulator.state.add_project("Acme", external_id="acme")
    return emulator


def _project(emu: Any, external_id: str = "acme") -> dict[str, Any]:
    return next(p for p in emu.state.projects() if p.get("externalId") == external_id)


def _sets(emu: Any) -> dict[str, dict[str, Any]]:
    return {s.get("key") or "": s for s in emu.state.piece_sets.all()}


def _writes(emu: Any) -> list[str]:
    return [r.route for r in emu.requests if r.method != "GET"]


# ---------------------------------------------------------------- piece sets


def test_ensure_piece_set_creates_converges_and_never_duplicates(
    platform: Any, context: dict[str, Any]
) -> None:
    emu = platform
    created = ActivepiecesEnsurePieceSetOperator(
        task_id="e", key="gold", name="Gold tier", allow='["slack", "gmail"]'
    ).execute(context)
    assert json.loads(json.dumps(created)) == created
    assert created["action"] == "created"
    stored = _sets(emu)["gold"]
    assert stored["name"] == "Gold tier"
    assert stored["config"]["pieces"] == {"mode": "exclude_all", "exceptions": [GMAIL, SLACK]}

    emu.requests.clear()
    again = ActivepiecesEnsurePieceSetOperator(
        task_id="e", key="gold", name="Gold tier", allow="gmail, slack"
    ).execute(context)
    assert again["action"] == "unchanged"
    assert _writes(emu) == []

    blocked = ActivepiecesEnsurePieceSetOperator(
        task_id="e", key="gold", name="Gold tier", block=["openai"]
    ).execute(context)
    assert blocked["action"] == "updated"
    assert _sets(emu)["gold"]["config"]["pieces"] == {"mode": "include_all", "exceptions": [OPENAI]}
    renamed = ActivepiecesEnsurePieceSetOperator(task_id="e", key="gold", name="Gold").execute(
        context
    )  # no allow/block: the pieces are left as they are
    assert renamed["pieceSet"]["config"]["pieces"]["exceptions"] == [OPENAI]
    assert [s for s in _sets(emu) if s == "gold"] == ["gold"]

    with pytest.raises(ValueError, match="allow or block, not both"):
        ActivepiecesEnsurePieceSetOperator(
            task_id="e", key="x", allow=["slack"], block=["gmail"]
        ).execute(context)
    # A template that rendered to "None" means "not given", not a piece called None.
    none = ActivepiecesEnsurePieceSetOperator(task_id="e", key="plain", allow="None")
    assert none.selection() is None


def test_assign_piece_set_changes_what_the_project_sees(
    platform: Any, context: dict[str, Any]
) -> None:
    emu = platform
    project_id = _project(emu)["id"]
    assert sorted(emu.state.visible_pieces(project_id)) == sorted(PIECE_CATALOG)
    gold = ActivepiecesEnsurePieceSetOperator(task_id="e", key="gold", allow=["slack"]).execute(
        context
    )

    moved = ActivepiecesAssignPieceSetOperator(
        task_id="a", external_id="acme", piece_set_key="gold"
    ).execute(context)
    assert json.loads(json.dumps(moved)) == moved
    assert moved["changed"] is True
    assert moved["pieceSet"]["id"] == gold["pieceSet"]["id"]
    assert emu.state.visible_pieces(project_id) == [SLACK]
    assert context["ti"].pushed[PROJECT_URL_XCOM_KEY] == (
        f"{emu.base_url}/projects/{project_id}/flows"
    )

    emu.requests.clear()
    same = ActivepiecesAssignPieceSetOperator(
        task_id="a", project_id=project_id, piece_set_id=gold["pieceSet"]["id"]
    ).execute(context)
    assert same["changed"] is False
    assert _writes(emu) == []

    back = ActivepiecesAssignPieceSetOperator(
        task_id="a", external_id="acme", piece_set_key="default"
    ).execute(context)
    assert back["changed"] is True
    assert back["pieceSet"]["isDefault"] is True
    assert back["previousPieceSetId"] == gold["pieceSet"]["id"]
    assert sorted(emu.state.visible_pieces(project_id)) == sorted(PIECE_CATALOG)

    with pytest.raises(PieceSetNotFoundError, match="no Activepieces piece set with key 'nope'"):
        ActivepiecesAssignPieceSetOperator(
            task_id="a", external_id="acme", piece_set_key="nope"
        ).execute(context)
    with pytest.raises(ProjectNotFoundError):
        ActivepiecesAssignPieceSetOperator(
            task_id="a", external_id="ghost", piece_set_key="gold"
        ).execute(context)
    with pytest.raises(ValueError, match="exactly one of piece_set_key or piece_set_id"):
        ActivepiecesAssignPieceSetOperator(task_id="a", external_id="acme").execute(context)


def test_delete_piece_set_moves_its_projects_to_default(
    platform: Any, context: dict[str, Any]
) -> None:
    emu = platform
    project_id = _project(emu)["id"]
    ActivepiecesEnsurePieceSetOperator(task_id="e", key="gold", allow=["slack"]).execute(context)
    ActivepiecesAssignPieceSetOperator(
        task_id="a", external_id="acme", piece_set_key="gold"
    ).execute(context)

    gone = ActivepiecesDeletePieceSetOperator(task_id="d", piece_set_key="gold").execute(context)
    assert gone["deleted"] is True
    assert gone["key"] == "gold"
    assert "gold" not in _sets(emu)
    assert sorted(emu.state.visible_pieces(project_id)) == sorted(PIECE_CATALOG)

    absent = ActivepiecesDeletePieceSetOperator(
        task_id="d", piece_set_key="gold", missing_ok="true"
    ).execute(context)
    assert absent == {"deleted": False, "pieceSetId": None, "key": "gold"}
    with pytest.raises(PieceSetNotFoundError):
        ActivepiecesDeletePieceSetOperator(task_id="d", piece_set_id="no-such-id").execute(context)
    emu.requests.clear()
    with pytest.raises(ValueError, match="Default piece set cannot be deleted"):
        ActivepiecesDeletePieceSetOperator(task_id="d", piece_set_key="default").execute(context)
    assert list(emu.requests) == []  # refused before anything was sent


def test_piece_set_operators_on_a_legacy_platform_say_what_to_use(
    emulator: Any, context: dict[str, Any]
) -> None:
    """Without ``managePiecesEnabled`` the server answers FEATURE_DISABLED (402)."""
    emulator.state.add_project("Acme", external_id="acme")
    with pytest.raises(PieceSetsNotEnabledError, match="ActivepiecesSyncPiecesOperator") as err:
        ActivepiecesEnsurePieceSetOperator(task_id="e", key="gold", allow=["slack"]).execute(
            context
        )
    assert isinstance(err.value, ActivepiecesError)
    assert emulator.state.piece_sets.all() == []
    with pytest.raises(PieceSetsNotEnabledError):
        ActivepiecesAssignPieceSetOperator(
            task_id="a", external_id="acme", piece_set_key="gold"
        ).execute(context)


# ---------------------------------------------------------------- people


def _people(emu: Any, project_id: str) -> dict[str, str]:
    people = {
        m["user"]["email"]: m["projectRole"]["name"] for m in emu.state.people.members(project_id)
    }
    for inv in emu.state.people.invitations():
        if inv.get("projectId") == project_id:
            people.setdefault(inv["email"], inv["projectRole"]["name"])
    return people


def test_invite_member_converges_and_keeps_the_link_secret(
    emulator: Any, context: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    emu = emulator
    # Invitations wait for their link here, so the server's answers carry that secret link.
    emu.state.configure_platform(invitations_auto_accept=False)
    emu.state.add_project("Acme", external_id="acme")
    emu.state.people.add_user("ops@acme.example")
    project_id = _project(emu)["id"]

    invited = ActivepiecesInviteMemberOperator(
        task_id="i", external_id="acme", email=" Dev@Acme.example ", role="Viewer"
    ).execute(context)
    logged = capfd.readouterr().out
    assert "dev@acme.example in project" in logged  # the task's log is what is checked below
    assert invited["action"] == "invited"
    assert invited["email"] == "dev@acme.example"
    assert _people(emu, project_id) == {"dev@acme.example": "Viewer"}
    link_token = "token="
    assert link_token not in json.dumps(invited)
    assert link_token not in repr(context["ti"].pushed)
    assert link_token not in logged
    assert emu.api_key not in logged

    emu.requests.clear()
    same = ActivepiecesInviteMemberOperator(
        task_id="i", external_id="acme", email="dev@acme.example", role="Viewer"
    ).execute(context)
    assert same["action"] == "unchanged"
    assert _writes(emu) == []
    promoted = ActivepiecesInviteMemberOperator(
        task_id="i", project_id=project_id, email="dev@acme.example", role="Admin"
    ).execute(context)
    assert promoted["action"] == "invitation_updated"
    assert _people(emu, project_id) == {"dev@acme.example": "Admin"}
    assert context["ti"].pushed[PROJECT_URL_XCOM_KEY].endswith(f"/projects/{project_id}/flows")

    emu.requests.clear()
    with pytest.raises(ActivepiecesError, match="Owner"):
        ActivepiecesInviteMemberOperator(
            task_id="i", external_id="acme", email="x@acme.example", role="Owner"
        ).execute(context)
    assert _writes(emu) == []  # the unknown role was refused before anything was sent


def test_invite_existing_user_becomes_member_and_remove(
    emulator: Any, context: dict[str, Any]
) -> None:
    emu = emulator  # API-key invitations are accepted at once (upstream's default)
    emu.state.add_project("Acme", external_id="acme")
    emu.state.people.add_user("ops@acme.example")
    project_id = _project(emu)["id"]
    result = ActivepiecesInviteMemberOperator(
        task_id="i", external_id="acme", email="ops@acme.example"
    ).execute(context)
    assert (result["role"], result["action"]) == ("Editor", "invited")
    assert [m["user"]["email"] for m in emu.state.people.members(project_id)] == [
        "ops@acme.example"
    ]

    removed = ActivepiecesRemoveMemberOperator(
        task_id="r", external_id="acme", email="ops@acme.example"
    ).execute(context)
    assert removed["action"] == "removed"
    assert removed["removedMember"] is True
    assert _people(emu, project_id) == {}
    assert emu.state.people.user_by_email("ops@acme.example") is not None  # still on the platform

    again = ActivepiecesRemoveMemberOperator(
        task_id="r", external_id="acme", email="ops@acme.example"
    ).execute(context)
    assert again["action"] == "absent"
    with pytest.raises(MemberNotFoundError, match=r"ops@acme\.example is not in project") as err:
        ActivepiecesRemoveMemberOperator(
            task_id="r", external_id="acme", email="ops@acme.example", missing_ok=False
        ).execute(context)
    copy = pickle.loads(pickle.dumps(err.value))
    assert (copy.email, copy.project_id) == ("ops@acme.example", project_id)
    with pytest.raises(ProjectNotFoundError):
        ActivepiecesRemoveMemberOperator(
            task_id="r", external_id="ghost", email="ops@acme.example"
        ).execute(context)


def test_new_errors_are_core_errors_and_pickle() -> None:
    error = pickle.loads(pickle.dumps(PieceSetNotFoundError(key="gold")))
    assert isinstance(error, ActivepiecesError)
    assert (error.key, str(error)) == ("gold", "no Activepieces piece set with key 'gold'")
    assert issubclass(PieceSetsNotEnabledError, ActivepiecesError)
    assert not issubclass(NotFoundError, PieceSetNotFoundError)
