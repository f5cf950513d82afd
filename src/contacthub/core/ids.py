"""Opaque, URL-safe, prefixed ids that sort by creation time.

An id is ``<prefix>_`` + 10 Crockford base32 characters of the millisecond clock + 16 of randomness
(80 bits, from the OS). Same layout as a ULID, so ids made later sort later, and ``ORDER BY id`` is
creation order — which is what keyset pagination walks, and what breaks ties between messages of
the same timestamp.
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
    "event": "evt",
    "webhook": "wh",
    "delivery": "whd",
}


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


_last = (0, 0)
_lock = threading.Lock()


# Within a millisecond each id adds a fresh random step of 1 to 2**40 to the previous one: ids stay
# in creation order, and the next one cannot be guessed (a step of +1 could, across tenants).
_STEP_BITS = 40


def new_id(kind: str) -> str:
    """A fresh id for a resource of this kind ("contact", "list", ...).

    Within a process ids are strictly increasing, even in the same millisecond or when the clock
    steps back: the random part then grows by a fresh random step rather than being drawn anew.
    """
    global _last
    with _lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_random = _last
        if millis <= last_millis:
            millis, random = last_millis, last_random + 1 + secrets.randbits(_STEP_BITS)
            if random >= 1 << 80:  # no room left in this millisecond: borrow the next one
                millis, random = last_millis + 1, secrets.randbits(79)
        else:
            random = secrets.randbits(79)  # leaves room to step up within the millisecond
        _last = (millis, random)
    return f"{PREFIXES[kind]}_{_base32(millis, 10)}{_base32(random, 16)}"
