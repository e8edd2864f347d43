"""Identifiers and timestamps shaped like the real server's (nanoid ``apId``, ISO-8601 ms ``Z``)."""

from __future__ import annotations

import random
import string
from datetime import datetime, timezone

ALPHABET = string.digits + string.ascii_letters
ID_LENGTH = 21
API_KEY_PREFIX = "sk-"
API_KEY_BODY_LENGTH = 61


class IdGenerator:
    """Deterministic ids for a given seed (``None`` = from the OS)."""

    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()

    def new_id(self) -> str:
        """A 21-character ``[0-9A-Za-z]`` id like ``apId()``."""
        return "".join(self._rng.choices(ALPHABET, k=ID_LENGTH))

    def api_key(self) -> str:
        """A platform API key: ``sk-`` plus 61 alphanumerics."""
        return API_KEY_PREFIX + "".join(self._rng.choices(ALPHABET, k=API_KEY_BODY_LENGTH))

    def choice(self, options: tuple[str, ...]) -> str:
        return self._rng.choice(options)


_REQUEST_IDS = random.Random()  # own generator: request ids never perturb seeded state ids


def request_id() -> str:
    """An ``x-request-id`` value (``req_`` + 21 alphanumerics)."""
    return "req_" + "".join(_REQUEST_IDS.choices(ALPHABET, k=ID_LENGTH))


def now_iso() -> str:
    """Current UTC time as ``2024-01-10T10:00:00.000Z``."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
