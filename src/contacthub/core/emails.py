"""Email addresses: syntax checked (no DNS), compared case-insensitively."""

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """The text is not a valid email address; the message says why."""


def normalise_email(raw: str) -> str:
    """The address as email-validator normalises it (domain lower-cased, Unicode NFC)."""
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(f"'{raw}' is not a valid email address: {exc}") from None


def email_key(email: str) -> str:
    """What two addresses must share to be the same address (the stored ``email_key``)."""
    return email.casefold()
