"""Logging for the server: no API key and no control character reaches a log line.

Two things do it, and ``create_app`` installs the first itself, so they hold in every process that
serves the app (``contacthub serve``, plain ``uvicorn --factory``, gunicorn's worker, the tests):

- ``RedactingFilter`` on every ``contacthub`` logger, on uvicorn's (its access log included) and
  on the root logger's handlers: each record's message is redacted (``redact_text``) and its
  control characters are escaped (``scrub``), so a ``%0A`` in a path cannot start a forged line.
- ``RedactingFormatter``, which ``contacthub serve`` configures (``log_config``): the whole
  formatted line, tracebacks included, is redacted once more, whichever library logged it.

Redaction reads the query as a server does: a parameter whose name decodes to ``apiKey`` (in any
case), or whose value decodes to something shaped like a key, has its value replaced, however it
was percent-encoded (``api%4Bey=%63%68%5F…``, one character of the key encoded, all of it).
"""

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from contacthub.core.security import KEY_PATTERN, redact

# A name=value pair wherever it appears in a line (a query string, a message quoting one).
_PARAM = re.compile(r"([^\s?&=;\"'<>]+)=([^\s&\"'<>]*)")
# C0 and C1 controls, DEL, and the two Unicode line separators: none may reach a line raw.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_REDACTED = "[REDACTED]"


def _param(match: re.Match[str]) -> str:
    name, value = match.groups()
    if unquote_plus(name).casefold() == "apikey" or KEY_PATTERN.search(unquote_plus(value)):
        return f"{name}={_REDACTED}"
    return match.group()


def redact_text(text: str) -> str:
    """``text`` with every API key removed, however a query spelt it."""
    if "=" in text:
        text = _PARAM.sub(_param, text)
    return redact(text)


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def scrub(text: str) -> str:
    """``text`` fit for one log line: keys redacted, control characters escaped (``\\n``)."""
    return _CONTROL.sub(_escape, redact_text(text))


class RedactingFilter(logging.Filter):
    """Rewrites each record it sees: message and arguments scrubbed, traceback redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # uvicorn's access formatter reads its arguments one by one: scrub each.
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        else:
            try:
                message = record.getMessage()
            except Exception:  # a malformed call: logging reports it when it formats the line
                return True
            record.msg, record.args = scrub(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(_TRACEBACKS.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


_TRACEBACKS = logging.Formatter()
_FILTER = RedactingFilter()
_LOGGERS = ("contacthub", "uvicorn", "uvicorn.error", "uvicorn.access")


def install_redaction() -> None:
    """Put ``RedactingFilter`` on every contacthub and uvicorn logger and on the root logger's
    handlers (once; ``create_app`` calls it)."""
    names = [
        name
        for name in logging.Logger.manager.loggerDict
        if name.startswith(("contacthub.", "uvicorn."))
    ]
    loggers: list[Any] = [logging.getLogger(name) for name in (*_LOGGERS, *names)]
    for target in [*loggers, *logging.getLogger().handlers]:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)


class RedactingFormatter(logging.Formatter):
    """A formatter whose output never contains an API key."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


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
