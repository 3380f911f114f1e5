"""Opaque, time-ordered identifiers: a prefix and a ULID (sortable by creation time)."""

from __future__ import annotations

import os
import time
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """``prefix_`` + 26 characters: 48 bits of milliseconds, then 80 random bits."""
    millis = int(time.time() * 1000)
    randomness = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_encode(millis, 10)}{_encode(randomness, 16)}"


def id_floor(prefix: str, when: datetime) -> str:
    """The smallest id ``new_id(prefix)`` could make at ``when``: ``id >= id_floor(...)`` selects what was
    created since then, through the primary key's index."""
    millis = max(0, int(when.timestamp() * 1000))
    return f"{prefix}_{_encode(millis, 10)}{'0' * 16}"
