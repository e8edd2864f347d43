"""Operators for piece sets: ensure one, assign one to a project, delete one.

Piece sets decide which pieces a project sees on platforms whose plan has
``managePiecesEnabled`` (Activepieces EE/Cloud, 2026); elsewhere the project's own plan does
(``ActivepiecesSyncPiecesOperator``). On such a legacy platform these operators fail with
`PieceSetsNotEnabledError`. A tenant document can declare and assign sets too
(``ActivepiecesSyncTenantsOperator``); a tenant it manages goes back to its document's set on
the next sync.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from activepieces_core.parsing import exactly_one, is_blank
from activepieces_provider.exceptions import PieceSetNotFoundError, PieceSetsNotEnabledError
from activepieces_provider.links.projects import ActivepiecesProjectLink
from activepieces_provider.operators._base import (
    ActivepiecesBaseOperator,
    ActivepiecesProjectOperator,
    argument_bool,
    text_list,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from activepieces_core import ActivepiecesClient
    from activepieces_core.models.piece_set import PieceSelection, PieceSet

#: The key of every platform's Default set (new projects start on it).
DEFAULT_SET_KEY = "default"


@contextmanager
def _piece_sets_enabled() -> Iterator[None]:
    """Turn the server's FEATURE_DISABLED into an error that says what to do instead."""
    from activepieces_core.errors import FeatureDisabledError, QuotaExceededError

    try:
        yield
    except QuotaExceededError:
        raise
    except FeatureDisabledError as exc:
        raise PieceSetsNotEnabledError(
            "piece sets are not enabled on this platform (its plan has no managePiecesEnabled): "
            "projects' pieces come from their own plan here; use ActivepiecesSyncPiecesOperator "
            f"or a tenant's pieces instead ({exc})"
        ) from exc


def _piece_names(value: Any) -> list[str] | None:
    """``allow``/``block`` argument: None (or blank / rendered "None") = not given; else names."""
    if is_blank(value) or (isinstance(value, str) and value.strip() == "None"):
        return None
    return text_list(value) or []


def _find_set(
    client: ActivepiecesClient, key: str | None, piece_set_id: str | None
) -> PieceSet | None:
    """The set by id (404 -> None) or by key."""
    from activepieces_core.errors import NotFoundError

    if piece_set_id:
        try:
            return client.piece_sets.get(piece_set_id)
        except NotFoundError:
            return None
    return client.piece_sets.get_by_key(str(key))


