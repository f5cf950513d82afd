"""API keys: ``ch_`` + 43 random URL-safe characters (256 bits), kept only as a SHA-256 hash.

A key this random needs no slow hash or salt: guessing it is hopeless, so a plain SHA-256 digest,
indexed, lets auth be one lookup. The first characters are kept in clear as a hint for listings.
"""

import hashlib
import re
import secrets
from collections.abc import Mapping

KEY_PREFIX = "ch_"
_KEY_SHAPE = re.compile(r"ch_[A-Za-z0-9_\-]{43}")
# Anything that looks like a key, wherever it appears in a line (query strings, headers, errors).
KEY_PATTERN = re.compile(r"ch_[A-Za-z0-9_\-]{20,}")
_APIKEY_PARAM = re.compile(r"(?i)(apiKey=)[^&\s]*")


def presented_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The key a request presents: ``apiKey`` query, ``X-API-Key`` header, or a Bearer token."""
    key = query.get("apiKey") or headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def new_key() -> str:
    """A fresh API key, to be shown once."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The only form of a key that is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(text: str) -> bool:
    """Cheap shape check, so junk never reaches the database."""
    return _KEY_SHAPE.fullmatch(text) is not None


def hint(key: str) -> str:
    """What a listing shows of a key: enough to recognise it, too little to use it."""
    return key[:7] + "…"


def redact(text: str) -> str:
    """Remove every key (and every apiKey query value) from a line meant for a log."""
    return KEY_PATTERN.sub("ch_[REDACTED]", _APIKEY_PARAM.sub(r"\1[REDACTED]", text))
