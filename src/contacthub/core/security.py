"""API keys: ``ch_`` + 43 random URL-safe characters (256 bits), kept only as a SHA-256 hash.

A key this random needs no slow hash or salt: guessing it is hopeless, so a plain SHA-256 digest,
indexed, lets auth be one lookup. The first characters are kept in clear as a hint for listings.
"""

import hashlib
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

KEY_PREFIX = "ch_"
_KEY_SHAPE = re.compile(r"ch_[A-Za-z0-9_\-]{43}")
# Anything that looks like a key, wherever it appears in a line (query strings, headers, errors).
KEY_PATTERN = re.compile(r"ch_[A-Za-z0-9_\-]{20,}")
_APIKEY_PARAM = re.compile(r"(?i)(apiKey=)[^&\s]*")


def presented_key(scope: Mapping[str, Any]) -> str | None:
    """The key an HTTP request presents: the last ``apiKey`` query value, else the first
    ``X-API-Key`` header, else the first ``Authorization: Bearer`` token (read once per request,
    by ``accounts.auth.Authenticate``)."""
    key: str | None = None
    raw: bytes = scope.get("query_string", b"")
    if b"apiKey" in raw or b"%" in raw:  # without either, no parameter can decode to apiKey
        # As Starlette's QueryParams (parse_qsl) reads it, without decoding the other parameters.
        for part in raw.decode("latin-1").split("&"):
            name, _, value = part.partition("=")
            if name == "apiKey" or ("%" in name and unquote_plus(name) == "apiKey"):
                key = unquote_plus(value)  # the last one wins, as in QueryParams.get
    api_key: bytes | None = None
    authorization: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"x-api-key" and api_key is None:
            api_key = value
        elif name == b"authorization" and authorization is None:
            authorization = value
    key = key or (api_key.decode("latin-1") if api_key is not None else None)
    if key:
        return key
    scheme, _, token = (authorization or b"").decode("latin-1").partition(" ")
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
