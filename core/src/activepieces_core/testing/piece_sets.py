"""Piece sets in the emulator: the store, its rules and which pieces a project sees.

Read from upstream ``activepieces/activepieces`` (see ``docs/piece-sets.md`` for the full table):

- Rules: ``piece-set.service.ts`` @ ``dffc874a`` (newest read: ``key``, generated keys, 409 on
  a taken key, the generic paginator, required actions) and @ ``1d149226`` / ``dd7549ba``
  (``externalId`` era: keys may be null, a taken key is a database error = 500, the cursor is
  the plain id of the last row); config merge ``piece-set-config-util.ts`` @ ``77a4e0e0``;
  Default set ``buildDefaultSet`` (name ``Default``, key ``default``, created lazily).

``PieceSetStore.schema`` picks the era: ``"key"`` (default, newest) or ``"externalId"``.
Visibility (``visible_pieces``) is emulator-only: it answers which pieces of a small built-in
catalog a project sees, through its piece set when the platform has ``managePiecesEnabled``,
else through the legacy project plan (``piecesFilterType``/``pieces``). The routes
(``/api/v1/piece-sets``) are `.piece_sets_http`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from ._ids import now_iso
from .records import Platform, StateView, json_copy
from .responses import ApplicationError, FastifyError

__all__ = [
    "PIECE_CATALOG",
    "PieceSetStore",
    "is_piece_visible",
]

#: A small catalog of real official pieces: what "every piece" means in the emulator.
PIECE_CATALOG: tuple[str, ...] = tuple(
    "@activepieces/piece-" + name
    for name in (
        "slack",
        "gmail",
        "hubspot",
        "openai",
        "notion",
        "google-sheets",
        "google-drive",
        "google-calendar",
        "airtable",
        "asana",
        "trello",
        "jira-cloud",
        "github",
        "gitlab",
        "discord",
        "microsoft-teams",
        "microsoft-outlook",
        "salesforce",
        "stripe",
        "shopify",
        "mailchimp",
        "twilio",
        "zendesk",
        "intercom",
        "dropbox",
        "telegram-bot",
        "whatsapp",
        "anthropic",
        "http",
        "schedule",
        "webhook",
        "store",
    )
)

MODES = ("include_all", "exclude_all")
REQUIRED_MODES = ("ANY", "ALL")  # enum values unconfirmed upstream (RequiredActionsMode)
Schema = Literal["key", "externalId"]
KEY_TAKEN = "Piece set key already used"


def is_piece_visible(pieces: Mapping[str, Any], name: str) -> bool:
    """Upstream ``isPieceVisible``: include_all hides the exceptions, exclude_all shows only them."""
    listed = name in pieces.get("exceptions", [])
    return not listed if pieces.get("mode") == "include_all" else listed


def _empty_config() -> dict[str, Any]:
    """``emptyConfig`` (newest shape; `PieceSetStore.render` drops what older eras lack)."""
    return {
        "pieces": {"mode": "include_all", "exceptions": []},
        "selectedActions": {},
        "selectedTriggers": {},
        "requiredActions": {"mode": "ANY", "actions": {}},
    }


def _kebab(text: str) -> str:
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", text)
    return "-".join(w.lower() for w in words)


SortKey = tuple[str, str]  # (created, id): ISO-8601 with ms sorts like the timestamp


class PieceSetStore:
    """Piece sets of every platform; the caller holds ``state.lock`` for compound work.

    Stored records are in the ``key`` shape; `render` gives the shape of the current era.
    """

    def __init__(self, state: StateView) -> None:
        self._state = state
        #: ``"key"`` (newest upstream) or ``"externalId"`` (spring 2026): field name, key
        #: generation, taken-key status (409 vs 500) and cursor format follow it.
        self.schema: Schema = "key"
        self.catalog: list[str] = list(PIECE_CATALOG)
        self._sets: dict[str, dict[str, Any]] = {}
        self._order: dict[str, list[SortKey]] = {}
        self._keys: dict[tuple[str, str], str] = {}

    # ---- reads -----------------------------------------------------------------------------
    def record(self, set_id: str, platform_id: str | None = None) -> dict[str, Any] | None:
        found = self._sets.get(set_id)
        if found is None or (platform_id is not None and found["platformId"] != platform_id):
            return None
        return found

    def all(self, platform_id: str | None = None) -> list[dict[str, Any]]:
        """The sets of a platform in list order (``created``, then ``id``), rendered."""
        with self._state.lock:
            pid = self._state.platform(platform_id).id
            return [self.render(self._sets[k[1]]) for k in self._order.get(pid, [])]

    def get(self, set_id: str) -> dict[str, Any]:
        """One set as the API shows it; KeyError if unknown."""
        with self._state.lock:
            return self.render(self._sets[set_id])

    def by_key(self, key: str, platform_id: str | None = None) -> dict[str, Any] | None:
        with self._state.lock:
            pid = self._state.platform(platform_id).id
            set_id = self._keys.get((pid, key))
            return None if set_id is None else self.render(self._sets[set_id])

    def render(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out = json_copy(dict(record))
        if self.schema == "externalId":
            out = {("externalId" if k == "key" else k): v for k, v in out.items()}
            out["config"].pop("requiredActions", None)
        return out

    def sort_keys(self, platform_id: str) -> list[SortKey]:
        return self._order.get(platform_id, [])

    # ---- the Default set -------------------------------------------------------------------
    def default_set(self, platform: Platform) -> dict[str, Any]:
        """``getOrCreateDefaultPieceSet``: the platform's Default set, created on first use.

        Its id is reserved with the platform, so projects created while the flag is on can
        point at it before it exists (the server creates it in the same request).
        """
        with self._state.lock:
            found = self._sets.get(platform.default_piece_set_id)
            if found is not None:
                return found
            key: str | None = "default"
            if (platform.id, "default") in self._keys:
                key = None  # the server would fail on its unique index; keep the set usable
            return self._insert(
                platform.id,
                name="Default",
                key=key,
                is_default=True,
                config=_empty_config(),
                set_id=platform.default_piece_set_id,
            )

    def default_id(self, platform: Platform) -> str:
        return str(self.default_set(platform)["id"])

    # ---- writes ----------------------------------------------------------------------------
    def _insert(
        self,
        platform_id: str,
        *,
        name: str,
        key: str | None,
        is_default: bool = False,
        config: Mapping[str, Any] | None = None,
        set_id: str | None = None,
    ) -> dict[str, Any]:
        created = now_iso()
        record: dict[str, Any] = {
            "id": set_id or self._state.ids.new_id(),
            "created": created,
            "updated": created,
            "platformId": platform_id,
            "name": name,
            "key": key,
            "isDefault": is_default,
            "generatedForProjectId": None,
            "config": json_copy(dict(config)) if config is not None else _empty_config(),
        }
        self._sets[record["id"]] = record
        insort(self._order.setdefault(platform_id, []), (created, record["id"]))
        if key is not None:
            self._keys[(platform_id, key)] = record["id"]
        return record

    def _key_taken(self) -> Exception:
        if self.schema == "key":
            return ApplicationError("VALIDATION", {"message": KEY_TAKEN})
        # No pre-check in that era: the partial unique index fails and Fastify renders a 500.
        return FastifyError(
            500,
            "23505",
            'duplicate key value violates unique constraint "idx_piece_set_platform_id_external_id"',
        )

    def _resolve_key(self, key: str | None, name: str) -> str | None:
        """``resolveKey``: a blank or absent key becomes ``<kebab-name>-<8 chars>`` (key era)."""
        if key is not None and key.strip():
            return key
        if self.schema == "externalId":
            return None
        return f"{_kebab(name)}-{self._state.ids.new_id()[:8]}"

    def create(
        self,
        platform: Platform,
        name: str,
        key: str | None = None,
        *,
        config: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        with self._state.lock:
            resolved = self._resolve_key(key, name)
            if resolved is not None and (platform.id, resolved) in self._keys:
                raise self._key_taken()
            return self._insert(platform.id, name=name, key=resolved, config=config)

    def update(self, record: dict[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
        """Name and key set; ``pieces`` replaced; action/trigger selections merged per piece."""
        with self._state.lock:
            config = apply_update(record["config"], body)
            changes: dict[str, Any] = {"config": config, "updated": now_iso()}
            if "name" in body:
                changes["name"] = body["name"]
            if "key" in body:
                key = self._resolve_key(body["key"], body.get("name", record["name"]))
                owner = self._keys.get((record["platformId"], key)) if key is not None else None
                if owner is not None and owner != record["id"]:
                    raise self._key_taken()
                if record["key"] is not None:
                    self._keys.pop((record["platformId"], record["key"]), None)
                if key is not None:
                    self._keys[(record["platformId"], key)] = record["id"]
                changes["key"] = key
            record.update(changes)
            return record

    def delete(self, platform: Platform, record: dict[str, Any]) -> None:
        """Projects on the set move to the Default set, then the set is removed."""
        with self._state.lock:
            default_id = self.default_id(platform)
            for key in list(self._state.order(platform.id)):
                project = self._state.record(key[2])
                if project is not None and project.public["pieceSetId"] == record["id"]:
                    self._state.replace(key[2], {"pieceSetId": default_id})
            del self._sets[record["id"]]
            order = self._order[record["platformId"]]
            del order[bisect_left(order, (record["created"], record["id"]))]
            if record["key"] is not None:
                self._keys.pop((record["platformId"], record["key"]), None)

    # ---- test helpers ----------------------------------------------------------------------
    def add(
        self,
        name: str,
        key: str | None = None,
        *,
        platform_id: str | None = None,
        mode: str = "include_all",
        exceptions: Iterable[str] = (),
        project_ids: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Add a set directly (no feature check) and assign ``project_ids`` to it."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        with self._state.lock:
            platform = self._state.platform(platform_id)
            config = _empty_config()
            config["pieces"] = {"mode": mode, "exceptions": list(exceptions)}
            record = self.create(platform, name, key, config=config)
            for project_id in project_ids:
                self._state.replace(project_id, {"pieceSetId": record["id"]})
            return self.render(record)

    def visible_pieces(self, project_id: str) -> list[str]:
        """Which catalog pieces the project sees, by whichever mechanism governs its platform."""
        pieces: list[str] = self.visibility(project_id)["pieces"]
        return pieces

    def visibility(self, project_id: str) -> dict[str, Any]:
        """``{projectId, mechanism, pieceSetId, pieces}``: mechanism ``PIECE_SETS`` or
        ``PROJECT_PLAN``; KeyError for an unknown project."""
        with self._state.lock:
            project = self._state.get_project(project_id)
            platform = self._state.platform(project["platformId"])
            if platform.manage_pieces_enabled:
                record = self._sets.get(project["pieceSetId"] or "")
                if record is None:  # unassigned: resolves to Default (config as built)
                    found = self._sets.get(platform.default_piece_set_id)
                    record = found or {"id": None, "config": _empty_config()}
                pieces = record["config"]["pieces"]
                visible = [name for name in self.catalog if is_piece_visible(pieces, name)]
                return {
                    "projectId": project_id,
                    "mechanism": "PIECE_SETS",
                    "pieceSetId": record["id"],
                    "pieces": visible,
                }
            plan = project["plan"]
            if plan["piecesFilterType"] == "ALLOWED":
                allowed = set(plan["pieces"])
                visible = [name for name in self.catalog if name in allowed]
            else:
                visible = list(self.catalog)
            return {
                "projectId": project_id,
                "mechanism": "PROJECT_PLAN",
                "pieceSetId": None,
                "pieces": visible,
            }


def apply_update(current: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """``pieceSetConfigUtil.applyUpdate``: pieces replaced whole, component selections merged
    per piece (``{mode: all}`` drops the piece's key), required actions merged and pruned of
    actions the new config hides."""
    config = json_copy(dict(current))
    if "pieces" in body:
        config["pieces"] = json_copy(body["pieces"])
    for field, name in (("actions", "selectedActions"), ("triggers", "selectedTriggers")):
        for piece, selection in (body.get(field) or {}).items():
            selected = dict(config.get(name, {}))
            if selection["mode"] == "all":
                selected.pop(piece, None)
            else:
                selected[piece] = list(dict.fromkeys(selection["selected"]))
            config[name] = selected
    if "requiredActions" in config:
        request = body.get("requiredActions") or {}
        merged = {**config["requiredActions"]["actions"], **request.get("actions", {})}
        config["requiredActions"] = {
            "mode": request.get("mode", config["requiredActions"]["mode"]),
            "actions": _visible_actions(config, merged),
        }
    return config


def action_visible(config: Mapping[str, Any], piece: str, action: str) -> bool:
    selected = config.get("selectedActions", {}).get(piece)
    return is_piece_visible(config["pieces"], piece) and (selected is None or action in selected)


def _visible_actions(
    config: Mapping[str, Any], actions: Mapping[str, list[str]]
) -> dict[str, list[str]]:
    kept = {
        piece: [a for a in dict.fromkeys(names) if action_visible(config, piece, a)]
        for piece, names in actions.items()
    }
    return {piece: names for piece, names in kept.items() if names}
