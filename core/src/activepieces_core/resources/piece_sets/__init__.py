"""``client.piece_sets``: piece sets (operations in `_ops`, surfaces in `resource`)."""

from activepieces_core.resources.piece_sets.resource import (
    AsyncPieceSetsResource,
    PieceSetsResource,
)

__all__ = ["AsyncPieceSetsResource", "PieceSetsResource"]
