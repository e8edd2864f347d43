"""Piece sets (``/v1/piece-sets``): tolerant response models and strict request bodies.

A piece set's ``config.pieces`` is ``{mode, exceptions}``: ``include_all`` shows every piece
(present and future) except the exceptions; ``exclude_all`` shows only the exceptions. Older
servers (spring 2026) call ``key`` ``externalId``; both spellings are read. Upstream
provenance: ``docs/piece-sets.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Annotated, Any

from pydantic import AliasChoices, Field

from activepieces_core.models.enums import LEFT_TO_RIGHT, enum_value, member_or_raw
from activepieces_core.models.project import APIModel
from activepieces_core.models.requests import _Request
from activepieces_core.pieces import normalize_pieces

__all__ = [
    "AssignProjectsRequest",
    "CreatePieceSetRequest",
    "DuplicatePieceSetRequest",
    "PieceSelection",
    "PieceSelectionMode",
    "PieceSelectionRequest",
    "PieceSet",
    "PieceSetConfig",
    "PiecesMechanism",
    "RequiredActions",
    "UpdatePieceSetRequest",
]


class PieceSelectionMode(str, Enum):
    """``include_all``: all pieces but the exceptions; ``exclude_all``: only the exceptions."""

    INCLUDE_ALL = "include_all"
    EXCLUDE_ALL = "exclude_all"


class PiecesMechanism(str, Enum):
    """What decides which pieces a platform's projects see.

    ``PIECE_SETS`` when the platform's plan has ``managePiecesEnabled`` (EE/Cloud, 2026);
    ``PROJECT_PLAN`` (the legacy ``plan.pieces`` / ``plan.piecesFilterType``) otherwise.
    """

    PIECE_SETS = "PIECE_SETS"
    PROJECT_PLAN = "PROJECT_PLAN"


LenientSelectionMode = Annotated[
    PieceSelectionMode | str, LEFT_TO_RIGHT, member_or_raw(PieceSelectionMode)
]


class PieceSelection(APIModel):
    """``config.pieces``: a mode and its exceptions (full npm names).

    ``PieceSelection.allow(["slack"])`` / ``.block(["openai"])`` build the two kinds with
    normalised names (``slack`` -> ``@activepieces/piece-slack``), sorted and unique.
    """

    mode: LenientSelectionMode = PieceSelectionMode.INCLUDE_ALL
    exceptions: list[str] = Field(default_factory=list)

    @classmethod
    def allow(cls, pieces: Iterable[str]) -> PieceSelection:
        """Only ``pieces`` (``exclude_all`` + exceptions); new pieces stay hidden."""
        return cls(mode=PieceSelectionMode.EXCLUDE_ALL, exceptions=normalize_pieces(pieces))

    @classmethod
    def block(cls, pieces: Iterable[str] = ()) -> PieceSelection:
        """Every piece but ``pieces`` (``include_all`` + exceptions); new pieces show."""
        return cls(mode=PieceSelectionMode.INCLUDE_ALL, exceptions=normalize_pieces(pieces))

    def normalized(self) -> PieceSelection:
        """The same selection with normalised, sorted, unique exceptions (the compared form)."""
        return PieceSelection(mode=self.mode, exceptions=normalize_pieces(self.exceptions))

    def is_visible(self, piece: str) -> bool:
        """Upstream ``isPieceVisible`` for one full piece name."""
        listed = piece in self.exceptions
        return (
            not listed if enum_value(self.mode) == PieceSelectionMode.INCLUDE_ALL.value else listed
        )

    def same_as(self, other: PieceSelection) -> bool:
        """Equal as the server applies them: same mode, same set of exception names."""
        return bool(
            enum_value(self.mode) == enum_value(other.mode)
            and set(self.exceptions) == set(other.exceptions)
        )


class RequiredActions(APIModel):
    """Actions a flow must use to be published (newest servers); read, never written here."""

    mode: str | None = None
    actions: dict[str, list[str]] = Field(default_factory=dict)


class PieceSetConfig(APIModel):
    """``{pieces, selectedActions, selectedTriggers, requiredActions}``.

    Only ``pieces`` is managed by this package; the action/trigger selections and required
    actions are shown as they are and never sent (the server merges updates).
    """

    pieces: PieceSelection = Field(default_factory=PieceSelection)
    selected_actions: dict[str, list[str]] = Field(default_factory=dict)
    selected_triggers: dict[str, list[str]] = Field(default_factory=dict)
    required_actions: RequiredActions | None = None


class PieceSet(APIModel):
    """A piece set. ``key`` is also read from ``externalId`` (its name on older servers)."""

    id: str
    created: str | None = None
    updated: str | None = None
    platform_id: str | None = None
    name: str
    key: str | None = Field(default=None, validation_alias=AliasChoices("key", "externalId"))
    is_default: bool = False
    generated_for_project_id: str | None = None
    config: PieceSetConfig = Field(default_factory=PieceSetConfig)

    @property
    def pieces(self) -> PieceSelection:
        """``config.pieces``."""
        return self.config.pieces

    def is_visible(self, piece: str) -> bool:
        """Whether this set shows ``piece`` (a full name)."""
        return self.config.pieces.is_visible(piece)


# ---- requests (strict: bad input is an InvalidRequestError before anything is sent) ----------

NonBlank = Annotated[str, Field(min_length=1, pattern=r"\S")]


class PieceSelectionRequest(_Request):
    """``pieces`` of an update: replaces the stored selection whole."""

    mode: PieceSelectionMode
    exceptions: list[str] = Field(default_factory=list)


class CreatePieceSetRequest(_Request):
    """Body of ``POST /v1/piece-sets``. The key goes out under both spellings (see `to_body`)."""

    name: NonBlank
    key: NonBlank | None = None

    def to_body(self) -> dict[str, Any]:
        return _with_both_key_spellings(super().to_body())


class UpdatePieceSetRequest(_Request):
    """Body of ``POST /v1/piece-sets/:id``: only name, key and pieces (never components)."""

    name: NonBlank | None = None
    key: NonBlank | None = None
    pieces: PieceSelectionRequest | None = None

    def to_body(self) -> dict[str, Any]:
        return _with_both_key_spellings(super().to_body())


class DuplicatePieceSetRequest(_Request):
    """Body of ``POST /v1/piece-sets/:id/duplicate``."""

    name: NonBlank


class AssignProjectsRequest(_Request):
    """Body of ``POST /v1/piece-sets/:id/projects`` (at least one project id)."""

    project_ids: Annotated[list[NonBlank], Field(min_length=1)]


def _with_both_key_spellings(body: dict[str, Any]) -> dict[str, Any]:
    # The server's zod schema strips unknown fields, so the newest server reads ``key`` and
    # ignores ``externalId`` while a spring-2026 server does the opposite: sending both sets
    # the key on either, where sending one would silently create sets without a key.
    if "key" in body:
        body["externalId"] = body["key"]
    return body
