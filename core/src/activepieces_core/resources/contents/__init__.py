"""A project's contents, read: ``client.flows``, ``client.folders``, ``client.tables`` and
``client.app_connections`` (one module each, operations in `_ops`), and what
``client.projects.export_state`` / ``replace`` run (`export`, `replace`)."""

from activepieces_core.resources.contents.app_connections import (
    AppConnectionsResource,
    AsyncAppConnectionsResource,
)
from activepieces_core.resources.contents.flows import AsyncFlowsResource, FlowsResource
from activepieces_core.resources.contents.folders import AsyncFoldersResource, FoldersResource
from activepieces_core.resources.contents.tables import AsyncTablesResource, TablesResource

__all__ = [
    "AppConnectionsResource",
    "AsyncAppConnectionsResource",
    "AsyncFlowsResource",
    "AsyncFoldersResource",
    "AsyncTablesResource",
    "FlowsResource",
    "FoldersResource",
    "TablesResource",
]
