"""Logging for the server: plain lines on stderr, each one passed through key redaction.

The formatter redacts the whole formatted line, tracebacks included, so no API key reaches a log
whichever library logged it and however the key was sent.
"""

import logging
from typing import Any

from contacthub.core.security import redact


class RedactingFormatter(logging.Formatter):
    """A formatter whose output never contains an API key."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server (uvicorn applies it in every worker)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "redacting": {
                "()": "contacthub.logs.RedactingFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            }
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "redacting"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
        },
    }
