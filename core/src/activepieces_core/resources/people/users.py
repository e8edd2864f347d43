"""``client.users``: the platform's users (list, find, update status/role, delete), sync and async.

The operations live in `_ops`; these classes only drive them (see `resources._base`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import partial

from typing_extensions import Unpack

from activepieces_core.constants import DEFAULT_PAGE_SIZE
from activepieces_core.models import Page
from activepieces_core.models.people import PlatformRole, User, UserStatus
from activepieces_core.resources._base import AsyncResource, SyncResource
from activepieces_core.resources.people import _ops as ops
from activepieces_core.types.people import UserFilters

__all__ = ["AsyncUsersResource", "UsersResource"]


class UsersResource(SyncResource):
    """Synchronous ``client.users``."""

    def list(self, *, cursor: str | None = None, **filters: Unpack[UserFilters]) -> Page[User]:
        """One page of users (filters: `UserFilters`)."""
        return self._run(ops.users_page(ops.user_params(filters, cursor)))

    def iter(self, **filters: Unpack[UserFilters]) -> Iterator[User]:
        """Every matching user, fetching pages lazily; ``limit`` is the page size."""
        params = partial(ops.user_params, filters)
        params(None)  # bad filters fail here, before any request
        return self._pages(lambda cursor: ops.users_page(params(cursor)))

    def get_by_external_id(self, external_id: str) -> User | None:
        """The user with this externalId, or None (`AmbiguousExternalIdError` if several)."""
        return self._run(ops.user_by_external_id(external_id))

    def get_by_email(self, email: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> User | None:
        """The user with this e-mail, or None (reads pages until found: no server filter)."""
        return self._run(ops.user_by_email(email, page_size))

    def update(
        self,
        user: User | str,
        *,
        status: UserStatus | str | None = None,
        platform_role: PlatformRole | str | None = None,
        external_id: str | None = None,
    ) -> User:
        """Change status, platform role or externalId (None leaves it). Retried."""
        op = ops.update_user(
            user, status=status, platform_role=platform_role, external_id=external_id
        )
        return self._run(op)

    def deactivate(self, user: User | str) -> User:
        """Set the user INACTIVE (they can no longer sign in; memberships stay)."""
        return self._run(ops.update_user(user, status=UserStatus.INACTIVE))

    def activate(self, user: User | str) -> User:
        """Set the user ACTIVE again."""
        return self._run(ops.update_user(user, status=UserStatus.ACTIVE))

    def delete(self, user: User | str) -> None:
        """Delete the user and their memberships (retried; a 404 on a retry counts as done)."""
        self._run(ops.delete_user(user))


class AsyncUsersResource(AsyncResource):
    """Asynchronous ``client.users``: the same surface as `UsersResource`, awaited."""

    async def list(
        self, *, cursor: str | None = None, **filters: Unpack[UserFilters]
    ) -> Page[User]:
        """One page of users (filters: `UserFilters`)."""
        return await self._run(ops.users_page(ops.user_params(filters, cursor)))

    def iter(self, **filters: Unpack[UserFilters]) -> AsyncIterator[User]:
        """Every matching user, fetching pages lazily; ``limit`` is the page size."""
        params = partial(ops.user_params, filters)
        params(None)
        return self._pages(lambda cursor: ops.users_page(params(cursor)))

    async def get_by_external_id(self, external_id: str) -> User | None:
        """The user with this externalId, or None (`AmbiguousExternalIdError` if several)."""
        return await self._run(ops.user_by_external_id(external_id))

    async def get_by_email(self, email: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> User | None:
        """The user with this e-mail, or None (reads pages until found: no server filter)."""
        return await self._run(ops.user_by_email(email, page_size))

    async def update(
        self,
        user: User | str,
        *,
        status: UserStatus | str | None = None,
        platform_role: PlatformRole | str | None = None,
        external_id: str | None = None,
    ) -> User:
        """Change status, platform role or externalId (None leaves it). Retried."""
        op = ops.update_user(
            user, status=status, platform_role=platform_role, external_id=external_id
        )
        return await self._run(op)

    async def deactivate(self, user: User | str) -> User:
        """Set the user INACTIVE (they can no longer sign in; memberships stay)."""
        return await self._run(ops.update_user(user, status=UserStatus.INACTIVE))

    async def activate(self, user: User | str) -> User:
        """Set the user ACTIVE again."""
        return await self._run(ops.update_user(user, status=UserStatus.ACTIVE))

    async def delete(self, user: User | str) -> None:
        """Delete the user and their memberships (retried; a 404 on a retry counts as done)."""
        await self._run(ops.delete_user(user))
