"""Opaque, URL-safe, prefixed ids that sort by creation time.

An id is ``<prefix>_`` + 10 Crockford base32 characters of the millisecond clock + 16 of randomness
(80 bits, from the OS). Same layout as a ULID, so ids made later sort later, and ``ORDER BY id`` is
creation order — which is what keyset pagination walks.
"""

import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

PREFIXES = {
    "account": "acc",
    "contact": "ct",
    "list": "ls",
    "tag": "tg",
    "message": "msg",
    "key": "key",
}


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


_last = (0, 0)
_lock = threading.Lock()


def new_id(kind: str) -> str:
    """A fresh id for a resource of this kind ("contact", "list", ...).

    Within a process ids are strictly increasing: in the same millisecond the random part is the
    previous one plus one (as monotonic ULIDs do), so creation order is id order even then.
    """
    global _last
    with _lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_random = _last
        if millis <= last_millis and last_random + 1 < 1 << 80:
            millis, random = last_millis, last_random + 1
        else:
            random = secrets.randbits(79)  # leaves room to count up within the millisecond
        _last = (millis, random)
    return f"{PREFIXES[kind]}_{_base32(millis, 10)}{_base32(random, 16)}"
