"""People on the emulated platforms: users, project roles, invitations and project members.

The rules follow ``activepieces/activepieces``, newest versions found (all sources, with the
commit of each, are in ``docs/people.md``; "index id" = read by stored id, core-utils era):

* ``POST /v1/user-invitations`` upserts on (email lower-cased and trimmed, platform, project) and
  writes a fresh id each time (``user-invitation.service.ts`` index id 55796503070 and
  d6cc1e1a9fbd; entity 56b9d8534655). PLATFORM invitations have a NULL project, which Postgres
  never treats as a conflict, so those are *inserted* every time (inferred from the index).
* An API-key (SERVICE) call is auto-accepted: the invitation is ``ACCEPTED`` and, when the
  e-mail already has an identity, provisioned at once: a user on the platform is found or
  created, the platform role or project membership applied, the invitation deleted. Otherwise it
  waits for sign-up (`PeopleState.sign_up`). Only a ``PENDING`` invitation's response carries
  ``link`` (and only without SMTP), so an API key never gets one (``finalizeInvitation``);
  ``Platform.invitations_auto_accept = False`` is a test switch for PENDING invitations.
* Project invitations need a TEAM project (``VALIDATION`` 409, ``projectMustBeTeamType``) and
  ``projectRolesEnabled`` (``FEATURE_DISABLED`` 402; module 0bedbb78a74b); the role is looked up
  by name, case-insensitively, among the DEFAULT roles and the platform's own
  (``ENTITY_NOT_FOUND`` 404; ``project-role.service.ts`` eeb022cdfe72).
* An invitation that would add a new platform user (no user with that e-mail on the platform,
  and no outstanding invitation already reserving the seat) past ``usersLimit`` is
  ``QUOTA_EXCEEDED`` (402, ``{metric: "users", usage, limit}``; ``countAdditionalSeatsNeeded``,
  ``.agents/features/user-invitations.md`` 4a3168f4aced). Usage = users + e-mails with
  outstanding invitations that are not users yet (inferred: the controller's sum was not read).
* Members come only from invitations (``project-member.service.ts`` 250db42412c8); the project
  members module is gated by ``projectRolesEnabled`` (module 015cb8d7da29); a role update
  answers the bare row (inferred: the route's response schema does not fit it). Users:
  ``platform-user-controller.ts`` index id 55644233724. Roles: controller 4a507d5fefd2
  and 05bca51baae0 (create/update/delete, gated by ``customRolesEnabled``).
* Deleting a project removes its invitations and memberships (FK cascade).

Everything here runs under the emulator state's lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ._ids import ALPHABET, now_iso
from .records import Platform, StateView, User, json_copy
from .responses import ApplicationError, feature_disabled, not_found, team_project_required

DEFAULT_PROJECT_ROLES: tuple[str, ...] = ("Admin", "Editor", "Operator", "Viewer")
PLATFORM_ROLES = ("ADMIN", "MEMBER", "OPERATOR")
USER_STATUSES = ("ACTIVE", "INACTIVE")
INVITATION_TYPES = ("PLATFORM", "PROJECT")
INVITATION_STATUSES = ("PENDING", "ACCEPTED")
LINK_BASE = "https://cloud.activepieces.com"

_READ = ["READ_APP_CONNECTION", "READ_FLOW", "READ_PROJECT_MEMBER", "READ_INVITATION"]
_READ += ["READ_PROJECT", "READ_RUN", "READ_FOLDER", "READ_TABLE", "READ_MCP"]
_WRITE = ["WRITE_APP_CONNECTION", "WRITE_FLOW", "UPDATE_FLOW_STATUS", "WRITE_RUN"]
_WRITE += ["WRITE_FOLDER", "WRITE_TABLE", "WRITE_MCP", "WRITE_PROJECT_RELEASE"]
_ADMIN = ["WRITE_PROJECT_MEMBER", "WRITE_INVITATION", "WRITE_PROJECT", "WRITE_ALERT"]
# access-control-list.ts (Operator from older versions: it runs flows but does not build them).
_PERMISSIONS: dict[str, list[str]] = {
    "Admin": _READ + _WRITE + _ADMIN,
    "Editor": _READ + _WRITE,
    "Operator": [*_READ, "UPDATE_FLOW_STATUS", "WRITE_RUN"],
    "Viewer": list(_READ),
}


def normalize_email(email: str) -> str:
    """As the server stores it: ``email.toLowerCase().trim()``."""
    return email.lower().strip()


@dataclass
class UserRecord:
    """A user on one platform; ``user`` is the platform's `User` (its ``external_id`` is shared
    with the projects routes' ``externalUserId`` filter)."""

    user: User
    platform_id: str
    email: str
    first_name: str
    last_name: str
    platform_role: str
    status: str
    created: str
    updated: str
    seq: int

    @property
    def id(self) -> str:
        return self.user.id

    def to_json(self) -> dict[str, Any]:
        """``UserWithMetaInformation``."""
        return {
            "id": self.id,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "status": self.status,
            "externalId": self.user.external_id,
            "platformId": self.platform_id,
            "platformRole": self.platform_role,
            "created": self.created,
            "updated": self.updated,
            "lastActiveDate": None,
            "imageUrl": None,
        }


