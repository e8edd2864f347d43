"""Parameters and results of ``client.piece_sets``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from activepieces_core.models.piece_set import PieceSelection, PieceSet
from activepieces_core.types.projects import EnsureAction

__all__ = ["PieceSetEnsureResult", "PiecesWish"]

#: What ``ensure``/``update`` accept for ``pieces``: a selection, or its JSON form.
PiecesWish = PieceSelection | Mapping[str, Any]


@dataclass(frozen=True)
class PieceSetEnsureResult:
    """What ``piece_sets.ensure`` did: ``action`` is ``created``, ``updated`` or ``unchanged``."""

    piece_set: PieceSet
    action: EnsureAction

    @property
    def created(self) -> bool:
        """True when the set did not exist before."""
        return self.action == "created"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe ``{"action": ..., "pieceSet": {...camelCase...}}``."""
        return {"action": self.action, "pieceSet": self.piece_set.to_dict()}
