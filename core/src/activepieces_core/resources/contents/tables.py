"""``client.tables``: a project's tables (``GET /v1/tables?projectId=``, every page) and a
table's fields (``GET /v1/fields?tableId=``)."""

from __future__ import annotations

import builtins

from activepieces_core.models import Project
from activepieces_core.models.contents import Field, Table
from activepieces_core.resources.contents import _ops as ops
from activepieces_core.resources.contents._listing import AsyncListing, Listing
from activepieces_core.resources.contents._ops import PageOp

__all__ = ["AsyncTablesResource", "TablesResource"]


def _table_id(table: Table | str) -> str:
    return table.id if isinstance(table, Table) else table


class TablesResource(Listing[Table]):
    """Synchronous ``client.tables``: ``list(project)``, ``iter(project)``, ``fields(table)``."""

    def _pages_of(self, project: Project | str) -> PageOp[Table]:
        return ops.tables_page(project)

    def fields(self, table: Table | str) -> builtins.list[Field]:
        """The table's fields, in the server's order."""
        return self._run(ops.table_fields(_table_id(table)))


class AsyncTablesResource(AsyncListing[Table]):
    """Asynchronous ``client.tables``: the same, awaited."""

    def _pages_of(self, project: Project | str) -> PageOp[Table]:
        return ops.tables_page(project)

    async def fields(self, table: Table | str) -> builtins.list[Field]:
        """The table's fields, in the server's order."""
        return await self._run(ops.table_fields(_table_id(table)))
