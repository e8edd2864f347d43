"""Piece-name normalisation: ``slack`` -> ``@activepieces/piece-slack``."""

from __future__ import annotations

from collections.abc import Iterable

from activepieces_core.errors import InvalidRequestError

__all__ = ["normalize_piece_name", "normalize_pieces"]

_SCOPE = "@activepieces/"
_PREFIX = "piece-"


def normalize_piece_name(name: str) -> str:
    """The full npm name of a piece.

    ``slack`` and ``piece-slack`` become ``@activepieces/piece-slack``; already scoped names
    (``@activepieces/piece-slack``, ``@acme/piece-x``) are kept as they are.
    """
    if not isinstance(name, str):
        raise InvalidRequestError(f"piece names must be strings, got {type(name).__name__}")
    text = name.strip()
    if not text:
        raise InvalidRequestError("piece names must not be empty")
    if text.startswith("@"):
        scope, _, package = text.partition("/")
        if len(scope) < 2 or not package:
            raise InvalidRequestError(f"invalid scoped piece name {name!r}")
        return text
    if "/" in text or any(ch.isspace() for ch in text):
        raise InvalidRequestError(f"invalid piece name {name!r}")
    return _SCOPE + (text if text.startswith(_PREFIX) else _PREFIX + text)


def normalize_pieces(pieces: Iterable[str]) -> list[str]:
    """Normalised, sorted, unique piece names. A bare string is refused (not a list)."""
    if isinstance(pieces, (str, bytes)):
        raise InvalidRequestError("pieces must be a list of names, not a single string")
    return sorted({normalize_piece_name(p) for p in pieces})
