"""The archive file name of a tenant: any external id -> one valid, portable file name.

Rule (docs/archives.md): every character of the external id outside ``a-z 0-9 - _ .`` is
percent-encoded as the upper-case hex of its UTF-8 bytes (``Acme/EU`` -> ``%41cme%2FEU``,
upper-case letters included, so two ids never differ only by case on a case-insensitive file
system); a leading ``.`` is encoded too (no hidden file, no ``.``/``..``), as is the first
character of a Windows device name (``con`` -> ``%63on``); ``.json`` is appended. ``~`` is
always encoded, so it is free for the two suffixes the store adds: an encoded id longer than
`MAX_ENCODED` is cut and ends in ``~`` + 16 hex of its SHA-256 (the file still holds the whole
id), and an archive replaced by a newer one of the same tenant is kept as ``NAME~<taken_at>.json``.
Names from the first rule decode back to their id (`external_id_of`).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote

__all__ = ["MAX_ENCODED", "SUFFIX", "archive_name", "external_id_of", "history_name"]

SUFFIX = ".json"
#: Longest encoded id kept whole (file names stop at 255 bytes on most file systems).
MAX_ENCODED = 180
_KEEP = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)]
)


def _encode(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def archive_name(external_id: str) -> str:
    """The file name of ``external_id``'s archive (see the module's rule)."""
    if not external_id:
        raise ValueError("an external id is not empty")
    encoded = "".join(c if c in _KEEP else _encode(c) for c in external_id)
    if encoded.startswith("."):
        encoded = _encode(".") + encoded[1:]
    if encoded.split(".")[0] in _DEVICES:
        encoded = _encode(encoded[0]) + encoded[1:]
    if len(encoded) > MAX_ENCODED:
        digest = hashlib.sha256(external_id.encode("utf-8")).hexdigest()[:16]
        cut = encoded[: MAX_ENCODED - 20]
        cut = re.sub(r"%[0-9A-F]?$", "", cut)  # never half an escape
        encoded = f"{cut}~{digest}"
    return encoded + SUFFIX


def external_id_of(name: str) -> str | None:
    """The external id a name from `archive_name` encodes; None for a cut (``~``) name."""
    stem = name.removesuffix(SUFFIX)
    if "~" in stem:
        return None
    return unquote(stem, encoding="utf-8", errors="strict")


def history_name(name: str, taken_at: str) -> str:
    """Where an archive replaced by a newer one of the same tenant is kept."""
    stamp = re.sub(r"[^0-9A-Za-z]", "", taken_at)
    return f"{name.removesuffix(SUFFIX)}~{stamp}{SUFFIX}"
