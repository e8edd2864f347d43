"""Identifiers and timestamps shaped like the real server's (nanoid ``apId``, ISO-8601 ms ``Z``).

Both run on every request the emulator serves, so they are built for speed: a timestamp
formats its second once; a request id comes from one ``randbytes`` call mapped onto the alphabet
by ``bytes.translate`` (bytes that would bias the draw are dropped, as nanoid's mask does). The
seeded ids keep the draws they always made (tests' expectations follow the seed's sequence),
minus the call overhead around them.
"""

from __future__ import annotations

import random
import string
import time

ALPHABET = string.digits + string.ascii_letters
ID_LENGTH = 21
API_KEY_PREFIX = "sk-"
API_KEY_BODY_LENGTH = 61

#: The largest multiple of the alphabet's size within a byte: bytes from it up are dropped, so
#: every character is equally likely.
_UNBIASED = 256 - 256 % len(ALPHABET)
_TO_ALPHABET = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(256))
_BIASED = bytes(range(_UNBIASED, 256))


def random_text(rng: random.Random, length: int) -> str:
    """``length`` characters drawn uniformly from ``[0-9A-Za-z]`` with ``rng`` (unseeded
    uses: its draws differ from `IdGenerator`'s)."""
    text = b""
    while len(text) < length:
        # About 3% of bytes are dropped; an eighth more (+8) nearly always suffices at once.
        extra = length - len(text)
        text += rng.randbytes(extra + extra // 8 + 8).translate(_TO_ALPHABET, _BIASED)
    return text[:length].decode("ascii")


class IdGenerator:
    """Deterministic ids for a given seed (``None`` = from the OS)."""

    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()

    def _chosen(self, length: int) -> str:
        # The draws of ``rng.choices(ALPHABET, k=length)``, without its per-call set-up.
        draw, size = self._rng.random, float(len(ALPHABET))
        return "".join([ALPHABET[int(draw() * size)] for _ in range(length)])

    def new_id(self) -> str:
        """A 21-character ``[0-9A-Za-z]`` id like ``apId()``."""
        return self._chosen(ID_LENGTH)

    def text(self, length: int) -> str:
        """``length`` random ``[0-9A-Za-z]`` characters (tokens): the draws of ``length``
        calls of ``rng.choice(ALPHABET)`` (6 random bits each, 62 and 63 drawn again)."""
        bits, size = self._rng.getrandbits, len(ALPHABET)
        chars: list[str] = []
        while len(chars) < length:
            index = bits(6)
            if index < size:
                chars.append(ALPHABET[index])
        return "".join(chars)

    def api_key(self) -> str:
        """A platform API key: ``sk-`` plus 61 alphanumerics."""
        return API_KEY_PREFIX + self._chosen(API_KEY_BODY_LENGTH)

    def choice(self, options: tuple[str, ...]) -> str:
        return self._rng.choice(options)


_REQUEST_IDS = random.Random()  # own generator: request ids never perturb seeded state ids


def request_id() -> str:
    """An ``x-request-id`` value (``req_`` + 21 alphanumerics)."""
    return "req_" + random_text(_REQUEST_IDS, ID_LENGTH)


#: (second, its ``YYYY-MM-DDTHH:MM:SS.`` text): replaced whole, so threads never see half of it.
_second: tuple[int, str] = (-1, "")


def now_iso() -> str:
    """Current UTC time as ``2024-01-10T10:00:00.000Z``."""
    global _second
    now = time.time()
    second = int(now)
    cached = _second
    if cached[0] != second:
        cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second)))
        _second = cached
    return f"{cached[1]}{int((now - second) * 1000):03d}Z"
