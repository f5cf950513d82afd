"""Building blocks of requests: strict body models, bounded fields, accepted aliases, query values.

Every body model rejects unknown fields by name, takes JSON types as they are (``"true"`` is not a
boolean) and maps the aliases real clients send (``phone`` → ``phoneNumber``) onto the field names.
Phone numbers (in the account's country: accounts.service.phone_number) and emails given in a query
string are normalised here too, with the 400 naming the parameter; ``PhoneQuery`` keeps a bare
``+`` of a ``phoneNumber`` query as the ``+`` it was meant to be.
"""

import math
import re
import unicodedata
from typing import Annotated, Any, ClassVar
from urllib.parse import unquote_plus

import orjson
from fastapi import Depends, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

from contacthub.core.emails import InvalidEmail, normalise_email
from contacthub.core.phones import InvalidPhone, to_e164
from contacthub.errors import BadRequest, ValidationFailed

MAX_JSON_OBJECT_BYTES = 64 * 1024
# Objects and arrays count as levels, the object itself the first (orjson stops at 255).
MAX_JSON_DEPTH = 32

# The longest a name's key may be (the column of list and tag ``name_key``).
MAX_NAME_LENGTH = 255


def fold(text: str) -> str:
    """The form two texts share when they are the same text whatever their case and spelling.

    Unicode's NFKC_Casefold, as far as Python has it: compatibility forms become plain ("ﬁ" is
    "fi", fullwidth letters are plain ones), case is folded ("ß" is "ss"), and format characters such as a zero-width
    space are left out, as NFKC_Casefold leaves out default-ignorable ones.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def name_key(name: str) -> str:
    """What two names of lists or tags must share to be the same (see ``fold``)."""
    return fold(name)


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _label(value: str) -> str:
    key = name_key(value)
    if not key:
        raise ValueError("must have a visible character")
    if len(key) > MAX_NAME_LENGTH:
        raise ValueError(
            f"is too long once its case is folded (at most {MAX_NAME_LENGTH} characters;"
            " ß counts as ss)"
        )
    return value


# A name: a person's, a list's, a tag's. Surrounding white space is dropped; stored as NFC.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_NAME_LENGTH),
    AfterValidator(_nfc),
]
# A non-empty name (lists and tags need one to be found by), whose key fits its column.
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH),
    AfterValidator(_nfc),
    AfterValidator(_label),
]
# An identifier from another system: non-empty, as given.
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Text = Annotated[str, StringConstraints(max_length=10_000)]


def phone_param(raw: str, country: str | None = None, field: str = "phoneNumber") -> str:
    """A phone number in E.164, one without a country code read in ``country`` (core.phones), or
    a 400 naming the field."""
    try:
        return to_e164(raw, country)
    except InvalidPhone as exc:
        raise ValidationFailed.field(field, str(exc)) from None


async def _phone_query(
    request: Request,
    phone_number: Annotated[
        str | None, Query(alias="phoneNumber", max_length=64, examples=["+14155550100"])
    ] = None,
) -> str | None:
    return with_bare_plus(request.scope["query_string"], "phoneNumber", phone_number)


def with_bare_plus(query: bytes, name: str, value: str | None) -> str | None:
    """A query parameter's decoded value with the leading "+" it was sent with (not ``%2B``).

    A query decodes a bare "+" as a space, yet clients sending "?phoneNumber=+2484611634" mean
    the "+" (the hot path, contacts/lookup.py, reads it so too): a number with a national reading
    in the account's country would otherwise be read as that national number. Only before a
    country code (a digit 1-9): clients that encode a space as "+" send " +31…" and " 06…" so.
    """
    if value is None or not _SPACED_COUNTRY_CODE.match(value):
        return value
    if _last_raw_value(query, name).startswith("+"):
        return "+" + value[1:]
    return value


# Spaces, then what a country code starts with (no country code starts with 0).
_SPACED_COUNTRY_CODE = re.compile(" +[1-9]")


def _last_raw_value(query: bytes, name: str) -> str:
    """The value of the query's last ``name`` as sent, not yet decoded (the one FastAPI takes)."""
    value = ""
    for part in query.decode("latin-1").split("&"):
        key, _, raw = part.partition("=")
        if unquote_plus(key) == name:
            value = raw
    return value


