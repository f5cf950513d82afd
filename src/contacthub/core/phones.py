"""Phone numbers: every spelling of a number becomes one E.164 string, or a clear error."""

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


class InvalidPhone(ValueError):
    """The text is not a valid phone number; the message says why, for a person."""


def to_e164(raw: str) -> str:
    """Normalise a phone number given with its country code (``+`` optional) to E.164.

    Accepts spaces, dashes, dots, slashes and parentheses. The number must be valid for its
    country by libphonenumber's metadata, so ``+1234567890`` (the seed's placeholder) is refused.

    Not cached: a parse costs about 45 µs, a fraction of the request that needs it, and a cache
    would keep numbers after their contacts are erased and tell one tenant by its timing which
    numbers another has just used.
    """
    if len(raw) > MAX_LENGTH:
        raise InvalidPhone(f"is not a phone number: longer than {MAX_LENGTH} characters")
    text = _SEPARATORS.sub("", raw.strip(_BLANKS))
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _SHAPE.fullmatch(text):
        raise InvalidPhone(
            f"'{raw}' is not a phone number: use digits with the country code, e.g. +14155550100"
        )
    if not text.startswith("+"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"'{raw}' is not a phone number: {exc._msg}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(
            f"'{raw}' is not a valid phone number for its country code; "
            "check the digits and the country code, e.g. +14155550100"
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
