"""Email addresses: syntax checked (no DNS), compared case-insensitively."""

import unicodedata

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """The text is not a valid email address; the message says why."""


def normalise_email(raw: str) -> str:
    """The address as email-validator normalises it (domain lower-cased, Unicode NFC)."""
    try:
        return validate_email(
            unicodedata.normalize("NFC", raw), check_deliverability=False
        ).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(f"'{raw}' is not a valid email address: {exc}") from None


def email_key(email: str) -> str:
    """What two addresses must share to be the same address (the stored ``email_key``).

    Case does not matter, but only case: the local part is lower-cased with ``str.lower``, which
    maps one letter to one letter, so "Straße@" and "strasse@" stay two mailboxes (``casefold``
    would make them one). The domain is lower-cased as email-validator does.
    """
    local, _, domain = unicodedata.normalize("NFC", email).rpartition("@")
    return f"{local.lower()}@{domain.lower()}"