@dataclass
class Row:
    """A stored invitation or member: its API fields, an insertion sequence and, for invitations,
    the token of its link (a bearer secret)."""

    data: dict[str, Any]
    seq: int
    token: str = field(default="", repr=False)

    @property
    def id(self) -> str:
        return str(self.data["id"])


def created_seq(row: Row) -> tuple[str, int]:
    """A listing's order: oldest first (``created``, then insertion)."""
    return row.data["created"], row.seq


@dataclass(frozen=True)
class Listing:
    """Rows in list order (`created_seq`) and their sort keys, for paging with a cursor."""

    rows: list[Row]
    keys: list[tuple[str, int]]


class PeopleState:
    """Users, roles, invitations and members of every platform of an `EmulatorState`."""

    def __init__(self, state: StateView) -> None:
        self._state = state
        self._seq = 0
        self._identities: dict[str, tuple[str, str]] = {}  # email -> (first, last)
        self._users: dict[str, UserRecord] = {}
        self._user_by_email: dict[tuple[str, str], str] = {}  # (platform, email) -> user id
        self._roles: list[dict[str, Any]] = []  # DEFAULT roles (platformId null) then custom
        self._invitations: dict[str, Row] = {}
        self._invitations_by_project: dict[tuple[str, str | None], dict[str, Row]] = {}
        self._invitations_by_email: dict[str, dict[str, Row]] = {}
        self._members: dict[str, Row] = {}
        self._members_by_project: dict[str, dict[str, Row]] = {}
        # Sorted listings, kept until an invitation or member changes (`_changed`): a paged
        # read of 200,000 rows sorted them again for every page of 1,000.
        self._listings: dict[tuple[str | None, ...], Listing] = {}
        for name in DEFAULT_PROJECT_ROLES:
            # Fixed ids (a migration seeds the DEFAULT roles); drawing them from the seeded
            # generator would shift every id the emulator hands out after them.
            role_id = hashlib.sha256(name.encode()).hexdigest()
            role_id = "".join(ALPHABET[int(role_id[i : i + 2], 16) % 62] for i in range(0, 42, 2))
            self._add_role(name, _PERMISSIONS.get(name, []), None, "DEFAULT", role_id)

    # ---- helpers -------------------------------------------------------------------------------
    def _changed(self) -> None:
        """An invitation or member was added, changed or removed: listings sort again."""
        self._listings.clear()

    def _listing(self, key: tuple[str | None, ...], rows: Callable[[], Iterable[Row]]) -> Listing:
        """``rows()`` in list order, sorted once per state of the invitations and members."""
        found = self._listings.get(key)
        if found is None:
            ordered = sorted(rows(), key=created_seq)
            found = self._listings[key] = Listing(ordered, [created_seq(r) for r in ordered])
        return found

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _new_id(self) -> str:
        return self._state.ids.new_id()

    def _token(self) -> str:
        # Shaped like a JWT: three base64url parts (the emulator never verifies it).
        return ".".join(self._state.ids.text(n) for n in (36, 48, 43))

    def _platform(self, platform_id: str | None) -> Platform:
        return self._state.platform(platform_id)

    def sync_platform(self, platform: Platform) -> None:
        """Register users created by `EmulatorState.add_platform` (e-mail derived from the name)."""
        for user in platform.users:
            if user.id in self._users:
                continue
            first, _, last = user.name.partition(" ")
            email = ".".join(p for p in (first, last) if p).lower() + "@example.com"
            role = "ADMIN" if user.id == platform.owner_id else "MEMBER"
            self._register(platform, user, email, first, last, role)

    def _register(
        self, platform: Platform, user: User, email: str, first: str, last: str, role: str
    ) -> UserRecord:
        email = normalize_email(email)
        self._identities.setdefault(email, (first, last))
        created = now_iso()
        record = UserRecord(
            user,
            platform.id,
            email,
            first,
            last,
            role,
            "ACTIVE",
            created,
            created,
            self._next_seq(),
        )
        self._users[user.id] = record
        self._user_by_email[(platform.id, email)] = user.id
        return record

    # ---- users ---------------------------------------------------------------------------------
    def add_user(
        self,
        email: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        platform_id: str | None = None,
        platform_role: str = "MEMBER",
        external_id: str | None = None,
        status: str = "ACTIVE",
    ) -> dict[str, Any]:
        """Add a user (with a PERSONAL project, as sign-up makes one) without provisioning."""
        if platform_role not in PLATFORM_ROLES:
            raise ValueError(f"platform_role must be one of {PLATFORM_ROLES}")
        if status not in USER_STATUSES:
            raise ValueError(f"status must be one of {USER_STATUSES}")
        with self._state.lock:
            platform = self._platform(platform_id)
            self.sync_platform(platform)
            key = (platform.id, normalize_email(email))
            if key in self._user_by_email:
                raise ValueError(f"a user with e-mail {key[1]!r} is already on this platform")
            record = self._create_user(platform, email, first_name, last_name, platform_role)
            record.user.external_id = external_id
            record.status = status
            return record.to_json()

    def _create_user(
        self,
        platform: Platform,
        email: str,
        first_name: str | None,
        last_name: str | None,
        platform_role: str,
    ) -> UserRecord:
        email = normalize_email(email)
        known = self._identities.get(email)
        local = email.split("@", 1)[0]
        first = first_name if first_name is not None else (known[0] if known else local)
        last = last_name if last_name is not None else (known[1] if known else "")
        user = User(self._new_id(), f"{first} {last}".strip() or email)
        platform.users.append(user)
        record = self._register(platform, user, email, first, last, platform_role)
        self._state.add_personal_project(platform.id, user.id, first or local)
        return record

    def user_by_email(self, email: str, platform_id: str | None = None) -> dict[str, Any] | None:
        """The user with this e-mail on the platform, as ``GET /v1/users`` shows it."""
        with self._state.lock:
            platform = self._platform(platform_id)
            self.sync_platform(platform)
            uid = self._user_by_email.get((platform.id, normalize_email(email)))
            return self._users[uid].to_json() if uid else None

    def users(self, platform_id: str | None = None) -> list[dict[str, Any]]:
        """The platform's users in list order."""
        with self._state.lock:
            return [r.to_json() for r in self.user_records(self._platform(platform_id))]

    def user_records(self, platform: Platform) -> list[UserRecord]:
        self.sync_platform(platform)
        records = [r for r in self._users.values() if r.platform_id == platform.id]
        return sorted(records, key=lambda r: (r.created, r.seq))

    def user_record(self, platform: Platform, user_id: str) -> UserRecord:
        """The user, or 404 (unknown, or on another platform)."""
        self.sync_platform(platform)
        record = self._users.get(user_id)
        if record is None or record.platform_id != platform.id:
            raise ApplicationError("ENTITY_NOT_FOUND", {"entityType": "user", "entityId": user_id})
        return record

    def update_user(
        self, platform: Platform, user_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        record = self.user_record(platform, user_id)
        if "status" in changes:
            record.status = changes["status"]
        if "platformRole" in changes:
            record.platform_role = changes["platformRole"]
        if "externalId" in changes:
            record.user.external_id = changes["externalId"]
        record.updated = now_iso()
        return record.to_json()

    def delete_user(self, platform: Platform, user_id: str) -> None:
        """Remove the user and (FK cascade) their memberships."""
        record = self.user_record(platform, user_id)
        del self._users[user_id]
        self._user_by_email.pop((platform.id, record.email), None)
        platform.users[:] = [u for u in platform.users if u.id != user_id]
        for row in [m for m in self._members.values() if m.data["userId"] == user_id]:
            self._drop_member(row)

    # ---- sign-up and acceptance ----------------------------------------------------------------
    def sign_up(
        self,
        email: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        platform_id: str | None = None,
    ) -> dict[str, Any]:
        """Simulate a person signing up on a platform: their identity and user are created and
        every ACCEPTED invitation for the e-mail (on any platform) turns into a membership or a
        platform role. Returns the user on ``platform_id``."""
        with self._state.lock:
            platform = self._platform(platform_id)
            self.sync_platform(platform)
            email = normalize_email(email)
            if email not in self._identities:
                local = email.split("@", 1)[0]
                self._identities[email] = (first_name or local, last_name or "")
            uid = self._user_by_email.get((platform.id, email))
            if uid is None:
                self._create_user(platform, email, first_name, last_name, "MEMBER")
            self._provision(email)
            return self._users[self._user_by_email[(platform.id, email)]].to_json()

    def accept_invitation(self, invitation_id: str) -> None:
        """What ``POST /v1/user-invitations/accept`` does with a link's token."""
        with self._state.lock:
            row = self._invitations.get(invitation_id)
            if row is None:
                raise KeyError(invitation_id)
            self._accept(row)

    def _accept(self, row: Row) -> None:
        row.data = {**row.data, "status": "ACCEPTED", "updated": now_iso()}
        self._changed()
        if row.data["email"] in self._identities:
            self._provision(row.data["email"])

    def _provision(self, email: str) -> None:
        """``provisionUserInvitation``: apply and delete every ACCEPTED invitation for ``email``."""
        rows = self._invitations_by_email.get(email, {}).values()
        accepted = [r for r in rows if r.data["status"] == "ACCEPTED"]
        for row in sorted(accepted, key=lambda r: r.seq):
            platform = self._platform(row.data["platformId"])
            uid = self._user_by_email.get((platform.id, email))
            user = (
                self._users[uid]
                if uid is not None
                else self._create_user(platform, email, None, None, "MEMBER")
            )
            if row.data["type"] == "PLATFORM":
                user.platform_role = row.data["platformRole"]
                user.updated = now_iso()
            else:
                project = self._state.record(row.data["projectId"])
                if project is not None and project.deleted is None:
                    self._upsert_member(platform, row.data["projectId"], user, row.data)
            self._drop_invitation(row)

    # ---- roles ---------------------------------------------------------------------------------
    def _add_role(
        self,
        name: str,
        permissions: Iterable[str],
        platform_id: str | None,
        kind: str,
        role_id: str | None = None,
    ) -> dict[str, Any]:
        created = now_iso()
        role = {
            "id": role_id or self._new_id(),
            "created": created,
            "updated": created,
            "name": name,
            "permissions": list(permissions),
            "platformId": platform_id,
            "type": kind,
        }
        self._roles.append(role)
        return role

    def add_role(
        self, name: str, permissions: Iterable[str] = (), *, platform_id: str | None = None
    ) -> dict[str, Any]:
        """A CUSTOM project role on the platform."""
        with self._state.lock:
            platform = self._platform(platform_id)
            if self.role_by_name(platform, name) is not None:
                raise ValueError(f"project role {name!r} already exists")
            return json_copy(self._add_role(name, permissions, platform.id, "CUSTOM"))

    def roles(self, platform: Platform) -> list[dict[str, Any]]:
        """DEFAULT roles and the platform's CUSTOM ones, oldest first, with ``userCount``."""
        counts: dict[str, int] = {}
        for row in self._members.values():
            if row.data["platformId"] == platform.id:
                rid = row.data["projectRoleId"]
                counts[rid] = counts.get(rid, 0) + 1
        return [
            {**role, "userCount": counts.get(role["id"], 0)}
            for role in self._roles
            if role["platformId"] in (None, platform.id)
        ]

    def role_by_name(self, platform: Platform, name: str) -> dict[str, Any] | None:
        """``LOWER(name) = LOWER(:name)`` among DEFAULT and the platform's roles."""
        wanted = name.lower()
        for role in self._roles:
            if role["platformId"] in (None, platform.id) and role["name"].lower() == wanted:
                return role
        return None

    def _role_or_404(self, platform: Platform, name: str) -> dict[str, Any]:
        role = self.role_by_name(platform, name)
        if role is None:
            raise _role_not_found(name, "Project Role by name and platformId not found")
        return role

    def _role_by_id(self, role_id: str) -> dict[str, Any] | None:
        return next((r for r in self._roles if r["id"] == role_id), None)

    # Custom roles over HTTP: `project-role.controller.ts` @ 05bca51b (routes, gates) and
    # `project-role.service.ts` @ 140c11eb (rules); see docs/upstream-emulator-updates.md.
    def role_by_id(self, role_id: str) -> dict[str, Any]:
        """``getOneOrThrowById``: any role by id (upstream does not filter by platform)."""
        role = self._role_by_id(role_id)
        if role is None:
            raise _role_not_found(role_id, "Project Role by id not found")
        return json_copy(role)

    def create_role(self, platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
        """A taken name (case-insensitive, DEFAULT roles included) is upstream's 404."""
        if self.role_by_name(platform, body["name"]) is not None:
            raise _role_not_found(body["name"], "Project Role name already exists")
        role = self._add_role(body["name"], body["permissions"], platform.id, body["type"])
        return json_copy(role)

    def update_role(self, platform: Platform, role_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """``UPDATE ... WHERE id AND platformId``: a DEFAULT role (platformId null) or another
        platform's role is not found; a new name is not checked for clashes (as upstream)."""
        role = self._role_by_id(role_id)
        if role is None or role["platformId"] != platform.id:
            raise _role_not_found(role_id, "Project Role by id not found")
        role.update({k: list(v) if k == "permissions" else v for k, v in body.items()})
        role["updated"] = now_iso()
        return json_copy(role)

    def delete_role(self, platform: Platform, name: str) -> None:
        """Looked up case-insensitively (404), then ``DELETE WHERE name AND platformId``
        (exact name, own roles only): deleting a DEFAULT role is a silent no-op. Members
        holding the role go with it (FK ``onDelete: CASCADE``)."""
        self._role_or_404(platform, name)
        doomed = {
            r["id"] for r in self._roles if (r["platformId"], r["name"]) == (platform.id, name)
        }
        self._roles = [r for r in self._roles if r["id"] not in doomed]
        for row in [r for r in self._members.values() if r.data["projectRoleId"] in doomed]:
            self._drop_member(row)

    def role_member_rows(self, platform: Platform, role_id: str) -> Listing:
        """The platform's memberships holding the role, oldest first."""
        return self._listing(
            ("role members", platform.id, role_id),
            lambda: (
                r
                for r in self._members.values()
                if r.data["platformId"] == platform.id and r.data["projectRoleId"] == role_id
            ),
        )

    # ---- invitations -----------------------------------------------------------------------
    def send_invitation(self, platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/user-invitations`` for a SERVICE principal (see the module docstring)."""
        self.sync_platform(platform)
        email = normalize_email(body["email"])
        kind = body["type"]
        project_id: str | None = None
        role: dict[str, Any] | None = None
        if kind == "PROJECT":
            project_id = body["projectId"]
            record = self._state.record(project_id)
            if record is None or record.deleted is not None:
                raise not_found(project_id)
            if record.public["platformId"] != platform.id:
                raise ApplicationError(
                    "AUTHORIZATION", {"message": "user does not have access to the project"}
                )
            if record.public["type"] != "TEAM":
                raise team_project_required()
            if not platform.project_roles_enabled:
                raise feature_disabled()
            role = self._role_or_404(platform, body["projectRole"])
        self._check_seat(platform, email)
        status = "ACCEPTED" if platform.invitations_auto_accept else "PENDING"
        row = self._upsert_invitation(platform, email, kind, project_id, role, body, status)
        response = json_copy(row.data)
        if status == "ACCEPTED":
            self._accept(row)
        elif not platform.smtp_configured:
            response["link"] = self.link_of(row)
        return response

    def link_of(self, row: Row) -> str:
        email = quote(row.data["email"], safe="")
        return f"{LINK_BASE}/invitation?token={row.token}&email={email}"

    def _check_seat(self, platform: Platform, email: str) -> None:
        limit = platform.users_limit
        if limit is None or (platform.id, email) in self._user_by_email:
            return
        waiting = self._waiting_emails(platform)
        if email in waiting:
            return  # the outstanding invitation already reserved the seat
        usage = sum(1 for r in self._users.values() if r.platform_id == platform.id)
        usage += len(waiting)
        if usage + 1 > limit:
            raise ApplicationError(
                "QUOTA_EXCEEDED", {"metric": "users", "usage": usage, "limit": limit}
            )

    def _waiting_emails(self, platform: Platform) -> set[str]:
        return {
            r.data["email"]
            for r in self._invitations.values()
            if r.data["platformId"] == platform.id
            and (platform.id, r.data["email"]) not in self._user_by_email
        }

    def _upsert_invitation(
        self,
        platform: Platform,
        email: str,
        kind: str,
        project_id: str | None,
        role: dict[str, Any] | None,
        body: dict[str, Any],
        status: str,
    ) -> Row:
        now = now_iso()
        fields = {
            "id": self._new_id(),
            "updated": now,
            "email": email,
            "status": status,
            "type": kind,
            "platformId": platform.id,
            "platformRole": body.get("platformRole") if kind == "PLATFORM" else None,
            "projectId": project_id,
            "projectRoleId": role["id"] if role is not None else None,
        }
        bucket = self._invitations_by_project.setdefault((platform.id, project_id), {})
        existing = None
        if kind == "PROJECT":  # NULL projectId never conflicts (PLATFORM rows are inserted)
            existing = next((r for r in bucket.values() if r.data["email"] == email), None)
        if existing is not None:
            self._drop_invitation(existing)
            existing.data = {**existing.data, **fields}
            existing.token = self._token()
            row = existing
        else:
            row = Row({"created": now, **fields}, self._next_seq(), self._token())
        self._invitations[row.id] = row
        bucket[row.id] = row
        self._invitations_by_email.setdefault(email, {})[row.id] = row
        self._changed()
        return row

    def _drop_invitation(self, row: Row) -> None:
        self._changed()
        self._invitations.pop(row.id, None)
        bucket = self._invitations_by_project.get((row.data["platformId"], row.data["projectId"]))
        if bucket is not None:
            bucket.pop(row.id, None)
        same_email = self._invitations_by_email.get(row.data["email"])
        if same_email is not None:
            same_email.pop(row.id, None)
            if not same_email:
                del self._invitations_by_email[row.data["email"]]

    def invitation_rows(
        self,
        platform: Platform,
        *,
        kind: str,
        project_id: str | None,
        status: str | None,
    ) -> Listing:
        """``list``: always by platform and type; by project and status when given."""

        def rows() -> Iterator[Row]:
            if project_id is not None:
                rows: Iterable[Row] = self._invitations_by_project.get(
                    (platform.id, project_id), {}
                ).values()
            else:
                rows = (
                    r for r in self._invitations.values() if r.data["platformId"] == platform.id
                )
            for r in rows:
                if r.data["type"] == kind and (status is None or r.data["status"] == status):
                    yield r

        return self._listing(("invitations", platform.id, kind, project_id, status), rows)

    def invitation_json(self, row: Row) -> dict[str, Any]:
        """A listed invitation: enriched with its ``projectRole``."""
        rid = row.data["projectRoleId"]
        role = self._role_by_id(rid) if rid else None
        return {**row.data, "projectRole": json_copy(role)}

    def delete_invitation(self, platform: Platform, invitation_id: str) -> None:
        row = self._invitations.get(invitation_id)
        if row is None or row.data["platformId"] != platform.id:
            raise ApplicationError(
                "ENTITY_NOT_FOUND",
                {"entityId": f"id={invitation_id}", "entityType": "UserInvitation"},
            )
        self._drop_invitation(row)

    def invitations(self, platform_id: str | None = None) -> list[dict[str, Any]]:
        """Every invitation of the platform (both types), oldest first, with ``link`` when the
        invitation is PENDING (what a test reads instead of an e-mail)."""
        with self._state.lock:
            platform = self._platform(platform_id)
            rows = sorted(
                (r for r in self._invitations.values() if r.data["platformId"] == platform.id),
                key=lambda r: r.seq,
            )
            out = []
            for row in rows:
                item = self.invitation_json(row)
                if row.data["status"] == "PENDING":
                    item["link"] = self.link_of(row)
                out.append(item)
            return out

    # ---- members ---------------------------------------------------------------------------
    def _upsert_member(
        self, platform: Platform, project_id: str, user: UserRecord, invitation: dict[str, Any]
    ) -> Row:
        bucket = self._members_by_project.setdefault(project_id, {})
        now = now_iso()
        existing = next((r for r in bucket.values() if r.data["userId"] == user.id), None)
        if existing is not None:
            existing.data = {
                **existing.data,
                "projectRoleId": invitation["projectRoleId"],
                "updated": now,
            }
            self._changed()
            return existing
        row = Row(
            {
                "id": self._new_id(),
                "created": now,
                "updated": now,
                "platformId": platform.id,
                "userId": user.id,
                "projectId": project_id,
                "projectRoleId": invitation["projectRoleId"],
            },
            self._next_seq(),
        )
        self._members[row.id] = row
        bucket[row.id] = row
        self._changed()
        return row

    def add_member(self, project_id: str, email: str, role: str = "Editor") -> dict[str, Any]:
        """Add a membership directly (the user is created if the platform has none)."""
        with self._state.lock:
            record = self._state.record(project_id)
            if record is None or record.deleted is not None:
                raise KeyError(project_id)
            platform = self._platform(record.public["platformId"])
            self.sync_platform(platform)
            found = self.role_by_name(platform, role)
            if found is None:
                raise ValueError(f"no project role {role!r} on this platform")
            uid = self._user_by_email.get((platform.id, normalize_email(email)))
            user = (
                self._users[uid]
                if uid is not None
                else self._create_user(platform, email, None, None, "MEMBER")
            )
            row = self._upsert_member(platform, project_id, user, {"projectRoleId": found["id"]})
            return self.member_json(row)

    def _drop_member(self, row: Row) -> None:
        self._changed()
        self._members.pop(row.id, None)
        self._members_by_project.get(row.data["projectId"], {}).pop(row.id, None)

    def member_rows(self, project_id: str, project_role_id: str | None = None) -> Listing:
        return self._listing(
            ("members", project_id, project_role_id),
            lambda: (
                r
                for r in self._members_by_project.get(project_id, {}).values()
                if project_role_id in (None, r.data["projectRoleId"])
            ),
        )

    def platform_member_rows(
        self, platform: Platform, project_role_id: str | None = None
    ) -> Listing:
        """Every membership of the platform's live projects (``projectMemberService.list`` by
        ``platformId``: a deleted project's members are gone with it here)."""
        return self._listing(
            ("platform members", platform.id, project_role_id),
            lambda: (
                r
                for r in self._members.values()
                if r.data["platformId"] == platform.id
                and project_role_id in (None, r.data["projectRoleId"])
            ),
        )

    def member_json(self, row: Row) -> dict[str, Any]:
        """``ProjectMemberWithUser``."""
        user = self._users[row.data["userId"]]
        project = self._state.record(row.data["projectId"])
        assert project is not None
        return {
            **row.data,
            "user": user.to_json(),
            "projectRole": json_copy(self._role_by_id(row.data["projectRoleId"])),
            "project": {"id": project.public["id"], "displayName": project.public["displayName"]},
        }

    def member_row(self, platform: Platform, member_id: str) -> Row:
        """The member, or 404 (unknown or on another platform)."""
        row = self._members.get(member_id)
        if row is None or row.data["platformId"] != platform.id:
            raise ApplicationError(
                "ENTITY_NOT_FOUND", {"entityId": member_id, "entityType": "project_member"}
            )
        return row

    def update_member_role(self, platform: Platform, member_id: str, name: str) -> dict[str, Any]:
        """``projectMemberService.update``: the plain member row comes back (the route's
        ``ProjectMemberWithUser`` schema does not fit it, so Fastify sends it raw)."""
        row = self.member_row(platform, member_id)
        role = self._role_or_404(platform, name)
        row.data = {**row.data, "projectRoleId": role["id"], "updated": now_iso()}
        self._changed()
        return json_copy(row.data)

    def delete_member(self, platform: Platform, member_id: str) -> None:
        self._drop_member(self.member_row(platform, member_id))

    def members(self, project_id: str) -> list[dict[str, Any]]:
        """The project's members as ``GET /v1/project-members`` shows them."""
        with self._state.lock:
            return [self.member_json(r) for r in self.member_rows(project_id).rows]

    def all_members(self, platform_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Every membership of the platform, e.g. to check there are no duplicates."""
        with self._state.lock:
            platform = self._platform(platform_id)
            rows = [r for r in self._members.values() if r.data["platformId"] == platform.id]
        for row in sorted(rows, key=lambda r: r.seq):
            with self._state.lock:
                if row.id in self._members:
                    yield self.member_json(row)

    # ---- cascades --------------------------------------------------------------------------
    def forget_project(self, project_id: str) -> None:
        """A deleted project takes its invitations and memberships with it."""
        self._changed()
        for row in list(self._members_by_project.pop(project_id, {}).values()):
            self._members.pop(row.id, None)
        record = self._state.record(project_id)
        if record is not None:
            key = (record.public["platformId"], project_id)
            for row in list(self._invitations_by_project.get(key, {}).values()):
                self._drop_invitation(row)


def _role_not_found(entity_id: str, message: str) -> ApplicationError:
    return ApplicationError(
        "ENTITY_NOT_FOUND",
        {"entityType": "project_role", "entityId": entity_id, "message": message},
    )
