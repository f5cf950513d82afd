"""Phone numbers: every spelling of a number becomes one E.164 string, or a clear error.

The one rule (API.md §1): a number written with ``+`` or ``00`` is international. One without
either is read in the account's default country first and, when it is not a valid number there,
as international without its ``+`` (so ``14155550100`` stays ``+14155550100`` for a Dutch account).
Without a default country it is read as international only.
"""

import re

import phonenumbers

# Blanks people type or paste (no-break spaces come from formatted numbers), and punctuation.
# Not ``\s``: it also matches control characters such as \x1c, which are not separators.
_BLANKS = " \t\r\n\u00a0\u2007\u202f"
_SEPARATORS = re.compile(f"[{_BLANKS}\\-.()/]")
_SHAPE = re.compile(r"\+?[0-9]{2,17}")
# Room for any number written with generous spacing; every field and query parameter that takes a
# phone number has this as its max_length too, so a longer text is refused before it is parsed.
MAX_LENGTH = 64
_EXAMPLE = "e.g. +14155550100"


class InvalidPhone(ValueError):
    """The text is not a valid phone number; the message says why, for a person."""


class InvalidCountry(ValueError):
    """The text is not a country phone numbers are known for; the message says why."""


def country_code(raw: str) -> str:
    """An ISO 3166-1 alpha-2 code that libphonenumber has numbers for, upper-cased (``nl`` → ``NL``)."""
    code = raw.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidCountry(
            f"'{raw[:16]}' is not a country code: use ISO 3166-1 alpha-2, e.g. NL, DE or US"
        )
    return code


def canonical(raw: str) -> str:
    """The number's text without separators, ``00`` written as ``+``; refuses what is no number.

    The shape check alone, without the country: body schemas run it before the account is known.
    """
    if len(raw) > MAX_LENGTH:
        raise InvalidPhone(f"is not a phone number: longer than {MAX_LENGTH} characters")
    text = _SEPARATORS.sub("", raw.strip(_BLANKS))
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _SHAPE.fullmatch(text):
        raise InvalidPhone(
            f"'{raw}' is not a phone number: use digits with the country code, {_EXAMPLE}"
        )
    return text


def is_international(raw: str) -> bool:
    """Whether the number carries its country code for sure (``+`` or ``00``): no country needed."""
    text = raw.lstrip(_BLANKS)
    return text.startswith(("+", "00"))


def to_e164(raw: str, country: str | None = None) -> str:
    """Normalise a phone number to E.164, reading one without a country code in ``country``.

    Accepts spaces, dashes, dots, slashes and parentheses. The number must be valid for its
    country by libphonenumber's metadata, so ``+1234567890`` (the seed's placeholder) is refused.

    Not cached: a parse costs about 45 µs (two for a national spelling that is not valid in the
    country), a fraction of the request that needs it, and a cache would keep numbers after their
    contacts are erased and tell one tenant by its timing which numbers another has just used.
    """
    text = canonical(raw)
    if text.startswith("+"):
        number = _parsed(text, None)
        if number is None:
            raise InvalidPhone(
                f"'{raw}' is not a valid phone number for its country code; "
                f"check the digits and the country code, {_EXAMPLE}"
            )
        return _e164(number)
    if country is not None:
        number = _parsed(text, country)
        if number is not None:
            return _e164(number)
    number = _parsed("+" + text, None)
    if number is not None:
        return _e164(number)
    if country is not None:
        raise InvalidPhone(
            f"'{raw}' is not a valid phone number in {country} (the account's default country)"
            f" nor with a country code; check the digits, or write it with its country code, {_EXAMPLE}"
        )
    raise InvalidPhone(
        f"'{raw}' is not a valid phone number with a country code: add the country code"
        f" ({_EXAMPLE}), or set the account's default country (PATCH /v1/account"
        ' {"defaultCountry": "NL"}) to send national numbers'
    )


def _parsed(text: str, country: str | None) -> phonenumbers.PhoneNumber | None:
    """The valid number the text is in this country (None: international), or None."""
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
