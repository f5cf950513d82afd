"""The error tree. Every error knows its HTTP status and machine code.

    AppError                    500 internal
    ├── BadRequest              400 bad_request
    │   ├── ValidationFailed    400 validation_error   (carries details: [{field, message}])
    │   └── UnreadableBody      400 http_error         (a body FastAPI could not read)
    ├── Unauthorized            401 unauthorized
    ├── Forbidden               403 forbidden
    │   └── PermissionDenied    403 permission_denied  (list membership: ids cannot be probed)
    ├── NotFound                404 not_found
    ├── MethodNotAllowed        405 method_not_allowed (carries an Allow header)
    ├── Conflict                409 conflict
    │   ├── ContactExists       409 contact_exists     (carries contactId and error_code: 409)
    │   ├── IdempotencyConflict 409 idempotency_conflict
    │   └── IdempotencyInProgress 409 idempotency_in_progress (carries Retry-After)
    ├── PayloadTooLarge         413 payload_too_large
    ├── RateLimited             429 rate_limited       (carries Retry-After, X-RateLimit-*)
    └── ServiceUnavailable      503 unavailable        (/readyz: the database does not answer)

Routes and middlewares only raise these. One function renders each as the contract's envelope,
``{"success": false, "error": code, "message": ..., "details"?: [...], "contactId"?: ...}``
(and ``"error_code": 409`` on ``contact_exists``):
``core.responses.error_response``, called by the FastAPI exception handlers (app.py) for errors
raised in routes and by the ``Unexpected`` middleware (middleware.py) for errors raised by the
middlewares in front of the router.
"""

from typing import Any, ClassVar

from pydantic import BaseModel, Field


class AppError(Exception):
    """Base of every error the API answers with; unexpected failures become a plain AppError."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal"
    default_message: ClassVar[str] = "Something went wrong on our side; try again later"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = headers
        self.extra = extra
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """The error envelope."""
        body: dict[str, Any] = {"success": False, "error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        body.update(self.extra)
        return body


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"
    default_message = "The request is not valid"


class ValidationFailed(BadRequest):
    code = "validation_error"
    default_message = "The request is not valid; see details"

    @classmethod
    def field(cls, field: str, message: str) -> "ValidationFailed":
        """One field is wrong."""
        return cls.of([{"field": field, "message": message}])

    @classmethod
    def of(cls, details: list[dict[str, str]]) -> "ValidationFailed":
        """These fields are wrong; the message names the first (the one message format)."""
        first = details[0]
        message = f"Invalid request: {first['field']} {first['message']}"
        if len(details) > 1:
            message += f" (and {len(details) - 1} more; see details)"
        return cls(message, details=details)


class UnreadableBody(BadRequest):
    """FastAPI could not read the body (its own HTTPException); rare, since RequestBody reads it."""

    code = "http_error"
    default_message = "There was an error parsing the body"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    default_message = "Invalid or revoked API key"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    default_message = "This API key is read-only; use a key that may write"


class PermissionDenied(Forbidden):
    code = "permission_denied"
    default_message = "Permission denied"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    default_message = "Not found"


class MethodNotAllowed(AppError):
    status_code = 405
    code = "method_not_allowed"
    default_message = "This method is not allowed on this path"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state"


class ContactExists(Conflict):
    code = "contact_exists"
    default_message = "Contact already exists"

    def body(self) -> dict[str, Any]:
        """The envelope with ``error_code``: clients of the original look for the status there."""
        return {**super().body(), "error_code": self.status_code}


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    default_message = "This Idempotency-Key was used with a different request"


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    default_message = "A request with this Idempotency-Key is still running; retry in a moment"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    default_message = "The request body is larger than the server accepts"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests; retry after the number of seconds in Retry-After"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "unavailable"
    default_message = "The database does not answer"


# --- How errors appear in the OpenAPI document ----------------------------------------------

_DESCRIPTIONS = {
    400: "Invalid request: the message says what to fix; `details` names each field",
    401: "Missing, unknown or revoked API key",
    403: "Not allowed with this key",
    404: "Not found (another account's ids are not found either)",
    409: "Conflicts with an existing resource",
    413: "Request body too large",
    429: "Rate limited; see Retry-After",
    503: "The database does not answer",
}


class FieldError(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """The error envelope: every error, every status."""

    success: bool = False
    error: str = Field(examples=["not_found"])
    message: str = Field(examples=["Contact not found"])
    details: list[FieldError] | None = None
    contactId: str | None = None
    error_code: int | None = Field(None, examples=[409], description="contact_exists only")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting these error statuses with the error envelope."""
    return {
        status: {"model": ErrorOut, "description": _DESCRIPTIONS[status]} for status in statuses
    }
