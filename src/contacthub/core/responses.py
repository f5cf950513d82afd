"""The JSON response every endpoint returns (orjson: several times faster than json for our bodies),
and the one rendering of an error as the contract's envelope."""

from typing import Any

import orjson
from starlette.responses import JSONResponse

from contacthub.errors import AppError


class JSON(JSONResponse):
    """``application/json; charset=utf-8``, rendered with orjson."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(error: AppError) -> JSON:
    """The answer to an error: its envelope, its status, its headers (Allow, Retry-After, …).

    The one place an error becomes a response: the FastAPI exception handlers (app.py) and the
    ``Unexpected`` middleware (errors raised in front of the router) both call it.
    """
    return JSON(error.body(), status_code=error.status_code, headers=error.headers)