class ActivepiecesEnsurePieceSetOperator(ActivepiecesBaseOperator):
    """Create a piece set by key, or converge its name and pieces (never a duplicate).

    :param key: the set's key (unique per platform); an existing set with it is reused.
    :param name: display name (default: ``key``).
    :param allow: show only these pieces (``exclude_all`` + exceptions; new pieces stay hidden).
    :param block: show every piece but these (``include_all`` + exceptions).
        Give at most one of ``allow`` / ``block`` (a list, JSON or comma-separated text; short
        names like ``"slack"`` are expanded); neither leaves the pieces as they are.
    :param if_exists: ``"update"`` (converge), ``"return"`` (leave it) or ``"fail"``.
    :return: ``{"action": "created"|"updated"|"unchanged", "pieceSet": {...}}``.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "key",
        "name",
        "allow",
        "block",
        "if_exists",
    )
    template_fields_renderers = {"allow": "json", "block": "json"}

    def __init__(
        self,
        *,
        key: str,
        name: str | None = None,
        allow: Sequence[str] | str | None = None,
        block: Sequence[str] | str | None = None,
        if_exists: str = "update",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.key = key
        self.name = name
        self.allow = allow
        self.block = block
        self.if_exists = if_exists

    def selection(self) -> PieceSelection | None:
        """The wanted pieces (None: unmanaged); ``ValueError`` for both allow and block."""
        from activepieces_core.models.piece_set import PieceSelection

        allow, block = _piece_names(self.allow), _piece_names(self.block)
        if allow is not None and block is not None:
            raise ValueError("give allow or block, not both")
        if allow is not None:
            return PieceSelection.allow(allow)
        return PieceSelection.block(block) if block is not None else None

    def execute(self, context: Context) -> dict[str, Any]:
        pieces = self.selection()
        key = str(self.key).strip()
        with self.client() as client, _piece_sets_enabled():
            result = client.piece_sets.ensure(
                key, str(self.name or key), pieces=pieces, if_exists=self.if_exists
            )
        self.log.info("Piece set %s (key %s): %s", result.piece_set.id, key, result.action)
        return result.to_dict()


class ActivepiecesAssignPieceSetOperator(ActivepiecesProjectOperator):
    """Put a project on a piece set (``piece_set_key="default"``: back to the Default set).

    No write when the project is already on it. Shows the project's extra link.

    :param project_id: project id (or give ``external_id``).
    :param external_id: external id of the project.
    :param piece_set_key: key of the set (or give ``piece_set_id``).
    :param piece_set_id: id of the set.
    :return: ``{"changed", "projectId", "externalId", "pieceSet": {...}, "previousPieceSetId"}``.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesProjectOperator.template_fields,
        "piece_set_key",
        "piece_set_id",
    )
    operator_extra_links = (ActivepiecesProjectLink(),)

    def __init__(
        self, *, piece_set_key: str | None = None, piece_set_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.piece_set_key = piece_set_key
        self.piece_set_id = piece_set_id

    def execute(self, context: Context) -> dict[str, Any]:
        self.check_target()
        exactly_one(piece_set_key=self.piece_set_key, piece_set_id=self.piece_set_id)
        key = None if is_blank(self.piece_set_key) else str(self.piece_set_key).strip()
        with self.client() as client, _piece_sets_enabled():
            project = self.require_target(client)
            current = client.piece_sets.for_project(project)
            if key == DEFAULT_SET_KEY:
                changed = not current.is_default
                if changed:
                    client.piece_sets.unassign(current, project)
                target = client.piece_sets.for_project(project) if changed else current
            else:
                found = _find_set(client, key, self.piece_set_id or None)
                if found is None:
                    raise PieceSetNotFoundError(key=key, piece_set_id=self.piece_set_id)
                target = found
                changed = target.id != current.id
                if changed:
                    client.piece_sets.assign(target, [project])
        self.log.info(
            "Project %s %s piece set %s (%s)",
            project.id,
            "moved to" if changed else "already on",
            target.key or target.id,
            f"was {current.key or current.id}" if changed else "no write",
        )
        self.push_project_link(context, project.id)
        return {
            "changed": changed,
            "projectId": project.id,
            "externalId": project.external_id,
            "pieceSet": target.to_dict(),
            "previousPieceSetId": current.id,
        }


class ActivepiecesDeletePieceSetOperator(ActivepiecesBaseOperator):
    """Delete a piece set by key or id; its projects move to the Default set.

    :param piece_set_key: key of the set (or give ``piece_set_id``).
    :param piece_set_id: id of the set.
    :param missing_ok: succeed (``deleted: false``) when there is no such set.
    :return: ``{"deleted": bool, "pieceSetId": ..., "key": ...}``.
    :raises ValueError: for the platform's Default set, which cannot be deleted.
    """

    template_fields: Sequence[str] = (
        *ActivepiecesBaseOperator.template_fields,
        "piece_set_key",
        "piece_set_id",
    )

    def __init__(
        self,
        *,
        piece_set_key: str | None = None,
        piece_set_id: str | None = None,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.piece_set_key = piece_set_key
        self.piece_set_id = piece_set_id
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> dict[str, Any]:
        missing_ok = argument_bool("missing_ok", self.missing_ok)
        exactly_one(piece_set_key=self.piece_set_key, piece_set_id=self.piece_set_id)
        key = None if is_blank(self.piece_set_key) else str(self.piece_set_key).strip()
        if key == DEFAULT_SET_KEY:
            raise ValueError("the platform's Default piece set cannot be deleted")
        with self.client() as client, _piece_sets_enabled():
            target = _find_set(client, key, self.piece_set_id or None)
            if target is None:
                if not missing_ok:
                    raise PieceSetNotFoundError(key=key, piece_set_id=self.piece_set_id)
                self.log.info("Piece set %s: absent", key or self.piece_set_id)
                return {"deleted": False, "pieceSetId": self.piece_set_id, "key": key}
            if target.is_default:
                raise ValueError("the platform's Default piece set cannot be deleted")
            client.piece_sets.delete(target)
        self.log.info("Piece set %s (key %s): deleted", target.id, target.key)
        return {"deleted": True, "pieceSetId": target.id, "key": target.key}
