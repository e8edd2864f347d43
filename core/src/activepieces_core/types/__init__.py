"""Parameters and results of the client's methods (filters, fields, options, results).

Importing this package loads pydantic (the results hold models); ``activepieces_core`` re-exports
every name lazily.
"""

from activepieces_core.types.people import (
    InvitationFilters,
    InviteAction,
    InviteResult,
    MemberFilters,
    ProjectPeople,
    RemoveAction,
    RemoveResult,
    UserFilters,
)
from activepieces_core.types.piece_sets import PieceSetEnsureResult, PiecesWish
from activepieces_core.types.projects import (
    UNSET,
    CreateFields,
    EnsureAction,
    EnsureOptions,
    EnsureResult,
    IfExists,
    ListFilters,
    SyncPiecesResult,
    Unset,
    UpdateFields,
)

__all__ = [
    "UNSET",
    "CreateFields",
    "EnsureAction",
    "EnsureOptions",
    "EnsureResult",
    "IfExists",
    "InvitationFilters",
    "InviteAction",
    "InviteResult",
    "ListFilters",
    "MemberFilters",
    "PieceSetEnsureResult",
    "PiecesWish",
    "ProjectPeople",
    "RemoveAction",
    "RemoveResult",
    "SyncPiecesResult",
    "Unset",
    "UpdateFields",
    "UserFilters",
]