# The ``phoneNumber`` query parameter, a bare "+" in front read as a "+" (not a space).
PhoneQuery = Annotated[str | None, Depends(_phone_query)]


def email_param(raw: str | None) -> str | None:
    """An email address from the query string, normalised, or a 400 naming the parameter."""
    if raw is None:
        return None
    try:
        return normalise_email(raw)
    except InvalidEmail as exc:
        raise ValidationFailed.field("email", str(exc)) from None


def missing_parameters(missing: list[str]) -> BadRequest:
    """The 400 for required parameters that were not given."""
    return BadRequest(
        f"Missing required parameters: {', '.join(missing)}",
        details=[{"field": name, "message": "is required"} for name in missing],
    )


def _bounded_object(value: dict[str, Any]) -> dict[str, Any]:
    _check_numbers_and_depth(value, 1)
    try:
        size = len(orjson.dumps(value))
    except orjson.JSONEncodeError as exc:  # a TypeError, whatever the cause: tell them apart
        if "surrogates" in str(exc):
            raise ValueError(
                "holds a string that is not valid Unicode (a lone surrogate, such as \\udfff)"
            ) from None
        # an integer beyond 64 bits, which no database column or client keeps exact
        raise ValueError("holds an integer too large to store (more than 64 bits)") from None
    if size > MAX_JSON_OBJECT_BYTES:
        raise ValueError(f"must be at most {MAX_JSON_OBJECT_BYTES // 1024} KiB as JSON")
    return value


def _check_numbers_and_depth(value: dict[str, Any] | list[Any], depth: int) -> None:
    """Refuse a nesting deeper than MAX_JSON_DEPTH and numbers the databases cannot keep.

    Python's parser reads ``NaN``, ``Infinity`` and ``1e400`` (inf), which PostgreSQL refuses. A
    float beyond the 64-bit integers, such as ``1e20``, PostgreSQL gives back as an integer that
    no reply can carry; like such integers, it is refused.
    """
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"may be nested at most {MAX_JSON_DEPTH} levels deep")
    for item in value.values() if isinstance(value, dict) else value:
        if isinstance(item, dict | list):
            _check_numbers_and_depth(item, depth + 1)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError("must be finite JSON numbers (not NaN, Infinity or 1e400)")
            if not -(2**63) <= item < 2**64:
                raise ValueError("holds a number too large to store (more than 64 bits)")


def _nul_at(value: Any, where: str) -> str | None:
    """Where in a JSON value a string (or key) holds a NUL character, if anywhere."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{key}" if where else str(key)
            if "\x00" in str(key):
                return here
            found = _nul_at(item, here)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_at(item, f"{where}.{index}" if where else str(index))
            if found:
                return found
    return None


JsonObject = Annotated[dict[str, Any], AfterValidator(_bounded_object)]


class WireModel(BaseModel):
    """A request body: strict types, unknown fields rejected, aliases mapped."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)

    # alias the client may send → the field's wire name
    accepted_aliases: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _map_aliases(cls, data: Any) -> Any:
        # NUL is refused everywhere: PostgreSQL cannot store it in text, and no name needs it.
        where = _nul_at(data, "")
        if where is not None:
            raise ValidationFailed.field(where or "body", "may not contain a NUL character")
        if not isinstance(data, dict) or not cls.accepted_aliases:
            return data
        data = dict(data)
        for alias, name in cls.accepted_aliases.items():
            if alias in data:
                if name in data:
                    raise ValidationFailed.field(
                        alias, f"is another name for {name}; send one of the two, not both"
                    )
                data[name] = data.pop(alias)
        return data
